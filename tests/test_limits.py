"""Bounded requests, traceable errors and ids out of range: what an attacker tries first."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from onewindow.app import create_app
from onewindow.config import get_settings
from onewindow.db import get_session, make_engine
from onewindow.logs import JsonFormatter
from tests.conftest import Party, api_operations


@pytest.fixture(scope="module")
def small_app(database: str) -> FastAPI:
    """The app with small body limits, so that tests stay light."""
    settings = get_settings().model_copy(update={"max_body_bytes": 4096, "max_upload_bytes": 16384})
    return create_app(settings, run_worker=False)


@pytest.fixture()
def small(small_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(small_app, raise_server_exceptions=False) as test_client:
        yield test_client


def _is_413_naming_the_limit(response, limit: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert str(limit) in response.json()["detail"]
    assert response.headers["x-request-id"]


def test_a_body_over_the_limit_is_refused_on_its_length(small: TestClient, party: Party) -> None:
    body = json.dumps({"name": "x" * 5000, "scopes": []})
    response = small.post(
        "/api/v1/tokens",
        content=body,
        headers={**party.auth, "content-type": "application/json"},
    )
    _is_413_naming_the_limit(response, 4096)


def test_a_chunked_body_over_the_limit_is_refused_while_read(
    small: TestClient, party: Party
) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"name": "'
        for _ in range(1000):  # would be 1 MB: the server stops reading long before
            sent += 1
            yield b"x" * 1024
        yield b'", "scopes": []}'

    response = small.post(
        "/api/v1/tokens",
        content=chunks(),
        headers={**party.auth, "content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    _is_413_naming_the_limit(response, 4096)


def test_a_chunked_multipart_upload_over_the_limit_is_refused(
    small: TestClient, party: Party
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="d.xml"\r\n\r\n'
        for _ in range(100):
            yield b"<" * 1024
        yield b"\r\n--b--\r\n"

    response = small.post(
        "/declarations/upload",
        content=chunks(),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    _is_413_naming_the_limit(response, 16384)


def test_xml_uploads_have_a_larger_limit(small: TestClient, party: Party) -> None:
    xml = b"<Declaration>" + b" " * 8000 + b"</Declaration>"
    under = small.post(
        "/api/v1/declarations/wco",
        content=xml,
        headers={**party.auth, "content-type": "application/xml"},
    )
    assert under.status_code not in {413, 500}, under.text
    over = small.post(
        "/api/v1/declarations/wco",
        content=b"<a>" + b" " * 20000 + b"</a>",
        headers={**party.auth, "content-type": "application/xml"},
    )
    _is_413_naming_the_limit(over, 16384)


def test_the_default_limits_come_from_the_settings() -> None:
    settings = get_settings()
    assert settings.max_body_bytes == 2 * 1024 * 1024
    assert settings.max_upload_bytes == 5 * 1024 * 1024


def test_an_over_long_list_names_the_field_and_its_limit(client: TestClient, party: Party) -> None:
    response = client.post(
        "/api/v1/tokens",
        json={"name": "many", "scopes": ["declarations:read"] * 1000},
        headers=party.auth,
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors[0]["pointer"] == "/body/scopes"
    assert errors[0]["code"] == "too_long"
    assert "50" in errors[0]["detail"]


# -- request ids ---------------------------------------------------------------------------


def test_every_answer_carries_a_request_id(client: TestClient, party: Party) -> None:
    ok = client.get("/healthz")
    refused = client.get("/api/v1/declarations/1", headers={"Authorization": "Bearer nope"})
    missing = client.get("/api/v1/nothing-here")
    ids = {r.headers["x-request-id"] for r in (ok, refused, missing)}
    assert len(ids) == 3 and all(len(i) >= 8 for i in ids)


def test_a_sane_client_request_id_is_kept_and_an_odd_one_replaced(client: TestClient) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a2c9e-0001"})
    assert kept.headers["x-request-id"] == "lb-7f3a2c9e-0001"
    odd = client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 200})
    assert odd.headers["x-request-id"] != "<script>" + "x" * 200
    assert len(odd.headers["x-request-id"]) == 32


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(JsonFormatter().format(record)))


@pytest.fixture()
def records() -> Iterator[_Records]:
    handler = _Records()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def test_a_500_quotes_its_request_id_and_every_log_line_has_it(records: _Records) -> None:
    app = create_app(run_worker=False)

    @app.get("/api/v1/test-crash")
    def crash() -> None:
        logging.getLogger("onewindow.test").warning("about to fail")
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/api/v1/test-crash", headers={"X-Request-ID": "trace-0042"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "trace-0042"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "quote request id trace-0042." in response.json()["detail"]
    mine = [line for line in records.lines if line.get("path") or line["logger"] != "httpx"]
    messages = {line["message"]: line for line in mine}
    for message in ("about to fail", "unexpected error", "request"):
        assert messages[message].get("request_id") == "trace-0042", message
    assert messages["request"]["status"] == 500


def test_a_database_that_does_not_answer_gives_503_with_retry_after(
    app: FastAPI, client: TestClient
) -> None:
    # Nothing listens on port 9 of this machine: the connection is refused at once.
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    factory = sessionmaker(bind=engine)

    def unreachable() -> Iterator[Session]:
        with factory() as session:
            yield session
            session.commit()

    app.dependency_overrides[get_session] = unreachable
    try:
        response = client.get("/api/v1/declarations", headers={"Authorization": "Bearer x"})
    finally:
        app.dependency_overrides.pop(get_session)
        engine.dispose()
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["x-request-id"]


# -- ids out of range ------------------------------------------------------------------------


def _id_operations(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    """(method, path, its integer path parameters) for every API operation that has some."""
    found = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            ids = [
                p["name"]
                for p in operation.get("parameters", [])
                if p["in"] == "path" and p["schema"].get("type") == "integer"
            ]
            if ids:
                found.append((method.upper(), path, ids))
    return found


@pytest.mark.parametrize("value", [2**63, 2**31, 0, -1])
def test_every_path_id_out_of_range_is_a_4xx(
    client: TestClient, administrator: Party, customs: Party, value: int
) -> None:
    operations = _id_operations(client.app)  # type: ignore[arg-type]
    assert len(operations) > 20
    for method, template, ids in operations:
        path = template
        for name in ids:
            path = path.replace("{" + name + "}", str(value))
        for who in (administrator, customs):
            response = client.request(method, path, json={}, headers=who.auth)
            assert response.status_code in {404, 422}, (method, path, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")


def test_every_id_in_a_path_is_one_bounded_type(app: FastAPI) -> None:
    for operation in api_operations(app):
        schemas = {
            p["name"]: p["schema"]
            for p in app.openapi()["paths"][operation.path][operation.method.lower()].get(
                "parameters", []
            )
        }
        for name in operation.path_params:
            if name.endswith("id") or schemas[name].get("type") == "integer":
                assert schemas[name].get("maximum") == 2**31 - 1, (operation.path, name)
                assert schemas[name].get("minimum") == 1, (operation.path, name)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/declarations?before_id=9223372036854775808",
        "/api/v1/notifications?before_id=9223372036854775808",
        "/api/v1/payment-requests?declaration_id=9223372036854775808",
        "/api/v1/audit?before_seq=9223372036854775808",
        "/declarations/9223372036854775808",
        "/risk/profiles?edit=9223372036854775808",
    ],
)
def test_ids_out_of_range_in_queries_and_pages_are_never_a_500(
    client: TestClient, customs: Party, path: str
) -> None:
    response = client.get(path, headers=customs.auth)
    assert 400 <= response.status_code < 500, response.text


# -- bounded schemas -----------------------------------------------------------------------

_BOUNDED_STRING_KEYS = {"maxLength", "pattern", "enum", "const", "format"}


def _unbounded(schema: object, components: dict[str, object], where: str, seen: set[str]):  # type: ignore[no-untyped-def]
    """Yield the places under ``schema`` where an array or a string has no bound."""
    if isinstance(schema, list):
        for i, sub in enumerate(schema):
            yield from _unbounded(sub, components, f"{where}[{i}]", seen)
        return
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _unbounded(components[name], components, name, seen)
        return
    kind = schema.get("type")
    if kind == "array" and "maxItems" not in schema:
        yield f"{where}: array without maxItems"
    if kind == "string" and not _BOUNDED_STRING_KEYS & set(schema):
        yield f"{where}: string without maxLength, pattern, enum or format"
    if kind == "object" and schema.get("additionalProperties") and "maxProperties" not in schema:
        yield f"{where}: object without maxProperties"
    for key, sub in schema.items():
        if key == "properties":
            for name, prop in sub.items():
                yield from _unbounded(prop, components, f"{where}.{name}", seen)
        elif key in {"items", "anyOf", "oneOf", "allOf", "additionalProperties", "schema"}:
            yield from _unbounded(sub, components, f"{where}.{key}", seen)


def test_every_request_list_and_string_is_bounded(app: FastAPI) -> None:
    """New request schemas must bound their lists and strings (a 422, not a server's memory)."""
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    found: list[str] = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                found += _unbounded(
                    parameter["schema"], components, f"{where} {parameter['name']}", set()
                )
            for media in operation.get("requestBody", {}).get("content", {}).values():
                found += _unbounded(media.get("schema", {}), components, where, set())
    assert not found, "\n".join(sorted(set(found)))


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/v1/risk/inspections",
            {"declaration_id": 2**63, "finding": "none", "currency": "GBP"},
        ),
        (
            "/api/v1/deferred-accounts",
            {
                "organisation_id": 2**63,
                "number": "DAN-1",
                "currency": "GBP",
                "guarantee_amount": "10",
                "guarantee_reference": "G-1",
                "valid_until": "2030-01-01",
            },
        ),
    ],
)
def test_an_id_out_of_range_in_a_body_is_a_4xx_not_a_crash(
    client: TestClient, customs: Party, path: str, body: dict[str, object]
) -> None:
    # The app's safety net: the database cannot take the number, the caller hears why.
    response = client.post(path, json=body, headers=customs.auth)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
