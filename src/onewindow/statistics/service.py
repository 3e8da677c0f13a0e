"""The statistics domain's door: the export, trade statistics and the Time Release Study.

Routes, pages, the CLI and the event worker use statistics through this module only. Published
figures never carry a trader: cells behind fewer than ``ONEWINDOW_STATISTICS_MIN_TRADERS``
traders are withheld (see :mod:`onewindow.statistics.confidentiality`), and the counts of traders
used to decide it are not published either.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from onewindow import events
from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.errors import FieldError, InvalidInput
from onewindow.statistics import store
from onewindow.statistics.confidentiality import Cell, suppress
from onewindow.statistics.export import (
    ExportReport,
    UnitOfWork,
    export,
    note_event,
    pending_days,
    trader_key,
)

__all__ = [
    "BREAKDOWNS",
    "TRS_PRECISION",
    "DIMENSIONS",
    "ExportReport",
    "TradeTable",
    "TrsTable",
    "bottlenecks",
    "export",
    "export_changes",
    "months",
    "pending_days",
    "register_consumers",
    "table_csv",
    "table_parquet",
    "trade_series",
    "trade_table",
    "trader_key",
    "trs_table",
]

DIMENSIONS = {
    "hs2": "HS chapter",
    "hs4": "HS heading",
    "hs6": "HS subheading",
    "partner": "partner country",
    "procedure": "customs procedure",
    "mode": "mode of transport",
    "office": "customs office",
}
PARENTS = {"hs4": "hs2", "hs6": "hs4"}
FLOWS = {"import": "Imports", "export": "Exports"}
BREAKDOWNS = {
    "all": "all consignments",
    "office": "customs office",
    "mode": "mode of transport",
    "channel": "channel",
    "aeo": "AEO or not",
    "waited": "what the release waited for",
    "agency": "agency whose permit the release waited for",
    "month": "month",
}
MEASURES = ("statistical_value", "net_mass_kg", "supplementary_quantity", "duties_taxes")
TRS_MEASURES = (
    "consignments",
    "arrival_to_lodgement_median",
    "lodgement_to_acceptance_median",
    "acceptance_to_release_median",
    "release_to_gate_out_median",
    "total_median",
    "total_p90",
    "inspection_median",
    "payment_median",
    "permits_median",
    "within_target",
)
TRS_PRECISION = (
    "Medians and percentiles are computed from monthly summaries in which every interval is "
    "rounded to half a minute, or to 0.8% (1/128) of its length when longer than an hour: each "
    "figure is within half a minute or 0.8% of the exact one, and the share released within the "
    "target is exact for a target within 0.8% of it."
)
"""The precision of the published Time Release Study (see ``queries/trs.sql``)."""
CONFIDENTIAL = "c"


def register_consumers() -> None:
    """Note the days of acceptance whose statistics change with each declaration and cargo
    event; the export rewrites them (``onewindow stats export`` or the worker's round)."""
    for name, prefix in (
        ("statistics.declarations", "declaration."),
        ("statistics.cargo", "cargo."),
    ):
        events.unsubscribe(name)
        events.subscribe(name, prefix, note_event)


def export_changes(unit_of_work: UnitOfWork, *, full: bool = False) -> ExportReport:
    """Export every changed day to the configured folder."""
    return export(unit_of_work, get_settings().statistics_dir, full=full)


def _directory(directory: Path | None) -> Path:
    return directory or get_settings().statistics_dir


def _check(name: str, value: str, allowed: dict[str, str] | None = None) -> None:
    if allowed is not None and value not in allowed:
        raise InvalidInput(
            f"Unknown {name}.", [FieldError(f"/{name}", f"must be one of {', '.join(allowed)}")]
        )


def _month(name: str, value: str) -> str:
    if len(value) != 7 or value[4] != "-" or not (value[:4] + value[5:]).isdigit():
        raise InvalidInput("Give months as YYYY-MM.", [FieldError(f"/{name}", "must be YYYY-MM")])
    return value


def months(directory: Path | None = None) -> list[str]:
    """The months the store holds, newest first."""
    _, rows = store.run(_directory(directory), "months")
    return [str(r[0]) for r in rows if r[0]]


def published_month(known: list[str], today: date | None = None) -> str:
    """The month a page opens on: the newest complete one (the current month is still open and
    thin, so most of its cells would be withheld), or the newest there is."""
    current = (today or utcnow().date()).strftime("%Y-%m")
    closed = [m for m in known if m < current]
    return closed[0] if closed else (known[0] if known else "")


@dataclass(frozen=True)
class Row:
    code: str
    parent: str
    declarations: int | None
    values: dict[str, Decimal | None]
    confidential: bool


@dataclass(frozen=True)
class TradeTable:
    flow: str
    month: str
    dimension: str
    rows: list[Row]
    total: Row | None


def _cells(
    directory: Path, flow: str, month: str, dimension: str, from_items: bool
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    if from_items:
        columns, rows = store.run(directory, "trade_items", [dimension, dimension, flow, month])
    else:
        columns, rows = store.run(directory, "trade", [dimension, flow, month])
    found = [dict(zip(columns, r, strict=True)) for r in rows]
    cells = [r for r in found if r["kind"] == "cell"]
    total = next((r for r in found if r["kind"] == "total" and r["traders"]), None)
    return cells, total


def _withheld_codes(
    directory: Path, flow: str, month: str, dimension: str, from_items: bool
) -> frozenset[str]:
    """The codes of ``dimension`` withheld when its own table is published."""
    table = trade_table(flow, month, dimension, directory, from_items=from_items)
    return frozenset(r.code for r in table.rows if r.confidential)


def trade_table(
    flow: str,
    month: str,
    dimension: str,
    directory: Path | None = None,
    *,
    from_items: bool = False,
) -> TradeTable:
    """One month of one flow by one dimension, confidential cells withheld: from the month's
    trade summary, or with ``from_items`` from the items themselves (the same figures, seconds
    over a month of millions; kept to check the summary)."""
    _check("flow", flow, FLOWS)
    _check("dimension", dimension, DIMENSIONS)
    _month("month", month)
    directory = _directory(directory)
    min_traders = get_settings().statistics_min_traders
    cells, total = _cells(directory, flow, month, dimension, from_items)
    hidden = (
        _withheld_codes(directory, flow, month, PARENTS[dimension], from_items)
        if dimension in PARENTS
        else frozenset()
    )
    decided = suppress(
        [
            Cell(r["code"], r["parent"], int(r["traders"]), r["statistical_value"] or Decimal(0))
            for r in cells
        ],
        min_traders,
        total_traders=int(total["traders"]) if total else 0,
        hidden_parents=hidden,
    )
    rows = [_row(r, cell.confidential) for r, cell in zip(cells, decided, strict=True)]
    published_total = (
        _row({**total, "code": "total", "parent": ""}, int(total["traders"]) < min_traders)
        if total is not None
        else None
    )
    return TradeTable(flow, month, dimension, rows, published_total)


def _row(found: dict[str, Any], confidential: bool) -> Row:
    return Row(
        code=str(found["code"]),
        parent=str(found["parent"] or ""),
        declarations=None if confidential else int(found["declarations"]),
        values={m: None if confidential else found[m] for m in MEASURES},
        confidential=confidential,
    )


@dataclass(frozen=True)
class SeriesPoint:
    month: str
    declarations: int | None
    statistical_value: Decimal | None
    net_mass_kg: Decimal | None
    duties_taxes: Decimal | None
    confidential: bool


def trade_series(
    flow: str,
    first: str,
    last: str,
    directory: Path | None = None,
    *,
    from_items: bool = False,
) -> list[SeriesPoint]:
    """Month by month totals of one flow, from the monthly trade summaries (or with
    ``from_items`` from the items themselves); months behind too few traders are withheld (and,
    the series adding up to no published figure, nothing more)."""
    _check("flow", flow, FLOWS)
    _month("from", first)
    _month("to", last)
    min_traders = get_settings().statistics_min_traders
    query = "trade_months_items" if from_items else "trade_months"
    _, rows = store.run(_directory(directory), query, [flow, first, last])
    out = []
    for month, traders, declarations_, value, mass, duties in rows:
        hidden = int(traders) < min_traders
        out.append(
            SeriesPoint(
                str(month),
                None if hidden else int(declarations_),
                None if hidden else value,
                None if hidden else mass,
                None if hidden else duties,
                hidden,
            )
        )
    return out


@dataclass(frozen=True)
class TrsRow:
    group: str
    values: dict[str, float | int | None]
    confidential: bool


@dataclass(frozen=True)
class TrsTable:
    breakdown: str
    first: str
    last: str
    target_hours: float
    rows: list[TrsRow]


def trs_table(
    breakdown: str,
    first: str,
    last: str,
    directory: Path | None = None,
    *,
    exact: bool = False,
) -> TrsTable:
    """The Time Release Study by one breakdown over a range of months, from the monthly
    summaries (within :data:`TRS_PRECISION` of the exact figures), or with ``exact`` from the
    declarations themselves (seconds over a year of millions); groups behind fewer than the
    minimum of traders are withheld like trade cells."""
    _check("breakdown", breakdown, BREAKDOWNS)
    _month("from", first)
    _month("to", last)
    settings = get_settings()
    target = settings.statistics_target_hours
    query = "trs_exact" if exact else "trs"
    columns, rows = store.run(_directory(directory), query, [breakdown, first, last, target])
    out = []
    for raw in rows:
        found = dict(zip(columns, raw, strict=True))
        hidden = int(found["traders"]) < settings.statistics_min_traders
        values: dict[str, float | int | None] = {}
        for m in TRS_MEASURES:
            v = found[m]
            values[m] = None if hidden or v is None else (v if m == "consignments" else float(v))
        out.append(TrsRow(str(found["grp"]), values, hidden))
    return TrsTable(breakdown, first, last, target, out)


def _hours(value: float) -> str:
    if value >= 48:
        return f"{value / 24:.1f} days"
    if value >= 1:
        return f"{value:.0f} h" if value >= 10 else f"{value:.1f} h"
    return f"{value * 60:.0f} min"


def _consignments(count: float | int | None) -> str:
    n = int(count or 0)
    return f"{n:,} consignment{'' if n == 1 else 's'}"


def bottlenecks(first: str, last: str, directory: Path | None = None) -> list[str]:
    """Where the time goes, in words: what a control, each agency's permits and payment add,
    the slowest step, and the share released within the target."""
    by_channel = {r.group: r for r in trs_table("channel", first, last, directory).rows}
    said: list[str] = []
    green = by_channel.get("green")
    green_release = green.values["acceptance_to_release_median"] if green else None
    for channel, control in (("red", "inspection"), ("yellow", "the documentary check")):
        row = by_channel.get(channel)
        if row is None or row.confidential:
            continue
        release = row.values["acceptance_to_release_median"]
        if release is not None and green_release is not None and release > green_release:
            added = float(release) - float(green_release)
            said.append(
                f"{control.capitalize()} adds a median of {_hours(added)} to {channel}-channel "
                f"declarations (acceptance to release, against the green channel)."
            )
    agencies = [
        r
        for r in trs_table("agency", first, last, directory).rows
        if not r.confidential and r.values["permits_median"] is not None
    ]
    for row in sorted(agencies, key=lambda r: (-float(r.values["permits_median"] or 0), r.group)):
        said.append(
            f"Permits from {row.group} add a median of "
            f"{_hours(float(row.values['permits_median'] or 0))} to the release of the "
            f"{_consignments(row.values['consignments'])} that waited for them (acceptance "
            "to the permit's grant)."
        )
    overall = trs_table("all", first, last, directory).rows
    if overall and not overall[0].confidential:
        v = overall[0].values
        steps = {
            "arrival to lodgement": v["arrival_to_lodgement_median"],
            "lodgement to acceptance": v["lodgement_to_acceptance_median"],
            "acceptance to release": v["acceptance_to_release_median"],
            "release to gate-out": v["release_to_gate_out_median"],
        }
        known = {k: float(x) for k, x in steps.items() if x is not None}
        if known:
            slowest = max(known, key=lambda k: known[k])
            said.append(
                f"The longest step is {slowest}: a median of {_hours(known[slowest])} per "
                "consignment."
            )
        payment = v["payment_median"]
        if payment is not None and float(payment) > 0:
            said.append(
                f"Waiting for payment takes a median of {_hours(float(payment))} where duties "
                "are due."
            )
        within = v["within_target"]
        if within is not None:
            said.append(
                f"{float(within) * 100:.0f}% of consignments are released within "
                f"{_hours(get_settings().statistics_target_hours)} of arrival."
            )
    return said


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def table_csv(table: TradeTable | TrsTable) -> str:
    """A published table as CSV: withheld cells read ``c``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if isinstance(table, TradeTable):
        writer.writerow(["flow", "month", table.dimension, "declarations", *MEASURES])
        rows = [*table.rows, *([table.total] if table.total else [])]
        for r in rows:
            code = "total" if r is table.total else r.code
            if r.confidential:
                writer.writerow([table.flow, table.month, code, *[CONFIDENTIAL] * 5])
            else:
                values = [_cell_text(r.values[m]) for m in MEASURES]
                writer.writerow([table.flow, table.month, code, r.declarations, *values])
    else:
        writer.writerow(["from", "to", table.breakdown, *TRS_MEASURES])
        for t in table.rows:
            cells = (
                [CONFIDENTIAL] * len(TRS_MEASURES)
                if t.confidential
                else [_cell_text(t.values[m]) for m in TRS_MEASURES]
            )
            writer.writerow([table.first, table.last, t.group, *cells])
    return buffer.getvalue()


def table_parquet(table: TradeTable | TrsTable) -> bytes:
    """A published table as a Parquet file: withheld cells are null."""
    if isinstance(table, TradeTable):
        columns = [
            ("flow", "VARCHAR"),
            ("month", "VARCHAR"),
            ("code", "VARCHAR"),
            ("declarations", "BIGINT"),
            *[(m, "DECIMAL(18,3)") for m in MEASURES],
            ("confidential", "BOOLEAN"),
        ]
        data: list[list[Any]] = [
            [table.flow, table.month, "total" if r is table.total else r.code, r.declarations]
            + [r.values[m] for m in MEASURES]
            + [r.confidential]
            for r in [*table.rows, *([table.total] if table.total else [])]
        ]
    else:
        columns = [
            ("first_month", "VARCHAR"),
            ("last_month", "VARCHAR"),
            ("grp", "VARCHAR"),
            *[(m, "DOUBLE") for m in TRS_MEASURES],
            ("confidential", "BOOLEAN"),
        ]
        data = [
            [table.first, table.last, t.group, *[t.values[m] for m in TRS_MEASURES]]
            + [t.confidential]
            for t in table.rows
        ]
    con = store.connect()
    try:
        con.execute("CREATE TEMP TABLE t (" + ", ".join(f"{n} {k}" for n, k in columns) + ")")
        if data:
            marks = ", ".join("?" for _ in columns)
            con.executemany(f"INSERT INTO t VALUES ({marks})", data)
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "table.parquet"
            con.execute(f"COPY t TO '{target}' (FORMAT parquet)")
            return target.read_bytes()
    finally:
        con.close()
