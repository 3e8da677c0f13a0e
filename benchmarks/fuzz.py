"""Contract fuzzing: many requests generated from the OpenAPI document (schemathesis), sent to
the app in process, as every organisation role. Prints the requests sent, the failures by kind
and the time taken; exits 1 when anything breaks the contract.

Runs on a fresh temporary SQLite database by default, or on the database you name (it is
emptied first):

    .venv/bin/python benchmarks/fuzz.py [--examples 40] [--database-url URL] [--show 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40, help="examples per operation and mode")
    parser.add_argument("--database-url", default=None, help="a database to empty and use")
    parser.add_argument("--show", type=int, default=5, help="failures to print in full")
    args = parser.parse_args()
    if args.database_url:
        os.environ["ONEWINDOW_TEST_DATABASE_URL"] = args.database_url
    os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "ERROR")

    # The test set-up decides the database and makes the parties; imported once it is chosen.
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from hypothesis.reporting import with_reporter
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )
    from tests.conftest import (
        DATABASE_URL,
        TEST_COUNTRIES,
        _reset,
        make_party,
        register_media_types,
    )

    from onewindow import migrations
    from onewindow.app import create_app
    from onewindow.config import get_settings
    from onewindow.db import session_scope
    from onewindow.demo import load_demo_tariff
    from onewindow.reference import service as reference
    from onewindow.security import ORGANISATION_ROLES

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    started = time.perf_counter()
    _reset(DATABASE_URL)
    migrations.upgrade(DATABASE_URL)
    data_dir = get_settings().data_dir
    with session_scope() as session:
        reference.load_hs(session, data_dir)
        reference.load_countries(session)
        reference.load_currencies(session)
        reference.load_code_lists(session)
        reference.load_locations(session, data_dir, countries=TEST_COUNTRIES)
    with session_scope() as session:
        load_demo_tariff(session, data_dir)
    app = create_app(run_worker=False)
    register_media_types()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/api/")
    operations = [result.ok() for result in schema.get_all_operations()]
    parties = {role: make_party((role,)) for role in ORGANISATION_ROLES}
    ready = time.perf_counter()
    print(f"{len(operations)} operations, {len(parties)} roles, database {DATABASE_URL}")

    sent: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    shown: list[str] = []

    def runner(
        operation: schemathesis.APIOperation, mode: GenerationMode, headers: dict[str, str]
    ) -> Callable[[], None]:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=args.examples,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            sent[response.status_code] += 1
            case.validate_response(response, checks=checks, headers=headers)

        return run  # type: ignore[no-any-return]

    for role, party in parties.items():
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run = runner(operation, mode, party.auth)
                try:
                    with with_reporter(lambda _: None):  # no seeds printed per operation
                        run()
                except Unsatisfiable:
                    continue
                except (Exception, BaseExceptionGroup) as exc:
                    found = getattr(exc, "exceptions", [exc])
                    for failure in found:
                        kinds[getattr(failure, "title", type(failure).__name__)] += 1
                    if len(shown) < args.show:
                        shown.append(f"{role} {operation.label} ({mode.value}):\n{exc}")
    elapsed = time.perf_counter() - ready
    total = sum(sent.values())
    print(f"requests sent: {total} in {elapsed:.1f} s ({total / elapsed:.0f}/s)")
    print("answers: " + ", ".join(f"{status}: {n}" for status, n in sorted(sent.items())))
    print(f"failures: {sum(kinds.values())}")
    for kind, count in kinds.most_common():
        print(f"  {count:5d}  {kind}")
    for text in shown:
        print("\n" + text)
    print(f"\nset-up {ready - started:.1f} s, fuzzing {elapsed:.1f} s")
    return 1 if kinds else 0


if __name__ == "__main__":
    sys.exit(main())
