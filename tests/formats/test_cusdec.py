"""CUSDEC declarations mapped to the lodging body (validated by the real lodging model), their
errors, and CUSRES responses read back by pydifact."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from decimal import Decimal

from pydifact.exceptions import MissingImplementationWarning
from pydifact.parser import Parser
from pydifact.segments import Segment

from onewindow.declarations.schemas import DeclarationIn
from onewindow.formats.cusdec import parse_cusdec
from onewindow.formats.cusres import CusresResponse, ResponseError, write_cusres
from onewindow.formats.edifact import EdifactError, parse_interchange
from tests.formats.edifact_samples.generate import interchange, message_segments, sample

BODY = message_segments("cusdec_d96b.edi")
WHEN = datetime(2026, 3, 1, 10, 15, tzinfo=UTC)


def read(body: list[str]):  # type: ignore[no-untyped-def]
    return parse_cusdec(interchange(body, identifier="CUSDEC:D:96B:UN"))


def replaced(old: str, new: str) -> list[str]:
    assert old in BODY, old
    return [new if segment == old else segment for segment in BODY]


def only(errors: list[EdifactError]) -> EdifactError:
    assert len(errors) == 1, errors
    return errors[0]


def pydifact_segments(text: str) -> list[Segment]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingImplementationWarning)
        return list(Parser().parse(text))


def test_the_sample_declaration_is_a_valid_lodging_body() -> None:
    body, errors = parse_cusdec(sample("cusdec_d96b.edi"))
    assert errors == [] and body is not None
    declaration = DeclarationIn.model_validate(body)
    assert declaration.declarant_reference == "LRN-2026-0042"
    assert (declaration.type, declaration.additional_type) == ("IM", "A")
    assert declaration.declarant.identifier == "NL123456789"
    assert declaration.declarant.address is not None
    assert declaration.declarant.address.city == "ROTTERDAM"
    assert declaration.importer is not None and declaration.importer.identifier == "NL123456789"
    assert declaration.exporter is not None and declaration.exporter.name == (
        "SHANGHAI ELECTRONICS CO. LTD"
    )
    assert declaration.office_of_lodgement == "NL000396"
    assert (declaration.country_of_export, declaration.country_of_destination) == ("CN", "NL")
    assert declaration.location_of_goods == "NLRTM"
    assert declaration.transport is not None
    assert (declaration.transport.mode, declaration.transport.identity) == ("1", "9778791")
    assert declaration.transport.nationality == "DK"
    assert declaration.delivery_terms is not None
    assert (declaration.delivery_terms.incoterm, declaration.delivery_terms.place) == (
        "CIF", "NLRTM",
    )  # fmt: skip
    assert declaration.invoice is not None
    assert (declaration.invoice.amount, declaration.invoice.currency) == (
        Decimal("12500.00"), "USD",
    )  # fmt: skip
    assert declaration.freight is not None and declaration.freight.amount == Decimal("800")
    assert [(d.type, d.reference) for d in declaration.transport_documents] == [
        ("705", "MAEU2603001")
    ]
    assert [(d.type, d.reference) for d in declaration.documents] == [("380", "INV-2026-118")]
    assert declaration.total_packages == 160
    first, second = declaration.items
    assert (first.sequence, first.commodity_code, first.procedure) == (1, "84713000", "4000")
    assert first.description == "LAPTOP COMPUTERS, 14 INCH"
    assert first.origin == "CN"
    assert (first.net_mass_kg, first.gross_mass_kg) == (Decimal("1600.5"), Decimal("1850.5"))
    assert [(p.type, p.count, p.marks) for p in first.packages] == [("CT", 120, "RTB/2026/1")]
    assert first.value is not None and first.value.amount == Decimal("10000.00")
    assert first.containers == ["MSKU9070323"]
    assert second.net_mass_kg is None and second.gross_mass_kg == Decimal("420")
    assert [(d.type, d.reference) for d in second.documents] == [("N935", "INV-2026-118")]


def test_export_and_representative() -> None:
    body = replaced("BGM+929+LRN-2026-0042+9", "BGM+830+LRN-2026-0042+9")
    body.insert(2, "NAD+AE+NL999999999++CUSTOMS AGENTS B.V.")
    mapped, errors = read(body)
    assert errors == [] and mapped is not None
    declaration = DeclarationIn.model_validate(mapped)
    assert declaration.type == "EX"
    assert declaration.representative is not None
    assert (declaration.representative.identifier, declaration.representative.representation) == (
        "NL999999999", "2",
    )  # fmt: skip


def test_only_original_declarations_are_lodged() -> None:
    _, errors = read(replaced("BGM+929+LRN-2026-0042+9", "BGM+929+LRN-2026-0042+5"))
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        3, "BGM", "3", "14",
    )  # fmt: skip


def test_unknown_declaration_type() -> None:
    _, errors = read(replaced("BGM+929+LRN-2026-0042+9", "BGM+999+LRN-2026-0042+9"))
    error = only(errors)
    assert (error.segment_tag, error.element, error.code) == ("BGM", "1:1", "14")


def test_missing_bgm() -> None:
    _, errors = read(BODY[1:])
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.code) == (3, "NAD", "13")
    assert "BGM (beginning of message) is missing" in error.text


def test_missing_detail_section() -> None:
    body = [s for s in BODY if s != "UNS+D"]
    _, errors = read(body)
    found = [(e.segment_tag, e.code) for e in errors]
    assert found[0] == ("CST", "15") and ("UNS", "13") in found


def test_non_numeric_package_count() -> None:
    _, errors = read(replaced("PAC+40++PK", "PAC+4O++PK"))
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        32, "PAC", "1", "37",
    )  # fmt: skip


def test_a_segment_the_item_has_no_place_for() -> None:
    body = list(BODY)
    body.insert(body.index("UNS+D") + 2, "GID+1+1:CT")
    _, errors = read(body)
    assert (only(errors).segment_tag, only(errors).code) == ("GID", "15")


def test_an_amount_needs_its_currency() -> None:
    _, errors = read(replaced("MOA+39:12500.00:USD", "MOA+39:12500.00"))
    assert (only(errors).segment_tag, only(errors).element, only(errors).code) == (
        "MOA", "1:3", "13",
    )  # fmt: skip


def test_a_mapped_declaration_goes_to_the_model_rules() -> None:
    mapped, errors = read(replaced("LOC+27+CN", "LOC+27+CHINA"))
    assert errors == [] and mapped is not None
    try:
        DeclarationIn.model_validate(mapped)
    except ValueError as error:
        assert "origin" in str(error)
    else:
        raise AssertionError("the model took a country name for a country code")


def test_cusres_round_trip() -> None:
    response = CusresResponse(
        declaration_number="26NL000396000042",
        state="rejected",
        errors=[
            ResponseError("/items/0/origin", "code-list", "'XX' is not an ISO 3166 country code"),
            ResponseError("/office_of_lodgement", "required", "Give the office: it's required+"),
        ],
        duties_total=Decimal("1234.50"),
        currency="EUR",
        issued_at=WHEN,
        declarant_reference="LRN-2026-0042",
    )
    text = write_cusres(
        response, sender="ONEWINDOW", recipient="NL123456789", control_reference="R1"
    )
    read_back, problems = parse_interchange(text)
    assert problems == [] and read_back is not None
    segments = {s.tag: s for s in pydifact_segments(text)}
    assert segments["UNH"].elements == ["1", ["CUSRES", "D", "96B", "UN"]]
    assert segments["BGM"].elements == ["", "26NL000396000042", "9", "RE"]
    assert segments["DTM"].elements == [["137", "202603011015", "203"]]
    assert segments["GIS"].elements == [["03", "", "ZZZ"]]
    assert segments["MOA"].elements == [["176", "1234.50", "EUR"]]
    assert segments["RFF"].elements == [["ABE", "LRN-2026-0042"]]
    every = pydifact_segments(text)
    erp = [s.elements for s in every if s.tag == "ERP"]
    erc = [s.elements for s in every if s.tag == "ERC"]
    ftx = [s.elements for s in every if s.tag == "FTX"]
    assert erp == [[["2", "1"]], ["1"]]
    assert erc == [["code-lis"], ["required"]]
    assert ftx[0] == [
        "AAO", "", "", ["code-list", "/items/0/origin", "'XX' is not an ISO 3166 country code"],
    ]  # fmt: skip
    assert ftx[1][3] == ["required", "/office_of_lodgement", "Give the office: it's required+"]
    assert segments["UNT"].elements == ["14", "1"]


def test_cusres_states() -> None:
    for state, kind, code in (
        ("accepted", "AP", "01"),
        ("released", "AP", "08"),
        ("under_control", "CA", "05"),
    ):
        text = write_cusres(
            CusresResponse("26NL1", state, issued_at=WHEN),  # type: ignore[arg-type]
            sender="ONEWINDOW",
            recipient="T",
            control_reference="R2",
        )
        segments = {s.tag: s for s in pydifact_segments(text)}
        assert segments["BGM"].elements[3] == kind
        assert segments["GIS"].elements[0][0] == code
        assert segments["RFF"].elements == [["ABT", "26NL1"]]
        assert "TAX" not in segments
