"""The other forms that ask for codes pick them from lists and say errors as sentences: the
carrier's call form and a permit application's country."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from onewindow.db import utcnow
from tests.cargo import imo
from tests.conftest import make_party
from tests.permits import load, procedure
from tests.portal import log_in


def test_a_calls_port_is_picked_and_a_name_is_refused_in_a_sentence(client: TestClient) -> None:
    token = log_in(client, make_party(("carrier",)))
    page = client.get("/cargo")
    assert re.search(r'<input id="call-port" name="port"[^>]*data-pick="locations"', page.text)
    assert '<script src="/static/pick.js"' in page.text
    refused = client.post(
        "/cargo/calls",
        data={
            "csrf_token": token,
            "mode": "sea",
            "transport_id": imo(),
            "voyage": "V1",
            "port": "Felixstowe",
            "eta": (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "Port: choose a location (UN/LOCODE) from the list" in text
    assert "^[" not in text and "/port:" not in text


def test_a_permit_applications_country_is_picked(client: TestClient) -> None:
    agency = make_party(("permit-agency",), user_role="staff")
    body = procedure(agency.identifier)
    load(body)
    log_in(client, make_party(("trader",)))
    page = client.get("/permits/apply", params={"procedure": body["code"]})
    assert re.search(r'<input id="f_origin" name="f_origin"[^>]*data-pick="countries"', page.text)


def test_the_script_is_served_by_the_app(client: TestClient) -> None:
    script = client.get("/static/pick.js")
    assert script.status_code == 200
    assert "/api/v1/reference/pick/" in script.text
