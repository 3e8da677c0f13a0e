"""Portal pages that drive a declaration across domains: the lodging form and upload, and the
buttons of a declaration's page (pay, cancel, hold, lift, release, inspection result, assess).
Every action goes through ``clearance.service``, the same door as the API."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from onewindow.clearance import service as clearance
from onewindow.config import get_settings
from onewindow.declarations import service
from onewindow.declarations.form import (
    ITEM_FIELDS,
    LABELS,
    PICKS,
    field_name,
    item_count,
    pick_of,
    to_declaration,
    to_form,
)
from onewindow.declarations.lifecycle import Status
from onewindow.declarations.pages import choices, login_redirect, may_lodge
from onewindow.declarations.schemas import DeclarationIn
from onewindow.declarations.service import Action
from onewindow.deps import Id, OptionalPrincipalDep, SessionDep
from onewindow.errors import DomainError, FieldError, Forbidden, InvalidInput
from onewindow.formats import service as formats
from onewindow.formats import wco
from onewindow.parties import service as parties
from onewindow.parties.models import Mandate
from onewindow.payments.gateway import SimulatedBank
from onewindow.portal.field_errors import labelled, plain, sentence
from onewindow.portal.pages import csrf_ok, flash_redirect, not_found_page, refusal, render
from onewindow.risk.pages import back_to, customs_only
from onewindow.security import Principal
from onewindow.tariff import service as tariff

router = APIRouter(prefix="/declarations", include_in_schema=False)
risk_router = APIRouter(prefix="/risk", include_in_schema=False)


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


def _clients(session: Session, principal: Principal) -> list[Mandate]:
    """The mandates in force that let the principal lodge for a client (a broker's)."""
    today = date.today()
    return [
        m
        for m in parties.list_mandates(session, principal)
        if m.representative_id == principal.organisation_id and parties.mandate_in_force(m, today)
    ]


def _offers(form: dict[str, str], errors: dict[str, str], session: Session) -> dict[str, Any]:
    """For a commodity code refused as not declarable, the declarable lines under its
    subheading, to pick from."""
    offers: dict[str, Any] = {}
    for name in errors:
        if not name.endswith("-commodity_code"):
            continue
        code = form.get(name, "").strip().replace(" ", "").replace(".", "")
        if len(code) >= 6 and code.isdigit():
            lines = tariff.lines_under(session, code[:6], limit=30)
            if lines:
                offers[name] = lines
    return offers


def _form_page(
    request: Request,
    session: Session,
    principal: Principal,
    fields: dict[str, str],
    errors: dict[str, str],
    items: int,
    status_code: int = 200,
    message: str = "",
    notice: str = "",
) -> HTMLResponse:
    declarant = parties.get_organisation(session, principal, principal.organisation_id)
    return render(
        request,
        "declarations_form.html",
        {
            "fields": fields,
            "errors": errors,
            "items": range(items),
            "item_fields": ITEM_FIELDS,
            "message": plain(message),
            "notice": notice,
            "clients": _clients(session, principal),
            "field_labels": LABELS,
            "picks": PICKS,
            "where": lambda name: labelled(name, LABELS),
            "offers": _offers(fields, errors, session),
            "declarant": declarant,
            **choices(),
        },
        principal,
        status_code=status_code,
    )


@router.get("/new", response_class=HTMLResponse)
def new_form(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep, commodity_code: str = ""
) -> Response:
    """The lodging form; ``commodity_code`` (from the nomenclature's "use this code") fills the
    first goods item's code. The declarant is the user's company; a trader's own EORI is the
    importer unless changed."""
    if principal is None:
        return login_redirect(request)
    if not may_lodge(principal):
        return not_found_page(request)
    fields = dict(DEFAULTS)
    fields.update({f"items-0-{k}": v for k, v in ITEM_DEFAULTS.items()})
    if principal.has_role("trader"):
        fields["importer-identifier"] = _declarant(session, principal)
    code = commodity_code.replace(" ", "").replace(".", "")
    if 6 <= len(code) <= 10 and code.isascii() and code.isdigit():
        fields["items-0-commodity_code"] = code
        line = tariff.national_line(session, code)
        if line is not None:
            fields["items-0-description"] = line.description[:200]
    return _form_page(request, session, principal, fields, {}, 1)


@router.get("/{declaration_id}/copy", response_class=HTMLResponse)
def copy_form(
    request: Request, declaration_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """The lodging form filled in from a rejected declaration, its errors marked, under a new
    reference (the idempotency key): the trader corrects and lodges a new declaration."""
    if principal is None:
        return login_redirect(request)
    if not may_lodge(principal):
        return not_found_page(request)
    try:
        rejected = service.authorize(session, principal, declaration_id, Action.AMEND)
    except DomainError:
        return not_found_page(request)
    if rejected.status != Status.REJECTED:
        return flash_redirect(
            request,
            f"/declarations/{rejected.id}",
            "Only a rejected declaration is copied into a new one; amend this one instead.",
        )
    fields = copied_fields(rejected.content, _clients(session, principal))
    fields["declarant_reference"] = service.unused_reference(
        session, principal.organisation_id, rejected.declarant_reference
    )
    errors = _errors_by_field(
        [FieldError(str(e.get("pointer", "")), str(e.get("detail", ""))) for e in rejected.errors],
        fields,
    )
    errors.pop("declarant_reference", None)
    notice = (
        f"A copy of rejected declaration {rejected.declarant_reference}, under the new "
        f"reference {fields['declarant_reference']}: correct the fields marked, then lodge it."
    )
    return _form_page(
        request, session, principal, fields, errors, item_count(fields), notice=notice
    )


def copied_fields(content: dict[str, Any], clients: list[Mandate]) -> dict[str, str]:
    """The form fields of a lodged declaration's content, as its lodger fills them in again: the
    declarant is the one logging in, and a client's mandate stands for the represented party."""
    body = {k: v for k, v in content.items() if k not in ("declarant", "representative")}
    fields = to_form(body)
    represented = {(content.get(role) or {}).get("identifier") for role in ("importer", "exporter")}
    if content.get("representative"):
        chosen = next((m for m in clients if m.represented.identifier in represented), None)
        if chosen is not None:
            fields["client"] = str(chosen.id)
    return fields


def _problem(error: FieldError) -> str:
    """An error of an uploaded file, named by its field's label."""
    name = field_name(error.pointer)
    if not name:
        return plain(error.detail)
    return f"{labelled(name, LABELS)}: {sentence(error, None, pick_of(name))}"


def _errors_by_field(errors: list[FieldError], form: dict[str, str]) -> dict[str, str]:
    """Each field's first error, as a sentence for a person (``form`` for the form's own)."""
    found: dict[str, str] = {}
    for error in errors:
        name = field_name(error.pointer) or "form"
        found.setdefault(name, sentence(error, form.get(name), pick_of(name)))
    return found


def _pydantic_errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError("/" + "/".join(str(p) for p in e["loc"]), str(e["msg"]), str(e["type"]))
        for e in exc.errors()
    ]


def _declarant(session: SessionDep, principal: Principal) -> str:
    org = parties.get_organisation(session, principal, principal.organisation_id)
    return org.identifier


def _acting_for(
    session: Session, principal: Principal, body: dict[str, Any], client: str
) -> dict[str, Any]:
    """A broker lodging for a client it holds a mandate from: the client is the importer (or
    exporter), and the declarant too in direct representation; the broker represents it."""
    chosen = next((m for m in _clients(session, principal) if str(m.id) == client), None)
    if chosen is None:
        return body
    code = {name: c for c, name in parties.REPRESENTATION_CODES.items()}[chosen.representation]
    who = {"identifier": chosen.represented.identifier}
    if code == "2":
        body["declarant"] = who
    role = "exporter" if body.get("type") == "EX" else "importer"
    body[role] = {**body.get(role, {}), **who}
    body["representative"] = {"identifier": _declarant(session, principal), "representation": code}
    return body


@router.post("/new", response_class=HTMLResponse)
async def lodge_form(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """Add an item row, or check and lodge: errors are shown next to their fields."""
    if principal is None:
        return login_redirect(request)
    if not may_lodge(principal):
        return not_found_page(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    if not csrf_ok(request, form.get("csrf_token", "")):
        return _form_page(
            request, session, principal, form, {}, item_count(form), 403, "The form expired."
        )
    items = item_count(form)
    if form.get("action") == "add-item":
        form.update({f"items-{items}-{k}": v for k, v in ITEM_DEFAULTS.items()})
        return _form_page(request, session, principal, form, {}, items + 1)
    body = _acting_for(
        session,
        principal,
        to_declaration(form, _declarant(session, principal)),
        form.get("client", ""),
    )
    try:
        declaration = DeclarationIn.model_validate(body)
    except ValidationError as exc:
        errors = _errors_by_field(_pydantic_errors(exc), form)
        message = "Please correct the fields marked."
        return _form_page(request, session, principal, form, errors, items, 422, message)
    problems = service.check_declaration(session, declaration, date.today())
    if problems:
        return _form_page(
            request,
            session,
            principal,
            form,
            _errors_by_field(problems, form),
            items,
            422,
            "Please correct the fields marked.",
        )
    try:
        lodgement = clearance.lodge(session, principal, declaration)
    except DomainError as exc:
        message = refusal(session, exc)
        return _form_page(
            request,
            session,
            principal,
            form,
            _errors_by_field(exc.errors, form),
            items,
            exc.status_code,
            message,
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
    """Lodge a declaration from a JSON file (our API's shape), a WCO Data Model XML file or a
    UN/EDIFACT CUSDEC interchange."""
    if principal is None:
        return login_redirect(request)
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
        elif formats.is_edifact(data):
            declaration = formats.declaration_from_cusdec(data)
        else:
            declaration = DeclarationIn.model_validate(json.loads(data))
        lodgement = clearance.lodge(session, principal, declaration)
        return RedirectResponse(f"/declarations/{lodgement.declaration.id}", status_code=303)
    except ValidationError as exc:
        problems = [_problem(e) for e in _pydantic_errors(exc)]
    except json.JSONDecodeError as exc:
        problems = [f"The file is not valid JSON: {exc}"]
    except wco.WcoRefusal as exc:
        problems = [str(exc)]
    except DomainError as exc:
        refusal(session, exc)  # nothing of a refused upload stays
        problems = [plain(exc.detail)] + [_problem(e) for e in exc.errors]
    return render(
        request,
        "declarations_upload_result.html",
        {"problems": problems, "filename": file.filename},
        principal,
        422,
    )


def _back(request: Request, declaration_id: int, message: str) -> RedirectResponse:
    return flash_redirect(request, f"/declarations/{declaration_id}", message)


IRREVERSIBLE = frozenset({"cancel", "invalidate", "release", "lift"})
"""Page actions that cannot be undone: each asks for a reason and a confirmation."""


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
    finding: Annotated[str, Form(max_length=10)] = "",
    goods_seized: Annotated[str, Form(max_length=10)] = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    rate: Annotated[str, Form(max_length=30)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """One button of the detail page. Every action goes through the same door as the API
    (``clearance``), so a page never does what the API refuses; a refusal changes nothing.
    What cannot be undone needs a reason and the box "I confirm" ticked."""
    if principal is None:
        return login_redirect(request)
    if not csrf_ok(request, csrf_token):
        return _back(request, declaration_id, "The form expired; please try again.")
    if action in IRREVERSIBLE and not (reason.strip() and confirm == "yes"):
        return _back(
            request,
            declaration_id,
            "Nothing was done: this cannot be undone, so give the reason and tick the box "
            "to confirm.",
        )
    try:
        message = _act(
            session,
            principal,
            declaration_id,
            action,
            reason=reason,
            kind=kind,
            hold_id=hold_id,
            method=method,
            finding=finding,
            goods_seized=bool(goods_seized),
            currency=currency,
            rate=rate,
        )
    except DomainError as exc:
        return _back(request, declaration_id, refusal(session, exc))
    return _back(request, declaration_id, message)


def _act(
    session: Session,
    principal: Principal,
    declaration_id: int,
    action: str,
    *,
    reason: str,
    kind: str,
    hold_id: int,
    method: str,
    finding: str,
    goods_seized: bool,
    currency: str,
    rate: str,
) -> str:
    if action == "pay":
        outcome = clearance.pay(
            session, principal, declaration_id, method=method, gateway=SimulatedBank(session)
        )
        if outcome.method == "deferment":
            return "Secured by your deferred-payment account."
        return "Payment sent to the bank; the receipt follows its confirmation."
    if action == "cancel":
        clearance.cancel(session, principal, declaration_id, reason.strip())
        return "Cancelled."
    if action == "invalidate":
        clearance.invalidate(session, principal, declaration_id, reason.strip())
        return "Invalidated: nothing is owed on it any more."
    if action == "hold":
        clearance.place_hold(session, principal, declaration_id, kind=kind, reason=reason)
        return "Hold placed."
    if action == "lift":
        clearance.lift_hold(session, principal, declaration_id, hold_id, reason=reason)
        return "Hold lifted."
    if action == "release":
        clearance.release(session, principal, declaration_id, reason=reason)
        return "Released."
    if action == "inspect":
        clearance.record_inspection(
            session,
            principal,
            declaration_id,
            finding=finding,
            currency=get_settings().currency,
            goods_seized=goods_seized,
            notes=reason.strip(),
        )
        return "Inspection result recorded."
    if action == "assess":
        rates = {currency.strip().upper(): _rate(rate)} if currency.strip() or rate.strip() else {}
        if clearance.assess_by_officer(
            session, principal, declaration_id, rates=rates, reason=reason
        ):
            return "Assessed: the payment request follows." if rates else "Assessed."
        return "Still not assessed: see the hold for what is missing."
    raise Forbidden("That action is not available here.")


def _rate(text: str) -> Decimal:
    try:
        return Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(
            "The exchange rate is not a number.",
            [FieldError("/rate", "write the rate as a number, like 0.79")],
        ) from None


@risk_router.post("/inspections/{declaration_id}")
def record_inspection(
    request: Request,
    declaration_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    finding: Annotated[str, Form(max_length=10)] = "",
    revenue_recovered: Annotated[str, Form(max_length=30)] = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    goods_seized: Annotated[str, Form(max_length=10)] = "",
    notes: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    refused = customs_only(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    back = "/risk/inspections"
    if not csrf_ok(request, csrf_token):
        return back_to(request, back, "The form expired; please try again.")
    try:
        amount = Decimal(revenue_recovered.strip() or "0")
    except InvalidOperation:
        return back_to(
            request, back, f"Declaration {declaration_id}: revenue recovered must be a number."
        )
    code = currency.strip().upper()
    if amount and not (len(code) == 3 and code.isalpha()):
        return back_to(
            request, back, f"Declaration {declaration_id}: give the currency of the revenue."
        )
    try:
        clearance.record_inspection(
            session,
            principal,
            declaration_id,
            finding=finding,
            revenue_recovered=amount,
            currency=code or "XXX",
            goods_seized=bool(goods_seized),
            notes=notes.strip(),
        )
    except DomainError as exc:
        return back_to(request, back, refusal(session, exc))
    return back_to(request, back, f"Inspection result recorded for declaration {declaration_id}.")


# Watch list, fast lanes, IPR records -------------------------------------------------------------
