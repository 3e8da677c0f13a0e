"""The API keeps its OpenAPI contract: requests generated from the document (schemathesis),
sent to the app in process, as a trader holding every scope. A few examples per operation keep
this in the suite; ``benchmarks/fuzz.py`` runs the longer campaign with every role."""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_party, register_media_types

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 6


def _failures(
    operation: schemathesis.APIOperation,
    headers: dict[str, str],
    mode: GenerationMode,
    sent: list[int],
) -> list[str]:
    """What goes wrong for one operation, in a few generated requests of one kind."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        sent.append(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except Unsatisfiable:
        pass  # nothing to get wrong: no parameters, no body
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups its failures
        return [f"{operation.label} ({mode.value}): {exc}"]
    return []


def test_the_api_keeps_its_contract(app: FastAPI) -> None:
    trader = make_party(("trader",))
    register_media_types()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/api/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    failures: list[str] = []
    sent: list[int] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _failures(operation, trader.auth, mode, sent)
    assert not failures, f"{len(failures)} operations break the contract:\n\n" + "\n\n".join(
        failures
    )
    # the run really exercised the API, successes included
    assert len(sent) > 4 * len(operations)
    assert sum(200 <= status < 300 for status in sent) > len(operations) / 2


def test_every_api_operation_documents_its_problem_answers(app: FastAPI) -> None:
    spec = app.openapi()
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem["properties"])
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            responses = operation["responses"]
            for status in ("422", "500", "503"):
                content = responses[status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
            if "requestBody" in operation:
                assert {"400", "413", "404"} <= set(responses), (method, path)
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                assert "404" in responses, (method, path)
    token_routes = spec["paths"]["/api/v1/tokens"]["post"]["responses"]
    assert {"401", "403", "409"} <= set(token_routes)
