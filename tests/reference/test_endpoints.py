"""Public reference look-ups over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient


class TestHs:
    def test_search_returns_codes_with_their_path(self, client: TestClient) -> None:
        results = client.get("/api/v1/reference/hs", params={"q": "roasted coffee"}).json()
        coffee = next(r for r in results if r["code"] == "090121")
        assert [p["code"] for p in coffee["path"]] == ["09", "0901", "090121"]

    def test_a_chapter_lists_its_headings(self, client: TestClient) -> None:
        chapter = client.get("/api/v1/reference/hs/09").json()
        assert chapter["level"] == 2
        assert "0901" in [c["code"] for c in chapter["children"]]

    def test_a_malformed_code_names_the_field(self, client: TestClient) -> None:
        response = client.get("/api/v1/reference/hs/09x")
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/path/code"

    def test_an_unknown_code_is_404(self, client: TestClient) -> None:
        response = client.get("/api/v1/reference/hs/990101")
        assert response.status_code == 404
        assert "990101" in response.json()["detail"]


class TestLocations:
    def test_search_by_name_within_a_country(self, client: TestClient) -> None:
        found = client.get(
            "/api/v1/reference/locations", params={"q": "Rotterdam", "country": "NL"}
        ).json()
        assert "NLRTM" in [loc["locode"] for loc in found]

    def test_filter_by_function(self, client: TestClient) -> None:
        airports = client.get(
            "/api/v1/reference/locations", params={"country": "TW", "function": "airport"}
        ).json()
        assert airports and all(loc["is_airport"] for loc in airports)

    def test_unknown_function_is_a_problem_naming_the_parameter(self, client: TestClient) -> None:
        response = client.get("/api/v1/reference/locations", params={"function": "spaceport"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/query/function"


class TestCountriesAndCurrencies:
    def test_country(self, client: TestClient) -> None:
        assert client.get("/api/v1/reference/countries/kr").json()["alpha3"] == "KOR"

    def test_unknown_country(self, client: TestClient) -> None:
        assert client.get("/api/v1/reference/countries/QQ").status_code == 404

    def test_currency_minor_unit(self, client: TestClient) -> None:
        assert client.get("/api/v1/reference/currencies/JPY").json()["minor_unit"] == 0


class TestCodeLists:
    def test_transport_modes(self, client: TestClient) -> None:
        modes = client.get("/api/v1/reference/code-lists/transport-mode").json()
        labels = {c["code"]: c["label"].lower() for c in modes["codes"]}
        assert "maritime" in labels["1"] or "sea" in labels["1"]

    def test_unknown_list(self, client: TestClient) -> None:
        assert client.get("/api/v1/reference/code-lists/nope").status_code == 404
