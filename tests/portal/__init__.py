"""What the portal tests share: logging in as a party through the login form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Party


def log_in(client: TestClient, party: Party) -> str:
    """Log the client in as the party's user; returns the CSRF token its forms must echo."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    client.post("/login", data={"email": party.email, "password": PASSWORD, "csrf_token": token[1]})
    return token[1]
