"""Portal pages of the AEO domain: the company applies, answers and sees its certificates;
customs works the queue, plans and records the validation visit, decides, suspends, revokes and
reinstates; customs and administrators keep the register of partners, MRAs and partners' AEOs.

Every action calls the same service functions as the API; a refused action changes nothing and
says why; irreversible steps ask for a reason and a confirmation.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from onewindow.aeo import service
from onewindow.aeo.access import is_customs
from onewindow.deps import Id, OptionalPrincipalDep, SessionDep
from onewindow.errors import FieldError, Forbidden, InvalidInput, NotFound
from onewindow.parties import service as parties
from onewindow.portal.pages import (
    flash_redirect,
    login_redirect,
    not_found_page,
    page_action,
    render,
)

router = APIRouter(prefix="/aeo", include_in_schema=False)

Csrf = Annotated[str, Form(max_length=200)]
FormText = Annotated[str, Form(max_length=4000)]
Confirm = Annotated[str, Form(max_length=10)]

CONFIRM_NEEDED = "Tick the box to confirm: this step is recorded and told at once."


def _confirmed(confirm: str) -> None:
    if confirm != "yes":
        raise InvalidInput(CONFIRM_NEEDED, [FieldError("/confirm", "tick the box")])


def _labels() -> dict[str, object]:
    return {
        "tiers": service.TIER_LABELS,
        "roles": service.OPERATOR_ROLES,
        "application_statuses": service.APPLICATION_STATUSES,
        "certificate_statuses": service.CERTIFICATE_STATUSES,
        "partner_statuses": service.PARTNER_STATUSES,
        "benefits": service.benefit_labels(),
        "ratings": service.RATINGS,
    }


@router.get("", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, principal: OptionalPrincipalDep) -> Response:
    """Customs: the queue; a company: its applications and certificates."""
    if principal is None:
        return login_redirect("/aeo")
    if "aeo:read" not in principal.scopes:
        return not_found_page(request)
    applications = service.list_applications(session, principal, open_only=is_customs(principal))
    certificates = [] if is_customs(principal) else service.list_certificates(session, principal)
    names = parties.organisation_names(session, {a.organisation_id for a in applications})
    return render(
        request,
        "aeo.html",
        {
            "applications": applications,
            "certificates": certificates,
            "names": names,
            "customs": is_customs(principal),
            **_labels(),
        },
        principal,
    )


@router.get("/apply", response_class=HTMLResponse)
def apply_form(request: Request, principal: OptionalPrincipalDep) -> Response:
    if principal is None:
        return login_redirect("/aeo/apply")
    if "aeo:write" not in principal.scopes:
        return not_found_page(request)
    return render(
        request, "aeo_apply.html", {"criteria": service.criteria(), **_labels()}, principal
    )


@router.post("/apply")
async def apply(request: Request, session: SessionDep, principal: OptionalPrincipalDep) -> Response:
    if principal is None:
        return login_redirect("/aeo/apply")
    form = await request.form()
    token = str(form.get("csrf_token", ""))
    answers = {
        key[len("answer:") :]: str(value)[:4000]
        for key, value in form.items()
        if key.startswith("answer:")
    }
    created: list[int] = []

    def act() -> None:
        application = service.apply(
            session,
            principal,
            operator_role=str(form.get("operator_role", "")),
            tier=str(form.get("tier", "")),
            answers=answers,
        )
        created.append(application.id)

    answer = page_action(request, session, token, act, "Application submitted.", "/aeo/apply")
    if created:
        return flash_redirect(request, f"/aeo/applications/{created[0]}", "Application submitted.")
    return answer


@router.get("/applications/{application_id}", response_class=HTMLResponse)
def application(
    request: Request, application_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    if principal is None:
        return login_redirect(f"/aeo/applications/{application_id}")
    try:
        found = service.get_application(session, principal, application_id)
    except (NotFound, Forbidden):
        return not_found_page(request)
    criteria = service.criteria(found.criteria_version)
    return render(
        request,
        "aeo_application.html",
        {
            "a": found,
            "name": parties.organisation_names(session, [found.organisation_id]).get(
                found.organisation_id, ""
            ),
            "thread": service.thread(session, found.id),
            "criteria": criteria.for_tier(found.tier),
            "customs": is_customs(principal),
            "officer": "aeo:decide" in principal.scopes,
            "mine": found.organisation_id == principal.organisation_id,
            "today": date.today().isoformat(),
            **_labels(),
        },
        principal,
    )


@router.post("/applications/{application_id}/answer")
def answer(
    request: Request,
    application_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    text: FormText = "",
) -> Response:
    back = f"/aeo/applications/{application_id}"
    if principal is None:
        return login_redirect(back)
    return page_action(
        request,
        session,
        csrf_token,
        lambda: service.answer(session, principal, application_id, text),
        "Answer sent to customs.",
        back,
    )


@router.post("/applications/{application_id}/ask")
def ask(
    request: Request,
    application_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    text: FormText = "",
) -> Response:
    back = f"/aeo/applications/{application_id}"
    if principal is None:
        return login_redirect(back)
    return page_action(
        request,
        session,
        csrf_token,
        lambda: service.ask(session, principal, application_id, text),
        "Question sent to the company.",
        back,
    )


@router.post("/applications/{application_id}/visit-plan")
def plan_visit(
    request: Request,
    application_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    on: Annotated[str, Form(max_length=10)] = "",
    place: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    back = f"/aeo/applications/{application_id}"
    if principal is None:
        return login_redirect(back)

    def act() -> None:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            raise InvalidInput(
                "Give the visit's date.", [FieldError("/on", "use a date")]
            ) from None
        service.plan_visit(session, principal, application_id, on=day, place=place)

    return page_action(request, session, csrf_token, act, "Validation visit planned.", back)


@router.post("/applications/{application_id}/visit")
async def record_visit(
    request: Request, application_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    back = f"/aeo/applications/{application_id}"
    if principal is None:
        return login_redirect(back)
    form = await request.form()
    findings: dict[str, dict[str, str]] = {}
    for key, value in form.items():
        if key.startswith("rating:"):
            code = key[len("rating:") :]
            note = str(form.get(f"note:{code}", ""))[:2000]
            findings[code] = {"rating": str(value), "note": note}
    return page_action(
        request,
        session,
        str(form.get("csrf_token", "")),
        lambda: service.record_visit(session, principal, application_id, findings),
        "Validation visit recorded.",
        back,
    )


@router.post("/applications/{application_id}/decision")
def decide(
    request: Request,
    application_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    decision: Annotated[str, Form(max_length=10)] = "",
    reason: FormText = "",
    tier: Annotated[str, Form(max_length=10)] = "",
    confirm: Confirm = "",
) -> Response:
    back = f"/aeo/applications/{application_id}"
    if principal is None:
        return login_redirect(back)

    def act() -> None:
        if decision not in ("grant", "refuse"):
            raise InvalidInput("Choose a decision.", [FieldError("/decision", "grant or refuse")])
        _confirmed(confirm)
        service.decide(
            session,
            principal,
            application_id,
            grant=decision == "grant",
            reason=reason,
            tier=tier or None,
        )

    done = "Certificate granted." if decision == "grant" else "Application refused."
    return page_action(request, session, csrf_token, act, done, back)


@router.get("/certificates", response_class=HTMLResponse)
def certificates(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    if principal is None:
        return login_redirect("/aeo/certificates")
    if "aeo:read" not in principal.scopes:
        return not_found_page(request)
    rows = service.list_certificates(session, principal)
    return render(
        request,
        "aeo_certificates.html",
        {
            "certificates": rows,
            "names": parties.organisation_names(session, {c.organisation_id for c in rows}),
            **_labels(),
        },
        principal,
    )


@router.get("/certificates/{certificate_id}", response_class=HTMLResponse)
def certificate(
    request: Request, certificate_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    if principal is None:
        return login_redirect(f"/aeo/certificates/{certificate_id}")
    try:
        found = service.get_certificate(session, principal, certificate_id)
    except (NotFound, Forbidden):
        return not_found_page(request)
    return render(
        request,
        "aeo_certificate.html",
        {
            "c": found,
            "name": parties.organisation_names(session, [found.organisation_id]).get(
                found.organisation_id, ""
            ),
            "history": service.history(session, found.id),
            "officer": "aeo:decide" in principal.scopes,
            "mine": found.organisation_id == principal.organisation_id,
            **_labels(),
        },
        principal,
    )


STEPS = {
    "suspend": (service.suspend, "Certificate suspended: its benefits stop now."),
    "revoke": (service.revoke, "Certificate revoked."),
    "reinstate": (service.reinstate, "Certificate reinstated."),
    "reassess": (service.record_reassessment, "Reassessment recorded."),
}


@router.post("/certificates/{certificate_id}/{step}")
def certificate_step(
    request: Request,
    certificate_id: Id,
    step: str,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    reason: FormText = "",
    confirm: Confirm = "",
    consent: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    back = f"/aeo/certificates/{certificate_id}"
    if principal is None:
        return login_redirect(back)
    if step == "consent":
        return page_action(
            request,
            session,
            csrf_token,
            lambda: service.set_consent(session, principal, certificate_id, consent == "yes"),
            "Your choice on sharing with partner administrations is saved.",
            back,
        )
    if step not in STEPS:
        return not_found_page(request)
    act, done = STEPS[step]

    def run() -> None:
        _confirmed(confirm)
        act(session, principal, certificate_id, reason)

    return page_action(request, session, csrf_token, run, done, back)


@router.get("/partners", response_class=HTMLResponse)
def partners(request: Request, session: SessionDep, principal: OptionalPrincipalDep) -> Response:
    """The register: partner administrations, MRAs, and partners' AEO records."""
    if principal is None:
        return login_redirect("/aeo/partners")
    try:
        operators = service.partner_operators(session, principal)
    except Forbidden:
        return not_found_page(request)
    found = service.partners(session)
    return render(
        request,
        "aeo_partners.html",
        {
            "partners": found,
            "countries": {p.id: f"{p.name} ({p.country})" for p in found},
            "mras": service.mras(session),
            "operators": operators,
            "today": date.today().isoformat(),
            **_labels(),
        },
        principal,
    )


@router.post("/partners")
def register_partner(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    country: Annotated[str, Form(max_length=2)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if principal is None:
        return login_redirect("/aeo/partners")
    return page_action(
        request,
        session,
        csrf_token,
        lambda: service.register_partner(session, principal, country=country, name=name),
        "Partner administration registered.",
        "/aeo/partners",
    )


@router.post("/mras")
async def record_mra(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    if principal is None:
        return login_redirect("/aeo/partners")
    form = await request.form()

    def act() -> None:
        try:
            since = date.fromisoformat(str(form.get("in_force_from", "")))
        except ValueError:
            raise InvalidInput(
                "Say when it comes in force.", [FieldError("/in_force_from", "use a date")]
            ) from None
        until_text = str(form.get("in_force_until", ""))
        try:
            until = date.fromisoformat(until_text) if until_text else None
        except ValueError:
            raise InvalidInput(
                "The end date is not a date.", [FieldError("/in_force_until", "use a date")]
            ) from None
        service.record_mra(
            session,
            principal,
            partner_country=str(form.get("partner_country", "")),
            reference=str(form.get("reference", ""))[:60],
            operator_roles=[str(v) for v in form.getlist("operator_roles")][:10],
            benefits=[str(v) for v in form.getlist("benefits")][:10],
            in_force_from=since,
            in_force_until=until,
        )

    return page_action(
        request, session, str(form.get("csrf_token", "")), act, "MRA recorded.", "/aeo/partners"
    )
