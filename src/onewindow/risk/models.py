"""Tables of the risk domain: profiles, watch list, fast lanes, IPR records, decisions, results.

Declarations and organisations are other domains: they are referred to by id only.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.db import Base, JSONType, UTCDateTime

CHANNELS = ("green", "yellow", "red")
"""Green: release; yellow: documentary check; red: physical inspection (least to most severe)."""

CHANNEL_LABELS: dict[str, str] = {
    "green": "Released without control",
    "yellow": "Documentary check",
    "red": "Physical inspection",
}

FINDINGS: dict[str, str] = {
    "none": "Nothing found: the declaration was right",
    "minor": "A minor irregularity (corrected on the spot)",
    "major": "A major irregularity (revenue at stake, prohibited or infringing goods)",
}


class RiskProfile(Base):
    """A targeting rule: conditions over a declaration and the control it asks for, with why.

    Editing a profile writes a new version; the old version stays, inactive, so every past
    decision can be traced to the exact rule that made it.
    """

    __tablename__ = "risk_profile"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    channel: Mapped[str] = mapped_column(String(10))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, index=True)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WatchedParty(Base):
    """A trader (by identifier) whose declarations customs wants to see, and why."""

    __tablename__ = "risk_watched_party"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(10))
    valid_to: Mapped[date | None] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(200))


class FastLane(Base):
    """Goods that must move fast (essential medical goods): green unless a watch or IPR hit."""

    __tablename__ = "risk_fast_lane"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hs_prefix: Mapped[str] = mapped_column(String(10), index=True)
    reason: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(200))


class IprRecord(Base):
    """A right holder's application for action: the mark, the goods it covers, words to look for."""

    __tablename__ = "risk_ipr_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    right_holder_organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    trade_mark: Mapped[str] = mapped_column(String(200))
    hs_prefixes: Mapped[list[str]] = mapped_column(JSONType)
    keywords: Mapped[list[str]] = mapped_column(JSONType)
    valid_to: Mapped[date | None] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(200))


class SelectivityDecision(Base):
    """The channel given to a declaration and every reason for it (one per declaration)."""

    __tablename__ = "risk_selectivity_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(Integer, unique=True)
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    channel: Mapped[str] = mapped_column(String(10), index=True)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    score: Mapped[float | None] = mapped_column(Float)
    random_selected: Mapped[bool] = mapped_column(Boolean)
    # Chosen without regard to risk: its inspection result is an unbiased label for learning.
    for_learning: Mapped[bool] = mapped_column(Boolean)
    # An AEO benefit: inspected before the others in the officers' queue.
    priority: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class InspectionResult(Base):
    """What the officer found on a controlled declaration: the label the next model learns from."""

    __tablename__ = "risk_inspection_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(Integer, unique=True)
    officer: Mapped[str] = mapped_column(String(200))
    finding: Mapped[str] = mapped_column(String(10))
    revenue_recovered: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    goods_seized: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


MODEL_STATUSES = ("candidate", "promoted", "retired")
"""A trained model is a candidate until it beats the promoted one; the one it replaces retires."""


class RiskModelVersion(Base):
    """A trained risk model, how it was judged, and whether it is in use (at most one promoted)."""

    __tablename__ = "risk_model_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(60), unique=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    training_rows: Mapped[int] = mapped_column(Integer)
    # "csv:<file names>" or "inspections".
    source: Mapped[str] = mapped_column(String(500))
    # evaluate() on the recent labelled declarations it was judged on.
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Scores at which it asks for red and yellow: {"red": x, "yellow": y}.
    thresholds: Mapped[dict[str, float]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(10), index=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RiskSetting(Base):
    """A selectivity rate a risk officer set (random selection, learning share, target shares
    per channel); the code's defaults apply where none is set. AEOs' benefits are the AEO
    domain's, per tier."""

    __tablename__ = "risk_setting"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IprDetention(Base):
    """Goods held because they may infringe a recorded right: what its right holder may see."""

    __tablename__ = "risk_ipr_detention"
    __table_args__ = (UniqueConstraint("declaration_id", "ipr_record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(Integer)
    declaration_number: Mapped[str | None] = mapped_column(String(20))
    ipr_record_id: Mapped[int] = mapped_column(ForeignKey("risk_ipr_record.id"))
    right_holder_organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    trade_mark: Mapped[str] = mapped_column(String(200))
    goods: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    detained_at: Mapped[datetime] = mapped_column(UTCDateTime)
