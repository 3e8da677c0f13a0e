"""The code lists written from the public standards: well formed, registered, and right."""

from __future__ import annotations

import re

import pytest

from onewindow.reference import codelists
from onewindow.reference.codelists import (
    CODE_LISTS,
    INCOTERM_INCLUDES,
    INCOTERM_SEA_ONLY,
    PROCEDURE_FLOW,
    PROCEDURE_FLOWS,
    Code,
    CodeList,
    code_list,
)

EXPECTED_LISTS = {
    "transport-mode",
    "package-type",
    "document-type",
    "transport-document-type",
    "unit-of-measure",
    "location-function",
    "delivery-terms",
    "procedure",
    "declaration-type",
    "declaration-subtype",
    "means-of-transport-id-type",
    "organisation-role",
}


def test_every_list_is_registered_under_its_name() -> None:
    assert set(CODE_LISTS) == EXPECTED_LISTS
    for name, registered in CODE_LISTS.items():
        assert registered.name == name
        assert code_list(name) is registered
    defined = {value for value in vars(codelists).values() if isinstance(value, CodeList)}
    assert defined == set(CODE_LISTS.values())


@pytest.mark.parametrize("name", sorted(EXPECTED_LISTS))
def test_lists_are_well_formed(name: str) -> None:
    listed = code_list(name)
    codes = [entry.code for entry in listed.entries]
    assert codes, name
    assert len(codes) == len(set(codes)), f"duplicate codes in {name}"
    assert listed.title and listed.source
    assert len(name) <= 50
    for entry in listed:
        assert entry.code and entry.code == entry.code.strip()
        assert entry.label and entry.label == entry.label.strip()


def _column_length() -> int:
    from onewindow.reference.models import CodeListEntry

    length = getattr(CodeListEntry.__table__.c.code.type, "length", None)
    assert isinstance(length, int)
    return length


@pytest.mark.parametrize("name", sorted(EXPECTED_LISTS))
def test_codes_fit_the_database_column(name: str) -> None:
    longest = max(len(code) for code in code_list(name).codes())
    assert longest <= _column_length()


def test_duplicate_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        CodeList("x", "X", "test", (Code("1", "one"), Code("1", "uno")))


def test_unknown_list_raises_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="nope") as raised:
        code_list("nope")
    assert "transport-mode" in str(raised.value)


def test_lookup() -> None:
    modes = code_list("transport-mode")
    assert modes.get("1") == Code("1", "Maritime transport")
    assert modes.get("X") is None
    assert modes.label("4") == "Air transport"
    assert modes.label("X") is None
    assert "1" in modes and "X" not in modes and 1 not in modes
    assert modes.codes() == tuple(str(digit) for digit in range(10))
    assert len(modes) == 10


@pytest.mark.parametrize(
    ("name", "code", "label"),
    [
        ("transport-mode", "1", "Maritime transport"),
        ("transport-mode", "4", "Air transport"),
        ("transport-mode", "5", "Mail"),
        ("transport-mode", "8", "Inland water transport"),
        ("package-type", "CT", "Carton"),
        ("package-type", "BX", "Box"),
        ("package-type", "PK", "Package"),
        ("package-type", "PX", "Pallet"),
        ("package-type", "CN", "Container, not otherwise specified as transport equipment"),
        ("package-type", "NE", "Unpacked or unpackaged"),
        ("package-type", "VL", "Bulk, liquid"),
        ("package-type", "OT", "Octabin"),
        ("document-type", "380", "Commercial invoice"),
        ("document-type", "705", "Bill of lading"),
        ("document-type", "703", "House waybill"),
        ("document-type", "704", "Master bill of lading"),
        ("document-type", "714", "House bill of lading"),
        ("document-type", "740", "Air waybill"),
        ("document-type", "741", "Master air waybill"),
        ("document-type", "785", "Cargo manifest"),
        ("document-type", "861", "Certificate of origin"),
        ("document-type", "870", "Consular invoice"),
        ("document-type", "929", "Goods declaration for importation"),
        ("document-type", "830", "Goods declaration for exportation"),
        ("document-type", "955", "ATA carnet"),
        ("transport-document-type", "730", "Road consignment note"),
        ("unit-of-measure", "KGM", "kilogram"),
        ("unit-of-measure", "NAR", "number of articles"),
        ("unit-of-measure", "LPA", "litre of pure alcohol"),
        ("location-function", "B", "Border crossing"),
        ("delivery-terms", "FOB", "Free On Board"),
        ("delivery-terms", "DPU", "Delivered at Place Unloaded"),
        ("procedure", "40", "Release for free circulation and home use"),
        ("procedure", "10", "Permanent export"),
        ("procedure", "71", "Customs warehousing"),
        ("declaration-type", "IM", "Import declaration"),
        ("declaration-subtype", "A", "Standard customs declaration"),
        ("means-of-transport-id-type", "10", "IMO ship identification number"),
    ],
)
def test_known_codes_have_their_labels(name: str, code: str, label: str) -> None:
    assert code_list(name).label(code) == label


def test_package_types_are_two_characters_and_a_substantial_selection() -> None:
    package_types = code_list("package-type")
    assert len(package_types) >= 100
    assert all(re.fullmatch("[0-9A-Z]{2}", code) for code in package_types.codes())


def test_transport_documents_are_document_types() -> None:
    documents = code_list("document-type")
    transport = code_list("transport-document-type")
    for entry in transport:
        assert documents.get(entry.code) == entry
    assert {"705", "704", "714", "740", "741", "720", "730", "760"} <= set(transport.codes())
    assert "380" not in transport
    assert len(documents) >= 40


def test_units_and_other_lists_have_enough_codes() -> None:
    assert len(code_list("unit-of-measure")) >= 20
    assert set(code_list("location-function").codes()) == {*"012345678", "B"}


def test_every_procedure_flow_is_a_requested_procedure_code() -> None:
    procedures = code_list("procedure")
    assert set(PROCEDURE_FLOW) <= set(procedures.codes())
    assert set(procedures.codes()) - set(PROCEDURE_FLOW) == {"00"}
    assert set(PROCEDURE_FLOW.values()) <= set(PROCEDURE_FLOWS)
    assert PROCEDURE_FLOW["40"] == "import"
    assert PROCEDURE_FLOW["10"] == "export"
    assert PROCEDURE_FLOW["71"] == "warehouse"
    assert PROCEDURE_FLOW["51"] == "processing"


def test_every_incoterm_has_its_freight_and_insurance_flags() -> None:
    terms = code_list("delivery-terms")
    assert set(terms.codes()) == set(INCOTERM_INCLUDES)
    assert len(terms) == 11
    assert INCOTERM_INCLUDES["FOB"] == (False, False)
    assert INCOTERM_INCLUDES["CFR"] == (True, False)
    assert INCOTERM_INCLUDES["CIF"] == (True, True)
    assert INCOTERM_INCLUDES["EXW"] == (False, False)
    assert INCOTERM_SEA_ONLY.issubset(terms.codes())


def test_organisation_roles_match_the_roles_the_system_grants() -> None:
    from onewindow.security import ORGANISATION_ROLES

    roles = code_list("organisation-role")
    assert {entry.code: entry.label for entry in roles} == ORGANISATION_ROLES
