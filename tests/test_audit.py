"""The audit log is append-only in effect: any edit or removal is found and named, even when the
whole tail and the head are re-hashed, by anyone without the key and the checkpoint file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update

from onewindow import audit, migrations, workers
from onewindow.audit import AuditEntry, AuditHead
from onewindow.config import get_settings
from onewindow.db import session_scope, utcnow


def _append(n: int) -> list[int]:
    with session_scope() as session:
        entries = [
            audit.record(
                session,
                actor="user:1",
                action="test.decision",
                subject_type="test",
                subject_id=i,
                reason=f"reason {i}",
                data={"amount": "10.00", "i": i},
            )
            for i in range(n)
        ]
    # Entries are numbered when their transaction commits.
    return [entry.seq for entry in entries]


def _verify() -> audit.Verification:
    with session_scope() as session:
        return audit.verify(session)


def _restore(seq: int, **values: object) -> None:
    with session_scope() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(**values))


def test_an_untouched_chain_verifies() -> None:
    _append(3)
    result = _verify()
    assert result.ok, result.problem
    assert result.checked >= 3


def test_an_entry_edited_in_the_database_is_named() -> None:
    seqs = _append(3)
    target = seqs[1]
    with session_scope() as session:
        original = session.get(AuditEntry, target)
        assert original is not None
        reason = original.reason
        session.execute(
            update(AuditEntry).where(AuditEntry.seq == target).values(reason="nothing to see")
        )
    result = _verify()
    assert not result.ok
    assert result.first_bad_seq == target
    assert f"entry {target} was altered" in result.problem
    _restore(target, reason=reason)
    assert _verify().ok


def test_an_entry_rewritten_with_a_fresh_hash_is_still_named() -> None:
    seqs = _append(3)
    target = seqs[1]
    with session_scope() as session:
        entry = session.get(AuditEntry, target)
        assert entry is not None
        old_reason, old_hash = entry.reason, entry.hash
        entry.reason = "forged"
        entry.hash = audit.unkeyed_digest(entry)
    result = _verify()
    assert not result.ok and result.first_bad_seq == target
    _restore(target, reason=old_reason, hash=old_hash)
    assert _verify().ok


def test_a_removed_entry_is_named_and_the_cli_reports_it() -> None:
    seqs = _append(4)
    target = seqs[2]
    with session_scope() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == target))
    result = _verify()
    assert not result.ok
    assert result.first_bad_seq == target
    assert "removed" in result.problem
    run = subprocess.run(
        [sys.executable, "-m", "onewindow", "audit", "verify"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )
    assert run.returncode == 1
    assert f"audit log broken at entry {target}" in run.stdout
    assert "Traceback" not in run.stderr
    # Put the chain back together so that other tests see an intact log.
    with session_scope() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq > target))
        from onewindow.audit import AuditHead

        last = session.get(AuditEntry, target - 1)
        assert last is not None
        session.execute(update(AuditHead).values(seq=last.seq, hash=last.hash))
    assert _verify().ok


# The attacker of these tests can write the database but holds neither the key nor the file.


def _cli(*args: str, checkpoint_file: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ONEWINDOW_AUDIT_CHECKPOINT_FILE": str(checkpoint_file)}
    return subprocess.run(
        [sys.executable, "-m", "onewindow", "audit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def _columns(entry: AuditEntry) -> dict[str, Any]:
    return {c.key: getattr(entry, c.key) for c in AuditEntry.__table__.columns}


@pytest.fixture()
def snapshot() -> Iterator[None]:
    """Whatever a test does to the chain, the next test finds it as it was."""
    with session_scope() as session:
        head = session.get(AuditHead, 1)
        assert head is not None
        saved_head = (head.seq, head.hash)
        tail = [_columns(e) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    yield
    with session_scope() as session:
        session.execute(delete(AuditEntry))
        session.execute(insert(AuditEntry), tail)
        session.execute(update(AuditHead).values(seq=saved_head[0], hash=saved_head[1]))
    assert _verify().ok


def _rewrite_from(seq: int, digest: Callable[[AuditEntry], str]) -> None:
    """Edit entry ``seq``, re-hash it and every later entry with ``digest``, rewrite the head."""
    with session_scope() as session:
        entries = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)
            )
        )
        before = session.get(AuditEntry, seq - 1)
        prev = before.hash if before is not None else audit.GENESIS
        entries[0].reason = "nothing to see here"
        for entry in entries:
            entry.prev_hash = prev
            entry.hash = prev = digest(entry)
        session.execute(update(AuditHead).values(seq=entries[-1].seq, hash=prev))


@pytest.mark.parametrize(
    "digest",
    [audit.unkeyed_digest, lambda e: audit.keyed_digest(e, b"a guessed key of the attacker")],
    ids=["plain-sha256", "wrong-key"],
)
def test_rewriting_an_entry_the_tail_and_the_head_without_the_key_is_named(
    snapshot: None, digest: Callable[[AuditEntry], str]
) -> None:
    seqs = _append(4)
    _rewrite_from(seqs[1], digest)
    result = _verify()
    assert not result.ok
    assert result.first_bad_seq == seqs[1]
    assert "altered" in result.problem


def test_a_rewrite_with_the_key_is_caught_by_the_checkpoint(snapshot: None, tmp_path: Path) -> None:
    # Someone holding the key, but not the checkpoint file, rewrites history.
    seqs = _append(3)
    with session_scope() as session:
        written = audit.write_checkpoint(session, tmp_path / "cp.jsonl")
    assert written is not None and written.seq == seqs[-1]
    key = audit.chain_key()
    _rewrite_from(seqs[0], lambda e: audit.keyed_digest(e, key))
    with session_scope() as session:
        result = audit.verify(session, checkpoint_file=tmp_path / "cp.jsonl")
    assert not result.ok
    assert result.first_bad_seq == seqs[-1]
    assert "differs from the checkpoint" in result.problem


def test_deleting_the_tail_after_a_checkpoint_is_named(snapshot: None, tmp_path: Path) -> None:
    checkpoints = tmp_path / "checkpoints.jsonl"
    seqs = _append(3)
    assert _cli("checkpoint", checkpoint_file=checkpoints).returncode == 0
    with session_scope() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq >= seqs[1]))
        last = session.get(AuditEntry, seqs[0])
        assert last is not None
        session.execute(update(AuditHead).values(seq=last.seq, hash=last.hash))
    with session_scope() as session:
        result = audit.verify(session, checkpoint_file=checkpoints)
    assert not result.ok and result.first_bad_seq == seqs[1]
    assert f"entries {seqs[1]} to {seqs[2]} were removed" in result.problem
    run = _cli("verify", checkpoint_file=checkpoints)
    assert run.returncode == 1
    assert f"audit log broken at entry {seqs[1]}" in run.stdout
    # A worker never publishes the shortened chain over the evidence.
    again = _cli("checkpoint", checkpoint_file=checkpoints)
    assert again.returncode == 1 and "no checkpoint written" in again.stdout
    assert len(checkpoints.read_text().splitlines()) == 1


def test_an_intact_chain_with_checkpoints_verifies(tmp_path: Path) -> None:
    checkpoints = tmp_path / "checkpoints.jsonl"
    _append(2)
    assert "checkpoint at entry" in _cli("checkpoint", checkpoint_file=checkpoints).stdout
    assert "nothing new" in _cli("checkpoint", checkpoint_file=checkpoints).stdout
    _append(1)
    _cli("checkpoint", checkpoint_file=checkpoints)
    lines = [json.loads(line) for line in checkpoints.read_text().splitlines()]
    assert len(lines) == 2 and set(lines[0]) == {"seq", "hash", "at", "prev", "mac"}
    assert lines[1]["prev"] == lines[0]["mac"]  # each line chains the one before
    run = _cli("verify", checkpoint_file=checkpoints)
    assert run.returncode == 0, run.stdout
    assert "audit log intact" in run.stdout and "2 checkpoints" in run.stdout


def test_an_edited_checkpoint_file_is_refused(tmp_path: Path) -> None:
    checkpoints = tmp_path / "checkpoints.jsonl"
    _append(1)
    with session_scope() as session:
        audit.write_checkpoint(session, checkpoints)
    line = json.loads(checkpoints.read_text())
    checkpoints.write_text(json.dumps({**line, "seq": line["seq"] - 1}) + "\n")
    with session_scope() as session:
        result = audit.verify(session, checkpoint_file=checkpoints)
    assert not result.ok
    assert "not signed with the audit key" in result.problem


def test_the_worker_publishes_the_head_every_n_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    checkpoints = tmp_path / "checkpoints.jsonl"
    monkeypatch.setattr(settings, "audit_checkpoint_file", checkpoints)
    monkeypatch.setattr(settings, "audit_checkpoint_entries", 3)
    monkeypatch.setattr(settings, "audit_checkpoint_seconds", 3600.0)
    _append(1)
    workers.publish_audit_head()  # the worker's step, without other tests' events
    assert len(checkpoints.read_text().splitlines()) == 1  # the first one at once
    _append(2)
    workers.publish_audit_head()  # the worker's step, without other tests' events
    assert len(checkpoints.read_text().splitlines()) == 1  # not due: 2 entries, not an hour
    seqs = _append(1)
    workers.publish_audit_head()  # the worker's step, without other tests' events
    lines = checkpoints.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[-1])["seq"] >= seqs[-1]


def _insert_unkeyed(url: str, count: int) -> None:
    """Entries as a release before the keyed chain wrote them: plain SHA-256."""
    with session_scope(url) as session:
        prev = audit.GENESIS
        for seq in range(1, count + 1):
            entry = AuditEntry(
                seq=seq,
                recorded_at=utcnow(),
                actor="user:1",
                organisation_id=None,
                action="test.old",
                subject_type="test",
                subject_id=str(seq),
                reason="written before the key",
                data={},
                prev_hash=prev,
            )
            entry.hash = prev = audit.unkeyed_digest(entry)
            session.execute(insert(AuditEntry), [_columns(entry)])
        session.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :seq, :hash)"),
            {"seq": count, "hash": prev},
        )


def test_entries_written_before_the_key_still_verify(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "20261123_0005")
    _insert_unkeyed(url, 3)
    migrations.upgrade(url)  # the head records that entries are keyed from 4 on, sealed
    with session_scope(url) as session:
        audit.record(session, actor="user:1", action="test.new", subject_type="test", subject_id=4)
    with session_scope(url) as session:
        head = session.get(AuditHead, 1)
        assert head is not None and head.keyed_from == 4 and head.seq == 4
        result = audit.verify(session, checkpoint_file=tmp_path / "none.jsonl")
        assert result.ok, result.problem
        assert result.checked == 4
        old = session.get(AuditEntry, 1)
        assert old is not None and old.hash == audit.unkeyed_digest(old)  # never re-hashed
    # Moving the boundary to pass the keyed entry off as an unkeyed one is caught.
    with session_scope(url) as session:
        session.execute(update(AuditHead).values(keyed_from=5))
        entry = session.get(AuditEntry, 4)
        assert entry is not None
        entry.reason = "forged"
        entry.hash = audit.unkeyed_digest(entry)
        session.execute(update(AuditHead).values(hash=entry.hash))
    with session_scope(url) as session:
        result = audit.verify(session, checkpoint_file=tmp_path / "none.jsonl")
    assert not result.ok and result.first_bad_seq == 4
