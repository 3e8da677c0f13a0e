"""The analytical store: Parquet files partitioned by month, read with DuckDB embedded.

Layout (``ONEWINDOW_STATISTICS_DIR``)::

    declarations/month=2026-11/day-2026-11-03.parquet   one row per declaration
    items/month=2026-11/day-2026-11-03.parquet          one row per goods item
    cargo_events/month=2026-11/...                      arrival, discharge, gate-out
    decisions/month=2026-11/...                         every status change

The operational export writes one file per table and day of acceptance and replaces it whole when
anything about that day changes; the fast generator writes larger ``part-*.parquet`` files into
the same folders. Queries see one table per folder (``month`` comes from the folder name, as Hive
partitioning has it), so Spark or Trino read the same files as external tables.

No table holds a trader's name or identifier: ``trader`` is a keyed pseudonym (HMAC of the
organisation id with the secret key) used only to count distinct traders for confidentiality.
"""

from __future__ import annotations

import os
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
}
"""Every table of the store and its columns, in file order (``month`` is the folder)."""


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection that reads and writes times as UTC."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


def _files(directory: Path, table: str) -> str:
    return str(directory / table / "month=*" / "*.parquet")


def _empty_select(table: str) -> str:
    columns = ", ".join(f"CAST(NULL AS {kind}) AS {name}" for name, kind in TABLES[table])
    return f"SELECT {columns}, CAST(NULL AS VARCHAR) AS month WHERE false"


def create_views(con: duckdb.DuckDBPyConnection, directory: Path) -> None:
    """One view per table over its Parquet files (an empty view where none is written yet).

    This is the only engine-specific step: on Spark or Trino, the same folders are declared as
    external Parquet tables partitioned by ``month``, and the query files run unchanged.
    """
    for table in TABLES:
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
        create_views(con, directory)
        cursor = con.execute(query_text(name), list(parameters))
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
    columns = TABLES[table]
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
