"""Portal pages for goods declarations: the trader's form, list and detail; the officer's queue."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from onewindow import clearance
from onewindow.declarations import service
from onewindow.declarations.form import ITEM_FIELDS, field_name, item_count, to_declaration
from onewindow.declarations.lifecycle import LABELS, Status
from onewindow.declarations.schemas import DeclarationIn
from onewindow.deps import Id, OptionalPrincipalDep, SessionDep
from onewindow.errors import DomainError, FieldError
from onewindow.formats import service as formats
from onewindow.formats import wco
from onewindow.parties import service as parties
from onewindow.payments import service as payments
from onewindow.payments.gateway import SimulatedBank
from onewindow.portal.pages import csrf_ok, not_found_page, render
from onewindow.reference.codelists import code_list
from onewindow.security import Principal

router = APIRouter(prefix="/declarations", include_in_schema=False)

DEFAULTS = {
    "type": "IM",
    "additional_type": "A",
    "transport-mode": "1",
    "transport_documents-0-type": "705",
    "delivery_terms-incoterm": "FOB",
    "invoice-currency": "USD",
    "freight-currency": "USD",
    "insurance-currency": "USD",
}
ITEM_DEFAULTS = {"procedure": "4000", "packages-0-type": "CT", "value-currency": "USD"}


def _login(request: Request) -> Response:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def _is_customs(principal: Principal) -> bool:
    return principal.has_role(service.CUSTOMS)


def _choices() -> dict[str, Any]:
    return {
        "modes": code_list("transport-mode").entries,
        "incoterms": code_list("delivery-terms").entries,
        "packages": code_list("package-type").entries,
        "transport_documents": code_list("transport-document-type").entries,
        "hold_kinds": service.HOLD_KINDS,
        "labels": {s.value: label for s, label in LABELS.items()},
    }


@router.get("", response_class=HTMLResponse)
def list_page(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep, status: str = ""
) -> Response:
    """The trader's declarations, or the officer's queue by status."""
    if principal is None:
        return _login(request)
    chosen = status if status in {s.value for s in Status} else None
    rows = service.list_declarations(session, principal, status=chosen, limit=200)
    return render(
        request,
        "declarations_list.html",
        {
            "rows": rows,
            "status": chosen or "",
            "counts": service.count_by_status(session, principal),
            "customs": _is_customs(principal),
            **_choices(),
        },
        principal,
    )


def _form_page(
    request: Request,
    principal: Principal,
    fields: dict[str, str],
    errors: dict[str, str],
    items: int,
    status_code: int = 200,
    message: str = "",
) -> HTMLResponse:
    return render(
        request,
        "declarations_form.html",
        {
            "fields": fields,
            "errors": errors,
            "items": range(items),
            "item_fields": ITEM_FIELDS,
            "message": message,
            **_choices(),
        },
        principal,
        status_code=status_code,
    )


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, principal: OptionalPrincipalDep) -> Response:
    if principal is None:
        return _login(request)
    fields = dict(DEFAULTS)
    fields.update({f"items-0-{k}": v for k, v in ITEM_DEFAULTS.items()})
    return _form_page(request, principal, fields, {}, 1)


def _errors_by_field(errors: list[FieldError]) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(field_name(error.pointer) or "form", error.detail)
    return found


def _pydantic_errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError("/" + "/".join(str(p) for p in e["loc"]), str(e["msg"]), str(e["type"]))
        for e in exc.errors()
    ]


def _declarant(session: SessionDep, principal: Principal) -> str:
    org = parties.get_organisation(session, principal, principal.organisation_id)
    return org.identifier


@router.post("/new", response_class=HTMLResponse)
async def lodge_form(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """Add an item row, or check and lodge: errors are shown next to their fields."""
    if principal is None:
        return _login(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    if not csrf_ok(request, form.get("csrf_token", "")):
        return _form_page(request, principal, form, {}, item_count(form), 403, "The form expired.")
    items = item_count(form)
    if form.get("action") == "add-item":
        form.update({f"items-{items}-{k}": v for k, v in ITEM_DEFAULTS.items()})
        return _form_page(request, principal, form, {}, items + 1)
    body = to_declaration(form, _declarant(session, principal))
    try:
        declaration = DeclarationIn.model_validate(body)
    except ValidationError as exc:
        errors = _errors_by_field(_pydantic_errors(exc))
        return _form_page(
            request, principal, form, errors, items, 422, "Please correct the fields marked."
        )
    problems = service.check_declaration(session, declaration, date.today())
    if problems:
        return _form_page(
            request,
            principal,
            form,
            _errors_by_field(problems),
            items,
            422,
            "Please correct the fields marked.",
        )
    try:
        lodgement = clearance.lodge(session, principal, declaration)
    except DomainError as exc:
        return _form_page(
            request,
            principal,
            form,
            _errors_by_field(exc.errors),
            items,
            exc.status_code,
            exc.detail,
        )
    return RedirectResponse(f"/declarations/{lodgement.declaration.id}", status_code=303)


@router.post("/upload", response_class=HTMLResponse)
async def upload(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Lodge a declaration from a JSON file (our API's shape) or a WCO Data Model XML file."""
    if principal is None:
        return _login(request)
    if not csrf_ok(request, csrf_token):
        return render(
            request,
            "declarations_upload_result.html",
            {"problems": ["The form expired."]},
            principal,
            403,
        )
    data = await file.read()  # bounded by the app's upload limit while it was received
    problems: list[str] = []
    try:
        if data.lstrip().startswith(b"<"):
            declaration = formats.declaration_from_wco(data)
        else:
            declaration = DeclarationIn.model_validate(json.loads(data))
        lodgement = clearance.lodge(session, principal, declaration)
        return RedirectResponse(f"/declarations/{lodgement.declaration.id}", status_code=303)
    except ValidationError as exc:
        problems = [f"{e.pointer}: {e.detail}" for e in _pydantic_errors(exc)]
    except json.JSONDecodeError as exc:
        problems = [f"The file is not valid JSON: {exc}"]
    except wco.WcoRefusal as exc:
        problems = [str(exc)]
    except DomainError as exc:
        problems = [exc.detail] + [f"{e.pointer}: {e.detail}" for e in exc.errors]
    return render(
        request,
        "declarations_upload_result.html",
        {"problems": problems, "filename": file.filename},
        principal,
        422,
    )


@router.get("/{declaration_id}", response_class=HTMLResponse)
def detail(
    request: Request, declaration_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """Everything about one declaration: status, holds, timeline, assessment, payment."""
    if principal is None:
        return _login(request)
    try:
        declaration = service.get(session, principal, declaration_id)
    except DomainError:
        return not_found_page(request)
    requests = payments.list_payment_requests(session, principal, declaration_id=declaration.id)
    return render(
        request,
        "declarations_detail.html",
        {
            "d": declaration,
            "content": declaration.content,
            "timeline": service.timeline(session, declaration),
            "assessment": service.latest_assessment(session, declaration),
            "payment": requests[0] if requests else None,
            "open_holds": service.open_holds(declaration),
            "customs": _is_customs(principal),
            "own": declaration.organisation_id == principal.organisation_id,
            "versions": service.versions(session, declaration),
            "message": request.query_params.get("message", ""),
            **_choices(),
        },
        principal,
    )


def _back(declaration_id: Id, message: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(
        f"/declarations/{declaration_id}?message={quote(message)}", status_code=303
    )


@router.post("/{declaration_id}/action")
def act(
    request: Request,
    declaration_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    action: Annotated[str, Form(max_length=30)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=512)] = "",
    kind: Annotated[str, Form(max_length=30)] = "",
    hold_id: Annotated[Id, Form()] = 0,
    method: Annotated[str, Form(max_length=20)] = "bank",
) -> Response:
    """One button of the detail page: pay, cancel, hold, lift, release."""
    if principal is None:
        return _login(request)
    if not csrf_ok(request, csrf_token):
        return _back(declaration_id, "The form expired; please try again.")
    try:
        declaration = service.get(session, principal, declaration_id)
        if action == "pay":
            requests = payments.list_payment_requests(
                session, principal, declaration_id=declaration.id, status="open"
            )
            if not requests:
                return _back(declaration_id, "Nothing to pay.")
            if method == "deferment":
                outcome = payments.settle_by_deferment(
                    session, requests[0].id, None, principal.actor
                )
                message = (
                    "Secured by your deferred-payment account." if outcome.ok else outcome.reason
                )
            else:
                payments.start_payment(
                    session,
                    principal.organisation_id,
                    requests[0].id,
                    SimulatedBank(session),
                    actor=principal.actor,
                )
                message = "Payment sent to the bank; the receipt follows its confirmation."
        elif action == "cancel":
            clearance.cancel(
                session, principal, declaration_id, reason or "withdrawn by the declarant"
            )
            message = "Cancelled."
        elif action == "hold" and _is_customs(principal):
            clearance.place_hold(session, principal, declaration_id, kind=kind, reason=reason)
            message = "Hold placed."
        elif action == "lift" and _is_customs(principal):
            clearance.lift_hold(session, principal, declaration_id, hold_id, reason=reason)
            message = "Hold lifted."
        elif action == "release" and _is_customs(principal):
            clearance.release(session, principal, declaration_id, reason=reason)
            message = "Released."
        else:
            return _back(declaration_id, "That action is not available to you.")
    except DomainError as exc:
        details = "; ".join(e.detail for e in exc.errors)
        return _back(declaration_id, f"{exc.detail} {details}".strip())
    return _back(declaration_id, message)
