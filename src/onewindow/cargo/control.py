"""Customs' control of cargo: the link between declarations and manifests (a release condition),
the reconciliation work lists, and the full flow of a consignment for those entitled to see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from onewindow.cargo.access import require
from onewindow.cargo.calls import transport_is_called
from onewindow.cargo.manifests import CANCELLED, documents_numbered
from onewindow.cargo.models import (
    Call,
    ContainerOnDocument,
    EntrySummary,
    Manifest,
    TerminalEvent,
    TransportDocument,
)
from onewindow.cargo.schemas import ReconciliationItem, Tracking, TrackingEvent
from onewindow.cargo.terminal import KIND_LABELS, documents_for
from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.declarations.models import Declaration
from onewindow.errors import DomainError, FieldError, InvalidInput, NotFound
from onewindow.parties import service as parties
from onewindow.release import Condition
from onewindow.security import Principal, Role

# The link between a declaration and its manifest -----------------------------------------------


def _declared_totals(content: dict[str, object]) -> tuple[int, Decimal]:
    items = content.get("items", [])
    assert isinstance(items, list)
    packages = sum(int(p.get("count", 0)) for item in items for p in item.get("packages", []))
    mass = sum((Decimal(str(item.get("gross_mass_kg") or 0)) for item in items), Decimal(0))
    return packages, mass


def link_problems(session: Session, declaration: Declaration) -> list[str]:
    """What is wrong with the link between a declaration and the manifested cargo, in words.

    Only goods that arrived by a manifested means are checked: the means of transport has a
    registered call, or a named document is on a manifest.
    """
    named_documents, _ = declarations.cargo_of(session, declaration.id)
    manifested = documents_numbered(session, named_documents)
    transport = declaration.content.get("transport") or {}
    if not manifested and not transport_is_called(session, transport.get("identity")):
        return []
    if not named_documents:
        return ["the declaration names no transport document of the manifested cargo"]
    problems = []
    found = {d.number for d in manifested}
    for number in named_documents:
        if number not in found:
            problems.append(f"transport document {number} is not on any manifest")
    if not manifested:
        return problems
    packages, mass = _declared_totals(declaration.content)
    manifested_packages = sum(d.packages for d in manifested)
    manifested_mass = sum((d.gross_mass_kg for d in manifested), Decimal(0))
    if packages > manifested_packages:
        problems.append(
            f"{packages} packages declared, {manifested_packages} manifested "
            f"on {', '.join(sorted(found))}"
        )
    tolerance = Decimal(str(get_settings().cargo_mass_tolerance_percent)) / 100
    if mass > manifested_mass * (1 + tolerance):
        problems.append(
            f"gross mass {mass.normalize():f} kg declared, {manifested_mass.normalize():f} kg "
            "manifested"
        )
    return problems


def release_conditions(
    session: Session, declaration_id: int, *, for_update: bool = False
) -> list[Condition]:
    """What of cargo stops a declaration's release: a link to the manifest that is not valid
    (read only, however asked)."""
    declaration = declarations.find(session, declaration_id)
    if declaration is None or declaration.type != "IM":
        return []
    return [Condition("cargo", "manifest-link", p) for p in link_problems(session, declaration)]


# Reconciliation --------------------------------------------------------------------------------


def _not_declared(session: Session, limit: int) -> list[ReconciliationItem]:
    days = get_settings().cargo_undeclared_days
    cutoff = utcnow() - timedelta(days=days)
    named = declarations.declared_cargo("document").subquery()
    declared = exists().where(named.c.reference == TransportDocument.number)
    split = exists().where(
        TransportDocument.__table__.alias("house").c.master_number == TransportDocument.number
    )
    rows = session.execute(
        select(TransportDocument, Call.arrived_at)
        .join(Manifest, Manifest.id == TransportDocument.manifest_id)
        .join(Call, Call.id == Manifest.call_id)
        .where(Manifest.status != CANCELLED, Call.arrived_at < cutoff)
        .where(~declared, ~split)
        .order_by(Call.arrived_at)
        .limit(limit)
    ).all()
    return [
        ReconciliationItem(
            kind="not_declared",
            subject=document.number,
            detail=f"arrived more than {days} days ago and not declared "
            f"({document.packages} packages, {document.gross_mass_kg.normalize():f} kg"
            + (f", for {document.consignee}" if document.consignee else "")
            + ")",
            since=arrived,
            link=f"/cargo/track?q={document.number}",
        )
        for document, arrived in rows
    ]


def _not_manifested(session: Session, limit: int) -> list[ReconciliationItem]:
    """Documents named by import declarations of goods that came by a called vessel or flight,
    but on no manifest (goods by means outside cargo control are not listed)."""
    named = declarations.declared_cargo("document", flow="IM").subquery()
    on_manifest = exists().where(
        TransportDocument.number == named.c.reference,
        TransportDocument.manifest_id == Manifest.id,
        Manifest.status != CANCELLED,
    )
    rows = session.execute(
        select(named.c.reference, named.c.declaration_id)
        .where(~on_manifest)
        .order_by(named.c.declaration_id)
        .limit(limit * 5)
    ).all()
    found = declarations.by_ids(session, [declaration_id for _, declaration_id in rows])
    called = [
        (reference, found[declaration_id])
        for reference, declaration_id in rows
        if transport_is_called(
            session, (found[declaration_id].content.get("transport") or {}).get("identity")
        )
    ]
    return [
        ReconciliationItem(
            kind="not_manifested",
            subject=reference,
            detail=f"named by declaration {declaration.number} "
            f"({declarations.status_label(declaration.status).lower()}) but on no manifest",
            since=declaration.accepted_at,
            link=f"/declarations/{declaration.id}",
        )
        for reference, declaration in called[:limit]
    ]


def _discrepancies(session: Session, limit: int) -> list[ReconciliationItem]:
    named = declarations.declared_cargo("document", flow="IM").subquery()
    ids = session.scalars(
        select(named.c.declaration_id)
        .join(TransportDocument, TransportDocument.number == named.c.reference)
        .distinct()
        .order_by(named.c.declaration_id.desc())
        .limit(limit * 5)
    ).all()
    found = declarations.by_ids(session, ids)
    rows = [found[i] for i in ids]
    found_items = []
    for declaration in rows:
        problems = [p for p in link_problems(session, declaration) if "declared," in p]
        found_items += [
            ReconciliationItem(
                kind="discrepancy",
                subject=declaration.number or str(declaration.id),
                detail=problem,
                since=declaration.accepted_at,
                link=f"/declarations/{declaration.id}",
            )
            for problem in problems
        ]
        if len(found_items) >= limit:
            break
    return found_items


def _dwelling(session: Session, limit: int) -> list[ReconciliationItem]:
    days = get_settings().cargo_dwell_days
    cutoff = utcnow() - timedelta(days=days)
    out = TerminalEvent.__table__.alias("gate_out")
    gone = exists().where(out.c.subject == TerminalEvent.subject, out.c.kind == "gated_out")
    rows = session.scalars(
        select(TerminalEvent)
        .where(TerminalEvent.kind == "discharged", TerminalEvent.occurred_at < cutoff, ~gone)
        .order_by(TerminalEvent.occurred_at)
        .limit(limit)
    ).all()
    return [
        ReconciliationItem(
            kind="not_gated_out",
            subject=row.subject,
            detail=f"discharged more than {days} days ago and not gated out",
            since=row.occurred_at,
            link=f"/cargo/track?q={row.subject}",
        )
        for row in rows
    ]


def _gate_alerts(session: Session, limit: int) -> list[ReconciliationItem]:
    rows = session.scalars(
        select(TerminalEvent)
        .where(TerminalEvent.kind == "gated_out", TerminalEvent.unreleased.is_not(None))
        .order_by(TerminalEvent.occurred_at.desc())
        .limit(limit)
    ).all()
    return [
        ReconciliationItem(
            kind="unreleased_gate_out",
            subject=row.subject,
            detail=f"left the terminal unreleased: {row.unreleased}",
            since=row.occurred_at,
            link=f"/cargo/track?q={row.subject}",
        )
        for row in rows
    ]


def _late(session: Session, limit: int) -> list[ReconciliationItem]:
    """Manifests lodged after their deadline in the last 30 days, newest first."""
    rows = session.scalars(
        select(Manifest)
        .where(Manifest.late.is_(True), Manifest.lodged_at > utcnow() - timedelta(days=30))
        .order_by(Manifest.lodged_at.desc())
        .limit(limit)
    ).all()
    return [
        ReconciliationItem(
            kind="late_manifest",
            subject=m.reference,
            detail=f"lodged {_late_by(m)} after its deadline",
            since=m.lodged_at,
            link=f"/cargo/manifests/{m.id}",
        )
        for m in rows
    ]


def _late_by(manifest: Manifest) -> str:
    if manifest.deadline is None:
        return "(no deadline)"
    hours = (manifest.lodged_at - manifest.deadline).total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{hours * 60:.0f} min"


RECONCILIATION = {
    "unreleased_gate_out": ("Left the terminal without release", _gate_alerts),
    "not_declared": ("Manifested, not declared", _not_declared),
    "not_manifested": ("Declared, not manifested", _not_manifested),
    "discrepancy": ("Packages or mass above the manifest", _discrepancies),
    "not_gated_out": ("Discharged, never gated out", _dwelling),
    "late_manifest": ("Manifests lodged late", _late),
}
"""Customs' reconciliation work lists, by kind, each with its title."""


def reconciliation(
    session: Session, principal: Principal, kind: str | None = None, limit: int = 100
) -> dict[str, list[ReconciliationItem]]:
    """Customs' work lists: every kind, or one."""
    require(principal, "cargo:control", Role.CUSTOMS)
    if kind is not None and kind not in RECONCILIATION:
        raise InvalidInput(
            "No such list.", [FieldError("/kind", f"use one of {', '.join(RECONCILIATION)}")]
        )
    kinds = [kind] if kind else list(RECONCILIATION)
    return {k: RECONCILIATION[k][1](session, limit) for k in kinds}


# Tracking --------------------------------------------------------------------------------------


def _subjects(session: Session, query: str) -> tuple[list[TransportDocument], list[Declaration]]:
    """The documents and declarations a search names: a document, a container or a number."""
    text = query.strip().upper()
    declaration = declarations.by_number(session, text)
    if declaration is not None:
        numbers, containers = declarations.cargo_of(session, declaration.id)
        documents = documents_numbered(session, numbers)
        for container in containers:
            documents += [d for d in documents_for(session, container, "container")]
        return list({d.id: d for d in documents}.values()), [declaration]
    kind = (
        "container"
        if session.scalar(select(exists().where(ContainerOnDocument.number == text)))
        else "document"
    )
    documents = documents_for(session, text, kind)
    if kind == "document":
        documents += documents_numbered(session, [text])
    documents = list({d.id: d for d in documents}.values())
    containers = [text] if kind == "container" else []
    found = declarations.covering(
        session, documents=[d.number for d in documents] or [text], containers=containers
    )
    return documents, found


def _entitled(
    session: Session,
    principal: Principal,
    documents: Sequence[TransportDocument],
    found: Sequence[Declaration],
    containers: Sequence[str],
) -> bool:
    if principal.has_role(Role.CUSTOMS):
        return True
    me = principal.organisation_id
    carriers = {
        session.get(Manifest, d.manifest_id).carrier_id  # type: ignore[union-attr]
        for d in documents
    }
    if me in carriers or any(d.consignee_id == me for d in documents):
        return True
    for declaration in found:
        try:
            declarations.get(session, principal, declaration.id)
            return True
        except DomainError:  # not this party's declaration
            continue
    subjects = [*containers, *(d.number for d in documents)]
    return bool(
        subjects
        and session.scalar(
            select(
                exists().where(TerminalEvent.terminal_id == me, TerminalEvent.subject.in_(subjects))
            )
        )
    )


def _org_name(session: Session, organisation_id: int | None, cache: dict[int, str]) -> str:
    if organisation_id is None:
        return "customs"
    if organisation_id not in cache:
        names = parties.organisation_names(session, [organisation_id])
        cache[organisation_id] = names.get(organisation_id, "unknown")
    return cache[organisation_id]


def track(session: Session, principal: Principal, query: str) -> Tracking:
    """One timeline of every event of a consignment, from manifest to gate-out, for those
    entitled: the declarant and the parties of its declarations, the consignee, the carrier, the
    terminals that handled it, and customs. Anyone else is told it does not exist."""
    require(principal, "cargo:read")
    if not query.strip():
        raise InvalidInput("Search for something.", [FieldError("/q", "must not be empty")])
    documents, found = _subjects(session, query)
    containers = sorted(
        {c for d in documents for c in d.containers}
        | {c for dec in found for c in declarations.cargo_of(session, dec.id)[1]}
    )
    if not (documents or found) or not _entitled(session, principal, documents, found, containers):
        raise NotFound(f"Nothing found for {query.strip()}.")
    names: dict[int, str] = {}
    events: list[TrackingEvent] = []
    manifests = {d.manifest_id for d in documents}
    for manifest in session.scalars(select(Manifest).where(Manifest.id.in_(manifests))):
        carrier = _org_name(session, manifest.carrier_id, names)
        events.append(
            TrackingEvent(
                at=manifest.lodged_at,
                who=carrier,
                what=f"Manifest {manifest.reference} lodged" + (" (late)" if manifest.late else ""),
            )
        )
        if manifest.version > 1:
            events.append(
                TrackingEvent(
                    at=manifest.updated_at,
                    who=carrier,
                    what=f"Manifest amended (version {manifest.version})",
                )
            )
        call = manifest.call
        if call is not None:
            name = call.transport_name or call.transport_id
            for at, what in (
                (call.arrived_at, f"{name} arrived at {call.port}"),
                (call.departed_at, f"{name} departed {call.port}"),
            ):
                if at is not None:
                    events.append(TrackingEvent(at=at, who="port", what=what))
    subjects = [*containers, *(d.number for d in documents)]
    for row in session.scalars(select(TerminalEvent).where(TerminalEvent.subject.in_(subjects))):
        detail = "; ".join(x for x in (row.out_of_order, row.unreleased) if x)
        events.append(
            TrackingEvent(
                at=row.occurred_at,
                who=_org_name(session, row.terminal_id, names),
                what=f"{row.subject}: {KIND_LABELS.get(row.kind, row.kind).lower()}",
                detail=detail,
            )
        )
    for declaration in found:
        for step in declarations.timeline_for(session, principal, declaration):
            events.append(
                TrackingEvent(
                    at=step.at,
                    who="customs" if step.actor != "system" else "single window",
                    what=f"Declaration {declaration.number}: "
                    f"{declarations.status_label(step.to_status).lower()}",
                    detail=step.reason if principal.has_role(Role.CUSTOMS) else "",
                )
            )
    summaries = session.scalars(
        select(EntrySummary).where(
            EntrySummary.call_id.in_({m for d in documents for m in [_call_of(session, d)] if m})
        )
    ).all()
    if principal.has_role(Role.CUSTOMS):
        for summary in summaries:
            events.append(
                TrackingEvent(
                    at=summary.lodged_at,
                    who=_org_name(session, summary.carrier_id, names),
                    what=f"Entry summary {summary.number or summary.lrn} lodged",
                    detail=summary.decision or "",
                )
            )
    events.sort(key=lambda e: e.at)
    return Tracking(
        subject=query.strip().upper(),
        documents=[d.number for d in documents],
        containers=containers,
        declarations=[d.number for d in found if d.number],
        events=events,
    )


def _call_of(session: Session, document: TransportDocument) -> int | None:
    manifest = session.get(Manifest, document.manifest_id)
    return manifest.call_id if manifest else None
