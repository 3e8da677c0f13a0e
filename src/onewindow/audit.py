"""The append-only audit log: every decision by a person or a rule, keyed and hash-chained.

Each entry's hash is an HMAC-SHA256, under a key kept outside the database
(``ONEWINDOW_AUDIT_KEY``, else derived from the secret key for this one purpose), of its content
and of the previous entry's hash. The chain's head is published now and then to an append-only
checkpoint file outside the database (``ONEWINDOW_AUDIT_CHECKPOINT_FILE``), one signed JSON line
``{seq, hash, at, prev, mac}`` per checkpoint, each chaining the line before it.
:func:`verify` walks the chain with the key, checks the checkpoint file, checks that every
checkpoint's entry is still in the database with the same hash, and names the first entry that
disagrees.

What it protects against: someone who can write the database, but holds neither the key nor the
checkpoint file, edits, removes or re-hashes entries (even every entry after the one edited and
the head): the keyed hashes do not match, and entries removed from the tail are missing from a
checkpoint. What it does not: someone who holds the key *and* can rewrite the checkpoint file can
rewrite history. Keep the file on another machine or on write-once (WORM) storage, and the key
out of the database's backups.

Entries written before the chain was keyed (databases older than migration 20261202_0008) keep
their plain SHA-256 hashes, never re-hashed: the head records from which ``seq`` entries are
keyed (``keyed_from``) with a seal, an HMAC of that number and of the last unkeyed hash, so the
boundary cannot be moved to pass keyed entries off as unkeyed ones.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, String, Text, event, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from onewindow.config import ConfigError, Settings, get_settings
from onewindow.db import Base, JSONType, UTCDateTime, utcnow
from onewindow.errors import Conflict
from onewindow.stages import stage

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_KEY_LABEL = b"onewindow/audit/chain/v1"


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
    """A single row holding the chain's tip; locking it serialises appends.

    ``keyed_from``: the first ``seq`` whose hash is keyed (1 unless the database held entries
    before the chain was keyed); when above 1, ``keyed_from_seal`` proves the key's holder set it.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    keyed_from: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    keyed_from_seal: Mapped[str | None] = mapped_column(String(64))


def chain_key(settings: Settings | None = None) -> bytes:
    """The key of the chain: ``ONEWINDOW_AUDIT_KEY``, else derived from the secret key.

    The derivation uses its own purpose label, so the chain's key is none of the other keys
    derived from the secret key (sessions, bank callbacks).
    """
    settings = settings or get_settings()
    if settings.audit_key:
        return settings.audit_key.encode()
    if settings.secret_key:
        return hmac.new(settings.secret_key.encode(), _KEY_LABEL, hashlib.sha256).digest()
    raise ConfigError(
        "ONEWINDOW_AUDIT_KEY is not set and neither is ONEWINDOW_SECRET_KEY, from which it would "
        "be derived: the audit log can be neither written nor checked."
    )


def _canonical(entry: AuditEntry) -> bytes:
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
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def unkeyed_digest(entry: AuditEntry) -> str:
    """The plain SHA-256 of an entry: how entries were hashed before the chain was keyed."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


def keyed_digest(entry: AuditEntry, key: bytes) -> str:
    """The HMAC-SHA256 of an entry under the chain's key."""
    return hmac.new(key, _canonical(entry), hashlib.sha256).hexdigest()


def keyed_from_seal(key: bytes, keyed_from: int, last_unkeyed_hash: str) -> str:
    """The seal of the boundary between unkeyed and keyed entries (see the module's note)."""
    message = f"keyed-from:{keyed_from}:{last_unkeyed_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


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
    """Append the transaction's entries to the chain, under a lock on its head.

    Lock order, the same on every path (requests, CLI, event worker), so that two transactions
    never wait on each other in a circle: outbox rows (worker claims) -> declaration -> payment
    -> payment request -> deferred account -> number series (receipts) -> audit head, always last.
    The head is taken here, at the outermost commit only: ``before_commit`` also fires when a
    savepoint is released, and taking it there would hold it while the rest of the transaction
    takes the locks listed before it.
    """
    if session.in_nested_transaction():
        return  # a savepoint: its entries wait for the outermost commit
    pending: list[AuditEntry] = session.info.pop(_PENDING, [])
    if not pending:
        return
    with stage("audit"):
        _chain(session, pending)


def _chain(session: Session, pending: list[AuditEntry]) -> None:
    key = chain_key()
    # The query flushes the transaction's changes first: their row locks are taken before this.
    head = session.scalars(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS, keyed_from=1)
        session.add(head)
    for entry in pending:
        entry.seq = head.seq + 1
        entry.prev_hash = head.hash
        entry.hash = keyed_digest(entry, key)
        head.seq, head.hash = entry.seq, entry.hash
    # One statement for all the entries (the ORM's bulk insert: no unit of work for each).
    session.execute(insert(AuditEntry), [_row(entry) for entry in pending])
    session.flush()


_COLUMNS = [column.key for column in AuditEntry.__table__.columns]


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _COLUMNS}


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
    """The outcome of :func:`verify`: ``ok``, how many entries and checkpoints were checked,
    and the first fault."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    checkpoints: int = 0


@dataclass(frozen=True)
class Checkpoint:
    """One published head: ``seq`` and ``hash`` as committed at ``at``, signed with the key."""

    seq: int
    hash: str
    at: str
    prev: str
    mac: str

    @staticmethod
    def signed(key: bytes, seq: int, hash: str, at: str, prev: str) -> Checkpoint:
        return Checkpoint(seq, hash, at, prev, _checkpoint_mac(key, seq, hash, at, prev))

    def line(self) -> str:
        content = {"seq": self.seq, "hash": self.hash, "at": self.at, "prev": self.prev}
        return json.dumps({**content, "mac": self.mac}, separators=(",", ":")) + "\n"


def _checkpoint_mac(key: bytes, seq: int, hash: str, at: str, prev: str) -> str:
    content = {"seq": seq, "hash": hash, "at": at, "prev": prev}
    message = b"checkpoint:" + json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class CheckpointRefused(Conflict):
    """The database's head is behind or beside the last checkpoint: the chain was cut."""


def _parse_checkpoint(text: str) -> Checkpoint:
    raw = json.loads(text)
    return Checkpoint(
        int(raw["seq"]), str(raw["hash"]), str(raw["at"]), str(raw["prev"]), str(raw["mac"])
    )


def _last_checkpoint(handle: Any) -> Checkpoint | None:
    """The file's last line (read from the end: the file only grows)."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - 8192))
    lines = [line for line in handle.read().splitlines() if line.strip()]
    return _parse_checkpoint(lines[-1].decode()) if lines else None


def write_checkpoint(
    session: Session,
    path: Path | None = None,
    *,
    min_entries: int = 1,
    min_seconds: float = 0.0,
) -> Checkpoint | None:
    """Publish the committed head to the checkpoint file when it is due; return the line.

    Due when the head moved since the last line by ``min_entries`` or more, or moved at all and
    ``min_seconds`` passed. The file is appended to under an exclusive lock, so several
    processes may share it. A head behind or beside the last checkpoint is never written: that
    is :class:`CheckpointRefused` (entries were removed or rewritten).
    """
    settings = get_settings()
    path = path or settings.audit_checkpoint_file
    key = chain_key(settings)
    head = session.get(AuditHead, 1, populate_existing=True)
    if head is None or head.seq == 0:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        last = _last_checkpoint(handle)
        now = utcnow()
        if last is not None:
            if head.seq < last.seq or (head.seq == last.seq and head.hash != last.hash):
                raise CheckpointRefused(
                    f"The audit head (entry {head.seq}) disagrees with the checkpoint of "
                    f"{last.at} (entry {last.seq}): run onewindow audit verify."
                )
            moved = head.seq - last.seq
            waited = (now - datetime.fromisoformat(last.at)).total_seconds()
            if moved == 0 or (moved < min_entries and waited < min_seconds):
                return None
        checkpoint = Checkpoint.signed(
            key, head.seq, head.hash, now.isoformat(), last.mac if last else GENESIS
        )
        handle.write(checkpoint.line().encode())
        handle.flush()
        os.fsync(handle.fileno())
    return checkpoint


def read_checkpoints(path: Path, key: bytes) -> tuple[list[Checkpoint], str]:
    """The checkpoints of the file, and what is wrong with it ("" when nothing is)."""
    if not path.exists():
        return [], ""
    checkpoints: list[Checkpoint] = []
    prev = GENESIS
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if not text.strip():
            continue
        try:
            cp = _parse_checkpoint(text)
        except (ValueError, KeyError, TypeError):
            return checkpoints, f"line {number} of {path} is not a checkpoint"
        expected = _checkpoint_mac(key, cp.seq, cp.hash, cp.at, cp.prev)
        if not hmac.compare_digest(expected, cp.mac):
            return checkpoints, f"line {number} of {path} is not signed with the audit key"
        if cp.prev != prev:
            return checkpoints, f"line {number} of {path} does not follow the line before it"
        if checkpoints and cp.seq < checkpoints[-1].seq:
            return checkpoints, f"line {number} of {path} goes back in the chain"
        checkpoints.append(cp)
        prev = cp.mac
    return checkpoints, ""


def verify(
    session: Session,
    *,
    key: bytes | None = None,
    checkpoint_file: Path | None = None,
    batch: int = 5000,
) -> Verification:
    """Walk the chain from the start; report the first entry altered, removed or out of place.

    Checks each entry's hash under ``key`` (the settings' key by default; plain SHA-256 before
    the head's ``keyed_from``), the checkpoint file's signatures, and that every checkpoint's
    entry is in the database with the hash it had.
    """
    key = key if key is not None else chain_key()
    path = checkpoint_file or get_settings().audit_checkpoint_file
    checkpoints, file_problem = read_checkpoints(path, key)
    if file_problem:
        return Verification(False, 0, None, f"the checkpoint file was altered: {file_problem}")
    published = {cp.seq: cp for cp in checkpoints}
    head = session.get(AuditHead, 1, populate_existing=True)
    keyed_from = head.keyed_from if head is not None else 1
    if keyed_from > 1 and (head is None or not head.keyed_from_seal):
        return Verification(
            False, 0, keyed_from, f"the head says entries are keyed from {keyed_from} unsealed"
        )
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
            keyed = entry.seq >= keyed_from
            digest = keyed_digest(entry, key) if keyed else unkeyed_digest(entry)
            if not hmac.compare_digest(digest, entry.hash):
                return Verification(
                    False, checked, entry.seq, f"entry {entry.seq} was altered after it was written"
                )
            if entry.seq == keyed_from - 1 and head is not None:
                seal = keyed_from_seal(key, keyed_from, entry.hash)
                if not hmac.compare_digest(seal, head.keyed_from_seal or ""):
                    return Verification(
                        False,
                        checked,
                        entry.seq,
                        f"entries up to {entry.seq}, written before the key, were altered",
                    )
            cp = published.get(entry.seq)
            if cp is not None and cp.hash != entry.hash:
                return Verification(
                    False,
                    checked,
                    entry.seq,
                    f"entry {entry.seq} differs from the checkpoint of {cp.at}",
                )
            expected_prev = entry.hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq
    if checkpoints and checkpoints[-1].seq > last_seq:
        cp = checkpoints[-1]
        return Verification(
            False,
            checked,
            last_seq + 1,
            f"entries {last_seq + 1} to {cp.seq} were removed: the checkpoint of {cp.at} saw them",
        )
    if head is None and last_seq:
        return Verification(False, checked, last_seq, "the chain's head was removed")
    if head is not None and head.seq != last_seq:
        return Verification(
            False, checked, last_seq + 1, f"entries after {last_seq} up to {head.seq} were removed"
        )
    if head is not None and head.hash != expected_prev:
        return Verification(False, checked, last_seq, f"entry {last_seq} was altered")
    return Verification(True, checked, checkpoints=len(checkpoints))


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
