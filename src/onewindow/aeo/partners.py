"""AEO status lists over the partner gateway: ours go to every partner that recognises our AEOs
as a certificate changes (or in full on request), theirs are applied as they arrive.

The gateway (``exchange``) signs, delivers and receives; this module only translates between
its message records and :class:`~onewindow.aeo.recognition.OperatorStatus`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from onewindow import events
from onewindow.aeo.recognition import (
    OperatorStatus,
    apply_partner_status,
    recognising,
    status_list,
)
from onewindow.db import utcnow
from onewindow.exchange import service as exchange

MESSAGE_TYPE = "aeo-status-list"

# The gateway's record fields and ours, where their names differ; a live certificate's status
# is "valid" on the wire (the message schema's word) and "active" here.
_RENAMED = {"operator_id": "identifier", "validation_date": "validated_on"}
_WIRE_STATUS = {"active": "valid"}


def _outgoing(status: OperatorStatus) -> dict[str, Any]:
    ours = status.as_dict()
    record = {theirs: ours.get(mine) for theirs, mine in _RENAMED.items()}
    for key in ("consent", "name", "address", "tier", "suspended_on", "revoked_on"):
        record[key] = ours.get(key)
    record["status"] = _WIRE_STATUS.get(status.status, status.status)
    return record


def _incoming(record: dict[str, Any]) -> dict[str, Any]:
    ours = {_RENAMED.get(key, key): value for key, value in record.items()}
    status = str(ours.get("status") or "")
    ours["status"] = {v: k for k, v in _WIRE_STATUS.items()}.get(status, status)
    return ours


def receive_status_list(session: Session, message: exchange.Received) -> str:
    """Apply a partner's status list in the transaction that stores the message; the message
    log shows what it changed."""
    applied = apply_partner_status(
        session,
        message.partner_country,
        [_incoming(r) for r in message.record["operators"]],
        full=bool(message.record["full"]),
        message_id=message.message_id,
    )
    scope = "full list" if applied.full else "changes"
    return (
        f"{scope}: {applied.created} new, {applied.updated} changed, {applied.withdrawn} withdrawn"
    )


def _partners(session: Session) -> list[str]:
    """Partners that both recognise our AEOs and exchange with us through the gateway."""
    connected = exchange.partner_countries(session)
    return [c for c in recognising(session, utcnow().date()) if c in connected]


def send_changes(session: Session, organisation_id: int) -> int:
    """Tell every recognising partner of one holder's certificate as it stands now; returns how
    many messages were queued (none if the holder did not consent to sharing)."""
    changed = status_list(session, since=None, organisation_id=organisation_id)
    if not changed:
        return 0
    body = exchange.aeo_status_list([_outgoing(s) for s in changed], full=False)
    sent = 0
    for country in _partners(session):
        exchange.send(session, country, MESSAGE_TYPE, body, reference=changed[0].identifier)
        sent += 1
    return sent


def send_full_list(session: Session, partner_country: str) -> None:
    """Send a partner our whole list (it then withdraws whoever is not on it)."""
    body = exchange.aeo_status_list(
        [_outgoing(s) for s in status_list(session, since=None)], full=True
    )
    exchange.send(session, partner_country, MESSAGE_TYPE, body, reference="full list")


def _on_status_changed(session: Session, event: events.Event) -> None:
    if event.organisation_id is not None:
        send_changes(session, event.organisation_id)


def register_consumers() -> None:
    """Send our changes as certificates change; apply partners' lists (safe to call twice)."""
    events.unsubscribe("aeo.partner_status_lists")
    events.subscribe("aeo.partner_status_lists", "aeo.status_changed", _on_status_changed)
    exchange.on_message(MESSAGE_TYPE, receive_status_list)
