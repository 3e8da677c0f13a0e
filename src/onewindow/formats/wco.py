"""WCO Data Model 3.6 adapter, a customs administration's DMS profile: declarations in, RES out.

Three promises, all pure (no database, no web):

* :func:`validate_xml` checks a message against the profile's own schemas, read from disk once
  and never from the network, and returns readable errors with line numbers.
* :func:`map_declaration` reads an original goods declaration (``DEC``) into the dict that
  :class:`~onewindow.declarations.schemas.DeclarationIn` validates. Every element that carries
  data our model has no field for is listed in ``unmapped`` by its XPath: nothing is dropped
  silently. What is not a new declaration we lodge is refused with :class:`WcoRefusal` and a
  sentence saying why: an amendment (type ``COR``) or a cancellation (``INV``); a special fiscal
  territories declaration (``CO``); a customs clearance request (additional type ``J``/``K``)
  or final supplementary declaration (``Q``), which our goods declaration cannot express; a
  response; a document that is not XML. It does not re-validate: call :func:`validate_xml`.
* :func:`render_response` writes a ``RES`` notification that validates against the profile.

A message may arrive bare (``md:MetaData`` or ``Declaration`` as the root element) or inside a
transport envelope (a submission request wrapping it): the first ``md:MetaData`` inside is the
message. The envelope and the ``md:`` metadata (model version, responsible agency) are not
declaration data and are neither mapped nor listed as unmapped.

Message function (WCO 017, UN/EDIFACT 1225). The DEC schema allows 9, 13 and 14. In the
profile's examples, 9 is an original declaration and 13 a request about a lodged one: with type
``COR`` an amendment, with type ``INV`` a cancellation (invalidation). Only 9 is lodged here.

Response function codes. The RES schema leaves the code open (``n..2``); the codes follow the
profile's notifications, as its examples name them ("DMSACC (Function Code 01)", "DMSCLE
(Function Code 09)", "13 DMSTAX") and as the administration's own trader software reads them
(01 DMSACC accepted, 02 DMSRCV received, 03 DMSREJ rejected, 05 DMSCTL goods to be examined,
06 DMSDOC documents required, 07 DMSRES amendment outcome, 08 DMSROG release of goods, 09 DMSCLE
cleared, 10 DMSINV invalidated, 16 DMSEOG goods exited):

============  ====  ============  ==============================================================
kind          code  notification  what the response carries
============  ====  ============  ==============================================================
acceptance    01    DMSACC        acceptance time, the customs reference number (MRN)
rejection     03    DMSREJ        rejection time, every error with its pointer
assessment    13    DMSTAX        duty lines per goods item, the total to pay
release       08    DMSROG        release time (``Status/ReleaseDateTime``)
============  ====  ============  ==============================================================

Release is 08 (release of goods, the notification the examples expect after a documentary
check), not 09 (cleared), which closes the declaration once release and payment are settled.

Mapping, WCO element (under ``Declaration``) to ``DeclarationIn`` field. Each part of the message
is read by its own module, all through one :class:`~onewindow.formats.wco_reading.Reading`:
``wco_header`` (header and parties), ``wco_transport`` (transport, locations, containers),
``wco_items`` (goods items) and ``wco_documents`` (documents and valuation).

* ``FunctionalReferenceID`` (D026, the LRN) to ``declarant_reference``, keeping only the
  characters our reference allows; the raw value is ``source_reference``.
* ``TypeCode`` (D013): ``IM``/``EX`` plus one letter to ``type`` and ``additional_type``.
* ``Declarant``, ``GoodsShipment/Importer``, ``Exporter`` (ID, Name, Address) to the parties;
  ``Agent`` with ``FunctionCode`` 2 (direct) or 3 (indirect) to ``representative``: the agent's
  own ID or name when given, else the declarant, who then acts as the agent.
* ``DeclarationOfficeID`` (065, office of declaration) to ``office_of_lodgement``. Supervising,
  presentation and exit offices are other offices and stay unmapped.
* ``BorderTransportMeans`` (mode, ID, identification type, nationality) to ``transport``; when it
  carries no ID, the arrival means (imports) or departure means (exports) gives the identity.
  That means' ``ModeCode`` is the inland mode.
* ``PreviousDocument`` and category ``N`` ``AdditionalDocument`` whose code is a UN/EDIFACT 1001
  transport document (bill of lading 705, air waybill 740, ...) to ``transport_documents``, type
  without the category letter (``N740`` becomes ``740``). Other previous documents (DUCR, entry
  summary declaration, ...) stay unmapped.
* ``GoodsLocation``: a UN/LOCODE (country and three characters) to ``location_of_goods``; else
  the national code written as in the profile's guidance, country + type of location +
  qualifier + identifier (``GBAUWLALONBTW``), to ``goods_location_code``.
* ``TradeTerms`` (ConditionCode; LocationID, else LocationName) to ``delivery_terms``;
  ``InvoiceAmount`` to ``invoice``; ``CustomsValuation/FreightChargeAmount`` (the profile's
  transport costs) to ``freight``; ``TotalPackageQuantity`` to ``total_packages``;
  ``ExportCountry`` and ``Destination`` to the countries (an item-level country that matches, or
  that all items share when the header has none, counts as the header's).
* ``AdditionalDocument`` to ``documents``: type is category + code (``C512``), except category
  ``N``, whose codes are UN/EDIFACT 1001 codes and lose the letter (``N935`` becomes ``935``);
  ``ID`` is the reference, ``Submitter/Name`` the issuer. ``GoodsShipment/Invoice`` becomes a
  commercial invoice (1001 code 380).
* Goods items: ``SequenceNumeric``; ``Commodity/Classification`` TSP (8 digits) + TRC (2 digits)
  to the 10-digit ``commodity_code``; ``Description``; ``Origin`` of type 1 (non-preferential),
  else of type 2 (preferential) when it names a country, to ``origin``; the first
  ``DutyRegimeCode`` to ``preference`` (100, no preference, gives none);
  ``GovernmentProcedure`` current + previous code to ``procedure`` (``4071``) and three-character
  codes to ``additional_procedures`` (``000``, no additional procedure, gives none);
  ``GoodsMeasure`` net and gross mass (kg); ``TariffQuantity`` to ``supplementary_quantity`` only
  with a ``unitCode``; ``Packaging`` to ``packages``; ``InvoiceLine/ItemChargeAmount`` to
  ``value``; ``StatisticalValueAmount``; documents as above, the first proof of origin (category
  ``U``, or EUR.1 and certificates of origin) also as ``proof_of_origin`` when a preference is
  claimed.
* Containers (``TransportEquipment/ID``, upper-cased, spaces and hyphens removed): an item's own
  ``Commodity/TransportEquipment`` when it has some, else every consignment-level container, since
  a consignment-level container holds the goods of the whole shipment.

Derived elements count as carried when they agree with the mapping: ``GoodsItemQuantity`` (the
number of items) and ``Consignment/ContainerCode`` (1 when containers are declared).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from onewindow.config import get_settings
from onewindow.formats import wco_documents, wco_header, wco_items, wco_transport
from onewindow.formats.wco_documents import TransportDocuments
from onewindow.formats.wco_reading import DEC_NS, Reading, text_of

__all__ = [
    "RESPONSE_FUNCTION_CODES",
    "TAX_TYPE_CODES",
    "DutyLine",
    "MappedDeclaration",
    "ResponseError",
    "Change",
    "WcoRefusal",
    "WcoRequest",
    "default_schema_dir",
    "map_declaration",
    "read_message",
    "repair",
    "render_response",
    "validate_xml",
]

MD_NS = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
RES_NS = "urn:wco:datamodel:WCO:RES-DMS:2"
RES_DS_NS = "urn:wco:datamodel:WCO:Response_DS:DMS:2"

ResponseKind = Literal["acceptance", "rejection", "assessment", "release"]

RESPONSE_FUNCTION_CODES: dict[str, str] = {
    "acceptance": "01",
    "rejection": "03",
    "assessment": "13",
    "release": "08",
}
"""The RES ``FunctionCode`` of each kind of response (see the table in the module docstring)."""

ORIGINAL = "9"
REQUEST = "13"


class WcoRefusal(Exception):
    """The message is not a new declaration that can be lodged; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MappedDeclaration:
    """A DEC read into our shape.

    ``body`` is ready for ``DeclarationIn.model_validate`` (decimals as the strings the message
    wrote); ``function_code`` is the WCO message function; ``source_reference`` the
    FunctionalReferenceID as written; ``unmapped`` the XPaths (from ``/Declaration``) of the
    elements whose data our model has no field for, in document order.
    """

    body: dict[str, Any]
    function_code: str
    source_reference: str | None
    unmapped: list[str]
    repairs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResponseError:
    """One error of a declaration: ``pointer`` is a JSON pointer into it (``/items/0/origin``)."""

    pointer: str
    code: str
    description: str


@dataclass(frozen=True)
class DutyLine:
    """One assessed tax: ``tax_type`` a tax type code of at most three characters (``A00``
    customs duty, ``B00`` VAT) or a tariff engine measure type that has one (``customs_duty``,
    ``preferential_duty``, ``anti_dumping_duty``, ``vat``); ``rate_text`` the rate as a trader
    reads it (``12%``); ``base`` and ``amount`` in ``currency``; ``item`` the goods item's
    sequence number, or None for a line on the declaration as a whole.
    """

    tax_type: str
    base: Decimal | None
    rate_text: str
    amount: Decimal
    currency: str
    item: int | None = None


# Tax type codes (WCO/EU data element 4/3) of the tariff engine's measure types that have one.
TAX_TYPE_CODES: dict[str, str] = {
    "customs_duty": "A00",
    "preferential_duty": "A00",
    "anti_dumping_duty": "A30",
    "vat": "B00",
}


# Schemas --------------------------------------------------------------------------------------


def default_schema_dir() -> Path:
    """Where the profile's schemas live: ``schemas/wco-dm-3.6-dms`` beside the data directory."""
    return get_settings().data_dir.parent / "schemas" / "wco-dm-3.6-dms"


@dataclass
class _Schema:
    """A compiled schema; libxml2 keeps one error log per schema, so validations take turns."""

    schema: etree.XMLSchema
    lock: threading.Lock


@lru_cache(maxsize=8)
def _schema(folder: Path, payload_ns: str) -> _Schema:
    """Compile the metadata wrapper with the DEC or RES payload schema, from local files only."""
    sub = "notification" if payload_ns == RES_NS else "declaration"
    payload = "WCO_RES_2_DMS.xsd" if payload_ns == RES_NS else "WCO_DEC_2_DMS.xsd"
    wrapper_path = folder / sub / "DocumentMetaData_2_DMS.xsd"
    payload_path = folder / sub / payload
    for path in (wrapper_path, payload_path):
        if not path.is_file():
            raise FileNotFoundError(f"The WCO schema {path} is missing: wrong schemas folder?")
    # The wrapper admits any payload element; importing the payload schema makes it checkable.
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{path.resolve().as_uri()}"/>'
        for ns, path in ((MD_NS, wrapper_path), (payload_ns, payload_path))
    )
    driver = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    document = etree.fromstring(driver.encode(), parser, base_url=(folder / sub).as_uri() + "/")
    return _Schema(etree.XMLSchema(document), threading.Lock())


def _parser() -> etree.XMLParser:
    # No DTD loading, no entity expansion, no network: the message comes from outside.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


_NAMESPACE = re.compile(r"\{[^}]*\}")


def _readable(message: str) -> str:
    """Drop namespace URIs from a libxml2 message: ``'{urn:...}TypeCode'`` reads ``'TypeCode'``."""
    return _NAMESPACE.sub("", message).strip()


class _Unreadable(Exception):
    """The bytes are not a plain XML document; ``errors`` say why, one sentence each."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0])
        self.errors = errors


def _parse(data: bytes) -> etree._Element:
    """The root element, or :class:`_Unreadable` with the parser's errors and their lines."""
    if not data or not data.strip():
        raise _Unreadable(["The document is not well-formed XML: line 1: the document is empty."])
    parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        # This parser's own log: the exception's log may hold earlier documents' errors.
        found = [
            f"line {entry.line}, column {entry.column}: {entry.message.strip()}"
            for entry in parser.error_log
            if entry.level_name in ("ERROR", "FATAL")
        ]
        found = list(dict.fromkeys(found)) or [f"line {error.lineno or 1}: {error.msg or error}"]
        raise _Unreadable(
            [f"The document is not well-formed XML: {text}" for text in found]
        ) from None
    doctype = root.getroottree().docinfo.doctype
    if doctype:
        # WCO messages have no DTD; entities it declares are neither expanded nor trusted.
        raise _Unreadable(
            [f"line 1: the document declares a DTD ({doctype}), which WCO messages never do."]
        )
    return root


def _message(root: etree._Element) -> etree._Element | None:
    """The WCO message: the root, or the first ``md:MetaData`` inside an envelope."""
    if root.tag in (f"{{{MD_NS}}}MetaData", f"{{{DEC_NS}}}Declaration", f"{{{RES_NS}}}Response"):
        return root
    return next(root.iter(f"{{{MD_NS}}}MetaData"), None)


def _payload_ns(message: etree._Element) -> str:
    """Which payload the message carries: a RES response or (by default) a DEC declaration."""
    if message.tag == f"{{{RES_NS}}}Response":
        return RES_NS
    children = [child for child in message if isinstance(child.tag, str)]
    if any(etree.QName(child).namespace == RES_NS for child in children):
        return RES_NS
    return DEC_NS


def validate_xml(data: bytes, *, schema_dir: Path | None = None) -> list[str]:
    """Check a WCO DEC or RES message against the profile's schemas; an empty list means valid.

    Each error is one sentence with its line number, namespaces left out. A document that is not
    well-formed XML gives the parser's errors; one with a DTD, or with no WCO message in it, says
    so (DTDs and entities are never read). The schemas
    come from ``schema_dir`` (default :func:`default_schema_dir`), compiled once per process.
    """
    try:
        root = _parse(data)
    except _Unreadable as error:
        return error.errors
    message = _message(root)
    if message is None:
        name = etree.QName(root).localname
        return [
            f"line {root.sourceline}: the root element '{name}' is not a WCO Data Model message "
            "(expected MetaData, or an envelope holding one)."
        ]
    compiled = _schema((schema_dir or default_schema_dir()).resolve(), _payload_ns(message))
    with compiled.lock:
        try:
            if compiled.schema.validate(message):
                return []
        except etree.XMLSchemaValidateError as error:
            return [f"line {message.sourceline}: the schema validator gave up: {error}"]
        entries = list(compiled.schema.error_log)
    return [f"line {entry.line}: {_readable(entry.message)}" for entry in entries]


# Mapping a declaration ----------------------------------------------------------------------

_REFERENCE_NOISE = re.compile(r"[^A-Za-z0-9_\-./]")


_COMMENT_OPEN = re.compile(rb"<!--")
_LINE_END_GT = re.compile(rb">[ \t]*\r?\n")


def _line(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def repair(data: bytes) -> tuple[bytes, list[str]]:
    """The document with the defects a tolerant reader may safely undo, and what was undone.

    Only three, each said in a sentence with its line: content before the XML declaration
    (a byte order mark, blank lines); a comment whose text holds ``--`` (XML 1.0 forbids it;
    it becomes ``- -``); and a comment left open, ended with ``>`` instead of ``-->``, which
    shows as another comment opening inside it: it is closed at its first line that ends with
    ``>``. Nothing else changes; no entity is expanded, nothing is fetched. The caller parses
    the result strictly again.
    """
    repairs: list[str] = []
    declaration = data.find(b"<?xml")
    if declaration > 0:
        repairs.append(f"line 1: {declaration} byte(s) before the XML declaration were left out.")
        data = data[declaration:]
    position = 0
    while True:
        opened = _COMMENT_OPEN.search(data, position)
        if opened is None:
            break
        start = opened.end()
        end = data.find(b"-->", start)
        if end < 0:
            break
        inner = data.find(b"<!--", start, end)
        if inner >= 0:
            closing = _LINE_END_GT.search(data, start, inner)
            if closing is None:
                break
            at = closing.start()
            repairs.append(
                f"line {_line(data, at)}: the comment opened at line {_line(data, opened.start())}"
                " ends with '>' instead of '-->'; it was read as closed there."
            )
            data = data[:at] + b"-->" + data[at + 1 :]
            position = at + 3
            continue
        text = data[start:end]
        if b"--" in text or text.endswith(b"-"):
            repairs.append(
                f"line {_line(data, start)}: a comment holds '--', which XML forbids in "
                "comments; it was read as '- -'."
            )
            fixed = text.replace(b"--", b"- -")
            if fixed.endswith(b"-"):
                fixed += b" "
            data = data[:start] + fixed + data[end:]
            end = start + len(fixed)
        position = end + 3
    return data, repairs


def _root(data: bytes, *, recover: bool) -> tuple[etree._Element, tuple[str, ...]]:
    """The root element, and the repairs made to read it (only when ``recover`` is asked)."""
    try:
        return _parse(data), ()
    except _Unreadable as error:
        if recover:
            repaired, repairs = repair(data)
            if repairs:
                try:
                    return _parse(repaired), tuple(repairs)
                except _Unreadable:
                    pass
        raise WcoRefusal(
            f"The message cannot be read as a declaration. {error.errors[0]}"
        ) from None


def _declaration(data: bytes) -> etree._Element:
    """The DEC ``Declaration`` element, or a refusal that says what the message is instead."""
    root, _ = _root(data, recover=False)
    return _declaration_in(root)


def _declaration_in(root: etree._Element) -> etree._Element:
    message = _message(root)
    if message is None:
        raise WcoRefusal(
            f"The message is not a WCO Data Model declaration: its root element is "
            f"'{etree.QName(root).localname}'."
        )
    type_name = text_of(message.find(f"{{{MD_NS}}}WCOTypeName"))
    if _payload_ns(message) == RES_NS or (type_name is not None and type_name != "DEC"):
        raise WcoRefusal(
            f"The message is a WCO {type_name or 'RES'} message, not a goods declaration (DEC)."
        )
    if message.tag == f"{{{DEC_NS}}}Declaration":
        return message
    declaration = message.find(f"{{{DEC_NS}}}Declaration")
    if declaration is None:
        raise WcoRefusal("The message holds no WCO goods declaration (no DEC Declaration element).")
    return declaration


REQUEST_KINDS = {"COR": "amendment", "INV": "cancellation"}
"""Requests about a lodged declaration, by the profile's type code (function code 13)."""


def _flow(declaration: etree._Element, function_code: str) -> str:
    """The declaration type (IM, EX or CO), or a refusal saying why this cannot be lodged."""
    type_code = text_of(declaration.find(f"{{{DEC_NS}}}TypeCode")) or ""
    lodged = text_of(declaration.find(f"{{{DEC_NS}}}ID"))
    which = f"declaration {lodged}" if lodged else "a lodged declaration"
    # The profile sends both with function code 13 (request); the type says which request.
    if type_code == "INV":
        raise WcoRefusal(
            f"This is a request to cancel (invalidate) {which}; a cancellation is made on "
            "the lodged declaration, it cannot be lodged as a new declaration."
        )
    if type_code == "COR":
        raise WcoRefusal(
            f"This is a request to amend {which}; an amendment is made to the lodged "
            "declaration, it cannot be lodged as a new declaration."
        )
    if function_code != ORIGINAL:
        raise WcoRefusal(
            f"Message function {function_code or '(none)'} is not an original declaration "
            "(function code 9) nor a request about a lodged one (function code 13 with type "
            "COR or INV)."
        )
    if type_code[:2] not in ("IM", "EX", "CO"):
        raise WcoRefusal(
            f"Declaration type '{type_code}' is neither an import (IM), an export (EX) nor a "
            "special fiscal territories (CO) declaration, so it cannot be lodged here."
        )
    return type_code[:2]


def _read_parts(r: Reading, flow: str, body: dict[str, Any]) -> None:
    """Read every part of the message into ``body``: header and parties, documents and
    valuation, transport and locations, then the goods items."""
    transport_documents = TransportDocuments()
    wco_header.read_header(r, body)
    wco_documents.read_amounts(r, body)
    wco_transport.read_transport(r, flow, body)
    wco_transport.read_goods_location(r, body)
    wco_documents.read_delivery_terms(r, body)
    wco_documents.read_declaration_documents(r, body, transport_documents)
    wco_transport.read_countries(r, body)
    shipment = r.first(r.declaration, "GoodsShipment")
    consignment = r.first(shipment, "Consignment")
    shared = wco_transport.consignment_containers(r, consignment)
    items = [
        wco_items.read_item(r, element, shared, transport_documents)
        for element in r.all(shipment, "GovernmentAgencyGoodsItem")
    ]
    body["items"] = items
    # Derived elements count as carried when they agree with what was mapped.
    count = r.peek(r.declaration, "GoodsItemQuantity")
    if count is not None and count.isascii() and count.isdigit() and int(count) == len(items):
        r.take(r.declaration, "GoodsItemQuantity")
    indicator = r.peek(consignment, "ContainerCode")
    has_containers = any(item.get("containers") for item in items)
    if (indicator, has_containers) in (("1", True), ("0", False)):
        r.take(consignment, "ContainerCode")
    if transport_documents.found:
        body["transport_documents"] = transport_documents.found


def map_declaration(data: bytes) -> MappedDeclaration:
    """Read an original WCO DEC declaration into the body ``DeclarationIn`` validates.

    The body holds every value our model has a field for; values are not checked here (the
    model and the declaration rules do that, all errors at once), except that the declarant's
    reference keeps only the characters our reference allows. ``unmapped`` lists the rest.
    Raises :class:`WcoRefusal` when the message is not a new declaration we can lodge.
    """
    return _map(_declaration(data))


def _map(declaration: etree._Element, repairs: tuple[str, ...] = ()) -> MappedDeclaration:
    function_code = text_of(declaration.find(f"{{{DEC_NS}}}FunctionCode")) or ""
    flow = _flow(declaration, function_code)
    r = Reading(declaration)
    r.take(declaration, "FunctionCode")
    type_code = r.take(declaration, "TypeCode") or ""
    source_reference = r.take(declaration, "FunctionalReferenceID")
    body: dict[str, Any] = {}
    if source_reference is not None:
        cleaned = _REFERENCE_NOISE.sub("", source_reference)[:35]
        if cleaned:
            body["declarant_reference"] = cleaned
    body["type"] = flow
    if len(type_code) > 2:
        body["additional_type"] = type_code[2:]
    _read_parts(r, flow, body)
    return MappedDeclaration(
        body=body,
        function_code=function_code,
        source_reference=source_reference,
        unmapped=r.unmapped(),
        repairs=repairs,
    )


@dataclass(frozen=True)
class Change:
    """One change an amendment announces: its reason (WCO ``ChangeReasonCode``) and where, as
    the chain of document sections, sequence numbers and the data element's tag
    (``42A/67A#1/68A#1/23A#1/79A#1@112``: the item price of goods item 1)."""

    reason_code: str | None
    pointer: str


@dataclass(frozen=True)
class WcoRequest:
    """A request about a lodged declaration (function code 13): an ``amendment`` (type COR) or
    a ``cancellation`` (type INV).

    ``declaration_number`` is the lodged declaration's number (``ID``); ``reference`` the
    request's own reference; ``reason`` the free text the request gives (statement type AES);
    ``changes`` the amendment's pointers; ``patch`` the data it carries, read as a declaration
    is (only the fields it holds; goods items by their sequence number); ``unmapped`` what our
    model has no field for.
    """

    kind: Literal["amendment", "cancellation"]
    function_code: str
    declaration_number: str | None
    reference: str | None
    reason: str | None
    changes: tuple[Change, ...]
    patch: dict[str, Any]
    unmapped: list[str]
    repairs: tuple[str, ...] = ()


def _pointer_text(r: Reading, element: etree._Element) -> str:
    steps = []
    for pointer in r.all(element, "Pointer"):
        r.mark(*pointer.iter())
        section = r.peek(pointer, "DocumentSectionCode") or ""
        sequence = r.peek(pointer, "SequenceNumeric")
        tag = r.peek(pointer, "TagID")
        step = section + (f"#{sequence}" if sequence else "")
        steps.append(step + (f"@{tag}" if tag else "") if section else f"@{tag}")
    return "/".join(steps)


def _request(declaration: etree._Element, kind: str, repairs: tuple[str, ...] = ()) -> WcoRequest:
    r = Reading(declaration)
    function_code = r.take(declaration, "FunctionCode") or ""
    r.take(declaration, "TypeCode")
    reference = r.take(declaration, "FunctionalReferenceID")
    number = r.take(declaration, "ID")
    reasons = []
    for information in r.all(declaration, "AdditionalInformation"):
        if r.peek(information, "StatementTypeCode") == "AES":
            r.take(information, "StatementTypeCode")
            text = r.take(information, "StatementDescription")
            if text:
                reasons.append(text)
            _pointer_text(r, information)
    changes = []
    for amendment in r.all(declaration, "Amendment"):
        code = r.take(amendment, "ChangeReasonCode")
        changes.append(Change(code, _pointer_text(r, amendment)))
    patch: dict[str, Any] = {}
    if kind == "amendment":
        # The data carried is read as a declaration's; the lodged one's type is not known here.
        _read_parts(r, "IM", patch)
        if not patch.get("items"):
            patch.pop("items", None)
    return WcoRequest(
        kind="amendment" if kind == "amendment" else "cancellation",
        function_code=function_code,
        declaration_number=number,
        reference=reference,
        reason="; ".join(reasons) or None,
        changes=tuple(changes),
        patch=patch,
        unmapped=r.unmapped(),
        repairs=repairs,
    )


def read_message(data: bytes, *, recover: bool = False) -> MappedDeclaration | WcoRequest:
    """Read any DEC message: a declaration (:class:`MappedDeclaration`) or a request about a
    lodged one (:class:`WcoRequest`). With ``recover``, a document that is not well-formed as
    written is read after the safe repairs of :func:`repair`, each listed in ``repairs``.
    Raises :class:`WcoRefusal` saying what the message is when it is neither.
    """
    root, repairs = _root(data, recover=recover)
    declaration = _declaration_in(root)
    type_code = text_of(declaration.find(f"{{{DEC_NS}}}TypeCode")) or ""
    if type_code in REQUEST_KINDS:
        function_code = text_of(declaration.find(f"{{{DEC_NS}}}FunctionCode")) or ""
        if function_code != REQUEST:
            raise WcoRefusal(
                f"Type {type_code} is a request about a lodged declaration, sent with function "
                f"code 13 (request); this message has function code {function_code or '(none)'}."
            )
        return _request(declaration, REQUEST_KINDS[type_code], repairs)
    return _map(declaration, repairs)


# Responses ------------------------------------------------------------------------------------

# WCO identifiers of our fields, for the TagID of an error pointer (as our model's descriptions).
_TAG_IDS: dict[str, str] = {
    "declarant_reference": "D026",
    "type": "D013",
    "office_of_lodgement": "G004",
    "location_of_goods": "L014",
    "goods_location_code": "L014",
    "invoice": "504",
    "total_packages": "146",
    "commodity_code": "145",
    "description": "137",
    "origin": "063",
    "net_mass_kg": "128",
    "gross_mass_kg": "126",
    "value": "114",
    "statistical_value": "114",
    "mode": "T005",
    "identity": "T001",
    "nationality": "T006",
    "documents": "D005",
}
_DECLARATION_SECTION = "42A"
_SHIPMENT_SECTION = "67A"
_ITEM_SECTION = "68A"
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str, limit: int) -> str:
    """Text that XML can carry, cut to the schema's length with an ellipsis when too long."""
    text = _XML_UNSAFE.sub("", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _stamp(moment: datetime) -> str:
    """Format 304 in UTC (``20250101120000Z``); a naive time is taken to be UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y%m%d%H%M%S") + "Z"


def _decimal(value: Decimal) -> str:
    """At most three decimals, as the profile's amounts allow."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -3:
        value = value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    return format(value, "f")


class _Writer:
    """Builds the RES document: the metadata wrapper, its namespaces, and element helpers."""

    def __init__(self) -> None:
        namespaces = {"md": MD_NS, None: RES_NS, "ds": RES_DS_NS}
        self.root = etree.Element(f"{{{MD_NS}}}MetaData", nsmap=namespaces)

    @staticmethod
    def add(parent: etree._Element, name: str, text: str | None = None, ns: str = RES_NS) -> Any:
        element = etree.SubElement(parent, f"{{{ns}}}{name}")
        if text is not None:
            element.text = text
        return element

    def stamp(self, parent: etree._Element, name: str, moment: datetime) -> None:
        holder = self.add(parent, name)
        string = self.add(holder, "DateTimeString", _stamp(moment), ns=RES_DS_NS)
        string.set("formatCode", "304")

    def money(self, parent: etree._Element, name: str, amount: Decimal, currency: str) -> None:
        self.add(parent, name, _decimal(amount)).set("currencyID", currency)


def _pointers(writer: _Writer, parent: etree._Element, pointer: str) -> None:
    """WCO pointers for a JSON pointer: the declaration, the goods item, the data element."""
    steps = [step for step in pointer.split("/") if step]
    if steps[:1] == ["body"]:
        steps = steps[1:]
    first = writer.add(parent, "Pointer")
    writer.add(first, "DocumentSectionCode", _DECLARATION_SECTION)
    if len(steps) >= 2 and steps[0] == "items" and steps[1].isascii() and steps[1].isdigit():
        writer.add(writer.add(parent, "Pointer"), "DocumentSectionCode", _SHIPMENT_SECTION)
        item = writer.add(parent, "Pointer")
        writer.add(item, "SequenceNumeric", str(int(steps[1]) + 1))
        writer.add(item, "DocumentSectionCode", _ITEM_SECTION)
    tag = next((_TAG_IDS[step] for step in reversed(steps) if step in _TAG_IDS), None)
    if tag is not None:
        writer.add(writer.add(parent, "Pointer"), "TagID", tag)


def _tax_type(code: str) -> str:
    code = TAX_TYPE_CODES.get(code, code)
    if len(code) > 3:
        raise ValueError(f"Tax type {code!r} has no WCO tax type code (at most 3 characters).")
    return code


_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def _duty_statement(line: DutyLine) -> str:
    """``Item 1: Customs duty (A00) 12% on 1000.00 GBP = 120.00 GBP``."""
    where = f"Item {line.item}" if line.item is not None else "Declaration"
    code = _tax_type(line.tax_type)
    name = line.tax_type.replace("_", " ").capitalize()
    tax = code if name == code else f"{name} ({code})"
    base = f" on {_decimal(line.base)} {line.currency}" if line.base is not None else ""
    amount = f"{_decimal(line.amount)} {line.currency}"
    return f"{where}: {tax} {line.rate_text}{base} = {amount}"


def render_response(
    kind: ResponseKind,
    *,
    declaration_reference: str,
    number: str | None,
    issued_at: datetime,
    errors: Sequence[ResponseError] = (),
    duties: Sequence[DutyLine] = (),
    total: tuple[Decimal, str] | None = None,
) -> bytes:
    """A WCO RES notification (UTF-8 XML) about a declaration, valid against the profile.

    ``declaration_reference`` (the declarant's LRN) and ``number`` (our customs reference) name
    the declaration; ``issued_at`` dates the response and, by kind, the acceptance, rejection
    or release. Errors carry their code, description and JSON pointer (also as WCO pointers).
    Each duty line is one readable statement and, for a goods item, a ``DutyTaxFee`` of that
    item; ``total`` is the amount assessed and to pay on the declaration.
    """
    if kind not in RESPONSE_FUNCTION_CODES:
        raise ValueError(f"Unknown response kind {kind!r}.")
    for line in duties:
        _tax_type(line.tax_type)  # fail before writing anything
    writer = _Writer()
    root = writer.root
    writer.add(root, "WCODataModelVersionCode", "3.6", ns=MD_NS)
    writer.add(root, "WCOTypeName", "RES", ns=MD_NS)
    response = writer.add(root, "Response")
    writer.add(response, "FunctionCode", RESPONSE_FUNCTION_CODES[kind])
    writer.stamp(response, "IssueDateTime", issued_at)
    for line in duties:
        information = writer.add(response, "AdditionalInformation")
        writer.add(information, "StatementDescription", _clean(_duty_statement(line), 512))
        if line.item is not None:
            _pointers(writer, information, f"/items/{line.item - 1}")
    for error in errors:
        entry = writer.add(response, "Error")
        description = f"{error.description} (at {error.pointer or '/'})"
        if len(error.code) > 8:  # the profile's validation codes are an..8
            description = f"[{error.code}] {description}"
        writer.add(entry, "Description", _clean(description, 512))
        if len(error.code) <= 8:
            writer.add(entry, "ValidationCode", error.code)
        _pointers(writer, entry, error.pointer)
    if kind == "release":
        status = writer.add(response, "Status")
        writer.stamp(status, "ReleaseDateTime", issued_at)
    declaration = writer.add(response, "Declaration")
    if kind == "acceptance":
        writer.stamp(declaration, "AcceptanceDateTime", issued_at)
    writer.add(declaration, "FunctionalReferenceID", _clean(declaration_reference, 35))
    if number is not None:
        writer.add(declaration, "ID", _clean(number, 70))
    if kind == "rejection":
        writer.stamp(declaration, "RejectionDateTime", issued_at)
    _duties(writer, declaration, duties, total)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _duties(
    writer: _Writer,
    declaration: etree._Element,
    duties: Sequence[DutyLine],
    total: tuple[Decimal, str] | None,
) -> None:
    """Header ``DutyTaxFee``: the total first (assessed and to pay), then declaration-level
    lines; item lines go under their goods item, in item order."""
    if total is not None:
        payment = writer.add(writer.add(declaration, "DutyTaxFee"), "Payment")
        writer.money(payment, "TaxAssessedAmount", total[0], total[1])
        writer.money(payment, "PaymentAmount", total[0], total[1])
    for line in duties:
        if line.item is None:
            payment = writer.add(writer.add(declaration, "DutyTaxFee"), "Payment")
            writer.money(payment, "TaxAssessedAmount", line.amount, line.currency)
    by_item: dict[int, list[DutyLine]] = {}
    for line in duties:
        if line.item is not None:
            by_item.setdefault(line.item, []).append(line)
    if not by_item:
        return
    shipment = writer.add(declaration, "GoodsShipment")
    for sequence in sorted(by_item):
        item = writer.add(shipment, "GovernmentAgencyGoodsItem")
        writer.add(item, "SequenceNumeric", str(sequence))
        commodity = writer.add(item, "Commodity")
        for line in by_item[sequence]:
            duty = writer.add(commodity, "DutyTaxFee")
            if line.base is not None:
                writer.money(duty, "AdValoremTaxBaseAmount", line.base, line.currency)
            percent = _PERCENT.match(line.rate_text)
            if percent is not None:
                writer.add(duty, "TaxRateNumeric", percent.group(1))
            writer.add(duty, "TypeCode", _tax_type(line.tax_type))
            payment = writer.add(duty, "Payment")
            writer.money(payment, "TaxAssessedAmount", line.amount, line.currency)
