"""The AEO domain's door: the programme (applications, validation, decisions, certificates),
mutual recognition (partners, MRAs, partners' AEO records, status lists), and what an AEO is
spared in risk and payments.

Other domains, routes, pages and the exchange use AEO through this module only; behind it:

- ``programme``: the criteria and the tiers' benefits, as data (pure);
- ``applications``: applications, their thread, the validation visit and the decision;
- ``certificates``: certificates and their life (suspension, revocation, reinstatement,
  expiry, reassessment), and the worker's periodic pass;
- ``recognition``: partners, MRAs, partners' records and the status lists exchanged.

The exchange calls :func:`apply_partner_status` with each status list a partner sends, and
:func:`status_list` to build ours; it sends changes as ``aeo.status_changed`` events are
published (on grant, suspension, reinstatement, revocation and expiry). Services flush; the
boundary commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow.aeo.access import require_register
from onewindow.aeo.applications import (
    OPEN_STATUSES,
    RATINGS,
    answer,
    apply,
    ask,
    decide,
    list_applications,
    plan_visit,
    record_visit,
    thread,
)
from onewindow.aeo.applications import STATUS_LABELS as APPLICATION_STATUSES
from onewindow.aeo.applications import get as get_application
from onewindow.aeo.certificates import STATUS_LABELS as CERTIFICATE_STATUSES
from onewindow.aeo.certificates import get as get_certificate
from onewindow.aeo.certificates import grant as _grant
from onewindow.aeo.certificates import (
    held_on,
    history,
    list_certificates,
    live_certificates,
    record_reassessment,
    reinstate,
    revoke,
    run_due,
    set_consent,
    suspend,
    withdraw_all,
)
from onewindow.aeo.models import AeoCertificate
from onewindow.aeo.partners import receive_status_list, send_changes, send_full_list
from onewindow.aeo.partners import register_consumers as _register_partners
from onewindow.aeo.programme import (
    OPERATOR_ROLES,
    TIER_LABELS,
    Treatment,
    benefit_labels,
    criteria,
    treatment_for,
)
from onewindow.aeo.recognition import (
    PARTNER_STATUSES,
    AppliedStatus,
    OperatorStatus,
    apply_partner_status,
    mras,
    partner_of,
    partner_operators,
    partners,
    recognised,
    record_mra,
    register_partner,
    status_list,
)
from onewindow.db import utcnow
from onewindow.errors import FieldError, Forbidden, InvalidInput, NotFound
from onewindow.parties import service as parties
from onewindow.security import Principal, Role

__all__ = [
    "receive_status_list",
    "register_consumers",
    "send_changes",
    "send_full_list",
    "APPLICATION_STATUSES",
    "CERTIFICATE_STATUSES",
    "OPEN_STATUSES",
    "OPERATOR_ROLES",
    "PARTNER_STATUSES",
    "RATINGS",
    "TIER_LABELS",
    "AppliedStatus",
    "OperatorStatus",
    "Standing",
    "Treatment",
    "answer",
    "apply",
    "apply_partner_status",
    "ask",
    "benefit_labels",
    "criteria",
    "decide",
    "get_application",
    "get_certificate",
    "guarantee_share",
    "history",
    "is_aeo",
    "list_applications",
    "list_certificates",
    "mras",
    "partner_of",
    "partner_operators",
    "partners",
    "plan_visit",
    "record_by_hand",
    "record_mra",
    "record_reassessment",
    "record_visit",
    "register_partner",
    "reinstate",
    "require_register",
    "revoke",
    "risk_treatment",
    "run_due",
    "set_consent",
    "standing",
    "status_list",
    "suspend",
    "thread",
    "treatment_for",
]


def is_aeo(session: Session, organisation_id: int | None, on: date) -> bool:
    """Whether the organisation held a live AEO certificate on ``on`` (statistics' breakdown)."""
    return held_on(session, organisation_id, on)


def risk_treatment(
    session: Session,
    *,
    organisation_ids: Iterable[int | None],
    foreign_operators: Mapping[str, str] | None = None,
    on: date | None = None,
) -> Treatment | None:
    """What a declaration's AEOs are spared in risk: the most favourable of the live
    certificates of ``organisation_ids`` (the lodging company and the importer or exporter it
    names) and of the partners' AEOs it names (``foreign_operators``: role -> identifier)
    recognised under an MRA in force. None when nobody is an AEO today: a suspended, revoked
    or expired certificate grants nothing from the moment it changes."""
    on = on or utcnow().date()
    found = [
        treatment_for(c.tier, c.tier)
        for c in live_certificates(session, [i for i in organisation_ids if i is not None], on)
    ]
    found += recognised(session, foreign_operators or {}, on)
    return max(found, key=lambda t: t.favour, default=None)


def guarantee_share(session: Session, organisation_id: int, on: date) -> tuple[Decimal, str]:
    """The share of a deferred account's cover the holder's guarantee must reach (1: the full
    cover), and why, e.g. ``(Decimal('0.3'), 'AEO-F benefit: guarantee reduced to 30% ...')``."""
    best = min(
        (treatment_for(c.tier, c.tier) for c in live_certificates(session, [organisation_id], on)),
        key=lambda t: t.guarantee_share,
        default=None,
    )
    if best is None or best.guarantee_share >= 1:
        return Decimal(1), ""
    percent = (best.guarantee_share * 100).normalize()
    return best.guarantee_share, (
        f"{best.label} benefit: guarantee reduced to {percent:f}% of the deferment's cover"
    )


@dataclass(frozen=True)
class Standing:
    """An organisation's AEO standing in one line: its best live certificate, if any."""

    organisation_id: int
    name: str
    tier: str | None
    valid_until: date | None
    certificate_number: str | None


def standing(session: Session, organisation_id: int) -> Standing:
    """The organisation's live certificate (the best tier), for pages and the by-hand route."""
    names = parties.organisation_names(session, [organisation_id])
    if organisation_id not in names:
        raise NotFound(f"No organisation {organisation_id}.")
    live = session.scalars(
        select(AeoCertificate)
        .where(AeoCertificate.organisation_id == organisation_id, AeoCertificate.status == "active")
        .order_by(AeoCertificate.id.desc())
    ).all()
    order = list(TIER_LABELS)
    best = max(live, key=lambda c: order.index(c.tier), default=None)
    return Standing(
        organisation_id,
        names[organisation_id],
        best.tier if best else None,
        best.valid_until if best else None,
        best.number if best else None,
    )


def record_by_hand(
    session: Session,
    principal: Principal,
    organisation_id: int,
    tier: str | None,
    valid_until: date | None,
) -> Standing:
    """Record an AEO authorisation decided outside the programme (customs offices and
    administrators): a certificate marked "recorded by hand", audited like any other; ``tier``
    None revokes the organisation's live certificates ("withdrawn by hand")."""
    if not (principal.is_administrator or principal.has_role(Role.CUSTOMS)):
        raise Forbidden("Only customs offices and administrators record AEO authorisations.")
    if organisation_id not in parties.organisation_names(session, [organisation_id]):
        raise NotFound(f"No organisation {organisation_id}.")
    if tier is not None and tier not in TIER_LABELS:
        raise InvalidInput(
            "Unknown AEO tier.", [FieldError("/status", f"use {', '.join(TIER_LABELS)}")]
        )
    if tier is None:
        withdraw_all(session, organisation_id, principal.actor, "withdrawn by hand")
    else:
        _grant(
            session,
            organisation_id=organisation_id,
            operator_role="importer",
            tier_code=tier,
            actor=principal.actor,
            reason="recorded by hand",
            validated_on=None,
            valid_until=valid_until,
            by_hand=True,
        )
    return standing(session, organisation_id)


def register_consumers() -> None:
    """Our AEO changes go to recognising partners; theirs are applied as they arrive."""
    _register_partners()
