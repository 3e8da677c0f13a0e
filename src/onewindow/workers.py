"""Background work of a server process or of ``onewindow worker``: outbox and webhooks.

Every consumer of every domain is registered here, in one place, so that a worker started alone
delivers exactly what the server's own worker does.
"""

from __future__ import annotations

import logging

from onewindow import clearance, events
from onewindow.db import session_scope
from onewindow.notifications import service as notifications
from onewindow.payments import service as payments

log = logging.getLogger(__name__)

_ = payments  # importing the payments service subscribes the bank callback consumer


def register_consumers() -> None:
    """Subscribe every domain's consumers (safe to call more than once)."""
    notifications.register_consumers()
    clearance.register_consumers()


def run_once(database_url: str | None = None) -> int:
    """Deliver due outbox events, then due webhooks; return how much was done."""
    with session_scope(database_url) as session:
        delivered = events.deliver_pending(session)
    # Webhooks are posted outside any transaction: a slow receiver must not hold a lock.
    sent = notifications.run_webhook_deliveries(database_url)
    return delivered + sent
