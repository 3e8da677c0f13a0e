"""Shapes of the risk API: profiles and their conditions, lists, decisions, inspection results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from onewindow.bounds import decimal_text

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ProfileCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9_\-.]{0,39}$")]
HsPrefix = Annotated[str, StringConstraints(pattern=r"^\d{2,10}$")]
Clause = Annotated[dict[str, Any], Field(max_length=8)]
"""One condition: {field, op, value} (unknown keys are named by the service's check)."""
MAX_CLAUSES = 50

CONDITIONS_HELP = (
    "clauses ANDed, each {field, op, value}; fields declarant, importer, exporter, "
    "country_of_export, transport_mode (eq, in), origin, procedure (eq, in), hs (prefix, range), "
    "value_per_kg (lt, gt: a number or {reference_price_per_kg, factor}), total_value (lt, gt)"
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProfileContent(Strict):
    title: Title
    reason: Text = Field(description="what officers (and the declarant) are told")
    conditions: list[Clause] = Field(
        max_length=MAX_CLAUSES,
        description=CONDITIONS_HELP,
        examples=[[{"field": "hs", "op": "prefix", "value": "6403"}]],
    )
    channel: Literal["yellow", "red"]
    valid_from: date | None = None
    valid_to: date | None = None


class ProfileIn(ProfileContent):
    code: ProfileCode


class ProfileVersionIn(ProfileContent):
    why: Text = Field(description="why the profile changes (kept in the audit log)")


class ProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    version: int
    title: str
    reason: str
    conditions: list[dict[str, Any]]
    channel: str
    valid_from: date
    valid_to: date | None
    active: bool
    author: str
    created_at: datetime


class Why(Strict):
    why: Text


class BacktestIn(Strict):
    conditions: list[Clause] = Field(max_length=MAX_CLAUSES, description=CONDITIONS_HELP)
    since: datetime
    until: datetime
    limit: Annotated[int, Field(ge=1, le=100_000)] = 10_000


class BacktestOut(BaseModel):
    declarations: int
    hits: int
    examples: list[int]


class WatchIn(Strict):
    identifier: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ]
    reason: Text
    channel: Literal["yellow", "red"] = "yellow"
    valid_to: date | None = None


class WatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    identifier: str
    reason: str
    channel: str
    valid_to: date | None
    author: str
    created_at: datetime


class FastLaneIn(Strict):
    hs_prefix: HsPrefix
    reason: Text
    valid_from: date | None = None
    valid_to: date | None = None


class FastLaneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    hs_prefix: str
    reason: str
    valid_from: date
    valid_to: date | None
    author: str
    created_at: datetime


class IprIn(Strict):
    right_holder_organisation_id: int | None = Field(
        default=None, description="customs only; a right holder records its own marks"
    )
    trade_mark: Title
    hs_prefixes: list[HsPrefix] = Field(min_length=1, max_length=50)
    keywords: list[Title] = Field(
        min_length=1, max_length=50, description="looked for in goods descriptions, any case"
    )
    valid_to: date | None = None


class IprOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    right_holder_organisation_id: int
    trade_mark: str
    hs_prefixes: list[str]
    keywords: list[str]
    valid_to: date | None
    author: str
    created_at: datetime


class ReasonOut(BaseModel):
    source: str = Field(description="profile, watch, ipr, fast-lane, random, model or aeo")
    code: str
    text: str


class DetainedGoods(BaseModel):
    commodity_code: str
    description: str
    origin: str
    quantity: str


class IprDetentionOut(BaseModel):
    """A detention as the right holder sees it: the goods its record matched, not the rest."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    declaration_number: str | None
    trade_mark: str
    goods: list[DetainedGoods]
    detained_at: datetime


class DecisionOut(BaseModel):
    """The channel of a declaration and every reason for it."""

    model_config = ConfigDict(from_attributes=True)

    declaration_id: int
    channel: str = Field(description="green (release), yellow (documents), red (inspection)")
    reasons: list[ReasonOut]
    decided_at: datetime


class DecisionDetail(DecisionOut):
    """What customs sees besides: the model's score and whether chance selected it."""

    score: float | None
    random_selected: bool
    for_learning: bool


class InspectionIn(Strict):
    declaration_id: int
    finding: Literal["none", "minor", "major"]
    revenue_recovered: Annotated[
        Decimal,
        Field(ge=0, max_digits=18, decimal_places=4, json_schema_extra=decimal_text(18)),
    ] = Decimal(0)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    goods_seized: bool = False
    notes: Annotated[str, StringConstraints(max_length=4000)] = ""


class InspectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    declaration_id: int
    officer: str
    finding: str
    revenue_recovered: Decimal
    currency: str
    goods_seized: bool
    notes: str
    recorded_at: datetime


class HitRateOut(BaseModel):
    channel: str
    source: str
    selected: int
    inspected: int
    with_findings: int
    hit_rate: float | None


class ModelVersionOut(BaseModel):
    """A stored risk model: how it was trained and judged, and whether it is in use."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    version: str
    trained_at: datetime
    training_rows: int
    source: str
    metrics: dict[str, Any]
    thresholds: dict[str, float]
    status: str
    created_at: datetime
    promoted_at: datetime | None


class PromotionOut(BaseModel):
    promoted: bool
    reason: str
    model: ModelVersionOut


class RatesIn(BaseModel):
    """The selectivity rates to change (shares between 0 and 1); omitted ones stay as they are."""

    model_config = ConfigDict(extra="forbid")

    random_rate: float | None = Field(default=None, ge=0, le=1)
    learning_rate: float | None = Field(default=None, ge=0, le=1)
    target_red: float | None = Field(default=None, ge=0, le=1)
    target_yellow: float | None = Field(default=None, ge=0, le=1)


class RatesOut(BaseModel):
    random_rate: float
    learning_rate: float
    target_red: float
    target_yellow: float
