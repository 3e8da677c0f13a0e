"""The WCO Data Model adapter against the profile's real schemas and annotated declarations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from onewindow.declarations.rulesets import for_country, parse
from onewindow.declarations.schemas import DeclarationIn
from onewindow.formats.service import RESPONSE_KINDS, wco_response
from onewindow.formats.wco import (
    RESPONSE_FUNCTION_CODES,
    Change,
    DutyLine,
    MappedDeclaration,
    ResponseError,
    WcoRefusal,
    WcoRequest,
    default_schema_dir,
    map_declaration,
    read_message,
    render_response,
    repair,
    validate_xml,
)
from tests.conftest import require_data

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SCHEMAS = SHARED / "schemas" / "wco-dm-3.6-dms"
EXAMPLES = SHARED / "examples" / "wco-dm-declarations"


@pytest.fixture(autouse=True, scope="module")
def _shared() -> None:
    require_data(
        SCHEMAS.is_dir() and EXAMPLES.is_dir(), f"the WCO schemas and examples at {SHARED}"
    )


EXAMPLE_NAMES = sorted(path.name for path in EXAMPLES.glob("*.xml")) if EXAMPLES.is_dir() else []

DEC = "urn:wco:datamodel:WCO:DEC-DMS:2"
NS = {
    "md": "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2",
    "d": DEC,
    "r": "urn:wco:datamodel:WCO:RES-DMS:2",
    "rds": "urn:wco:datamodel:WCO:Response_DS:DMS:2",
}

_MALFORMED = "not well-formed XML"
_AMENDMENT = "request to amend"

# Every example map_declaration does not take as a declaration, and the words of the reason; a
# change here is a regression. Requests are read by read_message; the malformed ones by it with
# recover=True (see test_a_comment_left_open_is_read_after_a_stated_repair).
REFUSED: dict[str, str] = {
    # Not well-formed: a comment ended with '>' instead of '-->' swallows the next elements.
    "TT_EX002a.xml": _MALFORMED,
    "TT_IM084a.xml": _MALFORMED,
    # Function code 13 with type INV: cancellation of a lodged declaration.
    "TT_EX010a_Cancellation.xml": "request to cancel (invalidate) declaration 24GBDIRIGZ7QLCPAA8",
    # Function code 13 with type COR: amendments of lodged declarations.
    "TT_IM002b_Amendment.xml": _AMENDMENT,
    "TT_IM002c_Complex_Multi_Amendment.xml": _AMENDMENT,
    "TT_IM003a_Amendment_(Step_3).xml": _AMENDMENT,
    "TT_IM005b_Amendment.xml": _AMENDMENT,
    "TT_IM008b_Amendment.xml": _AMENDMENT,
    "TT_IM011a_Amendment.xml": _AMENDMENT,
    "TT_IM016a_Amendment.xml": _AMENDMENT,
    "TT_IM033b_Amendment.xml": _AMENDMENT,
}
# Kinds other than a goods declaration that are mapped all the same, by additional type.
KINDS: dict[str, str] = {
    "TT_IM072a.xml": "COJ",  # special fiscal territories, clearance request data set
    "TT_EX007a.xml": "EXK",  # customs clearance requests (C21)
    "TT_IM005a.xml": "IMJ",
    "TT_IM061a.xml": "IMQ",  # final supplementary declarations
    "TT_IM135a.xml": "IMQ",
}
MAPPED_NAMES = [name for name in EXAMPLE_NAMES if name not in REFUSED]


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def mapped(name: str) -> MappedDeclaration:
    return map_declaration(example(name))


# Every example ------------------------------------------------------------------------------


def test_the_schemas_are_found_beside_the_data_directory() -> None:
    require_data(default_schema_dir().is_dir(), f"the WCO schemas at {default_schema_dir()}")
    assert validate_xml(example("TT_IM002a.xml")) == []


def test_the_refusal_list_names_real_examples() -> None:
    assert len(EXAMPLE_NAMES) >= 90
    assert set(REFUSED) <= set(EXAMPLE_NAMES)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_is_lodged_or_refused_for_a_reason(name: str) -> None:
    data = example(name)
    errors = validate_xml(data, schema_dir=SCHEMAS)
    if name in REFUSED:
        with pytest.raises(WcoRefusal) as caught:
            map_declaration(data)
        assert REFUSED[name] in caught.value.reason
        assert str(caught.value) == caught.value.reason
        if REFUSED[name] == _MALFORMED:
            assert errors and all(re.search(r"line \d+", error) for error in errors)
        else:
            assert errors == []  # valid messages, just not new declarations
        return
    assert errors == []
    result = map_declaration(data)
    assert result.function_code == "9"
    declaration = DeclarationIn.model_validate(result.body)
    assert declaration.items


# Field by field -----------------------------------------------------------------------------


def test_an_import_with_three_items_comes_through() -> None:
    result = mapped("TT_IM001d.xml")
    assert result.source_reference == "TT_IM01d_v1.6_230322_1"
    d = DeclarationIn.model_validate(result.body)
    assert (d.declarant_reference, d.type, d.additional_type) == (
        "TT_IM01d_v1.6_230322_1",
        "IM",
        "A",
    )
    assert d.declarant.identifier == "GB603202734852"
    assert d.importer is not None and d.importer.identifier == "GB553202734852"
    assert d.exporter is not None and d.exporter.name == "US Clipper Inc."
    assert d.exporter.address is not None
    assert (d.exporter.address.line, d.exporter.address.city) == ("1 Shaver Street", "New York")
    assert (d.exporter.address.postcode, d.exporter.address.country) == ("NY1 234", "US")
    assert d.representative is not None and d.representative.representation == "2"
    assert d.representative.identifier == "GB603202734852"  # the declarant acts as agent
    assert d.transport is not None
    assert (d.transport.mode, d.transport.nationality) == ("1", "US")
    assert (d.transport.identity, d.transport.identity_type) == ("12345", "10")
    assert d.goods_location_code == "GBAUWLALONBTW" and d.location_of_goods is None
    assert d.delivery_terms is not None
    assert (d.delivery_terms.incoterm, d.delivery_terms.place) == ("CIF", "GBWLA")
    assert (d.country_of_export, d.country_of_destination) == ("US", "GB")
    assert d.total_packages == 80
    assert [(doc.type, doc.reference) for doc in d.documents] == [("1DAN", "1108654")]
    assert [item.sequence for item in d.items] == [1, 2, 3]
    assert [item.commodity_code for item in d.items] == ["8510900000", "8510100000", "8510200000"]
    assert [item.description for item in d.items] == [
        "Parts for shavers and hair clippers",
        "Shavers",
        "Hair clippers",
    ]
    first = d.items[0]
    assert (first.origin, first.preference, first.procedure) == ("US", None, "4000")
    assert first.additional_procedures == []  # 000: no additional procedure
    assert (first.net_mass_kg, first.gross_mass_kg) == (Decimal("100"), Decimal("150"))
    assert first.value is not None
    assert (first.value.amount, first.value.currency) == (Decimal("1000"), "GBP")
    assert [(p.type, p.count, p.marks) for p in first.packages] == [("BX", 50, "BX-1234228/34")]
    assert [(doc.type, doc.reference) for doc in first.documents] == [
        ("C506", "GBDPO1108654"),
        ("935", "12345/19.01.2021"),  # N935: a UN/EDIFACT 1001 code, without its category
        ("C505", "GBCGUGuaranteenotrequired"),
    ]
    assert all(item.containers == ["AD12345"] for item in d.items)
    assert [str(item.value.amount) for item in d.items if item.value] == ["1000", "100", "100"]


def test_an_export_by_an_indirect_representative_comes_through() -> None:
    d = DeclarationIn.model_validate(mapped("TT_EX004a.xml").body)
    assert (d.declarant_reference, d.type, d.additional_type) == ("TTEX004a_1010WE", "EX", "Y")
    assert d.exporter is not None and d.exporter.identifier == "GB896458895015"
    assert d.importer is None
    assert d.representative is not None
    assert (d.representative.identifier, d.representative.representation) == (
        "GB150454489082",
        "3",
    )
    assert d.invoice is not None and (d.invoice.amount, d.invoice.currency) == (
        Decimal("100000"),
        "GBP",
    )
    assert d.transport is not None
    assert (d.transport.identity, d.transport.identity_type) == ("MSCSUPERGUN", "11")
    assert (d.country_of_export, d.country_of_destination) == ("GB", "SD")
    assert d.goods_location_code == "GBAUFXTFXTFXT"
    first, second = d.items
    assert (first.commodity_code, second.commodity_code) == ("93019000", "93059100")
    assert (first.procedure, first.additional_procedures) == ("1040", ["1CG"])
    assert first.statistical_value is not None
    assert first.statistical_value.amount == Decimal("50000")
    assert ("X002", "GBSIEXYK3ZZZPADR-0002") in [(x.type, x.reference) for x in second.documents]
    assert first.containers == second.containers == ["CONU1234567"]


def test_a_warehouse_removal_by_a_direct_representative_comes_through() -> None:
    result = mapped("TT_IM002a.xml")
    d = DeclarationIn.model_validate(result.body)
    assert (d.type, d.additional_type) == ("IM", "Z")
    assert d.representative is not None
    assert (d.representative.identifier, d.representative.representation) == (
        "GB603202734852",
        "2",
    )
    assert d.transport is not None and d.transport.inland_mode == "3"
    assert d.goods_location_code == "GBBYCW1117770GB"
    (item,) = d.items
    assert (item.commodity_code, item.origin, item.procedure) == ("1804000000", "BR", "4071")
    assert item.containers == ["DM1234"]
    assert ("C517", "GBCWP55320273485220190607191400") in [
        (doc.type, doc.reference) for doc in item.documents
    ]
    assert "/Declaration/GoodsShipment/Warehouse/ID" in result.unmapped
    assert "/Declaration/SupervisingOffice/ID" in result.unmapped


def test_a_preference_claim_carries_its_origin_and_proof() -> None:
    d = DeclarationIn.model_validate(mapped("TT_IM031a.xml").body)
    (item,) = d.items
    assert (item.preference, item.origin) == ("300", "TN")  # preferential origin, type 2
    assert item.proof_of_origin is not None
    assert (item.proof_of_origin.type, item.proof_of_origin.reference) == ("U096", "0054037")


def test_transport_documents_and_freight_come_through() -> None:
    d = DeclarationIn.model_validate(mapped("TT_IM047a.xml").body)
    assert [(doc.type, doc.reference) for doc in d.transport_documents] == [
        ("760", "056789/202 21.01.2025")
    ]
    d = DeclarationIn.model_validate(mapped("TT_IM067a.xml").body)
    assert d.freight is not None and (d.freight.amount, d.freight.currency) == (
        Decimal("5.00"),
        "GBP",
    )


def test_a_declaration_in_an_envelope_or_bare_maps_the_same() -> None:
    wrapped = mapped("TT_EX013b.xml")
    assert wrapped.body["declarant_reference"] == "U.78494313RFYI"
    assert len(wrapped.body["items"]) == 2
    root = etree.fromstring(example("TT_IM002a.xml"))
    bare = etree.tostring(root.find(f"{{{DEC}}}Declaration"))
    assert validate_xml(bare, schema_dir=SCHEMAS) == []
    assert map_declaration(bare).body == mapped("TT_IM002a.xml").body


def test_the_reference_keeps_only_the_characters_ours_allow() -> None:
    data = example("TT_IM002a.xml").replace(b"U.78475764QX0M", b"U.784 757:64QX0M")
    result = map_declaration(data)
    assert result.source_reference == "U.784 757:64QX0M"
    assert result.body["declarant_reference"] == "U.78475764QX0M"


# None lost ----------------------------------------------------------------------------------

# Leaves (paths from Declaration, without positions) that the model has a field for.
_PARTY = (
    "ID",
    "Name",
    "Address/Line",
    "Address/CityName",
    "Address/PostcodeID",
    "Address/CountryCode",
)
_DOCUMENT = ("CategoryCode", "TypeCode", "ID", "Submitter/Name")
_ITEM = "GoodsShipment/GovernmentAgencyGoodsItem"
MAPPED_PATHS = {
    "FunctionCode",
    "FunctionalReferenceID",
    "TypeCode",
    "GoodsItemQuantity",
    "DeclarationOfficeID",
    "InvoiceAmount",
    "TotalPackageQuantity",
    "Agent/FunctionCode",
    *(f"{party}/{leaf}" for party in ("Declarant", "Exporter", "Agent") for leaf in _PARTY),
    *(f"GoodsShipment/Importer/{leaf}" for leaf in _PARTY),
    *(f"AdditionalDocument/{leaf}" for leaf in _DOCUMENT),
    *(f"BorderTransportMeans/{leaf}" for leaf in ("ModeCode", "ID", "IdentificationTypeCode")),
    "BorderTransportMeans/RegistrationNationalityCode",
    "GoodsShipment/Consignment/ContainerCode",
    *(
        f"GoodsShipment/Consignment/{means}/{leaf}"
        for means in ("ArrivalTransportMeans", "DepartureTransportMeans")
        for leaf in ("ID", "IdentificationTypeCode", "ModeCode")
    ),
    *(
        f"GoodsShipment/Consignment/GoodsLocation/{leaf}"
        for leaf in ("Name", "ID", "TypeCode", "Address/TypeCode", "Address/CountryCode")
    ),
    "GoodsShipment/Consignment/TransportEquipment/SequenceNumeric",
    "GoodsShipment/Consignment/TransportEquipment/ID",
    "GoodsShipment/CustomsValuation/FreightChargeAmount",
    "GoodsShipment/Destination/CountryCode",
    "GoodsShipment/ExportCountry/ID",
    "GoodsShipment/TradeTerms/ConditionCode",
    "GoodsShipment/TradeTerms/LocationID",
    "GoodsShipment/TradeTerms/LocationName",
    "GoodsShipment/Invoice/ID",
    "GoodsShipment/Invoice/IssueDateTime/DateTimeString",
    *(f"GoodsShipment/PreviousDocument/{leaf}" for leaf in ("CategoryCode", "TypeCode", "ID")),
    *(f"{_ITEM}/{leaf}" for leaf in ("SequenceNumeric", "StatisticalValueAmount")),
    *(f"{_ITEM}/AdditionalDocument/{leaf}" for leaf in _DOCUMENT),
    *(
        f"{_ITEM}/Commodity/{leaf}"
        for leaf in (
            "Description",
            "Classification/ID",
            "Classification/IdentificationTypeCode",
            "DutyTaxFee/DutyRegimeCode",
            "GoodsMeasure/GrossMassMeasure",
            "GoodsMeasure/NetNetWeightMeasure",
            "GoodsMeasure/TariffQuantity",
            "InvoiceLine/ItemChargeAmount",
            "TransportEquipment/SequenceNumeric",
            "TransportEquipment/ID",
        )
    ),
    f"{_ITEM}/Destination/CountryCode",
    f"{_ITEM}/ExportCountry/ID",
    f"{_ITEM}/GovernmentProcedure/CurrentCode",
    f"{_ITEM}/GovernmentProcedure/PreviousCode",
    f"{_ITEM}/Origin/CountryCode",
    f"{_ITEM}/Origin/TypeCode",
    *(
        f"{_ITEM}/Packaging/{leaf}"
        for leaf in ("SequenceNumeric", "MarksNumbersID", "QuantityQuantity", "TypeCode")
    ),
    *(f"{_ITEM}/PreviousDocument/{leaf}" for leaf in ("CategoryCode", "TypeCode", "ID")),
}
# Leaves that qualify or restate another value rather than carry one of their own.
QUALIFIERS = {
    "FunctionCode",
    "TypeCode",
    "GoodsItemQuantity",
    "Agent/FunctionCode",
    "AdditionalDocument/CategoryCode",
    f"{_ITEM}/AdditionalDocument/CategoryCode",
    "GoodsShipment/Consignment/ContainerCode",
    "GoodsShipment/Consignment/TransportEquipment/SequenceNumeric",
    "GoodsShipment/PreviousDocument/CategoryCode",
    f"{_ITEM}/Commodity/Classification/IdentificationTypeCode",
    f"{_ITEM}/Commodity/TransportEquipment/SequenceNumeric",
    f"{_ITEM}/Origin/TypeCode",
    f"{_ITEM}/Packaging/SequenceNumeric",
    f"{_ITEM}/PreviousDocument/CategoryCode",
}

# Leaves whose value is one part of a field: the commodity code, the procedure, the national
# location code, a document type (category + code).
COMPOSED = {
    f"{_ITEM}/Commodity/Classification/ID",
    f"{_ITEM}/GovernmentProcedure/CurrentCode",
    f"{_ITEM}/GovernmentProcedure/PreviousCode",
    *(
        f"GoodsShipment/Consignment/GoodsLocation/{leaf}"
        for leaf in ("Name", "ID", "TypeCode", "Address/TypeCode", "Address/CountryCode")
    ),
    "AdditionalDocument/TypeCode",
    f"{_ITEM}/AdditionalDocument/TypeCode",
    "GoodsShipment/PreviousDocument/TypeCode",
}

# Codes that declare "none": no additional procedure, no preference.
NOTHING_DECLARED = {
    (f"{_ITEM}/GovernmentProcedure/CurrentCode", "000"),
    (f"{_ITEM}/Commodity/DutyTaxFee/DutyRegimeCode", "100"),
}


def _leaves(declaration: Any) -> Iterator[tuple[str, str, str]]:
    """(XPath with positions, path without, text) of every leaf element that holds data."""
    for element in declaration.iter():
        if not isinstance(element.tag, str) or any(isinstance(c.tag, str) for c in element):
            continue
        text = (element.text or "").strip()
        if not text:
            continue
        steps = []
        node = element
        while node is not declaration:
            parent = node.getparent()
            same = [sibling for sibling in parent if sibling.tag == node.tag]
            step = etree.QName(node).localname
            steps.append(f"{step}[{same.index(node) + 1}]" if len(same) > 1 else step)
            node = parent
        path = "/".join(reversed(steps))
        yield f"/Declaration/{path}", re.sub(r"\[\d+\]", "", path), text


def _values(body: Any) -> Iterator[str]:
    if isinstance(body, dict):
        for value in body.values():
            yield from _values(value)
    elif isinstance(body, list):
        for value in body:
            yield from _values(value)
    else:
        yield str(body)


def _squash(text: str) -> str:
    return re.sub(r"[\s\-]", "", text).upper()


def _declaration_of(name: str) -> Any:
    return next(etree.fromstring(example(name)).iter(f"{{{DEC}}}Declaration"))


@pytest.mark.parametrize("name", MAPPED_NAMES)
def test_no_value_is_lost(name: str) -> None:
    result = mapped(name)
    values = [_squash(value) for value in _values(result.body)]
    values.append(_squash(result.source_reference or ""))
    leaves = list(_leaves(_declaration_of(name)))
    unmapped = set(result.unmapped)
    assert unmapped <= {xpath for xpath, _, _ in leaves}, "unmapped names a leaf with data"
    assert len(unmapped) == len(result.unmapped), "an XPath is listed twice"
    for xpath, path, text in leaves:
        if xpath in unmapped:
            continue
        assert path in MAPPED_PATHS, f"{xpath} was swallowed but our model has no field for it"
        if path in QUALIFIERS or (path, text) in NOTHING_DECLARED:
            continue
        if path in COMPOSED:
            assert any(_squash(text) in value for value in values), f"{xpath}={text!r} lost"
        else:
            assert _squash(text) in values, f"{xpath}={text!r} lost"


@pytest.mark.parametrize("name", MAPPED_NAMES)
def test_the_key_item_values_all_arrive(name: str) -> None:
    declaration = _declaration_of(name)
    body = mapped(name).body
    items = declaration.findall(f"{{{DEC}}}GoodsShipment/{{{DEC}}}GovernmentAgencyGoodsItem")
    assert [item["sequence"] for item in body["items"]] == [
        int(item.findtext(f"{{{DEC}}}SequenceNumeric")) for item in items
    ]
    tsp = "d:Commodity/d:Classification[d:IdentificationTypeCode='TSP']/d:ID/text()"
    for element, item in zip(items, body["items"], strict=True):
        classified = element.xpath(tsp, namespaces=NS)
        if not classified:  # reduced data sets (clearance requests) carry no commodity code
            assert "commodity_code" not in item
            continue
        assert item["commodity_code"].startswith(classified[0])
        price = element.find(f"{{{DEC}}}Commodity/{{{DEC}}}InvoiceLine/{{{DEC}}}ItemChargeAmount")
        if price is not None:
            assert item["value"] == {"amount": price.text, "currency": price.get("currencyID")}


def test_what_our_model_lacks_is_listed_by_xpath() -> None:
    unmapped = mapped("TT_IM001d.xml").unmapped
    assert "/Declaration/GoodsShipment/TransactionNatureCode" in unmapped
    assert "/Declaration/AuthorisationHolder[1]/CategoryCode" in unmapped
    assert (
        "/Declaration/GoodsShipment/GovernmentAgencyGoodsItem[2]/Commodity/GoodsMeasure/"
        "TariffQuantity"
    ) in unmapped
    assert not any(path.endswith("/SequenceNumeric") for path in unmapped)


# Bad messages -------------------------------------------------------------------------------


def test_malformed_xml_says_where() -> None:
    errors = validate_xml(b"<md:MetaData xmlns:md='urn:x'>\n<a></b>", schema_dir=SCHEMAS)
    assert errors and errors[0].startswith("The document is not well-formed XML: line 2")
    assert validate_xml(b"", schema_dir=SCHEMAS) == [
        "The document is not well-formed XML: line 1: the document is empty."
    ]
    with pytest.raises(WcoRefusal, match="not well-formed XML"):
        map_declaration(b"<Declaration>")


def test_a_document_type_declaration_is_not_read() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<md:MetaData xmlns:md="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2">'
        b"<md:WCOTypeName>&e;</md:WCOTypeName></md:MetaData>"
    )
    (error,) = validate_xml(data, schema_dir=SCHEMAS)
    assert "declares a DTD" in error
    with pytest.raises(WcoRefusal, match="declares a DTD"):
        map_declaration(data)


def test_a_message_that_is_not_wco_is_named_so() -> None:
    assert validate_xml(b"<invoice/>", schema_dir=SCHEMAS) == [
        "line 1: the root element 'invoice' is not a WCO Data Model message "
        "(expected MetaData, or an envelope holding one)."
    ]
    with pytest.raises(WcoRefusal, match="root element is 'invoice'"):
        map_declaration(b"<invoice/>")


def test_schema_errors_are_readable_with_their_lines() -> None:
    data = example("TT_IM002a.xml")
    broken = data.replace(b"<TypeCode>IMZ</TypeCode>", b"<TypeCode>IMZZ</TypeCode>")
    broken = broken.replace(
        b"<TotalPackageQuantity>", b"<Colour>red</Colour><TotalPackageQuantity>"
    )
    errors = validate_xml(broken, schema_dir=SCHEMAS)
    lines = broken.decode().splitlines()
    type_line = next(n for n, line in enumerate(lines, 1) if "IMZZ" in line)
    colour_line = next(n for n, line in enumerate(lines, 1) if "<Colour>" in line)
    assert any(e.startswith(f"line {type_line}: Element 'TypeCode'") for e in errors), errors
    assert any(e.startswith(f"line {colour_line}: Element 'Colour'") for e in errors), errors
    assert not any("urn:" in error for error in errors)


def test_a_response_is_not_lodged_as_a_declaration() -> None:
    response = render_response(
        "acceptance", declaration_reference="LRN-1", number="25GB0001", issued_at=_NOON
    )
    with pytest.raises(WcoRefusal, match="not a goods declaration"):
        map_declaration(response)


def test_function_codes_other_than_original_are_refused() -> None:
    data = example("TT_IM002a.xml").replace(
        b"<FunctionCode>9</FunctionCode>", b"<FunctionCode>14</FunctionCode>"
    )
    with pytest.raises(WcoRefusal, match="function 14 is not an original declaration"):
        map_declaration(data)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_other_kinds_are_mapped_with_their_type(name: str) -> None:
    body = map_declaration(example(name)).body
    assert body["type"] + body["additional_type"] == KINDS[name]
    DeclarationIn.model_validate(body)


def test_a_supplementary_declaration_keeps_its_previous_documents() -> None:
    body = map_declaration(example("TT_IM014a.xml")).body
    assert {"type": "YDCR", "reference": "0GB553202734852-12345"} in body["previous_documents"]


def test_an_amendment_is_read_as_a_request_with_its_changes() -> None:
    request = read_message(example("TT_IM002b_Amendment.xml"))
    assert isinstance(request, WcoRequest)
    assert request.kind == "amendment"
    assert request.declaration_number == "25GB3POHWIVZSF9AR0"
    assert request.reason == "Amending item price as a mistake was made on the declaration."
    assert request.changes == (Change("21", "42A#1/67A#1/68A#1/23A#1/79A#1@112"),)
    assert request.patch["items"] == [
        {"sequence": 1, "value": {"amount": "999", "currency": "GBP"}}
    ]


def test_a_cancellation_is_read_as_a_request_with_its_reason() -> None:
    request = read_message(example("TT_EX010a_Cancellation.xml"))
    assert isinstance(request, WcoRequest)
    assert request.kind == "cancellation"
    assert request.declaration_number == "24GBDIRIGZ7QLCPAA8"
    assert request.reason == "This is a duplicate, please can"
    assert request.patch == {}


@pytest.mark.parametrize("name", ["TT_EX002a.xml", "TT_IM084a.xml"])
def test_a_comment_left_open_is_read_after_a_stated_repair(name: str) -> None:
    """Both files end a comment with '>' instead of '-->', so that the comment runs on over
    the next elements until a later comment's opening, which XML forbids inside a comment. A
    strict reader refuses them (lodging does); a dry run reads them after closing the comment
    where its line ends with '>', and says so. The repaired document must follow the schema."""
    data = example(name)
    with pytest.raises(WcoRefusal, match=_MALFORMED):
        read_message(data)
    repaired, repairs = repair(data)
    assert len(repairs) == 1 and "ends with '>' instead of '-->'" in repairs[0]
    assert validate_xml(repaired, schema_dir=SCHEMAS) == []
    message = read_message(data, recover=True)
    assert isinstance(message, MappedDeclaration) and message.repairs == tuple(repairs)


def test_the_safe_repairs_are_the_stated_ones_only() -> None:
    data = b"\xef\xbb\xbf\n<?xml version='1.0'?><a><!-- x -- y --><b/></a>"
    repaired, repairs = repair(data)
    assert repaired == b"<?xml version='1.0'?><a><!-- x - - y --><b/></a>"
    assert len(repairs) == 2
    entity = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'
    with pytest.raises(WcoRefusal):
        read_message(entity, recover=True)


# Responses ----------------------------------------------------------------------------------

_NOON = datetime(2025, 4, 4, 12, 0, tzinfo=UTC)


def _read(document: bytes) -> Any:
    return etree.fromstring(document)


@pytest.mark.parametrize("kind", ["acceptance", "rejection", "assessment", "release"])
def test_each_response_validates_and_names_the_declaration(kind: Any) -> None:
    document = render_response(
        kind, declaration_reference="U.78475764QX0M", number="25GB3POHWIVZSF9AR0", issued_at=_NOON
    )
    assert validate_xml(document, schema_dir=SCHEMAS) == []
    root = _read(document)
    assert root.xpath("string(md:WCOTypeName)", namespaces=NS) == "RES"
    assert (
        root.xpath("string(r:Response/r:FunctionCode)", namespaces=NS)
        == (RESPONSE_FUNCTION_CODES[kind])
    )
    assert root.xpath(
        "string(r:Response/r:Declaration/r:FunctionalReferenceID)", namespaces=NS
    ) == ("U.78475764QX0M")
    assert root.xpath("string(r:Response/r:Declaration/r:ID)", namespaces=NS) == (
        "25GB3POHWIVZSF9AR0"
    )
    assert root.xpath("string(r:Response/r:IssueDateTime/rds:DateTimeString)", namespaces=NS) == (
        "20250404120000Z"
    )


def test_the_function_codes_follow_the_profile() -> None:
    assert RESPONSE_FUNCTION_CODES == {
        "acceptance": "01",
        "rejection": "03",
        "assessment": "13",
        "release": "08",
    }


def test_a_rejection_carries_every_error_with_its_pointer() -> None:
    errors = [
        ResponseError("/items/1/commodity_code", "hs", "No such commodity code 9999999999."),
        ResponseError("/body/declarant_reference", "duplicate_reference", "Already used."),
    ]
    document = render_response(
        "rejection",
        declaration_reference="LRN-1",
        number=None,
        issued_at=datetime(2025, 4, 4, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        errors=errors,
    )
    assert validate_xml(document, schema_dir=SCHEMAS) == []
    root = _read(document)
    entries = root.xpath("r:Response/r:Error", namespaces=NS)
    assert len(entries) == 2
    first, second = entries
    assert first.xpath("string(r:ValidationCode)", namespaces=NS) == "hs"
    assert first.xpath("string(r:Description)", namespaces=NS) == (
        "No such commodity code 9999999999. (at /items/1/commodity_code)"
    )
    pointers = [
        (
            p.xpath("string(r:SequenceNumeric)", namespaces=NS),
            p.xpath("string(r:DocumentSectionCode)", namespaces=NS),
            p.xpath("string(r:TagID)", namespaces=NS),
        )
        for p in first.xpath("r:Pointer", namespaces=NS)
    ]
    assert pointers == [("", "42A", ""), ("", "67A", ""), ("2", "68A", ""), ("", "", "145")]
    # A code longer than the profile's eight characters travels in the description.
    assert second.xpath("string(r:Description)", namespaces=NS) == (
        "[duplicate_reference] Already used. (at /body/declarant_reference)"
    )
    assert not second.xpath("r:ValidationCode", namespaces=NS)
    assert root.xpath(
        "string(r:Response/r:Declaration/r:RejectionDateTime/rds:DateTimeString)", namespaces=NS
    ) == ("20250404120000Z")
    assert not root.xpath("r:Response/r:Declaration/r:ID", namespaces=NS)


def test_an_assessment_carries_its_duty_lines_and_total() -> None:
    duties = [
        DutyLine("customs_duty", Decimal("1000.00"), "12%", Decimal("120.00"), "GBP", item=1),
        DutyLine("vat", Decimal("1120.00"), "20%", Decimal("224.00"), "GBP", item=1),
        DutyLine("A30", None, "10.00 GBP / 100 kg", Decimal("5.5"), "GBP", item=2),
    ]
    document = render_response(
        "assessment",
        declaration_reference="LRN-1",
        number="25GB0001",
        issued_at=_NOON,
        duties=duties,
        total=(Decimal("349.50"), "GBP"),
    )
    assert validate_xml(document, schema_dir=SCHEMAS) == []
    root = _read(document)
    declaration = root.find("r:Response/r:Declaration", NS)
    assert declaration.xpath("string(r:DutyTaxFee/r:Payment/r:PaymentAmount)", namespaces=NS) == (
        "349.50"
    )
    lines = [
        (
            duty.xpath(
                "string(ancestor::r:GovernmentAgencyGoodsItem/r:SequenceNumeric)", namespaces=NS
            ),
            duty.xpath("string(r:TypeCode)", namespaces=NS),
            duty.xpath("string(r:AdValoremTaxBaseAmount)", namespaces=NS),
            duty.xpath("string(r:TaxRateNumeric)", namespaces=NS),
            duty.xpath("string(r:Payment/r:TaxAssessedAmount)", namespaces=NS),
            duty.xpath("string(r:Payment/r:TaxAssessedAmount/@currencyID)", namespaces=NS),
        )
        for duty in declaration.iterfind(".//r:Commodity/r:DutyTaxFee", NS)
    ]
    assert lines == [
        ("1", "A00", "1000.00", "12", "120.00", "GBP"),
        ("1", "B00", "1120.00", "20", "224.00", "GBP"),
        ("2", "A30", "", "", "5.5", "GBP"),
    ]
    statements = root.xpath(
        "r:Response/r:AdditionalInformation/r:StatementDescription/text()", namespaces=NS
    )
    assert statements[0] == "Item 1: Customs duty (A00) 12% on 1000.00 GBP = 120.00 GBP"
    assert statements[2] == "Item 2: A30 10.00 GBP / 100 kg = 5.5 GBP"


def test_a_release_says_when() -> None:
    document = render_response(
        "release", declaration_reference="LRN-1", number="25GB0001", issued_at=_NOON
    )
    root = _read(document)
    assert root.xpath(
        "string(r:Response/r:Status/r:ReleaseDateTime/rds:DateTimeString)", namespaces=NS
    ) == ("20250404120000Z")


def test_a_tax_without_a_wco_code_is_refused_before_writing() -> None:
    with pytest.raises(ValueError, match="no WCO tax type code"):
        render_response(
            "assessment",
            declaration_reference="LRN-1",
            number="25GB0001",
            issued_at=_NOON,
            duties=[DutyLine("excise", None, "1 GBP/l", Decimal("1"), "GBP", item=1)],
        )


@pytest.mark.parametrize("status", sorted(RESPONSE_KINDS))
def test_the_response_to_every_state_validates_against_the_res_schema(status: str) -> None:
    """Strict writing: whatever state a declaration is in, the RES we write follows the
    profile's schema (acceptance, control, rejection with its errors, tax calculation,
    release)."""
    document = wco_response(
        status=status,
        reference="LRN-1",
        number="25GB000000000001",
        issued_at=_NOON,
        errors=[{"pointer": "/items/0/origin", "code": "required", "detail": "give it"}]
        if status == "rejected"
        else [],
        assessment_items=[
            {
                "sequence": 1,
                "duties": [
                    {"tax_type": "customs_duty", "base": "100", "rate": "12%", "amount": "12"},
                    {"tax_type": "vat", "base": "112", "rate": "20%", "amount": "22.40"},
                ],
            }
        ],
        total=(Decimal("34.40"), "GBP"),
    )
    assert validate_xml(document, schema_dir=SCHEMAS) == []


def test_a_rule_set_names_the_source_of_every_entry() -> None:
    rules = for_country("GB")
    assert rules.rules and all(rule.source for rule in rules.rules)
    assert all(code.source for codes in rules.code_lists.values() for code in codes.values())
    assert rules.kind_of("J") == "clearance_request" and rules.kind_of("Q") == "final_supplementary"
    with pytest.raises(ValueError, match="source"):
        parse({"rules": [{"rule": "total-packages", "action": "warn"}]})
    with pytest.raises(ValueError, match="action"):
        parse({"rules": [{"rule": "x", "action": "ignore", "source": "s"}]})
