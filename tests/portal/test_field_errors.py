"""Field errors read as sentences for a person: labels, plain instructions, never a pattern or
a JSON pointer; the API keeps its pointers."""

from __future__ import annotations

import html as html_module
import json
import re

from fastapi.testclient import TestClient

from onewindow.errors import FieldError
from onewindow.portal.field_errors import labelled, sentence
from tests.conftest import make_party
from tests.declarations.factory import declaration
from tests.portal import log_in
from tests.portal.test_declaration_pages import _form


def _visible(html: str) -> str:
    """The page's text as a person reads it (no tags, no attribute values)."""
    text = html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))
    return re.sub(r" ([:,;])", r"\1", text)


def test_a_bad_form_reads_as_sentences(client: TestClient) -> None:
    token = log_in(client, make_party(("trader",)))
    page = client.post(
        "/declarations/new",
        data=_form(
            token,
            **{
                "items-0-origin": "Brazil",
                "invoice-currency": "pounds",
                "items-0-net_mass_kg": "ten",
                "location_of_goods": "Felixstowe",
                "exporter-address-country": "",
            },
        ),
    )
    assert page.status_code == 422
    text = _visible(page.text)
    assert "Goods item 1, country of origin: choose a country; 'Brazil' is not a code" in text
    assert "Invoice currency: choose a currency; 'pounds' is not a code" in text
    assert "Goods item 1, net mass (kg): write a number, like 1250.50" in text
    assert "Location of goods: choose a location (UN/LOCODE); 'Felixstowe' is not a code" in text
    assert "^[" not in text and "pattern" not in text
    assert "/items/0/" not in page.text
    # The field chooses from its list: the page says which.
    assert 'id="items-0-origin" name="items-0-origin" type="text" value="Brazil"' in page.text
    assert 'data-pick="countries"' in page.text


def test_a_code_outside_the_list_reads_as_a_sentence(client: TestClient) -> None:
    token = log_in(client, make_party(("trader",)))
    page = client.post("/declarations/new", data=_form(token, **{"items-0-origin": "XX"}))
    text = _visible(page.text)
    assert "Goods item 1, country of origin: choose a country; 'XX' is not a code" in text


def test_an_uploaded_file_names_fields_by_their_labels(client: TestClient) -> None:
    token = log_in(client, make_party(("trader",)))
    body = declaration()
    body["items"][0]["origin"] = "Brazil"
    page = client.post(
        "/declarations/upload",
        data={"csrf_token": token},
        files={"file": ("d.json", json.dumps(body).encode(), "application/json")},
    )
    text = _visible(page.text)
    assert "Goods item 1, country of origin: choose a country from the list" in text
    assert "/items/0/" not in page.text and "^[" not in page.text


def test_the_api_keeps_its_pointers(client: TestClient) -> None:
    party = make_party(("trader",))
    body = declaration()
    body["items"][0]["origin"] = "Brazil"
    answer = client.post("/api/v1/declarations", json=body, headers=party.auth)
    assert answer.status_code == 422
    assert "/body/items/0/origin" in [e["pointer"] for e in answer.json()["errors"]]


class TestSentences:
    def test_each_error_kind_has_a_plain_message(self) -> None:
        def say(code: str, detail: str = "", value: str | None = "x", pick: str | None = None):
            return sentence(FieldError("/a", detail, code), value, pick)

        assert say("missing", value="") == "fill it in"
        assert say("missing", value="", pick="currencies") == "choose a currency"
        assert say("string_too_long", "String should have at most 35 characters") == (
            "use at most 35 characters"
        )
        assert say("decimal_max_places", "no more than 2 decimal places") == (
            "use at most 2 decimal places"
        )
        assert say("string_pattern_mismatch", "should match pattern '^[0-9]{6,10}$'", "12a") == (
            "'12a' is not in the expected form"
        )
        assert "^" not in say("weird", "should match '^[A-Z]$'")

    def test_labels_of_items_and_fields(self) -> None:
        labels = {"invoice-amount": "Invoice total", "items-origin": "Country of origin"}
        assert labelled("items-2-origin", labels) == "Goods item 3, country of origin"
        assert labelled("invoice-amount", labels) == "Invoice total"
        assert labelled("transport-identity", labels) == "Transport identity"
