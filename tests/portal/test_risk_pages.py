"""The officer's risk pages over HTTP: profiles through a form, backtest, inspections, access."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from onewindow.db import session_scope, utcnow
from onewindow.risk.models import FastLane, IprRecord, RiskProfile, WatchedParty
from tests.conftest import make_party
from tests.declarations.factory import declaration
from tests.portal import log_in

FOOTWEAR = [
    {"field": "hs", "op": "prefix", "value": "6403"},
    {"field": "origin", "op": "eq", "value": "CN"},
]


@pytest.fixture(autouse=True)
def no_rules_left() -> Iterator[None]:
    """Rules made by a test are withdrawn after it, so that other tests' declarations flow."""
    yield
    with session_scope() as session:
        now = utcnow()
        session.execute(update(RiskProfile).values(active=False))
        for table in (WatchedParty, FastLane, IprRecord):
            session.execute(update(table).where(table.removed_at.is_(None)).values(removed_at=now))


def _officer(client: TestClient) -> str:
    return log_in(client, make_party(("customs-office",), user_role="staff"))


def _profile_form(token: str, **changes: Any) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "action": "save",
        "code": "P-" + uuid.uuid4().hex[:8].upper(),
        "title": "Footwear from CN",
        "reason": "Undervalued footwear from CN (portal)",
        "channel": "red",
        "valid_from": "",
        "valid_to": "",
        "conditions": json.dumps(FOOTWEAR),
    }
    form.update(changes)
    return form


def _profiles(code: str) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).where(RiskProfile.code == code)) or 0


def test_a_profile_made_in_the_form_selects_the_next_declaration(client: TestClient) -> None:
    token = _officer(client)
    form = _profile_form(token)
    saved = client.post("/risk/profiles", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    listing = client.get(saved.headers["location"])
    assert f"Saved {form['code']} version 1." in listing.text
    assert form["code"] in listing.text
    trader = make_party(("trader",))
    lodged = client.post("/api/v1/declarations", json=declaration(), headers=trader.auth).json()
    assert lodged["channel"] == "red"
    decision = client.get(f"/api/v1/risk/decisions/{lodged['id']}").json()  # the officer's
    assert decision["reasons"][0]["text"] == form["reason"]


def test_bad_conditions_are_shown_next_to_the_field_and_nothing_is_saved(
    client: TestClient,
) -> None:
    token = _officer(client)
    bad = [*FOOTWEAR, {"field": "hs", "op": "gt", "value": "64"}]
    form = _profile_form(token, conditions=json.dumps(bad))
    page = client.post("/risk/profiles", data=form)
    assert page.status_code == 422
    error = re.search(r'id="conditions-error">([^<]*)<', page.text)
    # The third condition's operator, named as a person reads it (no JSON pointer).
    assert error and "Conditions 3, op: hs takes" in error[1]
    assert _profiles(form["code"]) == 0
    broken = client.post("/risk/profiles", data=_profile_form(token, conditions="[{oops"))
    assert broken.status_code == 422
    assert 'id="conditions-error">not valid JSON' in broken.text


def test_the_backtest_button_counts_past_declarations_without_saving(client: TestClient) -> None:
    trader = make_party(("trader",))
    client.post("/api/v1/declarations", json=declaration(), headers=trader.auth)
    token = _officer(client)
    form = _profile_form(token, action="backtest")
    page = client.post("/risk/profiles", data=form)
    assert page.status_code == 200
    found = re.search(r"would have hit (\d+) of (\d+) declarations", page.text)
    assert found and 1 <= int(found[1]) <= int(found[2])
    assert _profiles(form["code"]) == 0


def test_a_trader_cannot_use_the_risk_pages(client: TestClient) -> None:
    assert client.get("/risk", follow_redirects=False).status_code == 303
    token = log_in(client, make_party(("trader",)))
    for path in ("/risk", "/risk/profiles", "/risk/inspections", "/risk/lists"):
        assert client.get(path).status_code == 404
    refused = client.post("/risk/profiles", data=_profile_form(token))
    assert refused.status_code == 404


def test_an_inspection_result_takes_the_declaration_off_the_queue(client: TestClient) -> None:
    token = _officer(client)
    client.post("/risk/profiles", data=_profile_form(token))
    trader = make_party(("trader",))
    lodged = client.post("/api/v1/declarations", json=declaration(), headers=trader.auth).json()
    link = f'href="/declarations/{lodged["id"]}"'
    assert link in client.get("/risk/inspections").text
    recorded = client.post(
        f"/risk/inspections/{lodged['id']}",
        data={
            "csrf_token": token,
            "finding": "major",
            "revenue_recovered": "125.50",
            "currency": "USD",
            "goods_seized": "yes",
            "notes": "soles were leather",
        },
    )
    assert recorded.status_code == 200
    assert f"Inspection result recorded for declaration {lodged['id']}" in recorded.text
    queue = recorded.text.split("Recent results")[0]
    assert link not in queue
    assert "soles were leather" in recorded.text


def test_the_overview_and_lists_pages(client: TestClient) -> None:
    token = _officer(client)
    added = client.post(
        "/risk/lists/watch",
        data={"csrf_token": token, "identifier": "gb777", "reason": "tip-off", "channel": "red"},
    )
    assert "GB777 is on the watch list." in added.text
    overview = client.get("/risk")
    assert overview.status_code == 200
    assert "Hit rates, last 30 days" in overview.text
    assert 'href="/risk"' in client.get("/").text


def test_new_version_is_prefilled_and_deactivate_needs_a_reason(client: TestClient) -> None:
    token = _officer(client)
    form = _profile_form(token)
    client.post("/risk/profiles", data=form)
    with session_scope() as session:
        first = session.scalars(
            select(RiskProfile.id).where(RiskProfile.code == form["code"])
        ).one()
    prefilled = client.get(f"/risk/profiles?edit={first}")
    assert f"New version of {form['code']}" in prefilled.text
    assert 'value="Footwear from CN"' in prefilled.text
    saved = client.post(
        "/risk/profiles",
        data=_profile_form(token, profile_id=str(first), channel="yellow", why="fewer hits"),
    )
    assert f"Saved {form['code']} version 2." in saved.text
    with session_scope() as session:
        second = session.scalars(
            select(RiskProfile.id).where(RiskProfile.code == form["code"], RiskProfile.active)
        ).one()
    no_reason = client.post(f"/risk/profiles/{second}/deactivate", data={"csrf_token": token})
    assert "Say why" in no_reason.text
    unticked = client.post(
        f"/risk/profiles/{second}/deactivate", data={"csrf_token": token, "why": "season over"}
    )
    assert "Tick the box to confirm: a deactivation cannot be undone." in unticked.text
    done = client.post(
        f"/risk/profiles/{second}/deactivate",
        data={"csrf_token": token, "why": "season over", "confirm": "yes"},
    )
    assert f"Deactivated {form['code']} version 2." in done.text


def test_a_deactivation_without_its_confirmation_changes_nothing(client: TestClient) -> None:
    token = _officer(client)
    form = _profile_form(token)
    client.post("/risk/profiles", data=form)
    with session_scope() as session:
        profile = session.scalars(
            select(RiskProfile.id).where(RiskProfile.code == form["code"])
        ).one()
    page = client.get("/risk/profiles")
    assert "I confirm: a deactivation cannot be undone" in page.text
    answer = client.post(
        f"/risk/profiles/{profile}/deactivate", data={"csrf_token": token, "why": "season over"}
    )
    assert answer.url.path == "/risk/profiles"
    assert "Tick the box to confirm: a deactivation cannot be undone." in answer.text
    with session_scope() as session:
        assert session.get(RiskProfile, profile).active  # type: ignore[union-attr]


def test_the_overview_shows_model_versions_with_their_figures(client: TestClient) -> None:
    from onewindow.risk.models import RiskModelVersion

    version = "page-" + uuid.uuid4().hex[:8]
    with session_scope() as session:
        row = RiskModelVersion(
            version=version,
            trained_at=utcnow(),
            training_rows=1234,
            source="test",
            metrics={
                "precision_at": {"5": 0.991, "10": 0.975},
                "recall_at": {"5": 0.24, "10": 0.47},
                "critical_recall_at": {"5": 0.66},
            },
            thresholds={"red": 0.9, "yellow": 0.5},
            status="retired",
            blob=b"{}",
            created_at=utcnow(),
        )
        session.add(row)
    _officer(client)
    page = client.get("/risk")
    assert version in page.text
    assert "0.991 / 0.975" in page.text


def test_the_officer_changes_the_rates_on_the_overview(client: TestClient) -> None:
    from sqlalchemy import delete

    from onewindow.risk import service
    from onewindow.risk.models import RiskSetting

    token = _officer(client)
    previous = service.rates()
    try:
        page = client.post(
            "/risk/settings",
            data={"csrf_token": token, "target_red": "4", "random_rate": "0"},
            follow_redirects=True,
        )
        assert "Rates saved" in page.text
        assert 'id="rate-target_red" name="target_red" inputmode="decimal" value="4"' in page.text
        bad = client.post(
            "/risk/settings",
            data={"csrf_token": token, "learning_rate": "lots"},
            follow_redirects=True,
        )
        assert "is not a percentage" in bad.text
    finally:
        with session_scope() as session:
            session.execute(delete(RiskSetting))
        service.set_rates(**{name: getattr(previous, name) for name in service.SETTABLE})


def test_the_overview_has_a_plain_title_and_each_section_once(client: TestClient) -> None:
    _officer(client)
    page = client.get("/risk").text
    assert "<title>Risk management · onewindow</title>" in page
    assert page.count("<h2>Selectivity rates</h2>") == 1
    assert page.count("<h2>Learned model</h2>") == 1
