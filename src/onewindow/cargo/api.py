"""HTTP routes of the cargo domain: calls, manifests, entry summaries, terminal events, the gate,
reconciliation and tracking."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from onewindow.cargo import service
from onewindow.cargo.models import EntrySummary, Manifest, TerminalEvent
from onewindow.cargo.schemas import (
    CallEventIn,
    CallIn,
    CallOut,
    ChangeOut,
    EntrySummaryError,
    EntrySummaryOut,
    GateAnswer,
    ManifestIn,
    ManifestOut,
    ManifestVersionOut,
    ReconciliationItem,
    ResolutionIn,
    TerminalEventIn,
    TerminalEventOut,
    Tracking,
)
from onewindow.declarations.schemas import Reason
from onewindow.deps import Id, PrincipalDep, SessionDep
from onewindow.formats import service as formats

router = APIRouter(prefix="/api/v1/cargo", tags=["cargo"])

XML_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
    }
}

LookupText = Annotated[str, Query(min_length=1, max_length=70)]


# Calls -----------------------------------------------------------------------------------------


@router.post("/calls", response_model=CallOut, status_code=201)
def register_call(body: CallIn, session: SessionDep, principal: PrincipalDep) -> CallOut:
    """Announce a vessel or flight call (a carrier its own; a port authority any carrier's)."""
    return CallOut.model_validate(service.register_call(session, principal, body))


@router.get("/calls", response_model=list[CallOut])
def list_calls(session: SessionDep, principal: PrincipalDep) -> list[CallOut]:
    """Calls, latest expected first."""
    return [CallOut.model_validate(c) for c in service.list_calls(session, principal)]


@router.get("/calls/{call_id}", response_model=CallOut)
def read_call(call_id: Id, session: SessionDep, principal: PrincipalDep) -> CallOut:
    return CallOut.model_validate(service.get_call(session, principal, call_id))


@router.post("/calls/{call_id}/arrival", response_model=CallOut)
def record_arrival(
    call_id: Id, body: CallEventIn, session: SessionDep, principal: PrincipalDep
) -> CallOut:
    """The arrival notice."""
    return CallOut.model_validate(service.record_arrival(session, principal, call_id, body.at))


@router.post("/calls/{call_id}/departure-clearance", response_model=CallOut)
def clear_departure(
    call_id: Id, body: Reason, session: SessionDep, principal: PrincipalDep
) -> CallOut:
    """The port authority clears the call to depart; 409 with every open matter otherwise."""
    return CallOut.model_validate(service.clear_departure(session, principal, call_id, body.reason))


@router.post("/calls/{call_id}/departure", response_model=CallOut)
def record_departure(
    call_id: Id, body: CallEventIn, session: SessionDep, principal: PrincipalDep
) -> CallOut:
    """The departure notice (after clearance)."""
    return CallOut.model_validate(service.record_departure(session, principal, call_id, body.at))


# Manifests -------------------------------------------------------------------------------------


def manifest_out(manifest: Manifest, warnings: list[str] | None = None) -> ManifestOut:
    return ManifestOut(
        id=manifest.id,
        reference=manifest.reference,
        version=manifest.version,
        status=manifest.status,
        mode=manifest.mode,
        call_id=manifest.call_id,
        late=manifest.late,
        deadline=manifest.deadline,
        lodged_at=manifest.lodged_at,
        documents=len(manifest.documents),
        warnings=warnings or [],
    )


@router.post(
    "/manifests",
    response_model=ManifestOut,
    status_code=201,
    responses={200: {"model": ManifestOut, "description": "lodged before, or amended"}},
)
def lodge_manifest(
    body: ManifestIn, response: Response, session: SessionDep, principal: PrincipalDep
) -> ManifestOut:
    """Lodge a manifest (function original), amend it (replace) or cancel it. The carrier's
    reference is the idempotency key: the same body again answers 200 with the first manifest."""
    manifest, changed, warnings = service.lodge_manifest(session, principal, body)
    if not (changed and body.function == "original"):
        response.status_code = 200
    return manifest_out(manifest, warnings)


@router.post(
    "/manifests/cuscar",
    response_model=ManifestOut,
    status_code=201,
    openapi_extra=formats.EDIFACT_BODY,
    responses={200: {"model": ManifestOut, "description": "lodged before, or amended"}},
)
async def lodge_cuscar(
    request: Request, response: Response, session: SessionDep, principal: PrincipalDep
) -> ManifestOut:
    """Lodge a manifest as a UN/EDIFACT CUSCAR cargo report (message function 9 original, 5
    replace, 1 cancel). A refused interchange is answered 422 naming each segment, or with a
    CONTRL report when the request accepts ``application/edifact``."""
    data = await request.body()  # bounded by the app's upload limit while it is read
    manifest, changed, warnings = service.lodge_cuscar(session, principal, data)
    if not (changed and manifest.version == 1 and manifest.status == "lodged"):
        response.status_code = 200
    return manifest_out(manifest, warnings)


@router.get("/manifests", response_model=list[ManifestOut])
def list_manifests(session: SessionDep, principal: PrincipalDep) -> list[ManifestOut]:
    return [manifest_out(m) for m in service.list_manifests(session, principal)]


@router.get("/manifests/{manifest_id}", response_model=ManifestIn)
def read_manifest(manifest_id: Id, session: SessionDep, principal: PrincipalDep) -> ManifestIn:
    """The manifest's current version, as lodged."""
    return ManifestIn.model_validate(service.get_manifest(session, principal, manifest_id).content)


@router.get("/manifests/{manifest_id}/versions", response_model=list[ManifestVersionOut])
def manifest_versions(
    manifest_id: Id, session: SessionDep, principal: PrincipalDep
) -> list[ManifestVersionOut]:
    """Every version with what changed from the one before."""
    manifest = service.get_manifest(session, principal, manifest_id)
    return [
        ManifestVersionOut(
            version=v.version,
            recorded_at=v.recorded_at,
            late=v.late,
            changes=[ChangeOut.model_validate(c) for c in v.changes],
        )
        for v in service.manifest_versions(session, manifest)
    ]


# Entry summaries -------------------------------------------------------------------------------


def entry_summary_out(row: EntrySummary) -> EntrySummaryOut:
    return EntrySummaryOut(
        id=row.id,
        lrn=row.lrn,
        number=row.number,
        accepted=row.accepted,
        errors=[EntrySummaryError.model_validate(e) for e in row.errors],
        decision=row.decision,
        reasons=[],
        lodged_at=row.lodged_at,
    )


def _entry_view(row: EntrySummary, customs: bool) -> EntrySummaryOut:
    out = entry_summary_out(row)
    return out.model_copy(update={"reasons": row.reasons}) if customs else out


@router.post(
    "/entry-summaries",
    response_model=EntrySummaryOut,
    status_code=201,
    openapi_extra=XML_BODY,
)
async def lodge_entry_summary(
    request: Request, session: SessionDep, principal: PrincipalDep
) -> EntrySummaryOut:
    """Lodge an entry summary declaration (ICS CC315A XML). Refused messages are answered 201 too,
    with ``accepted`` false and every error (code, text, XPath)."""
    data = await request.body()  # bounded by the app's upload limit while it is read
    row = service.lodge_entry_summary(session, principal, data)
    return _entry_view(row, service.is_customs(principal))


@router.get("/entry-summaries", response_model=list[EntrySummaryOut])
def list_entry_summaries(
    session: SessionDep,
    principal: PrincipalDep,
    open_only: Annotated[bool, Query(description="controls not yet resolved")] = False,
) -> list[EntrySummaryOut]:
    customs = service.is_customs(principal)
    return [
        _entry_view(r, customs)
        for r in service.list_entry_summaries(session, principal, open_only=open_only)
    ]


@router.get("/entry-summaries/{summary_id}", response_model=EntrySummaryOut)
def read_entry_summary(
    summary_id: Id, session: SessionDep, principal: PrincipalDep
) -> EntrySummaryOut:
    row = service.get_entry_summary(session, principal, summary_id)
    return _entry_view(row, service.is_customs(principal))


@router.post("/entry-summaries/{summary_id}/resolution", response_model=EntrySummaryOut)
def resolve_entry_summary(
    summary_id: Id, body: ResolutionIn, session: SessionDep, principal: PrincipalDep
) -> EntrySummaryOut:
    """Customs records how a control before arrival ended."""
    return _entry_view(service.resolve(session, principal, summary_id, body.resolution), True)


# Terminal events and the gate ------------------------------------------------------------------


def event_out(row: TerminalEvent, duplicate: bool = False) -> TerminalEventOut:
    return TerminalEventOut(
        id=row.id,
        kind=row.kind,
        subject=row.subject,
        subject_kind=row.subject_kind,
        occurred_at=row.occurred_at,
        duplicate=duplicate,
        out_of_order=row.out_of_order,
        unreleased=row.unreleased,
    )


@router.post(
    "/terminal-events",
    response_model=TerminalEventOut,
    status_code=201,
    responses={200: {"model": TerminalEventOut, "description": "reported before: not counted"}},
)
def report_event(
    body: TerminalEventIn, response: Response, session: SessionDep, principal: PrincipalDep
) -> TerminalEventOut:
    """Report discharge, gate-in, stripping, gate-out or loading of a container or consignment."""
    row, duplicate = service.report_event(session, principal, body)
    if duplicate:
        response.status_code = 200
    return event_out(row, duplicate)


@router.get("/terminal-events", response_model=list[TerminalEventOut])
def list_events(
    session: SessionDep,
    principal: PrincipalDep,
    subject: Annotated[str | None, Query(max_length=35)] = None,
) -> list[TerminalEventOut]:
    return [event_out(r) for r in service.list_events(session, principal, subject=subject)]


@router.get("/gate", response_model=GateAnswer)
def ask_gate(
    session: SessionDep,
    principal: PrincipalDep,
    container: Annotated[str | None, Query(max_length=11)] = None,
    document: Annotated[str | None, Query(max_length=35)] = None,
) -> GateAnswer:
    """May this container or consignment leave the terminal? Yes only for released cargo."""
    answer = service.ask_gate(session, principal, container=container, document=document)
    return GateAnswer(
        subject=answer.subject,
        may_leave=answer.may_leave,
        reasons=answer.reasons,
        declarations=answer.declarations,
    )


# Customs' control ------------------------------------------------------------------------------


@router.get("/reconciliation", response_model=dict[str, list[ReconciliationItem]])
def reconciliation(
    session: SessionDep,
    principal: PrincipalDep,
    kind: Annotated[str | None, Query(max_length=30)] = None,
) -> dict[str, list[ReconciliationItem]]:
    """Customs' work lists: manifested not declared, declared not manifested, discrepancies,
    discharged never gated out, gate-outs of unreleased cargo."""
    return service.reconciliation(session, principal, kind)


@router.get(
    "/tracking",
    response_model=Tracking,
    responses={404: {"description": "nothing the caller may see matches"}},
)
def tracking(session: SessionDep, principal: PrincipalDep, q: LookupText) -> Tracking:
    """Every event of a consignment, by transport document, container or declaration number."""
    return service.track(session, principal, q)
