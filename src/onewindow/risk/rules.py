"""The rules selectivity applies: risk profiles (versioned), the watch list, fast lanes and
IPR records, and the detentions IPR hits lead to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import reference_read, utcnow
from onewindow.declarations import service as declarations
from onewindow.declarations.schemas import DeclarationIn
from onewindow.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from onewindow.risk.access import is_customs
from onewindow.risk.conditions import check_conditions, hs_digits, matches
from onewindow.risk.dates import aware
from onewindow.risk.models import (
    FastLane,
    IprDetention,
    IprRecord,
    RiskProfile,
    WatchedParty,
)
from onewindow.security import Principal


def _check_channel(channel: str, allowed: Sequence[str] = ("yellow", "red")) -> None:
    if channel not in allowed:
        raise InvalidInput(
            "Unknown channel.", [FieldError("/channel", f"use {' or '.join(allowed)}")]
        )


def _check_profile(
    conditions: object, channel: str, valid_from: date, valid_to: date | None
) -> None:
    errors = check_conditions(conditions)
    if channel not in ("yellow", "red"):
        errors.append(FieldError("/channel", "use yellow or red"))
    if valid_to is not None and valid_to < valid_from:
        errors.append(FieldError("/valid_to", "must not be before valid_from"))
    if errors:
        raise InvalidInput("The profile is not valid; nothing was saved.", errors)


def _audit_profile(
    session: Session, actor: str, action: str, profile: RiskProfile, why: str
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        subject_type="risk_profile",
        subject_id=profile.id,
        reason=why,
        data={
            "code": profile.code,
            "version": profile.version,
            "channel": profile.channel,
            "conditions": profile.conditions,
        },
    )


def _write_version(
    session: Session,
    principal: Principal,
    code: str,
    version: int,
    fields: dict[str, Any],
    valid_from: date,
    valid_to: date | None,
    action: str,
    why: str,
) -> RiskProfile:
    """Store one active version of a profile, audited."""
    profile = RiskProfile(
        code=code,
        version=version,
        valid_from=valid_from,
        valid_to=valid_to,
        active=True,
        author=principal.actor,
        created_at=utcnow(),
        **fields,
    )
    session.add(profile)
    session.flush()
    _audit_profile(session, principal.actor, action, profile, why)
    return profile


def create_profile(
    session: Session,
    principal: Principal,
    *,
    code: str,
    title: str,
    reason: str,
    conditions: list[dict[str, Any]],
    channel: str,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> RiskProfile:
    """A new profile (version 1, active). A code in use is refused: write a new version."""
    valid_from = valid_from or utcnow().date()
    _check_profile(conditions, channel, valid_from, valid_to)
    if session.scalar(select(RiskProfile.id).where(RiskProfile.code == code).limit(1)):
        raise Conflict(f"Profile {code} exists; write a new version of it.")
    fields = {"title": title, "reason": reason, "conditions": conditions, "channel": channel}
    return _write_version(
        session, principal, code, 1, fields, valid_from, valid_to, "risk.profile_created", title
    )


def list_profiles(session: Session, *, include_inactive: bool = False) -> Sequence[RiskProfile]:
    """Profiles by code and version; active ones only unless asked."""
    query = select(RiskProfile)
    if not include_inactive:
        query = query.where(RiskProfile.active.is_(True))
    return session.scalars(query.order_by(RiskProfile.code, RiskProfile.version)).all()


def get_profile(session: Session, profile_id: int) -> RiskProfile:
    profile = session.get(RiskProfile, profile_id)
    if profile is None:
        raise NotFound(f"No risk profile {profile_id}.")
    return profile


def new_profile_version(
    session: Session,
    principal: Principal,
    profile_id: int,
    *,
    title: str,
    reason: str,
    conditions: list[dict[str, Any]],
    channel: str,
    valid_from: date | None = None,
    valid_to: date | None = None,
    why: str,
) -> RiskProfile:
    """Edit a profile: the latest version is kept, inactive; the new one takes over."""
    current = get_profile(session, profile_id)
    latest = session.scalar(
        select(RiskProfile)
        .where(RiskProfile.code == current.code)
        .order_by(RiskProfile.version.desc())
        .limit(1)
        .with_for_update()
    )
    assert latest is not None
    if latest.id != current.id:
        raise Conflict(f"Profile {current.code} has a newer version ({latest.version}): edit that.")
    valid_from = valid_from or utcnow().date()
    _check_profile(conditions, channel, valid_from, valid_to)
    current.active = False
    fields = {"title": title, "reason": reason, "conditions": conditions, "channel": channel}
    return _write_version(
        session,
        principal,
        current.code,
        current.version + 1,
        fields,
        valid_from,
        valid_to,
        "risk.profile_versioned",
        why,
    )


def deactivate_profile(
    session: Session, principal: Principal, profile_id: int, *, why: str
) -> RiskProfile:
    """Stop a profile; it is kept for the decisions it made."""
    profile = get_profile(session, profile_id)
    if not profile.active:
        raise Conflict(f"Profile {profile.code} version {profile.version} is not active.")
    profile.active = False
    session.flush()
    _audit_profile(session, principal.actor, "risk.profile_deactivated", profile, why)
    return profile


def backtest(
    session: Session,
    conditions: list[dict[str, Any]],
    since: datetime,
    until: datetime,
    *,
    limit: int = 10_000,
    examples: int = 10,
) -> dict[str, Any]:
    """How many past accepted declarations the conditions would have selected, with examples."""
    errors = check_conditions(conditions)
    if errors:
        raise InvalidInput("The conditions are not valid.", errors)
    since, until = aware(since), aware(until)
    seen = hits = 0
    found: list[int] = []
    for declaration_id, content in declarations.contents_between(session, since, until, limit):
        seen += 1
        if matches(conditions, DeclarationIn.model_validate(content)):
            hits += 1
            if len(found) < examples:
                found.append(declaration_id)
    return {"declarations": seen, "hits": hits, "examples": found}


def _audit_rule(
    session: Session, actor: str, action: str, subject_type: str, row_id: int, why: str, **data: Any
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=row_id,
        reason=why,
        data=data,
    )


def watch_party(
    session: Session,
    principal: Principal,
    *,
    identifier: str,
    reason: str,
    channel: str = "yellow",
    valid_to: date | None = None,
) -> WatchedParty:
    """Put a trader's identifier on the watch list: its declarations get at least ``channel``."""
    _check_channel(channel)
    row = WatchedParty(
        identifier=identifier.strip().upper(),
        reason=reason,
        channel=channel,
        valid_to=valid_to,
        author=principal.actor,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    _audit_rule(
        session,
        principal.actor,
        "risk.watch_added",
        "risk_watch",
        row.id,
        reason,
        identifier=row.identifier,
        channel=channel,
    )
    return row


@reference_read
def watches_in_force(session: Session, today: date) -> Sequence[WatchedParty]:
    """The watched parties whose watch is not removed and not past its end."""
    return session.scalars(
        select(WatchedParty).where(
            WatchedParty.removed_at.is_(None),
            or_(WatchedParty.valid_to.is_(None), WatchedParty.valid_to >= today),
        )
    ).all()


def watch_list(session: Session) -> Sequence[WatchedParty]:
    return session.scalars(
        select(WatchedParty).where(WatchedParty.removed_at.is_(None)).order_by(WatchedParty.id)
    ).all()


_Rule = TypeVar("_Rule", WatchedParty, FastLane)


def _withdraw(
    session: Session,
    principal: Principal,
    model: type[_Rule],
    row_id: int,
    *,
    what: str,
    action: str,
    subject_type: str,
    why: str,
) -> None:
    """Take a rule out of force: kept, marked removed by whom and when, audited with why."""
    row = session.get(model, row_id)
    if row is None or row.removed_at is not None:
        raise NotFound(f"No {what} {row_id}.")
    row.removed_at, row.removed_by = utcnow(), principal.actor
    session.flush()
    _audit_rule(session, principal.actor, action, subject_type, row.id, why)


def unwatch_party(session: Session, principal: Principal, watch_id: int, *, why: str) -> None:
    _withdraw(
        session,
        principal,
        WatchedParty,
        watch_id,
        what="watch-list entry",
        action="risk.watch_removed",
        subject_type="risk_watch",
        why=why,
    )


def open_fast_lane(
    session: Session,
    principal: Principal,
    *,
    hs_prefix: str,
    reason: str,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> FastLane:
    """Goods under ``hs_prefix`` go green unless a watch-list or IPR hit says otherwise."""
    if not hs_digits(hs_prefix) or len(hs_prefix) < 2:
        raise InvalidInput("Bad HS prefix.", [FieldError("/hs_prefix", "2 to 10 digits")])
    row = FastLane(
        hs_prefix=hs_prefix,
        reason=reason,
        valid_from=valid_from or utcnow().date(),
        valid_to=valid_to,
        author=principal.actor,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    _audit_rule(
        session,
        principal.actor,
        "risk.fast_lane_opened",
        "risk_fast_lane",
        row.id,
        reason,
        hs_prefix=hs_prefix,
    )
    return row


def fast_lanes(session: Session) -> Sequence[FastLane]:
    return session.scalars(
        select(FastLane).where(FastLane.removed_at.is_(None)).order_by(FastLane.hs_prefix)
    ).all()


def close_fast_lane(session: Session, principal: Principal, lane_id: int, *, why: str) -> None:
    _withdraw(
        session,
        principal,
        FastLane,
        lane_id,
        what="fast lane",
        action="risk.fast_lane_closed",
        subject_type="risk_fast_lane",
        why=why,
    )


def record_ipr(
    session: Session,
    principal: Principal,
    *,
    right_holder_organisation_id: int,
    trade_mark: str,
    hs_prefixes: list[str],
    keywords: list[str],
    valid_to: date | None = None,
) -> IprRecord:
    """Record a right holder's mark; a trader records its own marks, customs anyone's."""
    if not is_customs(principal) and right_holder_organisation_id != principal.organisation_id:
        raise Forbidden("A right holder records its own trade marks only.")
    errors = [
        FieldError(f"/hs_prefixes/{i}", "HS digits")
        for i, p in enumerate(hs_prefixes)
        if not hs_digits(p)
    ]
    errors += [
        FieldError(f"/keywords/{i}", "must not be empty")
        for i, k in enumerate(keywords)
        if not k.strip()
    ]
    if not hs_prefixes:
        errors.append(FieldError("/hs_prefixes", "name at least one heading"))
    if not keywords:
        errors.append(FieldError("/keywords", "name at least one word to look for"))
    if errors:
        raise InvalidInput("The IPR record is not valid.", errors)
    row = IprRecord(
        right_holder_organisation_id=right_holder_organisation_id,
        trade_mark=trade_mark,
        hs_prefixes=hs_prefixes,
        keywords=[k.strip() for k in keywords],
        valid_to=valid_to,
        author=principal.actor,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="risk.ipr_recorded",
        subject_type="risk_ipr",
        subject_id=row.id,
        organisation_id=right_holder_organisation_id,
        reason=trade_mark,
        data={"hs_prefixes": hs_prefixes, "keywords": row.keywords},
    )
    return row


def ipr_records(session: Session, principal: Principal) -> Sequence[IprRecord]:
    """Records in force: all of them for customs, a right holder's own otherwise."""
    query = select(IprRecord).where(IprRecord.removed_at.is_(None))
    if not is_customs(principal):
        query = query.where(IprRecord.right_holder_organisation_id == principal.organisation_id)
    return session.scalars(query.order_by(IprRecord.id)).all()


def remove_ipr(session: Session, principal: Principal, record_id: int, *, why: str) -> None:
    row = session.get(IprRecord, record_id)
    if (
        row is None
        or row.removed_at is not None
        or (
            not is_customs(principal)
            and row.right_holder_organisation_id != principal.organisation_id
        )
    ):
        raise NotFound(f"No IPR record {record_id}.")
    row.removed_at, row.removed_by = utcnow(), principal.actor
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="risk.ipr_removed",
        subject_type="risk_ipr",
        subject_id=row.id,
        organisation_id=row.right_holder_organisation_id,
        reason=why,
    )


def ipr_detentions(session: Session, principal: Principal) -> Sequence[IprDetention]:
    """The detentions that concern the principal's recorded rights, newest first (all for
    customs)."""
    query = select(IprDetention).order_by(IprDetention.id.desc()).limit(500)
    if not is_customs(principal):
        query = query.where(IprDetention.right_holder_organisation_id == principal.organisation_id)
    return session.scalars(query).all()
