"""Events are written with their change, delivered at least once, and applied once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit, events, workers
from onewindow.db import session_scope
from onewindow.events import Event, OutboxEvent


@pytest.fixture()
def inbox() -> Iterator[list[str]]:
    received: list[str] = []

    def consume(session: object, event: Event) -> None:
        received.append(event.subject_id)

    events.subscribe("test-inbox", "test.", consume)
    yield received
    events.unsubscribe("test-inbox")


def _drain() -> None:
    for _ in range(20):
        with session_scope() as session:
            if not events.deliver_pending(session, limit=500):
                break


def test_an_event_of_a_rolled_back_change_is_never_delivered(inbox: list[str]) -> None:
    with pytest.raises(RuntimeError), session_scope() as session:
        events.record_event(session, "test.happened", "thing", "rolled-back")
        raise RuntimeError("the change failed")
    _drain()
    assert "rolled-back" not in inbox


def test_a_committed_event_is_delivered_once_even_when_redelivered(inbox: list[str]) -> None:
    with session_scope() as session:
        event_id = events.record_event(session, "test.happened", "thing", "once").id
    _drain()
    assert inbox.count("once") == 1
    # Simulate a worker that crashed after the consumer ran but before marking delivery.
    with session_scope() as session:
        row = session.get(OutboxEvent, event_id)
        assert row is not None and row.delivered_at is not None
        row.delivered_at = None
    _drain()
    assert inbox.count("once") == 1


def test_a_failing_consumer_is_retried_without_repeating_the_others(inbox: list[str]) -> None:
    calls: list[str] = []

    def flaky(session: object, event: Event) -> None:
        calls.append(event.subject_id)
        if len(calls) == 1:
            raise ConnectionError("partner down")

    events.subscribe("test-flaky", "test.", flaky)
    try:
        with session_scope() as session:
            event_id = events.record_event(session, "test.happened", "thing", "retry").id
        _drain()
        with session_scope() as session:
            row = session.get(OutboxEvent, event_id)
            assert row is not None
            assert row.delivered_at is None
            assert row.last_error and "partner down" in row.last_error
            row.next_attempt_at = row.occurred_at  # due now instead of after the backoff
        _drain()
        with session_scope() as session:
            row = session.get(OutboxEvent, event_id)
            assert row is not None and row.delivered_at is not None
        assert calls == ["retry", "retry"]
        assert inbox.count("retry") == 1
    finally:
        events.unsubscribe("test-flaky")


def test_events_of_other_topics_do_not_reach_the_consumer(inbox: list[str]) -> None:
    with session_scope() as session:
        events.record_event(session, "other.happened", "thing", "elsewhere")
    _drain()
    assert "elsewhere" not in inbox
    with session_scope() as session:
        delivered = session.scalars(
            select(OutboxEvent.delivered_at).where(OutboxEvent.subject_id == "elsewhere")
        ).one()
    assert delivered is not None


def test_the_worker_commits_each_event_before_taking_the_next() -> None:
    # Holding one event's locks while taking the next one's is how workers deadlock requests.
    transactions: dict[str, object] = {}

    def consume(session: Session, event: Event) -> None:
        transactions[event.subject_id] = session.get_transaction()

    events.subscribe("test-order", "test.ordered", consume)
    try:
        with session_scope() as session:
            events.record_event(session, "test.ordered", "thing", "first")
            events.record_event(session, "test.ordered", "thing", "second")
        # Other tests' events may be due before these two: run until both were handed over.
        for _ in range(100):
            if workers.run_once() == 0 or set(transactions) == {"first", "second"}:
                break
    finally:
        events.unsubscribe("test-order")
    assert set(transactions) == {"first", "second"}
    assert transactions["first"] is not transactions["second"]


def test_audit_entries_of_a_savepoint_are_chained_at_the_outermost_commit() -> None:
    # Chaining takes the audit head's lock: only at the end of the whole transaction.
    with session_scope() as session:
        with session.begin_nested():
            entry = audit.record(
                session, actor="user:1", action="test.nested", subject_type="test", subject_id=1
            )
        assert entry.seq is None
        session.flush()
        assert entry.seq is None
    assert entry.seq is not None
