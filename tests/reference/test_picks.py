"""Pick lists that search as a person types: public reference lists, and the caller's parties."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from onewindow.db import session_scope
from onewindow.parties import service as parties
from tests.conftest import Party, make_party


def _pick(client: TestClient, name: str, q: str = "", **params: object) -> list[dict[str, str]]:
    response = client.get(f"/api/v1/reference/pick/{name}", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


class TestReferenceLists:
    def test_a_country_by_name_or_by_code_comes_first(self, client: TestClient) -> None:
        assert _pick(client, "countries", "Brazil")[0] == {"code": "BR", "label": "Brazil"}
        assert _pick(client, "countries", "br")[0]["code"] == "BR"

    def test_words_inside_a_name_match(self, client: TestClient) -> None:
        assert "GB" in [c["code"] for c in _pick(client, "countries", "kingdom")]

    def test_currencies(self, client: TestClient) -> None:
        assert _pick(client, "currencies", "yen")[0]["code"] == "JPY"
        assert _pick(client, "currencies", "USD")[0]["code"] == "USD"

    def test_locations_by_name_and_by_locode(self, client: TestClient) -> None:
        assert "GBFXT" in [c["code"] for c in _pick(client, "locations", "Felixstowe")]
        assert _pick(client, "locations", "NLRTM")[0]["code"] == "NLRTM"

    def test_customs_offices_are_the_national_countrys(self, client: TestClient) -> None:
        offices = _pick(client, "offices", "Felix")
        assert offices[0]["code"] == "GBFXT001"
        assert "Felixstowe" in offices[0]["label"]
        assert _pick(client, "offices", "GBFXT001")[0]["code"] == "GBFXT001"
        assert not [o for o in _pick(client, "offices", "Rotterdam")]

    def test_package_types_and_procedures(self, client: TestClient) -> None:
        assert _pick(client, "package-types", "carton")[0]["code"] == "CT"
        procedures = [c["code"] for c in _pick(client, "procedures", "40")]
        assert procedures[0] == "4000"
        assert "4071" in procedures

    def test_nothing_matches_nothing(self, client: TestClient) -> None:
        assert _pick(client, "countries", "zzzzqq") == []

    def test_the_limit_holds_and_is_bounded(self, client: TestClient) -> None:
        assert len(_pick(client, "countries", "", limit=5)) == 5
        assert len(_pick(client, "countries")) == 20
        too_many = client.get("/api/v1/reference/pick/countries", params={"limit": 51})
        assert too_many.status_code == 422

    def test_an_unknown_list_is_refused(self, client: TestClient) -> None:
        assert client.get("/api/v1/reference/pick/secrets").status_code == 422


@pytest.fixture()
def broker() -> Party:
    return make_party(("customs-broker",))


def _mandate(client_party: Party, broker: Party) -> None:
    with session_scope() as session:
        user = parties.find_user(session, client_party.email)
        assert user is not None
        parties.grant_mandate(
            session,
            parties.principal_for_user(user, "test"),
            representative=broker.identifier,
            representation="direct",
        )


class TestParties:
    def test_anonymous_callers_get_nothing(self, client: TestClient) -> None:
        assert client.get("/api/v1/reference/pick/parties").status_code == 401

    def test_a_broker_sees_itself_and_its_clients_only(
        self, client: TestClient, broker: Party, party: Party, other_party: Party
    ) -> None:
        _mandate(party, broker)
        found = client.get("/api/v1/reference/pick/parties", headers=broker.auth).json()
        codes = [c["code"] for c in found]
        assert codes == [broker.identifier, party.identifier]
        assert "client" in found[1]["label"]
        assert other_party.identifier not in str(found)
        assert other_party.name not in str(found)

    def test_a_trader_sees_its_representative_never_another_traders_partner(
        self, client: TestClient, broker: Party, party: Party, other_party: Party
    ) -> None:
        _mandate(party, broker)
        mine = client.get("/api/v1/reference/pick/parties", headers=party.auth).json()
        assert [c["code"] for c in mine] == [party.identifier, broker.identifier]
        theirs = client.get("/api/v1/reference/pick/parties", headers=other_party.auth).json()
        assert [c["code"] for c in theirs] == [other_party.identifier]
        searched = client.get(
            "/api/v1/reference/pick/parties",
            params={"q": party.name[:8]},
            headers=other_party.auth,
        ).json()
        assert party.identifier not in str(searched)

    def test_search_by_name(self, client: TestClient, broker: Party, party: Party) -> None:
        _mandate(party, broker)
        found = client.get(
            "/api/v1/reference/pick/parties", params={"q": party.name}, headers=broker.auth
        ).json()
        assert [c["code"] for c in found] == [party.identifier]
