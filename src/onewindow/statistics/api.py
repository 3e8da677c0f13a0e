"""Public JSON API of trade statistics and the Time Release Study (no login).

Withheld (confidential) figures are ``null``; no answer names or counts traders.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from onewindow.config import get_settings
from onewindow.statistics import service

router = APIRouter(prefix="/api/v1/statistics", tags=["statistics"])

Month = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]
Flow = Literal["import", "export"]
Dimension = Literal["hs2", "hs4", "hs6", "partner", "procedure", "mode", "office"]
Breakdown = Literal["all", "office", "mode", "channel", "aeo", "waited", "agency", "month"]


class TradeCell(BaseModel):
    code: str
    parent: str
    confidential: bool
    declarations: int | None
    statistical_value: Decimal | None
    net_mass_kg: Decimal | None
    supplementary_quantity: Decimal | None
    duties_taxes: Decimal | None


class TradeOut(BaseModel):
    flow: str
    month: str
    dimension: str
    currency: str
    cells: list[TradeCell]
    total: TradeCell | None


class SeriesOut(BaseModel):
    month: str
    confidential: bool
    declarations: int | None
    statistical_value: Decimal | None
    net_mass_kg: Decimal | None
    duties_taxes: Decimal | None


class TrsGroup(BaseModel):
    group: str
    confidential: bool
    consignments: int | None
    hours: dict[str, float | None]
    within_target: float | None


class TrsOut(BaseModel):
    breakdown: str
    first_month: str
    last_month: str
    target_hours: float
    precision: str
    groups: list[TrsGroup]
    bottlenecks: list[str]


def _cell(row: service.Row) -> TradeCell:
    return TradeCell(
        code=row.code,
        parent=row.parent,
        confidential=row.confidential,
        declarations=row.declarations,
        **{m: row.values[m] for m in service.MEASURES},
    )


@router.get("/months", response_model=list[str])
def months() -> list[str]:
    """The months with statistics, newest first."""
    return service.months()


@router.get("/trade", response_model=TradeOut)
def trade(flow: Flow, month: Month, by: Dimension = "hs2") -> TradeOut:
    """One month of imports or exports by HS chapter, heading or subheading, partner country,
    customs procedure, mode of transport or office; confidential cells are null."""
    table = service.trade_table(flow, month, by)
    return TradeOut(
        flow=flow,
        month=month,
        dimension=by,
        currency=get_settings().currency,
        cells=[_cell(r) for r in table.rows],
        total=_cell(table.total) if table.total else None,
    )


@router.get("/trade/series", response_model=list[SeriesOut])
def trade_series(
    flow: Flow,
    first: Annotated[str, Query(alias="from", pattern=r"^\d{4}-\d{2}$")],
    last: Annotated[str, Query(alias="to", pattern=r"^\d{4}-\d{2}$")],
) -> list[SeriesOut]:
    """Monthly totals of one flow over a range of months."""
    return [SeriesOut(**p.__dict__) for p in service.trade_series(flow, first, last)]


@router.get("/time-release", response_model=TrsOut)
def time_release(
    first: Annotated[str, Query(alias="from", pattern=r"^\d{4}-\d{2}$")],
    last: Annotated[str, Query(alias="to", pattern=r"^\d{4}-\d{2}$")],
    by: Breakdown = "all",
) -> TrsOut:
    """The Time Release Study: median and 90th percentile hours of each step, the share
    released within the target time, and the bottlenecks in words."""
    table = service.trs_table(by, first, last)
    groups = []
    for row in table.rows:
        values: dict[str, Any] = row.values
        groups.append(
            TrsGroup(
                group=row.group,
                confidential=row.confidential,
                consignments=values["consignments"],
                hours={
                    k: values[k]
                    for k in service.TRS_MEASURES
                    if k not in {"consignments", "within_target"}
                },
                within_target=values["within_target"],
            )
        )
    return TrsOut(
        breakdown=by,
        first_month=first,
        last_month=last,
        target_hours=table.target_hours,
        precision=service.TRS_PRECISION,
        groups=groups,
        bottlenecks=service.bottlenecks(first, last),
    )
