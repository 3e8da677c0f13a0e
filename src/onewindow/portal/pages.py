"""Portal pages: home per role, login, the public HS nomenclature browser."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from onewindow.deps import SESSION_COOKIE, OptionalPrincipalDep, SessionDep
from onewindow.errors import DomainError, NotFound
from onewindow.money import Money
from onewindow.parties import service as parties
from onewindow.portal.roles import capabilities_for
from onewindow.reference import service as reference
from onewindow.security import ORGANISATION_ROLES, CsrfGuard, Principal

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def money_text(amount: Any, currency: str) -> str:
    """For templates: an amount with its currency, rounded to the currency's minor unit and
    grouped ("GBP 1,234.50", "JPY 1,235"); an amount that is no number is shown as given."""
    try:
        return str(Money(Decimal(str(amount)), currency))
    except (InvalidOperation, ValueError):
        return f"{currency} {amount}"


templates.env.filters["money"] = money_text


def _secure(request: Request) -> bool:
    forced = request.app.state.settings.cookie_secure
    if forced is not None:
        return bool(forced)
    return request.url.scheme == "https"


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page with the principal and a CSRF token for its forms (setting the cookie if new)."""
    guard: CsrfGuard = request.app.state.csrf
    cookie = request.cookies.get(CsrfGuard.COOKIE)
    form_value = guard.form_value(cookie)
    flash = _flash_signer(request).loads(request.cookies.get(FLASH_COOKIE, ""))
    new_cookie = None
    if form_value is None:
        new_cookie, form_value = guard.issue()
    response = templates.TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "csrf_token": form_value,
            "role_labels": ORGANISATION_ROLES,
            "flash": flash,
            **context,
        },
        status_code=status_code,
    )
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE)
    if new_cookie:
        response.set_cookie(
            CsrfGuard.COOKIE, new_cookie, httponly=True, samesite="strict", secure=_secure(request)
        )
    return response


FLASH_COOKIE = "ow_flash"


class _FlashSigner:
    """Signs the one-time message a page action leaves for the next page."""

    def __init__(self, secret: str) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="flash")

    def dumps(self, message: str) -> str:
        return self._signer.dumps(message[:500])

    def loads(self, value: str) -> str | None:
        if not value:
            return None
        try:
            loaded = self._signer.loads(value, max_age=300)
        except BadSignature:
            return None
        return loaded if isinstance(loaded, str) else None


def _flash_signer(request: Request) -> _FlashSigner:
    return _FlashSigner(request.app.state.settings.secret_key or "unset")


def flash_redirect(request: Request, url: str, message: str) -> RedirectResponse:
    """Go to ``url`` and show ``message`` there once: it travels in a short-lived signed cookie,
    not in the address, so a reload or a shared link does not show it again."""
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        _flash_signer(request).dumps(message),
        max_age=300,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


def csrf_ok(request: Request, submitted: str) -> bool:
    """Whether a portal form echoed the CSRF token of its cookie."""
    guard: CsrfGuard = request.app.state.csrf
    return guard.check(request.cookies.get(CsrfGuard.COOKIE), submitted)


def refusal(session: Session, exc: DomainError) -> str:
    """A page action that was refused changes nothing: undo what it did, and say why.

    The API gets the same effect from its error answer (the unit of work rolls back); a page
    answers with a redirect, so it must undo by itself. Refusals kept on record stay.
    """
    if exc.kept_on_record:
        session.commit()
    else:
        session.rollback()
    details = "; ".join(e.detail for e in exc.errors)
    return f"{exc.detail} {details}".strip()


def not_found_page(request: Request) -> HTMLResponse:
    return render(request, "not_found.html", {}, status_code=404)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: OptionalPrincipalDep) -> HTMLResponse:
    """The public landing page, or the home page of the user's roles."""
    capabilities = capabilities_for(principal.organisation_roles) if principal else []
    return render(request, "home.html", {"capabilities": capabilities}, principal)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, principal: OptionalPrincipalDep) -> Response:
    if principal is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html", {"email": "", "error": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the password; on success set the session cookie and go home."""
    guard: CsrfGuard = request.app.state.csrf
    if not guard.check(request.cookies.get(CsrfGuard.COOKIE), csrf_token):
        return render(
            request,
            "login.html",
            {"email": email, "error": "The form expired. Please try again."},
            status_code=403,
        )
    settings = request.app.state.settings
    outcome = parties.log_in(
        session,
        email,
        password,
        client=request.client.host if request.client else None,
        session_hours=settings.session_hours,
        limits=parties.LoginLimits(
            max_failures=settings.login_max_failures,
            max_source_failures=settings.login_max_source_failures,
            window=timedelta(minutes=settings.login_window_minutes),
        ),
    )
    if outcome.token is None:
        if outcome.refusal == "throttled":
            # The same sentence whether or not the e-mail has an account.
            minutes = math.ceil(outcome.retry_after_s / 60)
            message = (
                "Too many failed attempts from your network. "
                f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}."
            )
            page = render(
                request, "login.html", {"email": email, "error": message}, status_code=429
            )
            page.headers["Retry-After"] = str(outcome.retry_after_s)
            return page
        return render(
            request,
            "login.html",
            {"email": email, "error": "The e-mail or the password is wrong."},
            status_code=401,
        )
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        outcome.token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """End the session on the server and drop its cookie.

    No CSRF check: a forged logout can only end a session, while a session that outlives its
    cookie (a logout refused for want of a token) is what a stolen cookie needs.
    """
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        parties.log_out(session, cookie)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/hs", response_class=HTMLResponse)
def hs_browser(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep, q: str = ""
) -> HTMLResponse:
    """Search the HS nomenclature, or browse it by section and chapter."""
    q = q.strip()[:100]
    results = reference.search_hs(session, q, limit=100) if q else []
    sections = [] if q else reference.hs_sections(session)
    chapters = [] if q else reference.hs_chapters(session)
    return render(
        request,
        "hs.html",
        {"q": q, "results": results, "sections": sections, "chapters": chapters},
        principal,
    )


@router.get("/hs/{code}", response_class=HTMLResponse)
def hs_code(
    request: Request, code: str, session: SessionDep, principal: OptionalPrincipalDep
) -> HTMLResponse:
    try:
        entry = reference.hs_entry(session, code[:10])
    except NotFound:
        return not_found_page(request)
    return render(request, "hs_code.html", {"entry": entry}, principal)
