"""Mutual recognition: partners' status lists applied (full or changes, once per message),
partners' AEOs recognised in risk under an MRA in force, and our status list for partners."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from onewindow.aeo import service as aeo
from onewindow.clearance import service as clearance
from onewindow.db import session_scope, utcnow
from onewindow.declarations.schemas import DeclarationIn
from onewindow.errors import InvalidInput, NotFound
from onewindow.risk import service as risk
from tests.aeo import certify, foreign_record, partner_with_mra, principal_of
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration


@pytest.fixture()
def everything_drawn() -> Iterator[None]:
    previous = risk.set_rates(random_rate=1.0)
    in_use = risk.promoted_model()
    risk.promote_model(None)
    yield
    risk.promote_model(in_use)
    risk.set_rates(**previous.__dict__)


def _id(country: str) -> str:
    return f"{country}{uuid.uuid4().hex[:12].upper()}"


def _apply(country: str, records: list[Any], *, full: bool, message_id: str) -> aeo.AppliedStatus:
    with session_scope() as session:
        return aeo.apply_partner_status(session, country, records, full=full, message_id=message_id)


def _records(country: str) -> dict[str, tuple[str, str]]:
    admin = principal_of(make_party(("administrator",)))
    with session_scope() as session:
        return {
            o.identifier: (o.status, o.tier) for o in aeo.partner_operators(session, admin, country)
        }


def test_a_full_list_replaces_and_changes_update() -> None:
    country = partner_with_mra()
    a, b, c = _id(country), _id(country), _id(country)
    first = _apply(
        country, [foreign_record(a), foreign_record(b, tier="AEO-S")], full=True, message_id="m1"
    )
    assert (first.created, first.withdrawn, first.replayed) == (2, 0, False)
    changes = _apply(
        country,
        [foreign_record(b, status="suspended", suspended_on="2026-11-30", tier="AEO-S")],
        full=False,
        message_id="m2",
    )
    assert (changes.updated, changes.withdrawn) == (1, 0)
    assert _records(country) == {a: ("active", "AEO-F"), b: ("suspended", "AEO-S")}
    # A new full list without a: a is withdrawn; c is new.
    full = _apply(
        country,
        [
            foreign_record(b, status="suspended", suspended_on="2026-11-30", tier="AEO-S"),
            foreign_record(c),
        ],
        full=True,
        message_id="m3",
    )
    assert (full.created, full.unchanged, full.withdrawn) == (1, 1, 1)
    assert _records(country)[a] == ("withdrawn", "AEO-F")


def test_a_message_is_applied_once() -> None:
    country = partner_with_mra()
    a = _id(country)
    first = _apply(country, [foreign_record(a)], full=False, message_id="once")
    replay = _apply(country, [foreign_record(a, status="revoked")], full=False, message_id="once")
    assert replay.replayed and replay.created == first.created == 1
    assert _records(country)[a] == ("active", "AEO-F")


def test_a_wrong_list_changes_nothing_and_says_where() -> None:
    country = partner_with_mra()
    a = _id(country)
    with pytest.raises(InvalidInput) as refused:
        _apply(
            country,
            [foreign_record(a), foreign_record("", status="lost", tier="GOLD")],
            full=True,
            message_id="bad",
        )
    fields = {e.pointer for e in refused.value.errors}
    assert fields == {"/records/1/identifier", "/records/1/status", "/records/1/tier"}
    assert _records(country) == {}
    # The same message id, corrected, is still applied (the refusal kept nothing).
    assert _apply(country, [foreign_record(a)], full=True, message_id="bad").created == 1
    with pytest.raises(NotFound):
        _apply("Q0", [], full=True, message_id="x")


def _lodge_from(exporter: str) -> int:
    trader = principal_of(make_party())
    body = declaration(
        exporter={
            "identifier": exporter,
            "name": "Partner Exporter Co",
            "address": {"line": "1 Export Street", "city": "Far", "country": "JP"},
        }
    )
    with session_scope() as session:
        lodged = clearance.lodge(session, trader, DeclarationIn.model_validate(body))
        return lodged.declaration.id


def _reasons(declaration_id: int) -> tuple[str, list[str]]:
    officer = principal_of(make_party(("customs-office",), user_role="staff"))
    with session_scope() as session:
        decision = risk.decision_for(session, officer, declaration_id)
        return decision.channel, [r["text"] for r in decision.reasons]


def test_a_recognised_foreign_exporter_brings_the_agreed_benefits(everything_drawn: None) -> None:
    country = partner_with_mra(roles=("exporter",))
    exporter = _id(country)
    _apply(country, [foreign_record(exporter)], full=False, message_id="r1")
    channel, reasons = _reasons(_lodge_from(exporter))
    assert channel == "green"
    assert len(reasons) == 1
    assert reasons[0].startswith(f"MRA MRA-{country}")
    assert reasons[0].endswith(
        f"exporter {exporter} (AEO-F) benefit: random documentary check waived"
    )
    # The partner suspends it: the next declaration is checked again.
    _apply(
        country,
        [foreign_record(exporter, status="suspended", suspended_on=date.today().isoformat())],
        full=False,
        message_id="r2",
    )
    assert _reasons(_lodge_from(exporter)) == ("yellow", ["Selected at random for control"])


def test_no_benefit_outside_the_mra(everything_drawn: None) -> None:
    carriers_only = partner_with_mra(roles=("carrier",))
    expired = partner_with_mra(
        since=date.today() - timedelta(days=90), until=date.today() - timedelta(days=1)
    )
    no_documents = partner_with_mra(benefits=("priority_inspection",))
    for country in (carriers_only, expired, no_documents):
        exporter = _id(country)
        _apply(country, [foreign_record(exporter)], full=False, message_id=f"n-{country}")
        channel, reasons = _reasons(_lodge_from(exporter))
        assert channel == "yellow", country
        if country == no_documents:
            assert reasons[-1].endswith("benefit: priority inspection")
        else:
            assert reasons == ["Selected at random for control"]
    # Without the operator's consent, no recognition either.
    country = partner_with_mra()
    exporter = _id(country)
    _apply(country, [foreign_record(exporter, consent=False)], full=False, message_id="nc")
    assert _reasons(_lodge_from(exporter))[0] == "yellow"


def test_our_status_list_has_only_consenting_holders(customs: Party) -> None:
    consenting, silent = make_party(), make_party()
    before = utcnow()
    shared = certify(consenting, "AEO-F", consent=True)
    certify(silent, "AEO-C")
    with session_scope() as session:
        full = aeo.status_list(session, since=None)
        changes = aeo.status_list(session, since=before)
    identifiers = {s.identifier for s in full}
    assert consenting.identifier in identifiers and silent.identifier not in identifiers
    assert [s.identifier for s in changes] == [consenting.identifier]
    entry = changes[0]
    assert (entry.status, entry.tier, entry.validated_on) == ("active", "AEO-F", date.today())
    officer = principal_of(customs)
    later = utcnow()
    with session_scope() as session:
        aeo.suspend(session, officer, shared, "checking")
    with session_scope() as session:
        (suspended,) = aeo.status_list(session, since=later)
    assert suspended.status == "suspended" and suspended.suspended_on == date.today()
    assert suspended.as_dict()["suspended_on"] == date.today().isoformat()


def test_the_register_through_the_api(client: TestClient, customs: Party, party: Party) -> None:
    used = {p["country"] for p in client.get("/api/v1/aeo/partners", headers=customs.auth).json()}
    country = next(f"Z{x}" for x in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if f"Z{x}" not in used)
    made = client.post(
        "/api/v1/aeo/partners", json={"country": country, "name": "Z Customs"}, headers=customs.auth
    )
    assert made.status_code == 201, made.text
    twice = client.post(
        "/api/v1/aeo/partners", json={"country": country, "name": "Z"}, headers=customs.auth
    )
    assert twice.status_code == 409
    mra = {
        "partner_country": country,
        "reference": f"MRA-{country}-API",
        "operator_roles": ["exporter", "astronaut"],
        "benefits": ["fewer_documentary_checks"],
        "in_force_from": "2026-01-01",
    }
    bad = client.post("/api/v1/aeo/mras", json=mra, headers=customs.auth)
    assert bad.status_code == 422 and "/operator_roles" in bad.text
    mra["operator_roles"] = ["exporter"]
    assert client.post("/api/v1/aeo/mras", json=mra, headers=customs.auth).status_code == 201
    assert client.post("/api/v1/aeo/mras", json=mra, headers=party.auth).status_code == 403
    assert client.get("/api/v1/aeo/partner-operators", headers=party.auth).status_code == 403
