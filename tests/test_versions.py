"""Data held in memory per process is never stale once a change commits, and never holds what
a transaction that rolled back wrote."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update

from onewindow import versions
from onewindow.db import session_scope
from onewindow.money import Money
from onewindow.reference import service as reference
from onewindow.reference.models import ExchangeRate
from onewindow.tariff import service as tariff
from onewindow.tariff.engine import MeasureType
from onewindow.tariff.models import DeMinimisRule

ON = date(2031, 5, 4)


def _rate(currency: str = "XTS") -> Decimal | None:
    with session_scope() as session:
        return reference.exchange_rates_on(session, [currency], ON).get(currency)


def _queries_to_read_rate() -> int:
    """How many queries a transaction reading the rates sends besides its one check of the data
    versions (0 when the process holds the rates)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    sent: list[str] = []

    def count(*args: object) -> None:
        sent.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        with session_scope() as session:
            reference.exchange_rates_on(session, ["XTS"], ON)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    return len([s for s in sent if "data_version" not in s and not s.startswith("BEGIN")])


def test_a_committed_change_is_read_at_once_by_the_next_transaction() -> None:
    with session_scope() as session:
        reference.set_exchange_rate(session, currency="XTS", rate=Decimal("2.5"), valid_from=ON)
    assert _rate() == Decimal("2.5")
    assert _rate() == Decimal("2.5")  # now from memory
    assert _queries_to_read_rate() == 0
    with session_scope() as session:
        reference.set_exchange_rate(session, currency="XTS", rate=Decimal("3.75"), valid_from=ON)
    assert _rate() == Decimal("3.75")


def test_a_change_made_outside_the_objects_is_seen_too() -> None:
    with session_scope() as session:
        reference.set_exchange_rate(session, currency="XTS", rate=Decimal("4"), valid_from=ON)
    assert _rate() == Decimal("4")
    with session_scope() as session:  # an ORM UPDATE statement, no object loaded
        session.execute(
            update(ExchangeRate).where(ExchangeRate.currency == "XTS").values(rate=Decimal("5"))
        )
    assert _rate() == Decimal("5")


def test_a_transaction_sees_its_own_change_and_a_rollback_leaves_nothing_behind() -> None:
    with session_scope() as session:
        reference.set_exchange_rate(session, currency="XTS", rate=Decimal("6"), valid_from=ON)
    assert _rate() == Decimal("6")
    with pytest.raises(RuntimeError), session_scope() as session:
        assert reference.exchange_rates_on(session, ["XTS"], ON)["XTS"] == Decimal("6")
        reference.set_exchange_rate(session, currency="XTS", rate=Decimal("7"), valid_from=ON)
        assert reference.exchange_rates_on(session, ["XTS"], ON)["XTS"] == Decimal("7")
        raise RuntimeError("roll back")
    assert _rate() == Decimal("6")


def test_tariff_reliefs_follow_their_table() -> None:
    with session_scope() as session:
        before = len(tariff._reliefs(session))
        count = session.scalar(select(func.count()).select_from(DeMinimisRule))
    assert before == count
    with session_scope() as session:
        tariff.set_de_minimis(
            session,
            threshold=Money(Decimal("150"), "GBP"),
            relieves=[MeasureType.CUSTOMS_DUTY],
            valid_from=date(2031, 1, 1),
            label="test relief",
        )
    with session_scope() as session:
        assert len(tariff._reliefs(session)) == before + 1


def test_a_data_set_without_a_version_gets_one_and_is_then_held() -> None:
    with session_scope() as session:
        session.execute(
            delete(versions.DataVersion).where(versions.DataVersion.name == "exchange-rates")
        )
    _rate()  # the first read writes the data set's first version
    with session_scope() as session:
        assert session.get(versions.DataVersion, "exchange-rates") is not None
    _rate()
    assert _queries_to_read_rate() == 0
