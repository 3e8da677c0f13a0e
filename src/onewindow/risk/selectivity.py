"""Selectivity: the channel of a declaration and the reasons for it.

Applies, in this order: IPR records, the watch list, active profiles, fast lanes, random
selection, the learned model (when one is promoted), the benefits of the declaration's AEOs (its
own, or a partner's recognised under an MRA: the tier's chances that a random or model selection
is kept, and priority inspection). The channel is the most severe one asked for; every reason is
kept. Random draws are derived from a hash of the declaration id and a seed, so a decision can be
replayed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from onewindow import audit, versions
from onewindow.aeo.service import Treatment
from onewindow.db import Base, utcnow
from onewindow.declarations.schemas import DeclarationIn, GoodsItem
from onewindow.errors import Conflict, NotFound
from onewindow.events import record_event
from onewindow.risk.access import ENGINE, require_customs
from onewindow.risk.conditions import matches
from onewindow.risk.dates import in_force
from onewindow.risk.learning import PromotedModel, model_record, refresh_promoted
from onewindow.risk.models import (
    CHANNELS,
    FastLane,
    IprDetention,
    IprRecord,
    RiskProfile,
    SelectivityDecision,
    WatchedParty,
)
from onewindow.risk.settings import draw, rates, refresh_rates
from onewindow.security import Principal


def _reason(source: str, code: str, text: str) -> dict[str, str]:
    return {"source": source, "code": code, "text": text}


def _severest(channels: Sequence[str]) -> str:
    return max(channels, key=CHANNELS.index, default="green")


@dataclass
class Selection:
    """The decision and who must be told beyond the declarant (IPR right holders)."""

    decision: SelectivityDecision
    right_holders: list[int] = field(default_factory=list)

    @property
    def ipr_hit(self) -> bool:
        return bool(self.right_holders)


RULES = "risk-rules"
"""The data set each process keeps in memory (:mod:`onewindow.versions`): the rules every
lodging is selected against."""
versions.watch(RULES, [IprRecord, WatchedParty, RiskProfile, FastLane])

_LIVE = {
    IprRecord: IprRecord.removed_at.is_(None),
    WatchedParty: WatchedParty.removed_at.is_(None),
    RiskProfile: RiskProfile.active.is_(True),
    FastLane: FastLane.removed_at.is_(None),
}


def _rules(session: Session, model: type[Base]) -> tuple[Row[Any], ...]:
    """The live rules of one kind (not removed, not deactivated), as read-only rows held in
    memory until one changes; their dates are for the caller to check."""

    def read(session: Session) -> tuple[Row[Any], ...]:
        columns = model.__table__.columns
        return tuple(session.execute(select(*columns).where(_LIVE[model])).all())

    return versions.cached(session, RULES, model.__name__, read)


def _ipr_hits(records: Sequence[Row[Any]], body: DeclarationIn) -> list[Row[Any]]:
    hits = []
    for record in records:
        words = [k.lower() for k in record.keywords]
        for item in body.items:
            covered = any((item.commodity_code or "").startswith(p) for p in record.hs_prefixes)
            text = (item.description or "").lower()
            if covered and any(word in text for word in words):
                hits.append(record)
                break
    return hits


def _parties(body: DeclarationIn, registered: Iterable[str] = ()) -> set[str]:
    """Every identifier the rules may know a party by: as named, and as registered."""
    named = (body.declarant, body.importer, body.exporter, body.representative)
    found = {p.identifier.upper() for p in named if p is not None and p.identifier}
    return found | {identifier.upper() for identifier in registered}


def _model_opinion(
    promoted: PromotedModel, body: DeclarationIn
) -> tuple[float, str, dict[str, str] | None]:
    """The highest item score, the channel it asks for, and the reason (with what drove it)."""
    records = [model_record(body, item) for item in body.items]
    scores = [promoted.model.score_one(r) for r in records]
    best = max(range(len(scores)), key=scores.__getitem__)
    score = scores[best]
    if score >= promoted.red_threshold:
        channel = "red"
    elif score >= promoted.yellow_threshold:
        channel = "yellow"
    else:
        return score, "green", None
    drivers = ", ".join(
        f"{name} +{weight:.1f}" for name, weight in promoted.model.explain(records[best], top=3)
    )
    text = f"Learned model score {score:.2f} on item {body.items[best].sequence}"
    return (
        score,
        channel,
        _reason("model", promoted.version, f"{text}: {drivers or 'no driver'}"),
    )


def _spare(
    declaration_id: int, chance: list[tuple[str, dict[str, str]]], aeo: Treatment
) -> tuple[list[tuple[str, dict[str, str]]], list[dict[str, str]]]:
    """The chance selections an AEO keeps, and a reason for each one waived or lowered.

    Each is kept with its tier's chance (a replayable draw per kind); a model red not kept is
    lowered to a documentary check.
    """
    kept: list[tuple[str, dict[str, str]]] = []
    spared: list[dict[str, str]] = []
    for wanted, because in chance:
        by_model = because["source"] == "model"
        if not by_model:
            keep, what = aeo.random_check_kept, "random documentary check"
        elif wanted == "red":
            keep, what = aeo.model_red_kept, "model physical inspection"
        else:
            keep, what = aeo.model_yellow_kept, "model documentary check"
        if draw(declaration_id, f"aeo-{because['source']}-{wanted}") < keep:
            kept.append((wanted, because))
        elif wanted == "red":
            kept.append(("yellow", because))
            text = f"{aeo.label} benefit: {what} lowered to a documentary check"
            spared.append(_reason("aeo", aeo.label, text))
        else:
            spared.append(_reason("aeo", aeo.label, f"{aeo.label} benefit: {what} waived"))
    return kept, spared


def select_channel(
    session: Session,
    declaration_id: int,
    body: DeclarationIn,
    *,
    aeo: Treatment | None = None,
    organisation_id: int | None = None,
    party_identifiers: Iterable[str] = (),
    declaration_number: str | None = None,
    now: datetime | None = None,
) -> Selection:
    """Choose the declaration's channel, store the decision with every reason, and say so.

    ``party_identifiers`` are the registered identifiers of the parties it names, however it
    names them: the watch list sees through a name or another identifier. ``aeo`` is what the
    declaration's AEOs are spared (the AEO domain's :func:`~onewindow.aeo.service.risk_treatment`):
    rules still apply in full. Four reads (IPR
    records, watch list, profiles, fast lanes) and one write: milliseconds. The decision and its
    reasons are customs' own: the declarant is told only what the holds ask of it. Raises
    Conflict if the declaration already has a decision.
    """
    now = now or utcnow()
    refresh_rates(session)
    promoted = refresh_promoted(session)
    today = now.date()
    settings = rates()
    if session.scalar(
        select(SelectivityDecision.id).where(SelectivityDecision.declaration_id == declaration_id)
    ):
        raise Conflict(f"Declaration {declaration_id} already has a channel.")
    reasons: list[dict[str, str]] = []
    channels: list[str] = []

    iprs = [r for r in _rules(session, IprRecord) if r.valid_to is None or r.valid_to >= today]
    ipr_hits = _ipr_hits(iprs, body)
    for record in ipr_hits:
        reasons.append(
            _reason("ipr", str(record.id), f"Goods may infringe the trade mark {record.trade_mark}")
        )
        channels.append("red")

    parties = _parties(body, party_identifiers)
    watches = [
        w for w in _rules(session, WatchedParty) if w.valid_to is None or w.valid_to >= today
    ]
    for watch in watches:
        if watch.identifier.upper() in parties:
            reasons.append(_reason("watch", watch.identifier, watch.reason))
            channels.append(watch.channel)

    for profile in _rules(session, RiskProfile):
        if in_force(profile.valid_from, profile.valid_to, today) and matches(
            profile.conditions, body
        ):
            reasons.append(_reason("profile", f"{profile.code}/v{profile.version}", profile.reason))
            channels.append(profile.channel)

    lanes = [ln for ln in _rules(session, FastLane) if in_force(ln.valid_from, ln.valid_to, today)]

    def lane_of(item: GoodsItem) -> Row[Any] | None:
        return next(
            (ln for ln in lanes if (item.commodity_code or "").startswith(ln.hs_prefix)), None
        )

    item_lanes = [lane_of(item) for item in body.items]
    fast = bool(lanes) and all(item_lanes) and not reasons
    random_selected = for_learning = False
    score: float | None = None
    if fast:
        # Every item is on a fast lane and no rule objects: nothing below may hold the goods.
        lane = item_lanes[0]
        assert lane is not None
        reasons.append(_reason("fast-lane", lane.hs_prefix, lane.reason))
    else:
        chance: list[tuple[str, dict[str, str]]] = []
        if draw(declaration_id) < settings.random_rate:
            random_selected = for_learning = True
            chance.append(("yellow", _reason("random", "random", "Selected at random for control")))
        if promoted is not None:
            score, wanted, because = _model_opinion(promoted, body)
            if because is not None:
                chance.append((wanted, because))
            exploration = settings.learning_rate * (settings.target_red + settings.target_yellow)
            if because is None and draw(declaration_id, "learning") < exploration:
                for_learning = True
                text = "Selected at random so that the learned model keeps learning"
                chance.append(("yellow", _reason("random", "learning", text)))
        if aeo is not None:
            chance, spared = _spare(declaration_id, chance, aeo)
            reasons.extend(spared)
            random_selected = any(
                r["source"] == "random" and r["code"] == "random" for _, r in chance
            )
        for wanted, because in chance:
            channels.append(wanted)
            reasons.append(because)
    priority = aeo is not None and aeo.priority and _severest(channels) != "green"
    if priority:
        assert aeo is not None
        reasons.append(_reason("aeo", aeo.label, f"{aeo.label} benefit: priority inspection"))

    decision = SelectivityDecision(
        declaration_id=declaration_id,
        organisation_id=organisation_id,
        channel=_severest(channels),
        reasons=reasons,
        score=score,
        random_selected=random_selected,
        for_learning=for_learning,
        priority=priority,
        decided_at=now,
    )
    session.add(decision)
    payload: dict[str, Any] = {"channel": decision.channel, "reasons": reasons}
    # Targeting is confidential: the event concerns no trade organisation (no notification).
    record_event(session, "risk.channel_selected", "declaration", declaration_id, payload)
    audit.record(
        session,
        actor=ENGINE,
        action="risk.channel_selected",
        subject_type="declaration",
        subject_id=declaration_id,
        organisation_id=organisation_id,
        reason="; ".join(r["text"] for r in reasons) or "no rule applies",
        data={"channel": decision.channel, "reasons": reasons, "score": score},
    )
    for record in ipr_hits:
        session.add(
            IprDetention(
                declaration_id=declaration_id,
                declaration_number=declaration_number,
                ipr_record_id=record.id,
                right_holder_organisation_id=record.right_holder_organisation_id,
                trade_mark=record.trade_mark,
                goods=_goods_for(record, body),
                detained_at=now,
            )
        )
    holders = sorted({r.right_holder_organisation_id for r in ipr_hits})
    for holder in holders:
        marks = sorted({r.trade_mark for r in ipr_hits if r.right_holder_organisation_id == holder})
        # The right holder learns of the detention, not of the declaration: it is not a party.
        record_event(
            session,
            "risk.ipr_suspected",
            "ipr_detention",
            declaration_id,
            {"trade_marks": marks, "number": declaration_number or str(declaration_id)},
            organisation_id=holder,
        )
    return Selection(decision, holders)


def _goods_for(record: Row[Any], body: DeclarationIn) -> list[dict[str, str]]:
    """What a right holder is shown of the goods: the items its record matched, nothing else."""
    words = [k.lower() for k in record.keywords]
    return [
        {
            "commodity_code": item.commodity_code or "",
            "description": item.description or "",
            "origin": item.origin or "",
            "quantity": f"{item.net_mass_kg} kg" if item.net_mass_kg is not None else "",
        }
        for item in body.items
        if any((item.commodity_code or "").startswith(p) for p in record.hs_prefixes)
        and any(w in (item.description or "").lower() for w in words)
    ]


def select_by_officer(
    session: Session, principal: Principal, declaration_id: int, channel: str, reason: str
) -> str:
    """An officer selects a declaration for control: its channel rises (never falls), the
    reason is kept with the others, and it joins the inspection queue. Returns the channel."""
    require_customs(principal)
    decision = session.scalar(
        select(SelectivityDecision).where(SelectivityDecision.declaration_id == declaration_id)
    )
    because = _reason("officer", principal.actor, reason)
    if decision is None:
        decision = SelectivityDecision(
            declaration_id=declaration_id,
            channel=channel,
            reasons=[because],
            score=None,
            random_selected=False,
            for_learning=False,
            decided_at=utcnow(),
        )
        session.add(decision)
    else:
        decision.channel = _severest([decision.channel, channel])
        decision.reasons = [*decision.reasons, because]
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="risk.selected_by_officer",
        subject_type="declaration",
        subject_id=declaration_id,
        organisation_id=decision.organisation_id,
        reason=reason,
        data={"channel": decision.channel},
    )
    return decision.channel


def decision_for(
    session: Session, principal: Principal, declaration_id: int
) -> SelectivityDecision:
    """The channel decision of a declaration and its reasons: customs' own (targeting is
    confidential; the declarant sees the holds and what they ask)."""
    require_customs(principal)
    decision = session.scalar(
        select(SelectivityDecision).where(SelectivityDecision.declaration_id == declaration_id)
    )
    if decision is None:
        raise NotFound(f"No channel decision for declaration {declaration_id}.")
    return decision
