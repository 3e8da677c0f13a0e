"""Fast simulation: Parquet files of simulated traffic written directly, for volume (benchmarks).

This path never touches the operational database: it writes the analytical store's tables with
the same columns and the same shapes as :mod:`onewindow.simulation` (seasonality by
month, fewer lodgements at weekends and at night, a long tail of HS codes and partners, channels,
controls, payments and permits of four agencies), in DuckDB, ten million declarations in a few
minutes, with the Time Release Study's and the trade summaries of each month. Its declarations
are numbered from :data:`FIRST_ID`, far above any operational id, and its files are named
``part-fast-*.parquet``, so they never replace an exported day; :func:`clear` removes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from time import perf_counter

from onewindow.statistics import store

FIRST_ID = 10_000_000_000
PARTNERS = [
    "CN",
    "US",
    "DE",
    "NL",
    "JP",
    "KR",
    "FR",
    "IT",
    "IN",
    "VN",
    "TW",
    "ES",
    "BE",
    "TR",
    "PL",
    "IE",
    "CH",
    "SE",
    "TH",
    "MY",
    "ID",
    "BR",
    "CA",
    "MX",
    "AU",
    "SG",
    "NO",
    "DK",
    "AT",
    "ZA",
    "PT",
    "CZ",
    "HU",
    "RO",
    "AE",
    "SA",
    "IL",
    "EG",
    "MA",
    "NG",
    "KE",
    "AR",
    "CL",
    "CO",
    "PE",
    "NZ",
    "PH",
    "PK",
    "BD",
    "LK",
    "UA",
    "GR",
    "FI",
    "SK",
    "SI",
    "HR",
    "BG",
    "LT",
    "LV",
]
OFFICES = ("GBFXT001", "GBLHR001", "GBSOU001", "GBMNC001", "GBDVR001")
AGENCIES = (
    "Plant and Animal Health Agency",
    "Food Standards Agency",
    "Medicines and Healthcare Products Agency",
    "Environment Agency: Wildlife Trade",
)
"""The agencies whose permits simulated releases wait for, the busiest first; agency k takes
1 + 2k to 7 + 10k hours after acceptance (most near the short end)."""
PERMIT_SHARE = {"import": 0.14, "export": 0.05}
"""The share of simulated declarations whose release waits for a permit granted after
acceptance (one in seven of them waits for two agencies)."""


@dataclass(frozen=True)
class FastReport:
    declarations: int
    items: int
    seconds: float
    trade_summary_seconds: float = 0.0
    """Of ``seconds``, the time spent writing the monthly trade summaries."""


def clear(directory: Path) -> None:
    """Remove every file the fast path wrote (and sum the months it wrote into again)."""
    traded: set[str] = set()
    for table in store.TABLES:
        for path in (directory / table).glob("month=*/part-fast-*.parquet"):
            path.unlink()
            if table == "items":
                traded.add(path.parent.name.removeprefix("month="))
    summed = sorted((directory / "trs_days").glob("month=*/part-fast-*.parquet"))
    for path in summed:
        path.unlink()
    for month in sorted({p.parent.name.removeprefix("month=") for p in summed}):
        store.rebuild_month(directory, month)
    for month in sorted(traded):
        store.summarise_trade_month(directory, month)


def _u(salt: int, seed: int) -> str:
    """A uniform number in [0, 1) per row, from the row number, a salt and the seed."""
    return f"((hash(i, {salt}, {seed}) % 1000003) / 1000003.0)"


def generate(
    directory: Path,
    *,
    declarations: int,
    months: int,
    seed: int,
    hs_codes: list[str],
    last_month: date,
) -> FastReport:
    """Write ``declarations`` simulated declarations over the ``months`` months up to
    ``last_month``, with their items, cargo events and decisions."""
    started = perf_counter()
    clear(directory)
    directory.mkdir(parents=True, exist_ok=True)
    codes = sorted({c[:6] for c in hs_codes if len(c) >= 6 and c[:6].isdigit()}) or ["847130"]
    con = store.connect()
    try:
        con.execute("CREATE TABLE codes (n INTEGER, hs6 VARCHAR)")
        con.executemany("INSERT INTO codes VALUES (?, ?)", list(enumerate(codes)))
        con.execute("CREATE TABLE partners (n INTEGER, code VARCHAR)")
        con.executemany("INSERT INTO partners VALUES (?, ?)", list(enumerate(PARTNERS)))
        start = date(last_month.year, last_month.month, 1)
        # Month weights: a peak before the year's end, a trough after the new year.
        con.execute(
            f"""
            CREATE TABLE months AS
            WITH m AS (
                SELECT k, (DATE '{start}' - INTERVAL (k) MONTH)::DATE AS first,
                       1 + 0.25 * sin(2 * pi() * (month(DATE '{start}' - INTERVAL (k) MONTH) - 7)
                       / 12) AS w
                FROM range({months}) t(k)
            )
            SELECT first, strftime(first, '%Y-%m') AS month,
                   sum(w) OVER (ORDER BY first) / sum(w) OVER () AS hi,
                   (sum(w) OVER (ORDER BY first) - w) / sum(w) OVER () AS lo
            FROM m
            """
        )
        traders = max(50, declarations // 200)
        n_codes, n_partners = len(codes), len(PARTNERS)
        offices = "[" + ", ".join(f"'{o}'" for o in OFFICES) + "]"
        con.execute(
            f"""
            CREATE TABLE d AS
            WITH base AS (
                SELECT i, {FIRST_ID} + i AS declaration_id,
                    {_u(1, seed)} AS u_month, {_u(2, seed)} AS u_day, {_u(3, seed)} AS u_hour,
                    {_u(4, seed)} AS u_flow, {_u(5, seed)} AS u_mode, {_u(6, seed)} AS u_chan,
                    {_u(7, seed)} AS u_trader, {_u(8, seed)} AS u_arr, {_u(9, seed)} AS u_ctl,
                    {_u(10, seed)} AS u_pay, {_u(11, seed)} AS u_gate, {_u(12, seed)} AS u_off,
                    {_u(13, seed)} AS u_acc, {_u(14, seed)} AS u_perm, {_u(15, seed)} AS u_ag,
                    {_u(16, seed)} AS u_w1, {_u(17, seed)} AS u_w2
                FROM range({declarations}) t(i)
            ), placed AS (
                SELECT b.*, m.first, m.month,
                    -- Weekends get a third of a weekday's lodgements: move most to Monday.
                    (m.first + CAST(floor(u_day * 28) AS INTEGER)) AS raw_day,
                    CAST(floor({traders} * u_trader * u_trader) AS INTEGER) AS trader_n
                FROM base b JOIN months m ON b.u_month >= m.lo AND b.u_month < m.hi
            ), dated AS (
                SELECT *,
                    CASE WHEN dayofweek(raw_day) IN (0, 6) AND u_hour < 0.66
                         THEN raw_day + (CASE WHEN dayofweek(raw_day) = 6 THEN 2 ELSE 1 END)
                         ELSE raw_day END AS lodged_day,
                    -- Working hours mostly: 08:00 to 18:00, a tenth at night.
                    CASE WHEN u_hour < 0.9 THEN 8 + u_hour / 0.9 * 10
                         ELSE (u_hour - 0.9) * 80 END AS hour
                FROM placed
            )
            SELECT declaration_id, month,
                CASE WHEN u_flow < 0.65 THEN 'import' ELSE 'export' END AS flow,
                {offices}[1 + CAST(floor(u_off * u_off * {len(OFFICES)}) AS INTEGER)] AS office,
                CASE WHEN u_mode < 0.6 THEN 'sea' WHEN u_mode < 0.85 THEN 'air'
                     WHEN u_mode < 0.95 THEN 'road' ELSE 'rail' END AS mode,
                trader_n < {traders} * 0.1 AS aeo,
                CASE WHEN u_chan < (CASE WHEN trader_n < {traders} * 0.1 THEN 0.93 ELSE 0.78 END)
                     THEN 'green'
                     WHEN u_chan < (CASE WHEN trader_n < {traders} * 0.1 THEN 0.98 ELSE 0.91 END)
                     THEN 'yellow' ELSE 'red' END AS channel,
                'sim-' || trader_n AS trader,
                lodged_day::TIMESTAMP + to_microseconds(CAST(hour * 3600e6 AS BIGINT)) AS lodged_at,
                u_arr, u_ctl, u_pay, u_gate, u_acc, u_perm, u_ag, u_w1, u_w2
            FROM dated
            """
        )
        con.execute(
            """
            CREATE TABLE dt AS
            SELECT *,
                lodged_at - to_microseconds(CAST((2 + 60 * u_arr * u_arr) * 3600e6 AS BIGINT))
                    AS arrival_at,
                lodged_at + to_microseconds(CAST((1 + 30 * u_acc) * 60e6 AS BIGINT))
                    AS accepted_at,
                CASE channel WHEN 'red' THEN 3 + 40 * u_ctl * u_ctl
                             WHEN 'yellow' THEN 1 + 8 * u_ctl ELSE NULL END AS inspection_hours,
                CASE WHEN flow = 'import' AND u_pay < 0.55 THEN 0.2 + 12 * u_pay * u_pay
                     ELSE NULL END AS payment_hours
            FROM d
            """
        )
        n_agencies = len(AGENCIES)
        agencies = "[" + ", ".join(f"'{a}'" for a in AGENCIES) + "]"
        # Permits: the first agency from the busiest down, a second one for a seventh of them;
        # permits and controls run side by side, payment after the control.
        con.execute(
            f"""
            CREATE TABLE pw AS
            SELECT declaration_id, accepted_at, month, {agencies}[k + 1] AS agency,
                1 + 2 * k + (6 + 8 * k) * u_w * u_w AS hours
            FROM (
                SELECT declaration_id, accepted_at, month,
                    CAST(floor(u_ag * u_ag * {n_agencies}) AS INTEGER) AS k, u_w1 AS u_w
                FROM dt
                WHERE u_perm < (CASE WHEN flow = 'import' THEN {PERMIT_SHARE["import"]}
                    ELSE {PERMIT_SHARE["export"]} END)
                UNION ALL
                SELECT declaration_id, accepted_at, month,
                    (CAST(floor(u_ag * u_ag * {n_agencies}) AS INTEGER) + 1) % {n_agencies},
                    u_w2
                FROM dt
                WHERE u_perm < (CASE WHEN flow = 'import' THEN {PERMIT_SHARE["import"]}
                    ELSE {PERMIT_SHARE["export"]} END) / 7
            ) x
            """
        )
        con.execute(
            """
            CREATE TABLE full_d AS
            SELECT dt.*, p.permit_hours,
                accepted_at + to_microseconds(CAST((0.05 + greatest(coalesce(p.permit_hours, 0),
                    coalesce(inspection_hours, 0) + coalesce(payment_hours, 0))) * 3600e6
                    AS BIGINT)) AS released_at
            FROM dt
            LEFT JOIN (SELECT declaration_id, max(hours) AS permit_hours FROM pw
                GROUP BY declaration_id) p USING (declaration_id)
            """
        )
        con.execute(
            """
            CREATE TABLE final_d AS
            SELECT *, CASE WHEN flow = 'import' THEN released_at
                + to_microseconds(CAST((1 + 70 * u_gate * u_gate) * 3600e6 AS BIGINT)) END
                AS gate_out_at
            FROM full_d
            """
        )
        con.execute(
            """
            CREATE VIEW declarations AS
            SELECT declaration_id, CAST(accepted_at AS DATE) AS day, flow, office, mode,
                channel, aeo, trader, arrival_at, lodged_at, accepted_at, released_at,
                gate_out_at, inspection_hours, payment_hours, 1 AS version, permit_hours, month
            FROM final_d
            """
        )
        con.execute(
            """
            CREATE VIEW permit_waits AS
            SELECT declaration_id, CAST(accepted_at AS DATE) AS day, agency,
                accepted_at + to_microseconds(CAST(hours * 3600e6 AS BIGINT)) AS granted_at,
                hours, month
            FROM pw
            """
        )
        for table in ("declarations", "permit_waits"):
            con.execute(
                f"""
                COPY (SELECT * FROM {table}) TO '{directory / table}' (FORMAT parquet,
                    PARTITION_BY (month), OVERWRITE_OR_IGNORE true,
                    FILENAME_PATTERN 'part-fast-{{i}}', COMPRESSION zstd)
                """
            )
        # The Time Release Study's summaries, a month a file, then each month's sum.
        columns = ", ".join(n for n, _ in store.SUMMARIES["trs_days"])
        con.execute(
            f"""
            COPY (SELECT {columns}, month FROM ({store.query_text("trs_summary")}) s)
            TO '{directory / "trs_days"}' (FORMAT parquet, PARTITION_BY (month),
                OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'part-fast-{{i}}', COMPRESSION zstd)
            """,
            [store.TRADER_SAMPLE],
        )
        for (month,) in con.execute("SELECT month FROM months ORDER BY month").fetchall():
            store.rebuild_month(directory, str(month), con)
        con.execute(
            f"""
            COPY (
                SELECT declaration_id, k + 1 AS item, CAST(accepted_at AS DATE) AS day, flow,
                    substr(c.hs6, 1, 2) AS hs2, substr(c.hs6, 1, 4) AS hs4, c.hs6,
                    p.code AS partner,
                    CASE WHEN flow = 'import' THEN (CASE WHEN u_pay < 0.9 THEN '4000' ELSE '5100'
                         END) ELSE (CASE WHEN u_pay < 0.9 THEN '1000' ELSE '3151' END) END
                        AS procedure,
                    mode, office, trader,
                    CAST(value AS DECIMAL(18,2)) AS statistical_value,
                    CAST(value / (4 + 40 * u_v) AS DECIMAL(18,3)) AS net_mass_kg,
                    CAST(CASE WHEN u_v < 0.3 THEN floor(1 + 500 * u_v) END AS DECIMAL(18,3))
                        AS supplementary_quantity,
                    CASE WHEN u_v < 0.3 THEN 'NAR' END AS supplementary_unit,
                    CAST(CASE WHEN flow = 'import' THEN value * (0.2 + 0.12 * u_v) END
                        AS DECIMAL(18,2)) AS duties_taxes,
                    month
                FROM (
                    SELECT d.*, r.k,
                        ((hash(d.declaration_id, r.k, 21, {seed}) % 1000003) / 1000003.0) AS u_c,
                        ((hash(d.declaration_id, r.k, 22, {seed}) % 1000003) / 1000003.0) AS u_p,
                        ((hash(d.declaration_id, r.k, 23, {seed}) % 1000003) / 1000003.0) AS u_v,
                        exp(5 + 6 * ((hash(d.declaration_id, r.k, 24, {seed}) % 1000003)
                            / 1000003.0)) AS value
                    FROM final_d d, range(3) r(k)
                    WHERE r.k = 0 OR (r.k = 1 AND d.u_gate < 0.45) OR (r.k = 2 AND d.u_gate < 0.15)
                ) x
                JOIN codes c ON c.n = CAST(floor({n_codes} * u_c * u_c * u_c) AS INTEGER)
                JOIN partners p ON p.n = CAST(floor({n_partners} * u_p * u_p) AS INTEGER)
            ) TO '{directory / "items"}' (FORMAT parquet, PARTITION_BY (month),
                OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'part-fast-{{i}}', COMPRESSION zstd)
            """
        )
        # The trade summaries: every cell of every trade table, a month a file.
        summarising = perf_counter()
        for (month,) in con.execute("SELECT month FROM months ORDER BY month").fetchall():
            store.summarise_trade_month(directory, str(month), con)
        summarised = perf_counter() - summarising
        con.execute(
            f"""
            COPY (
                SELECT declaration_id, CAST(accepted_at AS DATE) AS day, kind, at, month FROM (
                    SELECT declaration_id, accepted_at, month, 'arrived' AS kind,
                        arrival_at AS at FROM final_d
                    UNION ALL
                    SELECT declaration_id, accepted_at, month, 'gated_out', gate_out_at
                    FROM final_d WHERE gate_out_at IS NOT NULL
                )
            ) TO '{directory / "cargo_events"}' (FORMAT parquet, PARTITION_BY (month),
                OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'part-fast-{{i}}', COMPRESSION zstd)
            """
        )
        con.execute(
            f"""
            COPY (
                SELECT declaration_id, CAST(accepted_at AS DATE) AS day, seq, from_status,
                    to_status, at, month FROM (
                    SELECT declaration_id, accepted_at, month, 1 AS seq, NULL AS from_status,
                        'accepted' AS to_status, accepted_at AS at FROM final_d
                    UNION ALL
                    SELECT declaration_id, accepted_at, month, 2, 'accepted', 'released',
                        released_at FROM final_d
                )
            ) TO '{directory / "decisions"}' (FORMAT parquet, PARTITION_BY (month),
                OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'part-fast-{{i}}', COMPRESSION zstd)
            """
        )
        written_items = directory / "items" / "month=*" / "part-fast-*.parquet"
        items = con.execute(f"SELECT count(*) FROM read_parquet('{written_items}')").fetchone()
    finally:
        con.close()
    return FastReport(
        declarations, int(items[0]) if items else 0, perf_counter() - started, summarised
    )
