"""Portal pages of the cargo domain: each cargo role's work on one page, the manifest, tracking.

Every action calls the same service functions as the API; a refused action changes nothing and
says why; what is done is said once on the next page (never in the address).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from onewindow import work
from onewindow.cargo import service
from onewindow.cargo.schemas import CallIn, ManifestIn, TerminalEventIn
from onewindow.config import get_settings
from onewindow.deps import Id, OptionalPrincipalDep, SessionDep
from onewindow.errors import DomainError, FieldError, InvalidInput, NotFound
from onewindow.formats import service as formats
from onewindow.parties import service as parties
from onewindow.portal.field_errors import described, plain
from onewindow.portal.pages import (
    csrf_ok,
    flash_redirect,
    login_redirect,
    not_found_page,
    refusal,
    render,
)
from onewindow.risk import service as risk
from onewindow.security import Principal, Role
from onewindow.work import Task

router = APIRouter(prefix="/cargo", include_in_schema=False)


@work.register
def cargo_work(session: Session, principal: Principal) -> list[Task]:
    """Cargo waiting for each role: calls to record, controls to act on, cargo to let out."""
    if "cargo:read" not in principal.scopes:
        return []
    tasks: list[Task] = []
    if principal.has_role(Role.CARRIER, Role.PORT_AUTHORITY):
        calls = service.list_calls(session, principal)
        expected = sum(c.status == "expected" for c in calls)
        if principal.has_role(Role.CARRIER):
            tasks.append(Task("Calls expected", expected, "/cargo", "lodge their manifests"))
        if principal.has_role(Role.PORT_AUTHORITY):
            arrived = sum(c.status == "arrived" for c in calls)
            tasks.append(Task("Arrivals to record", expected, "/cargo", "record each arrival"))
            tasks.append(
                Task("Calls to clear for departure", arrived, "/cargo", "clear them to depart")
            )
    if principal.has_role(Role.CARRIER, Role.CUSTOMS):
        controls = len(service.list_entry_summaries(session, principal, open_only=True))
        hint = "resolve them" if principal.has_role(Role.CUSTOMS) else "do what customs asks"
        tasks.append(Task("Controls before arrival", controls, "/cargo", hint))
    if principal.has_role(Role.TERMINAL_OPERATOR):
        held = service.at_terminal(session, principal)
        may_go = sum(gate.may_leave for _, gate in held)
        tasks.append(Task("Released cargo to let out", may_go, "/cargo", "gate it out"))
        tasks.append(
            Task("Cargo not yet released", len(held) - may_go, "/cargo", "the gate keeps it in")
        )
    if principal.has_role(Role.CUSTOMS) and "cargo:control" in principal.scopes:
        for kind, rows in service.reconciliation(session, principal, limit=200).items():
            title = service.RECONCILIATION[kind][0]
            tasks.append(Task(title, len(rows), f"/cargo#rec-{kind}", "reconcile"))
    return tasks


FormText = Annotated[str, Form(max_length=200)]
Csrf = Annotated[str, Form(max_length=200)]


def _work(session: Session, principal: Principal) -> dict[str, object]:
    """What each cargo role has to do now, for its page."""
    work: dict[str, object] = {}
    if principal.has_role(Role.CARRIER, Role.PORT_AUTHORITY, Role.CUSTOMS, Role.TERMINAL_OPERATOR):
        work["calls"] = service.list_calls(session, principal, limit=50)
    if principal.has_role(Role.CARRIER, Role.CUSTOMS):
        work["manifests"] = service.list_manifests(session, principal, limit=50)
        work["entry_summaries"] = service.list_entry_summaries(
            session, principal, open_only=principal.has_role(Role.CUSTOMS), limit=50
        )
    if principal.has_role(Role.TERMINAL_OPERATOR):
        work["events"] = service.list_events(session, principal, limit=50)
        work["at_terminal"] = service.at_terminal(session, principal)
    if principal.has_role(Role.CUSTOMS) and "cargo:control" in principal.scopes:
        work["reconciliation"] = service.reconciliation(session, principal, limit=50)
    if principal.has_role(Role.PORT_AUTHORITY):
        work["carriers"] = parties.organisations_with_role(session, Role.CARRIER)
    return work


LABELS = {
    "mode": "Mode",
    "transport_id": "IMO number or flight number",
    "transport_name": "Vessel name",
    "voyage": "Voyage",
    "port": "Port",
    "eta": "Expected arrival",
    "carrier": "Carrier",
    "kind": "What happened",
    "container": "Container",
    "document": "Transport document",
    "subject": "Container or transport document",
    "occurred_at": "When",
    "file": "File",
}
"""The labels of the cargo forms' fields, for their error sentences."""
PICKS = {"port": "locations"}


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    errors: list[FieldError] | None = None,
    problem: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "cargo.html",
        {
            "work": _work(session, principal),
            "call_labels": service.STATUS_LABELS,
            "event_labels": service.KIND_LABELS,
            "decision_labels": risk.DECISION_LABELS,
            "reconciliation_titles": {k: v[0] for k, v in service.RECONCILIATION.items()},
            "can_write": "cargo:write" in principal.scopes,
            "errors": described(errors or [], LABELS, picks=PICKS),
            "problem": plain(problem),
            "now": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"),
        },
        principal,
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
def cargo_home(request: Request, session: SessionDep, principal: OptionalPrincipalDep) -> Response:
    """The cargo work of the user's organisation: calls, manifests, events, controls."""
    if principal is None:
        return login_redirect("/cargo")
    if "cargo:read" not in principal.scopes:
        return not_found_page(request)
    return _page(request, session, principal)


def _act(
    request: Request,
    session: Session,
    principal: Principal,
    csrf_token: str,
    action: object,
    done: str,
    back: str = "/cargo",
) -> Response:
    """Run a page action through the service: done, or refused with nothing changed."""
    if not csrf_ok(request, csrf_token):
        return flash_redirect(request, back, "The form expired; please try again.")
    try:
        assert callable(action)
        action()
    except DomainError as exc:
        message = refusal(session, exc)
        if exc.errors and back == "/cargo":
            return _page(
                request, session, principal, errors=exc.errors, problem=exc.detail, status_code=422
            )
        return flash_redirect(request, back, message)
    return flash_redirect(request, back, done)


def _when(value: str, pointer: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            "A time is not valid.", [FieldError(pointer, "choose a date and a time")]
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _invalid(exc: ValidationError, prefix: str = "") -> InvalidInput:
    errors = [
        FieldError(prefix + "/" + "/".join(str(p) for p in e["loc"]), e["msg"], e["type"])
        for e in exc.errors()
    ]
    return InvalidInput("The form is not complete.", errors)


@router.post("/calls")
def register_call(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    mode: FormText = "",
    transport_id: FormText = "",
    transport_name: FormText = "",
    voyage: FormText = "",
    port: FormText = "",
    eta: FormText = "",
    carrier: FormText = "",
    csrf_token: Csrf = "",
) -> Response:
    """Announce a call (a carrier its own; the port authority names the carrier)."""
    if principal is None:
        return login_redirect("/cargo")

    def action() -> None:
        try:
            body = CallIn(
                mode=mode,  # type: ignore[arg-type]
                transport_id=transport_id.strip(),
                transport_name=transport_name.strip() or None,
                voyage=voyage.strip(),
                port=port.strip().upper(),
                eta=_when(eta, "/eta"),
                carrier=carrier.strip() or None,
            )
        except ValidationError as exc:
            raise _invalid(exc) from None
        service.register_call(session, principal, body)

    return _act(request, session, principal, csrf_token, action, "The call is registered.")


@router.get("/calls/{call_id}", response_class=HTMLResponse)
def call_page(
    request: Request, call_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """A call: where it stands, its manifests, what stops its departure, and the next step."""
    if principal is None:
        return login_redirect(f"/cargo/calls/{call_id}")
    try:
        call = service.get_call(session, principal, call_id)
    except DomainError:
        return not_found_page(request)
    manifests = [
        m for m in service.list_manifests(session, principal, limit=500) if m.call_id == call.id
    ] if principal.has_role(Role.CARRIER, Role.CUSTOMS) else []  # fmt: skip
    return render(
        request,
        "cargo_call.html",
        {
            "call": call,
            "call_labels": service.STATUS_LABELS,
            "matters": service.open_matters(session, call) if call.status == "arrived" else [],
            "manifests": manifests,
            "can_write": "cargo:write" in principal.scopes,
        },
        principal,
    )


@router.post("/calls/{call_id}/{step}")
def call_step(
    request: Request,
    call_id: Id,
    step: str,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    reason: Annotated[str, Form(max_length=512)] = "",
    confirm: FormText = "",
    csrf_token: Csrf = "",
) -> Response:
    """Arrival, departure clearance (asks for a reason and a confirmation) and departure."""
    if principal is None:
        return login_redirect("/cargo")
    steps = {
        "arrival": (lambda: service.record_arrival(session, principal, call_id), "Arrival noted."),
        "departure": (
            lambda: service.record_departure(session, principal, call_id),
            "Departure noted.",
        ),
        "clearance": (
            lambda: _clear(session, principal, call_id, reason, confirm),
            "The call is cleared to depart.",
        ),
    }
    if step not in steps:
        return not_found_page(request)
    action, done = steps[step]
    return _act(request, session, principal, csrf_token, action, done, f"/cargo/calls/{call_id}")


def _clear(session: Session, principal: Principal, call_id: int, reason: str, confirm: str) -> None:
    errors = []
    if not reason.strip():
        errors.append(FieldError("/reason", "say why the call may depart"))
    if confirm != "yes":
        errors.append(FieldError("/confirm", "tick the box: a clearance cannot be undone"))
    if errors:
        raise InvalidInput("The clearance needs a reason and a confirmation.", errors)
    service.clear_departure(session, principal, call_id, reason.strip())


@router.post("/upload")
async def upload(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    kind: Annotated[str, Form(max_length=20)] = "",
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Csrf = "",
) -> Response:
    """A carrier uploads a manifest (JSON or UN/EDIFACT CUSCAR) or an entry summary (CC315A)."""
    if principal is None:
        return login_redirect("/cargo")
    data = await file.read(get_settings().max_upload_bytes + 1) if file else b""
    name = file.filename if file else ""

    def action() -> None:
        if not data:
            raise InvalidInput("Choose a file.", [FieldError("/file", "no file was chosen")])
        if kind == "entry-summary":
            row = service.lodge_entry_summary(session, principal, data)
            if not row.accepted:
                session.commit()  # the refusal is kept so the carrier can see its errors
                raise InvalidInput(
                    f"{name}: the entry summary was refused.",
                    [FieldError(e["location"], f"{e['code']}: {e['text']}") for e in row.errors],
                )
            return
        if formats.is_edifact(data):
            service.lodge_cuscar(session, principal, data)
        else:
            service.lodge_manifest(session, principal, _manifest(data), received_as="json")

    done = f"{name}: received." if kind != "entry-summary" else f"{name}: entry summary accepted."
    return _act(request, session, principal, csrf_token, action, done)


def _manifest(data: bytes) -> ManifestIn:
    """A manifest from an uploaded JSON file."""
    try:
        return ManifestIn.model_validate(json.loads(data))
    except (ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, ValidationError):
            raise _invalid(exc) from None
        raise InvalidInput(
            "The file is not a JSON manifest.", [FieldError("/file", "is not valid JSON")]
        ) from None


def _container_or_document(text: str) -> tuple[str | None, str | None]:
    """What a person typed in one box: a container number (four letters, seven digits), or a
    transport document's number."""
    digits = text[4:]
    if len(text) == 11 and text[:4].isalpha() and digits.isascii() and digits.isdigit():
        return text, None
    return None, text or None


@router.post("/events")
def report_event(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    kind: FormText = "",
    subject: FormText = "",
    occurred_at: FormText = "",
    csrf_token: Csrf = "",
) -> Response:
    """A terminal reports what happened to a container (or a consignment by its document)."""
    if principal is None:
        return login_redirect("/cargo")
    text = subject.strip().upper()
    message: list[str] = []

    def action() -> None:
        container, document = _container_or_document(text)
        try:
            body = TerminalEventIn(
                kind=kind,  # type: ignore[arg-type]
                container=container,
                document=document,
                occurred_at=_when(occurred_at, "/occurred_at"),
            )
        except ValidationError as exc:
            raise _invalid(exc) from None
        row, duplicate = service.report_event(session, principal, body)
        label = service.KIND_LABELS[row.kind]
        message.append(
            f"{row.subject}: {label.lower()} was already reported; not counted twice."
            if duplicate
            else f"{row.subject}: {label.lower()} recorded."
            + (f" Flagged: {row.out_of_order}." if row.out_of_order else "")
            + (f" Customs was alerted: {row.unreleased}." if row.unreleased else "")
        )

    response = _act(request, session, principal, csrf_token, action, "")
    if message and isinstance(response, RedirectResponse):
        return flash_redirect(request, "/cargo", message[0])
    return response


@router.get("/gate", response_class=HTMLResponse)
def gate(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    subject: str = "",
) -> Response:
    """The gate's question: may this container or consignment leave?"""
    if principal is None:
        return login_redirect("/cargo")
    container, document = _container_or_document(subject.strip().upper()[:35])
    try:
        answer = service.ask_gate(session, principal, container=container, document=document)
    except DomainError as exc:
        if isinstance(exc, InvalidInput) and exc.errors:
            return _page(request, session, principal, errors=exc.errors, problem=exc.detail)
        if isinstance(exc, NotFound):
            return not_found_page(request)
        return flash_redirect(request, "/cargo", refusal(session, exc))
    return render(request, "cargo_gate.html", {"answer": answer}, principal)


@router.post("/entry-summaries/{summary_id}/resolve")
def resolve(
    request: Request,
    summary_id: Id,
    session: SessionDep,
    principal: OptionalPrincipalDep,
    resolution: Annotated[str, Form(max_length=512)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Customs records how a control before arrival ended."""
    if principal is None:
        return login_redirect("/cargo")
    return _act(
        request,
        session,
        principal,
        csrf_token,
        lambda: service.resolve(session, principal, summary_id, resolution),
        "The control is resolved.",
    )


@router.get("/manifests/{manifest_id}", response_class=HTMLResponse)
def manifest_page(
    request: Request, manifest_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """A manifest: its documents, containers and every version with what changed."""
    if principal is None:
        return login_redirect(f"/cargo/manifests/{manifest_id}")
    try:
        manifest = service.get_manifest(session, principal, manifest_id)
    except DomainError:
        return not_found_page(request)
    return render(
        request,
        "cargo_manifest.html",
        {
            "manifest": manifest,
            "totals": service.content_summary(manifest.content),
            "versions": service.manifest_versions(session, manifest),
        },
        principal,
    )


@router.get("/track", response_class=HTMLResponse)
def track(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep, q: str = ""
) -> Response:
    """The full flow of a consignment, by transport document, container or declaration number."""
    if principal is None:
        return login_redirect("/cargo/track")
    tracking, problem = None, ""
    if q.strip():
        try:
            tracking = service.track(session, principal, q[:70])
        except DomainError as exc:
            problem = exc.detail
    return render(
        request,
        "cargo_track.html",
        {"q": q[:70], "tracking": tracking, "problem": problem},
        principal,
    )
