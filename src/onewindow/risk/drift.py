"""How recent declarations differ from what the promoted model learned on."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.risk.dates import aware
from onewindow.risk.learning import get_model_version, items_records, promoted_version
from onewindow.risk.models import (
    InspectionResult,
    SelectivityDecision,
)
from onewindow.risk.settings import rates


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
    since = aware(since) if since is not None else now - timedelta(days=30)
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
        "target_selection_rate": rates().target_red + rates().target_yellow,
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
            records += items_records(content)
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
    share = round((rates().target_red + rates().target_yellow) * 100)
    precision = row.metrics.get("precision_at", {})
    report["selection"]["model_precision"] = precision.get(
        str(share), precision.get("10") if precision else None
    )
    return report
