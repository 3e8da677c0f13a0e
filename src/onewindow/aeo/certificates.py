"""Certificates: granted, suspended, reinstated, revoked, expired, reassessed; and what a
certificate grants (the standing risk and payments ask about).

Every change is audited, kept in the certificate's history, told to the holder, and published
as ``aeo.status_changed`` (the exchange sends it to partners).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.aeo.access import is_customs, require, require_officer
from onewindow.aeo.models import AeoCertificate, AeoCertificateChange
from onewindow.aeo.programme import DECLARATION_ROLES, OPERATOR_ROLES, TIER_LABELS, tier
from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.errors import Conflict, FieldError, InvalidInput, NotFound
from onewindow.events import record_event
from onewindow.security import Principal

STATUS_LABELS = {
    "active": "Active",
    "suspended": "Suspended",
    "revoked": "Revoked",
    "expired": "Expired",
}
"""Where a certificate stands."""

STATUS_CHANGES = ("granted", "suspended", "reinstated", "revoked", "expired")
"""The changes partners are told of (``aeo.status_changed``)."""

ANNOUNCE_DAYS = 60
"""How long before its reassessment is due the holder is told (once per due date)."""


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _change(
    session: Session,
    certificate: AeoCertificate,
    action: str,
    actor: str,
    reason: str = "",
    on: date | None = None,
) -> None:
    """Keep the step in the history and the audit log, tell the holder and, for a status
    change, the exchange."""
    now = utcnow()
    on = on or now.date()
    certificate.changed_at = now
    session.add(
        AeoCertificateChange(
            certificate_id=certificate.id,
            action=action,
            on=on,
            reason=reason,
            actor=actor,
            at=now,
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"aeo.certificate_{action}",
        subject_type="aeo_certificate",
        subject_id=certificate.id,
        organisation_id=certificate.organisation_id,
        reason=reason,
        data={"number": certificate.number, "tier": certificate.tier, "on": on.isoformat()},
    )
    payload = {
        "number": certificate.number,
        "tier": certificate.tier,
        "status": certificate.status,
        "action": action,
        "on": on.isoformat(),
        "reason": reason,
        "portal_path": f"/aeo/certificates/{certificate.id}",
    }
    topic = "aeo.status_changed" if action in STATUS_CHANGES else f"aeo.certificate_{action}"
    record_event(
        session,
        topic,
        "aeo_certificate",
        certificate.id,
        payload,
        organisation_id=certificate.organisation_id,
    )


def grant(
    session: Session,
    *,
    organisation_id: int,
    operator_role: str,
    tier_code: str,
    actor: str,
    reason: str,
    validated_on: date | None,
    application_id: int | None = None,
    valid_until: date | None = None,
    by_hand: bool = False,
    consent_to_share: bool = False,
) -> AeoCertificate:
    """Issue a certificate (its number: country, tier and a serial, e.g. ``GBAEOF0000012``).

    The caller has checked who decides. A holder keeps one live certificate per role: an
    active or suspended one for the same role is replaced (revoked with the reason "replaced").
    """
    today = utcnow().date()
    for old in session.scalars(
        select(AeoCertificate).where(
            AeoCertificate.organisation_id == organisation_id,
            AeoCertificate.operator_role == operator_role,
            AeoCertificate.status.in_(("active", "suspended")),
        )
    ):
        old.status, old.revoked_on, old.reason = "revoked", today, "replaced"
        _change(session, old, "revoked", actor, "replaced by a new certificate")
    now = utcnow()
    certificate = AeoCertificate(
        number=f"PENDING-{uuid.uuid4().hex[:20]}",
        organisation_id=organisation_id,
        operator_role=operator_role,
        tier=tier_code,
        status="active",
        valid_from=today,
        valid_until=valid_until,
        validated_on=validated_on,
        reassessment_due=_years_later(today, tier(tier_code).reassessment_years),
        application_id=application_id,
        recorded_by_hand=by_hand,
        consent_to_share=consent_to_share,
        granted_by=actor,
        granted_at=now,
        changed_at=now,
    )
    session.add(certificate)
    session.flush()
    certificate.number = f"{get_settings().country}{tier_code.replace('-', '')}{certificate.id:07d}"
    _change(session, certificate, "granted", actor, reason)
    return certificate


def get(session: Session, principal: Principal, certificate_id: int) -> AeoCertificate:
    """A certificate its holder or customs may see (404 otherwise)."""
    require(principal, "aeo:read")
    certificate = session.get(AeoCertificate, certificate_id)
    if certificate is None or not (
        is_customs(principal) or certificate.organisation_id == principal.organisation_id
    ):
        raise NotFound(f"No AEO certificate {certificate_id}.")
    return certificate


def list_certificates(
    session: Session, principal: Principal, *, status: str | None = None
) -> Sequence[AeoCertificate]:
    """Customs: every certificate; a company: its own. Newest first."""
    require(principal, "aeo:read")
    query = select(AeoCertificate).order_by(AeoCertificate.id.desc())
    if not is_customs(principal):
        query = query.where(AeoCertificate.organisation_id == principal.organisation_id)
    if status is not None:
        query = query.where(AeoCertificate.status == status)
    return session.scalars(query).all()


def history(session: Session, certificate_id: int) -> Sequence[AeoCertificateChange]:
    return session.scalars(
        select(AeoCertificateChange)
        .where(AeoCertificateChange.certificate_id == certificate_id)
        .order_by(AeoCertificateChange.at, AeoCertificateChange.id)
    ).all()


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Say why.", [FieldError("/reason", "must not be empty")])
    return reason


def _locked(session: Session, certificate_id: int) -> AeoCertificate:
    certificate = session.scalar(
        select(AeoCertificate)
        .where(AeoCertificate.id == certificate_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if certificate is None:
        raise NotFound(f"No AEO certificate {certificate_id}.")
    return certificate


def suspend(
    session: Session, principal: Principal, certificate_id: int, reason: str
) -> AeoCertificate:
    """Suspend an active certificate: its benefits stop at once."""
    return _decide(
        session,
        principal,
        certificate_id,
        reason,
        ("active",),
        ": not active.",
        "suspended",
        "suspended",
        suspended_on=utcnow().date(),
    )


def reinstate(
    session: Session, principal: Principal, certificate_id: int, reason: str
) -> AeoCertificate:
    """Lift a suspension: the certificate is active again, with its benefits."""
    return _decide(
        session,
        principal,
        certificate_id,
        reason,
        ("suspended",),
        ": not suspended.",
        "active",
        "reinstated",
        suspended_on=None,
    )


def revoke(
    session: Session, principal: Principal, certificate_id: int, reason: str
) -> AeoCertificate:
    """Revoke a certificate for good (active or suspended)."""
    return _decide(
        session,
        principal,
        certificate_id,
        reason,
        ("active", "suspended"),
        " already.",
        "revoked",
        "revoked",
        revoked_on=utcnow().date(),
    )


def _decide(
    session: Session,
    principal: Principal,
    certificate_id: int,
    reason: str,
    allowed: tuple[str, ...],
    refusal: str,
    status: str,
    change: str,
    **dates: date | None,
) -> AeoCertificate:
    """An officer's decision on a certificate in one of the ``allowed`` statuses: the new
    status and dates, with the reason, recorded and announced (``change``)."""
    require_officer(principal)
    why = _reason(reason)
    certificate = _locked(session, certificate_id)
    if certificate.status not in allowed:
        raise Conflict(f"Certificate {certificate.number} is {certificate.status}{refusal}")
    certificate.status, certificate.reason = status, why
    for name, value in dates.items():
        setattr(certificate, name, value)
    _change(session, certificate, change, principal.actor, why)
    return certificate


def withdraw_all(session: Session, organisation_id: int, actor: str, reason: str) -> int:
    """Revoke every live certificate of the organisation (the caller checked who decides)."""
    count = 0
    for certificate in session.scalars(
        select(AeoCertificate)
        .where(
            AeoCertificate.organisation_id == organisation_id,
            AeoCertificate.status.in_(("active", "suspended")),
        )
        .order_by(AeoCertificate.id)
    ).all():
        certificate.status, certificate.revoked_on = "revoked", utcnow().date()
        certificate.reason = reason
        _change(session, certificate, "revoked", actor, reason)
        count += 1
    return count


def record_reassessment(
    session: Session, principal: Principal, certificate_id: int, note: str
) -> AeoCertificate:
    """Customs reassessed the holder: the next reassessment is due a tier's period later."""
    require_officer(principal)
    why = _reason(note)
    certificate = _locked(session, certificate_id)
    if certificate.status not in ("active", "suspended"):
        raise Conflict(f"Certificate {certificate.number} is {certificate.status}.")
    years = tier(certificate.tier).reassessment_years
    certificate.reassessment_due = _years_later(utcnow().date(), years)
    certificate.reassessment_announced_for = None
    _change(session, certificate, "reassessed", principal.actor, why)
    return certificate


def set_consent(
    session: Session, principal: Principal, certificate_id: int, consent: bool
) -> AeoCertificate:
    """The holder agrees (or no longer agrees) that partners receive its AEO status."""
    require(principal, "aeo:write")
    certificate = session.get(AeoCertificate, certificate_id)
    if certificate is None or certificate.organisation_id != principal.organisation_id:
        raise NotFound(f"No AEO certificate {certificate_id}.")
    if certificate.consent_to_share != consent:
        certificate.consent_to_share = consent
        # A change of consent puts the holder on (or off) the next list sent to partners.
        certificate.changed_at = utcnow()
        audit.record(
            session,
            actor=principal.actor,
            action="aeo.consent_given" if consent else "aeo.consent_withdrawn",
            subject_type="aeo_certificate",
            subject_id=certificate.id,
            organisation_id=certificate.organisation_id,
        )
        session.flush()
    return certificate


def run_due(session: Session, today: date | None = None) -> dict[str, int]:
    """The worker's periodic pass: certificates past their validity expire; holders whose
    reassessment falls due within :data:`ANNOUNCE_DAYS` are told, once per due date."""
    today = today or utcnow().date()
    expired = announced = 0
    for certificate in session.scalars(
        select(AeoCertificate)
        .where(
            AeoCertificate.status.in_(("active", "suspended")),
            AeoCertificate.valid_until.is_not(None),
            AeoCertificate.valid_until < today,
        )
        .order_by(AeoCertificate.id)
        .with_for_update(skip_locked=True)
    ):
        certificate.status = "expired"
        _change(session, certificate, "expired", "system", f"valid until {certificate.valid_until}")
        expired += 1
    horizon = today + timedelta(days=ANNOUNCE_DAYS)
    for certificate in session.scalars(
        select(AeoCertificate)
        .where(
            AeoCertificate.status == "active",
            AeoCertificate.reassessment_due <= horizon,
        )
        .order_by(AeoCertificate.id)
        .with_for_update(skip_locked=True)
    ):
        if certificate.reassessment_announced_for == certificate.reassessment_due:
            continue
        certificate.reassessment_announced_for = certificate.reassessment_due
        record_event(
            session,
            "aeo.reassessment_due",
            "aeo_certificate",
            certificate.id,
            {
                "number": certificate.number,
                "reason": f"reassessment due on {certificate.reassessment_due.isoformat()}",
                "portal_path": f"/aeo/certificates/{certificate.id}",
            },
            organisation_id=certificate.organisation_id,
        )
        announced += 1
    session.flush()
    return {"expired": expired, "announced": announced}


def live_certificates(
    session: Session, organisation_ids: Iterable[int], on: date
) -> list[AeoCertificate]:
    """The active certificates of these organisations valid on ``on``, for declarations'
    roles (importer, exporter, customs broker)."""
    wanted = {i for i in organisation_ids if i is not None}
    if not wanted:
        return []
    rows = session.scalars(
        select(AeoCertificate)
        .where(
            AeoCertificate.organisation_id.in_(wanted),
            AeoCertificate.status == "active",
            AeoCertificate.valid_from <= on,
        )
        .order_by(AeoCertificate.id)
    ).all()
    return [
        c
        for c in rows
        if (c.valid_until is None or on <= c.valid_until) and c.operator_role in DECLARATION_ROLES
    ]


def held_on(session: Session, organisation_id: int | None, on: date) -> bool:
    """Whether the organisation held a live AEO certificate on ``on`` (as its history tells:
    granted by then, neither revoked, expired nor suspended on that day)."""
    if organisation_id is None:
        return False
    certificates = session.scalars(
        select(AeoCertificate).where(
            AeoCertificate.organisation_id == organisation_id, AeoCertificate.valid_from <= on
        )
    ).all()
    for certificate in certificates:
        if certificate.valid_until is not None and on > certificate.valid_until:
            continue
        steps = [
            s for s in history(session, certificate.id) if s.on <= on and s.action in STATUS_CHANGES
        ]
        if steps and steps[-1].action in ("granted", "reinstated"):
            return True
    return False


def validate_grant(operator_role: str, tier_code: str) -> list[FieldError]:
    errors = []
    if operator_role not in OPERATOR_ROLES:
        errors.append(FieldError("/operator_role", f"use one of {', '.join(OPERATOR_ROLES)}"))
    if tier_code not in TIER_LABELS:
        errors.append(FieldError("/tier", f"use one of {', '.join(TIER_LABELS)}"))
    return errors
