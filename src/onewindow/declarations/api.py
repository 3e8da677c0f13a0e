"""HTTP routes of goods declarations: lodge, read, amend, cancel; customs holds and release."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from onewindow.declarations import service
from onewindow.declarations.lifecycle import Status
from onewindow.declarations.models import Declaration
from onewindow.declarations.schemas import (
    AssessmentOut,
    ChangeOut,
    DeclarationDetail,
    DeclarationOut,
    StatusChangeOut,
    VersionOut,
)
from onewindow.declarations.service import Action
from onewindow.deps import Id, PrincipalDep, SessionDep
from onewindow.errors import NotFound
from onewindow.formats import service as formats
from onewindow.parties.service import require_scope
from onewindow.security import Principal

router = APIRouter(prefix="/api/v1/declarations", tags=["declarations"])


def _read(session: SessionDep, principal: Principal, declaration_id: int) -> Declaration:
    return service.authorize(session, principal, declaration_id, Action.READ)


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
    return [service.seen_by(d, principal) for d in rows]


@router.get("/{declaration_id}", response_model=DeclarationDetail)
def read(declaration_id: Id, session: SessionDep, principal: PrincipalDep) -> DeclarationDetail:
    declaration = _read(session, principal, declaration_id)
    return DeclarationDetail.model_validate(
        {**service.seen_by(declaration, principal).model_dump(), "content": declaration.content}
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


@router.get(
    "/{declaration_id}/response.edi",
    response_class=Response,
    responses={200: {"content": {"application/edifact": {}}}},
)
def cusres_response(declaration_id: Id, session: SessionDep, principal: PrincipalDep) -> Response:
    """Where the declaration stands, as a UN/EDIFACT CUSRES interchange (accepted, rejected with
    each error, under control, released; the duties assessed)."""
    declaration = _read(session, principal, declaration_id)
    assessment = service.latest_assessment(session, declaration)
    document = formats.cusres_response(
        status=declaration.status,
        reference=declaration.declarant_reference,
        number=declaration.number,
        issued_at=declaration.updated_at,
        recipient=principal.organisation_name,
        errors=declaration.errors,
        total=(assessment.total, assessment.currency) if assessment else None,
    )
    return Response(document, media_type=formats.EDIFACT)


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


@router.get("/{declaration_id}/assessment", response_model=AssessmentOut)
def assessment(declaration_id: Id, session: SessionDep, principal: PrincipalDep) -> AssessmentOut:
    """Duties and taxes, line by line: which measure, rate, base and amount."""
    declaration = _read(session, principal, declaration_id)
    row = service.latest_assessment(session, declaration)
    if row is None:
        raise NotFound(f"Declaration {declaration_id} is not assessed yet.")
    return AssessmentOut.model_validate(row)
