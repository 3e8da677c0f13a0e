"""Vessel and flight calls: announced, arrived, cleared to leave, departed.

A carrier announces its own calls; a port authority announces calls for any carrier and records
arrival, departure clearance and departure. Departure clearance is refused while the call has
open matters, each named.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.cargo.access import require
from onewindow.cargo.identifiers import transport_problem
from onewindow.cargo.models import (
    Call,
    ContainerOnDocument,
    EntrySummary,
    Manifest,
    TerminalEvent,
    TransportDocument,
)
from onewindow.cargo.schemas import CallIn
from onewindow.db import utcnow
from onewindow.errors import Conflict, FieldError, InvalidInput, NotFound
from onewindow.events import record_event
from onewindow.parties import service as parties
from onewindow.reference import service as reference
from onewindow.security import Principal, Role

EXPECTED, ARRIVED, CLEARED, DEPARTED = "expected", "arrived", "cleared", "departed"
STATUS_LABELS = {
    EXPECTED: "Expected",
    ARRIVED: "Arrived",
    CLEARED: "Cleared to depart",
    DEPARTED: "Departed",
}


def _carrier_for(session: Session, principal: Principal, body: CallIn) -> tuple[int, list[str]]:
    """Whose call it is: the carrier's own, or the carrier a port authority names."""
    if principal.has_role(Role.CARRIER) and not body.carrier:
        return principal.organisation_id, []
    if not principal.has_role(Role.PORT_AUTHORITY):
        return principal.organisation_id, ["/carrier: a carrier announces its own calls only"]
    if not body.carrier:
        return 0, ["/carrier: name the carrier by its EORI or TIN"]
    carrier = parties.organisations_identified(session, [body.carrier]).get(
        body.carrier.strip().upper()
    )
    if carrier is None or Role.CARRIER not in carrier.role_names:
        return 0, [f"/carrier: no registered carrier {body.carrier}"]
    return carrier.id, []


def register_call(session: Session, principal: Principal, body: CallIn) -> Call:
    """Announce a call; every error at once. The same transport, voyage and port is one call."""
    require(principal, "cargo:write", Role.CARRIER, Role.PORT_AUTHORITY)
    carrier_id, problems = _carrier_for(session, principal, body)
    errors = [FieldError(*p.split(": ", 1)) for p in problems]
    problem = transport_problem(body.mode, body.transport_id)
    if problem:
        errors.append(FieldError("/transport_id", problem))
    if body.port not in reference.lookups(session).locodes:
        errors.append(FieldError("/port", f"{body.port} is not a UN/LOCODE"))
    if body.eta.tzinfo is None or (body.etd is not None and body.etd.tzinfo is None):
        errors.append(FieldError("/eta", "give the time zone, e.g. 2026-12-02T08:00:00Z"))
    elif body.etd is not None and body.etd < body.eta:
        errors.append(FieldError("/etd", "departure cannot be before arrival"))
    if errors:
        raise InvalidInput("The call cannot be registered.", errors)
    found = session.scalar(
        select(Call).where(
            Call.transport_id == body.transport_id,
            Call.voyage == body.voyage,
            Call.port == body.port,
        )
    )
    if found is not None:
        raise Conflict(f"Call {found.id} is already registered for this voyage and port.")
    call = Call(
        mode=body.mode,
        transport_id=body.transport_id,
        transport_name=body.transport_name,
        voyage=body.voyage,
        port=body.port,
        carrier_id=carrier_id,
        status=EXPECTED,
        eta=body.eta,
        etd=body.etd,
        registered_by=principal.actor,
        created_at=utcnow(),
    )
    session.add(call)
    session.flush()
    _recorded(session, principal.actor, call, "registered")
    return call


def _recorded(session: Session, actor: str, call: Call, what: str, reason: str = "") -> None:
    data = {"transport": call.transport_id, "voyage": call.voyage, "port": call.port}
    audit.record(
        session,
        actor=actor,
        action=f"call.{what}",
        subject_type="call",
        subject_id=call.id,
        organisation_id=call.carrier_id,
        reason=reason,
        data=data,
    )
    record_event(
        session,
        f"cargo.call_{what}",
        "call",
        call.id,
        {
            **data,
            "reference": f"{call.transport_name or call.transport_id} {call.voyage}",
            "reason": reason,
        },
        organisation_id=call.carrier_id,
    )


def list_calls(session: Session, principal: Principal, limit: int = 200) -> Sequence[Call]:
    """Calls, latest expected first: a carrier's own; every call for the port and customs."""
    require(principal, "cargo:read")
    query = select(Call).order_by(Call.eta.desc(), Call.id.desc()).limit(limit)
    if not principal.has_role(Role.PORT_AUTHORITY, Role.CUSTOMS, Role.TERMINAL_OPERATOR):
        query = query.where(Call.carrier_id == principal.organisation_id)
    return session.scalars(query).all()


def get_call(session: Session, principal: Principal, call_id: int) -> Call:
    require(principal, "cargo:read")
    call = session.get(Call, call_id)
    sees = principal.has_role(Role.PORT_AUTHORITY, Role.CUSTOMS, Role.TERMINAL_OPERATOR)
    if call is None or not (sees or call.carrier_id == principal.organisation_id):
        raise NotFound(f"No call {call_id}.")
    return call


def _for_update(session: Session, principal: Principal, call_id: int) -> Call:
    call = get_call(session, principal, call_id)
    session.flush()  # a refresh must not undo what this transaction changed already
    session.refresh(call, with_for_update=True)
    return call


def record_arrival(
    session: Session, principal: Principal, call_id: int, at: datetime | None = None
) -> Call:
    """The means of transport arrived (port authority, or the carrier for its own call)."""
    require(principal, "cargo:write", Role.PORT_AUTHORITY, Role.CARRIER)
    call = _for_update(session, principal, call_id)
    if call.status != EXPECTED:
        raise Conflict(f"The call is {STATUS_LABELS[call.status].lower()}, not expected.")
    call.arrived_at = at or utcnow()
    call.status = ARRIVED
    _recorded(session, principal.actor, call, "arrived")
    return call


def open_matters(session: Session, call: Call) -> list[str]:
    """What must be settled before the call may be cleared to depart, in words."""
    matters = []
    if call.arrived_at is None:
        matters.append("the arrival has not been recorded")
    controls = session.scalar(
        select(func.count(EntrySummary.id)).where(
            EntrySummary.call_id == call.id,
            EntrySummary.decision.in_(("inspect", "do_not_load")),
            EntrySummary.resolved_at.is_(None),
        )
    )
    if controls:
        matters.append(f"{controls} customs control(s) of cargo on board are not resolved")
    discharged = exists().where(
        TerminalEvent.subject == ContainerOnDocument.number,
        TerminalEvent.kind == "discharged",
    )
    aboard = session.scalars(
        select(ContainerOnDocument.number)
        .join(TransportDocument, TransportDocument.id == ContainerOnDocument.document_id)
        .join(Manifest, Manifest.id == TransportDocument.manifest_id)
        .where(
            Manifest.call_id == call.id,
            Manifest.status != "cancelled",
            TransportDocument.port_of_discharge.in_((call.port,))
            | TransportDocument.port_of_discharge.is_(None),
            ~discharged,
        )
        .distinct()
        .limit(6)
    ).all()
    if aboard:
        shown = ", ".join(aboard[:5]) + (" and more" if len(aboard) > 5 else "")
        matters.append(f"containers manifested for discharge here were not discharged: {shown}")
    return matters


def clear_departure(session: Session, principal: Principal, call_id: int, reason: str) -> Call:
    """The port authority clears the call to depart; refused with every open matter."""
    require(principal, "cargo:write", Role.PORT_AUTHORITY)
    call = _for_update(session, principal, call_id)
    if call.status != ARRIVED:
        raise Conflict(f"The call is {STATUS_LABELS[call.status].lower()}, not arrived.")
    matters = open_matters(session, call)
    if matters:
        raise Conflict("The call cannot be cleared to depart: " + "; ".join(matters) + ".")
    call.cleared_at = utcnow()
    call.status = CLEARED
    _recorded(session, principal.actor, call, "cleared", reason)
    return call


def record_departure(
    session: Session, principal: Principal, call_id: int, at: datetime | None = None
) -> Call:
    """The means of transport left, after its clearance."""
    require(principal, "cargo:write", Role.PORT_AUTHORITY, Role.CARRIER)
    call = _for_update(session, principal, call_id)
    if call.status != CLEARED:
        raise Conflict("A call departs only after it was cleared to depart.")
    call.departed_at = at or utcnow()
    call.status = DEPARTED
    _recorded(session, principal.actor, call, "departed")
    return call


def find_call(
    session: Session, transport_id: str, port: str | None, *, departed: bool = False
) -> Call | None:
    """The open call of this means of transport (at this port, when known), latest first;
    ``departed`` calls too when asked."""
    query = select(Call).where(Call.transport_id == transport_id)
    if not departed:
        query = query.where(Call.status != DEPARTED)
    if port:
        query = query.where(Call.port == port)
    return session.scalar(query.order_by(Call.eta.desc()).limit(1))


def transport_is_called(session: Session, transport_id: str | None) -> bool:
    """Whether this means of transport has any registered call (it is under cargo control)."""
    if not transport_id:
        return False
    return bool(session.scalar(select(exists().where(and_(Call.transport_id == transport_id)))))


def arrivals(session: Session, transport_ids: Sequence[str]) -> dict[str, list[datetime]]:
    """When each of these means of transport arrived on its calls, oldest first."""
    found: dict[str, list[datetime]] = {}
    if not transport_ids:
        return found
    for transport_id, at in session.execute(
        select(Call.transport_id, Call.arrived_at)
        .where(Call.transport_id.in_(list(transport_ids)), Call.arrived_at.is_not(None))
        .order_by(Call.arrived_at)
    ):
        if at is not None:
            found.setdefault(transport_id, []).append(at)
    return found
