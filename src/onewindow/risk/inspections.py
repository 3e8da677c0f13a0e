"""Inspection results, the queue waiting for them, and the hit rates they give."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import utcnow
from onewindow.errors import Conflict, FieldError, InvalidInput, NotFound
from onewindow.risk.dates import aware
from onewindow.risk.models import (
    FINDINGS,
    InspectionResult,
    SelectivityDecision,
)
from onewindow.security import Principal


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
    """Yellow and red decisions still waiting for an inspection result: AEOs' (priority
    inspection, a benefit of their tier) first, then oldest first."""
    done = select(InspectionResult.id).where(
        InspectionResult.declaration_id == SelectivityDecision.declaration_id
    )
    return session.scalars(
        select(SelectivityDecision)
        .where(SelectivityDecision.channel.in_(("yellow", "red")), ~done.exists())
        .order_by(
            SelectivityDecision.priority.desc(),
            SelectivityDecision.decided_at,
            SelectivityDecision.id,
        )
        .limit(limit)
    ).all()


def inspections_due(session: Session) -> int:
    """How many declarations wait for an inspection result (the length of the queue)."""
    done = select(InspectionResult.id).where(
        InspectionResult.declaration_id == SelectivityDecision.declaration_id
    )
    return (
        session.scalar(
            select(func.count(SelectivityDecision.id)).where(
                SelectivityDecision.channel.in_(("yellow", "red")), ~done.exists()
            )
        )
        or 0
    )


def hit_rates(session: Session, since: datetime) -> list[dict[str, Any]]:
    """Per channel and source of selection: how many selected, inspected, and found at fault.

    A decision with several sources counts once under each; green decisions without a reason
    count under the source "none".
    """
    since = aware(since)
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
