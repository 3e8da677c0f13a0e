"""Permits in the portal: a trader applies, the agency's officer asks, reviews and approves once
the trader has paid the fee, and the trader sees the certificate issued."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from onewindow.permits import service as permits
from tests.browser.test_portal import _log_in
from tests.conftest import make_party
from tests.permits import load

pytestmark = pytest.mark.browser

DATA = Path(permits.__file__).parent / "data" / "certificate-of-origin.json"


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


def _procedure(agency_identifier: str) -> dict[str, object]:
    """The certificate of origin as shipped (review, fee, decision), under a code of the test's
    own and run by the test's agency."""
    body = json.loads(DATA.read_text())
    tag = uuid.uuid4().hex[:6].upper()
    body["code"] = f"CO-{tag}"
    body["name"] = f"Certificate of origin {tag}"
    body["agency"] = {**body["agency"], "code": f"CH{tag}", "organisation": agency_identifier}
    load(body)
    return body


def test_an_application_from_lodging_to_the_certificate(page: Page, base_url: str) -> None:
    trader = make_party(("trader",))
    agency = make_party(("permit-agency",), user_role="staff")
    procedure = _procedure(agency.identifier)
    name = str(procedure["name"])

    _log_in(page, base_url, trader.email)
    page.goto(f"{base_url}/permits")
    page.get_by_label("Procedure").select_option(str(procedure["code"]))
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("main")).to_contain_text("Fee 30.00 GBP.")
    page.get_by_label("Commodity code (required)").fill("09012100")
    page.get_by_label("Goods (required)").fill("Roasted coffee beans")
    page.get_by_role("combobox", name="Country of origin (required)").fill("GB")
    page.get_by_role("combobox", name="Country of destination (required)").fill("JP")
    page.get_by_label("Origin criterion (required)").select_option("WO")
    page.get_by_role("button", name="Lodge the application").click()
    expect(page).to_have_url(re.compile(r"/permits/applications/\d+$"))
    application_url = page.url
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"Application \S+: Lodged"))
    number = heading.inner_text().removeprefix("Application ").split(":")[0]
    expect(page.get_by_role("status")).to_have_text(
        f"Application {number} is lodged with the agency."
    )
    expect(page.get_by_role("main")).to_contain_text("Wholly obtained (WO)")
    page.reload()
    expect(page.get_by_role("status")).to_have_count(0)  # said once
    expect(page.get_by_role("button", name="Decide")).to_have_count(0)  # the agency's only
    _log_out(page)

    _log_in(page, base_url, agency.email)
    page.goto(f"{base_url}/permits")
    queue = page.get_by_role("region", name="Applications to decide")
    row = queue.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text(trader.name)
    expect(row).to_contain_text("Origin review")
    row.get_by_role("link", name=number).click()
    expect(page).to_have_url(application_url)
    page.get_by_label("Ask the applicant").fill("Which mill produced the beans?")
    page.get_by_role("button", name="Ask for information").click()
    expect(page.get_by_role("status")).to_have_text("Your question is sent to the applicant.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Application {number}: Information asked for"
    )
    _log_out(page)

    _log_in(page, base_url, trader.email)
    page.goto(application_url)
    expect(page.get_by_role("region", name="Messages")).to_contain_text(
        "Which mill produced the beans?"
    )
    page.get_by_label("Your answer").fill("Our own roastery in Felixstowe")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_role("status")).to_have_text("Your answer is sent to the agency.")
    expect(page.get_by_label("Your answer")).to_have_count(0)
    _log_out(page)

    _log_in(page, base_url, agency.email)
    page.goto(application_url)
    expect(page.get_by_role("region", name="Messages")).to_contain_text(
        "Our own roastery in Felixstowe"
    )
    steps = page.get_by_role("region", name="Where it stands")
    review = steps.get_by_role("row").filter(has_text="Origin review")
    review.get_by_label("Note").fill("Origin documents in order")
    review.get_by_role("button", name="Done").click()
    expect(page.get_by_role("status")).to_have_text("The step is done.")
    fee = steps.get_by_role("row").filter(has_text="Certification fee")
    expect(fee).to_contain_text("Ends when the fee is paid")
    expect(steps.get_by_role("row").filter(has_text="Issue")).to_contain_text("Waiting")
    _log_out(page)

    _log_in(page, base_url, trader.email)
    page.goto(application_url)
    expect(page.get_by_role("region", name="Fee")).to_contain_text("30.00 GBP")
    expect(page.get_by_role("region", name="Fee")).to_contain_text("to pay")
    page.get_by_label("Pay by").select_option("bank")
    page.get_by_role("button", name="Pay 30.00 GBP").click()
    expect(page.get_by_role("status")).to_have_text(
        "Payment sent to the bank; the fee step ends with its confirmation and the receipt."
    )
    fee_row = page.get_by_role("region", name="Where it stands").get_by_role("row")
    deadline = time.monotonic() + 30
    while "paid" not in page.get_by_role("region", name="Fee").inner_text():
        assert time.monotonic() < deadline, "the bank's confirmation never closed the fee step"
        time.sleep(0.5)
        page.reload()
    expect(page.get_by_role("region", name="Fee")).to_contain_text("receipt")
    expect(fee_row.filter(has_text="Certification fee")).to_contain_text("Done")
    _log_out(page)

    _log_in(page, base_url, agency.email)
    page.goto(application_url)
    decide = page.get_by_role("region", name="Decide")
    decide.get_by_label("Approve and issue").check()
    decide.get_by_label("Reason (the applicant reads it)").fill("Wholly obtained in the UK")
    decide.get_by_label("I confirm: a decision cannot be undone.").check()
    decide.get_by_role("button", name="Decide").click()
    expect(page.get_by_role("status")).to_have_text("Approved: the permit is issued.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Application {number}: Approved")
    expect(page.get_by_role("region", name="Decide")).to_have_count(0)
    _log_out(page)

    _log_in(page, base_url, trader.email)
    page.goto(application_url)
    issued = page.locator(".notice")
    expect(issued).to_contain_text("issued")
    permit = issued.locator("strong").inner_text()
    expect(page.get_by_role("main")).to_contain_text("Decision: Wholly obtained in the UK")
    page.get_by_role("link", name="See your permits").click()
    mine = page.get_by_role("region", name="Your permits and certificates")
    row = mine.get_by_role("row").filter(has_text=permit)
    expect(row).to_contain_text("Certificate")
    row.get_by_role("link", name=permit).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(permit)
