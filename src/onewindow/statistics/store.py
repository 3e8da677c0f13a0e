"""The analytical store: Parquet files partitioned by month, read with DuckDB embedded.

Layout (``ONEWINDOW_STATISTICS_DIR``)::

    declarations/month=2026-11/day-2026-11-03.parquet   one row per declaration
    items/month=2026-11/day-2026-11-03.parquet          one row per goods item
    cargo_events/month=2026-11/...                      arrival, discharge, gate-out
    decisions/month=2026-11/...                         every status change
    permit_waits/month=2026-11/...                      the permits a release waited for
    trs_days/month=2026-11/day-2026-11-03.parquet       Time Release Study summary of a day
    trs_months/month=2026-11/summary.parquet            ... and of the month
    trade_cells/month=2026-11/summary.parquet           every trade cell of the month
    trade_cells/month=2026-11/.stale                    ... to be made again (an export's mark)

The operational export writes one file per table and day of acceptance and replaces it whole when
anything about that day changes; the fast generator writes larger ``part-*.parquet`` files into
the same folders. Queries see one table per folder (``month`` comes from the folder name, as Hive
partitioning has it), so Spark or Trino read the same files as external tables.

No table holds a trader's name or identifier: ``trader`` is a keyed pseudonym (HMAC of the
organisation id with the secret key) used only to count distinct traders for confidentiality.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas

QUERIES_DIR = Path(__file__).parent / "queries"

TABLES: dict[str, list[tuple[str, str]]] = {
    "declarations": [
        ("declaration_id", "BIGINT"),
        ("day", "DATE"),
        ("flow", "VARCHAR"),
        ("office", "VARCHAR"),
        ("mode", "VARCHAR"),
        ("channel", "VARCHAR"),
        ("aeo", "BOOLEAN"),
        ("trader", "VARCHAR"),
        ("arrival_at", "TIMESTAMP"),
        ("lodged_at", "TIMESTAMP"),
        ("accepted_at", "TIMESTAMP"),
        ("released_at", "TIMESTAMP"),
        ("gate_out_at", "TIMESTAMP"),
        ("inspection_hours", "DOUBLE"),
        ("payment_hours", "DOUBLE"),
        ("version", "INTEGER"),
        ("permit_hours", "DOUBLE"),
    ],
    "items": [
        ("declaration_id", "BIGINT"),
        ("item", "INTEGER"),
        ("day", "DATE"),
        ("flow", "VARCHAR"),
        ("hs2", "VARCHAR"),
        ("hs4", "VARCHAR"),
        ("hs6", "VARCHAR"),
        ("partner", "VARCHAR"),
        ("procedure", "VARCHAR"),
        ("mode", "VARCHAR"),
        ("office", "VARCHAR"),
        ("trader", "VARCHAR"),
        ("statistical_value", "DECIMAL(18,2)"),
        ("net_mass_kg", "DECIMAL(18,3)"),
        ("supplementary_quantity", "DECIMAL(18,3)"),
        ("supplementary_unit", "VARCHAR"),
        ("duties_taxes", "DECIMAL(18,2)"),
    ],
    "cargo_events": [
        ("declaration_id", "BIGINT"),
        ("day", "DATE"),
        ("kind", "VARCHAR"),
        ("at", "TIMESTAMP"),
    ],
    "decisions": [
        ("declaration_id", "BIGINT"),
        ("day", "DATE"),
        ("seq", "INTEGER"),
        ("from_status", "VARCHAR"),
        ("to_status", "VARCHAR"),
        ("at", "TIMESTAMP"),
    ],
    "permit_waits": [
        ("declaration_id", "BIGINT"),
        ("day", "DATE"),
        ("agency", "VARCHAR"),
        ("granted_at", "TIMESTAMP"),
        ("hours", "DOUBLE"),
    ],
}
"""Every table of the store and its columns, in file order (``month`` is the folder)."""

SUMMARIES: dict[str, list[tuple[str, str]]] = {
    "trs_days": [
        ("breakdown", "VARCHAR"),
        ("grp", "VARCHAR"),
        ("measure", "VARCHAR"),
        ("minutes", "BIGINT"),
        ("trader", "VARCHAR"),
        ("n", "BIGINT"),
    ],
}
SUMMARIES["trs_months"] = SUMMARIES["trs_days"]
"""The Time Release Study's pre-aggregated tables (see :func:`summarise_day`): ``trs_days`` holds
one file per day of acceptance (``day-*.parquet``, and the fast path's ``part-fast-*.parquet``),
``trs_months`` one file per month (``summary.parquet``), the sum of the month's ``trs_days``
files. The TRS query reads ``trs_months`` only: a year is twelve small files."""

SUMMARIES["trade_cells"] = [
    ("flow", "VARCHAR"),
    ("dimension", "VARCHAR"),
    ("code", "VARCHAR"),
    ("parent", "VARCHAR"),
    ("traders", "BIGINT"),
    ("declarations", "BIGINT"),
    ("statistical_value", "DECIMAL(38,2)"),
    ("net_mass_kg", "DECIMAL(38,3)"),
    ("supplementary_quantity", "DECIMAL(38,3)"),
    ("duties_taxes", "DECIMAL(38,2)"),
]
"""The trade summary: one file per month (``summary.parquet``), one row per flow, dimension and
cell of every published trade table and per flow for the tables' total, with the exact counts of
distinct traders and declarations and the sums of the measures (see ``queries/trade_summary.sql``
and :func:`summarise_trade_month`). The published trade tables and series read it: a month's
table by subheading is a few thousand rows instead of a million items (``trade_items.sql`` and
``trade_months_items.sql`` still count the same figures over the items, to check it)."""

TRADER_SAMPLE = 100
"""How many traders a summary keeps per group: the smallest pseudonyms (a bottom-k sample,
mergeable: the union of the samples of two periods holds the bottom k of the two together), so
the count of distinct traders is exact below this number, and at least this number above it.
Confidentiality only asks whether a group has fewer than ``statistics_min_traders``."""


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection that reads and writes times as UTC."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


def _files(directory: Path, table: str) -> str:
    return str(directory / table / "month=*" / "*.parquet")


def _columns(table: str) -> list[tuple[str, str]]:
    return TABLES[table] if table in TABLES else SUMMARIES[table]


def _empty_select(table: str) -> str:
    columns = ", ".join(f"CAST(NULL AS {kind}) AS {name}" for name, kind in _columns(table))
    return f"SELECT {columns}, CAST(NULL AS VARCHAR) AS month WHERE false"


def _view(con: duckdb.DuckDBPyConnection, name: str, table: str, files: Sequence[Path]) -> None:
    """A temporary view ``name`` over some files of ``table`` (empty when there are none)."""
    if files:
        listed = ", ".join(f"'{f}'" for f in files)
        source = (
            f"SELECT * FROM read_parquet([{listed}], hive_partitioning = true, "
            "union_by_name = true)"
        )
    else:
        source = _empty_select(table)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {source}")


def create_views(con: duckdb.DuckDBPyConnection, directory: Path, sql: str | None = None) -> None:
    """One view per table over its Parquet files (an empty view where none is written yet);
    given a query's ``sql``, only the views of the tables it reads (``FROM`` or ``JOIN`` the
    table: a column of the same name, such as ``declarations``, needs no view).

    This is the only engine-specific step: on Spark or Trino, the same folders are declared as
    external Parquet tables partitioned by ``month``, and the query files run unchanged.
    """
    for table in [*TABLES, *SUMMARIES]:
        if sql is not None and not re.search(rf"\b(from|join)\s+{table}\b", sql, re.I):
            continue
        if any((directory / table).glob("month=*/*.parquet")):
            source = (
                f"SELECT * FROM read_parquet('{_files(directory, table)}', "
                "hive_partitioning = true, union_by_name = true)"
            )
        else:
            source = _empty_select(table)
        con.execute(f"CREATE OR REPLACE VIEW {table} AS {source}")


def query_text(name: str) -> str:
    """The SQL of one query file (``queries/<name>.sql``)."""
    return (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run(
    directory: Path, name: str, parameters: Sequence[Any] = ()
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run a query file over the store; (column names, rows)."""
    con = connect()
    try:
        sql = query_text(name)
        create_views(con, directory, sql)
        cursor = con.execute(sql, list(parameters))
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()
    finally:
        con.close()


def partition(directory: Path, table: str, month: str) -> Path:
    return directory / table / f"month={month}"


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_day(
    directory: Path,
    table: str,
    day: str,
    rows: Sequence[Sequence[Any]],
    con: duckdb.DuckDBPyConnection | None = None,
) -> Path | None:
    """Replace one day's file of ``table`` with ``rows`` (in :data:`TABLES` order), atomically:
    readers see the old file or the new one. No rows: the day's file is removed."""
    folder = partition(directory, table, day[:7])
    target = folder / f"day-{day}.parquet"
    if not rows:
        target.unlink(missing_ok=True)
        return None
    folder.mkdir(parents=True, exist_ok=True)
    columns = _columns(table)
    temporary = folder / f".day-{day}.parquet.tmp"
    names = [n for n, _ in columns]
    # Every value travels as text and DuckDB casts it into the declared type: decimals and
    # times stay exact. Small days go as one statement's parameters, large ones as a frame.
    texts = [[None if v is None else _text(v) for v in row] for row in rows]
    select = ", ".join(f"CAST(v.{n} AS {t}) AS {n}" for n, t in columns)
    copy = f"TO '{temporary}' (FORMAT parquet, COMPRESSION zstd)"
    own = con is None
    con = con or connect()
    try:
        if len(texts) <= 500:
            marks = ", ".join(["(" + ", ".join("?" * len(names)) + ")"] * len(texts))
            source = f"(VALUES {marks}) v({', '.join(names)})"
            con.execute(
                f"COPY (SELECT {select} FROM {source}) {copy}",
                [value for row in texts for value in row],
            )
        else:
            frame = pandas.DataFrame(texts, columns=names, dtype=object)
            con.register("v", frame)
            con.execute(f"COPY (SELECT {select} FROM v) {copy}")
            con.unregister("v")
    finally:
        if own:
            con.close()
    os.replace(temporary, target)
    return target


def copy_query_to(directory: Path, name: str, parameters: Sequence[Any], target: Path) -> Path:
    """Write the result of a query file to a Parquet file (the public downloads)."""
    con = connect()
    try:
        create_views(con, directory)
        con.execute(
            f"COPY ({query_text(name).rstrip().rstrip(';')}) TO '{target}' (FORMAT parquet)",
            list(parameters),
        )
    finally:
        con.close()
    return target


# The summaries: Time Release Study and trade -----------------------------------------------------


def _copy_replacing(con: duckdb.DuckDBPyConnection, sql: str, target: Path, *params: Any) -> bool:
    """Write the rows of ``sql`` to ``target`` atomically (through a temporary file and a
    rename); no rows: ``target`` is removed. Whether a file was written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    con.execute(f"COPY ({sql}) TO '{temporary}' (FORMAT parquet, COMPRESSION zstd)", list(params))
    written = con.execute(f"SELECT count(*) FROM read_parquet('{temporary}')").fetchone()
    if not written or not written[0]:
        temporary.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        return False
    os.replace(temporary, target)
    return True


def _summary_columns() -> str:
    return ", ".join(n for n, _ in SUMMARIES["trs_days"])


STALE = ".stale"
"""The mark left in a month's ``trade_cells`` folder while its summary waits to be made again
(hidden, like the temporary files: engines reading the folder skip it)."""


def summarise_trade_month(
    directory: Path, month: str, con: duckdb.DuckDBPyConnection | None = None
) -> Path | None:
    """Replace the trade summary of one month with one made from every file of its items (the
    exported days and the fast path's parts, as they are now); removed when it has none.

    Counts of distinct traders and declarations do not add up across days, so the month is made
    again whole: the same files give the same summary, so a rerun or an export again after a
    crash counts nothing twice, and a late amendment shows in its month."""
    own = con is None
    con = con or connect()
    try:
        folder = partition(directory, "trade_cells", month)
        files = sorted(partition(directory, "items", month).glob("*.parquet"))
        target = folder / "summary.parquet"
        if not files:
            target.unlink(missing_ok=True)
        else:
            _view(con, "items", "items", files)
            columns = ", ".join(n for n, _ in SUMMARIES["trade_cells"])
            sql = (
                f"SELECT {columns} FROM ({query_text('trade_summary')}) s "
                "ORDER BY flow, dimension, code, parent"
            )
            _copy_replacing(con, sql, target)
        (folder / STALE).unlink(missing_ok=True)
        return target if target.exists() else None
    finally:
        if own:
            con.close()


def mark_trade_month_stale(directory: Path, month: str) -> None:
    """Note that a month's items changed and its trade summary is still to be made again (by
    :func:`summarise_trade_month`, which clears the mark)."""
    folder = partition(directory, "trade_cells", month)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STALE).touch()


def stale_trade_months(directory: Path) -> list[str]:
    """The months whose trade summary is to be made again: marked stale (an export stopped
    before it summarised the month), or with items and no summary (a store written before there
    were trade summaries). :func:`onewindow.statistics.export.export` summarises them first."""
    marked = {p.parent.name[6:] for p in (directory / "trade_cells").glob(f"month=*/{STALE}")}
    missing = {
        folder.name[6:]
        for folder in (directory / "items").glob("month=*")
        if any(folder.glob("*.parquet"))
        and not (partition(directory, "trade_cells", folder.name[6:]) / "summary.parquet").exists()
    }
    return sorted(marked | missing)


def summarise_day(
    directory: Path,
    day: str,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    trade: bool = True,
) -> Path | None:
    """Replace the TRS summary of one day of acceptance with one made from the day's files of
    ``declarations`` and ``permit_waits`` (as they are now), then the summary of its month, and
    the month's trade summary (:func:`summarise_trade_month`); with ``trade`` false, the month's
    trade summary is only marked stale, for the caller to make once the month's days are done.

    Called after the day's files are written: a rewritten day replaces its summary, a day left
    without files loses it, and the month is summed again from its days, so a rerun or an
    export again after a crash gives the same files and nothing is counted twice."""
    month = day[:7]
    own = con is None
    con = con or connect()
    try:
        found = {
            table: [
                p for p in [partition(directory, table, month) / f"day-{day}.parquet"] if p.exists()
            ]
            for table in ("declarations", "permit_waits")
        }
        target = partition(directory, "trs_days", month) / f"day-{day}.parquet"
        if found["declarations"]:
            for table, files in found.items():
                _view(con, table, table, files)
            sql = (
                f"SELECT {_summary_columns()} FROM ({query_text('trs_summary')}) s "
                f"ORDER BY {_summary_columns()}"
            )
            _copy_replacing(con, sql, target, TRADER_SAMPLE)
        else:
            target.unlink(missing_ok=True)
        rebuild_month(directory, month, con)
        if trade:
            summarise_trade_month(directory, month, con)
        else:
            mark_trade_month_stale(directory, month)
    finally:
        if own:
            con.close()
    return target if target.exists() else None


def rebuild_month(
    directory: Path, month: str, con: duckdb.DuckDBPyConnection | None = None
) -> Path | None:
    """Sum the day summaries of one month into the month's (removed when it has none)."""
    own = con is None
    con = con or connect()
    try:
        days = sorted(partition(directory, "trs_days", month).glob("*.parquet"))
        target = partition(directory, "trs_months", month) / "summary.parquet"
        if not days:
            target.unlink(missing_ok=True)
            return None
        _view(con, "trs_days", "trs_days", days)
        sql = (
            f"SELECT {_summary_columns()} FROM ({query_text('trs_rollup')}) s "
            f"ORDER BY {_summary_columns()}"
        )
        return target if _copy_replacing(con, sql, target, TRADER_SAMPLE) else None
    finally:
        if own:
            con.close()
