"""A receipt for each payment: its page and its PDF, reached from the declaration and from the
payments list, read by the payer, the parties of its declaration and customs, nobody else."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from onewindow.db import session_scope
from onewindow.events import deliver_pending
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration
from tests.portal import log_in

API = "/api/v1/declarations"


def _deliver() -> None:
    for _ in range(20):
        with session_scope() as session:
            if not deliver_pending(session, limit=500):
                return


def _paid(client: TestClient, payer: Party, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """A declaration the payer lodged and paid through its page; the bank confirmed."""
    lodged = client.post(API, json=body or declaration(), headers=payer.auth).json()
    assert lodged["status"] == "awaiting_payment", lodged
    token = log_in(client, payer)
    client.post(
        f"/declarations/{lodged['id']}/action",
        data={"csrf_token": token, "action": "pay", "method": "bank"},
    )
    _deliver()
    paid = client.get(f"{API}/{lodged['id']}", headers=payer.auth).json()
    assert paid["status"] == "released", paid["status"]
    return dict(paid)


def _receipt_number(page: str) -> str:
    found = re.search(r'href="/payments/receipts/(RC-\d{4}-\d+)"', page)
    assert found, "the page links to the receipt"
    return found[1]


def test_the_receipt_is_reached_from_the_declaration_and_the_payments_list(
    client: TestClient,
) -> None:
    payer = make_party(("trader",))
    paid = _paid(client, payer)
    number = _receipt_number(client.get(f"/declarations/{paid['id']}").text)
    listed = client.get("/payments").text
    assert _receipt_number(listed) == number
    assert paid["number"] in listed
    page = client.get(f"/payments/receipts/{number}").text
    assert f"Receipt {number}" in page
    assert payer.name in page and payer.identifier in page
    assert paid["number"] in page
    assert "Customs duty" in page and "VAT" in page
    assert re.search(r"Total paid</th><td class=\"num\"><strong>GBP [\d,]+\.\d\d<", page)
    assert "Electronic payment" in page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page)
    ledger = re.search(r"Ledger reference</dt><dd><code>([0-9a-f-]{36})</code>", page)
    assert ledger, "the ledger's transaction is named"
    pdf = client.get(f"/payments/receipts/{number}/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    api_pdf = client.get(f"/api/v1/receipts/{number}/pdf", headers=payer.auth)
    assert api_pdf.status_code == 200 and api_pdf.content.startswith(b"%PDF-")


def test_only_the_payer_its_parties_and_customs_read_a_receipt(
    client: TestClient, app: Any
) -> None:
    importer, broker = make_party(("trader",)), make_party(("customs-broker",))
    granted = client.post(
        "/api/v1/mandates",
        json={"representative": broker.identifier, "representation": "direct"},
        headers=importer.auth,
    )
    assert granted.status_code == 201, granted.text
    body = declaration()
    body["declarant"] = {"identifier": importer.identifier}
    body["importer"] = {"identifier": importer.identifier}
    body["representative"] = {"identifier": broker.identifier, "representation": "2"}
    paid = _paid(client, broker, body)
    number = _receipt_number(client.get(f"/declarations/{paid['id']}").text)
    officer = make_party(("customs-office",), user_role="staff")
    for who, status in ((importer, 200), (officer, 200), (make_party(("trader",)), 404)):
        assert client.get(f"/api/v1/receipts/{number}", headers=who.auth).status_code == status
        assert client.get(f"/api/v1/receipts/{number}/pdf", headers=who.auth).status_code == status
        with TestClient(app) as browser:
            log_in(browser, who)
            page = browser.get(f"/payments/receipts/{number}")
            assert page.status_code == status
            assert browser.get(f"/payments/receipts/{number}/pdf").status_code == status
            if status == 404:
                assert broker.name not in page.text and paid["number"] not in page.text
