"""Portal pages of the permits domain: the trader's applications and permits, the agency's queue
and turnaround, the application with its thread and steps, the public requirements look-up,
certificates printed and verified.

Every action calls the same service functions as the API; a refused action changes nothing and
says why; what is done is said once on the next page (never in the address).
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from onewindow import work
from onewindow.deps import Id, OptionalPrincipalDep, SessionDep
from onewindow.errors import DomainError, FieldError, InvalidInput, NotFound
from onewindow.payments import service as payments
from onewindow.permits import service
from onewindow.permits.schemas import AnswerIn, ApplicationIn, CompanyDocumentIn, DecisionIn, StepIn
from onewindow.portal.field_errors import plain
from onewindow.portal.pages import (
    csrf_ok,
    flash_redirect,
    login_redirect,
    not_found_page,
    page_action,
    refusal,
    render,
)
from onewindow.reference import service as reference
from onewindow.security import Principal
from onewindow.work import Task

router = APIRouter(prefix="/permits", include_in_schema=False)


@work.register
def permits_work(session: Session, principal: Principal) -> list[Task]:
    """Applications waiting for the agency's decision, or for the applicant's answer."""
    if "permits:read" not in principal.scopes:
        return []
    if service.is_agency(principal):
        waiting = [
            a
            for a in service.list_applications(session, principal, limit=1000)
            if a.status in ("lodged", "in_review")
        ]
        return [Task("Applications to review", len(waiting), "/permits", "decide or ask")]
    asked = service.list_applications(
        session, principal, status="information_requested", limit=1000
    )
    return [Task("Applications with a question for you", len(asked), "/permits", "answer")]


public_router = APIRouter(include_in_schema=False)

Csrf = Annotated[str, Form(max_length=200)]
FormText = Annotated[str, Form(max_length=2000)]


def _countries(session: Session) -> list[dict[str, str]]:
    return [{"code": c.alpha2, "label": c.name} for c in reference.list_countries(session)]


# The work page ---------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def permits_home(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """The trader's applications, permits and company documents; the agency's queue."""
    if principal is None:
        return login_redirect("/permits")
    if "permits:read" not in principal.scopes:
        return not_found_page(request)
    agency = service.is_agency(principal)
    applications = service.list_applications(session, principal)
    return render(
        request,
        "permits.html",
        {
            "agency": agency,
            "applications": [service.view(session, a) for a in applications],
            "permits": [
                service.permit_view(session, p) for p in service.list_permits(session, principal)
            ],
            "documents": service.list_company_documents(session, principal),
            "document_kinds": service.COMPANY_DOCUMENT_KINDS,
            "turnaround": service.turnaround(session, principal) if agency else [],
            "procedures": service.current_procedures(session),
            "agencies": service.agencies(session),
            "can_write": "permits:write" in principal.scopes,
            "today": date.today(),
            "number": _number,
        },
        principal,
    )


# Applying --------------------------------------------------------------------------------------


def _form_page(
    request: Request,
    session: Session,
    principal: Principal,
    code: str,
    values: dict[str, Any],
    declaration_id: int | None,
    item: int | None,
    errors: list[FieldError] | None = None,
    problem: str = "",
) -> HTMLResponse:
    procedure = service.current(session, code)
    taken: dict[str, Any] = {}
    if declaration_id and item:
        for need in service.needs_of(session, principal, declaration_id):
            if need.procedure == code and need.item == item:
                taken = need.prefilled
    return render(
        request,
        "permits_apply.html",
        {
            "procedure": procedure,
            "fields": procedure.definition.get("form", {}).get("fields", []),
            "values": {**values, **taken},
            "taken": taken,
            "declaration_id": declaration_id,
            "item": item,
            "countries": _countries(session),
            "currencies": reference.list_currencies(session),
            "errors": {e.pointer.removeprefix("/data/"): plain(e.detail) for e in errors or []},
            "problem": plain(problem),
            "agency": service.agencies(session).get(procedure.agency_id),
        },
        principal,
        status_code=422 if problem else 200,
    )


@router.get("/apply", response_class=HTMLResponse)
def apply_form(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    procedure: Annotated[str, Query(max_length=30)],
    declaration_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    item: Annotated[int | None, Query(ge=1, le=9999)] = None,
) -> Response:
    """The procedure's form; the fields a declaration item says are filled from it."""
    if principal is None:
        return login_redirect("/permits")
    if "permits:write" not in principal.scopes:
        return not_found_page(request)
    try:
        return _form_page(request, session, principal, procedure, {}, declaration_id, item)
    except NotFound:
        return not_found_page(request)


@router.post("/apply")
async def apply(request: Request, session: SessionDep, principal: OptionalPrincipalDep) -> Response:
    if principal is None:
        return login_redirect("/permits")
    form = await request.form()
    if not csrf_ok(request, str(form.get("csrf_token", ""))):
        return flash_redirect(request, "/permits", "The form expired; please try again.")
    code = str(form.get("procedure", ""))[:30]
    declaration_id = int(str(form.get("declaration_id") or 0)) or None
    item = int(str(form.get("item") or 0)) or None
    values: dict[str, Any] = {}
    for key, value in form.items():
        if key.startswith("f_") and str(value).strip():
            values[key[2:]] = True if value == "true" else str(value).strip()[:2000]
    try:
        body = ApplicationIn(procedure=code, data=values, declaration_id=declaration_id, item=item)
        application = service.lodge(session, principal, body)
    except ValidationError:
        return flash_redirect(request, "/permits", "The application could not be read.")
    except DomainError as exc:
        message = refusal(session, exc)
        if exc.errors:
            return _form_page(
                request,
                session,
                principal,
                code,
                values,
                declaration_id,
                item,
                exc.errors,
                exc.detail,
            )
        return flash_redirect(request, "/permits", message)
    return flash_redirect(
        request,
        f"/permits/applications/{application.id}",
        f"Application {application.number} is lodged with the agency.",
    )


@router.post("/declarations/{declaration_id}/applications")
def generate(
    request: Request,
    declaration_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
) -> Response:
    """Lodge from a declaration every application its goods need."""
    if principal is None:
        return login_redirect("/permits")
    back = f"/permits/declarations/{declaration_id}"
    result: dict[str, Any] = {}

    def action() -> None:
        result["lodged"], result["refused"] = service.generate(session, principal, declaration_id)

    response = page_action(request, session, csrf_token, action, "", back)
    if "lodged" not in result:
        return response
    said = f"{len(result['lodged'])} application(s) lodged."
    if result["refused"]:
        said += f" {len(result['refused'])} need fields the declaration does not give: apply below."
    return flash_redirect(request, back, said)


@router.get("/declarations/{declaration_id}", response_class=HTMLResponse)
def declaration_permits(
    request: Request, declaration_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """What each goods item of a declaration needs and the way to apply from it (for those who
    see the declaration); the agencies' part in its inspection (for customs and the agencies
    taking part)."""
    if principal is None:
        return login_redirect(f"/permits/declarations/{declaration_id}")
    needs = None
    if "permits:read" in principal.scopes and not service.is_agency(principal):
        try:
            needs = service.needs_of(session, principal, declaration_id)
        except NotFound:
            needs = None
    try:
        findings = service.findings_for(session, principal, declaration_id)
    except DomainError:
        findings = None
    if needs is None and findings is None:
        return not_found_page(request)
    return render(
        request,
        "permits_needs.html",
        {
            "declaration_id": declaration_id,
            "needs": needs,
            "findings": findings,
            "finding_labels": service.FINDING_LABELS,
            "agency": service.is_agency(principal),
            "can_write": "permits:write" in principal.scopes,
        },
        principal,
    )


INSPECTIONS = "/risk/inspections"
"""Customs' inspection page, where the agencies' parts and findings are shown and recorded."""


@router.post("/declarations/{declaration_id}/inspection")
def join_inspection(
    request: Request,
    declaration_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    role: Annotated[str, Form(max_length=10)] = "join",
) -> Response:
    if principal is None:
        return login_redirect(f"/permits/declarations/{declaration_id}")
    return page_action(
        request,
        session,
        csrf_token,
        lambda: service.ask_inspection(
            session, principal, declaration_id, "perform" if role == "perform" else "join"
        ),
        "Customs is told that your agency takes part in the inspection.",
        INSPECTIONS,
    )


@router.post("/declarations/{declaration_id}/invite")
def invite_to_inspection(
    request: Request,
    declaration_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    agency: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Customs asks an agency into a declaration's inspection, from the inspection page."""
    if principal is None:
        return login_redirect(INSPECTIONS)
    return page_action(
        request,
        session,
        csrf_token,
        lambda: service.invite_to_inspection(session, principal, declaration_id, agency),
        "The agency is asked into the inspection.",
        INSPECTIONS,
    )


@router.post("/declarations/{declaration_id}/findings")
def record_finding(
    request: Request,
    declaration_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    finding: Annotated[str, Form(max_length=20)],
    notes: FormText = "",
) -> Response:
    """The agency records its findings on customs' inspection page."""
    if principal is None:
        return login_redirect(INSPECTIONS)

    def action() -> None:
        if finding not in service.FINDING_LABELS:
            raise InvalidInput("Choose a finding.", [FieldError("/finding", "is not a finding")])
        service.record_finding(session, principal, declaration_id, finding, notes)

    return page_action(
        request,
        session,
        csrf_token,
        action,
        "Your finding is recorded.",
        INSPECTIONS,
    )


# One application -------------------------------------------------------------------------------


@router.get("/applications/{application_id}", response_class=HTMLResponse)
def application_page(
    request: Request, application_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    if principal is None:
        return login_redirect(f"/permits/applications/{application_id}")
    try:
        application = service.get(session, principal, application_id)
    except DomainError:
        return not_found_page(request)
    seen = service.view(session, application)
    procedure = service.procedure_of(session, application)
    fields = {f["name"]: f for f in procedure.definition.get("form", {}).get("fields", [])}
    countries = {c["code"]: c["label"] for c in _countries(session)}
    shown = {
        name: (
            field_label(fields.get(name, {}), name),
            shown_value(fields.get(name, {}), value, countries),
        )
        for name, value in seen.data.items()
    }
    mine = application.applicant_id == principal.organisation_id
    return render(
        request,
        "permits_application.html",
        {
            "a": seen,
            "shown": shown,
            "currencies": reference.list_currencies(session),
            "mine": mine,
            "deciding": service.is_agency(principal)
            and "permits:decide" in principal.scopes
            and not mine,
            "open": application.status in service.OPEN_STATUSES,
            "may_pay": mine
            and seen.fee_request is not None
            and seen.fee_request.status == "open"
            and "payments:write" in principal.scopes,
        },
        principal,
    )


def field_label(field: dict[str, Any], name: str) -> str:
    return str(field.get("label") or name.replace("_", " ").capitalize())


def shown_value(field: dict[str, Any], value: Any, countries: dict[str, str]) -> str:
    """A form value as a person reads it: a code with its label, a country by its name."""
    kind = field.get("type")
    if kind == "code" and value in field.get("codes", {}):
        return f"{field['codes'][value]} ({value})"
    if kind == "country" and value in countries:
        return f"{countries[value]} ({value})"
    if kind == "boolean":
        return "Yes" if value else "No"
    return str(value)


def _back(application_id: int) -> str:
    return f"/permits/applications/{application_id}"


@router.post("/applications/{application_id}/steps/{step_id}")
def complete_step(
    request: Request,
    application_id: Id,
    step_id: str,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    note: FormText = "",
) -> Response:
    if principal is None:
        return login_redirect(_back(application_id))
    return page_action(
        request,
        session,
        csrf_token,
        lambda: service.complete_step(
            session, principal, application_id, step_id[:40], StepIn(note=note)
        ),
        "The step is done.",
        _back(application_id),
    )


@router.post("/applications/{application_id}/fee")
def pay_fee(
    request: Request,
    application_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    method: Annotated[str, Form(max_length=20)] = "bank",
) -> Response:
    """The applicant pays the fee as duties are paid: by bank or by deferred account."""
    if principal is None:
        return login_redirect(_back(application_id))
    return page_action(
        request,
        session,
        csrf_token,
        lambda: service.pay_fee(
            session,
            principal,
            application_id,
            method=method,
            gateway=payments.SimulatedBank(session),
        ),
        "Payment sent to the bank; the fee step ends with its confirmation and the receipt.",
        _back(application_id),
    )


@router.post("/applications/{application_id}/ask")
def ask(
    request: Request,
    application_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    text: FormText,
) -> Response:
    if principal is None:
        return login_redirect(_back(application_id))
    return page_action(
        request,
        session,
        csrf_token,
        lambda: service.ask(session, principal, application_id, text.strip() or "-"),
        "Your question is sent to the applicant.",
        _back(application_id),
    )


@router.post("/applications/{application_id}/answer")
def answer(
    request: Request,
    application_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    text: FormText,
) -> Response:
    if principal is None:
        return login_redirect(_back(application_id))
    return page_action(
        request,
        session,
        csrf_token,
        lambda: service.answer(session, principal, application_id, AnswerIn(text=text or "-")),
        "Your answer is sent to the agency.",
        _back(application_id),
    )


@router.post("/applications/{application_id}/decide")
def decide(
    request: Request,
    application_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    decision: Annotated[str, Form(max_length=10)],
    reason: FormText = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
    quantity: Annotated[str, Form(max_length=20)] = "",
    value: Annotated[str, Form(max_length=20)] = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    valid_to: Annotated[str, Form(max_length=10)] = "",
    conditions: FormText = "",
) -> Response:
    """Approve or refuse: final, so the officer confirms it and says why."""
    if principal is None:
        return login_redirect(_back(application_id))
    back = _back(application_id)
    if confirm != "yes":
        return flash_redirect(request, back, "Tick the box to confirm: a decision is final.")
    if not reason.strip():
        return flash_redirect(request, back, "Say why: the applicant reads the reason.")

    def action() -> None:
        try:
            body = DecisionIn(
                decision=decision,  # type: ignore[arg-type]
                reason=reason,
                quantity=quantity or None,  # type: ignore[arg-type]
                value=value or None,  # type: ignore[arg-type]
                currency=currency.upper() or None,
                valid_to=valid_to or None,  # type: ignore[arg-type]
                conditions=conditions or None,
            )
        except ValidationError as exc:
            raise InvalidInput(
                "The decision is not complete.",
                [
                    FieldError("/" + "/".join(str(p) for p in e["loc"]), e["msg"])
                    for e in exc.errors()
                ],
            ) from None
        service.decide(session, principal, application_id, body)

    done = "Approved: the permit is issued." if decision == "approve" else "Refused."
    return page_action(request, session, csrf_token, action, done, back)


# Company documents -----------------------------------------------------------------------------


@router.post("/company-documents")
def lodge_company_document(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    agency: Annotated[str, Form(max_length=20)],
    kind: Annotated[str, Form(max_length=40)],
    reference_: Annotated[str, Form(max_length=70, alias="reference")],
    valid_to: Annotated[str, Form(max_length=10)],
) -> Response:
    if principal is None:
        return login_redirect("/permits")

    def action() -> None:
        try:
            body = CompanyDocumentIn(
                agency=agency,
                kind=kind,
                reference=reference_,
                valid_to=valid_to,  # type: ignore[arg-type]
            )
        except ValidationError:
            raise InvalidInput("Fill every field of the document.") from None
        service.lodge_company_document(session, principal, body)

    return page_action(
        request, session, csrf_token, action, "The document is lodged for verification.", "/permits"
    )


@router.post("/company-documents/{document_id}/verify")
def verify_company_document(
    request: Request,
    document_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Csrf,
    accepted: Annotated[str, Form(max_length=5)],
    reason: FormText = "",
) -> Response:
    if principal is None:
        return login_redirect("/permits")
    return page_action(
        request,
        session,
        csrf_token,
        lambda: service.verify_company_document(
            session, principal, document_id, accepted=accepted == "yes", reason=reason or "-"
        ),
        "The document is verified." if accepted == "yes" else "The document is refused.",
        "/permits",
    )


# Certificates ----------------------------------------------------------------------------------


def _qr_svg(text: str) -> str:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True)
    return out.getvalue().decode()


@router.get("/issued/{permit_id}", response_class=HTMLResponse)
def printable(
    request: Request, permit_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """The permit or certificate, printable, with a QR code of its public verification page."""
    if principal is None:
        return login_redirect(f"/permits/issued/{permit_id}")
    try:
        permit = service.permit_view(session, service.get_permit(session, principal, permit_id))
    except DomainError:
        return not_found_page(request)
    link = f"{str(request.base_url).rstrip('/')}/verify?code={permit.verification_code}"
    return render(
        request,
        "permits_certificate.html",
        {
            "p": permit,
            "link": link,
            "qr": _qr_svg(link),
            "details": _details(session, permit.procedure, permit.details),
            "number": _number,
        },
        principal,
    )


def _number(value: Decimal | None) -> str:
    """A quantity or amount without trailing zeros: 2400, 12.5."""
    return "" if value is None else f"{value.normalize():f}"


def _details(session: Session, code: str, details: dict[str, Any]) -> list[tuple[str, str]]:
    """What a certificate states, each with its field's label and the value's label."""
    try:
        definition = service.current(session, code).definition
    except NotFound:
        definition = {}
    fields = {f["name"]: f for f in definition.get("form", {}).get("fields", [])}
    countries = {c["code"]: c["label"] for c in _countries(session)}
    return [
        (field_label(fields.get(k, {}), k), shown_value(fields.get(k, {}), v, countries))
        for k, v in details.items()
    ]


@public_router.get("/verify", response_class=HTMLResponse)
def verify(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    code: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """Anyone checks a certificate by the code printed on it."""
    found = None
    if code:
        try:
            found = service.verify_certificate(session, code.strip())
        except NotFound:
            found = None
    return render(
        request,
        "permits_verify.html",
        {
            "code": code,
            "found": found,
            "details": _details(session, found.procedure, found.details) if found else [],
        },
        principal,
        status_code=404 if code and found is None else 200,
    )


@public_router.get("/requirements", response_class=HTMLResponse)
def requirements(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    hs: Annotated[str, Query(max_length=10)] = "",
    country: Annotated[str, Query(max_length=2)] = "",
    flow: Annotated[str, Query(max_length=10)] = "import",
) -> Response:
    """What do I need to import (or export) HS X from (to) country Y? Open to everybody."""
    hs = "".join(ch for ch in hs if ch.isdigit())
    asked = len(hs) >= 4
    flow = flow if flow in service.FLOW_LABELS else "import"
    needs = service.requirements_for(session, hs, country or None, flow) if asked else []
    return render(
        request,
        "permits_requirements.html",
        {
            "hs": hs,
            "country": country,
            "flow": flow,
            "flows": service.FLOW_LABELS,
            "asked": asked,
            "needs": needs,
            "countries": _countries(session),
            "country_name": next(
                (c["label"] for c in _countries(session) if c["code"] == country), country
            ),
        },
        principal,
    )


@public_router.get("/requirements/procedures", response_class=HTMLResponse)
def procedures_page(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """Every agency's procedures as the data says them: form, steps, fee, validity, the goods
    that need them. Open to everybody."""
    names = {a.id: a.name for a in service.agencies(session).values()}
    rules = service.rules_by_procedure(session)
    return render(
        request,
        "permits_procedures.html",
        {
            "procedures": service.current_procedures(session),
            "agencies": names,
            "rules": rules,
            "step_kinds": service.STEP_KINDS,
            "flows": service.FLOW_LABELS,
        },
        principal,
    )
