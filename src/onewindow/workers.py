"""Background work of a server process or of ``onewindow worker``: outbox and webhooks.

Every consumer of every domain is registered here, in one place, so that a worker started alone
delivers exactly what the server's own worker does.
"""

from __future__ import annotations

import logging
import time

from onewindow import audit, events
from onewindow.aeo import service as aeo
from onewindow.cargo import service as cargo
from onewindow.clearance import service as clearance
from onewindow.config import get_settings
from onewindow.db import session_scope
from onewindow.exchange import service as exchange
from onewindow.notifications import service as notifications
from onewindow.payments import service as payments
from onewindow.permits import service as permits
from onewindow.statistics import service as statistics

log = logging.getLogger(__name__)


def register_consumers() -> None:
    """Subscribe every domain's consumers (safe to call more than once)."""
    payments.register_consumers()
    notifications.register_consumers()
    clearance.register_consumers()
    cargo.register_consumers()
    statistics.register_consumers()
    permits.register_consumers()
    exchange.register_consumers()
    aeo.register_consumers()


def run_once(database_url: str | None = None, limit: int = 100) -> int:
    """Deliver up to ``limit`` due outbox events, one transaction each, then due webhooks, then
    publish the audit head when a checkpoint is due; return how much was done."""
    handled = 0
    with session_scope(database_url) as session:
        # One event per transaction (see events.deliver_next for the lock order this keeps), in
        # one session: a batch costs one connection checkout, not one per event.
        while handled < limit and events.deliver_next(session):
            session.commit()
            handled += 1
    # Webhooks are posted outside any transaction: a slow receiver must not hold a lock.
    sent = notifications.run_webhook_deliveries(database_url)
    # Partner messages too: a slow partner holds no lock (posted between two transactions).
    sent += exchange.deliver_due(database_url)
    publish_audit_head(database_url)
    if _due("statistics", get_settings().statistics_export_seconds):
        export_statistics(database_url)
    if _due("expiring-documents", ANNOUNCE_SECONDS):
        announce_expiring_documents(database_url)
    if _due("aeo-certificates", ANNOUNCE_SECONDS):
        review_aeo_certificates(database_url)
    return handled + sent


ANNOUNCE_SECONDS = 3600.0
"""How often the worker looks for company documents about to expire (each is told once)."""

_last_run: dict[str, float] = {}


def _due(task: str, every_seconds: float) -> bool:
    """Whether the periodic ``task`` is due in this process, and if so mark it started."""
    now = time.monotonic()
    if task in _last_run and now - _last_run[task] < every_seconds:
        return False
    _last_run[task] = now
    return True


def announce_expiring_documents(database_url: str | None = None) -> int:
    """Tell companies, once each, of verified documents that expire within 30 days."""
    with session_scope(database_url) as session:
        return permits.announce_expiring(session)


def review_aeo_certificates(database_url: str | None = None) -> dict[str, int]:
    """Expire AEO certificates past their validity; tell holders, once per due date, that
    their reassessment falls due."""
    with session_scope(database_url) as session:
        return aeo.run_due(session)


def export_statistics(database_url: str | None = None) -> None:
    """Rewrite the statistics of the days that changed (the consumers note the days as events
    are delivered); the worker runs it every ``statistics_export_seconds``."""
    try:
        statistics.export(
            lambda: session_scope(database_url), get_settings().statistics_dir, max_days=31
        )
    except OSError as exc:
        log.error("statistics cannot be written: %s", exc)


def publish_audit_head(database_url: str | None = None) -> None:
    """Write an audit checkpoint when one is due (every N seconds or M entries, settings)."""
    settings = get_settings()
    try:
        with session_scope(database_url) as session:
            audit.write_checkpoint(
                session,
                min_entries=settings.audit_checkpoint_entries,
                min_seconds=settings.audit_checkpoint_seconds,
            )
    except audit.CheckpointRefused as exc:
        # Never overwrite the evidence: the operator must look (onewindow audit verify).
        log.error("audit checkpoint refused: %s", exc.detail)
    except OSError as exc:
        log.error("audit checkpoint file cannot be written: %s", exc)
