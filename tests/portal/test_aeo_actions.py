"""Every button of the AEO pages goes through the AEO door, for every role.

A refused action changes nothing; the matrix lists who may press each button. A new AEO page
action without a row fails ``test_every_aeo_action_is_in_the_matrix``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from onewindow.aeo import pages as aeo_pages
from onewindow.aeo import service as aeo
from onewindow.aeo.models import (
    AeoApplication,
    AeoCertificate,
    MutualRecognition,
    PartnerAdministration,
)
from onewindow.db import session_scope
from tests.aeo import answers, certify, findings, principal_of
from tests.conftest import Party, make_party
from tests.portal import log_in

DONE, REFUSED = "done", "refused"
ROLES = {
    "owner": ("trader",),
    "trader": ("trader",),
    "carrier": ("carrier",),
    "customs": ("customs-office",),
    "admin": ("administrator",),
}

State = Callable[[], Any]
Built = tuple[str, dict[str, Any], State]


def _application(owner: Party, step: str = "") -> int:
    company = principal_of(owner)
    officer = principal_of(make_party(("customs-office",), user_role="staff"))
    with session_scope() as session:
        application = aeo.apply(
            session, company, operator_role="importer", tier="AEO-C", answers=answers("AEO-C")
        )
        if step == "asked":
            aeo.ask(session, officer, application.id, "which warehouse?")
        if step in ("planned", "visited"):
            day = date.today() + timedelta(days=2)
            aeo.plan_visit(session, officer, application.id, on=day, place="HQ")
        if step == "visited":
            aeo.record_visit(session, officer, application.id, findings("AEO-C"))
        return application.id


def _status_of(model: Any, row_id: int, *columns: str) -> State:
    def state() -> Any:
        with session_scope() as session:
            row = session.get(model, row_id)
            assert row is not None
            return tuple(getattr(row, c) for c in columns)

    return state


def _count(model: Any, **where: Any) -> State:
    def state() -> Any:
        with session_scope() as session:
            query = select(func.count()).select_from(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return session.scalar(query)

    return state


def _apply(owner: Party, who: Party) -> Built:
    form = {"operator_role": "exporter", "tier": "AEO-C"}
    form |= {f"answer:{k}": v for k, v in answers("AEO-C").items()}
    return "/aeo/apply", form, _count(AeoApplication, organisation_id=who.org_id)


def _on_application(step: str, action: str, form: dict[str, Any]) -> Callable[..., Built]:
    def build(owner: Party, who: Party) -> Built:
        application_id = _application(owner, step)
        state = _status_of(AeoApplication, application_id, "status", "findings", "visit_on")
        return f"/aeo/applications/{application_id}/{action}", form, state

    return build


def _on_certificate(
    action: str, form: dict[str, Any], suspended: bool = False
) -> Callable[..., Built]:
    def build(owner: Party, who: Party) -> Built:
        certificate_id = certify(owner, "AEO-C")
        if suspended:
            officer = principal_of(make_party(("customs-office",), user_role="staff"))
            with session_scope() as session:
                aeo.suspend(session, officer, certificate_id, "checking")
        state = _status_of(
            AeoCertificate, certificate_id, "status", "consent_to_share", "changed_at"
        )
        return f"/aeo/certificates/{certificate_id}/{action}", form, state

    return build


def _partner(owner: Party, who: Party) -> Built:
    with session_scope() as session:
        used = {p.country for p in aeo.partners(session)}
    country = next(f"X{x}" for x in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if f"X{x}" not in used)
    return (
        "/aeo/partners",
        {"country": country, "name": "Button Customs"},
        _count(PartnerAdministration, country=country),
    )


def _mra(owner: Party, who: Party) -> Built:
    from tests.aeo import partner_with_mra

    country = partner_with_mra()
    reference = f"MRA-BUTTON-{who.org_id}"
    form = {
        "partner_country": country,
        "reference": reference,
        "operator_roles": ["exporter"],
        "benefits": ["priority_inspection"],
        "in_force_from": "2026-01-01",
    }
    return "/aeo/mras", form, _count(MutualRecognition, reference=reference)


CONFIRMED = {"reason": "as found", "confirm": "yes"}
future = (date.today() + timedelta(days=5)).isoformat()
ACTIONS: dict[str, Callable[..., Built]] = {
    "apply": _apply,
    "answer": _on_application("asked", "answer", {"text": "our answer"}),
    "ask": _on_application("", "ask", {"text": "a question"}),
    "visit-plan": _on_application("", "visit-plan", {"on": future, "place": "HQ"}),
    "visit": _on_application("planned", "visit", {f"rating:{c}": "met" for c in findings("AEO-C")}),
    "decision": _on_application("visited", "decision", {"decision": "grant", **CONFIRMED}),
    "suspend": _on_certificate("suspend", CONFIRMED),
    "revoke": _on_certificate("revoke", CONFIRMED),
    "reinstate": _on_certificate("reinstate", CONFIRMED, suspended=True),
    "reassess": _on_certificate("reassess", CONFIRMED),
    "consent": _on_certificate("consent", {"consent": "yes"}),
    "partners": _partner,
    "mras": _mra,
}
PATHS = {
    "/aeo/apply": ["apply"],
    "/aeo/applications/{application_id}/answer": ["answer"],
    "/aeo/applications/{application_id}/ask": ["ask"],
    "/aeo/applications/{application_id}/visit-plan": ["visit-plan"],
    "/aeo/applications/{application_id}/visit": ["visit"],
    "/aeo/applications/{application_id}/decision": ["decision"],
    "/aeo/certificates/{certificate_id}/{step}": [
        "suspend", "revoke", "reinstate", "reassess", "consent",
    ],
    "/aeo/partners": ["partners"],
    "/aeo/mras": ["mras"],
}  # fmt: skip

_ONLY_CUSTOMS = {
    "owner": REFUSED,
    "trader": REFUSED,
    "carrier": REFUSED,
    "customs": DONE,
    "admin": REFUSED,
}
_REGISTER = {
    "owner": REFUSED,
    "trader": REFUSED,
    "carrier": REFUSED,
    "customs": DONE,
    "admin": DONE,
}
_OWNER = {
    "owner": DONE,
    "trader": REFUSED,
    "carrier": REFUSED,
    "customs": REFUSED,
    "admin": REFUSED,
}
MATRIX: dict[str, dict[str, str]] = {
    # Any company that may apply does so for itself (customs and administrators do not apply).
    "apply": {"owner": DONE, "trader": DONE, "carrier": DONE, "customs": REFUSED, "admin": REFUSED},
    "answer": _OWNER,
    "ask": _ONLY_CUSTOMS,
    "visit-plan": _ONLY_CUSTOMS,
    "visit": _ONLY_CUSTOMS,
    "decision": _ONLY_CUSTOMS,
    "suspend": _ONLY_CUSTOMS,
    "revoke": _ONLY_CUSTOMS,
    "reinstate": _ONLY_CUSTOMS,
    "reassess": _ONLY_CUSTOMS,
    "consent": _OWNER,
    "partners": _REGISTER,
    "mras": _REGISTER,
}  # fmt: skip


def test_every_aeo_action_is_in_the_matrix() -> None:
    # The pages router's own routes: the application wraps included routers, hiding paths.
    posts = {
        route.path  # type: ignore[attr-defined]
        for route in aeo_pages.router.routes
        if "POST" in (getattr(route, "methods", None) or set())
    }
    assert posts
    assert posts == set(PATHS), f"add these AEO page actions: {sorted(posts - set(PATHS))}"
    assert {a for actions in PATHS.values() for a in actions} == set(MATRIX) == set(ACTIONS)


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_an_aeo_button_does_what_the_door_allows(
    client: TestClient, action: str, role: str
) -> None:
    owner = make_party()
    who = (
        owner
        if role == "owner"
        else make_party(ROLES[role], user_role="staff" if role == "customs" else "admin")
    )
    token = log_in(client, who)
    path, form, state = ACTIONS[action](owner, who)
    before = state()
    answer = client.post(path, data={**form, "csrf_token": token})
    assert answer.status_code < 500, answer.text
    changed = state() != before
    expected = MATRIX[action][role]
    assert changed == (expected == DONE), f"{action} as {role}: {answer.text[-600:]}"


def test_a_suspension_without_its_confirmation_changes_nothing(client: TestClient) -> None:
    customs = make_party(("customs-office",), user_role="staff")
    token = log_in(client, customs)
    certificate_id = certify(make_party(), "AEO-F")
    answer = client.post(
        f"/aeo/certificates/{certificate_id}/suspend",
        data={"reason": "checking", "csrf_token": token},
    )
    assert answer.status_code == 200 and answer.url.path == f"/aeo/certificates/{certificate_id}"
    assert "Tick the box to confirm" in answer.text
    with session_scope() as session:
        row = session.get(AeoCertificate, certificate_id)
        assert row is not None and row.status == "active"


def test_the_pages_show_names_and_labels(client: TestClient) -> None:
    holder = make_party()
    certificate_id = certify(holder, "AEO-F")
    customs = make_party(("customs-office",), user_role="staff")
    log_in(client, customs)
    page = client.get("/aeo/certificates")
    assert holder.name in page.text and "AEO full: customs simplifications" in page.text
    detail = client.get(f"/aeo/certificates/{certificate_id}")
    assert "Suspend" in detail.text and "Revoke for good" in detail.text
    assert client.get("/aeo/partners").status_code == 200
    log_in(client, holder)
    mine = client.get(f"/aeo/certificates/{certificate_id}")
    assert "Partner administrations may receive" in mine.text and "Suspend" not in mine.text
    assert client.get("/aeo/apply").status_code == 200
    assert "Partners and MRAs" not in client.get("/aeo").text
    home = client.get("/")
    assert "Become an authorised economic operator" in home.text
