"""The declaration page as customs controls it and as a trader reads it: the channel and its
sources (customs only), what lifts a hold, assessing by hand, the assessment as a table,
confirmation of what cannot be undone, names instead of ids, copying a rejected declaration."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from onewindow.audit import AuditEntry
from onewindow.db import session_scope
from onewindow.declarations.models import Declaration
from onewindow.parties import service as parties
from onewindow.payments.models import PaymentRequest
from onewindow.risk import service as risk
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration
from tests.portal import log_in

API = "/api/v1/declarations"


def _officer() -> Party:
    return make_party(("customs-office",), user_role="staff")


def _as_principal(party: Party) -> Any:
    with session_scope() as session:
        user = parties.find_user(session, party.email)
        assert user is not None
        return parties.principal_for_user(user, "test")


def _act(client: TestClient, declaration_id: int, token: str, **form: str) -> str:
    """Press a button of the declaration page; the page it leads to (with its flash message)."""
    answer = client.post(
        f"/declarations/{declaration_id}/action",
        data={"csrf_token": token, **form},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert "message=" not in answer.headers["location"], "messages never travel in the address"
    return client.get(answer.headers["location"]).text


def _status(declaration_id: int) -> str:
    with session_scope() as session:
        found = session.get(Declaration, declaration_id)
        assert found is not None
        return found.status


def test_the_officer_sees_the_channel_its_reasons_and_sources_the_trade_never(
    client: TestClient, app: Any
) -> None:
    trader, officer = make_party(("trader",)), _officer()
    as_officer = _as_principal(officer)
    with session_scope() as session:
        risk.watch_party(
            session,
            as_officer,
            identifier=trader.identifier,
            reason="Undervaluation suspected by intelligence",
            channel="red",
        )
    body = declaration(importer={"identifier": trader.identifier})
    body["declarant"] = {"identifier": trader.identifier}
    lodged = client.post(API, json=body, headers=trader.auth).json()
    try:
        log_in(client, officer)
        page = client.get(f"/declarations/{lodged['id']}").text
        assert "Channel and its reasons" in page
        assert f"<dd>{trader.name} · {trader.identifier}</dd>" in page, "the importer by name"
        assert "Watch list" in page and "Undervaluation suspected by intelligence" in page
        assert "Physical inspection" in page
        # What lifts the inspection hold, with the way to do it.
        assert "To lift it: an inspection result." in page
        assert re.search(r'href="#inspect-\d+">Record the inspection result', page)
        # The engine is named as a person reads it, not as the audit log does.
        assert "risk-engine" not in page and "the customs risk engine" in page
        with TestClient(app) as other:
            log_in(other, trader)
            seen = other.get(f"/declarations/{lodged['id']}").text
        assert "Selected for a physical inspection" in seen
        for secret in ("Undervaluation", "Watch list", "Channel and its reasons", "risk engine"):
            assert secret not in seen, secret
    finally:
        with session_scope() as session:
            for watch in risk.watch_list(session):
                if watch.identifier == trader.identifier:
                    risk.unwatch_party(session, as_officer, watch.id, why="test done")


def _in_new_zealand_dollars() -> dict[str, Any]:
    """A declaration in a currency without a customs exchange rate: the tariff cannot assess."""
    body = declaration()
    for key in ("invoice", "freight", "insurance"):
        body[key] = {**body[key], "currency": "NZD"}
    for item in body["items"]:
        item["value"] = {**item["value"], "currency": "NZD"}
    return body


def test_an_officer_assesses_by_hand_with_a_rate_and_a_reason_and_payment_follows(
    client: TestClient,
) -> None:
    trader, officer = make_party(("trader",)), _officer()
    lodged = client.post(API, json=_in_new_zealand_dollars(), headers=trader.auth).json()
    declaration_id = lodged["id"]
    assert lodged["status"] == "accepted"
    assert any(h["kind"] == "assessment" and not h["lifted_at"] for h in lodged["holds"])
    token = log_in(client, officer)
    page = client.get(f"/declarations/{declaration_id}").text
    assert "no customs exchange rate for NZD" in page
    assert '<option value="NZD">NZD</option>' in page

    refused = _act(client, declaration_id, token, action="assess", currency="NZD", rate="0.47")
    assert "Say why you assess by hand" in refused
    assert _status(declaration_id) == "accepted"
    wrong = _act(
        client, declaration_id, token, action="assess", currency="NZD", rate="-1", reason="x"
    )
    assert "must be a number above 0" in wrong
    assert _status(declaration_id) == "accepted"

    done = _act(
        client,
        declaration_id,
        token,
        action="assess",
        currency="NZD",
        rate="0.47",
        reason="Rate of the central bank on the day of acceptance",
    )
    assert "Assessed: the payment request follows." in done
    assert _status(declaration_id) == "awaiting_payment"
    with session_scope() as session:
        requests = session.scalars(
            select(PaymentRequest).where(PaymentRequest.declaration_id == declaration_id)
        ).all()
        assert len(requests) == 1 and requests[0].currency == "GBP"
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "declaration.assessed_by_hand",
                AuditEntry.subject_id == str(declaration_id),
            )
        )
        assert entry is not None
        assert entry.reason == "Rate of the central bank on the day of acceptance"
        assert entry.data == {"rates": {"NZD": "0.47"}}
    # The rate was the declaration's own: no customs rate was set for everybody.
    again = client.post(API, json=_in_new_zealand_dollars(), headers=trader.auth).json()
    assert again["status"] == "accepted"
    # The API does the same, with the same rules.
    path = f"{API}/{again['id']}/assess"
    unexplained = client.post(path, json={"rates": {"NZD": "0.47"}}, headers=officer.auth)
    assert unexplained.status_code == 422, unexplained.text
    by_trader = client.post(
        path, json={"rates": {"NZD": "0.47"}, "reason": "mine"}, headers=trader.auth
    )
    assert by_trader.status_code == 403
    assessed = client.post(
        path, json={"rates": {"NZD": "0.47"}, "reason": "central bank"}, headers=officer.auth
    )
    assert assessed.status_code == 200, assessed.text
    assert assessed.json()["status"] == "awaiting_payment"


def test_the_assessment_is_a_table_with_each_amount_in_its_currency(client: TestClient) -> None:
    trader = make_party(("trader",))
    lodged = client.post(API, json=declaration(), headers=trader.auth).json()
    log_in(client, trader)
    page = client.get(f"/declarations/{lodged['id']}").text
    table = page[page.index('<table class="grid stack assessment">') :]
    table = table[: table.index("</table>")]
    assert '<th scope="col">Tax</th>' in table and 'class="num">Base</th>' in table
    assert '<td data-label="Tax">Customs duty</td>' in table
    assert '<td data-label="Tax">VAT</td>' in table
    amounts = re.findall(r'data-label="Amount" class="num">([^<]+)<', table)
    assert amounts and all(re.fullmatch(r"GBP [\d,]+\.\d\d", a) for a in amounts), amounts
    assert "Total due" in table
    assert '<ul class="trace">' not in page, "no monospace dump"
    assert "How it was computed" in page


def test_what_cannot_be_undone_needs_a_reason_and_a_confirmation(client: TestClient) -> None:
    trader = make_party(("trader",))
    lodged = client.post(API, json=declaration(), headers=trader.auth).json()
    token = log_in(client, trader)
    page = client.get(f"/declarations/{lodged['id']}").text
    cancel = page[page.index('value="cancel"') :]
    cancel = cancel[: cancel.index("</form>")]
    assert 'name="reason" required' in cancel and 'name="confirm" value="yes" required' in cancel
    unconfirmed = _act(client, lodged["id"], token, action="cancel", reason="order withdrawn")
    assert "Nothing was done" in unconfirmed
    no_reason = _act(client, lodged["id"], token, action="cancel", confirm="yes")
    assert "Nothing was done" in no_reason
    assert _status(lodged["id"]) == "awaiting_payment"
    done = _act(
        client, lodged["id"], token, action="cancel", reason="order withdrawn", confirm="yes"
    )
    assert "Cancelled." in done
    assert _status(lodged["id"]) == "cancelled"
    again = client.get(f"/declarations/{lodged['id']}").text
    assert "Cancelled." not in again, "a flash message is shown once"


def test_timelines_and_holds_name_people_and_organisations(client: TestClient, app: Any) -> None:
    trader, officer = make_party(("trader",)), _officer()
    lodged = client.post(API, json=declaration(), headers=trader.auth).json()
    token = log_in(client, officer)
    page = _act(
        client,
        lodged["id"],
        token,
        action="hold",
        kind="other",
        reason="Licence to be shown",
    )
    with session_scope() as session:
        user = parties.find_user(session, officer.email)
        assert user is not None
        who = f"{user.full_name}, {officer.name}"
    assert f"by {who}" in page
    assert "user:" not in page
    with TestClient(app) as other:
        log_in(other, trader)
        seen = other.get(f"/declarations/{lodged['id']}").text
    assert "user:" not in seen and "by the single window" in seen


def _rejected(trader: Party, client: TestClient) -> dict[str, Any]:
    body = declaration()
    body["items"][0]["commodity_code"] = "010000"  # a chapter, not a subheading
    lodged = client.post(API, json=body, headers=trader.auth)
    return dict(lodged.json())


def test_a_rejected_declaration_is_copied_into_a_new_one(client: TestClient, app: Any) -> None:
    trader = make_party(("trader",))
    rejected = _rejected(trader, client)
    assert rejected["status"] == "rejected", rejected
    token = log_in(client, trader)
    page = client.get(f"/declarations/{rejected['id']}").text
    assert f'href="/declarations/{rejected["id"]}/copy">Copy into a new declaration' in page
    form = client.get(f"/declarations/{rejected['id']}/copy").text
    reference = rejected["declarant_reference"]
    assert f'value="{reference}-2"' in form
    assert 'value="Handbags with outer surface of leather"' in form
    assert f"A copy of rejected declaration {reference}" in form
    assert 'id="items-0-commodity_code-error"' in form, "what was wrong is marked"
    # Nobody else copies it.
    with TestClient(app) as other:
        log_in(other, make_party(("trader",)))
        assert other.get(f"/declarations/{rejected['id']}/copy").status_code == 404
    # A declaration that was not rejected is amended, not copied.
    accepted = client.post(API, json=declaration(), headers=trader.auth).json()
    refused = client.get(f"/declarations/{accepted['id']}/copy")
    assert "Only a rejected declaration is copied" in refused.text
    # Once corrected, the copy is lodged as a new declaration; the rejected one stays.
    fixed = declaration(declarant_reference=f"{reference}-2")
    lodged = client.post(
        "/declarations/new",
        data={
            "csrf_token": token,
            "action": "lodge",
            **{k: v for k, v in _copied(fixed).items()},
        },
        follow_redirects=False,
    )
    assert lodged.status_code == 303, lodged.text
    assert lodged.headers["location"] != f"/declarations/{rejected['id']}"
    assert _status(rejected["id"]) == "rejected"


def _copied(body: dict[str, Any]) -> dict[str, str]:
    from onewindow.clearance.pages import copied_fields

    return copied_fields(body, [])
