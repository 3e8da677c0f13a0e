"""CUSDEC, the UN/EDIFACT customs declaration (D.96B), read into the dict that
:class:`~onewindow.declarations.schemas.DeclarationIn` validates: the same shape the JSON lodging
API and the WCO adapter (:mod:`onewindow.formats.wco`) produce, so that an EDIFACT declaration
goes through the same rules.

:func:`parse_cusdec` checks the interchange (:mod:`onewindow.formats.edifact`), then the
message's sections, then maps it; it returns ``(body, [])`` or ``(None, errors)``.
:func:`map_cusdec` does the last two steps for one message of an interchange already read.
Like :func:`onewindow.formats.wco.map_declaration`, it does not validate the body: the lodging
model and the declaration rules do.

Sections. The heading runs from ``BGM`` (mandatory, right after ``UNH``) to ``UNS+D``; the detail
section is a run of customs items, each opened by ``CST``; ``UNS+S`` opens the summary. A segment
that its section has no place for is refused (15), as is a missing ``BGM``, ``UNS+D`` or item
(13). The order of segments inside a section is not checked against the D.96B segment table.

Mapping (element positions count from 1 after the tag; ``:n`` is the component). Only an
original declaration (BGM message function 9) is lodged here: a replacement or cancellation is
refused (14), as the WCO adapter refuses amendments.

* ``BGM`` 1:1 document name code 929 (goods declaration for importation) to type ``IM``, 830
  (goods declaration for exportation) to ``EX``; 2 document number to ``declarant_reference``.
* ``NAD`` (party, 3035): DT declarant, IM importer, EX exporter, AE declarant's agent (the
  ``representative``, direct representation: this profile cannot express an indirect one).
  2:1 identifier (EORI), 4 party name (else 3:1), address from 5 street, 6 city, 8 postcode and
  9 country (only with a country, which our address needs).
* ``LOC`` (3227): 22 place of customs clearance to ``office_of_lodgement``; 14 goods item
  storage location to ``location_of_goods`` when a UN/LOCODE, else ``goods_location_code``;
  35 exportation country to ``country_of_export``; 28 country of destination to
  ``country_of_destination``; 1 place of terms of delivery to the delivery terms' place.
* ``TDT``: 3:1 mode (Rec 19), 8:1 identity, 8:5 nationality to ``transport``.
* ``TOD`` 3:1 Incoterm to ``delivery_terms``.
* ``MOA`` (5025) in the heading: 39 invoice total amount to ``invoice``, 64 freight charge to
  ``freight``, 67 insurance to ``insurance``; 2 amount, 3 currency.
* ``DOC`` 1:1 document type (1001), 2:1 number: a transport document type (code list
  ``transport-document-type``) to ``transport_documents``, any other to ``documents``.
* ``CNT`` 11 (number of packages) in the summary to ``total_packages``.
* Each item, from ``CST``: 1 goods item number to ``sequence``; 2:1 commodity code; 3:1 the
  procedure (requested and previous, four digits); 4:1 to 6:1 additional procedure codes.
  ``FTX+AAA`` 4 to ``description``; ``LOC+27`` (country of origin) to ``origin``; ``MEA+AAE``
  with 2:1 N (net) or G (gross) in KGM to the masses; ``PAC`` 1 number and 3:1 type of
  packages, with the ``PCI`` 2 marks after it, to ``packages``; ``MOA+38`` (invoice item
  amount) to ``value``; ``DOC`` to ``documents``; ``SGP`` 1:1 to ``containers`` (upper case, no
  separators).
"""

from __future__ import annotations

import re
from typing import Any

from onewindow.formats.edifact import (
    EdifactError,
    Message,
    Segment,
    decimal_of,
    parse_interchange,
)
from onewindow.formats.wco_reading import container
from onewindow.reference.codelists import code_list

__all__ = ["HEADING_TAGS", "ITEM_TAGS", "SUMMARY_TAGS", "map_cusdec", "parse_cusdec"]

TYPES = {"929": "IM", "830": "EX"}
PARTIES = {"DT": "declarant", "IM": "importer", "EX": "exporter", "AE": "representative"}
HEADING_AMOUNTS = {"39": "invoice", "64": "freight", "67": "insurance"}

HEADING_TAGS = frozenset(
    [
        "BGM",
        "LOC",
        "DTM",
        "GIS",
        "EQD",
        "SEL",
        "MEA",
        "FTX",
        "RFF",
        "NAD",
        "CTA",
        "COM",
        "TDT",
        "TOD",
        "MOA",
        "CUX",
        "DOC",
        "PAC",
        "PCI",
        "TAX",
        "GEI",
        "ALI",
        "QTY",
        "ICD",
        "IMD",
    ]
)
"""Segments the heading may hold."""
ITEM_TAGS = frozenset(
    [
        "CST",
        "FTX",
        "LOC",
        "MEA",
        "NAD",
        "CTA",
        "COM",
        "DTM",
        "GIS",
        "QTY",
        "RFF",
        "DOC",
        "PAC",
        "PCI",
        "MOA",
        "CUX",
        "TAX",
        "GEI",
        "ALI",
        "IMD",
        "SGP",
        "EQD",
        "SEL",
        "PIA",
        "TOD",
    ]
)
"""Segments a customs item may hold."""
SUMMARY_TAGS = frozenset(["CNT", "MOA", "TAX", "AUT", "FTX"])
"""Segments the summary may hold."""

_LOCODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}$")


def parse_cusdec(
    data: bytes | str, *, accept_test: bool = False
) -> tuple[dict[str, Any] | None, list[EdifactError]]:
    """Read an interchange holding one CUSDEC message into the lodging body."""
    interchange, errors = parse_interchange(data, accept_test=accept_test)
    if interchange is None or errors:
        return None, errors
    if len(interchange.messages) != 1:
        last = interchange.messages[-1].segments[-1]
        text = (
            f"The interchange holds {len(interchange.messages)} messages; send one CUSDEC "
            "declaration per interchange."
        )
        return None, [EdifactError(last.position, last.tag, None, "18", text)]
    return map_cusdec(interchange.messages[0])


def map_cusdec(message: Message) -> tuple[dict[str, Any] | None, list[EdifactError]]:
    """Check one received CUSDEC message's sections and map it to the lodging body."""
    head = message.segments[0]
    if message.identifier != "CUSDEC:D:96B:UN":
        text = f"The message is {message.identifier}, not a CUSDEC:D:96B:UN declaration."
        return None, [EdifactError(head.position, "UNH", "2", "14", text)]
    reading = _Reading()
    heading, items, summary = reading.sections(message.segments)
    if reading.errors:
        return None, reading.errors
    body = reading.heading(heading)
    body["items"] = [reading.item(item) for item in items]
    total = next((s for s in summary if s.tag == "CNT" and s.value(1) == "11"), None)
    if total is not None:
        body["total_packages"] = reading.whole(total, "1:2", total.value(1, 2), "packages")
    if reading.errors:
        return None, reading.errors
    return body, []


class _Reading:
    """One declaration being mapped, with the errors found on the way."""

    def __init__(self) -> None:
        self.errors: list[EdifactError] = []

    def error(self, segment: Segment, element: str | None, code: str, text: str) -> None:
        self.errors.append(EdifactError(segment.position, segment.tag, element, code, text))

    # Sections --------------------------------------------------------------------------------

    def sections(
        self, segments: list[Segment]
    ) -> tuple[list[Segment], list[list[Segment]], list[Segment]]:
        """Heading, items and summary; errors for what stands where it may not."""
        body = segments[1:-1]
        if not body or body[0].tag != "BGM":
            at = body[0] if body else segments[-1]
            self.error(
                at,
                None,
                "13",
                "The mandatory segment BGM (beginning of message) is "
                f"missing before segment {at.position} ({at.tag}): add it after UNH.",
            )
            return [], [], []
        heading: list[Segment] = []
        items: list[list[Segment]] = []
        summary: list[Segment] = []
        section = "heading"
        for segment in body:
            if segment.tag == "UNS":
                section = self.separator(segment, section)
            elif section == "heading":
                self.place(segment, HEADING_TAGS, "heading", heading)
            elif section == "detail":
                if segment.tag == "CST":
                    items.append([])
                if not items:
                    self.error(
                        segment,
                        None,
                        "15",
                        f"Segment {segment.position} "
                        f"({segment.tag}) stands in the detail section before any CST "
                        "customs item: open each item with CST.",
                    )
                    continue
                self.place(segment, ITEM_TAGS, "customs item", items[-1])
            else:
                self.place(segment, SUMMARY_TAGS, "summary", summary)
        detail = any(s.tag == "UNS" and s.value(1) == "D" for s in body)
        if not detail or not items:
            end = segments[-1]
            tag, what = (
                ("CST", "CST (customs item)") if detail else ("UNS", "UNS+D (detail section)")
            )
            text = (
                f"The mandatory segment {what} is missing before segment {end.position} "
                f"({end.tag}): a declaration declares at least one item, after UNS+D."
            )
            self.errors.append(EdifactError(end.position, tag, None, "13", text))
        return heading, items, summary

    def separator(self, segment: Segment, section: str) -> str:
        wanted = {"heading": "D", "detail": "S"}.get(section)
        found = segment.value(1)
        if found != wanted:
            self.error(
                segment,
                "1",
                "15",
                f"UNS+{found or ''} is out of place: the heading "
                "ends with UNS+D, the detail section with UNS+S.",
            )
        return {"D": "detail", "S": "summary"}.get(found or "", section)

    def place(
        self, segment: Segment, allowed: frozenset[str], where: str, into: list[Segment]
    ) -> None:
        if segment.tag in allowed:
            into.append(segment)
        else:
            self.error(
                segment,
                None,
                "15",
                f"Segment {segment.position} ({segment.tag}) is not "
                f"allowed in the {where} of a CUSDEC declaration: move or remove it.",
            )

    # Heading ---------------------------------------------------------------------------------

    def heading(self, segments: list[Segment]) -> dict[str, Any]:
        bgm = segments[0]
        kind = bgm.value(1)
        if kind not in TYPES:
            self.error(
                bgm,
                "1:1",
                "14" if kind else "13",
                f"Document name code "
                f"{kind or '(none)'} is not a declaration taken here: use 929 (goods "
                "declaration for importation) or 830 (for exportation).",
            )
        if (bgm.value(3) or "9") != "9":
            self.error(
                bgm,
                "3",
                "14",
                f"Message function {bgm.value(3)} is not lodged here: "
                "send an original declaration (9); amend or cancel a lodged one through "
                "its own service.",
            )
        body: dict[str, Any] = {
            "declarant_reference": bgm.value(2) or "",
            "type": TYPES.get(kind or "", "IM"),
        }
        self.parties(bgm, segments, body)
        self.locations(segments, body)
        self.transport(segments, body)
        for moa in (s for s in segments if s.tag == "MOA"):
            key = HEADING_AMOUNTS.get(moa.value(1) or "")
            if key is not None:
                body[key] = self.amount(moa)
        transport_types = frozenset(code_list("transport-document-type").codes())
        for doc in (s for s in segments if s.tag == "DOC"):
            document = self.document(doc)
            if document is not None:
                key = "transport_documents" if document["type"] in transport_types else "documents"
                body.setdefault(key, []).append(document)
        return body

    def parties(self, bgm: Segment, segments: list[Segment], body: dict[str, Any]) -> None:
        for nad in (s for s in segments if s.tag == "NAD"):
            key = PARTIES.get(nad.value(1) or "")
            if key is not None and key not in body:
                body[key] = _party(nad)
        if "representative" in body:
            body["representative"]["representation"] = "2"
        if "declarant" not in body:
            self.error(
                bgm,
                None,
                "13",
                "The declaration names no declarant: add NAD+DT with the declarant's EORI.",
            )
            body["declarant"] = {}

    def locations(self, segments: list[Segment], body: dict[str, Any]) -> None:
        places = {s.value(1): s.value(2) for s in reversed(segments) if s.tag == "LOC"}
        for qualifier, key in (
            ("22", "office_of_lodgement"),
            ("35", "country_of_export"),
            ("28", "country_of_destination"),
        ):
            if places.get(qualifier):
                body[key] = places[qualifier]
        goods = places.get("14")
        if goods:
            body["location_of_goods" if _LOCODE.match(goods) else "goods_location_code"] = goods
        tod = next((s for s in segments if s.tag == "TOD"), None)
        if tod is not None and tod.value(3):
            terms: dict[str, Any] = {"incoterm": tod.value(3)}
            if places.get("1"):
                terms["place"] = places["1"]
            body["delivery_terms"] = terms

    def transport(self, segments: list[Segment], body: dict[str, Any]) -> None:
        tdt = next((s for s in segments if s.tag == "TDT"), None)
        if tdt is None:
            return
        means: dict[str, Any] = {"mode": tdt.value(3) or ""}
        if tdt.value(8):
            means["identity"] = tdt.value(8)
        if tdt.value(8, 5):
            means["nationality"] = tdt.value(8, 5)
        body["transport"] = means

    # Items -----------------------------------------------------------------------------------

    def item(self, segments: list[Segment]) -> dict[str, Any]:
        cst = segments[0]
        item: dict[str, Any] = {
            "sequence": self.whole(cst, "1", cst.value(1), "goods item number"),
            "commodity_code": cst.value(2) or "",
            "procedure": cst.value(3) or "",
            "description": " ".join(
                part
                for s in segments
                if s.tag == "FTX" and s.value(1) == "AAA"
                for part in (s.elements[3] if len(s.elements) > 3 else ())
                if part
            ),
        }
        additional = [cst.value(n) for n in (4, 5, 6)]
        item["additional_procedures"] = [code for code in additional if code]
        origin = next((s.value(2) for s in segments if s.tag == "LOC" and s.value(1) == "27"), None)
        if origin:
            item["origin"] = origin
        self.masses(segments, item)
        packages = self.packages(segments)
        if packages:
            item["packages"] = packages
        value = next((s for s in segments if s.tag == "MOA" and s.value(1) == "38"), None)
        if value is not None:
            item["value"] = self.amount(value)
        documents = [d for d in (self.document(s) for s in segments if s.tag == "DOC") if d]
        if documents:
            item["documents"] = documents
        containers = [container(s.value(1) or "") for s in segments if s.tag == "SGP"]
        if any(containers):
            item["containers"] = [c for c in containers if c]
        return item

    def masses(self, segments: list[Segment], item: dict[str, Any]) -> None:
        for mea in (s for s in segments if s.tag == "MEA" and s.value(1) == "AAE"):
            key = {"N": "net_mass_kg", "G": "gross_mass_kg"}.get(mea.value(2) or "")
            if key is None:
                continue
            if mea.value(3) != "KGM":
                self.error(
                    mea,
                    "3:1",
                    "14",
                    f"Unit {mea.value(3) or '(none)'} is not read for a mass: give masses in KGM.",
                )
                continue
            item[key] = self.number(mea, "3:2", mea.value(3, 2), "mass")

    def packages(self, segments: list[Segment]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for segment in segments:
            if segment.tag == "PAC":
                count = self.whole(segment, "1", segment.value(1), "number of packages")
                found.append({"type": segment.value(3) or "", "count": count})
            elif segment.tag == "PCI" and found and len(segment.elements) > 1:
                marks = " ".join(p for p in segment.elements[1] if p)
                if marks:
                    found[-1]["marks"] = marks
        return found

    # Values ----------------------------------------------------------------------------------

    def amount(self, moa: Segment) -> dict[str, Any]:
        currency = moa.value(1, 3)
        if currency is None:
            self.error(moa, "1:3", "13", f"MOA+{moa.value(1)} lacks its currency (ISO 4217).")
        return {
            "amount": self.number(moa, "1:2", moa.value(1, 2), "amount"),
            "currency": currency or "",
        }

    def document(self, doc: Segment) -> dict[str, Any] | None:
        kind, reference = doc.value(1), doc.value(2)
        if not kind or not reference:
            self.error(
                doc,
                "1:1" if not kind else "2:1",
                "13",
                "DOC needs the document type (1001) and the document number.",
            )
            return None
        return {"type": kind, "reference": reference}

    def number(self, segment: Segment, element: str, value: str | None, what: str) -> str:
        amount = decimal_of(value)
        if amount is None:
            self.error(
                segment,
                element,
                "37" if value else "13",
                f"The {what} {value!r} in "
                f"segment {segment.position} ({segment.tag}) is not a number.",
            )
            return "0"
        return value.replace(",", ".") if value else "0"

    def whole(self, segment: Segment, element: str, value: str | None, what: str) -> int:
        if value is None or not (value.isascii() and value.isdigit()):
            self.error(
                segment,
                element,
                "37" if value else "13",
                f"The {what} "
                f"{value or '(none)'} in segment {segment.position} ({segment.tag}) is "
                "not a whole number: write digits only.",
            )
            return 0
        return int(value)


def _party(nad: Segment) -> dict[str, Any]:
    """A NAD as a declaration party: identifier, name, address (with a country only)."""
    party: dict[str, Any] = {}
    if nad.value(2):
        party["identifier"] = nad.value(2)
    names = [p for p in (nad.elements[3] if len(nad.elements) > 3 else ()) if p]
    name = " ".join(names) or nad.value(3)
    if name:
        party["name"] = name
    if nad.value(9):
        street = ", ".join(p for p in (nad.elements[4] if len(nad.elements) > 4 else ()) if p)
        address: dict[str, Any] = {"country": nad.value(9)}
        for key, value in (("line", street), ("city", nad.value(6)), ("postcode", nad.value(8))):
            if value:
                address[key] = value
        party["address"] = address
    return party
