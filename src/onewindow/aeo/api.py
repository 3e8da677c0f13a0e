"""HTTP routes of the AEO domain: the criteria (public), applications and their review,
certificates and their life, the register of partners and MRAs, partners' AEO records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from sqlalchemy.orm import Session

from onewindow.aeo import service
from onewindow.aeo.access import require_officer
from onewindow.aeo.models import AeoApplication, AeoCertificate
from onewindow.aeo.schemas import (
    ApplicationIn,
    ApplicationOut,
    ByHandIn,
    CertificateOut,
    ChangeOut,
    ConsentIn,
    DecisionIn,
    MessageOut,
    MraIn,
    MraOut,
    PartnerIn,
    PartnerOperatorOut,
    PartnerOut,
    ReasonIn,
    StandingOut,
    TextIn,
    VisitIn,
    VisitPlanIn,
)
from onewindow.deps import Id, PrincipalDep, SessionDep
from onewindow.errors import FieldError, InvalidInput
from onewindow.security import Principal

router = APIRouter(prefix="/api/v1/aeo", tags=["aeo"])
hand_router = APIRouter(prefix="/api/v1", tags=["aeo"])


def _application(session: Session, application: AeoApplication) -> ApplicationOut:
    out = ApplicationOut.model_validate(application)
    out.thread = [MessageOut.model_validate(m) for m in service.thread(session, application.id)]
    return out


def _certificate(session: Session, certificate: AeoCertificate) -> CertificateOut:
    out = CertificateOut.model_validate(certificate)
    out.history = [ChangeOut.model_validate(c) for c in service.history(session, certificate.id)]
    return out


def _confirmed(body: ReasonIn) -> str:
    if not body.confirm:
        raise InvalidInput(
            "Confirm the step: it is recorded and told at once.",
            [FieldError("/confirm", "must be true")],
        )
    return body.reason


@router.get("/criteria")
def criteria(session: SessionDep) -> dict[str, Any]:
    """The criteria in force and their questions, the tiers and the benefits each grants
    (open to everybody)."""
    found = service.criteria()
    return {
        "version": found.version,
        "legal_reference": found.legal_reference,
        "criteria": [
            {
                "code": c.code,
                "title": c.title,
                "tiers": list(c.tiers),
                "questions": [{"code": q.code, "text": q.text} for q in c.questions],
            }
            for c in found.criteria
        ],
        "tiers": service.TIER_LABELS,
        "operator_roles": service.OPERATOR_ROLES,
        "benefits": service.benefit_labels(),
    }


# Applications ----------------------------------------------------------------------------------


@router.post("/applications", response_model=ApplicationOut, status_code=201)
def apply(
    body: ApplicationIn,
    session: SessionDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> ApplicationOut:
    """Apply for a certificate with the self-assessment (a retry with the same
    Idempotency-Key answers the first application)."""
    application = service.apply(
        session,
        principal,
        operator_role=body.operator_role,
        tier=body.tier,
        answers=body.answers,
        idempotency_key=idempotency_key,
    )
    return _application(session, application)


@router.get("/applications", response_model=list[ApplicationOut])
def applications(
    session: SessionDep, principal: PrincipalDep, open_only: bool = False
) -> list[ApplicationOut]:
    """Your applications; customs: the queue of every company's."""
    return [
        ApplicationOut.model_validate(a)
        for a in service.list_applications(session, principal, open_only=open_only)
    ]


@router.get("/applications/{application_id}", response_model=ApplicationOut)
def application(application_id: Id, session: SessionDep, principal: PrincipalDep) -> ApplicationOut:
    """One application with its thread."""
    return _application(session, service.get_application(session, principal, application_id))


@router.post("/applications/{application_id}/answer", response_model=ApplicationOut)
def answer(
    application_id: Id, body: TextIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationOut:
    """Answer customs' question (the applying company)."""
    return _application(session, service.answer(session, principal, application_id, body.text))


@router.post("/applications/{application_id}/questions", response_model=ApplicationOut)
def ask(
    application_id: Id, body: TextIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationOut:
    """Ask the company for information (customs)."""
    return _application(session, service.ask(session, principal, application_id, body.text))


@router.post("/applications/{application_id}/visit-plan", response_model=ApplicationOut)
def plan_visit(
    application_id: Id, body: VisitPlanIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationOut:
    """Plan the validation visit (customs)."""
    application = service.plan_visit(
        session, principal, application_id, on=body.on, place=body.place
    )
    return _application(session, application)


@router.post("/applications/{application_id}/visit", response_model=ApplicationOut)
def record_visit(
    application_id: Id, body: VisitIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationOut:
    """Record the validation visit's findings, one per criterion (customs)."""
    findings = {code: f.model_dump() for code, f in body.findings.items()}
    return _application(session, service.record_visit(session, principal, application_id, findings))


@router.post("/applications/{application_id}/decision", response_model=ApplicationOut)
def decide(
    application_id: Id, body: DecisionIn, session: SessionDep, principal: PrincipalDep
) -> ApplicationOut:
    """Grant (with a tier) or refuse, with reasons (customs)."""
    application, _ = service.decide(
        session,
        principal,
        application_id,
        grant=body.decision == "grant",
        reason=body.reason,
        tier=body.tier,
    )
    return _application(session, application)


# Certificates ----------------------------------------------------------------------------------


@router.get("/certificates", response_model=list[CertificateOut])
def certificates(
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[str | None, Query(pattern=r"^(active|suspended|revoked|expired)$")] = None,
) -> list[CertificateOut]:
    """Your certificates; customs: every certificate."""
    return [
        CertificateOut.model_validate(c)
        for c in service.list_certificates(session, principal, status=status)
    ]


@router.get("/certificates/{certificate_id}", response_model=CertificateOut)
def certificate(certificate_id: Id, session: SessionDep, principal: PrincipalDep) -> CertificateOut:
    """One certificate with its history."""
    return _certificate(session, service.get_certificate(session, principal, certificate_id))


@router.post("/certificates/{certificate_id}/consent", response_model=CertificateOut)
def consent(
    certificate_id: Id, body: ConsentIn, session: SessionDep, principal: PrincipalDep
) -> CertificateOut:
    """Agree (or no longer agree) that partner administrations receive your AEO status."""
    certificate = service.set_consent(session, principal, certificate_id, body.consent)
    return _certificate(session, certificate)


def _step(
    step: str, certificate_id: int, body: ReasonIn, session: Session, principal: Principal
) -> CertificateOut:
    require_officer(principal)
    reason = _confirmed(body)
    act = {
        "suspend": service.suspend,
        "revoke": service.revoke,
        "reinstate": service.reinstate,
        "reassess": service.record_reassessment,
    }[step]
    return _certificate(session, act(session, principal, certificate_id, reason))


@router.post("/certificates/{certificate_id}/suspension", response_model=CertificateOut)
def suspend(
    certificate_id: Id, body: ReasonIn, session: SessionDep, principal: PrincipalDep
) -> CertificateOut:
    """Suspend a certificate: its benefits stop at once (customs; reason and confirm)."""
    return _step("suspend", certificate_id, body, session, principal)


@router.post("/certificates/{certificate_id}/revocation", response_model=CertificateOut)
def revoke(
    certificate_id: Id, body: ReasonIn, session: SessionDep, principal: PrincipalDep
) -> CertificateOut:
    """Revoke a certificate for good (customs; reason and confirm)."""
    return _step("revoke", certificate_id, body, session, principal)


@router.post("/certificates/{certificate_id}/reinstatement", response_model=CertificateOut)
def reinstate(
    certificate_id: Id, body: ReasonIn, session: SessionDep, principal: PrincipalDep
) -> CertificateOut:
    """Reinstate a suspended certificate (customs; reason and confirm)."""
    return _step("reinstate", certificate_id, body, session, principal)


@router.post("/certificates/{certificate_id}/reassessment", response_model=CertificateOut)
def reassess(
    certificate_id: Id, body: ReasonIn, session: SessionDep, principal: PrincipalDep
) -> CertificateOut:
    """Record a periodic reassessment: the next one is due a tier's period later (customs)."""
    return _step("reassess", certificate_id, body, session, principal)


@hand_router.post("/organisations/{organisation_id}/aeo", response_model=StandingOut)
def record_by_hand(
    organisation_id: Id, body: ByHandIn, session: SessionDep, principal: PrincipalDep
) -> StandingOut:
    """Record an AEO authorisation decided outside the programme, as a certificate "recorded
    by hand", or withdraw it (customs offices and administrators)."""
    found = service.record_by_hand(
        session, principal, organisation_id, body.status, body.valid_until
    )
    return StandingOut(
        organisation_id=found.organisation_id,
        name=found.name,
        aeo_status=found.tier,
        aeo_valid_until=found.valid_until,
        certificate_number=found.certificate_number,
    )


# Mutual recognition ----------------------------------------------------------------------------


@router.get("/partners", response_model=list[PartnerOut])
def partners(session: SessionDep, principal: PrincipalDep) -> list[PartnerOut]:
    """The partner administrations (customs and administrators)."""
    service.require_register(principal)
    return [PartnerOut.model_validate(p) for p in service.partners(session)]


@router.post("/partners", response_model=PartnerOut, status_code=201)
def register_partner(body: PartnerIn, session: SessionDep, principal: PrincipalDep) -> PartnerOut:
    """Register a partner administration (customs and administrators)."""
    partner = service.register_partner(session, principal, country=body.country, name=body.name)
    return PartnerOut.model_validate(partner)


@router.get("/mras", response_model=list[MraOut])
def mras(session: SessionDep, principal: PrincipalDep) -> list[MraOut]:
    """The mutual recognition arrangements (customs and administrators)."""
    service.require_register(principal)
    return [MraOut.model_validate(m) for m in service.mras(session)]


@router.post("/mras", response_model=MraOut, status_code=201)
def record_mra(body: MraIn, session: SessionDep, principal: PrincipalDep) -> MraOut:
    """Record an MRA: its partner, operator roles, benefits and dates (customs and
    administrators)."""
    mra = service.record_mra(
        session,
        principal,
        partner_country=body.partner_country,
        reference=body.reference,
        operator_roles=body.operator_roles,
        benefits=body.benefits,
        in_force_from=body.in_force_from,
        in_force_until=body.in_force_until,
    )
    return MraOut.model_validate(mra)


@router.get("/partner-operators", response_model=list[PartnerOperatorOut])
def partner_operators(
    session: SessionDep,
    principal: PrincipalDep,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
) -> list[PartnerOperatorOut]:
    """Partners' AEO records as their status lists told them (customs and administrators)."""
    return [
        PartnerOperatorOut.model_validate(o)
        for o in service.partner_operators(session, principal, country)
    ]
