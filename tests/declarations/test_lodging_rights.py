"""Who may lodge for whom: the importer or exporter itself, or a broker it has mandated.

Parties are resolved to registered companies whatever form names them, so that rules keyed on
identifiers cannot be dodged; the named importer sees what was lodged in its name.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from onewindow.db import session_scope, utcnow
from onewindow.risk.models import WatchedParty
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration

API = "/api/v1/declarations"
MANDATES = "/api/v1/mandates"


def _for(trader: Party, representation: str = "2", **changes: Any) -> dict[str, Any]:
    """An import lodged by a broker for ``trader``: the trader declares, the broker represents."""
    body = declaration(**changes)
    body["declarant"] = {"identifier": trader.identifier}
    body["importer"] = {"identifier": trader.identifier}
    body["representative"] = {"name": "the broker", "representation": representation}
    return body


def _as(broker: Party, body: dict[str, Any]) -> dict[str, Any]:
    body["representative"]["identifier"] = broker.identifier
    return body


def _mandate(client: TestClient, trader: Party, broker: Party, **fields: Any) -> dict[str, Any]:
    body = {"representative": broker.identifier, "representation": "direct", **fields}
    granted = client.post(MANDATES, json=body, headers=trader.auth)
    assert granted.status_code == 201, granted.text
    mandate: dict[str, Any] = granted.json()
    return mandate


@pytest.fixture()
def trader() -> Party:
    return make_party(("trader",))


@pytest.fixture()
def broker() -> Party:
    return make_party(("customs-broker",))


class TestRolesThatDoNotLodge:
    @pytest.mark.parametrize(
        "roles", [("carrier",), ("permit-agency",), ("port-authority",), ("customs-office",)]
    )
    def test_they_cannot_lodge_even_in_their_own_name(
        self, client: TestClient, trader: Party, roles: tuple[str, ...]
    ) -> None:
        other = make_party(roles)
        refused = client.post(API, json=_for(trader), headers=other.auth)
        assert refused.status_code == 403, refused.text
        own = client.post(API, json=declaration(), headers=other.auth)
        assert own.status_code == 403
        assert client.get(API, headers=trader.auth).json() == []

    def test_their_tokens_never_get_the_scope(self, client: TestClient) -> None:
        carrier = make_party(("carrier",))
        me = client.get("/api/v1/me", headers=carrier.auth).json()
        assert "declarations:write" not in me["scopes"]
        issued = client.post(
            "/api/v1/tokens",
            json={"name": "lodging", "scopes": ["declarations:write"]},
            headers=carrier.auth,
        )
        assert issued.status_code == 422


class TestMandates:
    def test_without_a_mandate_a_broker_is_refused_and_nothing_is_lodged(
        self, client: TestClient, trader: Party, broker: Party
    ) -> None:
        refused = client.post(API, json=_as(broker, _for(trader)), headers=broker.auth)
        assert refused.status_code == 403
        assert "has not mandated" in refused.json()["detail"]
        assert client.get(API, headers=broker.auth).json() == []

    def test_with_a_mandate_the_broker_lodges_and_the_importer_sees_it(
        self, client: TestClient, trader: Party, broker: Party
    ) -> None:
        _mandate(client, trader, broker)
        lodged = client.post(API, json=_as(broker, _for(trader)), headers=broker.auth)
        assert lodged.status_code == 201, lodged.text
        number = lodged.json()["number"]
        assert [d["number"] for d in client.get(API, headers=trader.auth).json()] == [number]
        read = client.get(f"{API}/{lodged.json()['id']}", headers=trader.auth)
        assert read.status_code == 200
        stranger = make_party(("trader",))
        assert client.get(f"{API}/{lodged.json()['id']}", headers=stranger.auth).status_code == 404
        held = client.get(MANDATES, headers=broker.auth).json()
        assert [m["represented"]["identifier"] for m in held] == [trader.identifier]

    def test_the_importer_may_cancel_but_only_the_lodger_amends(
        self, client: TestClient, trader: Party, broker: Party
    ) -> None:
        _mandate(client, trader, broker)
        body = _as(broker, _for(trader))
        lodged = client.post(API, json=body, headers=broker.auth).json()
        body["items"][0]["description"] += " (amended)"
        amended = client.post(
            f"{API}/{lodged['id']}/amendments",
            json={"reason": "better", "declaration": body},
            headers=trader.auth,
        )
        assert amended.status_code == 403
        cancelled = client.post(
            f"{API}/{lodged['id']}/cancel", json={"reason": "order lost"}, headers=trader.auth
        )
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"

    @pytest.mark.parametrize(
        ("fields", "changes"),
        [
            (
                {
                    "valid_to": (date.today() - timedelta(days=1)).isoformat(),
                    "valid_from": (date.today() - timedelta(days=30)).isoformat(),
                },
                {},
            ),
            ({"valid_from": (date.today() + timedelta(days=1)).isoformat()}, {}),
            ({"flows": ["EX"]}, {}),
            ({"procedures": ["51"]}, {}),
            ({"representation": "indirect"}, {}),
        ],
        ids=["expired", "not-yet-valid", "other-flow", "other-procedure", "other-representation"],
    )
    def test_a_mandate_that_does_not_cover_the_declaration_is_no_mandate(
        self,
        client: TestClient,
        trader: Party,
        broker: Party,
        fields: dict[str, Any],
        changes: dict[str, Any],
    ) -> None:
        _mandate(client, trader, broker, **fields)
        refused = client.post(API, json=_as(broker, _for(trader, **changes)), headers=broker.auth)
        assert refused.status_code == 403, refused.text

    def test_a_procedure_limited_mandate_covers_its_procedure(
        self, client: TestClient, trader: Party, broker: Party
    ) -> None:
        _mandate(client, trader, broker, procedures=["40"], flows=["IM"])
        lodged = client.post(API, json=_as(broker, _for(trader)), headers=broker.auth)
        assert lodged.status_code == 201, lodged.text

    def test_a_revoked_mandate_stops_the_next_declaration_not_the_last(
        self, client: TestClient, trader: Party, broker: Party
    ) -> None:
        mandate = _mandate(client, trader, broker)
        body = _as(broker, _for(trader))
        first = client.post(API, json=body, headers=broker.auth)
        assert first.status_code == 201
        by_broker = client.post(
            f"{MANDATES}/{mandate['id']}/revoke", json={"reason": "mine"}, headers=broker.auth
        )
        assert by_broker.status_code == 403
        revoked = client.post(
            f"{MANDATES}/{mandate['id']}/revoke",
            json={"reason": "contract ended"},
            headers=trader.auth,
        )
        assert revoked.status_code == 200 and not revoked.json()["in_force"]
        retry = client.post(API, json=body, headers=broker.auth)
        assert retry.status_code == 200  # the first answer, whatever happened since
        refused = client.post(API, json=_as(broker, _for(trader)), headers=broker.auth)
        assert refused.status_code == 403
        trail = client.get("/api/v1/audit", headers=trader.auth).json()
        assert {"mandate.granted", "mandate.revoked"} <= {e["action"] for e in trail}

    def test_only_a_trader_grants_and_only_to_a_registered_broker(
        self, client: TestClient, trader: Party, broker: Party
    ) -> None:
        carrier = make_party(("carrier",))
        to_carrier = client.post(
            MANDATES,
            json={"representative": carrier.identifier, "representation": "direct"},
            headers=trader.auth,
        )
        assert to_carrier.status_code == 422
        assert to_carrier.json()["errors"][0]["pointer"] == "/representative"
        by_broker = client.post(
            MANDATES,
            json={"representative": broker.identifier, "representation": "direct"},
            headers=broker.auth,
        )
        assert by_broker.status_code == 403

    def test_the_representative_must_be_the_lodger(
        self, client: TestClient, trader: Party, broker: Party
    ) -> None:
        _mandate(client, trader, broker)
        other_broker = make_party(("customs-broker",))
        _mandate(client, trader, other_broker)
        posing = client.post(API, json=_as(broker, _for(trader)), headers=other_broker.auth)
        assert posing.status_code == 403
        unnamed = _for(trader)
        unnamed["representative"] = None
        missing = client.post(API, json=unnamed, headers=broker.auth)
        assert missing.status_code == 422
        assert missing.json()["errors"][0]["pointer"] == "/representative"


class TestPartiesAreResolved:
    @pytest.mark.parametrize("form", ["name", "other-identifier"])
    def test_naming_a_company_differently_does_not_make_it_someone_else(
        self, client: TestClient, trader: Party, broker: Party, form: str
    ) -> None:
        named = (
            {"name": trader.name.upper().replace(" ", "  ") + ".", "address": {"country": "GB"}}
            if form == "name"
            else {"identifier": "GB" + uuid.uuid4().hex[:12].upper(), "name": trader.name}
        )
        body = _as(broker, _for(trader))
        body["declarant"] = body["importer"] = named
        refused = client.post(API, json=body, headers=broker.auth)
        assert refused.status_code == 403, refused.text

    def test_the_watch_list_sees_through_a_name(
        self, client: TestClient, trader: Party, customs: Party
    ) -> None:
        watched = client.post(
            "/api/v1/risk/watch-list",
            json={"identifier": trader.identifier, "reason": "Known undervaluer", "channel": "red"},
            headers=customs.auth,
        )
        assert watched.status_code == 201, watched.text
        try:
            for named in (
                {"name": trader.name, "address": {"city": "London", "country": "GB"}},
                {"identifier": "GB" + uuid.uuid4().hex[:12].upper(), "name": trader.name},
            ):
                body = declaration(declarant=named, importer=named)
                lodged = client.post(API, json=body, headers=trader.auth)
                assert lodged.status_code == 201, lodged.text
                assert lodged.json()["channel"] == "red"
                assert lodged.json()["status"] == "under_control"
        finally:
            with session_scope() as session:
                session.execute(
                    update(WatchedParty)
                    .where(WatchedParty.identifier == trader.identifier)
                    .values(removed_at=utcnow())
                )


def test_a_concurrent_retry_gets_the_first_answer(app: FastAPI, trader: Party) -> None:
    body = declaration()

    def lodge(_: int) -> tuple[int, Any]:
        with TestClient(app, raise_server_exceptions=False) as one:
            answer = one.post(API, json=body, headers=trader.auth)
            return answer.status_code, answer.json().get("id")

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lodge, range(6)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 200, 200, 200, 200, 201], answers
    assert len({declaration_id for _, declaration_id in answers}) == 1
