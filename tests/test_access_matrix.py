"""Every API route is scoped: an organisation never sees another's data.

The matrix below must list every route of the API; a new route without an entry fails
``test_every_route_is_in_the_matrix``, so the matrix grows with the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Party, api_operations, make_party


@dataclass(frozen=True)
class Public:
    """Open to everybody, anonymous included (reference look-ups)."""

    path: str


@dataclass(frozen=True)
class Own:
    """Answers about the caller's organisation only; B's markers must never appear for A."""

    path: str
    body: Callable[[Party], object] | None = None


@dataclass(frozen=True)
class ById:
    """Addresses one of B's resources: A gets 404, B gets it."""

    path: Callable[[Party], str]
    ok_status: int = 200


Access = Public | Own | ById

MATRIX: dict[tuple[str, str], Access] = {
    ("GET", "/api/v1/reference/hs"): Public("/api/v1/reference/hs?q=0901"),
    ("GET", "/api/v1/reference/hs/{code}"): Public("/api/v1/reference/hs/0901"),
    ("GET", "/api/v1/reference/countries"): Public("/api/v1/reference/countries"),
    ("GET", "/api/v1/reference/countries/{code}"): Public("/api/v1/reference/countries/TW"),
    ("GET", "/api/v1/reference/currencies"): Public("/api/v1/reference/currencies"),
    ("GET", "/api/v1/reference/currencies/{code}"): Public("/api/v1/reference/currencies/TWD"),
    ("GET", "/api/v1/reference/locations"): Public("/api/v1/reference/locations?q=SG"),
    ("GET", "/api/v1/reference/locations/{locode}"): Public("/api/v1/reference/locations/SGSIN"),
    ("GET", "/api/v1/reference/code-lists"): Public("/api/v1/reference/code-lists"),
    ("GET", "/api/v1/reference/code-lists/{name}"): Public(
        "/api/v1/reference/code-lists/transport-mode"
    ),
    ("GET", "/api/v1/me"): Own("/api/v1/me"),
    ("GET", "/api/v1/organisations"): Own("/api/v1/organisations"),
    ("POST", "/api/v1/organisations"): Own("/api/v1/organisations"),
    ("GET", "/api/v1/organisations/{organisation_id}"): ById(
        lambda b: f"/api/v1/organisations/{b.org_id}"
    ),
    ("GET", "/api/v1/users"): Own("/api/v1/users"),
    ("POST", "/api/v1/users"): Own("/api/v1/users"),
    ("GET", "/api/v1/users/{user_id}"): ById(lambda b: f"/api/v1/users/{b.user_id}"),
    ("GET", "/api/v1/tokens"): Own("/api/v1/tokens"),
    ("POST", "/api/v1/tokens"): Own(
        "/api/v1/tokens", lambda a: {"name": "matrix", "scopes": ["organisation:read"]}
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): ById(lambda b: f"/api/v1/tokens/{b.token_id}"),
    ("GET", "/api/v1/audit"): Own("/api/v1/audit"),
}


def _api_routes(client: TestClient) -> set[tuple[str, str]]:
    return {(op.method, op.path) for op in api_operations(client.app)}


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    missing = _api_routes(client) - set(MATRIX)
    assert not missing, f"add these routes to the access matrix: {sorted(missing)}"
    stale = set(MATRIX) - _api_routes(client)
    assert not stale, f"these routes are gone: {sorted(stale)}"


def _markers(party: Party) -> list[str]:
    return [party.name, party.email, party.identifier]


@pytest.mark.parametrize(("method", "route"), sorted(MATRIX))
def test_scoping(client: TestClient, method: str, route: str) -> None:
    access = MATRIX[(method, route)]
    a, b = make_party(), make_party()
    if isinstance(access, Public):
        assert client.request(method, access.path).status_code == 200
        return
    path = access.path(b) if isinstance(access, ById) else access.path
    anonymous = client.request(method, path)
    assert anonymous.status_code == 401, anonymous.text
    if isinstance(access, ById):
        as_a = client.request(method, path, headers=a.auth)
        assert as_a.status_code == 404, as_a.text
        assert all(m not in as_a.text for m in _markers(b))
        assert client.request(method, path, headers=b.auth).status_code == access.ok_status
        return
    body = access.body(a) if access.body else None
    as_a = client.request(method, path, headers=a.auth, json=body)
    assert as_a.status_code < 500
    assert all(m not in as_a.text for m in _markers(b)), as_a.text


def test_a_token_only_does_what_its_scopes_allow(client: TestClient, party: Party) -> None:
    issued = client.post(
        "/api/v1/tokens",
        json={"name": "read only", "scopes": ["organisation:read"]},
        headers=party.auth,
    )
    assert issued.status_code == 201
    reader = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert client.get("/api/v1/users", headers=reader).status_code == 200
    refused = client.post(
        "/api/v1/tokens", json={"name": "escalate", "scopes": ["tokens:write"]}, headers=reader
    )
    assert refused.status_code == 403
    assert "tokens:write" in refused.json()["detail"]


def test_only_administrators_register_organisations(
    client: TestClient, party: Party, administrator: Party
) -> None:
    body = {
        "name": "New Importer Ltd",
        "identifier_scheme": "EORI",
        "identifier": "NL123456789",
        "country": "NL",
        "roles": ["trader"],
    }
    assert client.post("/api/v1/organisations", json=body, headers=party.auth).status_code == 403
    created = client.post("/api/v1/organisations", json=body, headers=administrator.auth)
    assert created.status_code == 201, created.text
    again = client.post("/api/v1/organisations", json=body, headers=administrator.auth)
    assert again.status_code == 409
