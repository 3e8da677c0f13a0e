"""Portal pages over HTTP: login with CSRF protection, role homes, the HS browser."""

from __future__ import annotations

import random
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import PASSWORD, Party, make_party


def _csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def test_login_takes_the_user_to_their_role_home(client: TestClient) -> None:
    agency = make_party(("permit-agency",))
    token = _csrf(client)
    response = client.post(
        "/login",
        data={"email": agency.email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "ow_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/")
    assert "Review permit applications" in home.text
    assert "Lodge manifests" not in home.text


def test_login_without_the_csrf_token_is_refused(client: TestClient, party: Party) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": party.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "ow_session" not in response.headers.get("set-cookie", "")


def test_a_wrong_password_shows_an_error_next_to_the_form(client: TestClient, party: Party) -> None:
    token = _csrf(client)
    response = client.post(
        "/login", data={"email": party.email, "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert 'role="alert"' in response.text
    assert "The e-mail or the password is wrong." in response.text


def test_a_portal_session_must_echo_csrf_to_change_things_in_the_api(
    client: TestClient, party: Party
) -> None:
    token = _csrf(client)
    client.post("/login", data={"email": party.email, "password": PASSWORD, "csrf_token": token})
    body = {"name": "from the browser", "scopes": ["organisation:read"]}
    assert client.post("/api/v1/tokens", json=body).status_code == 403
    ok = client.post("/api/v1/tokens", json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201


def test_hs_browser_lists_sections_and_finds_by_words(client: TestClient) -> None:
    index = client.get("/hs")
    assert "Section XXI" in index.text
    found = client.get("/hs", params={"q": "roasted coffee"})
    assert "090121" in found.text
    detail = client.get("/hs/0901")
    assert "Coffee" in detail.text and "090111" in detail.text


def _logged_in(client: TestClient, party: Party) -> tuple[str, str]:
    """Log the party in; return (the CSRF form token, the session cookie)."""
    token = _csrf(client)
    response = client.post(
        "/login",
        data={"email": party.email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = client.cookies.get("ow_session")
    assert cookie
    return token, cookie


def test_logging_out_ends_the_session_on_the_server(client: TestClient, party: Party) -> None:
    token, cookie = _logged_in(client, party)
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("ow_session", cookie)  # a copy of the cookie kept elsewhere
    assert client.get("/api/v1/me").status_code == 401


def test_logging_out_without_the_csrf_token_still_ends_the_session(
    client: TestClient, party: Party
) -> None:
    _, cookie = _logged_in(client, party)
    assert client.get("/api/v1/me").status_code == 200
    out = client.post("/logout", follow_redirects=False)
    assert out.status_code == 303 and 'ow_session=""' in out.headers["set-cookie"]
    client.cookies.set("ow_session", cookie)
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/notifications", follow_redirects=False).headers["location"] == "/login"


def _from(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 40000))


def _try(client: TestClient, email: str, password: str) -> Response:
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": _csrf(client)},
        follow_redirects=False,
    )


def _new_address() -> str:
    return f"203.0.{random.randrange(256)}.{random.randrange(1, 255)}"


def test_a_throttled_source_gets_429_with_retry_after_worded_alike_for_any_email(
    app: FastAPI, party: Party
) -> None:
    answers = {}
    for email in (party.email, f"nobody-{party.email}"):
        with _from(app, _new_address()) as source:
            failures = [_try(source, email, "wrong password 1") for _ in range(5)]
            assert [r.status_code for r in failures] == [401] * 5
            answers[email] = _try(source, email, PASSWORD)
    known, unknown = answers.values()
    for refused in (known, unknown):
        assert refused.status_code == 429
        assert 14 * 60 < int(refused.headers["retry-after"]) <= 15 * 60
        assert "ow_session" not in refused.headers.get("set-cookie", "")
    sentence = re.compile(r'<p class="error" role="alert" id="login-error">([^<]+)</p>')
    assert sentence.findall(known.text) == sentence.findall(unknown.text)
    assert "Please try again in 15 minutes." in known.text


def test_another_source_still_logs_in_and_the_throttling_is_audited(
    app: FastAPI, client: TestClient, party: Party
) -> None:
    with _from(app, _new_address()) as attacker:
        for _ in range(6):
            _try(attacker, party.email, "wrong password 1")
        assert _try(attacker, party.email, PASSWORD).status_code == 429
    with _from(app, "2001:db8:77::5") as owner:
        assert _try(owner, party.email, PASSWORD).status_code == 303
        assert owner.get("/api/v1/me").json()["organisation_id"] == party.org_id
    audit = client.get("/api/v1/audit", headers=party.auth).json()
    throttled = [e for e in audit if e["action"] == "login.throttled"]
    assert len(throttled) == 1
    assert throttled[0]["actor"] == "system" and throttled[0]["data"]["source"].startswith("203.0.")
