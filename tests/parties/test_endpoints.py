"""The parties API as a machine client uses it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from onewindow.db import session_scope, utcnow
from onewindow.parties.models import ApiToken
from tests.conftest import Party


class TestMe:
    def test_says_who_the_token_acts_for(self, client: TestClient, party: Party) -> None:
        me = client.get("/api/v1/me", headers=party.auth).json()
        assert me["organisation_id"] == party.org_id
        assert me["via"] == "token"
        assert "organisation:read" in me["scopes"]

    def test_refuses_a_bad_token(self, client: TestClient) -> None:
        response = client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401
        assert response.json()["type"] == "/problems/not-authenticated"


class TestUsers:
    def test_an_admin_adds_a_user_to_their_own_organisation(
        self, client: TestClient, party: Party
    ) -> None:
        created = client.post(
            "/api/v1/users",
            json={
                "email": "Clerk@Example.com",
                "full_name": "A Clerk",
                "role": "staff",
                "password": "a-long-password-42",
            },
            headers=party.auth,
        )
        assert created.status_code == 201, created.text
        user = created.json()
        assert user["organisation_id"] == party.org_id
        assert user["email"] == "clerk@example.com"
        assert "password" not in created.text
        listed = client.get("/api/v1/users", headers=party.auth).json()
        assert {u["email"] for u in listed} == {party.email, "clerk@example.com"}

    def test_field_errors_come_all_at_once(self, client: TestClient, party: Party) -> None:
        response = client.post(
            "/api/v1/users",
            json={"email": "not-an-email", "full_name": "X", "role": "boss", "password": "x"},
            headers=party.auth,
        )
        assert response.status_code == 422
        pointers = {e["pointer"] for e in response.json()["errors"]}
        assert pointers == {"/email", "/role", "/password"}


class TestTokens:
    def test_the_secret_is_shown_once_and_works(self, client: TestClient, party: Party) -> None:
        issued = client.post(
            "/api/v1/tokens",
            json={"name": "broker system", "scopes": ["organisation:read"]},
            headers=party.auth,
        )
        assert issued.status_code == 201
        secret = issued.json()["token"]
        assert secret.startswith("ow_")
        listed = client.get("/api/v1/tokens", headers=party.auth).text
        assert secret not in listed
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert me.json()["scopes"] == ["organisation:read"]
        revoked = client.delete(f"/api/v1/tokens/{issued.json()['id']}", headers=party.auth)
        assert revoked.json()["revoked_at"] is not None
        after = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert after.status_code == 401

    def test_every_token_expires_in_90_days_unless_told_sooner_or_later(
        self, client: TestClient, party: Party
    ) -> None:
        plain = client.post(
            "/api/v1/tokens",
            json={"name": "plain", "scopes": ["organisation:read"]},
            headers=party.auth,
        )
        assert plain.status_code == 201, plain.text
        expires = datetime.fromisoformat(plain.json()["expires_at"])
        assert abs(expires - (utcnow() + timedelta(days=90))) < timedelta(minutes=1)
        year = client.post(
            "/api/v1/tokens",
            json={"name": "year", "scopes": ["organisation:read"], "expires_in_days": 365},
            headers=party.auth,
        )
        assert year.status_code == 201, year.text
        expires = datetime.fromisoformat(year.json()["expires_at"])
        assert abs(expires - (utcnow() + timedelta(days=365))) < timedelta(minutes=1)
        listed = client.get("/api/v1/tokens", headers=party.auth).json()
        assert all(t["expires_at"] is not None for t in listed)

    @pytest.mark.parametrize("days", [None, 0, 366, 3650])
    def test_a_token_without_expiry_or_beyond_a_year_is_refused(
        self, client: TestClient, party: Party, days: int | None
    ) -> None:
        refused = client.post(
            "/api/v1/tokens",
            json={"name": "forever", "scopes": ["organisation:read"], "expires_in_days": days},
            headers=party.auth,
        )
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert error["pointer"].endswith("/expires_in_days")

    def test_an_expired_token_no_longer_works(self, client: TestClient, party: Party) -> None:
        issued = client.post(
            "/api/v1/tokens",
            json={"name": "short", "scopes": ["organisation:read"], "expires_in_days": 1},
            headers=party.auth,
        ).json()
        bearer = {"Authorization": f"Bearer {issued['token']}"}
        assert client.get("/api/v1/me", headers=bearer).status_code == 200
        with session_scope() as session:
            row = session.get(ApiToken, issued["id"])
            assert row is not None
            row.expires_at = utcnow() - timedelta(seconds=1)
        assert client.get("/api/v1/me", headers=bearer).status_code == 401


class TestAudit:
    def test_decisions_about_the_organisation_are_listed(
        self, client: TestClient, party: Party
    ) -> None:
        client.post(
            "/api/v1/tokens",
            json={"name": "audited", "scopes": ["organisation:read"]},
            headers=party.auth,
        )
        actions = [e["action"] for e in client.get("/api/v1/audit", headers=party.auth).json()]
        assert actions[0] == "token.issued"
        assert "organisation.registered" in actions
