"""The portal as a person uses it, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD, make_party

pytestmark = pytest.mark.browser


def _log_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_trader_logs_in_and_sees_what_a_trader_can_do(page: Page, base_url: str) -> None:
    trader = make_party(("trader",))
    _log_in(page, base_url, trader.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    expect(page.get_by_role("heading", name="Lodge goods declarations")).to_be_visible()
    expect(page.get_by_role("heading", name="Needs your action")).to_be_visible()
    expect(page.locator("main .lead")).to_contain_text(trader.name)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()


def test_a_wrong_password_is_announced(page: Page, base_url: str) -> None:
    trader = make_party(("trader",))
    _log_in(page, base_url, trader.email, "not the password")
    expect(page.get_by_role("alert")).to_have_text("The e-mail or the password is wrong.")
    expect(page.get_by_label("E-mail")).to_have_value(trader.email)


def test_the_hs_browser_finds_a_code_and_walks_the_tree(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/hs")
    page.get_by_label("Search by code or words").fill("roasted coffee")
    page.keyboard.press("Enter")
    page.get_by_role("link", name=re.compile(r"^090121 ")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("090121")
    # Down to the national tariff's declarable line, and back up the tree.
    page.get_by_role("link", name=re.compile(r"^09012100 ")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Roasted coffee")
    expect(page.get_by_role("link", name="Use this code in a declaration")).to_be_visible()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="0901", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Coffee")


def test_keyboard_users_can_skip_to_the_content(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_pages_fit_a_phone_screen(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    for path in ("/", "/login", "/hs", "/hs/8703"):
        phone.goto(f"{base_url}{path}")
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways on a phone by {overflow}px"
    context.close()


def test_the_api_explorer_loads_its_own_assets(page: Page, base_url: str) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{base_url}/docs")
    expect(page.get_by_text("onewindow", exact=False).first).to_be_visible()
    assert requests and all(url.startswith(base_url) for url in requests)


def test_on_a_phone_the_navigation_opens_from_the_menu(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    phone.goto(f"{base_url}/")
    statistics = phone.get_by_role("navigation", name="Main").get_by_role("link", name="Statistics")
    expect(statistics).to_be_hidden()
    menu = phone.get_by_role("button", name="Menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    statistics.click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("statistics", ignore_case=True)
    context.close()
