"""A trader pays and keeps the receipt, reads the notifications; an officer sees why a declaration
was selected and assesses by hand what the tariff could not: in a real browser."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_declarations import _log_in, _status
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration

pytestmark = pytest.mark.browser


def _lodge(base_url: str, party: Party, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{base_url}/api/v1/declarations", json=body, headers=party.auth, timeout=30
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_trader_pays_keeps_the_receipt_and_reads_the_notifications(
    page: Page, base_url: str
) -> None:
    trader = make_party(("trader",))
    lodged = _lodge(base_url, trader, declaration())
    _log_in(page, base_url, trader)
    page.goto(f"{base_url}/declarations/{lodged['id']}")
    duties = page.get_by_role("region", name=re.compile("Duties and taxes"))
    table = duties.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Base")).to_be_visible()
    expect(table.get_by_role("cell", name="Customs duty").first).to_be_visible()
    expect(
        table.get_by_role("row", name=re.compile(r"^Total due GBP [\d,]+\.\d\d$"))
    ).to_be_visible()

    page.get_by_label("Bank transfer").check()
    page.get_by_role("button", name=re.compile(r"^Pay GBP")).click()
    deadline = time.monotonic() + 15
    while "Released" not in (_status(page).text_content() or ""):
        assert time.monotonic() < deadline, "the bank's confirmation did not release the goods"
        page.wait_for_timeout(500)
        page.reload()

    payment = page.get_by_role("region", name="Payment")
    payment.get_by_role("link", name=re.compile(r"^RC-\d{4}-\d+$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Receipt RC-"))
    expect(page.locator("dl.facts")).to_contain_text(f"{trader.name} ({trader.identifier})")
    expect(page.get_by_role("link", name=str(lodged["number"]))).to_be_visible()
    href = page.get_by_role("link", name=re.compile("PDF")).get_attribute("href")
    pdf = page.request.get(f"{base_url}{href}")
    assert pdf.ok and pdf.body().startswith(b"%PDF-")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments")
    expect(page.get_by_role("link", name=re.compile(r"^RC-"))).to_have_count(1)

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(r"^Notifications")
    ).click()
    group = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=re.compile(f"Declaration {lodged['number']}"))
    )
    expect(group.get_by_text(f"Declaration {lodged['number']} released")).to_be_visible()
    others = page.get_by_role("button", name="Mark these as read").count()
    group.get_by_role("button", name="Mark these as read").click()
    expect(group.get_by_text("Unread")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark these as read")).to_have_count(others - 1)


def _in_new_zealand_dollars() -> dict[str, Any]:
    body = declaration()
    for key in ("invoice", "freight", "insurance"):
        body[key] = {**body[key], "currency": "NZD"}
    for item in body["items"]:
        item["value"] = {**item["value"], "currency": "NZD"}
    return body


def test_an_officer_reads_the_channel_and_assesses_by_hand(page: Page, base_url: str) -> None:
    trader = make_party(("trader",))
    lodged = _lodge(base_url, trader, _in_new_zealand_dollars())
    officer = make_party(("customs-office",), user_role="staff")
    _log_in(page, base_url, officer)
    page.goto(f"{base_url}/declarations/{lodged['id']}")
    expect(page.get_by_role("region", name=re.compile("Channel and its reasons"))).to_be_visible()
    holds = page.get_by_role("region", name="Holds")
    held = holds.get_by_role("listitem").filter(has_text="Duties and taxes to be assessed")
    expect(held).to_contain_text("no customs exchange rate for NZD")

    form = held.get_by_role("group", name="Assess by hand")
    form.get_by_label("Currency", exact=True).select_option("NZD")
    form.get_by_label("Exchange rate (national currency per unit)").fill("0.47")
    form.get_by_label("Reason and source of the rate").fill("Central bank rate of the day")
    held.get_by_role("button", name="Assess").click()
    expect(page.get_by_role("status")).to_have_text("Assessed: the payment request follows.")
    expect(_status(page)).to_have_text("Awaiting payment")
    expect(page.get_by_role("region", name=re.compile("Duties and taxes: GBP"))).to_be_visible()

    control = page.get_by_role("region", name="Customs control")
    invalidate = control.get_by_role("group", name="Invalidate")
    invalidate.get_by_label("Reason for invalidating").fill("Goods never presented")
    control.get_by_role("button", name="Invalidate the declaration").click()
    expect(_status(page)).to_have_text("Awaiting payment"), "not confirmed: nothing happens"
    invalidate.get_by_label("I confirm: invalidating cannot be undone.").check()
    control.get_by_role("button", name="Invalidate the declaration").click()
    expect(page.get_by_role("status")).to_contain_text("Invalidated")
    expect(_status(page)).to_have_text("Invalidated")
