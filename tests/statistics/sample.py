"""A hand-made store: a handful of declarations whose figures are worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from onewindow.statistics import store


def t(day: int, hour: float) -> datetime:
    return datetime(2026, 3, day, int(hour), int(hour % 1 * 60), tzinfo=UTC)


# (id, trader, channel, aeo, arrival, lodged, accepted, released, gate-out, inspection, payment)
DECLARATIONS = [
    (1, "t-a", "green", True, t(2, 6), t(2, 8), t(2, 8.5), t(2, 10.5), t(2, 20.5), None, 2.0),
    (2, "t-b", "green", False, t(3, 6), t(3, 9), t(3, 9), t(3, 13), t(4, 1), None, 4.0),
    (3, "t-c", "red", False, t(4, 6), t(4, 8), t(4, 8), t(5, 8), t(5, 18), 20.0, 3.0),
    (4, "t-d", "red", False, t(5, 6), t(5, 7), t(5, 7), t(6, 9), None, 24.0, None),
    (5, "t-a", "yellow", True, t(6, 0), t(6, 1), t(6, 1), t(6, 5), t(6, 9), 4.0, None),
]
# (id, agency, granted): the permits each release waited for, granted after acceptance
PLANTS = "Plant and Animal Health Agency"
FOOD = "Food Standards Agency"
PERMIT_WAITS = [
    (2, PLANTS, t(3, 12)),  # 3 h after acceptance
    (3, PLANTS, t(4, 14)),  # 6 h
    (3, FOOD, t(4, 20)),  # 12 h
    (4, PLANTS, t(5, 17)),  # 10 h
]
# (id, item, hs6, partner, trader, value, net mass, duties): imports of March 2026
ITEMS = [
    (1, 1, "090111", "CO", "t-a", "1000.00", "100.000", "200.00"),
    (2, 1, "090121", "BR", "t-b", "2000.00", "150.000", "400.00"),
    (3, 1, "090111", "CO", "t-c", "3000.00", "300.000", "600.00"),
    (3, 2, "420221", "CN", "t-c", "500.00", "5.000", "150.00"),
    (4, 1, "090111", "VN", "t-d", "4000.00", "400.000", "800.00"),
    (5, 1, "610910", "CN", "t-a", "250.00", "20.000", "75.00"),
]


def write_sample(directory: Path) -> None:
    """Write the sample as the export would (one file per table and day)."""
    by_day: dict[str, list[tuple[object, ...]]] = {}
    items_by_day: dict[str, list[tuple[object, ...]]] = {}
    waits_by_day: dict[str, list[tuple[object, ...]]] = {}
    days: dict[int, date] = {}
    for row in DECLARATIONS:
        n, trader, channel, aeo, arrival, lodged, accepted, released, gone, insp, pay = row
        day = accepted.date()
        days[n] = day
        waits = [
            (n, day, agency, granted, (granted - accepted).total_seconds() / 3600)
            for m, agency, granted in PERMIT_WAITS
            if m == n
        ]
        waits_by_day.setdefault(day.isoformat(), []).extend(waits)
        by_day.setdefault(day.isoformat(), []).append(
            (
                n,
                day,
                "import",
                "GBFXT001",
                "sea",
                channel,
                aeo,
                trader,
                arrival,
                lodged,
                accepted,
                released,
                gone,
                insp,
                pay,
                1,
                max((w[4] for w in waits), default=None),
            )
        )
    for n, item, hs6, partner, trader, value, mass, duties in ITEMS:
        day = days[n]
        items_by_day.setdefault(day.isoformat(), []).append(
            (
                n,
                item,
                day,
                "import",
                hs6[:2],
                hs6[:4],
                hs6,
                partner,
                "4000",
                "sea",
                "GBFXT001",
                trader,
                Decimal(value),
                Decimal(mass),
                None,
                None,
                Decimal(duties),
            )
        )
    for day, rows in by_day.items():
        store.write_day(directory, "declarations", day, rows)
        store.write_day(directory, "items", day, items_by_day.get(day, []))
        store.write_day(directory, "permit_waits", day, waits_by_day.get(day, []))
        store.summarise_day(directory, day)
