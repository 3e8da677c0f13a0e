"""Messages out and in.

Out: :func:`send` signs a message and writes it to the outbox in the caller's transaction;
:func:`deliver_due` (the worker) posts due messages to each partner, a batch per request, and
records each signed acknowledgement after checking its signature. A message acknowledged is
never sent again; one refused or unanswered is retried with exponential backoff, and after
``exchange_max_attempts`` marked failed, with the last error shown.

In: :func:`receive` checks the partner, its pinned certificate, the signature, the schema and
the timestamp, in that order, refusing with the reason and changing nothing; then stores the
message, applies it through the handler its type registered (:func:`on_message`) and signs an
acknowledgement, all in one transaction. A message received again with the same content gets
the same acknowledgement and changes nothing; the same id with other content is refused.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from lxml import etree
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onewindow.config import get_settings
from onewindow.db import is_postgres, session_scope, utcnow
from onewindow.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from onewindow.exchange import envelope, register, signing
from onewindow.exchange.documents import READERS
from onewindow.exchange.models import Message, Partner

log = logging.getLogger(__name__)

OUT, IN = "out", "in"
PENDING, ACKNOWLEDGED, FAILED, ACCEPTED = "pending", "acknowledged", "failed", "accepted"
STATUS_LABELS = {
    PENDING: "Waiting for the partner's acknowledgement",
    ACKNOWLEDGED: "Acknowledged by the partner",
    FAILED: "Not delivered: gave up retrying",
    ACCEPTED: "Received, applied and acknowledged",
}
LEASE = timedelta(seconds=60)
"""How long a delivery in flight keeps its messages from other workers."""


class PartnerRefused(Forbidden):
    """The partner, its certificate or the signature is not trusted."""

    type_slug = "partner-message-refused"


class MessageInvalid(InvalidInput):
    """The message does not meet its schema, or its time is outside the allowed window."""

    type_slug = "partner-message-invalid"


@dataclass(frozen=True)
class Received:
    """What a handler is given: who sent which message, and its body as a plain record."""

    id: int
    message_id: str
    partner_country: str
    message_type: str
    created: datetime
    record: dict[str, Any]
    body: etree._Element


Handler = Callable[[Session, Received], str | None]
"""Applies a received message in the receiving transaction; may return a reference (a
certificate's number) that the message log shows and searches by."""

_handlers: dict[str, Handler] = {}


def on_message(message_type: str, handler: Handler) -> None:
    """Let a domain apply received messages of ``message_type`` (registering again replaces)."""
    if message_type not in envelope.MESSAGE_TYPES:
        raise ValueError(f"{message_type!r} is not a message type")
    _handlers[message_type] = handler


def off_message(message_type: str) -> None:
    _handlers.pop(message_type, None)


# Sending ---------------------------------------------------------------------------------------


def send(
    session: Session,
    partner_country: str,
    message_type: str,
    body: etree._Element,
    *,
    reference: str = "",
) -> Message:
    """Sign a message for a partner and put it in the outbox, in the caller's transaction: it
    is sent if and only if the caller's change commits."""
    partner = register.get_partner(session, partner_country)
    envelope.validate_body(message_type, body)
    signer = register.current_signer(session)
    now = utcnow()
    message_id = str(uuid.uuid4())
    root = envelope.build_message(
        message_id, message_type, get_settings().country, partner.country, now, body
    )
    data = signing.sign(root, signer.key, signer.fingerprint)
    row = Message(
        direction=OUT,
        message_id=message_id,
        partner_country=partner.country,
        message_type=message_type,
        reference=reference[:70],
        created=now,
        status=PENDING,
        xml=data.decode(),
        digest=signing.digest(data),
        key_name=signer.fingerprint,
        signature_check=f"signed by us with key {signer.fingerprint}",
        attempts=0,
        next_attempt_at=now,
        recorded_at=now,
    )
    session.add(row)
    session.flush()
    return row


# Receiving -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """The signed acknowledgement, and whether the message was new (False: a repeat)."""

    message_id: str
    acknowledgement: str
    new: bool


class _Lookups:
    """What one request reads once for all its messages: partners, their certificates, our
    signer (a batch of a hundred messages asks the database once, not a hundred times)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.partners: dict[str, Partner | None] = {}
        self.certificates: dict[tuple[int, str | None, datetime], tuple[Any, str]] = {}
        self.signer: register.Signer | None = None
        self.seen: dict[tuple[str, str], Message] = {}
        self.looked: set[str] = set()

    def partner(self, country: str) -> Partner | None:
        if country not in self.partners:
            self.partners[country] = register.partner(self.session, country)
        return self.partners[country]

    def certificate(self, owner: Partner, fingerprint: str | None, at: datetime) -> tuple[Any, str]:
        # Keyed by the minute: validity is checked again when a batch spans one.
        key = (owner.id, fingerprint, at.replace(second=0, microsecond=0))
        if key not in self.certificates:
            self.certificates[key] = register.trusted_certificate(
                self.session, owner, fingerprint, at
            )
        return self.certificates[key]

    def current_signer(self) -> register.Signer:
        if self.signer is None:
            self.signer = register.current_signer(self.session)
        return self.signer

    def previous(self, sender: str, message_id: str) -> Message | None:
        found = self.seen.get((sender, message_id))
        if found is not None or message_id in self.looked:
            return found
        return _previous(self.session, sender, message_id)

    def prefetch(self, headers: Sequence[envelope.Header]) -> None:
        """Messages of the batch received before (one query)."""
        ids = [h.message_id for h in headers if h.message_id]
        if not ids:
            return
        # Looked up once: an id twice in one batch is caught by the unique key (a repeat).
        self.looked.update(ids)
        for row in self.session.scalars(
            select(Message).where(Message.direction == IN, Message.message_id.in_(ids))
        ):
            self.seen[(row.partner_country, row.message_id)] = row


def _previous(session: Session, sender: str, message_id: str) -> Message | None:
    if not sender or not message_id:
        return None
    return session.scalar(
        select(Message).where(
            Message.direction == IN,
            Message.partner_country == sender,
            Message.message_id == message_id,
        )
    )


def _repeat(found: Message, digest: str) -> Receipt:
    if found.digest != digest:
        raise Conflict(
            f"Message {found.message_id} from {found.partner_country} was already received "
            "with other content: a message id is never reused."
        )
    assert found.acknowledgement is not None
    return Receipt(found.message_id, found.acknowledgement, False)


def receive(session: Session, data: bytes, lookups: _Lookups | None = None) -> Receipt:
    """Check, store and apply one signed message from a partner; return its acknowledgement."""
    lookups = lookups or _Lookups(session)
    settings = get_settings()
    digest = signing.digest(data)
    try:
        root = envelope.parse(data)
    except envelope.SchemaRefused as exc:
        raise MessageInvalid(str(exc)) from None
    claimed = envelope.read_header(root)
    found = lookups.previous(claimed.sender, claimed.message_id)
    if found is not None:
        return _repeat(found, digest)
    partner = lookups.partner(claimed.sender) if claimed.sender else None
    if partner is None or not partner.active:
        raise PartnerRefused(
            f"The sender {claimed.sender or '(none)'} is not a registered partner."
        )
    now = utcnow()
    pinned, why = lookups.certificate(partner, signing.key_name(root), now)
    if pinned is None:
        raise PartnerRefused(f"Refused: {why}.")
    try:
        signed = signing.verify(data, signing.certificate(pinned.certificate_pem), now)
    except signing.SignatureRefused as exc:
        raise PartnerRefused(f"Refused: {exc}.") from None
    try:
        envelope.validate_message(signed)
    except envelope.SchemaRefused as exc:
        raise MessageInvalid(f"Refused: {exc}.") from None
    header = envelope.read_header(signed)
    if header.receiver != settings.country:
        raise MessageInvalid(
            f"Refused: the message is addressed to {header.receiver}, not to {settings.country}."
        )
    skew = timedelta(seconds=settings.exchange_clock_skew_seconds)
    if abs(now - header.created) > skew:
        raise MessageInvalid(
            f"Refused: the message was created at {envelope.timestamp(header.created)}, outside "
            f"the allowed window of {settings.exchange_clock_skew_seconds:g} s around "
            f"{envelope.timestamp(now)}."
        )
    row = Message(
        direction=IN,
        message_id=header.message_id,
        partner_country=partner.country,
        message_type=header.message_type,
        reference="",
        created=header.created,
        status=ACCEPTED,
        xml=data.decode(),
        digest=digest,
        key_name=pinned.fingerprint,
        signature_check=(
            f"verified with {partner.country}'s pinned certificate {pinned.fingerprint} "
            f"({pinned.subject}, valid to {pinned.valid_to:%Y-%m-%d})"
        ),
        attempts=1,
        recorded_at=now,
    )
    body = envelope.body_of(signed)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
            handler = _handlers.get(header.message_type)
            if handler is not None:
                received = Received(
                    row.id,
                    header.message_id,
                    partner.country,
                    header.message_type,
                    header.created,
                    READERS[header.message_type](body),
                    body,
                )
                row.reference = (handler(session, received) or "")[:70]
            signer = lookups.current_signer()
            ack = envelope.build_acknowledgement(
                header.message_id, settings.country, partner.country, digest, now
            )
            row.acknowledgement = signing.sign(ack, signer.key, signer.fingerprint).decode()
            row.acknowledged_at = now
            session.flush()
    except IntegrityError:
        # The same message, delivered twice at once: the other delivery stored it.
        found = _previous(session, partner.country, header.message_id)
        if found is None:
            raise
        return _repeat(found, digest)
    except DomainError as exc:
        if isinstance(exc, Conflict) and "signing key" in exc.detail:
            raise
        raise MessageInvalid(f"Refused: the message cannot be applied: {exc.detail}") from None
    assert row.acknowledgement is not None
    return Receipt(header.message_id, row.acknowledgement, True)


@dataclass(frozen=True)
class BatchResult:
    index: int
    status: int
    message_id: str | None = None
    acknowledgement: str | None = None
    detail: str | None = None


def receive_batch(session: Session, messages: Sequence[bytes]) -> list[BatchResult]:
    """Receive each message on its own (a refusal refuses that message only: its writes are
    in a savepoint of their own, and a refusal before them writes nothing)."""
    lookups = _Lookups(session)
    headers = []
    for data in messages:
        try:
            headers.append(envelope.read_header(envelope.parse(data)))
        except envelope.SchemaRefused:
            continue
    lookups.prefetch(headers)
    results = []
    for index, data in enumerate(messages):
        try:
            receipt = receive(session, data, lookups)
        except DomainError as exc:
            results.append(BatchResult(index, exc.status_code, detail=exc.detail))
            continue
        results.append(BatchResult(index, 200, receipt.message_id, receipt.acknowledgement, None))
    return results


# Delivering ------------------------------------------------------------------------------------


def _claim(session: Session, limit: int) -> list[Message]:
    now = utcnow()
    query = (
        select(Message)
        .where(Message.status == PENDING, Message.next_attempt_at <= now)
        .order_by(Message.next_attempt_at, Message.id)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + LEASE
    return rows


@dataclass(frozen=True)
class _Outcome:
    id: int
    acknowledgement: str | None
    error: str | None


def _check_acknowledgement(
    lookups: _Lookups, partner: Partner, row_message_id: str, digest: str, ack: str
) -> str | None:
    """Why a partner's acknowledgement is not good, or None when it is."""
    data = ack.encode()
    try:
        root = envelope.parse(data)
    except envelope.SchemaRefused as exc:
        return str(exc)
    pinned, why = lookups.certificate(partner, signing.key_name(root), utcnow())
    if pinned is None:
        return f"acknowledgement refused: {why}"
    try:
        signed = signing.verify(data, signing.certificate(pinned.certificate_pem), utcnow())
        envelope.validate_acknowledgement(signed)
    except (signing.SignatureRefused, envelope.SchemaRefused) as exc:
        return f"acknowledgement refused: {exc}"
    text = {etree.QName(e).localname: (e.text or "") for e in signed}
    if text.get("MessageId") != row_message_id or text.get("Digest") != digest:
        return "acknowledgement refused: it names another message or other content"
    if text.get("Sender") != partner.country:
        return "acknowledgement refused: it is not the partner's"
    return None


def _post(client: httpx.Client, endpoint: str, rows: Sequence[tuple[int, str]]) -> list[_Outcome]:
    """Post a batch; one outcome per message (an error for all when the call itself fails)."""
    try:
        answer = client.post(
            f"{endpoint}/api/v1/exchange/batches",
            json={"messages": [xml for _, xml in rows]},
        )
    except httpx.HTTPError as exc:
        return [_Outcome(i, None, f"the partner did not answer: {exc}") for i, _ in rows]
    try:
        payload = answer.json()
    except ValueError:
        payload = {}
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list):
        detail = payload.get("detail") if isinstance(payload, dict) else None
        error = f"HTTP {answer.status_code}: {detail or answer.text[:300]}"
        return [_Outcome(i, None, error) for i, _ in rows]
    outcomes = []
    for position, (row_id, _) in enumerate(rows):
        result = results[position] if position < len(results) else {}
        if result.get("status") == 200 and result.get("acknowledgement"):
            outcomes.append(_Outcome(row_id, str(result["acknowledgement"]), None))
        else:
            error = f"refused ({result.get('status')}): {result.get('detail') or 'no answer'}"
            outcomes.append(_Outcome(row_id, None, error))
    return outcomes


def deliver_due(database_url: str | None = None, limit: int | None = None) -> int:
    """Send due outbox messages to their partners (no transaction is held while posting);
    return how many were acknowledged."""
    settings = get_settings()
    limit = limit or settings.exchange_batch_size * 4
    with session_scope(database_url) as session:
        claimed = _claim(session, limit)
        batches: dict[str, list[tuple[int, str]]] = {}
        for row in claimed:
            batches.setdefault(row.partner_country, []).append((row.id, row.xml))
        endpoints = {
            p.country: p.endpoint for p in register.partners(session) if p.country in batches
        }
    if not claimed:
        return 0
    acknowledged = 0
    # Each batch's answers are checked and recorded while the next batch is on its way, so the
    # partner is not kept waiting for our bookkeeping.
    with (
        httpx.Client(timeout=settings.exchange_timeout_seconds) as client,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="exchange-post") as poster,
    ):
        posted: list[Future[list[_Outcome]]] = []
        for country, rows in batches.items():
            endpoint = endpoints.get(country)
            for start in range(0, len(rows), settings.exchange_batch_size):
                part = rows[start : start + settings.exchange_batch_size]
                if endpoint is None:
                    gone = [_Outcome(i, None, f"{country} is no longer a partner") for i, _ in part]
                    acknowledged += _record(database_url, gone)
                    continue
                posted.append(poster.submit(_post, client, endpoint, part))
                if len(posted) > 1:
                    acknowledged += _record(database_url, posted.pop(0).result())
        for future in posted:
            acknowledged += _record(database_url, future.result())
    return acknowledged


def _record(database_url: str | None, outcomes: Sequence[_Outcome]) -> int:
    settings = get_settings()
    acknowledged = 0
    with session_scope(database_url) as session:
        lookups = _Lookups(session)
        rows = {
            row.id: row
            for row in session.scalars(
                select(Message).where(Message.id.in_([o.id for o in outcomes]))
            )
        }
        for outcome in outcomes:
            row = rows.get(outcome.id)
            if row is None or row.status != PENDING:
                continue
            error = outcome.error
            partner = lookups.partner(row.partner_country)
            if outcome.acknowledgement is not None and partner is not None:
                error = _check_acknowledgement(
                    lookups, partner, row.message_id, row.digest, outcome.acknowledgement
                )
                if error is None:
                    row.status = ACKNOWLEDGED
                    row.acknowledgement = outcome.acknowledgement
                    row.acknowledged_at = utcnow()
                    row.last_error = None
                    row.next_attempt_at = None
                    acknowledged += 1
                    continue
            row.last_error = (error or "unknown")[:2000]
            if row.attempts >= settings.exchange_max_attempts:
                row.status = FAILED
                row.next_attempt_at = None
                log.error("partner message %s failed: %s", row.message_id, row.last_error)
            else:
                wait = settings.exchange_retry_seconds * 2 ** (row.attempts - 1)
                row.next_attempt_at = utcnow() + timedelta(seconds=min(wait, 3600))
    return acknowledged


def retry(session: Session, message_id: int) -> Message:
    """Send a failed message again from now (an administrator's decision)."""
    row = session.get(Message, message_id)
    if row is None or row.direction != OUT:
        raise NotFound("No message sent by us has this id.")
    if row.status != FAILED:
        raise Conflict("Only a message that failed is sent again.")
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, utcnow()
    return row
