"""Picking, not typing, in a real browser: a pick list searches as one types and fills the code;
the nomenclature's "use this code" fills the form; a refused subheading offers its lines."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_declarations import BAGS, HEADER, _fill, _item, _log_in
from tests.conftest import make_party

pytestmark = pytest.mark.browser


def test_typing_a_name_offers_the_countries_and_choosing_fills_the_code(
    page: Page, base_url: str
) -> None:
    _log_in(page, base_url, make_party(("trader",)))
    page.goto(f"{base_url}/declarations/new")
    origin = _item(page, 1).get_by_role("combobox", name="Country of origin")
    origin.fill("")
    origin.press_sequentially("brazi", delay=30)
    choices = page.get_by_role("listbox", name="Choices: Country of origin")
    # The first answer may wait for a busy server: allow it more than the default 5 s.
    expect(choices).to_be_visible(timeout=20_000)
    expect(choices.get_by_role("option").first).to_have_text(re.compile(r"BR\s+Brazil"))
    choices.get_by_role("option", name=re.compile("Brazil")).click()
    expect(origin).to_have_value("BR")
    expect(choices).to_be_hidden()

    # With the keyboard: arrows move through the choices, Enter takes one without submitting.
    currency = page.get_by_role("combobox", name="Invoice currency")
    currency.fill("")
    currency.press_sequentially("yen", delay=30)
    expect(page.get_by_role("listbox", name="Choices: Invoice currency")).to_be_visible(
        timeout=20_000
    )
    currency.press("ArrowDown")
    expect(currency).to_have_attribute("aria-activedescendant", re.compile(r"pick-\d+-0"))
    currency.press("Enter")
    expect(currency).to_have_value("JPY")
    expect(page).to_have_url(re.compile(r"/declarations/new$"))


def test_a_trader_picks_from_its_own_parties_only(page: Page, base_url: str) -> None:
    trader = make_party(("trader",))
    other = make_party(("trader",))
    _log_in(page, base_url, trader)
    page.goto(f"{base_url}/declarations/new")
    importer = page.get_by_role("combobox", name="Importer EORI")
    expect(importer).to_have_value(trader.identifier)
    importer.fill("")
    importer.press_sequentially("Test Org", delay=30)
    choices = page.get_by_role("listbox", name="Choices: Importer EORI")
    expect(choices.get_by_role("option")).to_have_count(1, timeout=20_000)
    expect(choices).to_contain_text(trader.name)
    expect(choices).not_to_contain_text(other.name)


def test_use_this_code_then_a_refused_subheading_offers_its_lines(
    page: Page, base_url: str
) -> None:
    trader = make_party(("trader",))
    _log_in(page, base_url, trader)
    page.goto(f"{base_url}/hs")
    page.get_by_label("Search by code or words").fill("handbags leather")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=re.compile(r"^42022100 ")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("42022100")
    expect(page.get_by_role("table", name="Duties and taxes")).to_contain_text("20%")
    page.get_by_role("link", name="Use this code in a declaration").click()
    code = _item(page, 1).get_by_label("Commodity code", exact=True)
    expect(code).to_have_value("42022100")

    _fill(page, {**HEADER, "Your reference": "PICK-1", "Importer EORI": trader.identifier})
    _fill(_item(page, 1), {**BAGS, "Commodity code": "420221", "Price": "10000"})
    page.get_by_role("button", name="Check and lodge").click()
    expect(page.locator("#items-0-commodity_code-error")).to_contain_text(
        "420221 is not a declarable line"
    )
    page.get_by_role("button", name=re.compile("Use 42022100")).click()
    expect(code).to_have_value("42022100")
    page.get_by_role("button", name="Check and lodge").click()
    expect(page).to_have_url(re.compile(r"/declarations/\d+$"))
