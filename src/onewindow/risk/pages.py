"""Portal pages for customs risk management: profiles, inspections, watch list and other lists.

Only users of a customs office see them; anyone else gets the not-found page (or the login page).
Forms post back and redirect with a ``message``; a profile form with errors is shown again with
each error next to its field.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onewindow import work
from onewindow.db import utcnow
from onewindow.deps import Id, OptionalPrincipalDep, SessionDep
from onewindow.errors import DomainError, FieldError
from onewindow.permits import service as permits
from onewindow.portal.field_errors import plain, pointer_label
from onewindow.portal.pages import csrf_ok, flash_redirect, not_found_page, refusal, render
from onewindow.risk import service
from onewindow.risk.models import CHANNELS, FINDINGS
from onewindow.security import Principal
from onewindow.work import Task

router = APIRouter(prefix="/risk", include_in_schema=False)


@work.register
def inspections_work(session: Session, principal: Principal) -> list[Task]:
    """Inspections waiting for their result, for customs."""
    if not service.is_customs(principal) or "risk:read" not in principal.scopes:
        return []
    due = service.inspections_due(session)
    return [Task("Inspections due", due, "/risk/inspections", "record what was found")]


WINDOW_DAYS = 30
CONDITIONS_EXAMPLE = json.dumps(
    [
        {"field": "hs", "op": "prefix", "value": "6403"},
        {"field": "origin", "op": "in", "value": ["CN", "VN"]},
        {"field": "value_per_kg", "op": "lt", "value": 5},
    ]
)
PROFILE_FIELDS = ("code", "title", "reason", "channel", "valid_from", "valid_to", "conditions")


def customs_only(request: Request, principal: Principal | None) -> Response | None:
    """The login redirect or the not-found page for anyone but a customs officer; else None."""
    if principal is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if not service.is_customs(principal):
        return not_found_page(request)
    return None


def back_to(request: Request, path: str, message: str) -> RedirectResponse:
    """Go back to a page and show ``message`` there once."""
    return flash_redirect(request, path, message)


def _date(value: str, name: str, errors: dict[str, str]) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = "use a date like 2025-01-31"
        return None


def _since() -> datetime:
    return utcnow() - timedelta(days=WINDOW_DAYS)


# Overview ----------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, principal: OptionalPrincipalDep) -> Response:
    """Hit rates per channel and source, and how many rules are in force."""
    refused = customs_only(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    counts = {
        "profiles": len(service.list_profiles(session)),
        "watched": len(service.watch_list(session)),
        "lanes": len(service.fast_lanes(session)),
        "ipr": len(service.ipr_records(session, principal)),
        "queue": len(service.inspection_queue(session)),
    }
    return render(
        request,
        "risk_overview.html",
        {
            "rates": service.hit_rates(session, _since()),
            "counts": counts,
            "days": WINDOW_DAYS,
            "rate_labels": RATE_LABELS,
            "models": service.model_versions(session)[:10],
            "settings": {
                name: getattr(service.refresh_rates(session, force=True), name)
                for name in service.SETTABLE
            },
        },
        principal,
    )


RATE_LABELS = {
    "random_rate": "Random selection (share of all declarations)",
    "learning_rate": "Share of model selections chosen to learn",
    "target_red": "Target share sent red (physical inspection capacity)",
    "target_yellow": "Target share sent yellow (documentary check capacity)",
}


@router.post("/settings")
async def change_rates(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """Change the selectivity rates from the overview's form (percentages)."""
    refused = customs_only(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    if not csrf_ok(request, form.get("csrf_token", "")):
        return back_to(request, "/risk", "The form expired; please try again.")
    changes: dict[str, float] = {}
    for name in service.SETTABLE:
        text = form.get(name, "").strip().rstrip("%")
        if not text:
            continue
        try:
            changes[name] = float(text) / 100
        except ValueError:
            return back_to(request, "/risk", f"{RATE_LABELS[name]}: {text!r} is not a percentage.")
    try:
        service.configure_rates(session, principal, **changes)
    except DomainError as exc:
        return back_to(request, "/risk", refusal(session, exc))
    return back_to(request, "/risk", "Rates saved; every server applies them within 30 seconds.")


# Profiles ----------------------------------------------------------------------------------------


def _profiles_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    fields: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
    message: str = "",
    backtest: dict[str, Any] | None = None,
    editing: Any = None,
) -> HTMLResponse:
    return render(
        request,
        "risk_profiles.html",
        {
            "profiles": service.list_profiles(session, include_inactive=True),
            "fields": fields,
            "errors": errors,
            "message": message,
            "backtest": backtest,
            "editing": editing,
            "example": CONDITIONS_EXAMPLE,
            "days": WINDOW_DAYS,
            "ops": service.OPS,
        },
        principal,
        status_code=status_code,
    )


@router.get("/profiles", response_class=HTMLResponse)
def profiles(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep, edit: Id | None = None
) -> Response:
    """The profiles, and the form for a new one (or a new version of ``edit``, prefilled)."""
    refused = customs_only(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    fields: dict[str, str] = {"channel": "red"}
    editing = None
    if edit:
        try:
            editing = service.get_profile(session, edit)
        except DomainError:
            return not_found_page(request)
        fields = {
            "profile_id": str(editing.id),
            "code": editing.code,
            "title": editing.title,
            "reason": editing.reason,
            "channel": editing.channel,
            "valid_from": editing.valid_from.isoformat(),
            "valid_to": editing.valid_to.isoformat() if editing.valid_to else "",
            "conditions": json.dumps(editing.conditions, indent=2),
        }
    return _profiles_page(request, session, principal, fields, {}, editing=editing)


def _profile_errors(errors: list[FieldError]) -> dict[str, str]:
    """Service errors by form field; a condition's error keeps its pointer in the text."""
    found: dict[str, str] = {}
    for error in errors:
        name = error.pointer.strip("/").split("/")[0] or "form"
        detail = plain(error.detail)
        text = f"{pointer_label(error.pointer, {})}: {detail}" if name == "conditions" else detail
        found[name] = f"{found[name]}; {text}" if name in found else text
    return found


@router.post("/profiles", response_class=HTMLResponse)
async def save_profile(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """Save a profile (new, or a new version), or only try it on past declarations."""
    refused = customs_only(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    fields = {k: form.get(k, "") for k in (*PROFILE_FIELDS, "profile_id", "why")}
    editing = None
    if fields["profile_id"].isascii() and fields["profile_id"].isdigit():
        try:
            editing = service.get_profile(session, int(fields["profile_id"]))
        except DomainError:
            return not_found_page(request)
        fields["code"] = editing.code

    def again(errors: dict[str, str], status: int, message: str) -> HTMLResponse:
        return _profiles_page(
            request,
            session,
            principal,
            fields,
            errors,
            status_code=status,
            message=message,
            editing=editing,
        )

    if not csrf_ok(request, form.get("csrf_token", "")):
        return again({}, 403, "The form expired; please try again.")
    errors: dict[str, str] = {}
    conditions: Any = None
    try:
        conditions = json.loads(fields["conditions"] or "null")
    except json.JSONDecodeError as exc:
        errors["conditions"] = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    if "conditions" not in errors:
        errors.update(_profile_errors(service.check_conditions(conditions)))
    if form.get("action") == "backtest":
        if errors:
            return again(errors, 422, "Please correct the conditions to try them.")
        until = utcnow()
        outcome = service.backtest(session, conditions, until - timedelta(days=WINDOW_DAYS), until)
        return _profiles_page(
            request, session, principal, fields, {}, backtest=outcome, editing=editing
        )
    for name, label in (("code", "a code"), ("title", "a title"), ("reason", "a reason")):
        if not fields[name].strip():
            errors[name] = f"give {label}"
    if editing is not None and not fields["why"].strip():
        errors["why"] = "say why the profile changes"
    if fields["channel"] not in ("yellow", "red"):
        errors["channel"] = "use yellow or red"
    valid_from = _date(fields["valid_from"], "valid_from", errors)
    valid_to = _date(fields["valid_to"], "valid_to", errors)
    if errors:
        return again(errors, 422, "Please correct the fields marked; nothing was saved.")
    values: dict[str, Any] = {
        "title": fields["title"].strip(),
        "reason": fields["reason"].strip(),
        "conditions": conditions,
        "channel": fields["channel"],
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    try:
        if editing is not None:
            profile = service.new_profile_version(
                session, principal, editing.id, why=fields["why"].strip(), **values
            )
        else:
            profile = service.create_profile(
                session, principal, code=fields["code"].strip(), **values
            )
    except DomainError as exc:
        found = _profile_errors(exc.errors)
        if not exc.errors:
            found["code"] = exc.detail
        return again(found, exc.status_code, exc.detail)
    return back_to(request, "/risk/profiles", f"Saved {profile.code} version {profile.version}.")


@router.post("/profiles/{profile_id}/deactivate")
def deactivate(
    request: Request,
    profile_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    why: Annotated[str, Form(max_length=512)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Deactivate a profile: it asks for the reason and a ticked confirmation."""
    refused = customs_only(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    if not csrf_ok(request, csrf_token):
        return back_to(request, "/risk/profiles", "The form expired; please try again.")
    if not why.strip():
        return back_to(request, "/risk/profiles", "Say why the profile is deactivated.")
    if confirm != "yes":
        return back_to(
            request,
            "/risk/profiles",
            "Tick the box to confirm: a deactivation cannot be undone.",
        )
    try:
        profile = service.deactivate_profile(session, principal, profile_id, why=why.strip())
    except DomainError as exc:
        return back_to(request, "/risk/profiles", refusal(session, exc))
    return back_to(
        request, "/risk/profiles", f"Deactivated {profile.code} version {profile.version}."
    )


# Inspections -------------------------------------------------------------------------------------


@router.get("/inspections", response_class=HTMLResponse)
def inspections(request: Request, session: SessionDep, principal: OptionalPrincipalDep) -> Response:
    """Declarations waiting for an inspection result, and the results recorded lately, each with
    the agencies taking part and their findings. An agency's officer sees only the inspections
    it was asked into or asked to join (never risk reasons) and records its findings here."""
    if principal is not None and permits.is_agency(principal):
        try:
            taking_part = permits.agency_inspections(session, principal)
        except DomainError:
            return not_found_page(request)
        return render(
            request,
            "risk_inspections.html",
            {
                "agency_view": True,
                "inspections": taking_part,
                "finding_labels": permits.FINDING_LABELS,
                "role_labels": permits.ROLE_LABELS,
            },
            principal,
        )
    refused = customs_only(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    queue = service.inspection_queue(session)
    results = service.inspection_results(session, limit=50)
    ids = [d.declaration_id for d in queue] + [r.declaration_id for r in results]
    parts = permits.inspection_parts(session, principal, ids)
    others = {
        i: found
        for i, found in permits.inspection_parts(session, principal).items()
        if i not in parts
    }
    return render(
        request,
        "risk_inspections.html",
        {
            "agency_view": False,
            "queue": queue,
            "results": results,
            "findings": FINDINGS,
            "parts": parts,
            "others": others,
            "agencies": sorted(permits.agencies(session).values(), key=lambda a: a.name),
            "finding_labels": permits.FINDING_LABELS,
            "role_labels": permits.ROLE_LABELS,
        },
        principal,
    )


@router.get("/lists", response_class=HTMLResponse)
def lists(request: Request, session: SessionDep, principal: OptionalPrincipalDep) -> Response:
    refused = customs_only(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    return render(
        request,
        "risk_lists.html",
        {
            "watched": service.watch_list(session),
            "lanes": service.fast_lanes(session),
            "iprs": service.ipr_records(session, principal),
            "channels": [c for c in CHANNELS if c != "green"],
        },
        principal,
    )


def _words(value: str) -> list[str]:
    return [w.strip() for w in value.replace(";", ",").split(",") if w.strip()]


@router.post("/lists/{kind}")
def add_to_list(
    request: Request,
    kind: str,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    identifier: Annotated[str, Form(max_length=40)] = "",
    hs_prefix: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    channel: Annotated[str, Form(max_length=10)] = "yellow",
    valid_to: Annotated[str, Form(max_length=10)] = "",
    right_holder: Annotated[str, Form(max_length=12)] = "",
    trade_mark: Annotated[str, Form(max_length=200)] = "",
    hs_prefixes: Annotated[str, Form(max_length=500)] = "",
    keywords: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Add a watched party, a fast lane or an IPR record."""
    refused = customs_only(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    back = "/risk/lists"
    if kind not in ("watch", "lanes", "ipr"):
        return not_found_page(request)
    if not csrf_ok(request, csrf_token):
        return back_to(request, back, "The form expired; please try again.")
    errors: dict[str, str] = {}
    until = _date(valid_to, "valid_to", errors)
    if errors:
        return back_to(request, back, "Valid to: use a date like 2025-01-31.")
    try:
        if kind == "watch":
            if not identifier.strip() or not reason.strip():
                return back_to(request, back, "Watch list: give the identifier and the reason.")
            row = service.watch_party(
                session,
                principal,
                identifier=identifier,
                reason=reason.strip(),
                channel=channel,
                valid_to=until,
            )
            done = f"{row.identifier} is on the watch list."
        elif kind == "lanes":
            if not reason.strip():
                return back_to(request, back, "Fast lane: give the reason.")
            lane = service.open_fast_lane(
                session,
                principal,
                hs_prefix=hs_prefix.strip(),
                reason=reason.strip(),
                valid_to=until,
            )
            done = f"Fast lane for {lane.hs_prefix} opened."
        else:
            if (
                not (right_holder.strip().isascii() and right_holder.strip().isdigit())
                or not trade_mark.strip()
            ):
                return back_to(
                    request, back, "IPR record: give the right holder's number and the mark."
                )
            record = service.record_ipr(
                session,
                principal,
                right_holder_organisation_id=int(right_holder),
                trade_mark=trade_mark.strip(),
                hs_prefixes=_words(hs_prefixes),
                keywords=_words(keywords),
                valid_to=until,
            )
            done = f"IPR record for {record.trade_mark} kept."
    except DomainError as exc:
        return back_to(request, back, refusal(session, exc))
    return back_to(request, back, done)


@router.post("/lists/{kind}/{row_id}/remove")
def remove_from_list(
    request: Request,
    kind: str,
    row_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    why: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    refused = customs_only(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    back = "/risk/lists"
    removers = {
        "watch": service.unwatch_party,
        "lanes": service.close_fast_lane,
        "ipr": service.remove_ipr,
    }
    if kind not in removers:
        return not_found_page(request)
    if not csrf_ok(request, csrf_token):
        return back_to(request, back, "The form expired; please try again.")
    try:
        removers[kind](session, principal, row_id, why=why.strip() or "removed")
    except DomainError as exc:
        return back_to(request, back, refusal(session, exc))
    return back_to(request, back, "Removed.")
