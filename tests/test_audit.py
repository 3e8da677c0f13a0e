"""The audit log is append-only in effect: any edit or removal is found and named."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import delete, update

from onewindow import audit
from onewindow.audit import AuditEntry
from onewindow.db import session_scope


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
        entry.hash = audit._digest(entry)
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
