"""Portal pages: home per role, login, the public HS nomenclature browser."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from onewindow import work
from onewindow.db import session_scope
from onewindow.deps import SESSION_COOKIE, OptionalPrincipalDep, SessionDep
from onewindow.errors import DomainError, NotFound
from onewindow.money import Money
from onewindow.parties import service as parties
from onewindow.permits import service as permits
from onewindow.portal.field_errors import plain, pointer_label
from onewindow.portal.roles import capabilities_for
from onewindow.reference import service as reference
from onewindow.security import ORGANISATION_ROLES, CsrfGuard, Principal
from onewindow.tariff import service as tariff
from onewindow.tariff.engine import MeasureType

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# A JSON pointer as a person reads it: "/consignments/0/weight" -> "Consignments 1, weight".
templates.env.filters["field_label"] = lambda pointer: pointer_label(str(pointer), {})


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


def login_redirect(path: str) -> RedirectResponse:
    """To the login page, coming back to ``path`` once logged in."""
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def page_action(
    request: Request,
    session: Session,
    csrf_token: str,
    action: Callable[[], object],
    done: str,
    back: str,
) -> Response:
    """Run a page action through its domain's door, then go ``back`` and say what happened:
    ``done``, or why it was refused (a refusal changes nothing)."""
    if not csrf_ok(request, csrf_token):
        return flash_redirect(request, back, "The form expired; please try again.")
    try:
        action()
    except DomainError as exc:
        return flash_redirect(request, back, refusal(session, exc))
    return flash_redirect(request, back, done)


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
    details = "; ".join(
        f"{pointer_label(e.pointer, {})}: {plain(e.detail)}" if e.pointer.strip("/") else e.detail
        for e in exc.errors
    )
    return plain(f"{exc.detail} {details}".strip())


def page_principal(request: Request) -> Principal | None:
    """Who is logged in, for pages answered outside a route (not found, a malformed address).

    The route's door already found out, if it ran; else (no route matched) nothing else holds
    the database in this request, and the session cookie is looked up here.
    """
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with session_scope() as session:
        return parties.principal_for_session(session, cookie)


def not_found_page(request: Request) -> HTMLResponse:
    """The page for an address that leads nowhere, with the navigation of whoever is logged in."""
    return render(request, "not_found.html", {}, page_principal(request), status_code=404)


def unreadable_form_page(request: Request, fields: list[str]) -> HTMLResponse:
    """A form that arrived without what it needs (a stale page, a hand-made request)."""
    return render(
        request,
        "unreadable_form.html",
        {"fields": fields, "back": request.headers.get("referer", "/")},
        page_principal(request),
        status_code=422,
    )


@router.get("/help", response_class=HTMLResponse)
@router.get("/contact", response_class=HTMLResponse)
@router.get("/accessibility", response_class=HTMLResponse)
@router.get("/privacy", response_class=HTMLResponse)
def info_page(request: Request, principal: OptionalPrincipalDep) -> HTMLResponse:
    """Help, contact, accessibility and privacy: the pages the footer links to, open to all."""
    page = request.url.path.strip("/")
    settings = request.app.state.settings
    context = {"desk_email": settings.service_desk_email, "desk_phone": settings.service_desk_phone}
    return render(request, f"{page}.html", context, principal)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, principal: OptionalPrincipalDep) -> HTMLResponse:
    """The public landing page, or the user's work: what waits for action now, with counts,
    then what else the organisation's roles can do here."""
    if principal is None:
        return render(request, "home.html", {}, principal)
    tasks = work.tasks_for(session, principal)
    capabilities = capabilities_for(principal.organisation_roles)
    return render(
        request,
        "home.html",
        {
            "to_do": [t for t in tasks if t.count],
            "quiet": [t for t in tasks if not t.count],
            "capabilities": capabilities,
        },
        principal,
    )


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
    """Search the HS nomenclature and the national tariff's declarable lines by code or words,
    or browse the nomenclature by section and chapter."""
    q = q.strip()[:100]
    results = reference.search_hs(session, q, limit=100) if q else []
    lines = tariff.search_lines(session, q, limit=50) if q else []
    sections = [] if q else reference.hs_sections(session)
    chapters = [] if q else reference.hs_chapters(session)
    return render(
        request,
        "hs.html",
        {
            "q": q,
            "results": results,
            "lines": lines,
            "sections": sections,
            "chapters": chapters,
        },
        principal,
    )


MEASURE_GROUPS = (
    ("Third-country duty", (MeasureType.CUSTOMS_DUTY,)),
    ("Preferences by origin", (MeasureType.PREFERENTIAL_DUTY,)),
    ("Trade remedies", (MeasureType.ANTI_DUMPING_DUTY,)),
    ("Excise", (MeasureType.EXCISE,)),
    ("VAT", (MeasureType.VAT,)),
)
"""How the browser groups a line's measures, in the order an assessment computes them."""


def _line_page(
    request: Request, session: Session, principal: Principal | None, code: str
) -> HTMLResponse:
    line = tariff.national_line(session, code)
    if line is None:
        return not_found_page(request)
    try:
        entry = reference.hs_entry(session, line.subheading)
    except NotFound:
        return not_found_page(request)
    today = date.today()
    measures = [m for m in tariff.measures_for(session, line.commodity_code) if m.in_force(today)]
    groups = [
        (title, [m for m in measures if m.measure_type in kinds]) for title, kinds in MEASURE_GROUPS
    ]
    countries = {c.alpha2: c.name for c in reference.list_countries(session)}
    return render(
        request,
        "hs_line.html",
        {
            "line": line,
            "entry": entry,
            "groups": groups,
            "countries": countries,
            "today": today,
            "needs": permits.requirements_for(session, line.commodity_code, None, "import"),
            "export_needs": permits.requirements_for(session, line.commodity_code, None, "export"),
        },
        principal,
    )


@router.get("/hs/{code}", response_class=HTMLResponse)
def hs_code(
    request: Request, code: str, session: SessionDep, principal: OptionalPrincipalDep
) -> HTMLResponse:
    """A chapter, heading or subheading; under a subheading, the national tariff's declarable
    lines; a declarable line (8 or 10 digits) with its rates, measures and permits."""
    code = code.replace(".", "").replace(" ", "")[:10]
    if len(code) > 6 and code.isdigit():
        return _line_page(request, session, principal, code)
    try:
        entry = reference.hs_entry(session, code)
    except NotFound:
        return not_found_page(request)
    lines = tariff.lines_under(session, entry.code) if entry.level == 6 else []
    return render(request, "hs_code.html", {"entry": entry, "lines": lines}, principal)
