"""Permits: how long the requirements engine takes to say what a 100-item declaration needs
against 10,000 requirement rules (HS prefixes and ranges, flows, countries, exemptions, dates).

Pure: no database. The index is built once (as the service keeps it between checks); each run
evaluates the whole declaration:

    .venv/bin/python benchmarks/permits.py [--rules 10000] [--items 100] [--runs 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

COUNTRIES = ["CN", "IN", "KE", "BR", "US", "VN", "DE", "EG", "AR", "ID"]


def rules(count: int, rng: random.Random) -> list[dict[str, object]]:
    """Rules of every shape: prefixes of 2 to 8 digits, ranges, flows, countries, exemptions."""
    made: list[dict[str, object]] = []
    for n in range(count):
        chapter = rng.randint(1, 97)
        heading = f"{chapter:02d}{rng.randint(1, 99):02d}"
        rule: dict[str, object] = {"procedure": f"P{n % 50}"}
        shape = n % 5
        if shape == 0:
            rule["hs"] = heading[: rng.choice((2, 4))]
        elif shape == 1:
            rule["hs"] = heading + f"{rng.randint(0, 99):02d}"
        elif shape == 2:
            rule["hs_from"], rule["hs_to"] = heading, heading[:2] + "99"
        elif shape == 3:
            rule["hs"] = heading + f"{rng.randint(0, 9999):04d}"
        else:
            rule["hs"] = heading
            rule["exemptions"] = {"below_value": {"amount": "100", "currency": "USD"}}
        if rng.random() < 0.5:
            rule["flows"] = [rng.choice(["import", "export"])]
        if rng.random() < 0.3:
            rule["countries"] = rng.sample(COUNTRIES, 3)
        if rng.random() < 0.2:
            rule["valid_from"], rule["valid_to"] = "2024-01-01", "2030-12-31"
        made.append(rule)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from onewindow.permits.requirements import Goods, RuleIndex, evaluate, rule_from_data

    rng = random.Random(7)
    started = time.perf_counter()
    index = RuleIndex([rule_from_data(n, r) for n, r in enumerate(rules(args.rules, rng))])
    built = time.perf_counter() - started
    items = [
        (
            n + 1,
            Goods(
                code=f"{rng.randint(1, 97):02d}{rng.randint(1, 99):02d}"
                f"{rng.randint(0, 999999):06d}",
                flow="import",
                on=date(2026, 12, 2),
                country=rng.choice(COUNTRIES),
                procedure="4000",
                quantity=Decimal(rng.randint(1, 5000)),
                unit="KGM",
                value=Decimal(rng.randint(10, 50000)),
                currency="USD",
            ),
        )
        for n in range(args.items)
    ]
    times, needs = [], 0
    for _ in range(args.runs):
        start = time.perf_counter()
        found = evaluate(index, items)
        times.append((time.perf_counter() - start) * 1000)
        needs = len(found)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"rules: {args.rules}, index built in {built * 1000:.0f} ms")
    print(
        f"a {args.items}-item declaration: median {statistics.median(times):.2f} ms, "
        f"p99 {p99:.2f} ms, worst {times[-1]:.2f} ms ({needs} needs found; target under 50 ms)"
    )


if __name__ == "__main__":
    main()
