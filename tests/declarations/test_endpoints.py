"""A goods declaration from lodgement to release, through the API."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from onewindow import events, release
from onewindow.db import session_scope
from tests.conftest import Party
from tests.declarations.factory import declaration

API = "/api/v1/declarations"


def _deliver() -> None:
    for _ in range(10):
        with session_scope() as session:
            if not events.deliver_pending(session, limit=500):
                return


class TestLodge:
    def test_a_valid_declaration_is_accepted_assessed_and_awaits_payment(
        self, client: TestClient, party: Party
    ) -> None:
        response = client.post(API, json=declaration(), headers=party.auth)
        assert response.status_code == 201, response.text
        lodged = response.json()
        assert lodged["number"].startswith("26GB") or lodged["number"][2:4] == "GB"
        assert lodged["status"] == "awaiting_payment"
        assert [h["kind"] for h in lodged["holds"]] == ["payment"]
        steps = client.get(f"{API}/{lodged['id']}/timeline", headers=party.auth).json()
        assert [s["to_status"] for s in steps] == [
            "lodged",
            "accepted",
            "assessed",
            "awaiting_payment",
        ]

    def test_the_same_reference_and_body_returns_the_first_answer(
        self, client: TestClient, party: Party
    ) -> None:
        body = declaration()
        first = client.post(API, json=body, headers=party.auth)
        again = client.post(API, json=body, headers=party.auth)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]
        assert len(client.get(API, headers=party.auth).json()) == 1

    def test_the_same_reference_with_another_body_is_a_conflict(
        self, client: TestClient, party: Party
    ) -> None:
        body = declaration()
        client.post(API, json=body, headers=party.auth)
        body["items"][0]["description"] = "Something else"
        conflict = client.post(API, json=body, headers=party.auth)
        assert conflict.status_code == 409
        assert body["declarant_reference"] in conflict.json()["detail"]

    def test_an_invalid_declaration_is_rejected_with_every_error(
        self, client: TestClient, party: Party
    ) -> None:
        body = declaration()
        body["transport"]["mode"] = "X"
        body["items"][0]["commodity_code"] = "010000"
        rejected = client.post(API, json=body, headers=party.auth).json()
        assert rejected["status"] == "rejected"
        assert rejected["number"] is None
        assert {e["pointer"] for e in rejected["errors"]} == {
            "/transport/mode",
            "/items/0/commodity_code",
        }

    def test_syntax_errors_change_nothing(self, client: TestClient, party: Party) -> None:
        body = declaration()
        body["items"][0]["net_mass_kg"] = "heavy"
        body["type"] = "XX"
        response = client.post(API, json=body, headers=party.auth)
        assert response.status_code == 422
        pointers = {e["pointer"] for e in response.json()["errors"]}
        assert pointers == {"/body/type", "/body/items/0/net_mass_kg"}
        assert client.get(API, headers=party.auth).json() == []


class TestAssessment:
    def test_duties_are_explained_line_by_line(self, client: TestClient, party: Party) -> None:
        lodged = client.post(API, json=declaration(), headers=party.auth).json()
        assessment = client.get(f"{API}/{lodged['id']}/assessment", headers=party.auth).json()
        assert assessment["currency"] == "GBP"
        bags, shoes = assessment["items"]
        # Bags: USD 6000 + 60% of USD 850 freight and insurance (FOB) = USD 6510 at 0.79 = 5142.90
        assert bags["customs_value"] == "5142.90"
        assert any("Customs duty (UK Global Tariff) 2% of GBP 5,142.90" in t for t in bags["trace"])
        assert bags["amounts"]["customs_duty"] == "102.86"
        assert bags["amounts"]["vat"] == "1049.15"
        assert Decimal(assessment["total"]) == sum(
            Decimal(v) for v in assessment["amounts"].values()
        )


class TestLifecycle:
    def test_cancelled_is_final(self, client: TestClient, party: Party) -> None:
        lodged = client.post(API, json=declaration(), headers=party.auth).json()
        cancelled = client.post(
            f"{API}/{lodged['id']}/cancel", json={"reason": "order withdrawn"}, headers=party.auth
        )
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["holds"][0]["lifted_at"] is not None
        requests = client.get("/api/v1/payment-requests", headers=party.auth).json()
        assert [r["status"] for r in requests if r["declaration_id"] == lodged["id"]] == [
            "cancelled"
        ]
        again = client.post(
            f"{API}/{lodged['id']}/cancel", json={"reason": "twice"}, headers=party.auth
        )
        assert again.status_code == 409
        assert "cancelled cannot become cancelled" in again.json()["detail"]

    def test_an_amendment_keeps_versions_and_shows_the_differences(
        self, client: TestClient, party: Party
    ) -> None:
        body = declaration()
        lodged = client.post(API, json=body, headers=party.auth).json()
        body["items"][1]["description"] = "Leather shoes, men's"
        amended = client.post(
            f"{API}/{lodged['id']}/amendments",
            json={"reason": "better description", "declaration": body},
            headers=party.auth,
        )
        assert amended.status_code == 200, amended.text
        assert amended.json()["version"] == 2
        changes = client.get(f"{API}/{lodged['id']}/versions/2/changes", headers=party.auth).json()
        assert changes == [
            {
                "pointer": "/items/1/description",
                "before": "Leather footwear",
                "after": "Leather shoes, men's",
            }
        ]

    def test_an_invalid_amendment_changes_nothing(self, client: TestClient, party: Party) -> None:
        body = declaration()
        lodged = client.post(API, json=body, headers=party.auth).json()
        body["items"][0]["commodity_code"] = "010000"
        refused = client.post(
            f"{API}/{lodged['id']}/amendments",
            json={"reason": "typo", "declaration": body},
            headers=party.auth,
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["pointer"] == "/items/0/commodity_code"
        assert client.get(f"{API}/{lodged['id']}", headers=party.auth).json()["version"] == 1


class TestHoldsAndRelease:
    def test_a_control_hold_keeps_goods_until_customs_lifts_it(
        self, client: TestClient, party: Party, customs: Party
    ) -> None:
        lodged = client.post(API, json=declaration(), headers=party.auth).json()
        held = client.post(
            f"{API}/{lodged['id']}/holds",
            json={"kind": "physical-inspection", "reason": "undervaluation suspected"},
            headers=customs.auth,
        )
        assert held.status_code == 201, held.text
        hold = next(h for h in held.json()["holds"] if h["kind"] == "physical-inspection")
        refused = client.post(
            f"{API}/{lodged['id']}/release", json={"reason": "seen"}, headers=customs.auth
        )
        assert refused.status_code == 409
        assert "paying or securing" in refused.json()["detail"]
        assert "inspection result" in refused.json()["detail"]
        by_hand = client.post(
            f"{API}/{lodged['id']}/holds/{hold['id']}/lift",
            json={"reason": "inspected, goods as declared"},
            headers=customs.auth,
        )
        assert by_hand.status_code == 409
        assert "inspection result" in by_hand.json()["detail"]
        result = client.post(
            "/api/v1/risk/inspections",
            json={"declaration_id": lodged["id"], "finding": "none", "currency": "GBP"},
            headers=customs.auth,
        )
        assert result.status_code == 201, result.text
        after = client.get(f"{API}/{lodged['id']}", headers=party.auth).json()
        assert after["status"] == "awaiting_payment"
        assert all(h["lifted_at"] for h in after["holds"] if h["kind"] == hold["kind"])

    def test_a_trader_cannot_hold_or_release(self, client: TestClient, party: Party) -> None:
        lodged = client.post(API, json=declaration(), headers=party.auth).json()
        response = client.post(
            f"{API}/{lodged['id']}/release", json={"reason": "me"}, headers=party.auth
        )
        assert response.status_code == 403

    def test_another_organisation_sees_nothing(
        self, client: TestClient, party: Party, other_party: Party
    ) -> None:
        lodged = client.post(API, json=declaration(), headers=party.auth).json()
        assert client.get(f"{API}/{lodged['id']}", headers=other_party.auth).status_code == 404
        assert client.get(API, headers=other_party.auth).json() == []


class TestPaymentAndRelease:
    def _request(self, client: TestClient, party: Party, declaration_id: int) -> dict[str, object]:
        requests = client.get("/api/v1/payment-requests", headers=party.auth).json()
        return next(r for r in requests if r["declaration_id"] == declaration_id)

    def test_paying_by_bank_releases_the_goods_and_issues_a_receipt(
        self, client: TestClient, party: Party
    ) -> None:
        lodged = client.post(API, json=declaration(), headers=party.auth).json()
        request = self._request(client, party, lodged["id"])
        assert request["total"] == "2166.88"
        paid = client.post(
            f"/api/v1/payment-requests/{request['id']}/pay",
            json={"method": "bank"},
            headers=party.auth,
        )
        assert paid.status_code in {200, 201, 202}, paid.text
        _deliver()  # the bank's signed callback, then the settlement
        released = client.get(f"{API}/{lodged['id']}", headers=party.auth).json()
        assert released["status"] == "released"
        assert released["released_at"] is not None
        steps = client.get(f"{API}/{lodged['id']}/timeline", headers=party.auth).json()
        assert [s["to_status"] for s in steps][-2:] == ["paid", "released"]
        assert "receipt RC-" in steps[-2]["reason"]

    def test_a_deferred_account_secures_the_duty(
        self, client: TestClient, party: Party, customs: Party
    ) -> None:
        opened = client.post(
            "/api/v1/deferred-accounts",
            json={
                "organisation_id": party.org_id,
                "number": f"DA{party.org_id:06d}",
                "currency": "GBP",
                "guarantee_amount": "5000.00",
                "guarantee_reference": "BANKGUAR-1",
                "valid_until": "2030-12-31",
            },
            headers=customs.auth,
        )
        assert opened.status_code == 201, opened.text
        lodged = client.post(API, json=declaration(), headers=party.auth).json()
        request = self._request(client, party, lodged["id"])
        secured = client.post(
            f"/api/v1/payment-requests/{request['id']}/pay",
            json={"method": "deferment"},
            headers=party.auth,
        )
        assert secured.status_code in {200, 201}, secured.text
        _deliver()
        released = client.get(f"{API}/{lodged['id']}", headers=party.auth).json()
        assert released["status"] == "released"
        steps = [
            s["to_status"]
            for s in client.get(f"{API}/{lodged['id']}/timeline", headers=party.auth).json()
        ]
        assert steps[-2:] == ["guaranteed", "released"]

    def test_release_waits_for_the_last_hold(
        self, client: TestClient, party: Party, customs: Party
    ) -> None:
        lodged = client.post(API, json=declaration(), headers=party.auth).json()
        held = client.post(
            f"{API}/{lodged['id']}/holds",
            json={"kind": "permit", "reason": "CITES permit missing"},
            headers=customs.auth,
        ).json()
        request = self._request(client, party, lodged["id"])
        client.post(
            f"/api/v1/payment-requests/{request['id']}/pay",
            json={"method": "bank"},
            headers=party.auth,
        )
        _deliver()
        paid = client.get(f"{API}/{lodged['id']}", headers=party.auth).json()
        assert paid["status"] == "paid"
        permit = next(h for h in held["holds"] if h["kind"] == "permit")
        lifted = client.post(
            f"{API}/{lodged['id']}/holds/{permit['id']}/lift",
            json={"reason": "permit 2026/123 presented"},
            headers=customs.auth,
        ).json()
        assert lifted["status"] == "released"


def test_a_currency_without_a_rate_waits_for_customs_to_set_one(
    client: TestClient, party: Party, customs: Party
) -> None:
    body = declaration()
    for item in body["items"]:
        item["value"]["currency"] = "DKK"
    body["invoice"]["currency"] = "DKK"
    body["freight"] = body["insurance"] = None
    lodged = client.post(API, json=body, headers=party.auth).json()
    assert lodged["status"] == "accepted"
    hold = lodged["holds"][0]
    officer_view = client.get(f"{API}/{lodged['id']}", headers=customs.auth).json()["holds"][0]
    assert hold["kind"] == "assessment" and "DKK" in officer_view["reason"]
    early = client.post(f"{API}/{lodged['id']}/assess", headers=customs.auth)
    assert early.status_code == 409 and "DKK" in early.json()["detail"]
    by_hand = client.post(
        f"{API}/{lodged['id']}/holds/{hold['id']}/lift",
        json={"reason": "skip it"},
        headers=customs.auth,
    )
    assert by_hand.status_code == 409
    assert client.get(f"{API}/{lodged['id']}", headers=party.auth).json()["status"] == "accepted"
    rate = client.post(
        "/api/v1/reference/exchange-rates",
        json={"currency": "DKK", "rate": "0.1150", "valid_from": "2026-01-01"},
        headers=customs.auth,
    )
    assert rate.status_code == 201, rate.text
    _deliver()  # the rate's event assesses what waited for it
    assessed = client.get(f"{API}/{lodged['id']}", headers=party.auth).json()
    assert assessed["status"] == "awaiting_payment"
    assert all(h["lifted_at"] for h in assessed["holds"] if h["kind"] == "assessment")


def test_a_hold_placed_at_lodging_is_listed_once(
    client: TestClient, party: Party, customs: Party
) -> None:
    watched = client.post(
        "/api/v1/risk/watch-list",
        json={"identifier": party.identifier, "reason": "listed once", "channel": "red"},
        headers=customs.auth,
    ).json()
    try:
        body = declaration(declarant={"identifier": party.identifier})
        lodged = client.post(API, json=body, headers=party.auth).json()
        assert [h["kind"] for h in lodged["holds"]] == ["physical-inspection"]
        assert len({h["id"] for h in lodged["holds"]}) == 1
    finally:
        client.request(
            "DELETE",
            f"/api/v1/risk/watch-list/{watched['id']}",
            headers=customs.auth,
        )


def test_a_domain_condition_stops_release_until_it_is_met(
    client: TestClient, party: Party, customs: Party
) -> None:
    waiting = {"open": True}

    def cargo(session: object, declaration_id: int, *, for_update: bool) -> list[release.Condition]:
        if not waiting["open"]:
            return []
        return [release.Condition("cargo", "manifest", "the goods to be on a manifest")]

    release.register("cargo", cargo)
    try:
        lodged = client.post(API, json=declaration(), headers=party.auth).json()
        refused = client.post(
            f"{API}/{lodged['id']}/release", json={"reason": "ok"}, headers=customs.auth
        )
        assert refused.status_code == 409
        assert "manifest" in refused.json()["detail"] and "paying" in refused.json()["detail"]
        requests = client.get(
            f"/api/v1/payment-requests?declaration_id={lodged['id']}", headers=party.auth
        ).json()
        client.post(
            f"/api/v1/payment-requests/{requests[0]['id']}/pay",
            json={"method": "bank"},
            headers=party.auth,
        )
        _deliver()
        paid = client.get(f"{API}/{lodged['id']}", headers=party.auth).json()
        assert paid["status"] == "paid"  # paid, no hold open: the manifest still stops it
        waiting["open"] = False
        released = client.post(
            f"{API}/{lodged['id']}/release",
            json={"reason": "on the manifest"},
            headers=customs.auth,
        )
        assert released.status_code == 200, released.text
        assert released.json()["status"] == "released"
    finally:
        release.unregister("cargo")
