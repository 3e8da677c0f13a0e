"""HTTP routes of the permits domain: procedures and requirements (public), applications and the
agency's queue, permits, company documents, joint inspection, certificate verification."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, StringConstraints

from onewindow.deps import Id, PrincipalDep, SessionDep
from onewindow.errors import NotFound
from onewindow.permits import service
from onewindow.permits.schemas import (
    AnswerIn,
    ApplicationIn,
    ApplicationOut,
    CompanyDocumentIn,
    CompanyDocumentOut,
    CorrectionIn,
    DecisionIn,
    FindingIn,
    FindingOut,
    GeneratedOut,
    JoinIn,
    NeedOut,
    PermitOut,
    ProcedureOut,
    QuestionIn,
    RequirementAnswer,
    StepIn,
    TurnaroundOut,
    VerificationOut,
)

router = APIRouter(prefix="/api/v1/permits", tags=["permits"])

HsQuery = Annotated[str, Query(pattern=r"^\d{4,10}$")]
CountryQuery = Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")]
StepId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,40}$")]


class VerificationAnswer(BaseModel):
    found: bool
    certificate: VerificationOut | None = None


class VerifyIn(BaseModel):
    accepted: bool
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


# Public ----------------------------------------------------------------------------------------


@router.get("/requirements", response_model=RequirementAnswer)
def requirements(
    session: SessionDep,
    hs: HsQuery,
    country: CountryQuery = None,
    flow: Literal["import", "export", "transit"] = "import",
) -> RequirementAnswer:
    """What goods of this HS code from (or to) this country need: agencies, documents, fees,
    typical times (open to everybody)."""
    needs = service.requirements_for(session, hs, country, flow)
    return RequirementAnswer(hs=hs, country=country, flow=flow, needs=needs)


@router.get("/procedures", response_model=list[ProcedureOut])
def procedures(session: SessionDep) -> list[ProcedureOut]:
    """Every agency's current procedures, as data (open to everybody)."""
    names = {a.id: a.name for a in service.agencies(session).values()}
    return [
        ProcedureOut(
            code=p.code,
            version=p.version,
            name=p.name,
            agency=names.get(p.agency_id, ""),
            outcome=p.outcome,
            document_type=p.document_type,
            definition=p.definition,
        )
        for p in service.current_procedures(session)
    ]


@router.get("/verification", response_model=VerificationAnswer)
def verification(
    session: SessionDep, code: Annotated[str, Query(min_length=1, max_length=40)]
) -> VerificationAnswer:
    """Check a certificate or permit by the verification code printed on it (open to
    everybody)."""
    try:
        return VerificationAnswer(found=True, certificate=service.verify_certificate(session, code))
    except NotFound:
        return VerificationAnswer(found=False)


# Administration --------------------------------------------------------------------------------


@router.put("/procedures", response_model=ProcedureOut)
def put_procedure(
    session: SessionDep,
    principal: PrincipalDep,
    body: Annotated[
        dict[str, Any],
        Body(description="a procedure, as in permits/data/*.json", max_length=40),
    ],
) -> ProcedureOut:
    """Add a procedure or a new version of one (with its agency and requirement rules); a
    version already loaded with the same content changes nothing (administrators)."""
    service.require(principal, "permits:admin")
    procedure, _ = service.load_procedure(session, body, principal.actor)
    return ProcedureOut(
        code=procedure.code,
        version=procedure.version,
        name=procedure.name,
        agency=service.agencies(session)[procedure.agency_id].name,
        outcome=procedure.outcome,
        document_type=procedure.document_type,
        definition=procedure.definition,
    )


# Applications ----------------------------------------------------------------------------------


@router.post("/applications", response_model=ApplicationOut, status_code=201)
def lodge(body: ApplicationIn, session: SessionDep, principal: PrincipalDep) -> ApplicationOut:
    """Apply to an agency; the fields the procedure takes from a named declaration item are
    filled from it."""
    return service.view(session, service.lodge(session, principal, body))


@router.get("/applications", response_model=list[ApplicationOut])
def list_applications(
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[str | None, Query(max_length=30)] = None,
) -> list[ApplicationOut]:
    """An agency's queue, oldest first; an applicant's own applications, newest first."""
    return [
        service.view(session, a)
        for a in service.list_applications(session, principal, status=status)
    ]


@router.get("/applications/{application_id}", response_model=ApplicationOut)
def get_application(
    application_id: Id, session: SessionDep, principal: PrincipalDep
) -> ApplicationOut:
    """Where the application stands: steps and how long each took, the thread, the permit."""
    return service.view(session, service.get(session, principal, application_id))


@router.post("/applications/{application_id}/steps/{step}", response_model=ApplicationOut)
def complete_step(
    application_id: Id, step: StepId, body: StepIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationOut:
    """Finish an open step (named as in the procedure): the agency's review, test or
    inspection; a fee, paid."""
    return service.view(
        session, service.complete_step(session, principal, application_id, step, body)
    )


@router.post("/applications/{application_id}/questions", response_model=ApplicationOut)
def ask(
    application_id: Id, body: QuestionIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationOut:
    """The agency asks the applicant for information."""
    return service.view(session, service.ask(session, principal, application_id, body.text))


@router.post("/applications/{application_id}/answers", response_model=ApplicationOut)
def answer(
    application_id: Id, body: AnswerIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationOut:
    """The applicant answers in the same thread."""
    return service.view(session, service.answer(session, principal, application_id, body))


@router.post("/applications/{application_id}/decision", response_model=ApplicationOut)
def decide(
    application_id: Id, body: DecisionIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationOut:
    """The agency approves (issuing the permit) or refuses, with a reason: final."""
    return service.view(session, service.decide(session, principal, application_id, body))


@router.get("/turnaround", response_model=list[TurnaroundOut])
def turnaround(session: SessionDep, principal: PrincipalDep) -> list[TurnaroundOut]:
    """The agency's turnaround per procedure: median and 90th percentile, in hours."""
    return service.turnaround(session, principal)


# Declarations ----------------------------------------------------------------------------------


@router.get("/declarations/{declaration_id}/needs", response_model=list[NeedOut])
def needs(declaration_id: Id, session: SessionDep, principal: PrincipalDep) -> list[NeedOut]:
    """What each goods item of the declaration needs, with the forms pre-filled from it."""
    service.require(principal, "permits:read")
    return service.needs_of(session, principal, declaration_id)


@router.post("/declarations/{declaration_id}/applications", response_model=GeneratedOut)
def generate(declaration_id: Id, session: SessionDep, principal: PrincipalDep) -> GeneratedOut:
    """Lodge from the declaration an application for every permit its goods need and lack."""
    lodged, refused = service.generate(session, principal, declaration_id)
    return GeneratedOut(applications=[service.view(session, a) for a in lodged], not_lodged=refused)


@router.post("/declarations/{declaration_id}/inspection", response_model=FindingOut)
def join_inspection(
    declaration_id: Id, body: JoinIn, session: SessionDep, principal: PrincipalDep
) -> FindingOut:
    """An agency asks to join (or to do) the inspection of a declaration its applications
    serve."""
    service.ask_inspection(session, principal, declaration_id, body.role)
    return _mine(session, principal, declaration_id)


@router.post("/declarations/{declaration_id}/findings", response_model=FindingOut)
def record_finding(
    declaration_id: Id, body: FindingIn, session: SessionDep, principal: PrincipalDep
) -> FindingOut:
    """The agency records what it found at the inspection."""
    service.record_finding(session, principal, declaration_id, body.finding, body.notes)
    return _mine(session, principal, declaration_id)


def _mine(session: SessionDep, principal: PrincipalDep, declaration_id: int) -> FindingOut:
    names = {a.name for a in service.agencies_of(session, principal.organisation_id)}
    rows = service.findings_for(session, principal, declaration_id)
    return next(r for r in rows if r.agency in names)


@router.get("/declarations/{declaration_id}/findings", response_model=list[FindingOut])
def findings(declaration_id: Id, session: SessionDep, principal: PrincipalDep) -> list[FindingOut]:
    """Every agency's findings at the declaration's inspection (customs and those agencies)."""
    return service.findings_for(session, principal, declaration_id)


# Permits ---------------------------------------------------------------------------------------


@router.get("/issued", response_model=list[PermitOut])
def list_permits(session: SessionDep, principal: PrincipalDep) -> list[PermitOut]:
    """The holder's permits and certificates, with the balance left; an agency's issued ones."""
    return [service.permit_view(session, p) for p in service.list_permits(session, principal)]


@router.get("/issued/{permit_id}", response_model=PermitOut)
def get_permit(permit_id: Id, session: SessionDep, principal: PrincipalDep) -> PermitOut:
    return service.permit_view(session, service.get_permit(session, principal, permit_id))


@router.post("/issued/{permit_id}/correction", response_model=PermitOut)
def correct_permit(
    permit_id: Id, body: CorrectionIn, session: SessionDep, principal: PrincipalDep
) -> PermitOut:
    """The issuing agency corrects a permit; declarations citing it are looked at again."""
    permit = service.correct_permit(
        session,
        principal,
        permit_id,
        reason=body.reason,
        valid_to=body.valid_to,
        quantity=body.quantity,
        value=body.value,
    )
    return service.permit_view(session, permit)


# Company documents -----------------------------------------------------------------------------


@router.post("/company-documents", response_model=CompanyDocumentOut, status_code=201)
def lodge_company_document(
    body: CompanyDocumentIn, session: SessionDep, principal: PrincipalDep
) -> CompanyDocumentOut:
    """Lodge a company document once, for its agency to verify once."""
    return CompanyDocumentOut.model_validate(
        service.lodge_company_document(session, principal, body)
    )


@router.get("/company-documents", response_model=list[CompanyDocumentOut])
def list_company_documents(
    session: SessionDep, principal: PrincipalDep
) -> list[CompanyDocumentOut]:
    return [
        CompanyDocumentOut.model_validate(d)
        for d in service.list_company_documents(session, principal)
    ]


@router.post("/company-documents/{document_id}/verification", response_model=CompanyDocumentOut)
def verify_company_document(
    document_id: Id, body: VerifyIn, session: SessionDep, principal: PrincipalDep
) -> CompanyDocumentOut:
    """The owning agency verifies (or refuses) the document, once."""
    document = service.verify_company_document(
        session, principal, document_id, accepted=body.accepted, reason=body.reason
    )
    return CompanyDocumentOut.model_validate(document)
