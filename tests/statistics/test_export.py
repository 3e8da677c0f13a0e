"""The export from the operational database: simulated traffic through the services, exported
twice or after a crash without counting anything twice, and figures equal to the declarations'."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from onewindow import simulation
from onewindow.cli import app as cli
from onewindow.db import session_scope
from onewindow.declarations import service as declarations
from onewindow.events import Event
from onewindow.simulation import TRADERS
from onewindow.statistics import export, store
from onewindow.statistics.models import StatisticsWatermark

SEED = 4242


@pytest.fixture(scope="module")
def simulated() -> list[int]:
    """A few consignments simulated through the services; their declaration ids."""
    result = CliRunner().invoke(
        cli, ["simulate", "--declarations", "8", "--months", "2", "--seed", str(SEED)]
    )
    assert result.exit_code == 0, result.output
    assert "simulated 8 consignments: 8 lodged now" in result.output
    now = datetime.now(UTC)
    with session_scope() as session:
        found = declarations.in_force_accepted_between(session, now - timedelta(days=100), now)
        return [d.id for d in found if d.declarant_reference.startswith(f"SIM-{SEED}-")]


def _rows(directory: Path, ids: list[int]) -> dict[str, list[tuple[Any, ...]]]:
    con = store.connect()
    store.create_views(con, directory)
    marks = ", ".join(str(i) for i in ids)
    out = {
        table: con.execute(
            f"SELECT * FROM {table} WHERE declaration_id IN ({marks}) ORDER BY ALL"
        ).fetchall()
        for table in store.TABLES
    }
    con.close()
    return out


def _summaries(directory: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the Time Release Study's summaries, by table (days and months)."""
    con = store.connect()
    store.create_views(con, directory)
    out = {
        table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        for table in store.SUMMARIES
    }
    con.close()
    return out


def _released(directory: Path) -> int:
    con = store.connect()
    store.create_views(con, directory)
    found = con.execute("SELECT count(*) FROM declarations WHERE released_at IS NOT NULL")
    count = found.fetchone()
    con.close()
    return int(count[0]) if count else 0


def _summed(directory: Path) -> int:
    """Consignments counted by the monthly summaries (every month)."""
    con = store.connect()
    store.create_views(con, directory)
    found = con.execute(
        "SELECT sum(n) FROM trs_months WHERE breakdown = 'all' AND measure = 'total'"
    ).fetchone()
    con.close()
    return int(found[0] or 0) if found else 0


def test_simulated_traffic_is_lodged_and_released(simulated: list[int]) -> None:
    assert len(simulated) == 8
    with session_scope() as session:
        found = [declarations.get_for_update(session, i) for i in simulated]
        assert any(d.released_at is not None for d in found)
        changes = declarations.status_changes_of(session, simulated)
        # Times are the simulation's, weeks ago, not the moment the test ran.
        assert all(c.at < datetime.now(UTC) - timedelta(hours=1) for c in changes[simulated[0]])


def test_exporting_twice_writes_the_same_rows(simulated: list[int], tmp_path: Path) -> None:
    first = export.export(session_scope, tmp_path, full=True)
    assert first.declarations >= len(simulated)
    files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
    before = _rows(tmp_path, simulated)
    summaries = _summaries(tmp_path)
    assert len(before["declarations"]) == len(simulated)
    assert summaries["trs_days"] and summaries["trs_months"] and summaries["trade_cells"]
    assert _summed(tmp_path) == _released(tmp_path) > 0
    export.export(session_scope, tmp_path)
    export.export(session_scope, tmp_path, full=True)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet")) == files
    assert _rows(tmp_path, simulated) == before
    assert _summaries(tmp_path) == summaries  # the summaries are replaced, never added to
    assert all(p.parent.name.startswith("month=") for p in tmp_path.rglob("*.parquet"))
    # A store written before there were trade summaries gets them with the next export.
    shutil.rmtree(tmp_path / "trade_cells")
    assert store.stale_trade_months(tmp_path)
    export.export(session_scope, tmp_path)
    assert not store.stale_trade_months(tmp_path)
    assert _summaries(tmp_path) == summaries


class Crash(Exception):
    pass


def test_a_crash_after_writing_counts_nothing_twice(simulated: list[int], tmp_path: Path) -> None:
    """Files written, watermark not committed: the next export writes the day again."""
    calls = {"n": 0}

    @contextmanager
    def crashing() -> Iterator[Session]:
        with session_scope() as session:
            calls["n"] += 1
            yield session
            if calls["n"] == 3:  # the second day's files are on disk: crash before commit
                raise Crash()

    with pytest.raises(Crash):
        export.export(crashing, tmp_path, full=True)
    export.export(session_scope, tmp_path)
    rows = _rows(tmp_path, simulated)
    ids = [r[0] for r in rows["declarations"]]
    assert sorted(ids) == sorted(simulated)
    con = store.connect()
    store.create_views(con, tmp_path)
    duplicates = con.execute(
        "SELECT count(*) - count(DISTINCT declaration_id) FROM declarations"
    ).fetchone()
    assert duplicates == (0,)
    # The summaries count every released consignment once, as a clean export does.
    assert _summed(tmp_path) == _released(tmp_path) > 0
    clean = tmp_path / "clean"
    export.export(session_scope, clean, full=True)
    assert _summaries(tmp_path) == _summaries(clean)


def test_a_crash_before_the_month_is_summarised(
    simulated: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Days exported and committed, the export stopped before it made their month's trade
    summary: the month stays marked, and the next export summarises it as a clean one does."""
    summarise = store.summarise_trade_month

    def crashing(*args: Any, **kwargs: Any) -> None:
        raise Crash()

    monkeypatch.setattr(store, "summarise_trade_month", crashing)
    with pytest.raises(Crash):
        export.export(session_scope, tmp_path, full=True)
    stale = store.stale_trade_months(tmp_path)
    assert stale and not _summaries(tmp_path)["trade_cells"]
    assert all((tmp_path / "trade_cells" / f"month={m}" / store.STALE).exists() for m in stale)
    with session_scope() as session:  # the month's days are committed: not exported again
        days = session.scalar(select(func.count()).select_from(StatisticsWatermark))
        assert export.pending_days(session) < (days or 0)
    monkeypatch.setattr(store, "summarise_trade_month", summarise)
    export.export(session_scope, tmp_path)
    assert not store.stale_trade_months(tmp_path)
    assert not list(tmp_path.rglob(store.STALE))
    clean = tmp_path / "clean"
    export.export(session_scope, clean, full=True)
    assert _summaries(tmp_path) == _summaries(clean)
    assert _summaries(tmp_path)["trade_cells"]


def test_figures_are_the_declarations(simulated: list[int], tmp_path: Path) -> None:
    export.export(session_scope, tmp_path, full=True)
    rows = _rows(tmp_path, simulated)
    with session_scope() as session:
        assessments = declarations.latest_assessments(session, simulated)
        assert assessments
        for row in rows["items"]:
            declaration_id, item, value, duties = row[0], row[1], row[12], row[16]
            if declaration_id not in assessments:  # not assessed yet: converted item value
                assert duties is None
                continue
            line = next(x for x in assessments[declaration_id].items if int(x["sequence"]) == item)
            assert value == Decimal(line["customs_value"]).quantize(Decimal("0.01"))
            assert duties == sum(Decimal(a) for a in line["amounts"].values()).quantize(
                Decimal("0.01")
            )
        for row in rows["declarations"]:
            found = declarations.get_for_update(session, row[0])
            assert found.accepted_at is not None
            assert row[10] == found.accepted_at.replace(tzinfo=None)
            released = found.released_at.replace(tzinfo=None) if found.released_at else None
            assert row[11] == released
    # No trader is named: the column holds keyed pseudonyms, never an identifier.
    traders = {r[7] for r in rows["declarations"]}
    assert len(traders) <= TRADERS
    assert all(len(t) == 16 and not t.startswith("GB") for t in traders)


def test_a_late_change_rewrites_its_day(simulated: list[int], tmp_path: Path) -> None:
    export.export(session_scope, tmp_path, full=True)
    with session_scope() as session:
        assert export.pending_days(session) == 0
        export.note_event(
            session,
            Event(
                "e",
                "declaration.amended",
                "declaration",
                str(simulated[0]),
                None,
                {},
                datetime.now(UTC),
            ),
        )
        assert export.pending_days(session) == 1
    report = export.export(session_scope, tmp_path)
    assert report.days >= 1
    with session_scope() as session:
        assert export.pending_days(session) == 0


def test_simulated_permits_make_releases_wait(tmp_path: Path) -> None:
    """About one consignment in ten needs a simulated agency's permit: it is applied for once
    the declaration is lodged and granted hours later; the export counts the wait under the
    agency, from acceptance to the grant."""
    seed = 5151
    report = simulation.simulate(session_scope, declarations_=30, months=1, seed=seed)
    assert report.permits >= 1
    with session_scope() as session:
        codes = simulation.codes_for_simulation(session, seed)
    planned = {
        f"SIM-{seed}-{c.n:06d}": c
        for c in simulation.plan(
            declarations=30, months=1, seed=seed, codes=codes, today=datetime.now(UTC).date()
        )
        if c.permit is not None
    }
    assert len(planned) == report.permits
    export.export(session_scope, tmp_path, full=True)
    con = store.connect()
    store.create_views(con, tmp_path)
    waits = con.execute(
        "SELECT w.declaration_id, w.agency, w.hours, d.lodged_at, d.accepted_at "
        "FROM permit_waits w JOIN declarations d USING (declaration_id) ORDER BY ALL"
    ).fetchall()
    con.close()
    with session_scope() as session:
        found = declarations.by_ids(session, [w[0] for w in waits])
    # Other tests' permits may share the database: the simulation's own are counted.
    waits = [w for w in waits if found[w[0]].declarant_reference in planned]
    assert len(waits) == len(planned)
    for declaration_id, agency, hours, lodged, accepted in waits:
        c = planned[found[declaration_id].declarant_reference]
        assert agency == simulation.AGENCIES[c.permit or 0][1]
        expected = c.permit_hours - (accepted - lodged).total_seconds() / 3600
        assert hours == pytest.approx(expected, abs=1 / 3600)
