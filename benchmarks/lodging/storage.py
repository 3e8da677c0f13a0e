"""What the database alone sustains: a plain writer doing, for each declaration, the inserts
that lodging one does, with nothing else (no HTTP, no validation, risk or tariff).

The rows are those a real lodging wrote: one declaration is lodged through the services first,
every row it added is read back as a template (found by comparing the tables before and after),
and each writer declaration inserts copies of them in one transaction: the declaration, its
version, status changes, cargo index, risk decision, assessment, payment request and hold, the
outbox events, and the audit entries chained under the lock on the chain's head, as lodging does.
Unique values are made new; rows pointing at the declaration point at the copy; the outbox rows
are written as delivered, so that they leave the event workers nothing to do afterwards.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.lodging import SPAWN, in_processes
from sqlalchemy import Engine, MetaData, Table, func, select, text
from sqlalchemy.engine import Connection


@dataclass
class Template:
    """The rows one lodging added, table by table (the declaration's first)."""

    declaration: dict[str, Any]
    children: list[tuple[str, list[dict[str, Any]]]]
    audit: list[dict[str, Any]]

    @property
    def events(self) -> int:
        """The outbox events one lodging writes."""
        return sum(len(rows) for name, rows in self.children if name == "outbox_event")

    def describe(self) -> str:
        tables = 1 + len(self.children) + (1 if self.audit else 0)
        rows = 1 + sum(len(r) for _, r in self.children) + len(self.audit)
        return f"{rows} rows in {tables} tables, the audit chain's head updated"


def _counts(connection: Connection, tables: list[Table]) -> dict[str, int]:
    return {
        t.name: connection.execute(select(func.count()).select_from(t)).scalar_one() for t in tables
    }


def _maxima(connection: Connection, tables: list[Table]) -> dict[str, Any]:
    out = {}
    for table in tables:
        (key,) = table.primary_key.columns
        out[table.name] = connection.execute(select(func.max(key))).scalar()
    return out


def capture(engine: Engine, lodge_one: Callable[[], int]) -> Template:
    """Lodge one declaration with ``lodge_one`` (it returns the declaration's id) and keep the
    rows it added as the writer's template."""
    metadata = MetaData()
    metadata.reflect(engine)
    tables = [t for t in metadata.sorted_tables if len(t.primary_key.columns) == 1]
    with engine.connect() as connection:
        before_counts = _counts(connection, tables)
        before_max = _maxima(connection, tables)
    declaration_id = lodge_one()
    children: list[tuple[str, list[dict[str, Any]]]] = []
    audit: list[dict[str, Any]] = []
    declaration: dict[str, Any] = {}
    with engine.connect() as connection:
        after_counts = _counts(connection, tables)
        for table in tables:
            if after_counts[table.name] == before_counts[table.name]:
                continue
            (key,) = table.primary_key.columns
            query = select(table)
            if before_max[table.name] is not None and key.type.python_type is int:
                query = query.where(key > before_max[table.name])
            elif "occurred_at" in table.c:
                # Keys that are not serial (the outbox's): the rows that name the declaration.
                query = query.where(table.c.subject_id == str(declaration_id))
            rows = [dict(r._mapping) for r in connection.execute(query.order_by(key))]
            if table.name == "declaration":
                declaration = rows[0]
            elif table.name == "audit_entry":
                audit = rows
            else:
                children.append((table.name, rows))
    return Template(declaration, children, audit)


def _fresh(table: Table, row: dict[str, Any], old_id: int, new_id: int, tag: str) -> dict[str, Any]:
    """A copy of a template row for the writer's declaration ``new_id``."""
    (key,) = table.primary_key.columns
    copy = dict(row)
    if key.autoincrement is True or (key.type.python_type is int and key.name == "id"):
        copy.pop(key.name)
    elif key.type.python_type is str:
        copy[key.name] = str(uuid.uuid4())
    if table.name == "outbox_event":
        # Written as delivered: the same insert, and no work left for the event workers of the
        # run that follows.
        copy["delivered_at"] = copy["occurred_at"]
    for name, value in row.items():
        if name == "declaration_id":
            copy[name] = new_id
        elif name == "subject_id" and value == str(old_id):
            copy[name] = str(new_id)
    for constraint in table.constraints:
        columns = getattr(constraint, "columns", None)
        if constraint.__class__.__name__ != "UniqueConstraint" or columns is None:
            continue
        for column in columns:
            if column.name != "declaration_id" and isinstance(copy.get(column.name), str):
                length = getattr(column.type, "length", None) or 64
                copy[column.name] = (tag + copy[column.name])[:length]
    return copy


def write_one(connection: Connection, tables: dict[str, Table], template: Template) -> None:
    """One declaration's rows, in one transaction (the caller's)."""
    tag = uuid.uuid4().hex[:12]
    declaration = tables["declaration"]
    head = dict(template.declaration)
    old_id = head.pop("id")
    for name in ("declarant_reference", "number"):
        if head.get(name):
            length = declaration.c[name].type.length or 20  # type: ignore[attr-defined]
            head[name] = ("W" + tag + head[name])[:length]
    new_id = connection.execute(
        declaration.insert().values(head).returning(declaration.c.id)
    ).scalar_one()
    for name, rows in template.children:
        table = tables[name]
        connection.execute(table.insert(), [_fresh(table, r, old_id, new_id, tag) for r in rows])
    if template.audit:
        locking = " FOR UPDATE" if connection.dialect.name == "postgresql" else ""
        seq, tip = connection.execute(
            text(f"SELECT seq, hash FROM audit_head WHERE id = 1{locking}")
        ).one()
        entries = []
        for row in template.audit:
            seq += 1
            entry = dict(row, seq=seq, prev_hash=tip)
            if entry.get("subject_id") == str(old_id):
                entry["subject_id"] = str(new_id)
            tip = entry["hash"] = hashlib.sha256(
                f"{seq}{tip}{entry['action']}".encode()
            ).hexdigest()
            entries.append(entry)
        connection.execute(tables["audit_entry"].insert(), entries)
        connection.execute(
            text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq, "h": tip}
        )


def _writer(url: str, template: Template, start: Any, seconds: float, done: Any) -> None:
    from onewindow.db import make_engine

    engine = make_engine(url)  # the application's own settings (SQLite: WAL, FULL, IMMEDIATE)
    metadata = MetaData()
    metadata.reflect(engine)
    tables = dict(metadata.tables)
    start.wait()  # every writer ready: go together
    measure_from = time.perf_counter() + 1
    stop_at = measure_from + seconds
    latencies = []
    while (now := time.perf_counter()) < stop_at:
        with engine.begin() as connection:
            write_one(connection, tables, template)
        if now >= measure_from:
            latencies.append(time.perf_counter() - now)
    done.put(latencies)


def sustained(url: str, template: Template, *, clients: int, seconds: float) -> dict[str, float]:
    """Declarations a second the database takes from ``clients`` writer processes (each
    declaration one transaction), counted after a second of warming up."""
    start = SPAWN.Barrier(clients)
    results = in_processes(_writer, clients, url, template, start, seconds)
    latencies = sorted(x for r in results for x in r)
    return {
        "declarations": len(latencies),
        "per_second": len(latencies) / seconds,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else 0.0,
    }
