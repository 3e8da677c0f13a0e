"""The terminal's side: what happened to cargo (discharge, gate-in, stripping, gate-out, loading)
and whether cargo may leave the gate.

A terminal reports each event once; the same event again (same terminal, kind, container or
document and time) is recognised and not counted twice. Events that come out of their natural
order are kept and flagged. The gate lets out released cargo only: anything else is "no", with
the reasons, and a gate-out of unreleased cargo alerts customs at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.cargo.access import require
from onewindow.cargo.identifiers import container_problem
from onewindow.cargo.manifests import CANCELLED
from onewindow.cargo.models import ContainerOnDocument, Manifest, TerminalEvent, TransportDocument
from onewindow.cargo.schemas import TerminalEventIn
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.errors import FieldError, InvalidInput
from onewindow.events import record_event
from onewindow.parties import service as parties
from onewindow.security import Principal, Role

SEQUENCES = (("discharged", "stripped", "gated_out"), ("gated_in", "loaded"))
"""The natural order of events: imports come off the ship and out of the gate, exports in by the
gate and onto the ship."""

KIND_LABELS = {
    "discharged": "Discharged",
    "stripped": "Stripped (unpacked)",
    "gated_out": "Gated out",
    "gated_in": "Gated in",
    "loaded": "Loaded",
}


@dataclass(frozen=True)
class GateDecision:
    subject: str
    may_leave: bool
    reasons: list[str]
    declarations: list[str]


def _subject(body: TerminalEventIn) -> tuple[str, str]:
    errors = []
    if (body.container is None) == (body.document is None):
        errors.append(FieldError("/container", "give a container number or a document, not both"))
    elif body.container is not None:
        problem = container_problem(body.container)
        if problem:
            errors.append(FieldError("/container", problem))
    if body.occurred_at.tzinfo is None:
        errors.append(FieldError("/occurred_at", "give the time zone, e.g. 2026-12-02T08:00:00Z"))
    elif body.occurred_at > utcnow():
        errors.append(FieldError("/occurred_at", "is in the future"))
    if errors:
        raise InvalidInput("The event cannot be recorded.", errors)
    if body.container is not None:
        return body.container, "container"
    assert body.document is not None
    return body.document.upper(), "document"


def _out_of_order(session: Session, kind: str, subject: str, body: TerminalEventIn) -> str | None:
    """Why this event is out of its natural order, or None."""
    sequence = next(s for s in SEQUENCES if kind in s)
    earlier = sequence[: sequence.index(kind)]
    seen = {
        row.kind: row.occurred_at
        for row in session.scalars(
            select(TerminalEvent).where(
                TerminalEvent.subject == subject, TerminalEvent.kind.in_(sequence)
            )
        )
    }
    later = [k for k in sequence[sequence.index(kind) + 1 :] if k in seen]
    if later and any(seen[k] < body.occurred_at for k in later):
        return f"reported after {KIND_LABELS[later[0]].lower()} of an earlier time"
    if earlier and earlier[0] not in seen:
        return f"no {KIND_LABELS[earlier[0]].lower()} was reported before"
    return None


def report_event(
    session: Session, principal: Principal, body: TerminalEventIn
) -> tuple[TerminalEvent, bool]:
    """Record a terminal's event; (event, whether it was a duplicate of one already recorded)."""
    require(principal, "cargo:write", Role.TERMINAL_OPERATOR)
    subject, subject_kind = _subject(body)
    key = (
        TerminalEvent.terminal_id == principal.organisation_id,
        TerminalEvent.kind == body.kind,
        TerminalEvent.subject == subject,
        TerminalEvent.occurred_at == body.occurred_at,
    )
    found = session.scalar(select(TerminalEvent).where(*key))
    if found is not None:
        return found, True
    row = TerminalEvent(
        terminal_id=principal.organisation_id,
        kind=body.kind,
        subject=subject,
        subject_kind=subject_kind,
        location=body.location,
        occurred_at=body.occurred_at,
        reported_at=utcnow(),
        reported_by=principal.actor,
        out_of_order=_out_of_order(session, body.kind, subject, body),
    )
    if body.kind == "gated_out":
        answer = gate_answer(session, subject, subject_kind)
        if not answer.may_leave:
            row.unreleased = "; ".join(answer.reasons)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # The same event reported twice at once: the first one counts.
        return session.scalars(select(TerminalEvent).where(*key)).one(), True
    _recorded(session, principal, row)
    return row, False


def _recorded(session: Session, principal: Principal, row: TerminalEvent) -> None:
    data = {
        "kind": row.kind,
        "subject": row.subject,
        "occurred_at": row.occurred_at.isoformat(),
        "out_of_order": row.out_of_order,
    }
    record_event(
        session,
        f"cargo.{row.kind}",
        row.subject_kind,
        row.subject,
        data,
        organisation_id=principal.organisation_id,
    )
    if row.unreleased is None:
        return
    # Cargo left that customs did not release: every customs office is told at once.
    for office in parties.organisations_with_role(session, Role.CUSTOMS):
        audit.record(
            session,
            actor=principal.actor,
            action="cargo.unreleased_gate_out",
            subject_type=row.subject_kind,
            subject_id=row.subject,
            organisation_id=office.id,
            reason=row.unreleased,
            data=data,
        )
        record_event(
            session,
            "cargo.unreleased_gate_out",
            row.subject_kind,
            row.subject,
            {
                **data,
                "reference": row.subject,
                "reason": f"{principal.organisation_name}: {row.unreleased}",
            },
            organisation_id=office.id,
        )


def documents_for(session: Session, subject: str, subject_kind: str) -> list[TransportDocument]:
    """The documents in force whose goods a container carries, or the document itself; a master
    split into house documents stands for its houses (the houses are what is declared)."""
    query = (
        select(TransportDocument)
        .join(Manifest, Manifest.id == TransportDocument.manifest_id)
        .where(Manifest.status != CANCELLED)
    )
    if subject_kind == "container":
        query = query.join(
            ContainerOnDocument, ContainerOnDocument.document_id == TransportDocument.id
        ).where(ContainerOnDocument.number == subject)
    else:
        query = query.where(TransportDocument.number == subject)
    found = list(session.scalars(query.order_by(TransportDocument.id)).unique())
    masters = [d.number for d in found if d.kind == "master"]
    if masters:
        houses = session.scalars(
            select(TransportDocument)
            .join(Manifest, Manifest.id == TransportDocument.manifest_id)
            .where(TransportDocument.master_number.in_(masters), Manifest.status != CANCELLED)
        ).all()
        split = {h.master_number for h in houses}
        found = [d for d in found if d.number not in split] + [h for h in houses if h not in found]
    return found


def _status_text(status: str) -> str:
    return declarations.status_label(status).lower()


def gate_answer(session: Session, subject: str, subject_kind: str) -> GateDecision:
    """Whether cargo may leave: yes only when every document it carries is covered by a released
    declaration; otherwise no, with each reason (not declared, not released and why)."""
    documents = documents_for(session, subject, subject_kind)
    numbers = [d.number for d in documents]
    containers = [subject] if subject_kind == "container" else []
    covering = declarations.covering(session, documents=numbers, containers=containers)
    reasons: list[str] = []
    declared = {n for d in covering for n in declarations.cargo_of(session, d.id)[0]}
    container_declared = any(
        subject in declarations.cargo_of(session, d.id)[1] for d in covering if containers
    )
    for document in documents:
        if document.number not in declared and not container_declared:
            reasons.append(f"{document.number} is not declared")
    if not documents and not covering:
        reasons.append(f"{subject} is on no manifest and no declaration")
    for declaration in covering:
        if declaration.status != "released":
            held = [h for h in declarations.open_holds(declaration) if h.kind != "payment"]
            why = ", held by customs" if held else ""
            reasons.append(
                f"declaration {declaration.number} is not released: "
                f"{_status_text(declaration.status)}{why}"
            )
    return GateDecision(
        subject=subject,
        may_leave=not reasons,
        reasons=reasons,
        declarations=[d.number for d in covering if d.number],
    )


def ask_gate(
    session: Session, principal: Principal, *, container: str | None, document: str | None
) -> GateDecision:
    """A terminal (or customs) asks whether a container or consignment may leave."""
    require(principal, "cargo:read", Role.TERMINAL_OPERATOR, Role.CUSTOMS)
    if (container is None) == (document is None):
        raise InvalidInput(
            "Ask about a container or a document.",
            [FieldError("/container", "give a container number or a document, not both")],
        )
    if container is not None:
        problem = container_problem(container.strip().upper())
        if problem:
            raise InvalidInput(
                "The container number is wrong.", [FieldError("/container", problem)]
            )
        return gate_answer(session, container.strip().upper(), "container")
    assert document is not None
    return gate_answer(session, document.strip().upper(), "document")


def list_events(
    session: Session, principal: Principal, *, subject: str | None = None, limit: int = 200
) -> Sequence[TerminalEvent]:
    """A terminal's own events (customs: everyone's), latest first."""
    require(principal, "cargo:read", Role.TERMINAL_OPERATOR, Role.CUSTOMS)
    query = select(TerminalEvent).order_by(TerminalEvent.occurred_at.desc()).limit(limit)
    if not principal.has_role(Role.CUSTOMS):
        query = query.where(TerminalEvent.terminal_id == principal.organisation_id)
    if subject:
        query = query.where(TerminalEvent.subject == subject.strip().upper())
    return session.scalars(query).all()


def at_terminal(
    session: Session, principal: Principal, limit: int = 100
) -> list[tuple[TerminalEvent, GateDecision]]:
    """Import cargo the terminal discharged and has not let out yet, oldest first, each with
    the gate's answer now: the terminal's work list (what may go, what must stay and why)."""
    require(principal, "cargo:read", Role.TERMINAL_OPERATOR)
    out = TerminalEvent.__table__.alias("gone")
    gone = exists().where(out.c.subject == TerminalEvent.subject, out.c.kind == "gated_out")
    rows = session.scalars(
        select(TerminalEvent)
        .where(
            TerminalEvent.terminal_id == principal.organisation_id,
            TerminalEvent.kind == "discharged",
            ~gone,
        )
        .order_by(TerminalEvent.occurred_at)
        .limit(limit)
    ).all()
    return [(row, gate_answer(session, row.subject, row.subject_kind)) for row in rows]


def tell_terminals_of_release(session: Session, declaration_id: int, number: str) -> int:
    """The terminals holding a released declaration's cargo are told it may leave (each once:
    the event is keyed by the declaration). Returns how many terminals were told."""
    documents, containers = declarations.cargo_of(session, declaration_id)
    for document in documents_numbered_with_containers(session, documents):
        containers.extend(document)
    subjects = list(dict.fromkeys([*documents, *containers]))
    if not subjects:
        return 0
    terminals = session.scalars(
        select(TerminalEvent.terminal_id).where(TerminalEvent.subject.in_(subjects)).distinct()
    ).all()
    for terminal_id in terminals:
        record_event(
            session,
            "cargo.released",
            "declaration",
            declaration_id,
            {"number": number, "cargo": ", ".join(subjects[:10])},
            organisation_id=terminal_id,
        )
    return len(terminals)


def documents_numbered_with_containers(session: Session, numbers: Sequence[str]) -> list[list[str]]:
    """The containers of each document in force with one of these numbers."""
    if not numbers:
        return []
    rows = session.scalars(
        select(TransportDocument.containers)
        .join(Manifest, Manifest.id == TransportDocument.manifest_id)
        .where(TransportDocument.number.in_(numbers), Manifest.status != CANCELLED)
    ).all()
    return [list(r) for r in rows]


def event_times(
    session: Session, subjects: Sequence[str], kinds: Sequence[str]
) -> dict[tuple[str, str], list[datetime]]:
    """When each of these containers or documents saw each of these kinds of event, oldest
    first, keyed by (subject, kind): the times the Time Release Study measures."""
    found: dict[tuple[str, str], list[datetime]] = {}
    if not subjects:
        return found
    for subject, kind, at in session.execute(
        select(TerminalEvent.subject, TerminalEvent.kind, TerminalEvent.occurred_at)
        .where(TerminalEvent.subject.in_(list(subjects)), TerminalEvent.kind.in_(list(kinds)))
        .order_by(TerminalEvent.occurred_at)
    ):
        found.setdefault((subject, kind), []).append(at)
    return found
