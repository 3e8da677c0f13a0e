"""Portal pages of the parties domain: mandates, granted and revoked by the represented company."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onewindow.db import utcnow
from onewindow.deps import Id, OptionalPrincipalDep, SessionDep
from onewindow.errors import DomainError, FieldError, InvalidInput
from onewindow.parties import service
from onewindow.portal.field_errors import plain
from onewindow.portal.pages import csrf_ok, flash_redirect, refusal, render
from onewindow.security import Principal, Role

router = APIRouter(prefix="/mandates", include_in_schema=False)


def _back(request: Request, message: str) -> RedirectResponse:
    return flash_redirect(request, "/mandates", message)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    fields: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    mandates = service.list_mandates(session, principal)
    me = principal.organisation_id
    today = utcnow().date()
    return render(
        request,
        "mandates.html",
        {
            "granted": [m for m in mandates if m.represented_id == me],
            "held": [m for m in mandates if m.representative_id == me],
            "in_force": lambda m: service.mandate_in_force(m, today),
            "may_grant": principal.has_role(Role.TRADER)
            and "declarations:write" in principal.scopes,
            "representations": service.REPRESENTATIONS,
            "flows": service.FLOWS,
            "fields": fields or {},
            "errors": errors or {},
        },
        principal,
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
def mandates(request: Request, session: SessionDep, principal: OptionalPrincipalDep) -> Response:
    """The mandates a company granted to its brokers, and those a broker holds from clients."""
    if principal is None:
        return RedirectResponse("/login?next=/mandates", status_code=303)
    return _page(request, session, principal)


def _date(value: str, pointer: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            "A date is not valid.", [FieldError(pointer, "write it as YYYY-MM-DD")]
        ) from None


@router.post("", response_class=HTMLResponse)
def grant(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    representative: Annotated[str, Form(max_length=40)] = "",
    representation: Annotated[str, Form(max_length=10)] = "",
    flows: Annotated[list[str] | None, Form(max_length=3)] = None,
    procedures: Annotated[str, Form(max_length=200)] = "",
    valid_from: Annotated[str, Form(max_length=10)] = "",
    valid_to: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Grant a mandate; errors are shown next to their fields and nothing is granted."""
    if principal is None:
        return RedirectResponse("/login?next=/mandates", status_code=303)
    if not csrf_ok(request, csrf_token):
        return _back(request, "The form expired; please try again.")
    fields = {
        "representative": representative,
        "representation": representation,
        "procedures": procedures,
        "valid_from": valid_from,
        "valid_to": valid_to,
        **{f"flow-{f}": "on" for f in flows or []},
    }
    try:
        mandate = service.grant_mandate(
            session,
            principal,
            representative=representative,
            representation=representation,
            flows=flows or [],
            procedures=[p for p in procedures.replace(",", " ").split() if p],
            valid_from=_date(valid_from, "/valid_from"),
            valid_to=_date(valid_to, "/valid_to"),
        )
    except DomainError as exc:
        message = refusal(session, exc)
        errors = {e.pointer.strip("/").split("/")[0]: plain(e.detail) for e in exc.errors}
        if not errors:
            return _back(request, message)
        return _page(request, session, principal, fields=fields, errors=errors, status_code=422)
    return _back(request, f"{mandate.representative.name} may now lodge for you.")


@router.post("/{mandate_id}/revoke")
def revoke(
    request: Request,
    mandate_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    reason: Annotated[str, Form(max_length=512)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """End a mandate the company granted; it asks for the reason and a ticked confirmation."""
    if principal is None:
        return RedirectResponse("/login?next=/mandates", status_code=303)
    if not csrf_ok(request, csrf_token):
        return _back(request, "The form expired; please try again.")
    if confirm != "yes":
        return _back(request, "Tick the box to confirm: a revocation cannot be undone.")
    try:
        mandate = service.revoke_mandate(session, principal, mandate_id, reason=reason)
    except DomainError as exc:
        return _back(request, refusal(session, exc))
    return _back(request, f"The mandate of {mandate.representative.name} is revoked.")
