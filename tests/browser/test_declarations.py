"""The declaration pages as a trader and a customs officer use them, in a real browser."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.conftest import PASSWORD, Party, make_party
from tests.declarations.factory import declaration

pytestmark = pytest.mark.browser

HEADER = {
    "Your reference": "",
    "Importer EORI": "",
    "Exporter name": "Shenzhen Bags Co",
    "Exporter street": "1 Harbour Road",
    "Exporter city": "Shenzhen",
    "Exporter country": "CN",
    "Country of export": "CN",
    "Transport document number": "MAEU123456789",
    "Location of goods": "GBFXT",
    "Invoice total": "10000",
    "Freight to the border": "800",
    "Insurance": "50",
}
BAGS = {
    "Commodity code": "4202210000",
    "Description": "Handbags with outer surface of leather",
    "Country of origin": "CN",
    "Net mass (kg)": "400",
    "Gross mass (kg)": "450",
    "Packages": "20",
    "Price": "6000",
}
SHOES = {
    "Commodity code": "6403990500",
    "Description": "Leather footwear",
    "Country of origin": "CN",
    "Net mass (kg)": "200",
    "Gross mass (kg)": "230",
    "Packages": "10",
    "Price": "4000",
}


def _log_in(page: Page, base_url: str, party: Party) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(party.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def _fill(scope: Page | Locator, values: dict[str, str]) -> None:
    for label, value in values.items():
        scope.get_by_label(label, exact=True).fill(value)


def _item(page: Page, number: int) -> Locator:
    return page.get_by_role("group", name=f"Goods item {number}")


def _lodged(base_url: str, party: Party) -> list[dict[str, object]]:
    response = httpx.get(f"{base_url}/api/v1/declarations", headers=party.auth, timeout=10)
    response.raise_for_status()
    result: list[dict[str, object]] = response.json()
    return result


def _lodge_by_api(base_url: str, party: Party) -> dict[str, object]:
    body = declaration(importer={"identifier": party.identifier})
    response = httpx.post(
        f"{base_url}/api/v1/declarations", json=body, headers=party.auth, timeout=30
    )
    assert response.status_code == 201, response.text
    lodged: dict[str, object] = response.json()
    return lodged


def _status(page: Page) -> Locator:
    facts = page.locator("dl.facts")
    return facts.locator("dt", has_text="Status").locator("xpath=following-sibling::dd[1]")


def test_a_trader_lodges_two_items_corrects_an_error_pays_and_sees_the_release(
    page: Page, base_url: str
) -> None:
    trader = make_party(("trader",))
    _log_in(page, base_url, trader)
    page.get_by_role("link", name="Lodge goods declarations").click()
    page.get_by_role("link", name="Lodge a declaration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lodge a goods declaration")

    _fill(page, {**HEADER, "Your reference": "BROWSER-1", "Importer EORI": trader.identifier})
    _fill(_item(page, 1), BAGS)
    page.get_by_role("button", name="Add a goods item").click()
    expect(_item(page, 2).get_by_label("Commodity code", exact=True)).to_be_focused()
    expect(_item(page, 1).get_by_label("Description", exact=True)).to_have_value(
        BAGS["Description"]
    )
    _fill(_item(page, 2), {**SHOES, "Commodity code": "851712"})
    page.get_by_role("button", name="Check and lodge").click()

    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked")
    wrong = _item(page, 2).get_by_label("Commodity code", exact=True)
    expect(wrong).to_have_attribute("aria-invalid", "true")
    error = page.locator("#items-1-commodity_code-error")
    expect(error).to_have_text("851712 is not an HS 2022 subheading")
    expect(wrong).to_have_attribute("aria-describedby", re.compile("items-1-commodity_code-error"))
    summary = page.get_by_role("list", name="Fields to correct")
    expect(summary.get_by_role("listitem")).to_have_count(1)
    summary.get_by_role("link", name="Goods item 2, commodity code").click()
    expect(wrong).to_be_focused()
    expect(_item(page, 1).get_by_label("Commodity code", exact=True)).not_to_have_attribute(
        "aria-invalid", "true"
    )
    assert _lodged(base_url, trader) == []

    wrong.fill(SHOES["Commodity code"])
    page.get_by_role("button", name="Check and lodge").click()

    expect(page).to_have_url(re.compile(r"/declarations/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Declaration")
    expect(_status(page)).to_have_text("Awaiting payment")
    trace = page.get_by_role("region", name=re.compile("Duties and taxes"))
    table = trace.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text="6403990500").first).to_contain_text("8%")
    trace.get_by_text("How it was computed").click()
    expect(trace.get_by_text("Customs duty (UK Global Tariff) 2% of GBP 5,142.90")).to_be_visible()
    expect(
        trace.get_by_text(re.compile(r"Customs duty \(UK Global Tariff\) 8% of"))
    ).to_be_visible()
    expect(trace.get_by_role("heading", name=re.compile("Item 2: 6403990500"))).to_be_visible()
    assert len(_lodged(base_url, trader)) == 1

    page.get_by_label("Bank transfer").check()
    page.get_by_role("button", name=re.compile(r"^Pay GBP")).click()
    expect(page.get_by_role("status")).to_have_text(
        "Payment sent to the bank; the receipt follows its confirmation."
    )

    deadline = time.monotonic() + 10
    while "Released" not in (_status(page).text_content() or ""):
        assert time.monotonic() < deadline, "the bank's confirmation did not release the goods"
        page.wait_for_timeout(500)
        page.reload()
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_text("Paid", exact=True)).to_be_visible()
    expect(timeline.get_by_text("Released", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Pay"))).to_have_count(0)


def test_a_customs_officer_holds_and_inspects_from_the_queue(page: Page, base_url: str) -> None:
    trader = make_party(("trader",))
    lodged = _lodge_by_api(base_url, trader)
    officer = make_party(("customs-office",), user_role="staff")
    _log_in(page, base_url, officer)

    page.get_by_role("link", name="Work the declaration queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Declaration queue")
    filters = page.get_by_role("navigation", name="Filter by status")
    filters.get_by_role("link", name=re.compile(r"^Awaiting payment")).click()
    expect(page).to_have_url(re.compile(r"status=awaiting_payment"))
    expect(filters.get_by_role("link", name=re.compile(r"^Awaiting payment"))).to_have_attribute(
        "aria-current", "page"
    )
    rows = page.locator("table.grid tbody tr")
    expect(rows.first).to_be_visible()
    for status in rows.locator(".status").all_text_contents():
        assert status == "Awaiting payment"
    page.get_by_role("link", name=str(lodged["number"]), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(lodged["number"]))

    control = page.get_by_role("region", name="Customs control")
    control.get_by_label("Hold for").select_option("physical-inspection")
    control.get_by_label("Reason", exact=True).fill("Undervaluation suspected: open two cartons")
    control.get_by_role("button", name="Place hold").click()
    expect(page.get_by_role("status")).to_have_text("Hold placed.")
    holds = page.get_by_role("region", name="Holds")
    inspection = holds.get_by_role("listitem").filter(has_text="Goods to be inspected")
    expect(inspection).to_contain_text("Undervaluation suspected: open two cartons")

    # Releasing now would need the payment and the inspection result: it changes nothing.
    control.get_by_label("Reason for release").fill("Looks fine")
    control.get_by_label("I confirm: a release cannot be undone.").check()
    control.get_by_role("button", name="Release the goods").click()
    expect(page.get_by_role("status")).to_contain_text("cannot be released yet")
    expect(page.get_by_role("status")).to_contain_text("recording the inspection result")
    expect(inspection).not_to_contain_text("lifted")
    expect(_status(page)).to_have_text("Awaiting payment")

    expect(inspection.get_by_role("button", name="Lift hold")).to_have_count(0)
    inspection.get_by_label("Findings").fill("Two cartons opened: goods as declared")
    inspection.get_by_role("button", name="Record the result").click()
    expect(page.get_by_role("status")).to_have_text("Inspection result recorded.")
    inspection = holds.get_by_role("listitem").filter(has_text="Goods to be inspected")
    expect(inspection).to_contain_text("lifted")
    expect(inspection).to_contain_text("Two cartons opened: goods as declared")
    expect(inspection.get_by_role("button", name="Record the result")).to_have_count(0)
    expect(_status(page)).to_have_text("Awaiting payment")


KEYBOARD_VALUES = {
    "declarant_reference": "KEYBOARD-1",
    "exporter-name": "Shenzhen Bags Co",
    "exporter-address-line": "1 Harbour Road",
    "exporter-address-country": "CN",
    "country_of_export": "CN",
    "transport_documents-0-reference": "MAEU555",
    "location_of_goods": "GBFXT",
    "invoice-amount": "1000",
    "invoice-currency": "GBP",
    "freight-amount": "60",
    "freight-currency": "GBP",
    "insurance-amount": "5",
    "insurance-currency": "GBP",
    "items-0-commodity_code": "4202210000",
    "items-0-description": "Leather handbags",
    "items-0-origin": "CN",
    "items-0-net_mass_kg": "50",
    "items-0-packages-0-count": "5",
    "items-0-value-amount": "1000",
    "items-0-value-currency": "GBP",
}


def test_the_form_is_labelled_and_can_be_lodged_with_the_keyboard_alone(
    page: Page, base_url: str
) -> None:
    trader = make_party(("trader",))
    _log_in(page, base_url, trader)
    page.goto(f"{base_url}/declarations/new")

    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('form.declaration input, form.declaration select')]
            .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.name)"""
    )
    assert unlabelled == []
    for label in ("Your reference", "Importer EORI", "Incoterm", "Invoice currency"):
        expect(page.get_by_label(label, exact=True)).to_have_count(1)
    item = _item(page, 1)
    for label in (
        "Commodity code",
        "Country of origin",
        "Net mass (kg)",
        "Package type",
        "Price currency",
    ):
        expect(item.get_by_label(label, exact=True)).to_have_count(1)

    values = {**KEYBOARD_VALUES, "importer-identifier": trader.identifier}
    typed: set[str] = set()
    for _ in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => ({id: document.activeElement.id, text: document.activeElement.textContent})"
        )
        if focused["id"] in values:
            page.keyboard.press("Control+A")
            page.keyboard.type(values[focused["id"]])
            typed.add(focused["id"])
        if focused["text"].strip() == "Check and lodge":
            break
    else:
        pytest.fail("Tab never reached the Check and lodge button")
    assert typed == set(values), set(values) - typed
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/declarations/\d+$"))
    expect(_status(page)).to_have_text("Awaiting payment")
    assert [d["declarant_reference"] for d in _lodged(base_url, trader)] == ["KEYBOARD-1"]


def _overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("who", ["trader", "officer"])
def test_the_declaration_pages_fit_a_phone_screen(
    browser: Browser, base_url: str, who: str
) -> None:
    trader = make_party(("trader",))
    lodged = _lodge_by_api(base_url, trader)
    user = trader if who == "trader" else make_party(("customs-office",), user_role="staff")
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    _log_in(phone, base_url, user)
    paths = ["/declarations", f"/declarations/{lodged['id']}"]
    if who == "trader":
        paths.append("/declarations/new")
    for path in paths:
        phone.goto(f"{base_url}{path}")
        assert _overflow(phone) <= 1, f"{path} scrolls sideways on a phone by {_overflow(phone)}px"
    context.close()


def test_a_trader_mandates_its_broker_who_lodges_for_it(page: Page, base_url: str) -> None:
    trader = make_party(("trader",))
    broker = make_party(("customs-broker",))
    _log_in(page, base_url, trader)
    page.get_by_role("link", name="Mandates", exact=True).click()
    page.get_by_label("Broker's EORI or TIN").fill(broker.identifier)
    page.get_by_role("checkbox", name="Import").check()
    page.get_by_role("button", name="Grant the mandate").click()
    expect(page.get_by_role("status")).to_have_text(f"{broker.name} may now lodge for you.")
    granted = page.get_by_role("region", name="Brokers who act for you")
    expect(granted).to_contain_text("In force")
    page.context.clear_cookies()

    _log_in(page, base_url, broker)
    page.goto(f"{base_url}/declarations/new")
    page.get_by_label("Lodging for").select_option(label=f"{trader.name} (direct representation)")
    _fill(page, {**HEADER, "Your reference": "FOR-CLIENT-1", "Invoice total": "6000"})
    _fill(_item(page, 1), BAGS)
    page.get_by_role("button", name="Check and lodge").click()
    expect(page).to_have_url(re.compile(r"/declarations/\d+$"))
    expect(page.get_by_text(f"{broker.identifier} (direct)")).to_be_visible()
    [lodged] = _lodged(base_url, trader)
    assert lodged["declarant_reference"] == "FOR-CLIENT-1"
    page.context.clear_cookies()

    _log_in(page, base_url, trader)
    page.goto(f"{base_url}/mandates")
    row = page.get_by_role("region", name="Brokers who act for you").get_by_role("row").nth(1)
    row.get_by_label("Reason").fill("We clear our own goods from now on")
    row.get_by_label("I confirm: a revocation cannot be undone").check()
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    page.context.clear_cookies()

    _log_in(page, base_url, broker)
    page.goto(f"{base_url}/declarations/new")
    expect(page.get_by_label("Lodging for")).to_have_count(0)


def test_a_carrier_is_not_offered_declarations(page: Page, base_url: str) -> None:
    carrier = make_party(("carrier",))
    _log_in(page, base_url, carrier)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Declarations")).to_have_count(0)
    page.goto(f"{base_url}/declarations/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
