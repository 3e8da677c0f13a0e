"""Validation reports every error at once, each with its pointer, code and sentence."""

from __future__ import annotations

from datetime import date

import pytest

from onewindow.db import session_scope
from onewindow.declarations.schemas import DeclarationIn
from onewindow.declarations.service import check_declaration, check_outcome
from tests.declarations.factory import declaration

TODAY = date(2026, 11, 23)


def _errors(body: dict[str, object]) -> dict[str, str]:
    with session_scope() as session:
        found = check_declaration(session, DeclarationIn.model_validate(body), TODAY)
    return {e.pointer: e.code for e in found}


def test_a_good_declaration_has_no_errors() -> None:
    assert _errors(declaration()) == {}


def test_every_error_comes_back_at_once() -> None:
    body = declaration()
    body["transport"]["mode"] = "X"
    body["location_of_goods"] = "GBZZZ"
    body["importer"] = None
    body["items"][0]["commodity_code"] = "010000"
    body["items"][1]["packages"][0]["type"] = "??"
    body["items"][1]["procedure"] = "1000"
    body["delivery_terms"]["incoterm"] = "XYZ"
    assert _errors(body) == {
        "/transport/mode": "code-list",
        "/location_of_goods": "code-list",
        "/importer": "required",
        "/items/0/commodity_code": "nomenclature",
        "/items/1/packages/0/type": "code-list",
        "/items/1/procedure": "procedure",
        "/delivery_terms/incoterm": "code-list",
    }


@pytest.mark.parametrize(
    ("change", "pointer", "code"),
    [
        # The national rule set (GB) accepts these with a warning, named by its rule.
        (lambda b: b.update(total_packages=31), "/total_packages", "total-packages"),
        (lambda b: b["invoice"].update(amount="9000.00"), "/invoice/amount", "invoice-total"),
        (lambda b: b["items"][1].update(sequence=3), "/items", "sequence"),
        (
            lambda b: b["items"][0].update(preference="CN-FTA"),
            "/items/0/proof_of_origin",
            "preference",
        ),
        (lambda b: b["items"][0].update(net_mass_kg="500"), "/items/0/net_mass_kg", "mass"),
        (lambda b: b["items"][0].update(origin=None), "/items/0/origin", "required"),
        (
            lambda b: b["transport_documents"][0].update(issued_on="2027-01-01"),
            "/transport_documents/0/issued_on",
            "date",
        ),
        (
            lambda b: b["transport_documents"][0].update(type="380"),
            "/transport_documents/0/type",
            "code-list",
        ),
        (
            lambda b: b["items"][0].update(commodity_code="4202219999"),
            "/items/0/commodity_code",
            "tariff",
        ),
        (lambda b: b["freight"].update(currency="XXY"), "/freight/currency", "code-list"),
    ],
)
def test_business_rules(change, pointer: str, code: str) -> None:  # type: ignore[no-untyped-def]
    body = declaration()
    change(body)
    with session_scope() as session:
        outcome = check_outcome(session, DeclarationIn.model_validate(body), TODAY)
    found = {e.pointer: e.code for e in outcome.errors}
    found |= {w.pointer: w.rule for w in outcome.warnings}
    assert found.get(pointer) == code


def test_national_document_codes_are_accepted_on_items() -> None:
    body = declaration()
    body["items"][0]["documents"] = [{"type": "C512", "reference": "GBSDE575456994000I"}]
    assert _errors(body) == {}
