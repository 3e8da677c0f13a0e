"""The risk domain's door: selectivity (the channel of a declaration), the rules behind it,
and the inspection results that tell whether the rules were right.

Selectivity applies, in this order: IPR records, the watch list, active profiles, fast lanes,
random selection, the learned model (when one is promoted), AEO lowering. The channel is the most
severe one asked for; every reason is kept. Random draws are derived from a hash of the
declaration id and a seed, so a decision can be replayed. Services flush; the boundary commits.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.declarations.schemas import DeclarationIn, GoodsItem
from onewindow.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from onewindow.events import record_event
from onewindow.risk.models import (
    CHANNELS,
    FINDINGS,
    FastLane,
    InspectionResult,
    IprDetention,
    IprRecord,
    RiskModelVersion,
    RiskProfile,
    RiskSetting,
    SelectivityDecision,
    WatchedParty,
)
from onewindow.security import Principal

if TYPE_CHECKING:
    import pandas as pd

    from onewindow.risk.model import RiskModel

log = logging.getLogger(__name__)

ENGINE = "risk-engine"
CUSTOMS = "customs-office"


# Settings ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    """How much is selected besides the rules (shares of all declarations, 0 to 1)."""

    random_rate: float = 0.02
    # Share of the control budget the model leaves to exploration (unbiased labels).
    learning_rate: float = 0.10
    # An AEO's yellow from random or model selection is kept with this probability.
    aeo_factor: float = 0.5
    target_red: float = 0.03
    target_yellow: float = 0.07
    seed: str = "onewindow"


_rates = Rates()


def rates() -> Rates:
    """The rates in force."""
    return _rates


def set_rates(**changes: Any) -> Rates:
    """Change some rates (tests, an operator's command); returns the previous ones to restore.

    >>> previous = set_rates(random_rate=0.0)
    >>> rates().random_rate
    0.0
    >>> _ = set_rates(**previous.__dict__)
    """
    global _rates
    previous = _rates
    for name, value in changes.items():
        if name != "seed" and not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} must lie between 0 and 1")
    _rates = replace(_rates, **changes)
    return previous


SETTABLE = ("random_rate", "learning_rate", "aeo_factor", "target_red", "target_yellow")
"""The rates a risk officer may set; each lies between 0 and 1."""

REFRESH_SECONDS = 30.0
_settings_read_at = 0.0


def configure_rates(session: Session, principal: Principal, **changes: float) -> Rates:
    """A risk officer sets selectivity rates: stored, audited, and in force in this process at
    once and in every other within :data:`REFRESH_SECONDS`. Every error is reported at once."""
    require_customs(principal)
    errors = [
        FieldError(f"/{name}", f"unknown rate: use one of {', '.join(SETTABLE)}")
        for name in changes
        if name not in SETTABLE
    ]
    errors += [
        FieldError(f"/{name}", "must lie between 0 and 1")
        for name, value in changes.items()
        if name in SETTABLE and not 0.0 <= float(value) <= 1.0
    ]
    if errors:
        raise InvalidInput("The rates cannot be set.", errors)
    before = {name: getattr(_rates, name) for name in changes}
    for name, value in changes.items():
        row = session.get(RiskSetting, name)
        if row is None:
            row = RiskSetting(name=name)
            session.add(row)
        row.value, row.updated_by, row.updated_at = float(value), principal.actor, utcnow()
    audit.record(
        session,
        actor=principal.actor,
        action="risk.rates_configured",
        subject_type="risk_setting",
        subject_id=",".join(sorted(changes)),
        data={"before": before, "after": {k: float(v) for k, v in changes.items()}},
    )
    session.flush()
    set_rates(**{name: float(value) for name, value in changes.items()})
    return _rates


def refresh_rates(session: Session, *, force: bool = False) -> Rates:
    """Apply the stored rates (at most every :data:`REFRESH_SECONDS` unless ``force``)."""
    global _settings_read_at
    clock = time.monotonic()
    if force or clock - _settings_read_at >= REFRESH_SECONDS:
        _settings_read_at = clock
        stored = {row.name: row.value for row in session.scalars(select(RiskSetting))}
        changed = {k: v for k, v in stored.items() if k in SETTABLE and getattr(_rates, k) != v}
        if changed:
            set_rates(**changed)
    return _rates


@dataclass(frozen=True)
class PromotedModel:
    """The learned model in use and the scores at which it asks for red and yellow."""

    model: RiskModel
    red_threshold: float
    yellow_threshold: float
    version: str


_promoted: PromotedModel | None = None


def promote_model(promoted: PromotedModel | None) -> None:
    """Put a trained model in use (None: selectivity runs on rules and random selection only)."""
    global _promoted
    _promoted = promoted


def promoted_model() -> PromotedModel | None:
    return _promoted


def draw(declaration_id: int, salt: str = "random", seed: str | None = None) -> float:
    """A number in [0, 1) fixed by the declaration id, the purpose and the seed: replayable.

    >>> draw(42) == draw(42)
    True
    >>> 0.0 <= draw(42) < 1.0
    True
    """
    text = f"{seed if seed is not None else _rates.seed}:{salt}:{declaration_id}"
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


# Conditions ---------------------------------------------------------------------------------------

PARTY_FIELDS = ("declarant", "importer", "exporter")
ITEM_FIELDS = ("origin", "hs", "procedure", "value_per_kg")
OPS: dict[str, tuple[str, ...]] = {
    "declarant": ("eq", "in"),
    "importer": ("eq", "in"),
    "exporter": ("eq", "in"),
    "country_of_export": ("eq", "in"),
    "transport_mode": ("eq", "in"),
    "origin": ("eq", "in"),
    "procedure": ("eq", "in"),
    "hs": ("prefix", "range"),
    "value_per_kg": ("lt", "gt"),
    "total_value": ("lt", "gt"),
}
"""Every field a condition may test and the operators it accepts."""


def _digits(value: object) -> bool:
    return isinstance(value, str) and value.isdigit() and 1 <= len(value) <= 10


def _number(value: object) -> bool:
    ok = isinstance(value, int | float | str) and not isinstance(value, bool)
    return ok and _dec(value) is not None


def _dec(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _value_error(field_name: str, op: str, value: object) -> str | None:
    """What is wrong with a clause's value, or None."""
    if op == "eq":
        return None if isinstance(value, str) and value.strip() else "must be a code"
    if op == "in":
        ok = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        return None if ok else "must be a non-empty list of codes"
    if op == "prefix":
        values = value if isinstance(value, list) else [value]
        ok = bool(values) and all(_digits(v) for v in values)
        return None if ok else "must be HS digits, or a list of them"
    if op == "range":
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(_digits(v) for v in value)
            and len(value[0]) == len(value[1])
            and value[0] <= value[1]
        )
        return None if ok else "must be [from, to]: HS digits of the same length, from <= to"
    if isinstance(value, dict) and field_name == "value_per_kg":
        reference = value.get("reference_price_per_kg")
        factor = value.get("factor", 1)
        unknown = set(value) - {"reference_price_per_kg", "factor"}
        ok = not unknown and _number(reference) and _number(factor)
        return None if ok else "must be a number or {reference_price_per_kg, factor}"
    return None if _number(value) else "must be a number"


def check_conditions(conditions: object, pointer: str = "/conditions") -> list[FieldError]:
    """Every error in a list of clauses, each pointing at its clause.

    >>> check_conditions([{"field": "hs", "op": "prefix", "value": "6403"}])
    []
    >>> [e.pointer for e in check_conditions([{"field": "hs", "op": "eq", "value": "6403"}])]
    ['/conditions/0/op']
    """
    if not isinstance(conditions, list) or not conditions:
        return [FieldError(pointer, "must be a non-empty list of clauses")]
    errors = []
    for i, clause in enumerate(conditions):
        at = f"{pointer}/{i}"
        if not isinstance(clause, dict):
            errors.append(FieldError(at, "must be {field, op, value}"))
            continue
        unknown = set(clause) - {"field", "op", "value"}
        if unknown:
            errors.append(FieldError(f"{at}/{sorted(unknown)[0]}", "is not part of a clause"))
        field_name, op = clause.get("field"), clause.get("op")
        if field_name not in OPS:
            errors.append(FieldError(f"{at}/field", f"use one of {', '.join(OPS)}"))
            continue
        if op not in OPS[str(field_name)]:
            ops = ", ".join(OPS[str(field_name)])
            errors.append(FieldError(f"{at}/op", f"{field_name} takes {ops}"))
            continue
        problem = _value_error(str(field_name), str(op), clause.get("value"))
        if problem:
            errors.append(FieldError(f"{at}/value", problem))
    return errors


def _codes_match(op: str, value: Any, candidate: str | None) -> bool:
    if candidate is None:
        return False
    if op == "eq":
        return candidate.upper() == str(value).strip().upper()
    return candidate.upper() in {str(v).strip().upper() for v in value}


def _hs_match(op: str, value: Any, code: str) -> bool:
    if op == "prefix":
        return any(code.startswith(p) for p in (value if isinstance(value, list) else [value]))
    low, high = value
    return bool(low <= code[: len(low)] <= high)


def _limit(value: Any) -> Decimal:
    if isinstance(value, dict):
        return Decimal(str(value["reference_price_per_kg"])) * Decimal(str(value.get("factor", 1)))
    return Decimal(str(value))


def _compare(op: str, amount: Decimal | None, limit: Decimal) -> bool:
    if amount is None:
        return False
    return amount < limit if op == "lt" else amount > limit


def _value_per_kg(item: GoodsItem) -> Decimal | None:
    if item.value is None or not item.net_mass_kg:
        return None
    return item.value.amount / item.net_mass_kg


def _total_value(body: DeclarationIn) -> Decimal | None:
    if body.invoice is not None:
        return body.invoice.amount
    values = [i.value.amount for i in body.items if i.value is not None]
    return sum(values, Decimal(0)) if values else None


def _declaration_clause(clause: Mapping[str, Any], body: DeclarationIn) -> bool:
    name, op, value = clause["field"], clause["op"], clause["value"]
    if name in PARTY_FIELDS:
        party = getattr(body, name)
        return _codes_match(op, value, party.identifier if party else None)
    if name == "country_of_export":
        return _codes_match(op, value, body.country_of_export)
    if name == "transport_mode":
        return _codes_match(op, value, body.transport.mode if body.transport else None)
    return _compare(op, _total_value(body), _limit(value))


def _item_clause(clause: Mapping[str, Any], item: GoodsItem) -> bool:
    name, op, value = clause["field"], clause["op"], clause["value"]
    if name == "origin":
        return _codes_match(op, value, item.origin)
    if name == "procedure":
        return _codes_match(op, value, item.procedure)
    if name == "hs":
        return _hs_match(op, value, item.commodity_code)
    return _compare(op, _value_per_kg(item), _limit(value))


def matches(conditions: Sequence[Mapping[str, Any]], body: DeclarationIn) -> bool:
    """Whether a declaration meets every clause (clauses are ANDed).

    Clauses on goods items (origin, hs, procedure, value_per_kg) must hold together on one
    item: "HS 6403 from CN" does not match Chinese handbags next to British shoes.
    """
    item_clauses = [c for c in conditions if c["field"] in ITEM_FIELDS]
    if not all(_declaration_clause(c, body) for c in conditions if c["field"] not in ITEM_FIELDS):
        return False
    if not item_clauses:
        return True
    return any(all(_item_clause(c, item) for c in item_clauses) for item in body.items)


# Selectivity -------------------------------------------------------------------------------------


def _reason(source: str, code: str, text: str) -> dict[str, str]:
    return {"source": source, "code": code, "text": text}


def _severest(channels: Sequence[str]) -> str:
    return max(channels, key=CHANNELS.index, default="green")


def _aware(moment: datetime) -> datetime:
    """A time without a zone is taken as UTC (what storage keeps)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _in_force(valid_from: date | None, valid_to: date | None, today: date) -> bool:
    return (valid_from is None or valid_from <= today) and (valid_to is None or today <= valid_to)


@dataclass
class Selection:
    """The decision and who must be told beyond the declarant (IPR right holders)."""

    decision: SelectivityDecision
    right_holders: list[int] = field(default_factory=list)

    @property
    def ipr_hit(self) -> bool:
        return bool(self.right_holders)


def _ipr_hits(records: Sequence[IprRecord], body: DeclarationIn) -> list[IprRecord]:
    hits = []
    for record in records:
        words = [k.lower() for k in record.keywords]
        for item in body.items:
            covered = any(item.commodity_code.startswith(p) for p in record.hs_prefixes)
            text = item.description.lower()
            if covered and any(word in text for word in words):
                hits.append(record)
                break
    return hits


def _parties(body: DeclarationIn, registered: Iterable[str] = ()) -> set[str]:
    """Every identifier the rules may know a party by: as named, and as registered."""
    named = (body.declarant, body.importer, body.exporter, body.representative)
    found = {p.identifier.upper() for p in named if p is not None and p.identifier}
    return found | {identifier.upper() for identifier in registered}


def _model_record(body: DeclarationIn, item: GoodsItem) -> dict[str, object]:
    """A goods item as the learned model reads it (its field names, see ``model.CSV_COLUMNS``)."""
    return {
        "office": body.office_of_lodgement or "",
        "process_type": body.additional_type,
        "import_type": body.type,
        "import_use": item.procedure,
        "payment_type": "",
        "transport_mode": body.transport.mode if body.transport else "",
        "declarant": body.declarant.identifier or "",
        "importer": body.importer.identifier if body.importer else "",
        "seller": (body.exporter.identifier or body.exporter.name) if body.exporter else "",
        "courier": "",
        "hs6": item.commodity_code[:6],
        "departure_country": body.country_of_export or "",
        "origin_country": item.origin or "",
        "tax_rate": 0.0,
        "tax_type": "",
        "origin_indicator": "Y" if item.preference else "N",
        "net_mass": float(item.net_mass_kg or 0),
        "item_price": float(item.value.amount) if item.value else 0.0,
    }


def _model_opinion(
    promoted: PromotedModel, body: DeclarationIn
) -> tuple[float, str, dict[str, str] | None]:
    """The highest item score, the channel it asks for, and the reason (with what drove it)."""
    records = [_model_record(body, item) for item in body.items]
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
    return score, channel, _reason("model", promoted.version, f"{text}: {drivers or 'no driver'}")


def select_channel(
    session: Session,
    declaration_id: int,
    body: DeclarationIn,
    *,
    organisation_is_aeo: bool = False,
    organisation_id: int | None = None,
    party_identifiers: Iterable[str] = (),
    declaration_number: str | None = None,
    now: datetime | None = None,
) -> Selection:
    """Choose the declaration's channel, store the decision with every reason, and say so.

    ``party_identifiers`` are the registered identifiers of the parties it names, however it
    names them: the watch list sees through a name or another identifier. Four reads (IPR
    records, watch list, profiles, fast lanes) and one write: milliseconds. The decision and its
    reasons are customs' own: the declarant is told only what the holds ask of it. Raises
    Conflict if the declaration already has a decision.
    """
    now = now or utcnow()
    refresh_rates(session)
    today = now.date()
    settings = _rates
    if session.scalar(
        select(SelectivityDecision.id).where(SelectivityDecision.declaration_id == declaration_id)
    ):
        raise Conflict(f"Declaration {declaration_id} already has a channel.")
    reasons: list[dict[str, str]] = []
    channels: list[str] = []

    iprs = session.scalars(
        select(IprRecord).where(
            IprRecord.removed_at.is_(None),
            or_(IprRecord.valid_to.is_(None), IprRecord.valid_to >= today),
        )
    ).all()
    ipr_hits = _ipr_hits(iprs, body)
    for record in ipr_hits:
        reasons.append(
            _reason("ipr", str(record.id), f"Goods may infringe the trade mark {record.trade_mark}")
        )
        channels.append("red")

    parties = _parties(body, party_identifiers)
    watched = session.scalars(
        select(WatchedParty).where(
            WatchedParty.removed_at.is_(None),
            or_(WatchedParty.valid_to.is_(None), WatchedParty.valid_to >= today),
        )
    ).all()
    for watch in watched:
        if watch.identifier.upper() in parties:
            reasons.append(_reason("watch", watch.identifier, watch.reason))
            channels.append(watch.channel)

    profiles = session.scalars(select(RiskProfile).where(RiskProfile.active.is_(True))).all()
    for profile in profiles:
        if _in_force(profile.valid_from, profile.valid_to, today) and matches(
            profile.conditions, body
        ):
            reasons.append(_reason("profile", f"{profile.code}/v{profile.version}", profile.reason))
            channels.append(profile.channel)

    lanes = session.scalars(select(FastLane).where(FastLane.removed_at.is_(None))).all()
    lanes = [lane for lane in lanes if _in_force(lane.valid_from, lane.valid_to, today)]

    def lane_of(item: GoodsItem) -> FastLane | None:
        return next((ln for ln in lanes if item.commodity_code.startswith(ln.hs_prefix)), None)

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
        promoted = _promoted
        if promoted is not None:
            score, wanted, because = _model_opinion(promoted, body)
            if because is not None:
                chance.append((wanted, because))
            exploration = settings.learning_rate * (settings.target_red + settings.target_yellow)
            if because is None and draw(declaration_id, "learning") < exploration:
                for_learning = True
                text = "Selected at random so that the learned model keeps learning"
                chance.append(("yellow", _reason("random", "learning", text)))
        yellow_by_chance = any(wanted == "yellow" for wanted, _ in chance)
        # An AEO keeps a chance selection with probability aeo_factor; rules still apply in full.
        if (
            organisation_is_aeo
            and yellow_by_chance
            and draw(declaration_id, "aeo") >= (settings.aeo_factor)
        ):
            chance = [(w, r) for w, r in chance if w != "yellow"]
            text = "Authorised economic operator: the random or model check is waived"
            reasons.append(_reason("aeo", "aeo", text))
            random_selected = False
        for wanted, because in chance:
            channels.append(wanted)
            reasons.append(because)

    decision = SelectivityDecision(
        declaration_id=declaration_id,
        organisation_id=organisation_id,
        channel=_severest(channels),
        reasons=reasons,
        score=score,
        random_selected=random_selected,
        for_learning=for_learning,
        decided_at=now,
    )
    session.add(decision)
    session.flush()
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


def _goods_for(record: IprRecord, body: DeclarationIn) -> list[dict[str, str]]:
    """What a right holder is shown of the goods: the items its record matched, nothing else."""
    words = [k.lower() for k in record.keywords]
    return [
        {
            "commodity_code": item.commodity_code,
            "description": item.description,
            "origin": item.origin or "",
            "quantity": f"{item.net_mass_kg} kg" if item.net_mass_kg is not None else "",
        }
        for item in body.items
        if any(item.commodity_code.startswith(p) for p in record.hs_prefixes)
        and any(w in item.description.lower() for w in words)
    ]


def ipr_detentions(session: Session, principal: Principal) -> Sequence[IprDetention]:
    """The detentions that concern the principal's recorded rights, newest first (all for
    customs)."""
    query = select(IprDetention).order_by(IprDetention.id.desc()).limit(500)
    if not is_customs(principal):
        query = query.where(IprDetention.right_holder_organisation_id == principal.organisation_id)
    return session.scalars(query).all()


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


def is_customs(principal: Principal) -> bool:
    return principal.has_role(CUSTOMS)


def require_customs(principal: Principal) -> None:
    """Refuse with 403 unless the principal is a customs office."""
    if not is_customs(principal):
        raise Forbidden("Only customs offices manage risk rules and inspections.")


# Profiles -----------------------------------------------------------------------------------------


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
    profile = RiskProfile(
        code=code,
        version=1,
        title=title,
        reason=reason,
        conditions=conditions,
        channel=channel,
        valid_from=valid_from,
        valid_to=valid_to,
        active=True,
        author=principal.actor,
        created_at=utcnow(),
    )
    session.add(profile)
    session.flush()
    _audit_profile(session, principal.actor, "risk.profile_created", profile, title)
    return profile


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
    profile = RiskProfile(
        code=current.code,
        version=current.version + 1,
        title=title,
        reason=reason,
        conditions=conditions,
        channel=channel,
        valid_from=valid_from,
        valid_to=valid_to,
        active=True,
        author=principal.actor,
        created_at=utcnow(),
    )
    session.add(profile)
    session.flush()
    _audit_profile(session, principal.actor, "risk.profile_versioned", profile, why)
    return profile


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
    since, until = _aware(since), _aware(until)
    seen = hits = 0
    found: list[int] = []
    for declaration_id, content in declarations.contents_between(session, since, until, limit):
        seen += 1
        if matches(conditions, DeclarationIn.model_validate(content)):
            hits += 1
            if len(found) < examples:
                found.append(declaration_id)
    return {"declarations": seen, "hits": hits, "examples": found}


# Watch list, fast lanes, IPR records ------------------------------------------------------------


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
    if not _digits(hs_prefix) or len(hs_prefix) < 2:
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
        if not _digits(p)
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


# Inspections and performance --------------------------------------------------------------------


def record_inspection(
    session: Session,
    principal: Principal,
    declaration_id: int,
    *,
    finding: str,
    revenue_recovered: Decimal = Decimal(0),
    currency: str,
    goods_seized: bool = False,
    notes: str = "",
) -> InspectionResult:
    """What the officer found on a controlled declaration; one result per declaration."""
    decision = session.scalar(
        select(SelectivityDecision).where(SelectivityDecision.declaration_id == declaration_id)
    )
    if decision is None:
        raise NotFound(f"No channel decision for declaration {declaration_id}.")
    errors = []
    if finding not in FINDINGS:
        errors.append(FieldError("/finding", f"use one of {', '.join(FINDINGS)}"))
    if revenue_recovered < 0:
        errors.append(FieldError("/revenue_recovered", "must not be negative"))
    if errors:
        raise InvalidInput("The inspection result is not valid.", errors)
    if session.scalar(
        select(InspectionResult.id).where(InspectionResult.declaration_id == declaration_id)
    ):
        raise Conflict(f"An inspection result for declaration {declaration_id} is recorded.")
    row = InspectionResult(
        declaration_id=declaration_id,
        officer=principal.actor,
        finding=finding,
        revenue_recovered=revenue_recovered,
        currency=currency,
        goods_seized=goods_seized,
        notes=notes,
        recorded_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="risk.inspection_recorded",
        subject_type="declaration",
        subject_id=declaration_id,
        organisation_id=decision.organisation_id,
        reason=notes or FINDINGS[finding],
        data={
            "finding": finding,
            "revenue_recovered": str(revenue_recovered),
            "currency": currency,
            "goods_seized": goods_seized,
        },
    )
    return row


def inspection_result_for(session: Session, declaration_id: int) -> InspectionResult | None:
    """The inspection result recorded on a declaration, if any."""
    return session.scalar(
        select(InspectionResult).where(InspectionResult.declaration_id == declaration_id)
    )


def inspection_results(session: Session, *, limit: int = 100) -> Sequence[InspectionResult]:
    return session.scalars(
        select(InspectionResult).order_by(InspectionResult.id.desc()).limit(limit)
    ).all()


def inspection_queue(session: Session, *, limit: int = 200) -> Sequence[SelectivityDecision]:
    """Yellow and red decisions still waiting for an inspection result, oldest first."""
    done = select(InspectionResult.id).where(
        InspectionResult.declaration_id == SelectivityDecision.declaration_id
    )
    return session.scalars(
        select(SelectivityDecision)
        .where(SelectivityDecision.channel.in_(("yellow", "red")), ~done.exists())
        .order_by(SelectivityDecision.decided_at, SelectivityDecision.id)
        .limit(limit)
    ).all()


def hit_rates(session: Session, since: datetime) -> list[dict[str, Any]]:
    """Per channel and source of selection: how many selected, inspected, and found at fault.

    A decision with several sources counts once under each; green decisions without a reason
    count under the source "none".
    """
    since = _aware(since)
    rows = session.execute(
        select(SelectivityDecision.channel, SelectivityDecision.reasons, InspectionResult.finding)
        .outerjoin(
            InspectionResult,
            InspectionResult.declaration_id == SelectivityDecision.declaration_id,
        )
        .where(SelectivityDecision.decided_at >= since)
    ).all()
    table: dict[tuple[str, str], list[int]] = {}
    for channel, reasons, finding in rows:
        for source in sorted({r["source"] for r in reasons} or {"none"}):
            counts = table.setdefault((channel, source), [0, 0, 0])
            counts[0] += 1
            counts[1] += finding is not None
            counts[2] += finding in ("minor", "major")
    return [
        {
            "channel": channel,
            "source": source,
            "selected": selected,
            "inspected": inspected,
            "with_findings": found,
            "hit_rate": found / inspected if inspected else None,
        }
        for (channel, source), (selected, inspected, found) in sorted(table.items())
    ]


# The learned model's lifecycle -------------------------------------------------------------------

#: Fewest labelled recent declarations (goods items) on which two models are compared.
MIN_RECENT_ROWS = 50
#: How far back inspection results are taken as recent data by default.
RECENT_DAYS = 90


def _judge(model: RiskModel, recent_frame: pd.DataFrame) -> tuple[dict[str, Any], list[float]]:
    """evaluate() of the model on labelled recent declarations, with its mean score."""
    from onewindow.risk.model import CSV_COLUMNS, evaluate

    frame = recent_frame.rename(columns={c: n for c, n in CSV_COLUMNS.items() if c in recent_frame})
    if "fraud" not in frame or "critical_fraud" not in frame:
        raise ValueError("recent declarations need the labels Fraud and Critical Fraud")
    scores = [float(x) for x in model.score(frame)]
    metrics: dict[str, Any] = dict(evaluate(scores, frame["fraud"], frame["critical_fraud"]))
    metrics["rows"] = len(scores)
    metrics["mean_score"] = sum(scores) / len(scores) if scores else 0.0
    metrics["fraud_rate"] = float(frame["fraud"].astype(float).mean()) if scores else 0.0
    return metrics, scores


def _finite(value: float) -> float:
    # JSON has no infinity: "nothing selected" is stored as a score no model reaches.
    return value if math.isfinite(value) else 2.0


def register_model(
    session: Session,
    model: RiskModel,
    *,
    source: str,
    recent_frame: pd.DataFrame,
    actor: str = ENGINE,
) -> RiskModelVersion:
    """Store a trained model as a candidate, judged on ``recent_frame`` (labelled declarations).

    Its red and yellow thresholds select the target red share and the target red plus yellow
    share of the recent declarations.
    """
    from onewindow.risk.model import threshold_for_rate

    metrics, scores = _judge(model, recent_frame)
    settings = _rates
    thresholds = {
        "red": _finite(threshold_for_rate(scores, settings.target_red * 100)),
        "yellow": _finite(
            threshold_for_rate(scores, (settings.target_red + settings.target_yellow) * 100)
        ),
    }
    now = utcnow()
    row = RiskModelVersion(
        version=f"{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}",
        trained_at=datetime.fromisoformat(model.metadata.trained_at),
        training_rows=model.metadata.training_rows,
        source=source[:500],
        metrics=metrics,
        thresholds=thresholds,
        status="candidate",
        blob=model.to_bytes(),
        created_at=now,
        promoted_at=None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="risk.model_registered",
        subject_type="risk_model",
        subject_id=row.id,
        reason=f"trained on {row.training_rows} declarations from {row.source}",
        data={"version": row.version, "metrics": metrics, "thresholds": thresholds},
    )
    return row


def model_versions(session: Session) -> Sequence[RiskModelVersion]:
    """Every stored model, newest first."""
    return session.scalars(select(RiskModelVersion).order_by(RiskModelVersion.id.desc())).all()


def get_model_version(session: Session, model_version_id: int) -> RiskModelVersion:
    row = session.get(RiskModelVersion, model_version_id)
    if row is None:
        raise NotFound(f"No risk model {model_version_id}.")
    return row


def promoted_version(session: Session) -> RiskModelVersion | None:
    return session.scalar(
        select(RiskModelVersion)
        .where(RiskModelVersion.status == "promoted")
        .order_by(RiskModelVersion.promoted_at.desc(), RiskModelVersion.id.desc())
        .limit(1)
    )


def _activate(row: RiskModelVersion) -> None:
    from onewindow.risk.model import RiskModel

    promote_model(
        PromotedModel(
            model=RiskModel.from_bytes(row.blob),
            red_threshold=float(row.thresholds["red"]),
            yellow_threshold=float(row.thresholds["yellow"]),
            version=row.version,
        )
    )


def promote_if_better(
    session: Session,
    candidate_id: int,
    *,
    recent_frame: pd.DataFrame,
    metric: str = "5",
    actor: str = ENGINE,
) -> tuple[bool, str]:
    """Promote the candidate if it beats the promoted model on the same recent declarations.

    Better means a higher precision at ``metric`` % selected, ties broken by the critical-fraud
    recall there. With no model promoted the candidate is promoted. The replaced model retires;
    the promoted one is put in use in this process.
    """
    from onewindow.risk.model import RiskModel

    candidate = get_model_version(session, candidate_id)
    if candidate.status != "candidate":
        return False, f"Model {candidate.version} is {candidate.status}, not a candidate."
    current = promoted_version(session)
    mine, _ = _judge(RiskModel.from_bytes(candidate.blob), recent_frame)
    if metric not in mine["precision_at"]:
        raise ValueError(f"no metric at {metric} %: use one of {', '.join(mine['precision_at'])}")
    ours = (mine["precision_at"][metric], mine["critical_recall_at"][metric])
    comparison: dict[str, Any] = {"metric": metric, "candidate": mine}
    if current is None:
        reason = "No model is promoted yet."
    else:
        theirs_metrics, _ = _judge(RiskModel.from_bytes(current.blob), recent_frame)
        comparison["promoted"] = theirs_metrics
        theirs = (
            theirs_metrics["precision_at"][metric],
            theirs_metrics["critical_recall_at"][metric],
        )
        figures = (
            f"precision@{metric}% {ours[0]:.3f} vs {theirs[0]:.3f}, "
            f"critical recall@{metric}% {ours[1]:.3f} vs {theirs[1]:.3f} "
            f"on {mine['rows']} recent declarations"
        )
        if ours <= theirs:
            reason = f"Not better than {current.version}: {figures}."
            audit.record(
                session,
                actor=actor,
                action="risk.model_refused",
                subject_type="risk_model",
                subject_id=candidate.id,
                reason=reason,
                data=comparison,
            )
            return False, reason
        reason = f"Better than {current.version}: {figures}."
        current.status = "retired"
    candidate.status = "promoted"
    candidate.promoted_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="risk.model_promoted",
        subject_type="risk_model",
        subject_id=candidate.id,
        reason=reason,
        data=comparison,
    )
    _activate(candidate)
    return True, reason


def load_promoted(session: Session) -> bool:
    """Put the promoted model stored in the database in use (at start-up); False if none."""
    row = promoted_version(session)
    if row is None:
        return False
    _activate(row)
    log.info("risk model %s in use", row.version)
    return True


def load_promoted_at_start(database_url: str | None = None) -> bool:
    """load_promoted in its own session; a database without the table (not migrated) or any
    other failure is logged and selectivity goes on without the model."""
    from onewindow.db import session_scope

    try:
        with session_scope(database_url) as session:
            refresh_rates(session, force=True)
            return load_promoted(session)
    except Exception:  # the service must start without a model
        log.warning("no risk model loaded", exc_info=True)
        return False


def _items_records(content: Mapping[str, Any]) -> list[dict[str, object]]:
    body = DeclarationIn.model_validate(content)
    return [_model_record(body, item) for item in body.items]


def training_frame_from_inspections(session: Session, since: datetime) -> pd.DataFrame:
    """Inspected declarations since ``since`` as labelled rows, one per goods item, in the
    model's internal field names.

    Our mapping of an inspection result to the data set's labels (for every item of the
    declaration): Fraud = 1 when the finding is minor or major, else 0; Critical Fraud = 2 when
    goods were seized, else 1 for a major finding, else 0.
    """
    import pandas as pd

    since = _aware(since)
    results = {
        r.declaration_id: (r, decided)
        for r, decided in session.execute(
            select(InspectionResult, SelectivityDecision.decided_at).join(
                SelectivityDecision,
                SelectivityDecision.declaration_id == InspectionResult.declaration_id,
            )
        ).all()
    }
    rows: list[dict[str, object]] = []
    until = utcnow() + timedelta(seconds=1)
    for declaration_id, content in declarations.contents_between(session, since, until, 1_000_000):
        found = results.get(declaration_id)
        if found is None:
            continue
        result, decided_at = found
        fraud = int(result.finding in ("minor", "major"))
        critical = 2 if result.goods_seized else int(result.finding == "major")
        for record in _items_records(content):
            rows.append(
                {
                    "declaration_id": declaration_id,
                    "date": _aware(decided_at).date().isoformat(),
                    **record,
                    "fraud": fraud,
                    "critical_fraud": critical,
                }
            )
    return pd.DataFrame(rows)


def enough_recent_data(frame: pd.DataFrame) -> str | None:
    """Why ``frame`` cannot judge models, or None when it can."""
    if len(frame) < MIN_RECENT_ROWS:
        return (
            f"Only {len(frame)} inspected goods items; at least {MIN_RECENT_ROWS} are needed "
            "to compare models."
        )
    if int(frame["fraud"].sum()) == 0:
        return "No inspection found anything: the recent data cannot tell models apart."
    return None


def drift_report(
    session: Session, model_version_id: int | None = None, since: datetime | None = None
) -> dict[str, Any]:
    """How recent declarations differ from what the model learned on.

    Per feature group, the share of recent values the training data never had; the mean score
    now against the mean score on the data the model was judged on; selection and hit rates now
    (from inspection results) against the model's measured precision.
    """
    from onewindow.risk.model import RiskModel

    now = utcnow()
    since = _aware(since) if since is not None else now - timedelta(days=30)
    row = (
        get_model_version(session, model_version_id)
        if model_version_id is not None
        else promoted_version(session)
    )
    report: dict[str, Any] = {
        "model": None,
        "since": since.isoformat(),
        "declarations": 0,
        "items": 0,
        "unseen_share": {},
        "flagged": [],
        "mean_score": {"recent": None, "judged": None},
        "fraud_rate": {"training": None, "judged": None},
        "selection": {},
    }
    decisions = session.execute(
        select(SelectivityDecision, InspectionResult.finding)
        .outerjoin(
            InspectionResult,
            InspectionResult.declaration_id == SelectivityDecision.declaration_id,
        )
        .where(SelectivityDecision.decided_at >= since)
    ).all()
    selected = sum(d.channel in ("yellow", "red") for d, _ in decisions)
    by_model = sum(any(r["source"] == "model" for r in d.reasons) for d, _ in decisions)
    inspected = [f for _, f in decisions if f is not None]
    found = sum(f in ("minor", "major") for f in inspected)
    report["selection"] = {
        "decisions": len(decisions),
        "selection_rate": selected / len(decisions) if decisions else None,
        "model_selection_rate": by_model / len(decisions) if decisions else None,
        "target_selection_rate": _rates.target_red + _rates.target_yellow,
        "inspected": len(inspected),
        "hit_rate": found / len(inspected) if inspected else None,
        "model_precision": None,
    }
    if row is None:
        report["reason"] = "No model is promoted."
        return report
    model = RiskModel.from_bytes(row.blob)
    decided = {d.declaration_id for d, _ in decisions}
    records: list[dict[str, object]] = []
    for declaration_id, content in declarations.contents_between(
        session, since - timedelta(days=1), now + timedelta(seconds=1), 100_000
    ):
        if declaration_id in decided:
            report["declarations"] += 1
            records += _items_records(content)
    shares = model.unseen_shares(records)
    judged_unseen = 0.5  # a group where half the recent values are new is flagged
    report["model"] = {"id": row.id, "version": row.version, "status": row.status}
    report["items"] = len(records)
    report["unseen_share"] = shares
    report["flagged"] = [g for g, share in shares.items() if records and share >= judged_unseen]
    report["mean_score"] = {
        "recent": (sum(model.score_one(r) for r in records) / len(records)) if records else None,
        "judged": row.metrics.get("mean_score"),
    }
    report["fraud_rate"] = {
        "training": model.training_fraud_rate,
        "judged": row.metrics.get("fraud_rate"),
    }
    share = round((_rates.target_red + _rates.target_yellow) * 100)
    precision = row.metrics.get("precision_at", {})
    report["selection"]["model_precision"] = precision.get(
        str(share), precision.get("10") if precision else None
    )
    return report
