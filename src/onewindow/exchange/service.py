"""The partner gateway's door: what other domains, routes, pages, the CLI and the worker call.

- sending and receiving: :func:`send`, :func:`on_message`, :func:`receive`,
  :func:`receive_batch`, :func:`deliver_due` (``gateway``);
- our keys and the partner register (``register``);
- what the flow reads: :func:`origin_proof` (a preference's proof of origin), :func:`exports_for`
  (a partner's export data for an import) (``trade``);
- the message log, searchable, for customs and administrators.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onewindow import events
from onewindow.db import utcnow
from onewindow.errors import NotFound
from onewindow.exchange import access
from onewindow.exchange.documents import aeo_status_list, certificate_of_origin, export_declaration
from onewindow.exchange.envelope import MESSAGE_TYPES
from onewindow.exchange.gateway import (
    ACCEPTED,
    ACKNOWLEDGED,
    FAILED,
    IN,
    OUT,
    PENDING,
    STATUS_LABELS,
    BatchResult,
    Receipt,
    Received,
    deliver_due,
    off_message,
    on_message,
    receive,
    receive_batch,
    retry,
    send,
)
from onewindow.exchange.models import Message, Partner
from onewindow.exchange.register import (
    add_signing_key,
    certificates_of,
    get_partner,
    partner_countries,
    partners,
    pin_certificate,
    register_partner,
    signing_keys,
    use_signing_key,
    withdraw_certificate,
)
from onewindow.exchange.schemas import (
    CertificateOut,
    KeyOut,
    MessageDetailOut,
    MessageOut,
    PartnerOut,
)
from onewindow.exchange.trade import (
    OriginProof,
    certificates_received,
    exports_for,
    origin_proof,
)
from onewindow.security import Principal

__all__ = [
    "ACCEPTED",
    "ACKNOWLEDGED",
    "FAILED",
    "IN",
    "MESSAGE_TYPES",
    "OUT",
    "PENDING",
    "BatchResult",
    "OriginProof",
    "Receipt",
    "Received",
    "add_signing_key",
    "aeo_status_list",
    "certificate_of_origin",
    "certificates_received",
    "deliver_due",
    "export_declaration",
    "exports_for",
    "get_partner",
    "off_message",
    "on_message",
    "origin_proof",
    "partner_countries",
    "partners",
    "pin_certificate",
    "receive",
    "receive_batch",
    "register_consumers",
    "register_partner",
    "retry",
    "send",
    "signing_keys",
    "use_signing_key",
    "withdraw_certificate",
]


def register_consumers() -> None:
    """Send certificates of origin and released exports to partners; keep what partners send
    (safe to call more than once)."""
    from onewindow.exchange import trade

    events.unsubscribe("exchange.certificates_of_origin")
    events.unsubscribe("exchange.export_declarations")
    events.subscribe(
        "exchange.certificates_of_origin", "permits.certificate_issued", trade.certificate_issued
    )
    events.subscribe(
        "exchange.export_declarations", "declaration.released", trade.declaration_released
    )
    on_message("certificate-of-origin", trade.receive_certificate)
    on_message("export-declaration", trade.receive_export)


# Views -----------------------------------------------------------------------------------------


def partner_view(session: Session, partner: Partner) -> PartnerOut:
    now = utcnow()
    return PartnerOut(
        country=partner.country,
        name=partner.name,
        endpoint=partner.endpoint,
        active=partner.active,
        certificates=[
            CertificateOut(
                fingerprint=c.fingerprint,
                subject=c.subject,
                valid_from=c.valid_from,
                valid_to=c.valid_to,
                withdrawn_at=c.withdrawn_at,
                valid_now=c.withdrawn_at is None and c.valid_from <= now <= c.valid_to,
            )
            for c in certificates_of(session, partner.id)
        ],
    )


def key_views(session: Session) -> list[KeyOut]:
    return [
        KeyOut(
            fingerprint=k.fingerprint,
            algorithm=k.algorithm,
            valid_from=k.valid_from,
            valid_to=k.valid_to,
            signing=k.signing,
            certificate=k.certificate_pem,
        )
        for k in signing_keys(session)
    ]


def _fields(row: Message) -> dict[str, object]:
    return {
        "id": row.id,
        "direction": row.direction,
        "message_id": row.message_id,
        "partner_country": row.partner_country,
        "message_type": row.message_type,
        "reference": row.reference,
        "created": row.created,
        "status": row.status,
        "status_label": STATUS_LABELS.get(row.status, row.status),
        "signature_check": row.signature_check,
        "acknowledged_at": row.acknowledged_at,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "last_error": row.last_error,
    }


def message_view(row: Message) -> MessageOut:
    return MessageOut.model_validate(_fields(row))


def message_detail(row: Message) -> MessageDetailOut:
    return MessageDetailOut.model_validate(
        {**_fields(row), "xml": row.xml, "acknowledgement": row.acknowledgement}
    )


def search_messages(
    session: Session,
    principal: Principal,
    *,
    direction: str | None = None,
    partner: str | None = None,
    message_type: str | None = None,
    status: str | None = None,
    text: str | None = None,
    limit: int = 100,
) -> Sequence[Message]:
    """Messages in and out, newest first, by direction, partner, type, status, or a message
    id or reference (customs and administrators only)."""
    access.require_read(principal)
    query = select(Message)
    if direction:
        query = query.where(Message.direction == direction)
    if partner:
        query = query.where(Message.partner_country == partner)
    if message_type:
        query = query.where(Message.message_type == message_type)
    if status:
        query = query.where(Message.status == status)
    if text:
        query = query.where(or_(Message.message_id == text, Message.reference == text))
    return session.scalars(query.order_by(Message.id.desc()).limit(limit)).all()


def get_message(session: Session, principal: Principal, row_id: int) -> Message:
    access.require_read(principal)
    row = session.get(Message, row_id)
    if row is None:
        raise NotFound("No partner message has this id.")
    return row


def count_by_status(session: Session) -> dict[tuple[str, str], int]:
    """How many messages each (direction, status) counts (the log's summary, the benchmark)."""
    from sqlalchemy import func

    rows = session.execute(
        select(Message.direction, Message.status, func.count()).group_by(
            Message.direction, Message.status
        )
    )
    return {(d, s): int(n) for d, s, n in rows}
