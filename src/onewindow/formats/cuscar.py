"""CUSCAR, the UN/EDIFACT customs cargo report (D.95B; D.96B has the same structure), read into
the manifest dict that the cargo domain validates.

:func:`parse_cuscar` checks the interchange (:mod:`onewindow.formats.edifact`), then the message
against the CUSCAR segment table (:data:`CUSCAR_TABLE`, walked by
:mod:`onewindow.formats.edifact_structure`), then maps it. It returns ``(manifest, [])`` or
``(None, errors)``: every error names the segment position, the element and the reason, with the
syntax error code CONTRL reports (see :mod:`onewindow.formats.edifact`). :func:`map_cuscar` does
the last two steps for one message of an interchange already read.

Segment table (the groups this module maps, in the directory's order; other segments of the
directory are accepted in their places and not mapped). It follows the published CUSCAR
segment tables of the neighbouring directories (D.96A, D.97B) and a national D.95B
implementation guide; the group numbers are this module's own. Check it against the D.95B
table before taking a segment this module does not yet expect::

    UNH M1  BGM M1  DTM C9  RFF C9
    SG1  C99   NAD M1, SG2 C9 (CTA M1, COM C9)          reporting party, carrier (NAD+CA)
    FTX C9
    SG3  C9    TDT M1, LOC C99, DTM C99                 means of transport, ports, arrival
    GIS C9
    SG4  C9999 EQD M1, TSR C9, MEA C9, DIM C9, SEL C9, NAD C9, GIS C9, SG5 C9 (TMP M1, RNG C1)
    CNT C9
    SG6  C9999 CNI M1, CNT C9                            consignment (master bill)
      SG7  C9999 RFF M1, CNT C9, MOA C9, LOC C9, DTM C9, GIS C9, FTX C9   one transport document
        SG8  C9    TDT M1, LOC C9, DTM C9               onward transport (not mapped)
        SG9  C99   NAD M1, SG10 C9 (CTA M1, COM C9)      shipper, consignee, notify party
        SG11 C9999 GID M1, HAN C9, TMP C1, RNG C1, TMD C1, LOC C9, MOA C9, PIA C9, FTX C9,
                   NAD C9, GIS C9, MEA C99, DIM C99, RFF C9, PCI C99, DOC C9, SGP C999,
                   DGS C99, CST C9                       goods item
    UNT M1

Mapping (element positions count from 1 after the tag; ``:n`` is the component):

* ``BGM`` 2:1 document number to ``reference``; 3 message function (1225) to ``function``:
  9 original, 5 replace, 1 cancel; any other code is refused (14).
* The first SG3 ``TDT`` (main carriage, 8051 = 20, when there is one): 3:1 mode (8067) 1 sea,
  2 rail, 3 road, 4 air (others refused, 14); 8:1 identification of the means of transport
  (IMO number, flight number) to ``transport_id``; 8:4 its name to ``transport_name``; 2
  conveyance reference (voyage) to ``voyage``; 5:1 and 5:4 carrier identification and name to
  ``carrier`` (an SG1 ``NAD+CA`` fills what ``TDT`` leaves empty).
* SG3 ``LOC``: 9 place/port of loading (else 5, place of departure) to ``port_of_loading``,
  11 place/port of discharge (else 12, port of discharge) to ``port_of_discharge``;
  ``DTM+132`` (estimated arrival; formats 102, 203, 204, taken as UTC) to ``arrival``.
* Each SG7 is one transport document: ``RFF`` qualifier BM (bill of lading), MB (master bill
  of lading), AWB (air waybill) or MWB (master air waybill) makes a ``master``; BH (house bill
  of lading) or HWB (house waybill) a ``house``, whose ``master_number`` is its consignment's
  ``CNI`` 2:1 document number (else the SG7 master before it). Other qualifiers are refused
  (14). Its ``LOC`` 9/5 and 11/12 are the document's ports; SG9 ``NAD`` CZ (consignor), CN
  (consignee), N1 (notify party) its parties: 2:1 identifier, 4 party name (or 3, name and
  address lines), 5 street, 6 city, 8 postcode, 9 country.
* Each SG11 is a goods line: ``GID`` 1 item number to ``line``, 2:1 number of packages to
  ``packages`` (digits only: else 37), 2:2 package type; ``FTX+AAA`` (goods description) 4 to
  ``description``; ``MEA+AAE`` with 2:1 G or AAB (gross weight) and 3 unit KGM, TNE or GRM to
  ``gross_mass_kg`` in kilograms, as a decimal string; ``CST`` 2:1 to ``hs_code``; ``PCI`` 2
  shipping marks to ``marks``; the first ``SGP`` 1:1 container to ``container``.
* SG4 ``EQD`` with qualifier CN (container) are the containers: 2:1 number, 3:1 size and type,
  6 full/empty indicator (5 full, 4 empty; full when absent), ``SEL`` 1 the seals. A document
  lists the containers its goods are placed in (``SGP``), in the order of the SG4 groups.
  Container numbers are kept as written: the cargo domain checks them (ISO 6346).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from onewindow.formats.edifact import (
    EdifactError,
    Message,
    Segment,
    Separators,
    decimal_of,
    parse_interchange,
    plain,
)
from onewindow.formats.edifact_structure import Group, Occurrence, group, seg, walk

__all__ = ["CUSCAR_TABLE", "RELEASES", "map_cuscar", "parse_cuscar"]

RELEASES = ("95B", "96B")
"""The CUSCAR directory releases read here (version D, agency UN)."""

_CONTACT = (seg("CTA", "M", 1), seg("COM", "C", 9))
_GOODS = group(
    "SG11", "C", 9999,
    seg("GID", "M", 1), seg("HAN", "C", 9), seg("TMP", "C", 1), seg("RNG", "C", 1),
    seg("TMD", "C", 1), seg("LOC", "C", 9), seg("MOA", "C", 9), seg("PIA", "C", 9),
    seg("FTX", "C", 9), seg("NAD", "C", 9), seg("GIS", "C", 9), seg("MEA", "C", 99),
    seg("DIM", "C", 99), seg("RFF", "C", 9), seg("PCI", "C", 99), seg("DOC", "C", 9),
    seg("SGP", "C", 999), seg("DGS", "C", 99), seg("CST", "C", 9),
)  # fmt: skip
_DOCUMENT = group(
    "SG7", "C", 9999,
    seg("RFF", "M", 1), seg("CNT", "C", 9), seg("MOA", "C", 9), seg("LOC", "C", 9),
    seg("DTM", "C", 9), seg("GIS", "C", 9), seg("FTX", "C", 9),
    group("SG8", "C", 9, seg("TDT", "M", 1), seg("LOC", "C", 9), seg("DTM", "C", 9)),
    group("SG9", "C", 99, seg("NAD", "M", 1), group("SG10", "C", 9, *_CONTACT)),
    _GOODS,
)  # fmt: skip
CUSCAR_TABLE = Group(
    "CUSCAR",
    (
        seg("UNH", "M", 1), seg("BGM", "M", 1), seg("DTM", "C", 9), seg("RFF", "C", 9),
        group("SG1", "C", 99, seg("NAD", "M", 1), group("SG2", "C", 9, *_CONTACT)),
        seg("FTX", "C", 9),
        group("SG3", "C", 9, seg("TDT", "M", 1), seg("LOC", "C", 99), seg("DTM", "C", 99)),
        seg("GIS", "C", 9),
        group(
            "SG4", "C", 9999,
            seg("EQD", "M", 1), seg("TSR", "C", 9), seg("MEA", "C", 9), seg("DIM", "C", 9),
            seg("SEL", "C", 9), seg("NAD", "C", 9), seg("GIS", "C", 9),
            group("SG5", "C", 9, seg("TMP", "M", 1), seg("RNG", "C", 1)),
        ),
        seg("CNT", "C", 9),
        group("SG6", "C", 9999, seg("CNI", "M", 1), seg("CNT", "C", 9), _DOCUMENT),
        seg("UNT", "M", 1),
    ),
)  # fmt: skip
"""The CUSCAR segment table, as :func:`onewindow.formats.edifact_structure.walk` reads it."""

FUNCTIONS = {"9": "original", "5": "replace", "1": "cancel"}
MODES = {"1": "sea", "2": "rail", "3": "road", "4": "air"}
MASTER_REFERENCES = {"BM", "MB", "AWB", "MWB"}
HOUSE_REFERENCES = {"BH", "HWB"}
PARTY_ROLES = {"CZ": "shipper", "CN": "consignee", "N1": "notify"}
KILOGRAMS = {"KGM": Decimal(1), "TNE": Decimal(1000), "GRM": Decimal("0.001")}


def parse_cuscar(
    data: bytes | str, *, accept_test: bool = False
) -> tuple[dict[str, Any] | None, list[EdifactError]]:
    """Read an interchange holding one CUSCAR message into the manifest dict.

    Returns the manifest and no errors, or None and every error found.
    """
    interchange, errors = parse_interchange(data, accept_test=accept_test)
    if interchange is None or errors:
        return None, errors
    if len(interchange.messages) != 1:
        last = interchange.messages[-1].segments[-1]
        return None, [
            EdifactError(last.position, last.tag, None, "18", "The interchange holds "
                         f"{len(interchange.messages)} messages; send one CUSCAR manifest per "
                         "interchange.")
        ]  # fmt: skip
    return map_cuscar(interchange.messages[0], interchange.separators)


def map_cuscar(
    message: Message, separators: Separators | None = None
) -> tuple[dict[str, Any] | None, list[EdifactError]]:
    """Check one received CUSCAR message against :data:`CUSCAR_TABLE` and map it."""
    head = message.segments[0]
    if message.type != "CUSCAR" or message.version != "D" or message.agency != "UN":
        return None, [
            EdifactError(
                head.position,
                "UNH",
                "2",
                "14",
                f"The message is {message.identifier}, not a CUSCAR:D:...:UN cargo report.",
            )
        ]
    if message.release not in RELEASES:
        return None, [
            EdifactError(
                head.position,
                "UNH",
                "2:3",
                "14",
                f"CUSCAR release {message.release} is not read here: send D.95B or D.96B.",
            )
        ]
    tree, errors = walk(message.segments, CUSCAR_TABLE)
    if errors:
        return None, errors
    reading = _Reading(separators or Separators())
    manifest = reading.manifest(tree, message)
    if reading.errors:
        return None, reading.errors
    return manifest, []


class _Reading:
    """One manifest being mapped, with the errors found on the way."""

    def __init__(self, separators: Separators) -> None:
        self.separators = separators
        self.errors: list[EdifactError] = []

    def error(self, segment: Segment, element: str | None, code: str, text: str) -> None:
        self.errors.append(EdifactError(segment.position, segment.tag, element, code, text))

    # Header ----------------------------------------------------------------------------------

    def manifest(self, tree: Occurrence, message: Message) -> dict[str, Any]:
        bgm = tree.first("BGM")
        assert bgm is not None  # the table makes it mandatory
        reference = bgm.value(2)
        if reference is None:
            self.error(bgm, "2:1", "13", "BGM lacks the document number of the manifest.")
        function = bgm.value(3) or "9"
        if function not in FUNCTIONS:
            self.error(
                bgm,
                "3",
                "14",
                f"Message function {function} is not taken here: use 9 "
                "(original), 5 (replace) or 1 (cancel).",
            )
        containers = self.containers(tree)
        manifest: dict[str, Any] = {
            "reference": reference or "",
            "function": FUNCTIONS.get(function, "original"),
            **self.transport(tree, bgm),
            "documents": [],
        }
        carrier_nad = next((o.head for o in tree.nested("SG1") if o.head.value(1) == "CA"), None)
        if carrier_nad is not None:
            carrier = manifest["carrier"]
            carrier["identifier"] = carrier["identifier"] or carrier_nad.value(2)
            carrier["name"] = carrier["name"] or _party_name(carrier_nad)
        for consignment in tree.nested("SG6"):
            manifest["documents"] += self.consignment(consignment, containers)
        return manifest

    def transport(self, tree: Occurrence, bgm: Segment) -> dict[str, Any]:
        groups = tree.nested("SG3")
        if not groups:
            self.error(
                bgm,
                None,
                "13",
                "The manifest has no TDT details of transport (segment "
                "group 3): add one with the mode and the means of transport.",
            )
            return {"mode": "sea", "transport_id": "", "transport_name": None, "voyage": None,
                    "carrier": {"identifier": None, "name": None}, "port_of_loading": None,
                    "port_of_discharge": None, "arrival": None}  # fmt: skip
        main = next((g for g in groups if g.head.value(1) == "20"), groups[0])
        tdt = main.head
        mode = tdt.value(3)
        if mode is None:
            self.error(
                tdt, "3:1", "13", "TDT lacks the mode of transport (1 sea, 2 rail, 3 road, 4 air)."
            )
        elif mode not in MODES:
            self.error(
                tdt,
                "3:1",
                "14",
                f"Mode of transport {mode} is not taken here: use 1 "
                "(sea), 2 (rail), 3 (road) or 4 (air).",
            )
        transport_id = tdt.value(8)
        if transport_id is None:
            self.error(
                tdt,
                "8:1",
                "13",
                "TDT lacks the identification of the means of "
                "transport (IMO number or flight number).",
            )
        loading, discharge = _ports(main)
        return {
            "mode": MODES.get(mode or "", "sea"),
            "transport_id": transport_id or "",
            "transport_name": tdt.value(8, 4),
            "voyage": tdt.value(2),
            "carrier": {"identifier": tdt.value(5), "name": tdt.value(5, 4)},
            "port_of_loading": loading,
            "port_of_discharge": discharge,
            "arrival": self.arrival(main),
        }

    def arrival(self, transport: Occurrence) -> str | None:
        dtm = next((s for s in transport.all("DTM") if s.value(1) == "132"), None)
        if dtm is None:
            return None
        value, form = dtm.value(1, 2) or "", dtm.value(1, 3) or "102"
        formats = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S"}
        if form not in formats:
            self.error(
                dtm,
                "1:3",
                "14",
                f"Date format {form} is not read here: use 102 "
                "(CCYYMMDD), 203 (CCYYMMDDHHMM) or 204 (CCYYMMDDHHMMSS).",
            )
            return None
        try:
            when = datetime.strptime(value, formats[form])
        except ValueError:
            self.error(
                dtm, "1:2", "12", f"The arrival date {value!r} is not a date in format {form}."
            )
            return None
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")

    def containers(self, tree: Occurrence) -> list[dict[str, Any]]:
        found = []
        for equipment in tree.nested("SG4"):
            eqd = equipment.head
            if eqd.value(1) != "CN":
                continue
            number = eqd.value(2)
            if number is None:
                self.error(eqd, "2:1", "13", "EQD lacks the container number.")
                continue
            indicator = eqd.value(6)
            if indicator not in (None, "4", "5"):
                self.error(
                    eqd,
                    "6",
                    "12",
                    f"Full/empty indicator {indicator} is not 5 (full) or 4 (empty).",
                )
            seals = [s.value(1) for s in equipment.all("SEL")]
            found.append({"number": number, "size_type": eqd.value(3),
                          "seals": [s for s in seals if s], "full": indicator != "4"})  # fmt: skip
        return found

    # Consignments ----------------------------------------------------------------------------

    def consignment(
        self, consignment: Occurrence, containers: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        master = consignment.head.value(2)
        documents = []
        for occurrence in consignment.nested("SG7"):
            document = self.document(occurrence, master, containers)
            if document is None:
                continue
            if document["kind"] == "master":
                master = master or document["number"]
            documents.append(document)
        return documents

    def document(
        self, occurrence: Occurrence, master: str | None, containers: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        rff = occurrence.head
        qualifier, number = rff.value(1), rff.value(1, 2)
        if qualifier in MASTER_REFERENCES:
            kind = "master"
        elif qualifier in HOUSE_REFERENCES:
            kind = "house"
        else:
            self.error(
                rff,
                "1:1",
                "14",
                f"Reference qualifier {qualifier or '(none)'} does not "
                "name a transport document: use BM, MB, AWB or MWB (master) or BH or HWB "
                "(house).",
            )
            return None
        if number is None:
            self.error(rff, "1:2", "13", "RFF lacks the transport document number.")
            return None
        loading, discharge = _ports(occurrence)
        parties: dict[str, Any] = {role: None for role in PARTY_ROLES.values()}
        for nad in (o.head for o in occurrence.nested("SG9")):
            role = PARTY_ROLES.get(nad.value(1) or "")
            if role is not None and parties[role] is None:
                parties[role] = _party(nad)
        goods = [self.goods(g) for g in occurrence.nested("SG11")]
        placed = {line["container"] for line in goods if line["container"]}
        return {
            "number": number,
            "kind": kind,
            "master_number": master if kind == "house" and master != number else None,
            **parties,
            "port_of_loading": loading,
            "port_of_discharge": discharge,
            "goods": goods,
            "containers": [
                {**c, "seals": list(c["seals"])} for c in containers if c["number"] in placed
            ],
        }

    def goods(self, item: Occurrence) -> dict[str, Any]:
        gid = item.head
        line = self.digits(gid, "1", gid.value(1), "goods item number")
        packages = self.digits(gid, "2:1", gid.value(2), "number of packages")
        description = " ".join(
            part
            for ftx in item.all("FTX")
            if ftx.value(1) == "AAA"
            for part in (ftx.elements[3] if len(ftx.elements) > 3 else ())
            if part
        )
        if not description:
            self.error(
                gid,
                None,
                "13",
                f"Goods item {gid.value(1) or '?'} has no FTX+AAA goods "
                "description: describe the goods.",
            )
        sgp = item.first("SGP")
        pci = item.first("PCI")
        cst = item.first("CST")
        marks = " ".join(p for p in pci.elements[1] if p) if pci and len(pci.elements) > 1 else ""
        return {
            "line": line,
            "description": description,
            "hs_code": cst.value(2) if cst else None,
            "packages": packages,
            "package_type": gid.value(2, 2),
            "gross_mass_kg": self.gross_mass(item),
            "container": sgp.value(1) if sgp else None,
            "marks": marks or None,
        }

    def digits(self, segment: Segment, element: str, value: str | None, what: str) -> int:
        if value is None:
            self.error(segment, element, "13", f"{segment.tag} lacks the {what}.")
            return 0
        if not (value.isascii() and value.isdigit()):
            self.error(
                segment,
                element,
                "37",
                f"The {what} {value!r} in segment "
                f"{segment.position} ({segment.tag}) is not a whole number: write digits "
                "only.",
            )
            return 0
        return int(value)

    def gross_mass(self, item: Occurrence) -> str:
        gid = item.head
        mea = next(
            (m for m in item.all("MEA") if m.value(1) == "AAE" and m.value(2) in ("G", "AAB")),
            None,
        )
        if mea is None:
            self.error(
                gid,
                None,
                "13",
                f"Goods item {gid.value(1) or '?'} has no MEA+AAE+G gross weight: give it in KGM.",
            )
            return "0"
        unit, value = mea.value(3) or "", mea.value(3, 2)
        if unit not in KILOGRAMS:
            self.error(
                mea,
                "3:1",
                "14",
                f"Unit {unit or '(none)'} is not a mass unit read here: use KGM, TNE or GRM.",
            )
            return "0"
        amount = decimal_of(value)
        if amount is None or amount < 0:
            self.error(
                mea, "3:2", "37" if value else "13", f"The gross weight {value!r} is not a number."
            )
            return "0"
        return plain(amount * KILOGRAMS[unit])


def _ports(occurrence: Occurrence) -> tuple[str | None, str | None]:
    """Ports of loading (9, else 5) and discharge (11, else 12) from an occurrence's LOC."""
    places = {loc.value(1): loc.value(2) for loc in reversed(occurrence.all("LOC"))}
    return places.get("9") or places.get("5"), places.get("11") or places.get("12")


def _party_name(nad: Segment) -> str | None:
    names = [p for p in (nad.elements[3] if len(nad.elements) > 3 else ()) if p]
    if not names and len(nad.elements) > 2:
        names = [p for p in nad.elements[2][:1] if p]
    return " ".join(names) or None


def _party(nad: Segment) -> dict[str, Any]:
    """A NAD as ``{"name", "identifier", "country", "address"}``."""
    street = [p for p in (nad.elements[4] if len(nad.elements) > 4 else ()) if p]
    lines = [p for p in (nad.elements[2][1:] if len(nad.elements) > 2 else ()) if p]
    place = " ".join(p for p in (nad.value(8), nad.value(6)) if p)
    address = ", ".join([*(street or lines), *([place] if place else [])])
    return {
        "name": _party_name(nad),
        "identifier": nad.value(2),
        "country": nad.value(9),
        "address": address or None,
    }
