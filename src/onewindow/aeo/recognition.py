"""Mutual recognition: partner administrations, MRAs, partners' AEO records as their status
lists tell them, and the status list of our own AEOs that partners receive."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.aeo.access import require_register
from onewindow.aeo.certificates import history
from onewindow.aeo.models import (
    AeoCertificate,
    MutualRecognition,
    PartnerAdministration,
    PartnerOperator,
    PartnerStatusMessage,
)
from onewindow.aeo.programme import (
    OPERATOR_ROLES,
    TIER_LABELS,
    Treatment,
    benefit_labels,
    treatment_for,
)
from onewindow.db import utcnow
from onewindow.errors import Conflict, FieldError, InvalidInput, NotFound
from onewindow.parties import service as parties
from onewindow.security import Principal

LIVE = ("active", "suspended")

PARTNER_STATUSES = {
    "active": "Active",
    "suspended": "Suspended",
    "revoked": "Revoked",
    "withdrawn": "No longer on the partner's list",
}


@dataclass(frozen=True)
class OperatorStatus:
    """One AEO as status lists carry it between administrations (both directions).

    ``status`` is active, suspended or revoked (expired certificates travel as revoked, with
    the date they ended); ``consent`` is the operator's agreement that its status is shared.
    """

    identifier: str
    name: str
    address: str
    status: str
    tier: str
    validated_on: date | None = None
    suspended_on: date | None = None
    revoked_on: date | None = None
    consent: bool = True
    changed_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if isinstance(v, date | datetime) else v)
            for k, v in asdict(self).items()
        }


@dataclass(frozen=True)
class AppliedStatus:
    """What a partner's status list changed here (a replay answers the first time's counts)."""

    partner_country: str
    message_id: str
    full: bool
    created: int
    updated: int
    unchanged: int
    withdrawn: int
    replayed: bool = False


# Register --------------------------------------------------------------------------------------


def partners(session: Session) -> Sequence[PartnerAdministration]:
    return session.scalars(
        select(PartnerAdministration).order_by(PartnerAdministration.country)
    ).all()


def register_partner(
    session: Session, principal: Principal, *, country: str, name: str
) -> PartnerAdministration:
    """Register a partner administration (once per country)."""
    require_register(principal)
    country, name = country.strip().upper(), name.strip()
    errors = []
    if len(country) != 2 or not country.isalpha():
        errors.append(FieldError("/country", "use the two-letter ISO country code"))
    if not name:
        errors.append(FieldError("/name", "must not be empty"))
    if errors:
        raise InvalidInput("The partner cannot be registered.", errors)
    if partner_of(session, country) is not None:
        raise Conflict(f"A partner administration of {country} is registered already.")
    partner = PartnerAdministration(country=country, name=name, created_at=utcnow())
    session.add(partner)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="aeo.partner_registered",
        subject_type="aeo_partner",
        subject_id=partner.id,
        data={"country": country, "name": name},
    )
    return partner


def partner_of(session: Session, country: str) -> PartnerAdministration | None:
    return session.scalar(
        select(PartnerAdministration).where(PartnerAdministration.country == country.upper())
    )


def recognising(session: Session, on: date) -> list[str]:
    """The partners' countries with a mutual recognition arrangement in force on ``on``."""
    rows = session.scalars(
        select(PartnerAdministration.country)
        .join(MutualRecognition, MutualRecognition.partner_id == PartnerAdministration.id)
        .where(
            MutualRecognition.in_force_from <= on,
            or_(MutualRecognition.in_force_until.is_(None), MutualRecognition.in_force_until >= on),
        )
        .distinct()
        .order_by(PartnerAdministration.country)
    )
    return list(rows)


def mras(session: Session, partner_id: int | None = None) -> Sequence[MutualRecognition]:
    query = select(MutualRecognition).order_by(
        MutualRecognition.in_force_from, MutualRecognition.id
    )
    if partner_id is not None:
        query = query.where(MutualRecognition.partner_id == partner_id)
    return session.scalars(query).all()


def record_mra(
    session: Session,
    principal: Principal,
    *,
    partner_country: str,
    reference: str,
    operator_roles: list[str],
    benefits: list[str],
    in_force_from: date,
    in_force_until: date | None = None,
) -> MutualRecognition:
    """Record an MRA with a registered partner: the roles it recognises, the benefits their
    AEOs get here, and when it is in force."""
    require_register(principal)
    partner = partner_of(session, partner_country)
    errors = []
    if partner is None:
        errors.append(FieldError("/partner_country", "no partner administration of that country"))
    if not reference.strip():
        errors.append(FieldError("/reference", "must not be empty"))
    unknown_roles = sorted(set(operator_roles) - set(OPERATOR_ROLES))
    if not operator_roles or unknown_roles:
        errors.append(FieldError("/operator_roles", f"use some of {', '.join(OPERATOR_ROLES)}"))
    labels = benefit_labels()
    if not benefits or set(benefits) - set(labels):
        errors.append(FieldError("/benefits", f"use some of {', '.join(labels)}"))
    if in_force_until is not None and in_force_until < in_force_from:
        errors.append(FieldError("/in_force_until", "is before in_force_from"))
    if errors:
        raise InvalidInput("The MRA cannot be recorded.", errors)
    assert partner is not None
    if session.scalar(
        select(MutualRecognition.id).where(MutualRecognition.reference == reference.strip())
    ):
        raise Conflict(f"MRA {reference.strip()} is recorded already.")
    mra = MutualRecognition(
        partner_id=partner.id,
        reference=reference.strip(),
        operator_roles=sorted(set(operator_roles)),
        benefits=sorted(set(benefits)),
        in_force_from=in_force_from,
        in_force_until=in_force_until,
        created_by=principal.actor,
        created_at=utcnow(),
    )
    session.add(mra)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="aeo.mra_recorded",
        subject_type="aeo_mra",
        subject_id=mra.id,
        data={
            "partner": partner.country,
            "reference": mra.reference,
            "operator_roles": mra.operator_roles,
            "benefits": mra.benefits,
            "in_force_from": in_force_from.isoformat(),
            "in_force_until": in_force_until.isoformat() if in_force_until else None,
        },
    )
    return mra


def partner_operators(
    session: Session, principal: Principal, partner_country: str | None = None
) -> Sequence[PartnerOperator]:
    """Partners' AEO records (customs and administrators)."""
    require_register(principal)
    query = select(PartnerOperator).order_by(PartnerOperator.partner_id, PartnerOperator.identifier)
    if partner_country is not None:
        partner = partner_of(session, partner_country)
        if partner is None:
            raise NotFound(f"No partner administration of {partner_country}.")
        query = query.where(PartnerOperator.partner_id == partner.id)
    return session.scalars(query).all()


# Status lists ----------------------------------------------------------------------------------


def _date(value: Any, path: str, errors: list[FieldError]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.append(FieldError(path, "use a date YYYY-MM-DD"))
        return None


def _records(
    records: Iterable[OperatorStatus | Mapping[str, Any]],
) -> list[OperatorStatus]:
    """Each record checked; every error at once, naming the record and its field."""
    errors: list[FieldError] = []
    checked: list[OperatorStatus] = []
    seen: set[str] = set()
    for n, record in enumerate(records):
        raw = record.as_dict() if isinstance(record, OperatorStatus) else dict(record)
        path = f"/records/{n}"
        identifier = str(raw.get("identifier") or "").strip().upper()
        if not identifier or len(identifier) > 40:
            errors.append(FieldError(f"{path}/identifier", "must be 1 to 40 characters"))
        elif identifier in seen:
            errors.append(FieldError(f"{path}/identifier", "appears twice in the list"))
        seen.add(identifier)
        status = str(raw.get("status") or "")
        if status not in ("active", "suspended", "revoked"):
            errors.append(FieldError(f"{path}/status", "use active, suspended or revoked"))
        tier = str(raw.get("tier") or "")
        if tier not in TIER_LABELS:
            errors.append(FieldError(f"{path}/tier", f"use {', '.join(TIER_LABELS)}"))
        checked.append(
            OperatorStatus(
                identifier=identifier,
                name=str(raw.get("name") or "").strip()[:200],
                address=str(raw.get("address") or "").strip()[:400],
                status=status,
                tier=tier,
                validated_on=_date(raw.get("validated_on"), f"{path}/validated_on", errors),
                suspended_on=_date(raw.get("suspended_on"), f"{path}/suspended_on", errors),
                revoked_on=_date(raw.get("revoked_on"), f"{path}/revoked_on", errors),
                consent=bool(raw.get("consent", True)),
            )
        )
    if errors:
        raise InvalidInput("The status list cannot be applied.", errors)
    return checked


_FIELDS = ("name", "address", "status", "tier", "validated_on", "suspended_on", "revoked_on")


def apply_partner_status(
    session: Session,
    partner_country: str,
    records: Iterable[OperatorStatus | Mapping[str, Any]],
    *,
    full: bool,
    message_id: str,
) -> AppliedStatus:
    """Apply a partner's AEO status list: a full list replaces the partner's records (operators
    missing from it are marked withdrawn), a list of changes updates the records it names.

    Idempotent per ``message_id``: a replay changes nothing and answers the first counts. A
    record that is wrong refuses the whole list (InvalidInput naming each record's field) and
    changes nothing; an unknown partner is NotFound. Risk sees the change at the next
    declaration. Records are operator identifiers with name, address, status (active, suspended,
    revoked), tier, date of validation, dates of suspension and revocation, and consent.
    """
    partner = partner_of(session, partner_country)
    if partner is None:
        raise NotFound(f"No partner administration of {partner_country}.")
    if not message_id.strip():
        raise InvalidInput("No message id.", [FieldError("/message_id", "must not be empty")])
    done = session.scalar(
        select(PartnerStatusMessage).where(
            PartnerStatusMessage.partner_id == partner.id,
            PartnerStatusMessage.message_id == message_id,
        )
    )
    if done is not None:
        c = done.counts
        return AppliedStatus(
            partner.country,
            message_id,
            done.full,
            c["created"],
            c["updated"],
            c["unchanged"],
            c["withdrawn"],
            replayed=True,
        )
    checked = _records(records)
    now = utcnow()
    existing = {
        o.identifier: o
        for o in session.scalars(
            select(PartnerOperator)
            .where(PartnerOperator.partner_id == partner.id)
            .order_by(PartnerOperator.id)
            .with_for_update()
        )
    }
    counts = {"created": 0, "updated": 0, "unchanged": 0, "withdrawn": 0}
    for record in checked:
        row = existing.get(record.identifier)
        values = {
            "name": record.name,
            "address": record.address,
            "status": record.status,
            "tier": record.tier,
            "validated_on": record.validated_on,
            "suspended_on": record.suspended_on,
            "revoked_on": record.revoked_on,
        }
        if row is None:
            session.add(
                PartnerOperator(
                    partner_id=partner.id,
                    identifier=record.identifier,
                    consent=record.consent,
                    message_id=message_id,
                    updated_at=now,
                    **values,
                )
            )
            counts["created"] += 1
            continue
        if all(getattr(row, k) == values[k] for k in _FIELDS) and row.consent == record.consent:
            counts["unchanged"] += 1
            continue
        for key, value in values.items():
            setattr(row, key, value)
        row.consent, row.message_id, row.updated_at = record.consent, message_id, now
        counts["updated"] += 1
    if full:
        listed = {r.identifier for r in checked}
        for identifier, row in existing.items():
            if identifier not in listed and row.status != "withdrawn":
                row.status, row.message_id, row.updated_at = "withdrawn", message_id, now
                counts["withdrawn"] += 1
    session.add(
        PartnerStatusMessage(
            partner_id=partner.id,
            message_id=message_id,
            full=full,
            counts=counts,
            applied_at=now,
        )
    )
    session.flush()
    audit.record(
        session,
        actor=f"partner:{partner.country}",
        action="aeo.partner_status_applied",
        subject_type="aeo_partner",
        subject_id=partner.id,
        data={"message_id": message_id, "full": full, **counts},
    )
    return AppliedStatus(
        partner.country,
        message_id,
        full,
        counts["created"],
        counts["updated"],
        counts["unchanged"],
        counts["withdrawn"],
    )


def status_list(
    session: Session, *, since: datetime | None, organisation_id: int | None = None
) -> list[OperatorStatus]:
    """Our AEOs as partners receive them, only holders who consented to it: every certificate
    when ``since`` is None, else those changed after ``since``. Oldest change first.
    ``organisation_id`` narrows it to one holder (what a change of its certificate sends).

    A holder who withdraws its consent is absent from the next full list, which partners read
    as withdrawn; change lists never name it again. Expired certificates travel as revoked,
    with the day they ended.
    """
    query = (
        select(AeoCertificate)
        .where(AeoCertificate.consent_to_share.is_(True))
        .order_by(AeoCertificate.changed_at, AeoCertificate.id)
    )
    if since is not None:
        query = query.where(AeoCertificate.changed_at > since)
    if organisation_id is not None:
        query = query.where(AeoCertificate.organisation_id == organisation_id)
    rows = session.scalars(query).all()
    orgs = parties.organisations_by_id(session, {c.organisation_id for c in rows})
    out: dict[str, OperatorStatus] = {}
    for c in rows:
        org = orgs.get(c.organisation_id)
        if org is None:
            continue
        before = out.get(org.identifier)
        if before is not None and before.status != "revoked" and c.status not in LIVE:
            continue  # one record per operator: its live certificate speaks for it
        ended = c.revoked_on
        if c.status == "expired":
            steps = [s for s in history(session, c.id) if s.action == "expired"]
            ended = steps[-1].on if steps else c.valid_until
        out[org.identifier] = OperatorStatus(
            identifier=org.identifier,
            name=org.name,
            address=org.country,
            status="revoked" if c.status in ("revoked", "expired") else c.status,
            tier=c.tier,
            validated_on=c.validated_on,
            suspended_on=c.suspended_on,
            revoked_on=ended,
            consent=True,
            changed_at=c.changed_at,
        )
    return sorted(out.values(), key=lambda s: (s.changed_at or utcnow(), s.identifier))


# Recognition in risk ---------------------------------------------------------------------------


def recognised(session: Session, foreign_operators: Mapping[str, str], on: date) -> list[Treatment]:
    """The treatments partners' AEOs named in a declaration get under MRAs in force on ``on``:
    ``foreign_operators`` maps the role each plays (e.g. exporter) to its identifier."""
    wanted = {identifier.strip().upper(): role for role, identifier in foreign_operators.items()}
    wanted.pop("", None)
    if not wanted:
        return []
    operators = session.scalars(
        select(PartnerOperator)
        .where(
            PartnerOperator.identifier.in_(wanted),
            PartnerOperator.status == "active",
            PartnerOperator.consent.is_(True),
        )
        .order_by(PartnerOperator.id)
    ).all()
    if not operators:
        return []
    agreements = session.scalars(
        select(MutualRecognition)
        .where(
            MutualRecognition.partner_id.in_({o.partner_id for o in operators}),
            MutualRecognition.in_force_from <= on,
            or_(MutualRecognition.in_force_until.is_(None), MutualRecognition.in_force_until >= on),
        )
        .order_by(MutualRecognition.id)
    ).all()
    found = []
    for operator in operators:
        role = wanted[operator.identifier]
        for mra in agreements:
            if mra.partner_id == operator.partner_id and role in mra.operator_roles:
                label = f"MRA {mra.reference}: {role} {operator.identifier} ({operator.tier})"
                found.append(treatment_for(operator.tier, label, only=list(mra.benefits)))
    return found
