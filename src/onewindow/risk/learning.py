"""The learned model's lifecycle: versions registered, judged on recent declarations,
promoted when better, put in use; and the labelled frames it learns from.

The model in use in a process follows the database: a promotion puts the model in use once its
transaction commits (never if it rolls back), and every process checks the promoted version
again at most every :data:`~onewindow.risk.settings.REFRESH_SECONDS` (one small query), loading
the model only when the version changed.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.declarations.schemas import DeclarationIn, GoodsItem
from onewindow.errors import NotFound
from onewindow.risk.access import ENGINE
from onewindow.risk.after_commit import after_commit
from onewindow.risk.dates import aware
from onewindow.risk.models import (
    InspectionResult,
    RiskModelVersion,
    SelectivityDecision,
)
from onewindow.risk.settings import REFRESH_SECONDS, rates, refresh_rates

if TYPE_CHECKING:
    import pandas as pd

    from onewindow.risk.model import RiskModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PromotedModel:
    """The learned model in use and the scores at which it asks for red and yellow."""

    model: RiskModel
    red_threshold: float
    yellow_threshold: float
    version: str


_promoted: PromotedModel | None = None
_version_checked_at = 0.0


def _use(promoted: PromotedModel | None) -> None:
    global _promoted, _version_checked_at
    _promoted = promoted
    _version_checked_at = time.monotonic()


def promote_model(promoted: PromotedModel | None) -> None:
    """Put a trained model in use in this process directly, without the database (tests only:
    a model is promoted with :func:`promote_if_better`). None: selectivity runs on rules and
    random selection only. The next refresh, due in :data:`REFRESH_SECONDS`, puts the model the
    database promotes back in use."""
    _use(promoted)


def promoted_model() -> PromotedModel | None:
    """The model in use in this process, if any."""
    return _promoted


def refresh_promoted(session: Session, *, force: bool = False) -> PromotedModel | None:
    """Put the model the database promotes in use (checked at most every
    :data:`REFRESH_SECONDS` unless ``force``; the model is read only when its version changed)."""
    global _version_checked_at
    clock = time.monotonic()
    if force or clock - _version_checked_at >= REFRESH_SECONDS:
        _version_checked_at = clock
        version = session.scalar(_promoted_query(RiskModelVersion.version))
        in_use = _promoted.version if _promoted is not None else None
        if version != in_use:
            row = promoted_version(session)
            try:
                _use(_in_use(row) if row is not None else None)
            except ValueError:  # a model stored in another layout: go on without one
                log.warning("risk model %s cannot be read", version, exc_info=True)
                _use(None)
            else:
                log.info("risk model %s in use", version or "none")
    return _promoted


#: Fewest labelled recent declarations (goods items) on which two models are compared.
MIN_RECENT_ROWS = 50


#: How far back inspection results are taken as recent data by default.
RECENT_DAYS = 90


def model_record(body: DeclarationIn, item: GoodsItem) -> dict[str, object]:
    """A goods item as the learned model reads it: the fields of ``model.FIELDS``, each from what
    the declaration carries or derives."""
    return {
        "office": body.office_of_lodgement or "",
        "declaration_type": body.additional_type,
        "procedure": item.procedure,
        "transport_mode": body.transport.mode if body.transport else "",
        "declarant": body.declarant.identifier or "",
        "importer": body.importer.identifier if body.importer else "",
        "exporter": (body.exporter.identifier or body.exporter.name) if body.exporter else "",
        "hs6": (item.commodity_code or "")[:6],
        "export_country": body.country_of_export or "",
        "origin_country": item.origin or "",
        "preference": "Y" if item.preference else "N",
        "net_mass": float(item.net_mass_kg or 0),
        "item_price": float(item.value.amount) if item.value else 0.0,
        "items": len(body.items),
    }


def items_records(content: Mapping[str, Any]) -> list[dict[str, object]]:
    body = DeclarationIn.model_validate(content)
    return [model_record(body, item) for item in body.items]


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
    # The model card: which declaration fields the model reads.
    metrics["fields"] = list(model.metadata.fields)
    settings = rates()
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


def _promoted_query(*what: Any) -> Any:
    return (
        select(*what)
        .where(RiskModelVersion.status == "promoted")
        .order_by(RiskModelVersion.promoted_at.desc(), RiskModelVersion.id.desc())
        .limit(1)
    )


def promoted_version(session: Session) -> RiskModelVersion | None:
    """The stored model version that is promoted, if any."""
    row: RiskModelVersion | None = session.scalar(_promoted_query(RiskModelVersion))
    return row


def _in_use(row: RiskModelVersion) -> PromotedModel:
    """A stored model version as the model in use."""
    from onewindow.risk.model import RiskModel

    return PromotedModel(
        model=RiskModel.from_bytes(row.blob),
        red_threshold=float(row.thresholds["red"]),
        yellow_threshold=float(row.thresholds["yellow"]),
        version=row.version,
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
    the promoted one is put in use in this process once the transaction commits (and in every
    other within :data:`REFRESH_SECONDS`).
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
    theirs_model: RiskModel | None = None
    if current is None:
        reason = "No model is promoted yet."
    else:
        try:
            theirs_model = RiskModel.from_bytes(current.blob)
        except ValueError as exc:  # stored in an older layout: it cannot be compared
            reason = f"{current.version} cannot be read any more ({exc})."
    if current is not None and theirs_model is not None:
        theirs_metrics, _ = _judge(theirs_model, recent_frame)
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
    if current is not None:
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
    promoted = _in_use(candidate)
    after_commit(session, "risk.model", lambda: _use(promoted))
    return True, reason


def load_promoted(session: Session) -> bool:
    """Put the promoted model stored in the database in use (at start-up); False if none."""
    row = promoted_version(session)
    if row is None:
        return False
    _use(_in_use(row))
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


def training_frame_from_inspections(session: Session, since: datetime) -> pd.DataFrame:
    """Inspected declarations since ``since`` as labelled rows, one per goods item, in the
    model's internal field names.

    Our mapping of an inspection result to the data set's labels (for every item of the
    declaration): Fraud = 1 when the finding is minor or major, else 0; Critical Fraud = 2 when
    goods were seized, else 1 for a major finding, else 0.
    """
    import pandas as pd

    since = aware(since)
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
        for record in items_records(content):
            rows.append(
                {
                    "declaration_id": declaration_id,
                    "date": aware(decided_at).date().isoformat(),
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
