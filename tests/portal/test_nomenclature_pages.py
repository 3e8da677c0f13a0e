"""The nomenclature down to the declarable line: rates, measures, permits, "use this code", and
a declaration refused for a 6-digit code offering its declarable lines."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import make_party
from tests.declarations.factory import declaration
from tests.permits import load, procedure, rules
from tests.portal import log_in
from tests.portal.test_declaration_pages import _form


def _links(html: str) -> list[str]:
    return re.findall(r'href="/hs/(\d+)"', html)


class TestBrowser:
    def test_from_chapter_to_declarable_line(self, client: TestClient) -> None:
        assert "4202" in _links(client.get("/hs/42").text)
        assert "420221" in _links(client.get("/hs/4202").text)
        subheading = client.get("/hs/420221")
        assert "Declarable lines of the national tariff" in subheading.text
        assert "42022100" in _links(subheading.text)

    def test_a_line_shows_its_rates_and_measures(self, client: TestClient) -> None:
        page = client.get("/hs/42022100")
        assert page.status_code == 200
        text = re.sub(r"\s+", " ", page.text)
        assert "Handbags" in text
        assert re.search(r"Third-country duty.*?<td data-label=\"Rate\">2%</td>", text)
        assert re.search(r"VAT<br>.*?<td data-label=\"Rate\">20%</td>", text)
        assert "Preferences by origin" in text
        # The breadcrumb goes back up through the subheading.
        assert _links(text)[:3] == ["42", "4202", "420221"]

    def test_a_ten_digit_code_reaches_its_line(self, client: TestClient) -> None:
        assert "Handbags" in client.get("/hs/4202210000").text

    def test_an_unknown_line_is_not_found(self, client: TestClient) -> None:
        assert client.get("/hs/42022199").status_code == 404

    def test_a_line_shows_the_permits_its_requirements_ask_for(self, client: TestClient) -> None:
        agency = make_party(("permit-agency",), user_role="staff")
        body = procedure(agency.identifier)
        load(body)
        with rules(body, {"hs": "420221", "flows": ["import"], "legal_reference": "Test Act"}):
            page = client.get("/hs/42022100")
        assert body["name"] in page.text
        assert body["agency"]["name"] in page.text
        assert "Test Act" in page.text
        assert body["name"] not in client.get("/hs/42022900").text

    def test_search_by_words_finds_declarable_lines(self, client: TestClient) -> None:
        page = client.get("/hs", params={"q": "handbags leather"})
        assert "Declarable lines of the national tariff" in page.text
        assert "42022100" in _links(page.text)

    def test_search_by_code(self, client: TestClient) -> None:
        page = client.get("/hs", params={"q": "4202 21"})
        assert "42022100" in _links(page.text)
        assert "420221" in _links(page.text)


class TestUseThisCode:
    def test_the_line_links_to_the_form_which_fills_the_code(self, client: TestClient) -> None:
        page = client.get("/hs/42022100")
        assert 'href="/declarations/new?commodity_code=42022100"' in page.text
        log_in(client, make_party(("trader",)))
        form = client.get("/declarations/new", params={"commodity_code": "42022100"})
        assert (
            'id="items-0-commodity_code" name="items-0-commodity_code" type="text" value="42022100"'
            in (form.text)
        )
        assert "Handbags, whether or not" in form.text

    def test_a_malformed_code_fills_nothing(self, client: TestClient) -> None:
        log_in(client, make_party(("trader",)))
        form = client.get("/declarations/new", params={"commodity_code": "<b>4202"})
        assert 'name="items-0-commodity_code" type="text" value=""' in form.text

    def test_the_declarants_own_identifier_is_filled_in(self, client: TestClient) -> None:
        trader = make_party(("trader",))
        log_in(client, trader)
        form = client.get("/declarations/new")
        assert f'name="importer-identifier" type="text" value="{trader.identifier}"' in form.text
        assert trader.name in form.text


class TestSixDigitCode:
    def test_a_refused_subheading_offers_its_declarable_lines(self, client: TestClient) -> None:
        token = log_in(client, make_party(("trader",)))
        page = client.post(
            "/declarations/new", data=_form(token, **{"items-0-commodity_code": "420221"})
        )
        assert page.status_code == 422
        assert "420221 is not a declarable line of the national tariff" in page.text
        offers = page.text[page.text.index('class="offers"') :]
        assert 'data-fill="items-0-commodity_code" data-code="42022100"' in offers
        assert 'href="/hs/42022100"' in offers
        assert client.get("/api/v1/declarations").json() == []

    def test_an_accepted_code_offers_nothing(self, client: TestClient) -> None:
        token = log_in(client, make_party(("trader",)))
        page = client.post(
            "/declarations/new",
            data=_form(token, **{"items-0-commodity_code": "42022100", "items-0-origin": "Brazil"}),
        )
        assert page.status_code == 422
        assert 'class="offers"' not in page.text


def test_the_api_names_the_declarable_lines_of_a_refused_subheading(client: TestClient) -> None:
    party = make_party(("trader",))
    body = declaration(importer={"identifier": party.identifier})
    body["items"][0]["commodity_code"] = "420221"
    answer = client.post("/api/v1/declarations", json=body, headers=party.auth)
    errors = {e["pointer"]: e["detail"] for e in answer.json()["errors"]}
    assert errors["/items/0/commodity_code"].endswith("declare one of its lines: 42022100")
