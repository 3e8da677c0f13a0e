"""Risk assessment of cargo before arrival: entry summaries against cargo profiles and the
watch list, with every reason.

A cargo profile's channel says what customs asks of the carrier: red, "do not load" (the goods
must not be loaded, or must be held on board); yellow, "inspect on arrival". Watched parties
named as consignor or consignee ask for inspection on arrival.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow.risk.conditions import CargoFacts, matches_cargo
from onewindow.risk.dates import in_force
from onewindow.risk.models import RiskProfile
from onewindow.risk.rules import watches_in_force

RELEASE, INSPECT_ON_ARRIVAL, DO_NOT_LOAD = "release", "inspect", "do_not_load"
DECISION_LABELS = {
    RELEASE: "No control",
    INSPECT_ON_ARRIVAL: "Inspect on arrival",
    DO_NOT_LOAD: "Do not load",
}
_BY_CHANNEL = {"red": DO_NOT_LOAD, "yellow": INSPECT_ON_ARRIVAL}
_ORDER = (RELEASE, INSPECT_ON_ARRIVAL, DO_NOT_LOAD)


@dataclass(frozen=True)
class CargoDecision:
    decision: str
    reasons: list[dict[str, str]]


def assess_cargo(session: Session, facts: CargoFacts, today: date) -> CargoDecision:
    """The control a consignment needs before arrival, and why (two reads, no write)."""
    reasons: list[dict[str, str]] = []
    decisions = [RELEASE]
    parties = {p.upper() for p in (*facts.consignors, *facts.consignees)}
    for watch in watches_in_force(session, today):
        if watch.identifier.upper() in parties:
            reasons.append({"source": "watch", "code": watch.identifier, "text": watch.reason})
            decisions.append(INSPECT_ON_ARRIVAL)
    profiles = session.scalars(select(RiskProfile).where(RiskProfile.active.is_(True))).all()
    for profile in profiles:
        if in_force(profile.valid_from, profile.valid_to, today) and matches_cargo(
            profile.conditions, facts
        ):
            code = f"{profile.code}/v{profile.version}"
            reasons.append({"source": "profile", "code": code, "text": profile.reason})
            decisions.append(_BY_CHANNEL.get(profile.channel, INSPECT_ON_ARRIVAL))
    return CargoDecision(max(decisions, key=_ORDER.index), reasons)
