"""Every button of the permits pages goes through the permits door, for every role.

Each role sees exactly the buttons it may press, and a forged post of a button it does not see
changes nothing. The matrix lists who may press each button; a new permits page action without a
row fails ``test_every_permits_action_is_in_the_matrix``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from onewindow.app import ROUTERS
from onewindow.db import session_scope
from onewindow.parties import service as parties
from onewindow.payments.models import Payment
from onewindow.permits import pages
from onewindow.permits import service as permits
from onewindow.permits.models import AgencyFinding, Application, CompanyDocument
from onewindow.permits.schemas import ApplicationIn, CompanyDocumentIn, StepIn
from onewindow.security import Principal
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration
from tests.permits import load, procedure
from tests.portal import log_in

DONE, REFUSED = "done", "refused"
ROLES = ("applicant", "trader", "agency", "other_agency", "customs")


@dataclass
class World:
    """One procedure of a fresh agency, the trader applying to it, and who else is about."""

    applicant: Party
    agency: Party
    body: dict[str, Any]

    def principal(self, party: Party) -> Principal:
        with session_scope() as session:
            user = parties.find_user(session, party.email)
            assert user is not None
            return parties.principal_for_user(user, "test")

    def application(self, *, reviewed: bool = False, asked: bool = False) -> int:
        data = {"commodity_code": "0604202000", "origin": "CN", "purpose": "private"}
        applicant, agency = self.principal(self.applicant), self.principal(self.agency)
        with session_scope() as session:
            made = permits.lodge(
                session, applicant, ApplicationIn(procedure=self.body["code"], data=data)
            )
            if reviewed:
                permits.complete_step(session, agency, made.id, "review", StepIn())
            if asked:
                permits.ask(session, agency, made.id, "Which nursery?")
            return made.id

    def declaration(self, client: TestClient, *, applied: bool = True) -> int:
        """A declaration of the applicant, with an application to the agency for its item."""
        body = declaration()
        body["items"][0]["commodity_code"] = "0604202000"
        lodged = client.post("/api/v1/declarations", json=body, headers=self.applicant.auth)
        assert lodged.status_code == 201, lodged.text
        declaration_id = int(lodged.json()["id"])
        if not applied:
            return declaration_id
        applicant = self.principal(self.applicant)
        with session_scope() as session:
            permits.lodge(
                session,
                applicant,
                ApplicationIn(
                    procedure=self.body["code"],
                    declaration_id=declaration_id,
                    item=1,
                    data={"purpose": "private"},
                ),
            )
        return declaration_id

    def joined(self, client: TestClient) -> int:
        declaration_id = self.declaration(client)
        agency = self.principal(self.agency)
        with session_scope() as session:
            permits.ask_inspection(session, agency, declaration_id, "join")
        return declaration_id

    def document(self) -> int:
        applicant = self.principal(self.applicant)
        with session_scope() as session:
            row = permits.lodge_company_document(
                session,
                applicant,
                CompanyDocumentIn(
                    agency=self.body["agency"]["code"],
                    kind="premises_approval",
                    reference="PA-1",
                    valid_to=date.today() + timedelta(days=90),
                ),
            )
            return row.id


def _world() -> World:
    agency = make_party(("permit-agency",), user_role="staff")
    body = procedure(agency.identifier)
    for field in body["form"]["fields"]:
        field["required"] = field["name"] != "purpose" and field.get("required", False)
    load(body)
    return World(make_party(), agency, body)


def _who(world: World, role: str) -> Party:
    return {
        "applicant": lambda: world.applicant,
        "trader": make_party,
        "agency": lambda: world.agency,
        "other_agency": lambda: make_party(("permit-agency",), user_role="staff"),
        "customs": lambda: make_party(("customs-office",), user_role="staff"),
    }[role]()


def _application_state(application_id: int) -> Callable[[], Any]:
    def state() -> Any:
        with session_scope() as session:
            row = session.get(Application, application_id)
            assert row is not None
            return (row.status, {k: v.get("state") for k, v in row.steps.items()})

    return state


def _count(model: Any, **where: Any) -> Callable[[], Any]:
    def state() -> Any:
        with session_scope() as session:
            query = select(func.count()).select_from(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return session.scalar(query)

    return state


Built = tuple[str, dict[str, str], Callable[[], Any], str | None]
"""The post's path and form, the state it changes, and the page that shows its button."""


def _apply(world: World, client: TestClient) -> Built:
    form = {
        "procedure": world.body["code"],
        "f_commodity_code": "0604202000",
        "f_origin": "CN",
        "f_purpose": "private",
    }
    with session_scope() as session:
        procedure_id = permits.current(session, world.body["code"]).id
    page = f"/permits/apply?procedure={world.body['code']}"
    return "/permits/apply", form, _count(Application, procedure_id=procedure_id), page


def _generate(world: World, client: TestClient) -> Built:
    with session_scope() as session:  # removed again when the test ends
        permits.replace_requirements(
            session, world.body["code"], [{"hs": "06042020", "flows": ["import"]}], "test"
        )
    declaration_id = world.declaration(client, applied=False)
    path = f"/permits/declarations/{declaration_id}/applications"
    return path, {}, _count(Application, declaration_id=declaration_id), None


def _join(world: World, client: TestClient) -> Built:
    declaration_id = world.declaration(client)
    path = f"/permits/declarations/{declaration_id}/inspection"
    return (
        path,
        {"role": "join"},
        _count(AgencyFinding, declaration_id=declaration_id),
        f"/permits/declarations/{declaration_id}",
    )


def _invite(world: World, client: TestClient) -> Built:
    declaration_id = world.declaration(client)
    path = f"/permits/declarations/{declaration_id}/invite"
    form = {"agency": world.body["agency"]["code"]}
    return path, form, _count(AgencyFinding, declaration_id=declaration_id), None


def _finding(world: World, client: TestClient) -> Built:
    declaration_id = world.joined(client)

    def state() -> Any:
        with session_scope() as session:
            return session.scalar(
                select(AgencyFinding.finding).where(AgencyFinding.declaration_id == declaration_id)
            )

    path = f"/permits/declarations/{declaration_id}/findings"
    return path, {"finding": "compliant", "notes": "seen"}, state, "/risk/inspections"


def _step(world: World, client: TestClient) -> Built:
    application_id = world.application()
    path = f"/permits/applications/{application_id}/steps/review"
    page = f"/permits/applications/{application_id}"
    return path, {"note": "checked"}, _application_state(application_id), page


def _fee(world: World, client: TestClient) -> Built:
    application_id = world.application(reviewed=True)
    with session_scope() as session:
        application = session.get(Application, application_id)
        assert application is not None
        request_id = application.steps["fee"]["payment_request_id"]
    path = f"/permits/applications/{application_id}/fee"
    page = f"/permits/applications/{application_id}"
    return path, {"method": "bank"}, _count(Payment, payment_request_id=request_id), page


def _ask(world: World, client: TestClient) -> Built:
    application_id = world.application()
    path = f"/permits/applications/{application_id}/ask"
    page = f"/permits/applications/{application_id}"
    return path, {"text": "Which nursery?"}, _application_state(application_id), page


def _answer(world: World, client: TestClient) -> Built:
    application_id = world.application(asked=True)
    path = f"/permits/applications/{application_id}/answer"
    page = f"/permits/applications/{application_id}"
    return path, {"text": "Viveros del Sur"}, _application_state(application_id), page


def _decide(world: World, client: TestClient) -> Built:
    application_id = world.application()
    path = f"/permits/applications/{application_id}/decide"
    form = {"decision": "reject", "reason": "no licence", "confirm": "yes"}
    page = f"/permits/applications/{application_id}"
    return path, form, _application_state(application_id), page


def _document(world: World, client: TestClient) -> Built:
    form = {
        "agency": world.body["agency"]["code"],
        "kind": "premises_approval",
        "reference": f"PREM-{world.body['code']}",
        "valid_to": (date.today() + timedelta(days=90)).isoformat(),
    }
    state = _count(CompanyDocument, reference=form["reference"])
    return "/permits/company-documents", form, state, "/permits"


def _verify(world: World, client: TestClient) -> Built:
    document_id = world.document()

    def state() -> Any:
        with session_scope() as session:
            row = session.get(CompanyDocument, document_id)
            assert row is not None
            return row.status

    path = f"/permits/company-documents/{document_id}/verify"
    return path, {"accepted": "yes", "reason": "record matches"}, state, "/permits"


ACTIONS: dict[str, Callable[[World, TestClient], Built]] = {
    "/permits/apply": _apply,
    "/permits/declarations/{declaration_id}/applications": _generate,
    "/permits/declarations/{declaration_id}/inspection": _join,
    "/permits/declarations/{declaration_id}/invite": _invite,
    "/permits/declarations/{declaration_id}/findings": _finding,
    "/permits/applications/{application_id}/steps/{step_id}": _step,
    "/permits/applications/{application_id}/fee": _fee,
    "/permits/applications/{application_id}/ask": _ask,
    "/permits/applications/{application_id}/answer": _answer,
    "/permits/applications/{application_id}/decide": _decide,
    "/permits/company-documents": _document,
    "/permits/company-documents/{document_id}/verify": _verify,
}

# Who may press each button; the agency is the one the procedure belongs to.
MATRIX: dict[str, dict[str, str]] = {
    "/permits/apply": {
        "applicant": DONE, "trader": DONE, "agency": REFUSED, "other_agency": REFUSED,
        "customs": REFUSED,
    },
    # Only the declaration's own trader lodges its applications from it.
    "/permits/declarations/{declaration_id}/applications": {
        "applicant": DONE, "trader": REFUSED, "agency": REFUSED, "other_agency": REFUSED,
        "customs": REFUSED,
    },
    "/permits/declarations/{declaration_id}/inspection": {
        "applicant": REFUSED, "trader": REFUSED, "agency": DONE, "other_agency": REFUSED,
        "customs": REFUSED,
    },
    "/permits/declarations/{declaration_id}/invite": {
        "applicant": REFUSED, "trader": REFUSED, "agency": REFUSED, "other_agency": REFUSED,
        "customs": DONE,
    },
    "/permits/declarations/{declaration_id}/findings": {
        "applicant": REFUSED, "trader": REFUSED, "agency": DONE, "other_agency": REFUSED,
        "customs": REFUSED,
    },
    "/permits/applications/{application_id}/steps/{step_id}": {
        "applicant": REFUSED, "trader": REFUSED, "agency": DONE, "other_agency": REFUSED,
        "customs": REFUSED,
    },
    "/permits/applications/{application_id}/fee": {
        "applicant": DONE, "trader": REFUSED, "agency": REFUSED, "other_agency": REFUSED,
        "customs": REFUSED,
    },
    "/permits/applications/{application_id}/ask": {
        "applicant": REFUSED, "trader": REFUSED, "agency": DONE, "other_agency": REFUSED,
        "customs": REFUSED,
    },
    "/permits/applications/{application_id}/answer": {
        "applicant": DONE, "trader": REFUSED, "agency": REFUSED, "other_agency": REFUSED,
        "customs": REFUSED,
    },
    "/permits/applications/{application_id}/decide": {
        "applicant": REFUSED, "trader": REFUSED, "agency": DONE, "other_agency": REFUSED,
        "customs": REFUSED,
    },
    "/permits/company-documents": {
        "applicant": DONE, "trader": DONE, "agency": REFUSED, "other_agency": REFUSED,
        "customs": REFUSED,
    },
    "/permits/company-documents/{document_id}/verify": {
        "applicant": REFUSED, "trader": REFUSED, "agency": DONE, "other_agency": REFUSED,
        "customs": REFUSED,
    },
}  # fmt: skip


def test_every_permits_action_is_in_the_matrix() -> None:
    posts = {
        route.path  # type: ignore[attr-defined]
        for route in pages.router.routes
        if "POST" in (getattr(route, "methods", None) or set())
    }
    assert pages.router in ROUTERS, "the permits pages are served"
    assert posts == set(MATRIX), f"add or drop: {sorted(posts ^ set(MATRIX))}"


def _shows_button(page: str, path: str) -> bool:
    return re.search(rf'action="{re.escape(path)}"', page) is not None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_a_permits_button_is_shown_and_works_for_exactly_its_roles(
    client: TestClient, action: str, role: str
) -> None:
    world = _world()
    try:
        _press(client, world, action, role)
    finally:
        with session_scope() as session:
            permits.replace_requirements(session, world.body["code"], [], "test")


def _press(client: TestClient, world: World, action: str, role: str) -> None:
    path, form, state, page = ACTIONS[action](world, client)
    who = _who(world, role)
    token = log_in(client, who)
    expected = MATRIX[action][role]
    if page is not None:
        shown = client.get(page)
        assert _shows_button(shown.text, path) == (expected == DONE), (
            f"{action} as {role}: the button is {'missing' if expected == DONE else 'shown'}"
        )
    before = state()
    answer = client.post(path, data={**form, "csrf_token": token})
    assert answer.status_code < 500, answer.text
    changed = state() != before
    assert changed == (expected == DONE), f"{action} as {role}: {answer.text[-600:]}"
