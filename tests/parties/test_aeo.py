"""AEO authorisations: who records them, and what they change in selectivity."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from onewindow.clearance import service as clearance
from onewindow.db import session_scope
from onewindow.declarations.schemas import DeclarationIn
from onewindow.errors import Forbidden
from onewindow.parties import service as parties
from onewindow.risk import service as risk
from onewindow.security import Principal
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration


def principal_of(party: Party) -> Principal:
    with session_scope() as session:
        user = parties.find_user(session, party.email)
        assert user is not None
        return parties.principal_for_user(user, "test")


@pytest.fixture()
def everything_drawn() -> Iterator[None]:
    previous = risk.set_rates(random_rate=1.0, aeo_factor=0.0)
    in_use = risk.promoted_model()
    risk.promote_model(None)
    yield
    risk.promote_model(in_use)
    risk.set_rates(**previous.__dict__)


def test_is_aeo_follows_status_and_validity(customs: Party, party: Party) -> None:
    officer = principal_of(customs)
    today = date.today()
    with session_scope() as session:
        assert not parties.is_aeo(session, party.org_id, today)
        parties.set_aeo_status(session, officer, party.org_id, "AEO-F", today)
        assert parties.is_aeo(session, party.org_id, today)
        assert not parties.is_aeo(session, party.org_id, today + timedelta(days=1))
        parties.set_aeo_status(session, officer, party.org_id, "AEO-S", None)
        assert parties.is_aeo(session, party.org_id, today + timedelta(days=3650))
        parties.set_aeo_status(session, officer, party.org_id, None, None)
        assert not parties.is_aeo(session, party.org_id, today)
        assert not parties.is_aeo(session, None, today)


def test_a_trader_cannot_make_itself_aeo(client: TestClient, party: Party) -> None:
    trader = principal_of(party)
    with session_scope() as session, pytest.raises(Forbidden):
        parties.set_aeo_status(session, trader, party.org_id, "AEO-F", None)
    answer = client.post(
        f"/api/v1/organisations/{party.org_id}/aeo", json={"status": "AEO-F"}, headers=party.auth
    )
    assert answer.status_code == 403


def test_customs_and_administrators_record_it(
    client: TestClient, party: Party, customs: Party, administrator: Party
) -> None:
    path = f"/api/v1/organisations/{party.org_id}/aeo"
    done = client.post(
        path, json={"status": "AEO-S", "valid_until": "2099-01-01"}, headers=customs.auth
    )
    assert done.status_code == 200, done.text
    assert done.json()["aeo_status"] == "AEO-S"
    withdrawn = client.post(path, json={"status": None}, headers=administrator.auth)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["aeo_status"] is None
    assert client.post(path, json={"status": "GOLD"}, headers=customs.auth).status_code == 422


def test_an_aeo_is_spared_random_selection(everything_drawn: None, customs: Party) -> None:
    aeo, other = make_party(), make_party()
    officer = principal_of(customs)
    with session_scope() as session:
        parties.set_aeo_status(session, officer, aeo.org_id, "AEO-F", None)
    channels = {}
    for who in (aeo, other):
        principal = principal_of(who)
        with session_scope() as session:
            body = DeclarationIn.model_validate(declaration())
            lodged = clearance.lodge(session, principal, body)
            decision = risk.decision_for(session, officer, lodged.declaration.id)
            channels[who.org_id] = (decision.channel, {r["source"] for r in decision.reasons})
    assert channels[other.org_id] == ("yellow", {"random"})
    assert channels[aeo.org_id] == ("green", {"aeo"})
