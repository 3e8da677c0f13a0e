"""Operations endpoints and the one error shape of the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from onewindow.app import create_app
from onewindow.config import get_settings
from tests.conftest import Party, api_operations

METRICS_TOKEN = "metrics-token-for-the-tests-0123456789"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/api/v1/reference/countries/TW")
    app = create_app(
        get_settings().model_copy(update={"metrics_token": METRICS_TOKEN}), run_worker=False
    )
    with TestClient(app) as metrics_client:
        body = metrics_client.get("/metrics", headers=METRICS_AUTH).text
    assert (
        'onewindow_http_requests_total{method="GET",route="/api/v1/reference/countries/{code}"'
        in body
    )
    assert "onewindow_http_request_seconds_bucket" in body


def test_api_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert "/static/docs/swagger-ui-bundle.js" in page.text
    assert client.get("/static/docs/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/reference/hs" in spec["paths"]


def test_validation_errors_name_every_field_with_a_pointer(
    client: TestClient, party: Party
) -> None:
    response = client.post(
        "/api/v1/tokens", json={"name": "", "scopes": "all", "extra": 1}, headers=party.auth
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] == "Invalid input"
    pointers = {e["pointer"]: e["detail"] for e in problem["errors"]}
    assert set(pointers) == {"/body/name", "/body/scopes", "/body/extra"}
    assert pointers["/body/extra"] == "is not a known field"


def test_malformed_json_is_a_problem_not_a_crash(client: TestClient, party: Party) -> None:
    response = client.post(
        "/api/v1/tokens",
        content=b"{not json",
        headers={**party.auth, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/body"


def test_unknown_api_path_is_a_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/not-found"


def test_unknown_portal_page_is_a_page(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.text


BAD_BODIES: list[object] = [{}, [], "text", 12, None, {"name": None, "scopes": [1, {"a": 2}]}]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_input_anywhere_gets_a_4xx_problem(
    client: TestClient, administrator: Party, body: object
) -> None:
    """Every route with a body or a path parameter answers nonsense with a 4xx problem."""
    operations = api_operations(client.app)
    assert len(operations) > 10
    for op in operations:
        if not op.has_body and not op.path_params:
            continue  # nothing for the caller to get wrong
        path = op.path
        for name in op.path_params:
            path = path.replace("{" + name + "}", "%00'; DROP TABLE x;--")
        response = client.request(op.method, path, json=body, headers=administrator.auth)
        assert 400 <= response.status_code < 500, (op.method, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/reference/hs?q=%00coffee", "/api/v1/reference/locations?q=%00", "/hs?q=%00"],
)
def test_control_characters_never_break_the_server(client: TestClient, path: str) -> None:
    # PostgreSQL cannot store or search for NUL: that is the caller's error, not a crash.
    assert client.get(path).status_code < 500


def test_metrics_answer_404_without_a_token_set(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=METRICS_AUTH).status_code == 404


def test_metrics_need_the_bearer_token(client: TestClient) -> None:
    app = create_app(
        get_settings().model_copy(update={"metrics_token": METRICS_TOKEN}), run_worker=False
    )
    with TestClient(app, raise_server_exceptions=False) as metrics_client:
        assert metrics_client.get("/metrics").status_code == 401
        wrong = metrics_client.get("/metrics", headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401
        assert wrong.headers["content-type"].startswith("application/problem+json")
        answer = metrics_client.get("/metrics", headers=METRICS_AUTH)
        assert answer.status_code == 200
        assert "onewindow_http_requests_total" in answer.text


def test_metrics_on_their_own_port_only(client: TestClient) -> None:
    settings = get_settings().model_copy(
        update={"metrics_token": METRICS_TOKEN, "metrics_port": 9464}
    )
    app = create_app(settings, run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as main_port:
        assert main_port.get("/metrics", headers=METRICS_AUTH).status_code == 404
        assert main_port.get("/healthz").status_code == 200
    with TestClient(
        app, base_url="http://testserver:9464", raise_server_exceptions=False
    ) as metrics_port:
        assert metrics_port.get("/metrics", headers=METRICS_AUTH).status_code == 200
        assert metrics_port.get("/metrics").status_code == 401
        assert metrics_port.get("/healthz").status_code == 404
        assert metrics_port.get("/api/v1/reference/countries/TW").status_code == 404
