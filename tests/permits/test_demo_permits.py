"""The demo's permits: agencies, procedures, requirement rules and applications in every state,
a queue for the demo agency user, loaded once however often."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient

from onewindow.db import session_scope
from onewindow.demo import (
    DEMO_PASSWORD,
    OFFICER_EMAIL,
    TRADER_EMAIL,
    demo_principal,
    load_demo,
)
from onewindow.demo_permits import AGENCY_EMAIL, PLANTS, load_demo_permits
from onewindow.permits import service as permits
from onewindow.permits.schemas import ApplicationIn
from onewindow.release import open_conditions


def _login(client: TestClient, email: str) -> None:
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def test_the_demo_has_applications_in_every_state_once(client: TestClient) -> None:
    with session_scope() as session:
        load_demo(session)
    with session_scope() as session:
        load_demo_permits(session)
    with session_scope() as session:
        assert load_demo_permits(session) == 0
        codes = {p.code for p in permits.current_procedures(session)}
        trader = demo_principal(session, TRADER_EMAIL)
        states = Counter(a.status for a in permits.list_applications(session, trader))
        queue = permits.list_applications(session, demo_principal(session, AGENCY_EMAIL))
        stories: set[str] = set()
        for application in permits.list_applications(session, trader):
            seen = permits.view(session, application)
            if any(m.kind == "answer" for m in seen.thread) and seen.status == "in_review":
                stories.add("answered")
            if seen.fee_request and seen.fee_request.status == "open":
                stories.add("fee due")
            if seen.fee_request and seen.fee_request.receipt_number:
                stories.add("fee paid")
            if seen.declaration_id:
                stories.add("inside a declaration")
                held = seen.declaration_id
        held_for = open_conditions(session, held)
        officer = demo_principal(session, OFFICER_EMAIL)
        inspection = permits.inspection_parts(session, officer, [held])[held]
    assert {"PHYTO-IMPORT", "VET-HEALTH", "CITES", "MED-IMPORT", "CERT-ORIGIN"} <= codes
    assert {"lodged", "in_review", "information_requested", "approved", "rejected"} <= set(states)
    assert len([a for a in queue if a.status in permits.OPEN_STATUSES]) >= 3
    assert {"answered", "fee due", "fee paid", "inside a declaration"} <= set(stories)
    assert held_for and all(c.domain == "permits" for c in held_for), "held for its permit"
    assert [(f.role, f.finding) for f in inspection] == [("join", "compliant"), ("asked", None)]

    _login(client, AGENCY_EMAIL)
    home = client.get("/permits")
    assert home.status_code == 200
    assert "Applications to decide" in home.text and "Harbour Trading Ltd" in home.text
    assert "Turnaround" in home.text
    first = next(a for a in queue if a.status == "in_review")
    detail = client.get(f"/permits/applications/{first.id}")
    assert "Identity and physical check at the border post" in detail.text
    assert "I confirm: a decision cannot be undone." in detail.text


def test_the_trader_applies_answers_and_prints_a_certificate_in_the_portal(
    client: TestClient,
) -> None:
    with session_scope() as session:
        load_demo(session)
    with session_scope() as session:
        load_demo_permits(session)
    _login(client, TRADER_EMAIL)
    home = client.get("/permits")
    assert "Your applications" in home.text and "Certificate of origin" in home.text
    form = client.get("/permits/apply", params={"procedure": "PHYTO-IMPORT"})
    assert form.status_code == 200 and "Purpose" in form.text
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post(
        "/permits/apply",
        data={"csrf_token": token, "procedure": "PHYTO-IMPORT", "f_purpose": "trade"},
    )
    assert refused.status_code == 422 and "is required" in refused.text
    with session_scope() as session:
        trader = demo_principal(session, TRADER_EMAIL)
        issued = [p for p in permits.list_permits(session, trader) if p.kind == "certificate"]
        data = {**PLANTS, "purpose": "private"}
        asked = permits.lodge(session, trader, ApplicationIn(procedure="PHYTO-IMPORT", data=data))
        permits.ask(session, demo_principal(session, AGENCY_EMAIL), asked.id, "Which nursery?")
    printed = client.get(f"/permits/issued/{issued[0].id}")
    assert printed.status_code == 200 and "<svg" in printed.text
    verified = client.get("/verify", params={"code": issued[0].verification_code})
    assert verified.status_code == 200 and "Valid" in verified.text
    assert client.get("/verify", params={"code": "forged"}).status_code == 404
    answered = client.post(
        f"/permits/applications/{asked.id}/answer",
        data={"csrf_token": token, "text": "Hot water treatment by the nursery"},
        follow_redirects=True,
    )
    assert "Your answer is sent to the agency." in answered.text
    again = client.get(f"/permits/applications/{asked.id}")
    assert "Your answer is sent" not in again.text, "told once"
