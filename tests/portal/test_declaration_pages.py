"""The declaration pages over HTTP: the form shows errors next to fields; upload; detail."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.conftest import make_party
from tests.declarations.factory import declaration
from tests.portal import log_in


def _form(token: str, **fields: str) -> dict[str, str]:
    base = {
        "csrf_token": token,
        "action": "lodge",
        "declarant_reference": "PORTAL-1",
        "type": "IM",
        "importer-identifier": "GB100000000099",
        "exporter-name": "Shenzhen Bags Co",
        "exporter-address-line": "1 Harbour Road",
        "exporter-address-country": "CN",
        "transport-mode": "1",
        "transport_documents-0-type": "705",
        "transport_documents-0-reference": "MAEU1",
        "location_of_goods": "GBFXT",
        "delivery_terms-incoterm": "CIF",
        "invoice-amount": "1000",
        "invoice-currency": "GBP",
        "items-0-commodity_code": "4202210000",
        "items-0-description": "Leather handbags",
        "items-0-origin": "CN",
        "items-0-procedure": "4000",
        "items-0-net_mass_kg": "50",
        "items-0-packages-0-type": "CT",
        "items-0-packages-0-count": "5",
        "items-0-value-amount": "1000",
        "items-0-value-currency": "GBP",
    }
    base.update(fields)
    return base


def test_errors_are_shown_next_to_their_fields_and_nothing_is_lodged(client: TestClient) -> None:
    trader = make_party(("trader",))
    token = log_in(client, trader)
    page = client.post(
        "/declarations/new",
        data=_form(token, **{"items-0-commodity_code": "010000", "transport-mode": "X"}),
    )
    assert page.status_code == 422
    assert 'id="items-0-commodity_code-error"' in page.text
    assert "010000 is not an HS 2022 subheading" in page.text
    assert 'id="transport-mode-error"' in page.text
    assert client.get("/api/v1/declarations").json() == []


def test_add_item_keeps_what_was_typed(client: TestClient) -> None:
    token = log_in(client, make_party(("trader",)))
    page = client.post("/declarations/new", data=_form(token, action="add-item"))
    assert "Goods item 2" in page.text
    assert 'value="Leather handbags"' in page.text


def test_a_good_form_lodges_and_shows_the_declaration(client: TestClient) -> None:
    token = log_in(client, make_party(("trader",)))
    response = client.post("/declarations/new", data=_form(token), follow_redirects=False)
    assert response.status_code == 303
    detail = client.get(response.headers["location"])
    assert "Awaiting payment" in detail.text
    assert "Customs duty (UK Global Tariff) 2% of GBP 1,000.00" in detail.text


def test_upload_a_json_declaration(client: TestClient) -> None:
    token = log_in(client, make_party(("trader",)))
    body = json.dumps(declaration()).encode()
    response = client.post(
        "/declarations/upload",
        data={"csrf_token": token},
        files={"file": ("declaration.json", body, "application/json")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "Awaiting payment" in client.get(response.headers["location"]).text


def test_upload_of_a_broken_file_says_why(client: TestClient) -> None:
    token = log_in(client, make_party(("trader",)))
    response = client.post(
        "/declarations/upload",
        data={"csrf_token": token},
        files={"file": ("d.json", b"{oops", "application/json")},
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.text


def test_an_officer_sees_the_queue_and_holds_a_declaration(client: TestClient) -> None:
    trader = make_party(("trader",))
    lodged = client.post("/api/v1/declarations", json=declaration(), headers=trader.auth).json()
    officer = make_party(("customs-office",), user_role="staff")
    token = log_in(client, officer)
    queue = client.get("/declarations?status=awaiting_payment")
    assert lodged["number"] in queue.text
    client.post(
        f"/declarations/{lodged['id']}/action",
        data={
            "csrf_token": token,
            "action": "hold",
            "kind": "documentary-check",
            "reason": "check the invoice",
        },
    )
    detail = client.get(f"/declarations/{lodged['id']}")
    assert "check the invoice" in detail.text
