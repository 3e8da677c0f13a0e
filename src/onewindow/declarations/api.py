"""HTTP routes of goods declarations: lodge, read, amend, cancel; customs holds and release."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from onewindow import clearance
from onewindow.declarations import service
from onewindow.declarations.lifecycle import Status
from onewindow.declarations.models import Declaration
from onewindow.declarations.schemas import (
    AmendmentIn,
    AssessmentOut,
    ChangeOut,
    DeclarationDetail,
    DeclarationIn,
    DeclarationOut,
    DryRunOut,
    ErrorOut,
    HoldIn,
    Reason,
    StatusChangeOut,
    VersionOut,
)
from onewindow.declarations.service import Action
from onewindow.deps import Id, PrincipalDep, SessionDep
from onewindow.errors import Conflict, NotFound
from onewindow.formats import service as formats
from onewindow.formats.wco import WcoRefusal
from onewindow.parties.service import require_scope
from onewindow.security import Principal

router = APIRouter(prefix="/api/v1/declarations", tags=["declarations"])


def _out(declaration: Declaration, principal: Principal) -> DeclarationOut:
    """The declaration as the principal may see it (customs' reasons stay with customs)."""
    out = DeclarationOut.model_validate(declaration)
    out.holds = service.hold_views(principal, declaration)
    return out


def _read(session: SessionDep, principal: Principal, declaration_id: int) -> Declaration:
    return service.authorize(session, principal, declaration_id, Action.READ)


@router.post(
    "",
    response_model=DeclarationOut,
    status_code=201,
    responses={200: {"model": DeclarationOut, "description": "lodged before: the same answer"}},
)
def lodge(
    body: DeclarationIn, response: Response, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Lodge a declaration. Answers 201 when created, 200 when the same reference and body were
    lodged before (idempotent retry), 409 when the reference was used for another body.
    A rejected declaration is recorded too: its ``errors`` say what to correct."""
    lodgement = clearance.lodge(session, principal, body)
    if not lodgement.created:
        response.status_code = 200
    return _out(lodgement.declaration, principal)


WCO_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/wco",
    response_model=DeclarationOut | DryRunOut,
    status_code=201,
    openapi_extra=WCO_BODY,
    responses={200: {"description": "a dry run, or the same file lodged before"}},
)
async def lodge_wco(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    dry_run: Annotated[bool, Query(description="check only: lodge nothing")] = False,
) -> DeclarationOut | DryRunOut:
    """Lodge a WCO Data Model 3.6 declaration (XML). The answer is JSON; the WCO response
    document is at ``/api/v1/declarations/{id}/response.xml``. A dry run checks the schema,
    the mapping, the code lists, the nomenclature and the business rules, and lodges nothing."""
    require_scope(principal, "declarations:write")
    data = await request.body()  # bounded by the app's upload limit while it is read
    try:
        body = formats.declaration_from_wco(data)
    except WcoRefusal as exc:
        raise Conflict(exc.reason) from None
    if dry_run:
        response.status_code = 200
        errors = service.check_declaration(session, body, date.today())
        return DryRunOut(
            ok=not errors,
            errors=[ErrorOut(pointer=e.pointer, code=e.code, detail=e.detail) for e in errors],
            declaration=body,
        )
    lodgement = clearance.lodge(session, principal, body)
    if not lodgement.created:
        response.status_code = 200
    return _out(lodgement.declaration, principal)


@router.get("", response_model=list[DeclarationOut])
def list_declarations(
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before_id: Annotated[Id | None, Query()] = None,
) -> list[DeclarationOut]:
    """Declarations you lodged or that name you as declarant, importer, exporter or
    representative, newest first (a customs office sees its whole queue)."""
    require_scope(principal, "declarations:read")
    rows = service.list_declarations(
        session,
        principal,
        status=status.value if status else None,
        limit=limit,
        before_id=before_id,
    )
    return [_out(d, principal) for d in rows]


@router.get("/{declaration_id}", response_model=DeclarationDetail)
def read(declaration_id: Id, session: SessionDep, principal: PrincipalDep) -> DeclarationDetail:
    declaration = _read(session, principal, declaration_id)
    return DeclarationDetail.model_validate(
        {**_out(declaration, principal).model_dump(), "content": declaration.content}
    )


@router.get(
    "/{declaration_id}/response.xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def wco_response(declaration_id: Id, session: SessionDep, principal: PrincipalDep) -> Response:
    """Where the declaration stands, as a WCO RES document (acceptance, rejection, assessment,
    release), valid against the WCO Data Model 3.6 schema."""
    declaration = _read(session, principal, declaration_id)
    assessment = service.latest_assessment(session, declaration)
    document = formats.wco_response(
        status=declaration.status,
        reference=declaration.declarant_reference,
        number=declaration.number,
        issued_at=declaration.updated_at,
        errors=declaration.errors,
        assessment_items=assessment.items if assessment else [],
        total=(assessment.total, assessment.currency) if assessment else None,
    )
    return Response(document, media_type="application/xml")


@router.get("/{declaration_id}/timeline", response_model=list[StatusChangeOut])
def timeline(
    declaration_id: Id, session: SessionDep, principal: PrincipalDep
) -> list[StatusChangeOut]:
    """Every step of the declaration with its time and reason."""
    declaration = _read(session, principal, declaration_id)
    steps = service.timeline_for(session, principal, declaration)
    return [StatusChangeOut.model_validate(c) for c in steps]


@router.get("/{declaration_id}/versions", response_model=list[VersionOut])
def versions(declaration_id: Id, session: SessionDep, principal: PrincipalDep) -> list[VersionOut]:
    declaration = _read(session, principal, declaration_id)
    return [VersionOut.model_validate(v) for v in service.versions(session, declaration)]


@router.get("/{declaration_id}/versions/{version}/changes", response_model=list[ChangeOut])
def changes(
    declaration_id: Id, version: Id, session: SessionDep, principal: PrincipalDep
) -> list[ChangeOut]:
    """What version ``version`` changed compared with the one before."""
    declaration = _read(session, principal, declaration_id)
    kept = {v.version: v for v in service.versions(session, declaration)}
    if version not in kept or version - 1 not in kept:
        raise NotFound(f"No amendment {version} of declaration {declaration_id}.")
    return [
        ChangeOut(pointer=p, before=b, after=a)
        for p, b, a in service.differences(kept[version - 1].content, kept[version].content)
    ]


@router.post("/{declaration_id}/amendments", response_model=DeclarationOut)
def amend(
    declaration_id: Id, body: AmendmentIn, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Amend before release and payment; the assessment is redone."""
    declaration = clearance.amend(
        session, principal, declaration_id, body.declaration, reason=body.reason
    )
    return _out(declaration, principal)


@router.post("/{declaration_id}/cancel", response_model=DeclarationOut)
def cancel(
    declaration_id: Id, body: Reason, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """The declarant (or the importer or exporter it names) withdraws the declaration."""
    return _out(clearance.cancel(session, principal, declaration_id, body.reason), principal)


@router.post("/{declaration_id}/invalidate", response_model=DeclarationOut)
def invalidate(
    declaration_id: Id, body: Reason, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Customs invalidates the declaration (goods never presented, for example)."""
    return _out(clearance.invalidate(session, principal, declaration_id, body.reason), principal)


@router.get("/{declaration_id}/assessment", response_model=AssessmentOut)
def assessment(declaration_id: Id, session: SessionDep, principal: PrincipalDep) -> AssessmentOut:
    """Duties and taxes, line by line: which measure, rate, base and amount."""
    declaration = _read(session, principal, declaration_id)
    row = service.latest_assessment(session, declaration)
    if row is None:
        raise NotFound(f"Declaration {declaration_id} is not assessed yet.")
    return AssessmentOut.model_validate(row)


@router.post("/{declaration_id}/holds", response_model=DeclarationOut, status_code=201)
def place_hold(
    declaration_id: Id, body: HoldIn, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Customs holds the goods (documentary check, inspection, ...), with the reason; a check or
    an inspection selects the declaration for control and joins the inspection queue."""
    declaration = clearance.place_hold(
        session, principal, declaration_id, kind=body.kind, reason=body.reason
    )
    return _out(declaration, principal)


@router.post("/{declaration_id}/holds/{hold_id}/lift", response_model=DeclarationOut)
def lift_hold(
    declaration_id: Id, hold_id: Id, body: Reason, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Customs lifts a hold with the reason. Payment, inspection and assessment holds are lifted
    by paying, by the inspection result and by the assessment, not by hand (409)."""
    declaration = clearance.lift_hold(
        session, principal, declaration_id, hold_id, reason=body.reason
    )
    return _out(declaration, principal)


@router.post("/{declaration_id}/release", response_model=DeclarationOut)
def release(
    declaration_id: Id, body: Reason, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Customs releases the goods: documentary-check and other holds are lifted with this reason.
    All or nothing: while a payment, an inspection result, a permit or an assessment is missing,
    nothing changes and the 409 says what is missing."""
    return _out(
        clearance.release(session, principal, declaration_id, reason=body.reason), principal
    )


@router.post("/{declaration_id}/assess", response_model=DeclarationOut)
def assess(declaration_id: Id, session: SessionDep, principal: PrincipalDep) -> DeclarationOut:
    """Customs assesses again a declaration that waited for it (after setting a missing exchange
    rate, say); 409 with the reason when the duties still cannot be computed."""
    if not clearance.assess_by_officer(session, principal, declaration_id):
        declaration = service.get(session, principal, declaration_id)
        held = [h.reason for h in service.open_holds(declaration) if h.kind == "assessment"]
        raise Conflict(f"Still not assessed: {'; '.join(held)}")
    return _out(service.get(session, principal, declaration_id), principal)
