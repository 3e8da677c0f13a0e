"""Selectivity rates are set by risk officers, stored, audited and applied."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from onewindow import audit
from onewindow.db import session_scope, utcnow
from onewindow.parties import service as parties
from onewindow.risk import service
from onewindow.risk.models import RiskSetting
from onewindow.security import Principal
from tests.conftest import Party
from tests.declarations.factory import declaration


@pytest.fixture(autouse=True)
def stored_rates_removed() -> Iterator[None]:
    previous = service.rates()
    yield
    with session_scope() as session:
        session.execute(delete(RiskSetting))
    service.set_rates(**{name: getattr(previous, name) for name in service.SETTABLE})


def test_a_risk_officer_sets_the_random_rate_and_it_selects(
    client: TestClient, party: Party, customs: Party
) -> None:
    changed = client.put("/api/v1/risk/settings", json={"random_rate": 1.0}, headers=customs.auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["random_rate"] == 1.0
    assert client.get("/api/v1/risk/settings", headers=customs.auth).json()["random_rate"] == 1.0
    lodged = client.post("/api/v1/declarations", json=declaration(), headers=party.auth).json()
    assert lodged["status"] == "under_control"
    assert lodged["channel"] in {"yellow", "red"}
    with session_scope() as session:
        entries = session.query(audit.AuditEntry).filter_by(action="risk.rates_configured").all()
    assert entries and entries[-1].data["after"] == {"random_rate": 1.0}


def test_stored_rates_reach_a_process_that_did_not_set_them(customs: Party) -> None:
    with session_scope() as session:
        session.add(
            RiskSetting(name="random_rate", value=0.5, updated_by="elsewhere", updated_at=utcnow())
        )
    with session_scope() as session:
        assert service.refresh_rates(session, force=True).random_rate == 0.5


def test_only_customs_sets_rates_and_values_are_checked(
    client: TestClient, party: Party, customs: Party
) -> None:
    refused = client.put("/api/v1/risk/settings", json={"random_rate": 0.5}, headers=party.auth)
    assert refused.status_code == 403
    bad = client.put(
        "/api/v1/risk/settings", json={"random_rate": 1.5, "seed": "x"}, headers=customs.auth
    )
    assert bad.status_code == 422
    assert {e["pointer"] for e in bad.json()["errors"]} == {"/body/random_rate", "/body/seed"}
    assert service.rates().random_rate == 0.0


def test_rates_set_in_a_transaction_that_rolls_back_are_not_in_force(customs: Party) -> None:
    officer = _principal(customs)
    before = service.rates().random_rate
    with session_scope() as session:
        assert service.configure_rates(session, officer, random_rate=0.75).random_rate == 0.75
        assert service.rates().random_rate == before  # not before the commit
        session.rollback()
    assert service.rates().random_rate == before
    with session_scope() as session:
        assert service.refresh_rates(session, force=True).random_rate == before


def test_rates_set_in_a_transaction_that_commits_are_in_force(customs: Party) -> None:
    officer = _principal(customs)
    with session_scope() as session:
        service.configure_rates(session, officer, random_rate=0.25)
        service.configure_rates(session, officer, learning_rate=0.75)
    assert service.rates().random_rate == 0.25
    assert service.rates().learning_rate == 0.75


def test_rates_set_in_a_savepoint_that_rolls_back_are_not_in_force(customs: Party) -> None:
    officer = _principal(customs)
    with session_scope() as session:
        service.configure_rates(session, officer, target_red=0.05)
        savepoint = session.begin_nested()
        service.configure_rates(session, officer, random_rate=0.5)
        savepoint.rollback()
        inner = session.begin_nested()
        service.configure_rates(session, officer, learning_rate=0.25)
        inner.commit()
    assert service.rates().random_rate == 0.0
    assert service.rates().target_red == 0.05
    assert service.rates().learning_rate == 0.25


def _principal(party: Party) -> Principal:
    with session_scope() as session:
        user = parties.find_user(session, party.email)
        assert user is not None
        return parties.principal_for_user(user, "test")
