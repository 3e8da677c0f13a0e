"""Portal pages of the notifications domain, and the unread count in every page's header."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context

from onewindow.deps import Id, OptionalPrincipalDep, SessionDep
from onewindow.errors import NotFound
from onewindow.notifications import service
from onewindow.parties.service import require_scope
from onewindow.portal.pages import not_found_page, render, templates
from onewindow.security import CsrfGuard, Principal

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
"""Subjects (declarations, manifests, ...) per page, each with its notifications."""


@pass_context
def unread_count(context: Context, principal: Principal | None) -> int | None:
    """For templates: the principal's unread notifications, or None when it cannot be told."""
    request: Any = context.get("request")
    if principal is None or request is None:
        return None
    return service.peek_unread_count(
        request.app.state.settings.database_url, principal.organisation_id
    )


templates.env.globals["unread_count"] = unread_count


def _page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    error: str = "",
    status_code: int = 200,
    page: int = 1,
) -> HTMLResponse:
    groups, more = service.notification_groups(session, principal, page=page, page_size=PAGE_SIZE)
    return render(
        request,
        "notifications.html",
        {
            "groups": groups,
            "unread": service.unread_count(session, principal),
            "page": page,
            "more": more,
            "page_size": PAGE_SIZE,
            "error": error,
        },
        principal,
        status_code=status_code,
    )


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The organisation's notifications grouped by what they are about, the subject with the
    newest first, twenty subjects a page; unread ones marked."""
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    require_scope(principal, "notifications:read")
    return _page(request, session, principal, page=page)


def _form_ok(request: Request, csrf_token: str) -> bool:
    guard: CsrfGuard = request.app.state.csrf
    return guard.check(request.cookies.get(CsrfGuard.COOKIE), csrf_token)


@router.post("/notifications/read-all", response_class=HTMLResponse)
def mark_all_read(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    require_scope(principal, "notifications:read")
    if not _form_ok(request, csrf_token):
        return _page(
            request, session, principal, "The form expired. Please try again.", status_code=403
        )
    service.mark_all_read(session, principal)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/subject/read", response_class=HTMLResponse)
def mark_subject_read(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    thread: Annotated[str, Form(max_length=150)] = "",
    page: Annotated[int, Form(ge=1, le=10_000)] = 1,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Mark every notification of one group (one declaration's, say) read."""
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    require_scope(principal, "notifications:read")
    if not _form_ok(request, csrf_token):
        return _page(
            request, session, principal, "The form expired. Please try again.", status_code=403
        )
    service.mark_thread_read(session, principal, thread)
    return RedirectResponse(f"/notifications?page={page}", status_code=303)


@router.post("/notifications/{notification_id}/read", response_class=HTMLResponse)
def mark_read(
    request: Request,
    notification_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    require_scope(principal, "notifications:read")
    if not _form_ok(request, csrf_token):
        return _page(
            request, session, principal, "The form expired. Please try again.", status_code=403
        )
    try:
        service.mark_read(session, principal, notification_id)
    except NotFound:
        return not_found_page(request)
    return RedirectResponse("/notifications", status_code=303)
