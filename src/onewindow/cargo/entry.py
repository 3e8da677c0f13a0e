"""Entry summary declarations (safety and security advance cargo information), ICS CC315A.

Each message is checked against its schema and its business rules, both loaded as data (the rule
set is configuration: ``ens_rules_dir``); every error comes back at once with its code, text and
the XPath of the offending element. An accepted entry summary gets a movement reference number and
is assessed before arrival against the cargo profiles; a "do not load" or "inspect on arrival"
decision reaches the carrier. The carrier's local reference number is the idempotency key.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.cargo.access import require
from onewindow.cargo.calls import find_call
from onewindow.cargo.models import EntrySummary
from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.errors import Conflict, FieldError, InvalidInput, NotFound
from onewindow.events import record_event
from onewindow.formats import ens
from onewindow.parties import service as parties
from onewindow.risk import service as risk
from onewindow.security import Principal, Role

MODES = {"1": "sea", "4": "air", "2": "rail", "3": "road"}


def _json(value: Any) -> Any:
    """A summary as JSON (dates and decimals as text)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if value is None or isinstance(value, str | int | bool | float):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def facts(summary: ens.EntrySummary) -> risk.CargoFacts:
    """What the cargo profiles look at in an entry summary."""

    def names(parties_: Sequence[ens.Party | None]) -> tuple[str, ...]:
        return tuple(
            sorted({v.upper() for p in parties_ if p for v in (p.identifier, p.name) if v})
        )

    return risk.CargoFacts(
        consignors=names([i.consignor for i in summary.items]),
        consignees=names([i.consignee for i in summary.items]),
        route=tuple(summary.itinerary),
        descriptions=tuple(i.description for i in summary.items if i.description),
        hs_codes=tuple(i.commodity_code for i in summary.items if i.commodity_code),
        containers=tuple(c for i in summary.items for c in i.containers),
        mode=summary.transport_mode,
    )


def check(xml: bytes) -> ens.EnsResult:
    """Check a message against the configured rule set (nothing stored)."""
    return ens.check_entry_summary(xml, get_settings().ens_rules_dir)


def lodge_entry_summary(session: Session, principal: Principal, xml: bytes) -> EntrySummary:
    """Check, store and assess an entry summary; the same LRN and message again gives back the
    first answer. A refused message is kept with its errors so the carrier can see them; a new
    attempt under the same LRN replaces a refused one."""
    require(principal, "cargo:write", Role.CARRIER)
    result = check(xml)
    digest = hashlib.sha256(xml).hexdigest()
    lrn = result.summary.lrn if result.summary else f"refused-{digest[:20]}"
    found = session.scalar(
        select(EntrySummary)
        .where(EntrySummary.carrier_id == principal.organisation_id, EntrySummary.lrn == lrn)
        .with_for_update()
    )
    if found is not None and found.digest == digest:
        return found
    if found is not None and found.accepted:
        raise Conflict(
            f"Entry summary {lrn} was accepted as {found.number}; amend it with an amendment "
            "message, not a new one."
        )
    row = found or EntrySummary(carrier_id=principal.organisation_id, lrn=lrn)
    row.digest = digest
    row.accepted = result.accepted
    row.errors = [dataclasses.asdict(e) for e in result.errors]
    row.summary = _json(result.summary) if result.summary else {}
    row.lodged_at = utcnow()
    row.decision, row.reasons = None, []
    if found is None:
        session.add(row)
    session.flush()
    if result.accepted and result.summary is not None:
        _accept(session, row, result.summary)
    _recorded(session, principal, row)
    return row


def _accept(session: Session, row: EntrySummary, summary: ens.EntrySummary) -> None:
    settings = get_settings()
    row.number = f"{row.lodged_at:%y}{settings.country}E{row.id:011d}"
    mode = MODES.get(summary.transport_mode or "")
    identity = summary.transport_identity
    call = find_call(session, identity, None) if identity and mode else None
    row.call_id = call.id if call else None
    decision = risk.assess_cargo(session, facts(summary), row.lodged_at.date())
    row.decision = decision.decision
    row.reasons = decision.reasons


def _recorded(session: Session, principal: Principal, row: EntrySummary) -> None:
    outcome = "accepted" if row.accepted else "rejected"
    data = {"reference": row.number or row.lrn, "lrn": row.lrn, "number": row.number}
    audit.record(
        session,
        actor=principal.actor,
        action=f"entry_summary.{outcome}",
        subject_type="entry_summary",
        subject_id=row.id,
        organisation_id=row.carrier_id,
        data={**data, "decision": row.decision},
    )
    record_event(
        session,
        f"cargo.entry_summary_{outcome}",
        "entry_summary",
        row.id,
        data,
        organisation_id=row.carrier_id,
    )
    if row.decision in (risk.INSPECT_ON_ARRIVAL, risk.DO_NOT_LOAD):
        # The carrier is told what to do, never why (targeting is customs' own).
        topic = f"cargo.{row.decision}"
        record_event(session, topic, "entry_summary", row.id, data, organisation_id=row.carrier_id)
        for office in parties.organisations_with_role(session, Role.CUSTOMS):
            record_event(
                session,
                topic,
                "entry_summary",
                row.id,
                {**data, "reason": "; ".join(r["text"] for r in row.reasons)},
                organisation_id=office.id,
            )


def list_entry_summaries(
    session: Session, principal: Principal, *, open_only: bool = False, limit: int = 200
) -> Sequence[EntrySummary]:
    """A carrier's own entry summaries; customs sees all (``open_only``: controls to resolve)."""
    require(principal, "cargo:read", Role.CARRIER, Role.CUSTOMS)
    query = select(EntrySummary).order_by(EntrySummary.id.desc()).limit(limit)
    if not principal.has_role(Role.CUSTOMS):
        query = query.where(EntrySummary.carrier_id == principal.organisation_id)
    if open_only:
        query = query.where(
            EntrySummary.decision.in_((risk.INSPECT_ON_ARRIVAL, risk.DO_NOT_LOAD)),
            EntrySummary.resolved_at.is_(None),
        )
    return session.scalars(query).all()


def get_entry_summary(session: Session, principal: Principal, summary_id: int) -> EntrySummary:
    require(principal, "cargo:read", Role.CARRIER, Role.CUSTOMS)
    row = session.get(EntrySummary, summary_id)
    if row is None or not (
        principal.has_role(Role.CUSTOMS) or row.carrier_id == principal.organisation_id
    ):
        raise NotFound(f"No entry summary {summary_id}.")
    return row


def resolve(
    session: Session, principal: Principal, summary_id: int, resolution: str
) -> EntrySummary:
    """Customs records how a control of cargo before arrival ended (inspected, cleared to load)."""
    require(principal, "cargo:control", Role.CUSTOMS)
    row = get_entry_summary(session, principal, summary_id)
    if row.decision not in (risk.INSPECT_ON_ARRIVAL, risk.DO_NOT_LOAD):
        raise Conflict("This entry summary asks for no control.")
    if row.resolved_at is not None:
        raise Conflict("The control was already resolved.")
    if not resolution.strip():
        raise InvalidInput("Say how it ended.", [FieldError("/resolution", "must not be empty")])
    row.resolved_at = utcnow()
    row.resolution = resolution.strip()
    audit.record(
        session,
        actor=principal.actor,
        action="entry_summary.resolved",
        subject_type="entry_summary",
        subject_id=row.id,
        organisation_id=row.carrier_id,
        reason=row.resolution,
    )
    record_event(
        session,
        "cargo.control_resolved",
        "entry_summary",
        row.id,
        {"reference": row.number or row.lrn, "lrn": row.lrn, "reason": row.resolution},
        organisation_id=row.carrier_id,
    )
    return row
