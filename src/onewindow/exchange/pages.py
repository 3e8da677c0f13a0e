"""Portal pages of the partner gateway: "Partner messages", the log of every message in and out
with its signature check and acknowledgement, for customs and administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onewindow.deps import Id, OptionalPrincipalDep, SessionDep
from onewindow.errors import DomainError
from onewindow.exchange import access, service
from onewindow.exchange.envelope import MESSAGE_TYPES
from onewindow.portal.pages import csrf_ok, flash_redirect, not_found_page, refusal, render
from onewindow.reference import service as reference

router = APIRouter(prefix="/exchange", include_in_schema=False)

DIRECTIONS = {"out": "Sent", "in": "Received"}
TYPE_LABELS = {code: label for code, (_, label) in MESSAGE_TYPES.items()}


def _countries(session: SessionDep) -> dict[str, str]:
    return {c.alpha2: c.name for c in reference.list_countries(session)}


@router.get("", response_class=HTMLResponse)
def messages_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    direction: Annotated[str | None, Query(pattern=r"^(in|out)?$")] = None,
    partner: Annotated[str | None, Query(pattern=r"^([A-Z]{2})?$")] = None,
    message_type: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=70)] = None,
) -> Response:
    """Partner messages, newest first, searchable; the partners and their certificates."""
    if principal is None:
        return RedirectResponse("/login?next=/exchange", status_code=303)
    if not access.may_read(principal):
        return not_found_page(request)
    rows = service.search_messages(
        session,
        principal,
        direction=direction or None,
        partner=partner or None,
        message_type=message_type or None,
        status=status or None,
        text=(q or "").strip() or None,
        limit=200,
    )
    return render(
        request,
        "exchange_messages.html",
        {
            "messages": [service.message_view(r) for r in rows],
            "partners": [service.partner_view(session, p) for p in service.partners(session)],
            "countries": _countries(session),
            "directions": DIRECTIONS,
            "types": TYPE_LABELS,
            "statuses": service.STATUS_LABELS,
            "counts": service.count_by_status(session),
            "filters": {
                "direction": direction or "",
                "partner": partner or "",
                "message_type": message_type or "",
                "status": status or "",
                "q": q or "",
            },
        },
        principal,
    )


@router.get("/messages/{message_row_id}", response_class=HTMLResponse)
def message_page(
    request: Request, message_row_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """One message: what it carries, its signature check, its acknowledgement."""
    if principal is None:
        return RedirectResponse(f"/login?next=/exchange/messages/{message_row_id}", 303)
    if not access.may_read(principal):
        return not_found_page(request)
    try:
        row = service.get_message(session, principal, message_row_id)
    except DomainError:
        return not_found_page(request)
    return render(
        request,
        "exchange_message.html",
        {
            "m": service.message_detail(row),
            "countries": _countries(session),
            "directions": DIRECTIONS,
            "types": TYPE_LABELS,
            "may_retry": row.status == service.FAILED
            and access.ADMIN in principal.scopes
            and principal.is_administrator,
        },
        principal,
    )


@router.post("/messages/{message_row_id}/retry")
def retry_page(
    request: Request,
    message_row_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Annotated[str, Form(max_length=200)],
) -> Response:
    """An administrator sends a failed message again."""
    back = f"/exchange/messages/{message_row_id}"
    if principal is None:
        return RedirectResponse(f"/login?next={back}", status_code=303)
    if not csrf_ok(request, csrf_token):
        return flash_redirect(request, back, "The form expired; please try again.")
    try:
        access.require_admin(principal)
        service.retry(session, message_row_id)
    except DomainError as exc:
        return flash_redirect(request, back, refusal(session, exc))
    return flash_redirect(request, back, "The message will be sent again shortly.")
