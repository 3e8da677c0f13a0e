"""The incremental export from the operational database to the Parquet store.

The unit of export is a day of acceptance: a declaration belongs to the day it was accepted
(UTC), for good. Whatever changes about a declaration later (amended, held, released, its cargo
discharged or gated out, cancelled) marks its day as changed in ``statistics_watermark``, and the
next export rewrites that day's files whole from the operational data. So:

- exporting twice writes the same files (nothing is appended, each file is replaced);
- a crash after writing a day's files but before committing its watermark only makes the next
  export write them again: no declaration is ever counted twice;
- a late amendment or a late gate-out replaces the rows of its day, so queries need no
  deduplication;
- the day's Time Release Study summary is made from the day's files once they are written, and
  its month's summary summed again from the month's days (:func:`store.summarise_day`), in the
  same step: it is replaced with the day, never added to;
- the month's trade summary is made again whole from the month's items
  (:func:`store.summarise_trade_month`) once the export is done with the month's changed days:
  a backlog of a month's days summarises the month once, not once a day. Until then the month is
  marked stale, before the day's watermark is committed, so an export stopped in between
  summarises it at the start of the next one (so does a store written before there were trade
  summaries).

Days are noted changed by the event consumer (``declaration.*`` and ``cargo.*`` events, see
:func:`note_event`), and, for a database exported without a worker, by the export itself for
every acceptance since the newest day it knows.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onewindow.aeo import service as aeo
from onewindow.cargo import service as cargo
from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.declarations.models import Declaration
from onewindow.events import Event
from onewindow.permits import service as permits
from onewindow.reference import service as reference
from onewindow.statistics import store
from onewindow.statistics.models import StatisticsWatermark

UnitOfWork = Callable[[], AbstractContextManager[Session]]

FLOWS = {"IM": "import", "EX": "export"}
MODES = {
    "1": "sea",
    "2": "rail",
    "3": "road",
    "4": "air",
    "5": "post",
    "7": "fixed installation",
    "8": "inland waterway",
    "9": "own propulsion",
}
CONTROL_HOLDS = declarations.CONTROL_HOLDS


# Noting what changed ------------------------------------------------------------------------


def note_days(session: Session, days: Iterable[date]) -> None:
    """Mark these days of acceptance as changed (the next export rewrites them)."""
    for day in sorted(set(days)):
        bumped = session.execute(
            update(StatisticsWatermark)
            .where(StatisticsWatermark.day == day)
            .values(changed=StatisticsWatermark.changed + 1)
        )
        if bumped.rowcount:  # type: ignore[attr-defined]
            continue
        try:
            with session.begin_nested():
                session.add(StatisticsWatermark(day=day, changed=1, exported=0, rows=0))
        except IntegrityError:
            session.execute(
                update(StatisticsWatermark)
                .where(StatisticsWatermark.day == day)
                .values(changed=StatisticsWatermark.changed + 1)
            )
    session.flush()


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()


DECLARATION_TOPICS = frozenset(
    f"declaration.{step}"
    for step in (
        "accepted",
        "assessed",
        "amended",
        "paid",
        "guaranteed",
        "released",
        "cancelled",
        "invalidated",
    )
)
"""The declaration events after which its exported figures differ: the other steps (lodged,
awaiting payment, holds) show in the figures only with one of these, so they are passed over
and lodging's events do not all queue on the day's watermark row."""


def note_event(session: Session, event: Event) -> None:
    """The event consumer: the day of each accepted declaration the event concerns changed."""
    ids: list[int] = []
    if event.subject_type == "declaration" and event.topic not in DECLARATION_TOPICS:
        return
    if event.subject_type == "declaration" and event.subject_id.isdigit():
        ids = [int(event.subject_id)]
    elif event.topic.startswith("cargo.") and event.subject_type in {"container", "document"}:
        found = declarations.covering(
            session,
            documents=[event.subject_id] if event.subject_type == "document" else [],
            containers=[event.subject_id] if event.subject_type == "container" else [],
        )
        ids = [d.id for d in found]
    if ids:
        note_days(
            session, (_day(at) for at in declarations.acceptance_times(session, ids).values())
        )


def note_new_acceptances(session: Session) -> int:
    """Note the days of declarations accepted since the newest day the watermark knows (all of
    them on a first export): what an export without a running worker still catches."""
    newest = session.scalar(select(func.max(StatisticsWatermark.day)))
    times = declarations.first_acceptances(session)
    days = {_day(at) for at in times if newest is None or _day(at) >= newest}
    note_days(session, days)
    return len(days)


def note_everything(session: Session) -> int:
    """Mark every day with an acceptance as changed (``stats export --full``)."""
    days = {_day(at) for at in declarations.first_acceptances(session)}
    days |= set(session.scalars(select(StatisticsWatermark.day)))
    note_days(session, days)
    return len(days)


# Rows of one day -----------------------------------------------------------------------------


def trader_key(organisation_id: int | None) -> str | None:
    """A keyed pseudonym of a trader: counts distinct traders, names nobody."""
    if organisation_id is None:
        return None
    key = get_settings().secret_key.encode() or b"onewindow-statistics"
    message = f"trader:{organisation_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def _hours(spans: Iterable[tuple[datetime, datetime | None]]) -> float | None:
    done = [(b - a).total_seconds() / 3600 for a, b in spans if b is not None]
    return round(sum(done), 4) if done else None


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def _latest_before(times: list[datetime], limit: datetime) -> datetime | None:
    before = [t for t in times if t <= limit]
    return before[-1] if before else None


@dataclass
class DayRows:
    declarations: list[tuple[Any, ...]]
    items: list[tuple[Any, ...]]
    cargo_events: list[tuple[Any, ...]]
    decisions: list[tuple[Any, ...]]
    permit_waits: list[tuple[Any, ...]]

    def by_table(self) -> dict[str, list[tuple[Any, ...]]]:
        return {
            "declarations": self.declarations,
            "items": self.items,
            "cargo_events": self.cargo_events,
            "decisions": self.decisions,
            "permit_waits": self.permit_waits,
        }


def rows_of_day(session: Session, day: date) -> DayRows:
    """Everything the store holds about the declarations accepted on ``day``."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    found = declarations.in_force_accepted_between(session, start, start + timedelta(days=1))
    ids = [d.id for d in found]
    changes = declarations.status_changes_of(session, ids)
    assessments = declarations.latest_assessments(session, ids)
    cargo_named = declarations.cargo_of_many(session, ids)
    named = declarations.parties_of_many(session, ids)
    transports = sorted(
        {str((d.content.get("transport") or {}).get("identity") or "") for d in found} - {""}
    )
    arrived = cargo.arrivals(session, transports)
    subjects = sorted({s for docs, boxes in cargo_named.values() for s in (*docs, *boxes)})
    terminal = cargo.event_times(session, subjects, ["discharged", "gated_out"])
    national = get_settings().currency
    currencies = {
        str((i.get("value") or {}).get("currency"))
        for d in found
        for i in d.content.get("items", [])
        if i.get("value")
    }
    rates = reference.exchange_rates_on(session, currencies - {national}, day)
    rates[national] = Decimal(1)
    waits = permits.release_waits(session, ids)
    out = DayRows([], [], [], [], [])
    for d in found:
        _declaration_rows(d, day, out, changes, assessments, cargo_named, named, arrived, waits)
        _cargo_rows(d, day, out, cargo_named[d.id], terminal)
        _item_rows(session, d, day, out, assessments, named, rates)
    return out


def _trader(d: Declaration, named: dict[int, dict[str, int]]) -> int:
    roles = named.get(d.id, {})
    return roles.get("importer") or roles.get("exporter") or d.organisation_id


def _declaration_rows(
    d: Declaration,
    day: date,
    out: DayRows,
    changes: dict[int, list[Any]],
    assessments: dict[int, Any],
    cargo_named: dict[int, tuple[list[str], list[str]]],
    named: dict[int, dict[str, int]],
    arrived: dict[str, list[datetime]],
    waits: dict[int, list[permits.ReleaseWait]],
) -> None:
    content = d.content
    transport = content.get("transport") or {}
    limit = d.released_at or d.accepted_at or d.lodged_at
    arrival = _latest_before(arrived.get(str(transport.get("identity") or ""), []), limit)
    trader = _trader(d, named)
    out.declarations.append(
        (
            d.id,
            day,
            FLOWS.get(d.type, "transit"),
            content.get("office_of_lodgement"),
            MODES.get(str(transport.get("mode") or ""), "other"),
            d.channel,
            None,  # AEO: filled by rows_of_day's caller through the AEO domain (see below)
            trader_key(trader),
            arrival,
            d.lodged_at,
            d.accepted_at,
            d.released_at,
            None,  # gate-out: filled from the cargo rows
            _hours((h.placed_at, h.lifted_at) for h in d.holds if h.kind in CONTROL_HOLDS),
            _hours((h.placed_at, h.lifted_at) for h in d.holds if h.kind == "payment"),
            d.version,
            max((w.hours for w in waits.get(d.id, [])), default=None),
        )
    )
    for wait in waits.get(d.id, []):
        out.permit_waits.append((d.id, day, wait.agency, wait.granted_at, wait.hours))
    for seq, change in enumerate(changes.get(d.id, []), start=1):
        out.decisions.append((d.id, day, seq, change.from_status, change.to_status, change.at))
    if arrival is not None:
        out.cargo_events.append((d.id, day, "arrived", arrival))


def _cargo_rows(
    d: Declaration,
    day: date,
    out: DayRows,
    named: tuple[list[str], list[str]],
    terminal: dict[tuple[str, str], list[datetime]],
) -> None:
    documents, containers = named
    subjects = containers or documents
    if not subjects:
        return
    discharged = [terminal[(s, "discharged")][0] for s in subjects if (s, "discharged") in terminal]
    if discharged:
        out.cargo_events.append((d.id, day, "discharged", min(discharged)))
    if d.released_at is None:
        return
    gone = []
    for subject in subjects:
        after = [t for t in terminal.get((subject, "gated_out"), []) if t >= d.released_at]
        if not after:
            return  # the consignment has not all left yet
        gone.append(after[0])
    out.cargo_events.append((d.id, day, "gated_out", max(gone)))
    row = list(out.declarations[-1])
    row[12] = max(gone)
    out.declarations[-1] = tuple(row)


def _item_rows(
    session: Session,
    d: Declaration,
    day: date,
    out: DayRows,
    assessments: dict[int, Any],
    named: dict[int, dict[str, int]],
    rates: dict[str, Decimal],
) -> None:
    trader = _trader(d, named)
    row = list(out.declarations[-1])
    row[6] = aeo.is_aeo(session, trader, day)
    out.declarations[-1] = tuple(row)
    content = d.content
    flow = FLOWS.get(d.type)
    if flow is None:
        return
    assessed = assessments.get(d.id)
    lines = {int(line["sequence"]): line for line in (assessed.items if assessed else [])}
    partner = content.get("country_of_export" if flow == "import" else "country_of_destination")
    mode = MODES.get(str((content.get("transport") or {}).get("mode") or ""), "other")
    for item in content.get("items", []):
        code = str(item.get("commodity_code") or "")
        line = lines.get(int(item.get("sequence") or 0))
        value = _amount(line.get("customs_value")) if line else None
        if value is None and item.get("value"):
            rate = rates.get(str(item["value"].get("currency")))
            amount = _amount(item["value"].get("amount"))
            value = amount * rate if rate is not None and amount is not None else None
        duties = (
            sum((Decimal(str(a)) for a in line.get("amounts", {}).values()), Decimal(0))
            if line
            else None
        )
        supplementary = item.get("supplementary_quantity") or {}
        out.items.append(
            (
                d.id,
                int(item.get("sequence") or 0),
                day,
                flow,
                code[:2] or None,
                code[:4] or None,
                code[:6] or None,
                partner,
                item.get("procedure"),
                mode,
                content.get("office_of_lodgement"),
                trader_key(trader),
                None if value is None else value.quantize(Decimal("0.01")),
                _amount(item.get("net_mass_kg")),
                _amount(supplementary.get("value")),
                supplementary.get("unit"),
                None if duties is None else duties.quantize(Decimal("0.01")),
            )
        )


# The export ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportReport:
    days: int
    declarations: int
    items: int
    seconds: float


def export(
    unit_of_work: UnitOfWork,
    directory: Path | None = None,
    *,
    full: bool = False,
    max_days: int | None = None,
) -> ExportReport:
    """Rewrite the files of every changed day, one unit of work a day; return what was done."""
    directory = directory or get_settings().statistics_dir
    started = utcnow()
    with unit_of_work() as session:
        if full:
            note_everything(session)
        else:
            note_new_acceptances(session)
    days = declarations_count = items_count = 0
    con = store.connect()
    try:
        for stale in store.stale_trade_months(directory):
            store.summarise_trade_month(directory, stale, con)
        month: str | None = None  # the month of the days being exported, summarised after them
        while max_days is None or days < max_days:
            done = _export_next(unit_of_work, directory, con)
            if done is None:
                break
            if month is not None and done[2] != month:
                store.summarise_trade_month(directory, month, con)
            days += 1
            declarations_count += done[0]
            items_count += done[1]
            month = done[2]
        if month is not None:
            store.summarise_trade_month(directory, month, con)
    finally:
        con.close()
    seconds = (utcnow() - started).total_seconds()
    return ExportReport(days, declarations_count, items_count, seconds)


def _export_next(
    unit_of_work: UnitOfWork, directory: Path, con: Any
) -> tuple[int, int, str] | None:
    """Export the oldest changed day, its month's trade summary marked stale; (declarations,
    items, month), or None when none is left."""
    with unit_of_work() as session:
        mark = session.scalars(
            select(StatisticsWatermark)
            .where(StatisticsWatermark.changed > StatisticsWatermark.exported)
            .order_by(StatisticsWatermark.day)
            .limit(1)
        ).first()
        if mark is None:
            return None
        seen = mark.changed
        rows = rows_of_day(session, mark.day)
        for table, table_rows in rows.by_table().items():
            store.write_day(directory, table, mark.day.isoformat(), table_rows, con)
        store.summarise_day(directory, mark.day.isoformat(), con, trade=False)
        # Only the changes read before writing are done: one noted meanwhile stays pending.
        session.execute(
            update(StatisticsWatermark)
            .where(StatisticsWatermark.day == mark.day)
            .values(exported=seen, rows=len(rows.declarations), exported_at=utcnow())
        )
    return len(rows.declarations), len(rows.items), mark.day.isoformat()[:7]


def pending_days(session: Session) -> int:
    """How many days wait for an export."""
    return int(
        session.scalar(
            select(func.count()).where(StatisticsWatermark.changed > StatisticsWatermark.exported)
        )
        or 0
    )
