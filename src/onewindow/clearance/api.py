"""HTTP routes that drive a declaration across domains: lodge, amend, cancel, holds, release,
inspection results. Reads stay with the domains; these call the flow (``clearance.service``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from onewindow.clearance import service as clearance
from onewindow.declarations import service
from onewindow.declarations.schemas import (
    AmendmentIn,
    AssessByHandIn,
    DeclarationIn,
    DeclarationOut,
    DryRunOut,
    ErrorOut,
    HoldIn,
    Reason,
    WarningOut,
)
from onewindow.declarations.validation import kind_of
from onewindow.deps import Id, PrincipalDep, SessionDep
from onewindow.errors import Conflict
from onewindow.formats import service as formats
from onewindow.formats import wco
from onewindow.formats.wco import WcoRefusal
from onewindow.parties.service import require_scope
from onewindow.permits.schemas import DeclaredApplicationIn
from onewindow.risk import service as risk
from onewindow.risk.schemas import InspectionIn, InspectionOut
from onewindow.security import Principal

router = APIRouter(prefix="/api/v1/declarations", tags=["declarations"])


class DeclarationSubmission(DeclarationIn):
    """A declaration, and the permit applications lodged with it for its goods items."""

    permit_applications: list[DeclaredApplicationIn] = Field(
        default=[],
        max_length=50,
        description="applications to the agencies for permits the goods need; the fields the "
        "declaration gives (commodity code, origin, quantity ...) are taken from it",
    )


risk_router = APIRouter(prefix="/api/v1/risk", tags=["risk"])


def _officer(principal: Principal, scope: str) -> None:
    require_scope(principal, scope)
    risk.require_customs(principal)


@router.post(
    "",
    response_model=DeclarationOut,
    status_code=201,
    responses={200: {"model": DeclarationOut, "description": "lodged before: the same answer"}},
)
def lodge(
    body: DeclarationSubmission, response: Response, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Lodge a declaration. Answers 201 when created, 200 when the same reference and body were
    lodged before (idempotent retry), 409 when the reference was used for another body.
    A rejected declaration is recorded too: its ``errors`` say what to correct.

    ``permit_applications`` are lodged with it to the agencies, in the same transaction and only
    if every one is complete (422 naming the field otherwise, and nothing is lodged); the goods
    are released once the permits are granted. A retry lodges them once."""
    declared = DeclarationIn.model_construct(
        body.model_fields_set - {"permit_applications"},
        **{name: getattr(body, name) for name in DeclarationIn.model_fields},
    )
    lodgement = clearance.lodge(
        session, principal, declared, permit_applications=body.permit_applications
    )
    if not lodgement.created:
        response.status_code = 200
    return service.seen_by(lodgement.declaration, principal)


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
    document is at ``/api/v1/declarations/{id}/response.xml``. An amendment (type COR) or a
    cancellation (type INV) of a lodged declaration applies to the declaration it names, by the
    lifecycle's rules (409 with the reason for an unknown or released one). Warnings of the
    national rule set come back beside the acceptance. A dry run checks the schema, the
    mapping, the code lists, the nomenclature and the business rules, and lodges nothing."""
    require_scope(principal, "declarations:write")
    data = await request.body()  # bounded by the app's upload limit while it is read
    try:
        message = formats.message_from_wco(data, recover=dry_run)
    except WcoRefusal as exc:
        raise Conflict(exc.reason) from None
    if isinstance(message, wco.WcoRequest):
        if dry_run:
            response.status_code = 200
            found = service.by_number(session, message.declaration_number or "")
            known = found is not None and service.may_see(session, principal, found)
            return DryRunOut(
                ok=bool(message.declaration_number) and known,
                errors=[]
                if known
                else [
                    ErrorOut(
                        pointer="/ID",
                        code="request",
                        detail=f"no declaration {message.declaration_number} is known here",
                    )
                ],
                kind=message.kind,
            )
        declaration = clearance.apply_request(
            session,
            principal,
            message.kind,
            message.declaration_number,
            patch=message.patch,
            reason=message.reason,
        )
        response.status_code = 200
        return service.seen_by(declaration, principal)
    body = message.body
    if dry_run:
        response.status_code = 200
        outcome = service.check_outcome(session, body, date.today(), dry_run=True)
        recovered = [
            WarningOut(pointer="/xml", rule="document-recovered", text=text)
            for text in message.repairs
        ]
        return DryRunOut(
            ok=not outcome.errors,
            errors=[
                ErrorOut(pointer=e.pointer, code=e.rule or e.code, detail=e.detail)
                for e in outcome.errors
            ],
            warnings=recovered
            + [
                WarningOut(pointer=w.pointer, rule=w.rule, text=w.text, source=w.source)
                for w in outcome.warnings
            ],
            kind=kind_of(body, service.rule_set()),
            declaration=body,
        )
    lodgement = clearance.lodge(session, principal, body)
    if not lodgement.created:
        response.status_code = 200
    return service.seen_by(lodgement.declaration, principal)


@router.post(
    "/cusdec",
    response_model=DeclarationOut,
    status_code=201,
    openapi_extra=formats.EDIFACT_BODY,
    responses={200: {"description": "the same interchange lodged before"}},
)
async def lodge_cusdec(
    request: Request, response: Response, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Lodge a UN/EDIFACT CUSDEC declaration: mapped into the same model and through the same
    rules as every lodging. A refused interchange is answered 422 naming each segment, or with a
    CONTRL report when the request accepts ``application/edifact``. Where the declaration stands
    is at ``/api/v1/declarations/{id}/response.edi`` (CUSRES)."""
    require_scope(principal, "declarations:write")
    data = await request.body()  # bounded by the app's upload limit while it is read
    lodgement = clearance.lodge(session, principal, formats.declaration_from_cusdec(data))
    if not lodgement.created:
        response.status_code = 200
    return service.seen_by(lodgement.declaration, principal)


@router.post("/{declaration_id}/amendments", response_model=DeclarationOut)
def amend(
    declaration_id: Id, body: AmendmentIn, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Amend before release and payment; the assessment is redone."""
    declaration = clearance.amend(
        session, principal, declaration_id, body.declaration, reason=body.reason
    )
    return service.seen_by(declaration, principal)


@router.post("/{declaration_id}/cancel", response_model=DeclarationOut)
def cancel(
    declaration_id: Id, body: Reason, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """The declarant (or the importer or exporter it names) withdraws the declaration."""
    declaration = clearance.cancel(session, principal, declaration_id, body.reason)
    return service.seen_by(declaration, principal)


@router.post("/{declaration_id}/invalidate", response_model=DeclarationOut)
def invalidate(
    declaration_id: Id, body: Reason, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Customs invalidates the declaration (goods never presented, for example)."""
    declaration = clearance.invalidate(session, principal, declaration_id, body.reason)
    return service.seen_by(declaration, principal)


@router.post("/{declaration_id}/holds", response_model=DeclarationOut, status_code=201)
def place_hold(
    declaration_id: Id, body: HoldIn, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Customs holds the goods (documentary check, inspection, ...), with the reason; a check or
    an inspection selects the declaration for control and joins the inspection queue."""
    declaration = clearance.place_hold(
        session, principal, declaration_id, kind=body.kind, reason=body.reason
    )
    return service.seen_by(declaration, principal)


@router.post("/{declaration_id}/holds/{hold_id}/lift", response_model=DeclarationOut)
def lift_hold(
    declaration_id: Id, hold_id: Id, body: Reason, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Customs lifts a hold with the reason. Payment, inspection and assessment holds are lifted
    by paying, by the inspection result and by the assessment, not by hand (409)."""
    declaration = clearance.lift_hold(
        session, principal, declaration_id, hold_id, reason=body.reason
    )
    return service.seen_by(declaration, principal)


@router.post("/{declaration_id}/release", response_model=DeclarationOut)
def release(
    declaration_id: Id, body: Reason, session: SessionDep, principal: PrincipalDep
) -> DeclarationOut:
    """Customs releases the goods: documentary-check and other holds are lifted with this reason.
    All or nothing: while a payment, an inspection result, a permit or an assessment is missing,
    nothing changes and the 409 says what is missing."""
    return service.seen_by(
        clearance.release(session, principal, declaration_id, reason=body.reason), principal
    )


@router.post("/{declaration_id}/assess", response_model=DeclarationOut)
def assess(
    declaration_id: Id,
    session: SessionDep,
    principal: PrincipalDep,
    body: AssessByHandIn | None = None,
) -> DeclarationOut:
    """Customs assesses again a declaration that waited for it (after setting a missing exchange
    rate, say), or by hand with the rates it gives for this declaration and a reason (audited);
    409 with the reason when the duties still cannot be computed."""
    given = body or AssessByHandIn()
    if not clearance.assess_by_officer(
        session, principal, declaration_id, rates=given.rates, reason=given.reason
    ):
        declaration = service.get(session, principal, declaration_id)
        held = [h.reason for h in service.open_holds(declaration) if h.kind == "assessment"]
        raise Conflict(f"Still not assessed: {'; '.join(held)}")
    return service.seen_by(service.get(session, principal, declaration_id), principal)


@risk_router.post("/inspections", response_model=InspectionOut, status_code=201)
def record_inspection(
    body: InspectionIn, session: SessionDep, principal: PrincipalDep
) -> InspectionOut:
    """What the officer found: it lifts the control holds (seized goods stay held), and it is
    the label the next model learns from."""
    _officer(principal, "risk:write")
    fields = body.model_dump(exclude={"declaration_id"})
    row = clearance.record_inspection(session, principal, body.declaration_id, **fields)
    return InspectionOut.model_validate(row)
