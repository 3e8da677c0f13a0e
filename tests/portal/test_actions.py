"""Every button of the declaration page goes through the same door as the API.

The matrix lists each page action with who may press it; a refused action changes nothing (the
page answers with a redirect, so it must undo by itself). A new action without a row fails
``test_every_action_is_in_the_matrix``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from onewindow.db import session_scope
from onewindow.declarations.models import Declaration
from onewindow.parties import service as parties
from onewindow.payments.models import Payment, PaymentRequest
from onewindow.risk.models import InspectionResult
from tests.conftest import PASSWORD, Party, make_party
from tests.declarations.factory import declaration
from tests.portal import log_in

DONE, REFUSED, UNSEEN = "done", "refused", "unseen"

FORMS: dict[str, dict[str, str]] = {
    "pay": {"method": "bank"},
    "pay-deferment": {"action": "pay", "method": "deferment"},
    "cancel": {"reason": "order withdrawn", "confirm": "yes"},
    "invalidate": {"reason": "goods never presented", "confirm": "yes"},
    "hold": {"kind": "documentary-check", "reason": "show the invoice"},
    "release": {"reason": "fine", "confirm": "yes"},
    "inspect": {"finding": "none", "reason": "seen"},
    "assess": {},
}

WHO = ("lodger", "viewer", "stranger", "officer")

MATRIX: dict[str, dict[str, str]] = {
    "pay": {"lodger": DONE, "viewer": REFUSED, "stranger": UNSEEN, "officer": REFUSED},
    # The officer sees the declaration but never pays from the trader's deferred account.
    "pay-deferment": {"lodger": REFUSED, "viewer": REFUSED, "stranger": UNSEEN, "officer": REFUSED},
    "cancel": {"lodger": DONE, "viewer": REFUSED, "stranger": UNSEEN, "officer": REFUSED},
    "invalidate": {"lodger": REFUSED, "viewer": REFUSED, "stranger": UNSEEN, "officer": DONE},
    "hold": {"lodger": REFUSED, "viewer": REFUSED, "stranger": UNSEEN, "officer": DONE},
    # Awaiting payment: even customs cannot release, and the refusal changes nothing.
    "release": {"lodger": REFUSED, "viewer": REFUSED, "stranger": UNSEEN, "officer": REFUSED},
    "inspect": {"lodger": REFUSED, "viewer": REFUSED, "stranger": UNSEEN, "officer": DONE},
    "assess": {"lodger": REFUSED, "viewer": REFUSED, "stranger": UNSEEN, "officer": REFUSED},
}


def _state(declaration_id: int) -> tuple[Any, ...]:
    """Everything a page action could change on a declaration."""
    with session_scope() as session:
        found = session.get(Declaration, declaration_id)
        assert found is not None
        holds = tuple((h.kind, h.lifted_at is None) for h in found.holds)
        requests = tuple(
            session.scalars(
                select(PaymentRequest.status).where(PaymentRequest.declaration_id == declaration_id)
            )
        )
        payments = session.scalar(
            select(func.count(Payment.id))
            .join(PaymentRequest)
            .where(PaymentRequest.declaration_id == declaration_id)
        )
        results = session.scalar(
            select(func.count(InspectionResult.id)).where(
                InspectionResult.declaration_id == declaration_id
            )
        )
        return found.status, found.channel, holds, requests, payments, results


@functools.cache
def _people() -> dict[str, Party]:
    """The people of the matrix, made once (each test lodges a declaration of its own)."""
    lodger = make_party(("trader",))
    return {
        "lodger": lodger,
        "viewer": _colleague(lodger, "viewer"),
        "stranger": make_party(("trader",)),
        "officer": make_party(("customs-office",), user_role="staff"),
    }


def _colleague(party: Party, role: str) -> Party:
    """Another user of the party's organisation, with the given user role."""
    email = f"{role}-{party.email}"
    with session_scope() as session:
        parties.create_user(
            session,
            organisation_id=party.org_id,
            email=email,
            full_name=f"{role.title()} of {party.name}",
            role=role,
            password=PASSWORD,
        )
    return Party(party.org_id, party.name, party.identifier, email, 0, "", 0)


def test_every_action_is_in_the_matrix(client: TestClient) -> None:
    people = _people()
    lodged = client.post("/api/v1/declarations", json=declaration(), headers=people["lodger"].auth)
    log_in(client, people["officer"])
    page = client.get(f"/declarations/{lodged.json()['id']}").text
    offered = set(re.findall(r'name="action" value="([a-z-]+)"', page))
    assert offered <= {f.get("action", name) for name, f in FORMS.items()}
    assert set(MATRIX) == set(FORMS)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_a_page_action_does_what_the_door_allows(
    client: TestClient, app: Any, action: str, who: str
) -> None:
    people = _people()
    lodged = client.post("/api/v1/declarations", json=declaration(), headers=people["lodger"].auth)
    assert lodged.status_code == 201, lodged.text
    declaration_id = lodged.json()["id"]
    assert lodged.json()["status"] == "awaiting_payment"
    before = _state(declaration_id)
    with TestClient(app, raise_server_exceptions=False) as browser:
        token = log_in(browser, people[who])
        form = {"action": action, **FORMS[action], "csrf_token": token}
        answer = browser.post(
            f"/declarations/{declaration_id}/action", data=form, follow_redirects=False
        )
        assert answer.status_code == 303
        message = browser.get(answer.headers["location"]).text
    after = _state(declaration_id)
    expected = MATRIX[action][who]
    if expected == DONE:
        assert after != before, message
    else:
        assert after == before, f"{action} by {who} changed {before} into {after}"
    if expected == UNSEEN:
        assert "Page not found" in message or "No declaration" in message


CHECKS: dict[str, Callable[[tuple[Any, ...]], bool]] = {
    "cancel": lambda state: state[0] == "cancelled",
    "invalidate": lambda state: state[0] == "invalidated",
    "hold": lambda state: ("documentary-check", True) in state[2],
    "inspect": lambda state: state[5] == 1,
    "pay": lambda state: state[4] == 1,
}


@pytest.mark.parametrize("action", sorted(CHECKS))
def test_an_allowed_action_does_what_it_says(client: TestClient, app: Any, action: str) -> None:
    people = _people()
    lodged = client.post("/api/v1/declarations", json=declaration(), headers=people["lodger"].auth)
    declaration_id = lodged.json()["id"]
    who = next(w for w in WHO if MATRIX[action][w] == DONE)
    with TestClient(app, raise_server_exceptions=False) as browser:
        token = log_in(browser, people[who])
        browser.post(
            f"/declarations/{declaration_id}/action",
            data={"action": action, **FORMS[action], "csrf_token": token},
        )
    assert CHECKS[action](_state(declaration_id))


def test_the_outcome_of_an_action_is_shown_once_and_never_carried_in_the_address(
    client: TestClient, app: Any
) -> None:
    people = _people()
    lodged = client.post("/api/v1/declarations", json=declaration(), headers=people["lodger"].auth)
    declaration_id = lodged.json()["id"]
    with TestClient(app, raise_server_exceptions=False) as browser:
        token = log_in(browser, people["lodger"])
        answer = browser.post(
            f"/declarations/{declaration_id}/action",
            data={"action": "pay", **FORMS["pay"], "csrf_token": token},
            follow_redirects=False,
        )
        location = answer.headers["location"]
        assert location == f"/declarations/{declaration_id}"
        first = browser.get(location).text
        again = browser.get(location).text
    notice = re.search(r'<p class="notice" role="status">([^<]+)</p>', first)
    assert notice, "the outcome is shown on the page the action leads to"
    assert notice[1] not in again, "a reload does not show the outcome again"
