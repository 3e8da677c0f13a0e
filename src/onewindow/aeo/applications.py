"""Applications for an AEO certificate: the company applies with its self-assessment, customs
reviews, asks (the company answers in the same thread), plans and records the validation visit,
and decides: grant with a tier, or refuse with reasons. Every step audited and told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.aeo import certificates
from onewindow.aeo.access import APPLICANT_ROLES, is_customs, require, require_officer
from onewindow.aeo.models import AeoApplication, AeoApplicationMessage, AeoCertificate
from onewindow.aeo.programme import OPERATOR_ROLES, TIER_LABELS, criteria, missing_answers
from onewindow.db import utcnow
from onewindow.errors import Conflict, FieldError, InvalidInput, NotFound
from onewindow.events import record_event
from onewindow.security import Principal

STATUS_LABELS = {
    "submitted": "Submitted, waiting for review",
    "information_requested": "Customs asked for information",
    "under_review": "Under review",
    "visit_planned": "Validation visit planned",
    "visited": "Validation visit recorded",
    "granted": "Granted",
    "refused": "Refused",
}
OPEN_STATUSES = ("submitted", "information_requested", "under_review", "visit_planned", "visited")
RATINGS = {"met": "Met", "partly": "Partly met", "not_met": "Not met"}


def _event(
    session: Session, application: AeoApplication, topic: str, actor: str, reason: str = ""
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"aeo.{topic}",
        subject_type="aeo_application",
        subject_id=application.id,
        organisation_id=application.organisation_id,
        reason=reason,
        data={"status": application.status, "tier": application.tier},
    )
    record_event(
        session,
        f"aeo.{topic}",
        "aeo_application",
        application.id,
        {
            "number": str(application.id),
            "status": application.status,
            "reason": reason,
            "portal_path": f"/aeo/applications/{application.id}",
        },
        organisation_id=application.organisation_id,
    )


def apply(
    session: Session,
    principal: Principal,
    *,
    operator_role: str,
    tier: str,
    answers: dict[str, str],
    idempotency_key: str | None = None,
) -> AeoApplication:
    """Apply for a certificate for one operator role, answering every question of the tier's
    criteria (the newest version). A retry with the same idempotency key answers with the first
    application. An open application for the same role is a Conflict."""
    require(principal, "aeo:write", *APPLICANT_ROLES)
    if idempotency_key:
        found = session.scalar(
            select(AeoApplication).where(
                AeoApplication.organisation_id == principal.organisation_id,
                AeoApplication.idempotency_key == idempotency_key,
            )
        )
        if found is not None:
            return found
    errors = certificates.validate_grant(operator_role, tier)
    current = criteria()
    if not errors:
        errors = [
            FieldError(f"/answers/{code}", "must be answered")
            for code in missing_answers(current, tier, answers)
        ]
    if errors:
        raise InvalidInput("The application is incomplete.", errors)
    if session.scalar(
        select(AeoApplication.id).where(
            AeoApplication.organisation_id == principal.organisation_id,
            AeoApplication.operator_role == operator_role,
            AeoApplication.status.in_(OPEN_STATUSES),
        )
    ):
        raise Conflict(f"You already have an open application as {OPERATOR_ROLES[operator_role]}.")
    known = {q.code for c in current.for_tier(tier) for q in c.questions}
    application = AeoApplication(
        organisation_id=principal.organisation_id,
        operator_role=operator_role,
        tier=tier,
        criteria_version=current.version,
        answers={k: v.strip() for k, v in answers.items() if k in known},
        status="submitted",
        idempotency_key=idempotency_key,
        submitted_by=principal.actor,
        submitted_at=utcnow(),
        findings={},
    )
    session.add(application)
    session.flush()
    _event(session, application, "application_submitted", principal.actor)
    return application


def get(session: Session, principal: Principal, application_id: int) -> AeoApplication:
    """An application its company or customs may see (404 otherwise)."""
    require(principal, "aeo:read")
    application = session.get(AeoApplication, application_id)
    if application is None or not (
        is_customs(principal) or application.organisation_id == principal.organisation_id
    ):
        raise NotFound(f"No AEO application {application_id}.")
    return application


def list_applications(
    session: Session, principal: Principal, *, open_only: bool = False
) -> Sequence[AeoApplication]:
    """Customs: the queue (every company's, oldest first); a company: its own, newest first."""
    require(principal, "aeo:read")
    query = select(AeoApplication)
    if open_only:
        query = query.where(AeoApplication.status.in_(OPEN_STATUSES))
    if is_customs(principal):
        return session.scalars(query.order_by(AeoApplication.submitted_at, AeoApplication.id)).all()
    query = query.where(AeoApplication.organisation_id == principal.organisation_id)
    return session.scalars(query.order_by(AeoApplication.id.desc())).all()


def thread(session: Session, application_id: int) -> Sequence[AeoApplicationMessage]:
    return session.scalars(
        select(AeoApplicationMessage)
        .where(AeoApplicationMessage.application_id == application_id)
        .order_by(AeoApplicationMessage.at, AeoApplicationMessage.id)
    ).all()


def _text(text: str, field: str = "/text") -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("Write something.", [FieldError(field, "must not be empty")])
    return text


def _locked(session: Session, application_id: int) -> AeoApplication:
    application = session.scalar(
        select(AeoApplication)
        .where(AeoApplication.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if application is None:
        raise NotFound(f"No AEO application {application_id}.")
    return application


def _must_be(application: AeoApplication, *statuses: str) -> None:
    if application.status not in statuses:
        label = STATUS_LABELS.get(application.status, application.status)
        raise Conflict(f"Application {application.id} is {label.lower()}: not now.")


def ask(session: Session, principal: Principal, application_id: int, text: str) -> AeoApplication:
    """Customs asks the company for information; it answers in the same thread."""
    require_officer(principal)
    question = _text(text)
    application = _locked(session, application_id)
    _must_be(application, "submitted", "under_review", "visit_planned", "visited")
    application.status = "information_requested"
    session.add(
        AeoApplicationMessage(
            application_id=application.id,
            author="customs",
            actor=principal.actor,
            text=question,
            at=utcnow(),
        )
    )
    session.flush()
    _event(session, application, "information_requested", principal.actor, question)
    return application


def answer(
    session: Session, principal: Principal, application_id: int, text: str
) -> AeoApplication:
    """The company answers customs' question: the application is under review again."""
    require(principal, "aeo:write")
    reply = _text(text)
    application = _locked(session, application_id)
    if application.organisation_id != principal.organisation_id:
        raise NotFound(f"No AEO application {application_id}.")
    _must_be(application, "information_requested")
    application.status = "under_review"
    session.add(
        AeoApplicationMessage(
            application_id=application.id,
            author="company",
            actor=principal.actor,
            text=reply,
            at=utcnow(),
        )
    )
    session.flush()
    _event(session, application, "answered", principal.actor)
    return application


def plan_visit(
    session: Session, principal: Principal, application_id: int, *, on: date, place: str
) -> AeoApplication:
    """Customs plans the validation visit at the company's premises."""
    require_officer(principal)
    where = _text(place, "/place")
    if on < utcnow().date():
        raise InvalidInput("A visit is planned ahead.", [FieldError("/on", "is in the past")])
    application = _locked(session, application_id)
    _must_be(application, "submitted", "under_review", "visit_planned")
    application.status, application.visit_on, application.visit_place = "visit_planned", on, where
    session.flush()
    _event(session, application, "visit_planned", principal.actor, f"on {on}, at {where}")
    return application


def record_visit(
    session: Session,
    principal: Principal,
    application_id: int,
    findings: dict[str, dict[str, str]],
) -> AeoApplication:
    """Customs records the visit's findings, one per criterion of the tier (rating and note)."""
    require_officer(principal)
    application = _locked(session, application_id)
    _must_be(application, "visit_planned")
    wanted = criteria(application.criteria_version).for_tier(application.tier)
    errors = []
    for criterion in wanted:
        finding = findings.get(criterion.code) or {}
        if finding.get("rating") not in RATINGS:
            errors.append(
                FieldError(f"/findings/{criterion.code}/rating", f"use {', '.join(RATINGS)}")
            )
    if errors:
        raise InvalidInput("Record a finding for every criterion.", errors)
    application.findings = {
        c.code: {
            "rating": findings[c.code]["rating"],
            "note": (findings[c.code].get("note") or "").strip(),
        }
        for c in wanted
    }
    application.status, application.visited_at = "visited", utcnow()
    session.flush()
    _event(session, application, "visit_recorded", principal.actor)
    return application


def decide(
    session: Session,
    principal: Principal,
    application_id: int,
    *,
    grant: bool,
    reason: str,
    tier: str | None = None,
) -> tuple[AeoApplication, AeoCertificate | None]:
    """Grant (after the validation visit, with a tier: the one applied for unless customs
    grants less) or refuse, with reasons. A grant issues the certificate."""
    require_officer(principal)
    why = _text(reason, "/reason")
    application = _locked(session, application_id)
    if not grant:
        _must_be(application, *OPEN_STATUSES)
        application.status = "refused"
    else:
        _must_be(application, "visited")
        tier = tier or application.tier
        if tier not in TIER_LABELS:
            raise InvalidInput(
                "Unknown tier.", [FieldError("/tier", f"use {', '.join(TIER_LABELS)}")]
            )
        application.status = "granted"
    application.decided_at, application.decided_by = utcnow(), principal.actor
    application.decision_reason = why
    session.flush()
    certificate = None
    if grant:
        assert tier is not None
        certificate = certificates.grant(
            session,
            organisation_id=application.organisation_id,
            operator_role=application.operator_role,
            tier_code=tier,
            actor=principal.actor,
            reason=why,
            validated_on=application.visited_at.date() if application.visited_at else None,
            application_id=application.id,
        )
        application.certificate_id = certificate.id
        session.flush()
    _event(
        session,
        application,
        "application_granted" if grant else "application_refused",
        principal.actor,
        why,
    )
    return application, certificate
