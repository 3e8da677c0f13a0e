"""Cargo: how long a 2,000-line manifest takes to be validated and stored (JSON and UN/EDIFACT
CUSCAR), and how long the gate takes to answer whether a container may leave.

Runs on a fresh temporary SQLite database by default, or on the database you name (it is
emptied first):

    .venv/bin/python benchmarks/cargo.py [--lines 2000] [--gate-asks 500] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

CONTAINERS = 200
DOCUMENTS = 100


def _check_digit(first_ten: str) -> str:
    from onewindow.cargo.identifiers import container_check_digit

    return str(container_check_digit(first_ten))


def containers(run: str) -> list[str]:
    numbers = [f"{run}U{index:06d}" for index in range(CONTAINERS)]
    return [n + _check_digit(n) for n in numbers]


def json_manifest(lines: int, imo: str, run: str) -> dict[str, object]:
    """A manifest of ``lines`` goods lines over 100 bills of lading and 200 containers."""
    boxes = containers(run)
    per_document = lines // DOCUMENTS
    documents = []
    for d in range(DOCUMENTS):
        own = boxes[2 * d : 2 * d + 2]
        documents.append(
            {
                "number": f"{run}BL{d:06d}",
                "consignee": {"name": "Rotterdam Trading B.V.", "identifier": "NL123456789"},
                "goods": [
                    {
                        "line": n + 1,
                        "description": f"Laptop computers and accessories, lot {n}",
                        "hs_code": "847130",
                        "packages": n % 90 + 10,
                        "package_type": "CT",
                        "gross_mass_kg": f"{n % 500 + 100}.25",
                        "container": own[n % 2],
                    }
                    for n in range(per_document)
                ],
                "containers": [{"number": c, "seals": [f"SL{c[4:10]}"]} for c in own],
            }
        )
    return {
        "reference": f"{run}-JSON",
        "mode": "sea",
        "transport_id": imo,
        "voyage": "412E",
        "port_of_loading": "SGSIN",
        "port_of_discharge": "GBFXT",
        "documents": documents,
    }


def cuscar_manifest(lines: int, run: str) -> str:
    """The tests' CUSCAR generator, with ISO 6346 container numbers and ports of this run."""
    from tests.formats.edifact_samples.generate import cuscar_with_lines

    text = cuscar_with_lines(lines)
    text = re.sub(r"MSKU\d(\d{6})", lambda m: "MSKU" + m[1] + _check_digit("MSKU" + m[1]), text)
    text = text.replace("CNSHA", "SGSIN").replace("NLRTM", "GBFXT")
    return text.replace("MAN-BIG", f"{run}-EDI").replace("MAEU26", f"{run}B")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000, help="goods lines per manifest")
    parser.add_argument("--gate-asks", type=int, default=500, help="gate questions to time")
    parser.add_argument("--database-url", default=None, help="a database to empty and use")
    args = parser.parse_args()
    if args.database_url:
        os.environ["ONEWINDOW_TEST_DATABASE_URL"] = args.database_url
    os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "ERROR")

    from tests.cargo import imo
    from tests.conftest import DATABASE_URL, TEST_COUNTRIES, _reset, make_party

    from onewindow import migrations
    from onewindow.cargo import service as cargo
    from onewindow.cargo.schemas import ManifestIn
    from onewindow.config import get_settings
    from onewindow.db import session_scope
    from onewindow.parties import service as parties
    from onewindow.reference import service as reference

    _reset(DATABASE_URL)
    migrations.upgrade(DATABASE_URL)
    with session_scope() as session:
        reference.load_countries(session)
        reference.load_locations(session, get_settings().data_dir, countries=TEST_COUNTRIES)
    carrier, terminal = make_party(("carrier",)), make_party(("terminal-operator",))

    def principal(email: str):  # type: ignore[no-untyped-def]
        with session_scope() as session:
            user = parties.find_user(session, email)
            assert user is not None
            return parties.principal_for_user(user, "benchmark")

    as_carrier, as_terminal = principal(carrier.email), principal(terminal.email)
    print(f"database {DATABASE_URL}")

    started = time.perf_counter()
    body = ManifestIn.model_validate(json_manifest(args.lines, imo(), "JSN"))
    with session_scope() as session:
        manifest, _, _ = cargo.lodge_manifest(session, as_carrier, body)
        documents = len(manifest.documents)
    json_seconds = time.perf_counter() - started
    print(f"manifest JSON {args.lines} lines, {documents} documents: {json_seconds:.2f} s")

    text = cuscar_manifest(args.lines, "EDI")
    started = time.perf_counter()
    with session_scope() as session:
        manifest, _, _ = cargo.lodge_cuscar(session, as_carrier, text.encode())
        documents = len(manifest.documents)
    edi_seconds = time.perf_counter() - started
    print(f"manifest CUSCAR {args.lines} lines, {documents} documents: {edi_seconds:.2f} s")

    boxes = containers("JSN"[:3])
    times = []
    for n in range(args.gate_asks):
        box = boxes[n % len(boxes)]
        started = time.perf_counter()
        with session_scope() as session:
            answer = cargo.ask_gate(session, as_terminal, container=box, document=None)
        times.append((time.perf_counter() - started) * 1000)
        assert not answer.may_leave
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1]
    print(
        f"gate answer ms p50 {statistics.median(times):.1f} p99 {p99:.1f} "
        f"({args.gate_asks} questions, each in its own transaction)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
