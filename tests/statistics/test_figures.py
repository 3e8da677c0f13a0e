"""Trade statistics and the Time Release Study against figures worked out by hand, the queries
run from their files alone, and confidential cells that cannot be worked out from the totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from onewindow.config import get_settings
from onewindow.statistics import fast, service, store
from onewindow.statistics.confidentiality import Cell, suppress
from tests.statistics.sample import FOOD, PLANTS, write_sample


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    write_sample(tmp_path)
    return tmp_path


def test_queries_run_from_the_files_alone(sample: Path) -> None:
    """A fresh DuckDB connection, no database: views over the folders, then each file's SQL,
    the summaries' too (made again from the declarations' files, they equal those written)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table in [*store.TABLES, *store.SUMMARIES]:
        con.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_parquet("
            f"'{sample / table}/month=*/*.parquet', hive_partitioning = true, "
            "union_by_name = true)"
            if (sample / table).exists()
            else f"CREATE VIEW {table} AS SELECT 1 AS x WHERE false"
        )
    sql = {p.stem: p.read_text() for p in store.QUERIES_DIR.glob("*.sql")}
    assert set(sql) == {
        "months",
        "trade",
        "trade_items",
        "trade_months",
        "trade_months_items",
        "trade_summary",
        "trs",
        "trs_exact",
        "trs_summary",
        "trs_rollup",
    }
    assert con.execute(sql["months"]).fetchall() == [("2026-03",)]
    rows = con.execute(sql["trade"], ["hs2", "import", "2026-03"]).fetchall()
    total = next(r for r in rows if r[0] == "total")
    assert total[3:6] == (4, 5, Decimal("10750.00"))
    assert ("cell", "09", "", 4, 4, Decimal("10000.00")) in [r[:6] for r in rows]
    for dimension in service.DIMENSIONS:  # the summary's cells are those of the items
        summed = con.execute(sql["trade"], [dimension, "import", "2026-03"]).fetchall()
        counted = con.execute(
            sql["trade_items"], [dimension, dimension, "import", "2026-03"]
        ).fetchall()
        assert [r[:1] + r[3:] for r in summed] == [r[:1] + r[3:] for r in counted]
        assert [r[1:3] for r in summed if r[0] == "cell"] == [
            r[1:3] for r in counted if r[0] == "cell"
        ]
    months = con.execute(sql["trade_months"], ["import", "2026-01", "2026-12"]).fetchall()
    assert months[0][:3] == ("2026-03", 4, 5)
    by_items = con.execute(sql["trade_months_items"], ["import", "2026-01", "2026-12"])
    assert by_items.fetchall() == months
    trs = con.execute(sql["trs"], ["all", "2026-03", "2026-03", 24.0]).fetchall()
    assert trs[0][:3] == ("all", 5, 4)
    exact = con.execute(sql["trs_exact"], ["all", "2026-03", "2026-03", 24.0]).fetchall()
    assert exact[0][:3] == ("all", 5, 4)
    # The summaries: made from the declarations of the month, summed, they are the month's file.
    columns = "breakdown, grp, measure, minutes, trader, n"
    made = con.execute(
        f"SELECT {columns} FROM ({sql['trs_summary']}) s ORDER BY ALL", [store.TRADER_SAMPLE]
    ).fetchall()
    summed = con.execute(
        f"SELECT {columns} FROM ({sql['trs_rollup']}) s ORDER BY ALL", [store.TRADER_SAMPLE]
    ).fetchall()
    written = con.execute(f"SELECT {columns} FROM trs_months ORDER BY ALL").fetchall()
    assert made == summed == written
    assert ("agency", PLANTS, "permits", 360, None, 1) in written  # a 6 h wait, in minutes
    # The trade summary: made from the items of the month, it is the month's file.
    columns = ", ".join(n for n, _ in store.SUMMARIES["trade_cells"])
    made = con.execute(f"SELECT {columns} FROM ({sql['trade_summary']}) s ORDER BY ALL").fetchall()
    written = con.execute(f"SELECT {columns} FROM trade_cells ORDER BY ALL").fetchall()
    assert made == written
    assert ("import", "hs6", "090111", "0901", 3, 3, Decimal("8000.00")) in [r[:7] for r in written]
    for text in sql.values():
        assert "{" not in text and "%(" not in text  # plain SQL: no templating


def test_trade_figures_by_hand(sample: Path) -> None:
    chapters = service.trade_table("import", "2026-03", "hs2", sample)
    coffee = next(r for r in chapters.rows if r.code == "09")
    assert not coffee.confidential
    assert coffee.declarations == 4
    assert coffee.values["statistical_value"] == Decimal("10000.00")
    assert coffee.values["net_mass_kg"] == Decimal("950.000")
    assert coffee.values["duties_taxes"] == Decimal("2000.00")
    assert chapters.total is not None and not chapters.total.confidential
    assert chapters.total.values["statistical_value"] == Decimal("10750.00")
    assert chapters.total.values["duties_taxes"] == Decimal("2225.00")
    assert chapters.total.declarations == 5
    # Bags (42) and T-shirts (61) come from one trader each: withheld.
    hidden = {r.code for r in chapters.rows if r.confidential}
    assert hidden == {"42", "61"}
    assert all(r.values["statistical_value"] is None for r in chapters.rows if r.confidential)


def test_a_withheld_cell_cannot_be_worked_out_from_the_totals(sample: Path) -> None:
    """090121 has one trader; alone withheld it would be heading 0901 minus 090111."""
    subheadings = service.trade_table("import", "2026-03", "hs6", sample)
    by_code = {r.code: r for r in subheadings.rows}
    assert by_code["090121"].confidential  # primary: one trader
    assert by_code["090111"].confidential  # secondary: the heading would give it away
    # Headings of withheld chapters are withheld too.
    headings = {r.code: r for r in service.trade_table("import", "2026-03", "hs4", sample).rows}
    assert not headings["0901"].confidential
    assert headings["4202"].confidential and headings["6109"].confidential
    csv = service.table_csv(subheadings)
    assert "090121,c,c,c,c,c" in csv


def test_secondary_suppression_rule() -> None:
    cells = [
        Cell("A", "g", 5, Decimal(100)),
        Cell("B", "g", 1, Decimal(10)),
        Cell("C", "g", 4, Decimal(50)),
        Cell("D", "g", 6, Decimal(30)),
    ]
    out = {c.code: c for c in suppress(cells, 3, total_traders=16)}
    assert out["B"].why == "primary" and out["D"].why == "secondary"
    assert not out["A"].confidential and not out["C"].confidential
    # What the published figures give: total minus A and C is B and D together, never B.
    published = Decimal(190) - 100 - 50
    assert published == Decimal(40) != out["B"].value
    # A total behind too few traders withholds everything.
    assert all(c.confidential for c in suppress(cells, 3, total_traders=2))


PRECISION = {"rel": 1 / 128, "abs": 0.5 / 60}
"""The published TRS's bound (service.TRS_PRECISION): half a minute or 0.8% of the figure."""


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "summaries"])
def test_time_release_by_hand(sample: Path, monkeypatch: pytest.MonkeyPatch, exact: bool) -> None:
    monkeypatch.setattr(get_settings(), "statistics_min_traders", 1)
    within = {} if exact else PRECISION

    def trs(by: str) -> dict[str, dict[str, float | int | None]]:
        table = service.trs_table(by, "2026-03", "2026-03", sample, exact=exact)
        return {r.group: r.values for r in table.rows}

    overall = trs("all")["all"]
    assert overall["consignments"] == 5
    assert overall["total_median"] == pytest.approx(7.0, **within)
    assert overall["total_p90"] == pytest.approx(26.6, **within)
    assert overall["within_target"] == pytest.approx(0.6)
    by_channel = trs("channel")
    assert by_channel["green"]["total_median"] == pytest.approx(5.75, **within)
    assert by_channel["green"]["acceptance_to_release_median"] == pytest.approx(3.0, **within)
    assert by_channel["red"]["acceptance_to_release_median"] == pytest.approx(25.0, **within)
    assert by_channel["red"]["inspection_median"] == pytest.approx(22.0, **within)
    assert by_channel["red"]["release_to_gate_out_median"] == pytest.approx(10.0, **within)
    aeo = trs("aeo")
    assert aeo["AEO"]["consignments"] == 2
    # Permits: 2 waited 3 h (plants), 3 waited 6 h (plants) and 12 h (food), 4 waited 10 h.
    by_agency = trs("agency")
    assert set(by_agency) == {PLANTS, FOOD}
    assert by_agency[PLANTS]["consignments"] == 3
    assert by_agency[PLANTS]["permits_median"] == pytest.approx(6.0, **within)
    assert by_agency[PLANTS]["acceptance_to_release_median"] == pytest.approx(24.0, **within)
    assert by_agency[FOOD]["permits_median"] == pytest.approx(12.0, **within)
    assert overall["permits_median"] == pytest.approx(10.0, **within)  # of 3, 12 and 10 h
    waited = trs("waited")
    assert set(waited) == {
        "payment",
        "permits + payment",
        "permits + control + payment",
        "permits + control",
        "control",
    }
    assert waited["permits + payment"]["acceptance_to_release_median"] == pytest.approx(
        4.0, **within
    )


def test_bottlenecks_by_hand(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "statistics_min_traders", 1)
    said = service.bottlenecks("2026-03", "2026-03", sample)
    assert said[0].startswith("Inspection adds a median of 22 h to red-channel declarations")
    assert (
        f"Permits from {FOOD} add a median of 12 h to the release of the 1 consignment that "
        "waited for them (acceptance to the permit's grant)." in said
    )
    assert (
        f"Permits from {PLANTS} add a median of 6.0 h to the release of the 3 consignments "
        "that waited for them (acceptance to the permit's grant)." in said
    )
    assert said.index(next(s for s in said if FOOD in s)) < said.index(
        next(s for s in said if PLANTS in s)
    )


def test_time_release_withholds_groups_of_few_traders(sample: Path) -> None:
    by_channel = {
        r.group: r for r in service.trs_table("channel", "2026-03", "2026-03", sample).rows
    }
    assert by_channel["green"].confidential and by_channel["green"].values["total_median"] is None
    assert not service.trs_table("all", "2026-03", "2026-03", sample).rows[0].confidential


def test_parquet_download_is_the_published_table(sample: Path, tmp_path: Path) -> None:
    table = service.trade_table("import", "2026-03", "hs6", sample)
    target = tmp_path / "download.parquet"
    target.write_bytes(service.table_parquet(table))
    rows = (
        duckdb.connect()
        .execute(
            "SELECT code, statistical_value, confidential "
            f"FROM read_parquet('{target}') ORDER BY code"
        )
        .fetchall()
    )
    assert ("090121", None, True) in rows
    columns = (
        duckdb.connect().execute(f"DESCRIBE SELECT * FROM read_parquet('{target}')").fetchall()
    )
    assert "trader" not in {c[0] for c in columns} and "traders" not in {c[0] for c in columns}


def test_a_rewritten_day_replaces_its_summary(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A late amendment rewrites its day: the day's summary and its month's follow, and doing
    it again (a rerun, or after a crash before the month was summed) changes nothing."""
    monkeypatch.setattr(get_settings(), "statistics_min_traders", 1)

    def consignments() -> object:
        return service.trs_table("all", "2026-03", "2026-03", sample).rows[0].values["consignments"]

    month_file = store.partition(sample, "trs_months", "2026-03") / "summary.parquet"

    def month_rows() -> list[tuple[object, ...]]:
        con = duckdb.connect()
        found = con.execute(f"SELECT * FROM read_parquet('{month_file}') ORDER BY ALL").fetchall()
        con.close()
        return found

    before = month_file.read_bytes()
    assert consignments() == 5
    # Declaration 2 (accepted 3 March) is no longer released, and waits for no permit.
    con = store.connect()
    store.create_views(con, sample)
    rows = con.execute("SELECT * EXCLUDE (month) FROM declarations WHERE day = '2026-03-03'")
    changed = [(*r[:11], None, None, *r[13:16], None) for r in rows.fetchall()]
    con.close()
    store.write_day(sample, "declarations", "2026-03-03", changed)
    store.write_day(sample, "permit_waits", "2026-03-03", [])
    store.summarise_day(sample, "2026-03-03")
    assert consignments() == 4
    by_agency = service.trs_table("agency", "2026-03", "2026-03", sample).rows
    assert {r.group: r.values["consignments"] for r in by_agency} == {PLANTS: 2, FOOD: 1}
    after = month_rows()
    store.summarise_day(sample, "2026-03-03")
    assert month_rows() == after
    # A crash between the day's summary and the month's: the next export sums the month again.
    month_file.write_bytes(before)
    assert consignments() == 5
    store.summarise_day(sample, "2026-03-03")
    assert consignments() == 4 and month_rows() == after
    # A day left without declarations loses its summary.
    store.write_day(sample, "declarations", "2026-03-03", [])
    store.summarise_day(sample, "2026-03-03")
    assert not (store.partition(sample, "trs_days", "2026-03") / "day-2026-03-03.parquet").exists()
    assert consignments() == 4


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three months of fast-simulated traffic: thousands of consignments a group."""
    directory = tmp_path_factory.mktemp("fast")
    fast.generate(
        directory,
        declarations=30_000,
        months=3,
        seed=7,
        hs_codes=["090111", "420221", "610910", "847130"],
        last_month=date(2026, 3, 1),
    )
    return directory


@pytest.mark.parametrize("by", sorted(service.BREAKDOWNS))
def test_published_release_times_are_within_their_precision(simulated: Path, by: str) -> None:
    """Every figure from the summaries against the exact one from the declarations: within
    half a minute or 1/128 of it, counts equal, the share within the target that of a target
    moved by at most 1/128."""
    target = get_settings().statistics_target_hours
    published = service.trs_table(by, "2026-01", "2026-03", simulated)
    exact = service.trs_table(by, "2026-01", "2026-03", simulated, exact=True)
    assert [r.group for r in published.rows] == [r.group for r in exact.rows]
    assert len(exact.rows) >= (1 if by == "all" else 2)
    _, rows = store.run(simulated, "trs_exact", [by, "2026-01", "2026-03", target * 128 / 129])
    sooner = {r[0]: r[-1] for r in rows}
    _, rows = store.run(simulated, "trs_exact", [by, "2026-01", "2026-03", target * 128 / 127])
    later = {r[0]: r[-1] for r in rows}
    compared = 0
    for p, e in zip(published.rows, exact.rows, strict=True):
        assert p.values["consignments"] == e.values["consignments"]
        assert sooner[p.group] <= p.values["within_target"] <= later[p.group]
        for measure, value in e.values.items():
            if measure in {"consignments", "within_target"} or value is None:
                continue
            got = p.values[measure]
            assert got is not None
            assert abs(float(got) - float(value)) <= 0.5 / 60 + abs(float(value)) / 128 + 1e-9, (
                p.group,
                measure,
                got,
                value,
            )
            compared += 1
    assert compared >= 5 * len(exact.rows)  # the intervals and at least two of the waits


def test_clearing_the_fast_files_leaves_the_exported_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path's files share a month with exported days: removing them sums the month
    again from the exported days alone."""
    monkeypatch.setattr(get_settings(), "statistics_min_traders", 1)
    fast.generate(
        tmp_path,
        declarations=2_000,
        months=1,
        seed=3,
        hs_codes=["090111"],
        last_month=date(2026, 3, 1),
    )
    write_sample(tmp_path)

    def consignments() -> object:
        return (
            service.trs_table("all", "2026-03", "2026-03", tmp_path).rows[0].values["consignments"]
        )

    assert consignments() == 2_000 + 5
    fast.clear(tmp_path)
    assert consignments() == 5


@pytest.fixture(scope="module")
def traded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two months of fast-simulated trade over a long tail of subheadings (so that many cells
    are behind too few traders), and the hand-made exported days in the same month."""
    directory = tmp_path_factory.mktemp("traded")
    codes = [f"{c:06d}" for c in range(10_000, 970_000, 3_100)]  # 310 subheadings, 48 chapters
    codes += ["090111", "090112", "090121", "420221"]  # headings with several subheadings
    fast.generate(
        directory,
        declarations=8_000,
        months=2,
        seed=11,
        hs_codes=codes,
        last_month=date(2026, 3, 1),
    )
    write_sample(directory)
    return directory


@pytest.mark.parametrize("flow", sorted(service.FLOWS))
@pytest.mark.parametrize("dimension", sorted(service.DIMENSIONS))
def test_trade_tables_from_the_summary_are_those_of_the_items(
    traded: Path, flow: str, dimension: str
) -> None:
    """Every published figure and every withheld cell of the tables read from the monthly
    summaries, against the same table counted over the items: identical, suppression included
    (primary, secondary and withheld parents)."""
    for month in ("2026-02", "2026-03"):
        summed = service.trade_table(flow, month, dimension, traded)
        counted = service.trade_table(flow, month, dimension, traded, from_items=True)
        assert summed == counted
        assert summed.total is not None and not summed.total.confidential
        shown = [r for r in summed.rows if not r.confidential]
        assert shown and all(r.declarations for r in shown)
        if dimension in {"hs4", "hs6"}:
            assert len(shown) < len(summed.rows)  # some are withheld, not all
    series = service.trade_series(flow, "2026-01", "2026-03", traded)
    assert [p.month for p in series] == ["2026-02", "2026-03"]
    assert series == service.trade_series(flow, "2026-01", "2026-03", traded, from_items=True)


def test_a_late_amendment_shows_in_the_trade_tables(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An amended item rewrites its day: the month's trade summary follows, exactly as counted
    over the items; a rerun or an export again after a crash changes nothing more."""
    monkeypatch.setattr(get_settings(), "statistics_min_traders", 1)
    summary = store.partition(sample, "trade_cells", "2026-03") / "summary.parquet"
    before = summary.read_bytes()

    def coffee() -> tuple[object, object]:
        table = service.trade_table("import", "2026-03", "hs2", sample)
        found = next(r for r in table.rows if r.code == "09")
        return found.declarations, found.values["statistical_value"]

    def written() -> list[tuple[object, ...]]:
        con = duckdb.connect()
        rows = con.execute(f"SELECT * FROM read_parquet('{summary}') ORDER BY ALL").fetchall()
        con.close()
        return rows

    assert coffee() == (4, Decimal("10000.00"))
    # Declaration 3 (accepted 4 March): its coffee is amended to tea of a tenth of the value,
    # and a second line of coffee is added.
    con = store.connect()
    store.create_views(con, sample)
    rows = con.execute("SELECT * EXCLUDE (month) FROM items WHERE day = '2026-03-04' ORDER BY item")
    old = rows.fetchall()
    con.close()
    tea = (*old[0][:4], "09", "0902", "090230", *old[0][7:12], Decimal("300.00"), *old[0][13:])
    more = (old[0][0], 3, *old[0][2:12], Decimal("50.00"), *old[0][13:])
    store.write_day(sample, "items", "2026-03-04", [tea, old[1], more])
    store.summarise_day(sample, "2026-03-04")
    assert coffee() == (4, Decimal("7350.00"))  # 10,000 - 3,000 + 300 + 50, still 4 declarations
    headings = service.trade_table("import", "2026-03", "hs4", sample)
    assert {r.code: r.declarations for r in headings.rows} == {
        "0901": 4,
        "0902": 1,
        "4202": 1,
        "6109": 1,
    }
    for dimension in service.DIMENSIONS:
        assert service.trade_table("import", "2026-03", dimension, sample) == service.trade_table(
            "import", "2026-03", dimension, sample, from_items=True
        )
    after = written()
    store.summarise_day(sample, "2026-03-04")
    assert written() == after
    # A crash after the day's files, before the month's summary: the next export makes it again.
    summary.write_bytes(before)
    assert coffee() == (4, Decimal("10000.00"))
    store.summarise_day(sample, "2026-03-04")
    assert coffee() == (4, Decimal("7350.00")) and written() == after
    # A day left without items leaves the month.
    store.write_day(sample, "items", "2026-03-04", [])
    store.summarise_day(sample, "2026-03-04")
    assert coffee() == (3, Decimal("7000.00"))
