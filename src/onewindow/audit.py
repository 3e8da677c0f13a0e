"""The append-only audit log: every decision by a person or a rule, hash-chained.

Each entry's hash covers its content and the previous entry's hash, so an entry edited or removed
directly in the database breaks the chain from that point; :func:`verify` names the first one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from onewindow.db import Base, JSONType, UTCDateTime, utcnow

GENESIS = "0" * 64


class AuditEntry(Base):
    """One decision: who, what, on which subject, why, when."""

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """A single row holding the chain's tip; locking it serialises appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


def _digest(entry: AuditEntry) -> str:
    content = {
        "seq": entry.seq,
        "recorded_at": entry.recorded_at.isoformat(),
        "actor": entry.actor,
        "organisation_id": entry.organisation_id,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "reason": entry.reason,
        "data": entry.data,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


_PENDING = "audit_pending"


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    reason: str = "",
    data: dict[str, Any] | None = None,
    organisation_id: int | None = None,
) -> AuditEntry:
    """Record a decision in the caller's transaction: it stands or falls with the decision.

    The entry is chained (numbered and hashed) when the transaction commits, so the lock on the
    chain's head is held for the commit only, not for the whole request. Its ``seq`` and
    ``hash`` are set then.
    """
    entry = AuditEntry(
        recorded_at=utcnow(),
        actor=actor,
        organisation_id=organisation_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        reason=reason,
        data=json.loads(json.dumps(data or {}, default=str)),
    )
    session.info.setdefault(_PENDING, []).append(entry)
    return entry


@event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    """Append the transaction's entries to the chain, under a lock on its head."""
    pending: list[AuditEntry] = session.info.pop(_PENDING, [])
    if not pending:
        return
    # The row lock on the head makes concurrent commits wait instead of forking the chain.
    head = session.scalars(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    for entry in pending:
        entry.seq = head.seq + 1
        entry.prev_hash = head.hash
        entry.hash = _digest(entry)
        session.add(entry)
        head.seq, head.hash = entry.seq, entry.hash
    session.flush()


def pending_count(session: Session) -> int:
    """How many entries wait for the transaction's commit (a mark for :func:`discard_pending`)."""
    return len(session.info.get(_PENDING, []))


def discard_pending(session: Session, mark: int) -> None:
    """Forget the entries recorded after ``mark``: their savepoint was rolled back."""
    del session.info.get(_PENDING, [])[mark:]


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`: ``ok``, how many entries were checked, the first fault."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify(session: Session, batch: int = 5000) -> Verification:
    """Walk the chain from the start; report the first entry altered, removed or out of place."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.seq > last_seq)
            .order_by(AuditEntry.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return Verification(
                    False, checked, expected_seq, f"entry {expected_seq} has been removed"
                )
            if entry.prev_hash != expected_prev:
                # The entry before was rewritten with a fresh hash: its successor still remembers.
                return Verification(
                    False,
                    checked,
                    entry.seq - 1,
                    f"entry {entry.seq - 1} was altered: entry {entry.seq} recorded another hash",
                )
            if _digest(entry) != entry.hash:
                return Verification(
                    False, checked, entry.seq, f"entry {entry.seq} was altered after it was written"
                )
            expected_prev = entry.hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq
    head = session.get(AuditHead, 1)
    if head is not None and head.seq != last_seq:
        return Verification(
            False, checked, last_seq + 1, f"entries after {last_seq} up to {head.seq} were removed"
        )
    if head is not None and head.hash != expected_prev:
        return Verification(False, checked, last_seq, f"entry {last_seq} was altered")
    return Verification(True, checked)


def entries_for(session: Session, subject_type: str, subject_id: str | int) -> list[AuditEntry]:
    """The decisions taken on one subject, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_type == subject_type)
            .where(AuditEntry.subject_id == str(subject_id))
            .order_by(AuditEntry.seq)
        )
    )


def entries_of_organisation(
    session: Session,
    organisation_id: int,
    *,
    limit: int = 100,
    before_seq: int | None = None,
    hidden_prefixes: tuple[str, ...] = (),
) -> list[AuditEntry]:
    """Decisions recorded about one organisation, newest first, a page at a time, without the
    actions whose names start with ``hidden_prefixes``."""
    query = select(AuditEntry).where(AuditEntry.organisation_id == organisation_id)
    for prefix in hidden_prefixes:
        query = query.where(~AuditEntry.action.startswith(prefix, autoescape=True))
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    return list(session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit)))
