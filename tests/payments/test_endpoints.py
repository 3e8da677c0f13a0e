"""The payments API as traders, customs officers and banks use it."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from onewindow import audit
from onewindow.db import session_scope
from onewindow.payments.gateway import SIGNATURE_HEADER, sign_callback
from tests.conftest import Party, make_party
from tests.payments import (
    deliver_events,
    open_request_for,
    payment_state_of,
    queued_callback,
    start_bank_payment,
)

CALLBACK = "/api/v1/payments/bank-callback"


@pytest.fixture()
def officer() -> Party:
    return make_party(("customs-office",))


def _open_account(
    client: TestClient, officer: Party, holder: Party, guarantee: str, number: str = ""
) -> dict[str, object]:
    response = client.post(
        "/api/v1/deferred-accounts",
        json={
            "organisation_id": holder.org_id,
            "number": number or f"DAN-{holder.org_id}-{guarantee.replace('.', '')}",
            "currency": "GBP",
            "guarantee_amount": guarantee,
            "guarantee_reference": "GUA-2026-0042",
            "valid_until": (date.today() + timedelta(days=365)).isoformat(),
        },
        headers=officer.auth,
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _callback(client: TestClient, body: bytes, signature: str | None) -> Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return client.post(CALLBACK, content=body, headers=headers)


class TestPaymentRequests:
    def test_an_organisation_sees_only_its_own(
        self, client: TestClient, party: Party, other_party: Party
    ) -> None:
        mine = open_request_for(party.org_id)
        theirs = open_request_for(other_party.org_id)
        listed = client.get("/api/v1/payment-requests", headers=party.auth).json()
        assert mine in {r["id"] for r in listed}
        assert theirs not in {r["id"] for r in listed}
        assert (
            client.get(f"/api/v1/payment-requests/{theirs}", headers=party.auth).status_code == 404
        )
        one = client.get(f"/api/v1/payment-requests/{mine}", headers=party.auth).json()
        assert one["total"] == "344.00"
        assert one["lines"] == [
            {"tax_type": "customs_duty", "amount": "120.00"},
            {"tax_type": "vat", "amount": "224.00"},
        ]
        assert one["status"] == "open" and one["reference"].startswith("PR-")

    def test_amounts_keep_the_currency_minor_unit(self, client: TestClient, party: Party) -> None:
        request_id = open_request_for(party.org_id, "JPY", (("customs_duty", "1234.5"),))
        one = client.get(f"/api/v1/payment-requests/{request_id}", headers=party.auth).json()
        assert (one["total"], one["lines"][0]["amount"]) == ("1235", "1235")

    def test_a_customs_office_sees_every_request(
        self, client: TestClient, party: Party, officer: Party
    ) -> None:
        request_id = open_request_for(party.org_id)
        response = client.get(f"/api/v1/payment-requests/{request_id}", headers=officer.auth)
        assert response.status_code == 200
        assert response.json()["organisation_id"] == party.org_id


class TestPay:
    def test_by_bank_the_receipt_follows_the_confirmation(
        self, client: TestClient, party: Party, other_party: Party
    ) -> None:
        request_id = open_request_for(party.org_id)
        started = client.post(
            f"/api/v1/payment-requests/{request_id}/pay",
            json={"method": "bank"},
            headers=party.auth,
        )
        assert started.status_code == 202, started.text
        assert started.json()["status"] == "pending"
        assert started.json()["payment"]["amount"] == "344.00"
        deliver_events()
        paid = client.get(f"/api/v1/payment-requests/{request_id}", headers=party.auth).json()
        assert paid["status"] == "paid"
        number = paid["receipt_number"]
        receipt = client.get(f"/api/v1/receipts/{number}", headers=party.auth)
        assert receipt.status_code == 200
        assert receipt.json()["amount"] == "344.00"
        assert client.get(f"/api/v1/receipts/{number}", headers=other_party.auth).status_code == 404

    def test_by_deferment_draws_on_the_account(
        self, client: TestClient, party: Party, officer: Party
    ) -> None:
        account = _open_account(client, officer, party, "1000")
        request_id = open_request_for(party.org_id)
        secured = client.post(
            f"/api/v1/payment-requests/{request_id}/pay",
            json={"method": "deferment"},
            headers=party.auth,
        )
        assert secured.status_code == 200, secured.text
        assert secured.json()["status"] == "secured"
        assert secured.json()["account_number"] == account["number"]
        listed = client.get("/api/v1/deferred-accounts", headers=party.auth).json()
        assert [(a["number"], a["available"]) for a in listed] == [(account["number"], "656.00")]

    def test_a_short_account_is_refused_with_the_reason_on_record(
        self, client: TestClient, party: Party, officer: Party
    ) -> None:
        _open_account(client, officer, party, "120")
        request_id = open_request_for(party.org_id, lines=(("customs_duty", "500"),))
        refused = client.post(
            f"/api/v1/payment-requests/{request_id}/pay",
            json={"method": "deferment"},
            headers=party.auth,
        )
        assert refused.status_code == 409
        assert "available GBP 120.00 is less than GBP 500.00 due" in refused.json()["detail"]
        again = client.get(f"/api/v1/payment-requests/{request_id}", headers=party.auth).json()
        assert again["status"] == "open"
        trail = client.get("/api/v1/audit", headers=party.auth).json()
        assert trail[0]["action"] == "payment.deferment_refused"

    def test_only_the_owing_organisation_pays(
        self, client: TestClient, party: Party, officer: Party
    ) -> None:
        request_id = open_request_for(party.org_id)
        response = client.post(
            f"/api/v1/payment-requests/{request_id}/pay",
            json={"method": "bank"},
            headers=officer.auth,
        )
        assert response.status_code == 403

    def test_an_unknown_method_says_which_field(self, client: TestClient, party: Party) -> None:
        request_id = open_request_for(party.org_id)
        response = client.post(
            f"/api/v1/payment-requests/{request_id}/pay",
            json={"method": "cash"},
            headers=party.auth,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/body/method"


class TestBankCallback:
    def test_a_signed_callback_settles_once_however_often_it_comes(
        self, client: TestClient, party: Party
    ) -> None:
        request_id = open_request_for(party.org_id)
        body, signature = queued_callback(start_bank_payment(party.org_id, request_id))
        answers = [_callback(client, body, signature) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert {a.json()["status"] for a in answers} == {"confirmed"}
        deliver_events()  # the queued copy of the same callback changes nothing either
        requests, payments, _ = payment_state_of(party.org_id)
        assert [status for _, status in requests] == ["paid"]
        assert [status for _, status in payments] == ["confirmed"]

    def test_a_forged_or_unsigned_callback_is_refused_and_changes_nothing(
        self, client: TestClient, party: Party
    ) -> None:
        request_id = open_request_for(party.org_id)
        body, signature = queued_callback(start_bank_payment(party.org_id, request_id))
        before = payment_state_of(party.org_id)
        forged = body.replace(b'"344.00"', b'"1.00"')
        for claimed_body, claimed_signature in ((forged, signature), (body, None)):
            refused = _callback(client, claimed_body, claimed_signature)
            assert refused.status_code == 403
            assert refused.json()["type"] == "/problems/forbidden"
        assert payment_state_of(party.org_id) == before
        with session_scope() as session:
            on_record = audit.entries_for(
                session, "bank_callback", hashlib.sha256(forged).hexdigest()[:16]
            )
            assert [e.action for e in on_record] == ["payment.callback_refused"]

    def test_an_amount_mismatch_is_refused(self, client: TestClient, party: Party) -> None:
        request_id = open_request_for(party.org_id)
        body, _ = queued_callback(start_bank_payment(party.org_id, request_id))
        content = json.loads(body)
        content["currency"] = "EUR"
        claimed = json.dumps(content).encode()
        refused = _callback(client, claimed, sign_callback(claimed))
        assert refused.status_code == 409
        assert "EUR" in refused.json()["detail"]


class TestDeferredAccounts:
    def test_only_customs_or_administrators_open_one(
        self, client: TestClient, party: Party, administrator: Party
    ) -> None:
        body = {
            "organisation_id": party.org_id,
            "number": f"DAN-SELF-{party.org_id}",
            "currency": "GBP",
            "guarantee_amount": "1000",
            "guarantee_reference": "GUA-1",
            "valid_until": (date.today() + timedelta(days=30)).isoformat(),
        }
        assert (
            client.post("/api/v1/deferred-accounts", json=body, headers=party.auth).status_code
            == 403
        )
        opened = client.post("/api/v1/deferred-accounts", json=body, headers=administrator.auth)
        assert opened.status_code == 201
        assert opened.json()["available"] == "1000.00"
        again = client.post("/api/v1/deferred-accounts", json=body, headers=administrator.auth)
        assert again.status_code == 409

    def test_each_organisation_lists_its_own(
        self, client: TestClient, party: Party, other_party: Party, officer: Party
    ) -> None:
        mine = _open_account(client, officer, party, "500")
        theirs = _open_account(client, officer, other_party, "500")
        listed = {
            a["number"] for a in client.get("/api/v1/deferred-accounts", headers=party.auth).json()
        }
        assert mine["number"] in listed and theirs["number"] not in listed

    def test_field_errors_come_all_at_once(self, client: TestClient, officer: Party) -> None:
        response = client.post(
            "/api/v1/deferred-accounts",
            json={
                "organisation_id": 1,
                "number": "DAN 1",
                "currency": "XXQ",
                "guarantee_amount": "10",
                "guarantee_reference": "GUA",
                "valid_until": "2001-01-01",
            },
            headers=officer.auth,
        )
        assert response.status_code == 422
        pointers = {e["pointer"] for e in response.json()["errors"]}
        assert pointers == {"/number", "/currency", "/valid_until"}


class TestLedger:
    def test_customs_reads_balanced_books_and_traders_do_not(
        self, client: TestClient, party: Party, officer: Party
    ) -> None:
        request_id = open_request_for(party.org_id)
        start_bank_payment(party.org_id, request_id)
        deliver_events()
        assert client.get("/api/v1/ledger/balances", headers=party.auth).status_code == 403
        books = client.get("/api/v1/ledger/balances", headers=officer.auth)
        assert books.status_code == 200
        assert books.json()["balanced"] is True
        assert "revenue:vat" in books.json()["balances"]
