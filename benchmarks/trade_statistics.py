"""Statistics: how fast the store is written, and how long a month of trade statistics and the
Time Release Study take over millions of simulated declarations.

1. Export rate: the Parquet writer of the incremental export, one day of ``--day-rows``
   declarations with their items, cargo events, decisions and permit waits, the day's and
   month's Time Release Study summaries and the month's trade summary (rows and declarations a
   second, against the lodging
   rate it must keep up with, ``--lodging-rate``: about 35 declarations a second on
   PostgreSQL); and, when ``--database-url`` names a database with declarations, the whole
   export from it.
2. Volume: ``--declarations`` simulated declarations (the ``simulate --fast`` path) over
   ``--months`` months, written to a temporary folder (or ``--directory``, kept), with the time
   its monthly trade summaries took; or, with ``--reuse DIR``, the files generated before in
   ``DIR`` (their trade summaries written first where they have none).
3. Queries over them, each from a fresh DuckDB connection as a request makes it: one month of
   imports by HS chapter, by subheading (with secondary suppression) and by partner, and the
   whole year's series, from the monthly trade summaries (target 2 s) and, for comparison,
   from the items; the Time Release Study over the whole year (from the monthly
   summaries; target 2 s) by channel, office, agency and what releases waited for, one month,
   the exact figures from the declarations for comparison, and the bottlenecks in words.

    .venv/bin/python benchmarks/trade_statistics.py [--declarations 10000000] [--months 12]
        [--directory DIR | --reuse DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("ONEWINDOW_SECRET_KEY", "benchmark-secret-key-that-is-long-enough-0123")


def _timed(label: str, run: object, repeat: int = 3, target: float | None = None) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    best = min(times)
    median = sorted(times)[len(times) // 2]
    verdict = ""
    if target is not None:
        verdict = f"  (target {target:g} s: {'met' if median < target else 'MISSED'})"
    print(f"  {label:<58} best {best:6.3f} s, median {median:6.3f} s{verdict}")
    return best


def export_rate(directory: Path, day_rows: int, lodging_rate: float) -> None:
    from onewindow.statistics import store

    day = date(2026, 11, 3)
    at = datetime(2026, 11, 3, 9, tzinfo=UTC)
    declarations = [
        (
            i,
            day,
            "import",
            "GBFXT001",
            "sea",
            "green",
            False,
            f"{i % 500:016x}",
            at,
            at,
            at,
            at + timedelta(hours=3),
            None,
            None,
            2.0,
            1,
            6.0 if i % 7 == 0 else None,
        )
        for i in range(day_rows)
    ]
    waits = [
        (i, day, "Plant and Animal Health Agency", at + timedelta(hours=6), 6.0)
        for i in range(0, day_rows, 7)
    ]
    items = [
        (
            i,
            1,
            day,
            "import",
            "09",
            "0901",
            "090111",
            "CO",
            "4000",
            "sea",
            "GBFXT001",
            f"{i % 500:016x}",
            Decimal("1234.56"),
            Decimal("100.000"),
            None,
            None,
            Decimal("246.91"),
        )
        for i in range(day_rows)
    ]
    events = [(i, day, "arrived", at) for i in range(day_rows)]
    decisions = [(i, day, 1, None, "accepted", at) for i in range(day_rows)]
    con = store.connect()
    started = time.perf_counter()
    for table, rows in (
        ("declarations", declarations),
        ("items", items),
        ("cargo_events", events),
        ("decisions", decisions),
        ("permit_waits", waits),
    ):
        store.write_day(directory, table, day.isoformat(), rows, con)
    written = time.perf_counter() - started
    store.summarise_day(directory, day.isoformat(), con)
    seconds = time.perf_counter() - started
    again = time.perf_counter()
    store.summarise_trade_month(directory, day.isoformat()[:7], con)  # the same file again
    trade = time.perf_counter() - again
    total = 4 * day_rows + len(waits)
    rate = day_rows / seconds
    print(
        f"  writer: one day of {day_rows:,} declarations ({total:,} rows in 5 tables) in "
        f"{written:.2f} s, with the TRS summaries of the day and the month and the month's "
        f"trade summary {seconds:.2f} s (the trade summary {trade:.2f} s): "
        f"{total / seconds:,.0f} rows/s, {rate:,.0f} declarations/s"
    )
    print(
        f"  keeps up with lodging: {rate:,.0f} declarations/s exported against "
        f"{lodging_rate:g} lodged/s on PostgreSQL: {rate / lodging_rate:,.0f} times as fast"
    )


def operational_export(url: str, directory: Path, lodging_rate: float) -> None:
    os.environ["ONEWINDOW_DATABASE_URL"] = url
    from onewindow.db import session_scope
    from onewindow.statistics import export

    report = export.export(lambda: session_scope(url), directory, full=True)
    rate = report.declarations / report.seconds if report.seconds else 0
    print(
        f"  whole export from {url}: {report.days} days, {report.declarations:,} declarations, "
        f"{report.items:,} items in {report.seconds:.2f} s ({rate:,.0f} declarations/s, "
        f"{rate / lodging_rate:,.1f} times the lodging rate of {lodging_rate:g}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--declarations", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--day-rows", type=int, default=50_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--lodging-rate",
        type=float,
        default=35.0,
        help="declarations lodged a second on PostgreSQL (benchmarks/declarations.py)",
    )
    parser.add_argument("--directory", type=Path, default=None, help="keep the files here")
    parser.add_argument(
        "--reuse",
        type=Path,
        default=None,
        metavar="DIR",
        help="time the queries over the files generated before in DIR (no generating)",
    )
    args = parser.parse_args()
    if args.reuse and args.directory:
        parser.error("give --directory or --reuse, not both")

    from onewindow.statistics import fast, service, store

    with tempfile.TemporaryDirectory(prefix="onewindow-stats-") as scratch:
        directory = args.reuse or args.directory or Path(scratch)
        print("export rate")
        export_rate(Path(scratch) / "writer", args.day_rows, args.lodging_rate)
        if args.database_url:
            operational_export(args.database_url, Path(scratch) / "export", args.lodging_rate)

        if args.reuse:
            print(f"volume: the files generated before in {directory}")
            missing = [
                m
                for m in service.months(directory)
                if not (store.partition(directory, "trade_cells", m) / "summary.parquet").exists()
            ]
            if missing:
                started = time.perf_counter()
                for m in missing:
                    store.summarise_trade_month(directory, m)
                print(
                    f"  wrote the trade summaries of {len(missing)} "
                    f"month{'' if len(missing) == 1 else 's'} in "
                    f"{time.perf_counter() - started:.1f} s"
                )
        else:
            print(f"volume: {args.declarations:,} declarations over {args.months} months (--fast)")
            codes = [f"{c:06d}" for c in range(10_000, 970_000, 173)]  # ~5,500 subheadings
            report = fast.generate(
                directory,
                declarations=args.declarations,
                months=args.months,
                seed=1,
                hs_codes=codes,
                last_month=date(2026, 11, 1),
            )
            print(
                f"  generated {report.declarations:,} declarations, {report.items:,} items in "
                f"{report.seconds:.1f} s ({report.declarations / report.seconds:,.0f}/s), "
                f"of which the monthly trade summaries {report.trade_summary_seconds:.1f} s"
            )
        size = sum(p.stat().st_size for p in directory.rglob("*.parquet")) / 2**20
        summaries = sum(p.stat().st_size for p in directory.glob("trade_cells/*/*.parquet"))
        print(
            f"  {size:,.0f} MiB of Parquet, of which the trade summaries "
            f"{summaries / 2**20:,.1f} MiB"
        )
        months = service.months(directory)
        month, first, last = months[0], months[-1], months[0]
        print(f"queries (months {first} to {last}; one month: {month})")
        for by in ("hs2", "hs6", "partner"):
            _timed(
                f"trade, imports of {month} by {by}",
                lambda by=by: service.trade_table("import", month, by, directory),
                target=2.0 if by == "hs6" else None,
            )
        _timed(
            f"trade, imports month by month {first}..{last}",
            lambda: service.trade_series("import", first, last, directory),
            target=2.0,
        )
        for by in ("hs2", "hs6", "partner"):
            _timed(
                f"trade from the items, imports of {month} by {by}",
                lambda by=by: service.trade_table("import", month, by, directory, from_items=True),
                repeat=1,
            )
        _timed(
            f"trade from the items, imports month by month {first}..{last}",
            lambda: service.trade_series("import", first, last, directory, from_items=True),
            repeat=1,
        )
        same = all(
            service.trade_table("import", month, by, directory)
            == service.trade_table("import", month, by, directory, from_items=True)
            for by in service.DIMENSIONS
        ) and service.trade_series("import", first, last, directory) == service.trade_series(
            "import", first, last, directory, from_items=True
        )
        print(
            "  trade tables of every dimension and the series from the summaries against the "
            f"items: {'identical' if same else 'DIFFERENT'}"
        )
        for by in ("channel", "office", "agency", "waited"):
            _timed(
                f"Time Release Study {first}..{last} by {by}",
                lambda by=by: service.trs_table(by, first, last, directory),
                target=2.0,
            )
        _timed(
            f"Time Release Study of {month} by channel",
            lambda: service.trs_table("channel", month, month, directory),
        )
        _timed(
            f"exact TRS {first}..{last} by channel (declarations)",
            lambda: service.trs_table("channel", first, last, directory, exact=True),
            repeat=1,
        )
        _timed(
            "bottlenecks in words (three TRS queries)",
            lambda: service.bottlenecks(first, last, directory),
            target=2.0,
        )
        published = service.trs_table("channel", first, last, directory)
        exact = service.trs_table("channel", first, last, directory, exact=True)
        worst = max(
            abs(float(p.values[k] or 0) - float(e.values[k] or 0))
            / (0.5 / 60 + abs(float(e.values[k] or 0)) / 128)
            for p, e in zip(published.rows, exact.rows, strict=True)
            for k in e.values
            if k not in {"consignments", "within_target"} and e.values[k] is not None
        )
        print(
            "  whole-year TRS from the summaries against the exact figures: the largest error "
            f"is {worst:.0%} of the stated bound (half a minute or 1/128)"
        )
        for line in service.bottlenecks(first, last, directory):
            print(f"  - {line}")


if __name__ == "__main__":
    main()
