"""AEO in the portal: a company applies with its self-assessment, customs validates and grants a
tier, the company sees its certificate, and customs suspends it with a reason and a ticked
confirmation."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from onewindow.aeo import service as aeo
from tests.browser.test_portal import _log_in
from tests.conftest import make_party

pytestmark = pytest.mark.browser


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_a_company_is_certified_then_suspended(page: Page, base_url: str) -> None:
    trader = make_party(("trader",))
    officer = make_party(("customs-office",), user_role="staff")
    questions = [q for c in aeo.criteria().for_tier("AEO-C") for q in c.questions]

    _log_in(page, base_url, trader.email)
    page.goto(f"{base_url}/aeo")
    expect(page.get_by_role("heading", level=1)).to_have_text("Authorised economic operators")
    expect(page.get_by_text("No certificate yet.")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Apply").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for an AEO certificate")
    page.get_by_label("Your role").select_option("importer")
    page.get_by_label("Tier").select_option("AEO-C")
    for q in questions:
        page.get_by_label(q.text, exact=True).first.fill(f"We do: {q.code}.")
    page.get_by_role("button", name="Submit the application").click()
    expect(page).to_have_url(re.compile(r"/aeo/applications/\d+$"))
    application_url = page.url
    expect(page.get_by_role("status")).to_have_text("Application submitted.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"AEO application \d+: Submitted, waiting for review")
    )
    expect(page.get_by_text(f"We do: {questions[0].code}.")).to_be_visible()
    page.reload()
    expect(page.get_by_role("status")).to_have_count(0)  # said once
    # The company sees no customs form.
    expect(page.get_by_role("button", name="Decide")).to_have_count(0)
    _log_out(page)

    _log_in(page, base_url, officer.email)
    page.goto(f"{base_url}/aeo")
    expect(page.get_by_role("heading", name="Applications waiting for customs")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=trader.name)
    expect(row).to_contain_text("Submitted, waiting for review")
    row.get_by_role("link").click()
    expect(page).to_have_url(application_url)
    expect(page.get_by_text(f"{trader.name} applies as")).to_be_visible()
    # Before the visit only a refusal is offered.
    expect(page.get_by_role("radio", name="Grant")).to_have_count(0)
    visit_day = (date.today() + timedelta(days=3)).isoformat()
    page.get_by_label("Date").fill(visit_day)
    page.get_by_label("Place").fill("Head office, Felixstowe")
    page.get_by_role("button", name="Plan the visit").click()
    expect(page.get_by_role("status")).to_have_text("Validation visit planned.")
    expect(
        page.get_by_text(f"Validation visit: {visit_day} at Head office, Felixstowe.")
    ).to_be_visible()
    findings = page.get_by_role("region", name="Record the visit's findings")
    for rating in findings.get_by_label("Rating").all():
        rating.select_option("met")
    findings.get_by_label("Note").first.fill("Records kept well")
    page.get_by_role("button", name="Record the findings").click()
    expect(page.get_by_role("status")).to_have_text("Validation visit recorded.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Validation visit recorded")
    expect(page.get_by_text("Finding: Met: Records kept well")).to_be_visible()
    decide = page.get_by_role("region", name="Decide")
    decide.get_by_role("radio", name="Grant").check()
    decide.get_by_label("Tier granted").select_option("AEO-C")
    decide.get_by_label("Reasons").fill("All criteria met at the visit")
    decide.get_by_label("I confirm: the decision is final").check()
    decide.get_by_role("button", name="Decide").click()
    expect(page.get_by_role("status")).to_have_text("Certificate granted.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Granted")
    _log_out(page)

    _log_in(page, base_url, trader.email)
    page.goto(f"{base_url}/aeo")
    certificates = page.get_by_role("main").get_by_role("listitem").filter(has_text="AEO-C")
    expect(certificates).to_contain_text("as Importer, Active", ignore_case=True)
    certificates.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"AEO certificate \S+: Active")
    )
    certificate_url = page.url
    expect(page.get_by_role("main")).to_contain_text(f"Holder{trader.name}")
    expect(page.get_by_role("button", name="Suspend")).to_have_count(0)  # customs only
    _log_out(page)

    _log_in(page, base_url, officer.email)
    page.goto(certificate_url)
    suspend = page.locator("form").filter(has=page.get_by_role("heading", name="Suspend"))
    suspend.get_by_label("Reason").fill("Unpaid duties under investigation")
    suspend.get_by_role("button", name="Suspend").click()
    # The browser asks for the tick before anything is sent; nothing has changed.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Active")
    suspend.get_by_label("I confirm").check()
    suspend.get_by_role("button", name="Suspend").click()
    expect(page.get_by_role("status")).to_have_text("Certificate suspended: its benefits stop now.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Suspended")
    expect(page.get_by_role("button", name="Reinstate")).to_be_visible()
    _log_out(page)

    _log_in(page, base_url, trader.email)
    page.goto(f"{base_url}/aeo")
    expect(
        page.get_by_role("main").get_by_role("listitem").filter(has_text="AEO-C")
    ).to_contain_text("Suspended")
    page.goto(certificate_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Suspended")
    expect(page.get_by_text("Unpaid duties under investigation").first).to_be_visible()
