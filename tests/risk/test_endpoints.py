"""The risk API as customs officers, declarants and right holders use it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from onewindow.db import session_scope, utcnow
from onewindow.risk.models import FastLane, IprRecord, RiskProfile, WatchedParty
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration
from tests.notifications import drain
from tests.portal import log_in

PROFILES = "/api/v1/risk/profiles"


@pytest.fixture(autouse=True)
def no_rules_left() -> Iterator[None]:
    """Rules made by a test are withdrawn after it, so that other tests' declarations flow."""
    yield
    with session_scope() as session:
        now = utcnow()
        session.execute(update(RiskProfile).values(active=False))
        for table in (WatchedParty, FastLane, IprRecord):
            session.execute(update(table).where(table.removed_at.is_(None)).values(removed_at=now))


def _profile_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "P-" + uuid.uuid4().hex[:8].upper(),
        "title": "Footwear from CN",
        "reason": "Undervalued footwear from CN",
        "conditions": [
            {"field": "hs", "op": "prefix", "value": "6403"},
            {"field": "origin", "op": "eq", "value": "CN"},
        ],
        "channel": "red",
    }
    body.update(changes)
    return body


def _lodge(client: TestClient, party: Party) -> dict[str, Any]:
    response = client.post("/api/v1/declarations", json=declaration(), headers=party.auth)
    assert response.status_code in (200, 201), response.text
    lodged: dict[str, Any] = response.json()
    return lodged


class TestProfiles:
    def test_customs_creates_and_reads_a_profile(self, client: TestClient, customs: Party) -> None:
        created = client.post(PROFILES, json=_profile_body(), headers=customs.auth)
        assert created.status_code == 201, created.text
        profile = created.json()
        assert profile["version"] == 1 and profile["active"]
        one = client.get(f"{PROFILES}/{profile['id']}", headers=customs.auth)
        assert one.json()["conditions"] == profile["conditions"]
        listed = client.get(PROFILES, headers=customs.auth).json()
        assert profile["id"] in [p["id"] for p in listed]

    def test_a_trader_cannot_create_profiles(self, client: TestClient, party: Party) -> None:
        refused = client.post(PROFILES, json=_profile_body(), headers=party.auth)
        assert refused.status_code == 403
        assert client.get(PROFILES, headers=party.auth).status_code == 403

    def test_bad_conditions_point_at_the_clause(self, client: TestClient, customs: Party) -> None:
        conditions = [
            {"field": "hs", "op": "prefix", "value": "6403"},
            {"field": "origin", "op": "eq", "value": "CN"},
            {"field": "hs", "op": "gt", "value": "64"},
        ]
        refused = client.post(
            PROFILES, json=_profile_body(conditions=conditions), headers=customs.auth
        )
        assert refused.status_code == 422
        assert "/conditions/2/op" in refused.text

    def test_versions_and_deactivation(self, client: TestClient, customs: Party) -> None:
        first = client.post(PROFILES, json=_profile_body(), headers=customs.auth).json()
        body = _profile_body(channel="yellow", why="documents are enough")
        del body["code"]
        second = client.post(f"{PROFILES}/{first['id']}/versions", json=body, headers=customs.auth)
        assert second.status_code == 201, second.text
        assert second.json()["version"] == 2
        stale = client.post(f"{PROFILES}/{first['id']}/versions", json=body, headers=customs.auth)
        assert stale.status_code == 409
        stopped = client.post(
            f"{PROFILES}/{second.json()['id']}/deactivate",
            json={"why": "season over"},
            headers=customs.auth,
        )
        assert stopped.json()["active"] is False
        everything = client.get(f"{PROFILES}?include_inactive=true", headers=customs.auth).json()
        assert {first["code"]} == {p["code"] for p in everything if p["code"] == first["code"]}
        assert len([p for p in everything if p["code"] == first["code"]]) == 2

    def test_backtest(self, client: TestClient, customs: Party, party: Party) -> None:
        since = utcnow().isoformat()
        _lodge(client, party)
        figures = client.post(
            "/api/v1/risk/backtest",
            json={
                "conditions": _profile_body()["conditions"],
                "since": since,
                "until": utcnow().isoformat(),
            },
            headers=customs.auth,
        )
        assert figures.status_code == 200, figures.text
        assert figures.json()["hits"] == 1  # only this test's declaration lies in the window


class TestTargetingIsConfidential:
    """The declarant learns that its goods are controlled and what to do, never why."""

    REASON = "Undervalued footwear from CN"

    def test_customs_reads_the_decision_and_the_declarant_cannot(
        self, client: TestClient, customs: Party, party: Party, other_party: Party
    ) -> None:
        client.post(PROFILES, json=_profile_body(), headers=customs.auth)
        lodged = _lodge(client, party)
        assert lodged["channel"] == "red"
        path = f"/api/v1/risk/decisions/{lodged['id']}"
        seen = client.get(path, headers=customs.auth)
        assert seen.status_code == 200
        assert seen.json()["reasons"][0]["text"] == self.REASON
        assert "score" in seen.json()
        assert client.get(path, headers=party.auth).status_code == 403
        assert client.get(path, headers=other_party.auth).status_code == 403

    def test_no_reason_reaches_the_declarant_anywhere(
        self, client: TestClient, customs: Party, party: Party
    ) -> None:
        client.post(PROFILES, json=_profile_body(), headers=customs.auth)
        lodged = _lodge(client, party)
        drain()
        declaration_path = f"/api/v1/declarations/{lodged['id']}"
        seen_by_trader = [
            client.get(declaration_path, headers=party.auth).text,
            client.get(f"{declaration_path}/timeline", headers=party.auth).text,
            client.get("/api/v1/notifications?limit=200", headers=party.auth).text,
            client.get("/api/v1/audit", headers=party.auth).text,
            client.get("/api/v1/declarations", headers=party.auth).text,
        ]
        for text in seen_by_trader:
            assert self.REASON not in text
            assert "risk-engine" not in text
            assert "profile" not in text.lower()
        holds = client.get(declaration_path, headers=party.auth).json()["holds"]
        assert [h["kind"] for h in holds] == ["physical-inspection"]
        assert "present the goods" in holds[0]["reason"]
        assert holds[0]["placed_by"] == "customs"
        officer_view = client.get(declaration_path, headers=customs.auth).json()["holds"]
        assert officer_view[0]["reason"] == self.REASON

    def test_the_portal_page_shows_the_trader_what_to_do_and_the_officer_why(
        self, client: TestClient, customs: Party, party: Party
    ) -> None:
        client.post(PROFILES, json=_profile_body(), headers=customs.auth)
        lodged = _lodge(client, party)
        log_in(client, party)
        page = client.get(f"/declarations/{lodged['id']}").text
        assert "present the goods" in page and self.REASON not in page
        client.cookies.clear()
        log_in(client, customs)
        assert self.REASON in client.get(f"/declarations/{lodged['id']}").text


class TestInspections:
    def test_a_result_is_recorded_and_leaves_the_queue(
        self, client: TestClient, customs: Party, party: Party
    ) -> None:
        since = utcnow()
        client.post(PROFILES, json=_profile_body(), headers=customs.auth)
        lodged = _lodge(client, party)
        queue = client.get("/api/v1/risk/inspections/queue?limit=1000", headers=customs.auth)
        assert lodged["id"] in [d["declaration_id"] for d in queue.json()]
        result = {
            "declaration_id": lodged["id"],
            "finding": "major",
            "revenue_recovered": "1250.50",
            "currency": "GBP",
            "goods_seized": False,
            "notes": "Invoice price a third of the market price",
        }
        refused = client.post("/api/v1/risk/inspections", json=result, headers=party.auth)
        assert refused.status_code == 403
        recorded = client.post("/api/v1/risk/inspections", json=result, headers=customs.auth)
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["officer"]
        again = client.post("/api/v1/risk/inspections", json=result, headers=customs.auth)
        assert again.status_code == 409
        queue = client.get("/api/v1/risk/inspections/queue?limit=1000", headers=customs.auth)
        assert lodged["id"] not in [d["declaration_id"] for d in queue.json()]
        rates = client.get(
            "/api/v1/risk/hit-rates", params={"since": since.isoformat()}, headers=customs.auth
        ).json()
        red = next(r for r in rates if r["channel"] == "red" and r["source"] == "profile")
        assert (red["selected"], red["inspected"], red["with_findings"]) == (1, 1, 1)


class TestLists:
    def test_watch_list_and_fast_lanes_round_trip(self, client: TestClient, customs: Party) -> None:
        watched = client.post(
            "/api/v1/risk/watch-list",
            json={"identifier": "gb999", "reason": "tip-off", "channel": "red"},
            headers=customs.auth,
        )
        assert watched.status_code == 201 and watched.json()["identifier"] == "GB999"
        removed = client.delete(
            f"/api/v1/risk/watch-list/{watched.json()['id']}", headers=customs.auth
        )
        assert removed.status_code == 204
        lane = client.post(
            "/api/v1/risk/fast-lanes",
            json={"hs_prefix": "3002", "reason": "vaccines"},
            headers=customs.auth,
        )
        assert lane.status_code == 201
        lanes = client.get("/api/v1/risk/fast-lanes", headers=customs.auth).json()
        assert "3002" in [ln["hs_prefix"] for ln in lanes]

    def test_a_right_holder_records_its_own_marks(
        self, client: TestClient, party: Party, other_party: Party
    ) -> None:
        mark = {"trade_mark": "ACME", "hs_prefixes": ["6403"], "keywords": ["acme"]}
        created = client.post("/api/v1/risk/ipr-records", json=mark, headers=party.auth)
        assert created.status_code == 201, created.text
        assert created.json()["right_holder_organisation_id"] == party.org_id
        theirs = {**mark, "right_holder_organisation_id": other_party.org_id}
        refused = client.post("/api/v1/risk/ipr-records", json=theirs, headers=party.auth)
        assert refused.status_code == 403
        assert client.get("/api/v1/risk/ipr-records", headers=other_party.auth).json() == []


class TestControlByOfficers:
    def _officer_hold(self, client: TestClient, customs: Party, party: Party) -> dict[str, Any]:
        lodged = _lodge(client, party)
        assert lodged["channel"] == "green"
        held = client.post(
            f"/api/v1/declarations/{lodged['id']}/holds",
            json={"kind": "physical-inspection", "reason": "tip-off: count the cartons"},
            headers=customs.auth,
        )
        assert held.status_code == 201, held.text
        assert held.json()["channel"] == "red"
        return lodged

    def _queued(self, client: TestClient, customs: Party) -> set[int]:
        queue = client.get("/api/v1/risk/inspections/queue?limit=1000", headers=customs.auth)
        return {d["declaration_id"] for d in queue.json()}

    def test_an_officer_hold_joins_the_queue_and_its_result_lifts_it(
        self, client: TestClient, customs: Party, party: Party
    ) -> None:
        lodged = self._officer_hold(client, customs, party)
        assert lodged["id"] in self._queued(client, customs)
        result = client.post(
            "/api/v1/risk/inspections",
            json={
                "declaration_id": lodged["id"],
                "finding": "minor",
                "currency": "GBP",
                "notes": "one carton short",
            },
            headers=customs.auth,
        )
        assert result.status_code == 201, result.text
        assert lodged["id"] not in self._queued(client, customs)
        after = client.get(f"/api/v1/declarations/{lodged['id']}", headers=customs.auth).json()
        inspection = next(h for h in after["holds"] if h["kind"] == "physical-inspection")
        assert inspection["lifted_at"] and "one carton short" in inspection["lift_reason"]
        assert after["status"] == "awaiting_payment"

    def test_seized_goods_stay_held_and_cannot_be_released(
        self, client: TestClient, customs: Party, party: Party
    ) -> None:
        lodged = self._officer_hold(client, customs, party)
        client.post(
            "/api/v1/risk/inspections",
            json={
                "declaration_id": lodged["id"],
                "finding": "major",
                "currency": "GBP",
                "goods_seized": True,
            },
            headers=customs.auth,
        )
        after = client.get(f"/api/v1/declarations/{lodged['id']}", headers=party.auth).json()
        assert "seizure" in [h["kind"] for h in after["holds"] if not h["lifted_at"]]
        refused = client.post(
            f"/api/v1/declarations/{lodged['id']}/release",
            json={"reason": "release anyway"},
            headers=customs.auth,
        )
        assert refused.status_code == 409 and "seizure" in refused.json()["detail"]


def test_a_right_holder_sees_its_detentions_and_nothing_more(
    client: TestClient, customs: Party, party: Party, other_party: Party
) -> None:
    holder = make_party()
    recorded = client.post(
        "/api/v1/risk/ipr-records",
        json={"trade_mark": "NIKE", "hs_prefixes": ["6403"], "keywords": ["nike"]},
        headers=holder.auth,
    )
    assert recorded.status_code == 201, recorded.text
    body = declaration()
    body["items"][1]["description"] = "Leather footwear, Nike Air"
    lodged = client.post("/api/v1/declarations", json=body, headers=party.auth).json()
    assert "ipr" in [h["kind"] for h in lodged["holds"]]
    seen = client.get("/api/v1/risk/ipr-detentions", headers=holder.auth).json()
    assert [(d["declaration_number"], d["trade_mark"]) for d in seen] == [
        (lodged["number"], "NIKE")
    ]
    assert [g["description"] for g in seen[0]["goods"]] == ["Leather footwear, Nike Air"]
    assert "Handbags" not in str(seen)
    assert (
        client.get(f"/api/v1/declarations/{lodged['id']}", headers=holder.auth).status_code == 404
    )
    assert client.get("/api/v1/risk/ipr-detentions", headers=other_party.auth).json() == []
    drain()
    told = client.get("/api/v1/notifications?limit=50", headers=holder.auth).json()["items"]
    ipr = [n for n in told if n["topic"] == "risk.ipr_suspected"]
    assert [n["title"] for n in ipr] == [
        f"Declaration {lodged['number']} held: your trade mark may be infringed"
    ]
    assert ipr[0]["link"] is None  # the declaration itself is not theirs to open
