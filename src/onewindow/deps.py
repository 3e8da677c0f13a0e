"""FastAPI dependencies shared by every domain's routes: the unit of work and the principal."""

from __future__ import annotations

from typing import Annotated

import annotated_types
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from onewindow.db import get_session
from onewindow.errors import Forbidden, NotAuthenticated
from onewindow.parties import service as parties
from onewindow.security import CsrfGuard, Principal
from onewindow.stages import stage

SESSION_COOKIE = "ow_session"

MAX_ID = 2**31 - 1
"""The largest value of our integer columns (ids, versions, sequence numbers)."""

Id = Annotated[int, annotated_types.Ge(1), annotated_types.Le(MAX_ID)]
"""A row id in a path, a query or a form: out of our columns' range it is a 422, never a 500."""

# scope="function": the transaction commits before the response is sent, so nothing
# acknowledged to a client can be lost.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    """The principal behind a bearer token or a portal session cookie, if any.

    A cookie-authenticated request that changes something must echo the CSRF token.
    """
    principal = _principal(request, session)
    # Pages answered outside the route (not found, a malformed address) show the same user.
    request.state.principal = principal
    if principal is None or principal.via != "session":
        return principal
    if request.method not in {"GET", "HEAD", "OPTIONS"} and request.url.path.startswith("/api/"):
        guard: CsrfGuard = request.app.state.csrf
        if not guard.check(
            request.cookies.get(CsrfGuard.COOKIE), request.headers.get(CsrfGuard.HEADER)
        ):
            raise Forbidden("A portal session must send the X-CSRF-Token header with changes.")
    return principal


def _principal(request: Request, session: Session) -> Principal | None:
    with stage("authenticate"):
        return _principal_of(request, session)


def _principal_of(request: Request, session: Session) -> Principal | None:
    token = _bearer(request)
    if token is not None:
        principal = parties.principal_for_token(session, token)
        if principal is None:
            raise NotAuthenticated("The bearer token is unknown, expired or revoked.")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    return parties.principal_for_session(session, cookie) if cookie else None


OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


def current_principal(principal: OptionalPrincipalDep) -> Principal:
    """The principal, or 401 when the request carries no valid credentials."""
    if principal is None:
        raise NotAuthenticated("Log in, or send a bearer token in the Authorization header.")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
