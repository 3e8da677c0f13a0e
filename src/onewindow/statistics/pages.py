"""Public portal pages of trade statistics and the Time Release Study, and their downloads.

No login: everybody reads the same published figures, confidential cells withheld (``c``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from onewindow.config import get_settings
from onewindow.deps import OptionalPrincipalDep
from onewindow.portal.pages import render
from onewindow.statistics import charts, service

router = APIRouter(prefix="/statistics", include_in_schema=False)

HOUR_COLUMNS = {
    "arrival_to_lodgement_median": "Arrival to lodgement",
    "lodgement_to_acceptance_median": "Lodgement to acceptance",
    "acceptance_to_release_median": "Acceptance to release",
    "release_to_gate_out_median": "Release to gate-out",
    "total_median": "Arrival to release (median)",
    "total_p90": "Arrival to release (90th percentile)",
    "inspection_median": "Control (median, where held)",
    "payment_median": "Payment (median, where due)",
    "permits_median": "Permits (median, where waited for)",
}


def _choice(value: str, allowed: dict[str, str], default: str) -> str:
    return value if value in allowed else default


def _trade_choices(flow: str, month: str, by: str) -> tuple[str, str, str, list[str]]:
    known = service.months()
    flow = _choice(flow, service.FLOWS, "import")
    by = _choice(by, service.DIMENSIONS, "hs2")
    month = month if month in known else service.published_month(known)
    return flow, month, by, known


def _range(first: str, last: str, known: list[str]) -> tuple[str, str]:
    last = last if last in known else service.published_month(known)
    first = (
        first
        if first in known and first <= last
        else (known[min(11, len(known) - 1)] if known else "")
    )
    return first, last


@router.get("", response_class=HTMLResponse)
def trade_page(
    request: Request,
    principal: OptionalPrincipalDep,
    flow: str = "import",
    month: str = "",
    by: str = "hs2",
) -> HTMLResponse:
    """Imports and exports of a month by one dimension, with the months before it."""
    flow, month, by, known = _trade_choices(flow, month, by)
    table = service.trade_table(flow, month, by) if month else None
    first, last = _range("", month, known)
    series = service.trade_series(flow, first, last) if month else []
    currency = get_settings().currency
    bar_chart = charts.bars(
        f"{service.FLOWS[flow]} in {month} by {service.DIMENSIONS[by]}, {currency}",
        [(r.code, r.values["statistical_value"]) for r in (table.rows[:12] if table else [])],
    )
    month_chart = charts.columns(
        f"{service.FLOWS[flow]} month by month, {currency}",
        [(p.month, p.statistical_value) for p in series],
        unit=currency,
    )
    return render(
        request,
        "statistics.html",
        {
            "flow": flow,
            "month": month,
            "by": by,
            "months": known,
            "flows": service.FLOWS,
            "dimensions": service.DIMENSIONS,
            "table": table,
            "series": series,
            "bar_chart": bar_chart,
            "month_chart": month_chart,
            "currency": currency,
            "number": charts.number,
            "min_traders": get_settings().statistics_min_traders,
        },
        principal,
    )


@router.get("/time-release", response_class=HTMLResponse)
def time_release_page(
    request: Request,
    principal: OptionalPrincipalDep,
    by: str = "channel",
    first: str = "",
    last: str = "",
) -> HTMLResponse:
    """The Time Release Study: how long each step takes, by one breakdown."""
    known = service.months()
    by = _choice(by, service.BREAKDOWNS, "channel")
    # By default the latest month; a year is as quick (the figures come from monthly summaries).
    first, last = _range(first or last or service.published_month(known), last, known)
    table = service.trs_table(by, first, last) if known else None
    said = service.bottlenecks(first, last) if known else []
    chart = charts.bars(
        f"Median hours from arrival to release by {service.BREAKDOWNS[by]}",
        [(r.group, r.values["total_median"]) for r in (table.rows if table else [])],
        unit="h",
        digits=1,
    )
    return render(
        request,
        "statistics_trs.html",
        {
            "by": by,
            "first": first,
            "last": last,
            "months": known,
            "breakdowns": service.BREAKDOWNS,
            "table": table,
            "bottlenecks": said,
            "chart": chart,
            "hour_columns": HOUR_COLUMNS,
            "number": charts.number,
            "target": get_settings().statistics_target_hours,
            "precision": service.TRS_PRECISION,
        },
        principal,
    )


def _download(body: bytes | str, name: str, media_type: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/trade.{extension}")
def trade_download(
    extension: str, flow: str = "import", month: str = "", by: str = "hs2"
) -> Response:
    """The published table of the trade page as CSV or Parquet."""
    flow, month, by, _ = _trade_choices(flow, month, by)
    if extension not in {"csv", "parquet"} or not month:
        return Response(status_code=404)
    table = service.trade_table(flow, month, by)
    name = f"trade-{flow}-{month}-{by}.{extension}"
    if extension == "csv":
        return _download(service.table_csv(table), name, "text/csv; charset=utf-8")
    return _download(service.table_parquet(table), name, "application/vnd.apache.parquet")


@router.get("/time-release.{extension}")
def time_release_download(
    extension: str, by: str = "channel", first: str = "", last: str = ""
) -> Response:
    """The published Time Release Study table as CSV or Parquet."""
    known = service.months()
    by = _choice(by, service.BREAKDOWNS, "channel")
    first, last = _range(first or last or service.published_month(known), last, known)
    if extension not in {"csv", "parquet"} or not known:
        return Response(status_code=404)
    table = service.trs_table(by, first, last)
    name = f"time-release-{by}-{first}-{last}.{extension}"
    if extension == "csv":
        return _download(service.table_csv(table), name, "text/csv; charset=utf-8")
    return _download(service.table_parquet(table), name, "application/vnd.apache.parquet")
