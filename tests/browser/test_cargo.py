"""Cargo in the portal as the carrier, the port authority, the terminal and customs use it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from onewindow.db import utcnow
from tests.browser.test_portal import _log_in
from tests.cargo import imo, manifest_body
from tests.conftest import make_party

pytestmark = pytest.mark.browser


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_a_vessel_from_announcement_to_departure(page: Page, base_url: str, tmp_path: Path) -> None:
    carrier = make_party(("carrier",))
    port = make_party(("port-authority",))
    terminal = make_party(("terminal-operator",))
    customs = make_party(("customs-office",), user_role="staff")
    vessel = imo()
    body = manifest_body(vessel)
    box = body["documents"][0]["containers"][0]["number"]
    document = body["documents"][0]["number"]

    _log_in(page, base_url, carrier.email)
    page.get_by_role("link", name="Cargo").click()
    page.get_by_label("IMO number (vessel) or flight number").fill(vessel)
    page.get_by_label("Vessel name").fill("Browser Star")
    page.get_by_label("Voyage").fill("B1")
    page.get_by_label("Port", exact=True).fill("GBFXT")
    eta = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Expected arrival (UTC)").fill(eta)
    page.get_by_role("button", name="Announce").click()
    expect(page.get_by_role("status")).to_have_text("The call is registered.")
    page.reload()
    expect(page.get_by_role("status")).to_have_count(0)  # said once, not kept in the address
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(body))
    page.get_by_label("File").set_input_files(manifest)
    page.get_by_role("button", name="Lodge").click()
    expect(page.get_by_role("status")).to_have_text("manifest.json: received.")
    page.get_by_role("link", name=body["reference"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Manifest {body['reference']}")
    expect(page.get_by_role("link", name=document)).to_be_visible()
    _log_out(page)

    _log_in(page, base_url, port.email)
    page.goto(f"{base_url}/cargo")
    page.get_by_role("link", name="Browser Star").click()
    page.get_by_role("button", name="Record the arrival now").click()
    expect(page.get_by_role("status")).to_have_text("Arrival noted.")
    # Still aboard: the clearance is not offered, and what stops it is named.
    expect(page.get_by_role("alert")).to_contain_text(box)
    expect(page.get_by_role("button", name="Clear to depart")).to_have_count(0)
    _log_out(page)

    _log_in(page, base_url, terminal.email)
    page.goto(f"{base_url}/cargo")
    page.get_by_label("Event", exact=True).select_option("discharged")
    page.get_by_label("Container number, or transport document for loose cargo").fill(box)
    page.get_by_role("button", name="Report").click()
    expect(page.get_by_role("status")).to_have_text(f"{box}: discharged recorded.")
    expect(page.get_by_role("row").filter(has_text=box).first).to_contain_text(
        f"{document} is not declared"
    )
    page.get_by_label("Container or transport document").fill(box)
    page.get_by_role("button", name="Ask customs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{box}: may not leave")
    _log_out(page)

    _log_in(page, base_url, customs.email)
    page.goto(f"{base_url}/cargo/track?q={box}")
    events = page.get_by_role("list").filter(has_text="Manifest")
    expect(events).to_contain_text(f"{box}: discharged")
    expect(events).to_contain_text("Browser Star arrived at GBFXT")
    _log_out(page)

    _log_in(page, base_url, port.email)
    page.goto(f"{base_url}/cargo")
    page.get_by_role("link", name="Browser Star").click()
    page.get_by_label("Reason").fill("all discharged")
    page.get_by_label("I confirm: a clearance cannot be undone").check()
    page.get_by_role("button", name="Clear to depart").click()
    expect(page.get_by_role("status")).to_have_text("The call is cleared to depart.")
    expect(page.get_by_role("button", name="Record the departure now")).to_be_visible()


def test_cargo_pages_fit_a_phone_screen(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    for roles in (("carrier",), ("terminal-operator",), ("port-authority",), ("customs-office",)):
        party = make_party(roles, user_role="staff")
        _log_in(phone, base_url, party.email)
        for path in ("/cargo", "/cargo/track?q=NOTHING"):
            phone.goto(f"{base_url}{path}")
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{path} scrolls sideways on a phone by {overflow}px ({roles})"
        _log_out(phone)
    context.close()
