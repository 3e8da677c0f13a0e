"""Domain events through a transactional outbox.

A state change and its event are written in one transaction (:func:`record_event`). The worker
(:func:`deliver_pending`) claims undelivered rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
hands each to every consumer registered for its topic. Delivery is at least once; each consumer is
made idempotent by the ``event_receipt`` ledger: an event a consumer has acknowledged is never
handed to it again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from onewindow import audit
from onewindow.db import Base, JSONType, UTCDateTime, is_postgres, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12


class OutboxEvent(Base):
    """An event waiting for (or done with) delivery."""

    __tablename__ = "outbox_event"
    # Only undelivered rows, in due order: a claim reads the first one, however long the history.
    __table_args__ = (
        Index(
            "ix_outbox_event_due",
            "next_attempt_at",
            postgresql_where=text("delivered_at IS NULL"),
            sqlite_where=text("delivered_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    topic: Mapped[str] = mapped_column(String(100), index=True)
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class EventReceipt(Base):
    """A consumer's acknowledgement of one event: what makes redelivery harmless."""

    __tablename__ = "event_receipt"
    __table_args__ = (UniqueConstraint("consumer", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str] = mapped_column(ForeignKey("outbox_event.id"))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Event:
    """What a consumer is handed."""

    id: str
    topic: str
    subject_type: str
    subject_id: str
    organisation_id: int | None
    payload: dict[str, Any]
    occurred_at: datetime


Consumer = Callable[[Session, Event], None]


@dataclass(frozen=True)
class Subscription:
    name: str
    topic_prefix: str
    handle: Consumer


_SUBSCRIPTIONS: list[Subscription] = []


def subscribe(name: str, topic_prefix: str, handle: Consumer) -> None:
    """Register ``handle`` under a stable ``name`` for topics starting with ``topic_prefix``.

    The name keys the consumer's receipts, so it must not change between releases.
    """
    if any(s.name == name for s in _SUBSCRIPTIONS):
        raise ValueError(f"a consumer named {name!r} is already subscribed")
    _SUBSCRIPTIONS.append(Subscription(name, topic_prefix, handle))


def unsubscribe(name: str) -> None:
    """Remove the consumer ``name`` (tests and plug-ins use this)."""
    _SUBSCRIPTIONS[:] = [s for s in _SUBSCRIPTIONS if s.name != name]


def record_event(
    session: Session,
    topic: str,
    subject_type: str,
    subject_id: str | int,
    payload: dict[str, Any] | None = None,
    *,
    organisation_id: int | None = None,
) -> OutboxEvent:
    """Write an event in the caller's transaction: it exists if and only if the change does."""
    now = utcnow()
    row = OutboxEvent(
        id=str(uuid.uuid4()),
        topic=topic,
        subject_type=subject_type,
        subject_id=str(subject_id),
        organisation_id=organisation_id,
        payload=payload or {},
        occurred_at=now,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(row)
    return row


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 3600))


def _claim(session: Session, limit: int) -> list[OutboxEvent]:
    query = (
        select(OutboxEvent)
        .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.next_attempt_at <= utcnow())
        .where(OutboxEvent.attempts < MAX_ATTEMPTS)
        .order_by(OutboxEvent.next_attempt_at)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _deliver_one(session: Session, row: OutboxEvent) -> None:
    event = Event(
        row.id,
        row.topic,
        row.subject_type,
        row.subject_id,
        row.organisation_id,
        row.payload,
        row.occurred_at,
    )
    done = set(
        session.scalars(select(EventReceipt.consumer).where(EventReceipt.event_id == row.id))
    )
    for sub in _SUBSCRIPTIONS:
        if not row.topic.startswith(sub.topic_prefix) or sub.name in done:
            continue
        # Each consumer runs in a savepoint with its receipt: it is applied once or not at all.
        mark = audit.pending_count(session)
        try:
            with session.begin_nested():
                sub.handle(session, event)
                session.add(EventReceipt(consumer=sub.name, event_id=row.id, processed_at=utcnow()))
        except Exception:
            audit.discard_pending(session, mark)
            raise


def _attempt(session: Session, row: OutboxEvent) -> bool:
    """Hand ``row`` to its consumers; return whether it is now fully delivered."""
    row.attempts += 1
    try:
        _deliver_one(session, row)
    except Exception as exc:  # a consumer's failure must not stop the others' events
        log.warning("event %s (%s) failed: %s", row.id, row.topic, exc)
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        row.next_attempt_at = utcnow() + _backoff(row.attempts)
        return False
    row.delivered_at = utcnow()
    row.last_error = None
    return True


def deliver_next(session: Session) -> bool:
    """Claim the oldest due event and deliver it; return whether there was one.

    The worker's unit of work: it commits after each event, so a transaction holds the locks
    of one event's consumers (outbox row first, the audit head last, at commit) and never the
    locks of a whole batch, which requests take in their own order.
    """
    if is_postgres(session):
        # A delivery lost in a crash is delivered again (its row and its consumers' work commit
        # together, and consumers are idempotent): the worker need not wait for the disk.
        session.execute(text("SET LOCAL synchronous_commit = off"))
    claimed = _claim(session, 1)
    if not claimed:
        return False
    _attempt(session, claimed[0])
    session.flush()
    return True


def deliver_pending(session: Session, limit: int = 100) -> int:
    """Deliver up to ``limit`` due events in the caller's transaction; return how many were
    fully delivered (set-up and tests; the worker commits per event with :func:`deliver_next`).

    A consumer that fails leaves the event undelivered for a later attempt with exponential
    backoff; the consumers that succeeded keep their receipts and are not called again.
    """
    delivered = sum(_attempt(session, row) for row in _claim(session, limit))
    session.flush()
    return delivered
