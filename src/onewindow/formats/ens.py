"""Entry summary declarations (ICS ``CC315A``): schema, business rules, and what cargo needs.

:func:`check_entry_summary` is pure (no database, no web) and answers with an
:class:`EnsResult`: accepted or not, every error at once, and for an accepted message the
:class:`EntrySummary` the cargo domain keeps.

Checks, in order, each only when the one before passed (as the published reference does):

1. Well-formed XML, at most :data:`MAX_MESSAGE_BYTES`, without a DOCTYPE, read by a parser that
   never resolves entities nor touches the network. A failure gives one error, code
   :data:`MALFORMED`.
2. The ``CC315A`` schema of the rule set's ``xsds/`` folder, compiled once per folder and read
   from disk only. Each schema error has code :data:`SCHEMA_ERROR`, the offending element's
   location (``/ie:CC315A[1]/HEAHEA[1]/TotGroMasHEA307[1]``) and the parser's message as a
   sentence.
3. The business rules the rule set's ``rules/businessRules315.txt`` names, in order, evaluated by
   :mod:`onewindow.formats.ens_rules` with the message root written ``/ie:CC315A``. Each error
   has the rule's code, its message and location as that module describes.

A message may arrive bare (``ie:CC315A`` as the root element) or in a SOAP envelope: the first
element in the envelope's ``Body`` is the message, checked as if it came bare.

The rule set is configuration (``ONEWINDOW_ENS_RULES_DIR``): a folder with ``xsds/`` (the schema
``CC315A-*.xsd``; when there are variants, the one with the shortest name) and ``rules/``.
Nothing here knows a rule: a country changes its rules by pointing the setting at its own folder.

Summary, ``CC315A`` element to :class:`EntrySummary` field:

* ``HEAHEA``: ``RefNumHEA4`` (the LRN) to ``lrn``; ``TraModAtBorHEA76`` to
  ``transport_mode``; ``IdeOfMeaOfTraCroHEA85`` (IMO number, flight number, registration) and
  ``NatOfMeaOfTraCroHEA87`` to ``transport_identity`` and ``transport_nationality``;
  ``ConRefNumHEA`` to ``conveyance_reference``; ``TotGroMasHEA307`` to ``total_gross_mass``.
* ``CUSOFFFENT730``: ``RefNumCUSOFFFENT731`` (office of first entry) to ``first_entry_office``;
  ``ExpDatOfArrFIRENT733`` (``YYYYMMDDhhmm``) to ``expected_arrival``.
* ``TRACARENT601`` (the carrier) to ``carrier``; ``PERLODSUMDEC`` (the person lodging) to
  ``declarant``; ``ITI/CouOfRouCodITI1`` to ``itinerary``; ``SEAID529/SeaIdSEAID530`` to
  ``seals``.
* ``GOOITEGDS`` to ``items``: ``IteNumGDS7``, ``COMCODGODITM/ComNomCMD1``, ``GooDesGDS23``,
  ``GroMasGDS46`` (kg), ``PACGS2`` (kind, packages or pieces, marks), ``PRODOCDC2`` (type and
  reference of each produced document, the transport documents), ``CONNR2/ConNumNR21``
  (containers), ``IDEMEATRAGI970`` (the item's own means of transport), and the item's consignor
  (``TRACONCO2``) and consignee (``TRACONCE2``), else those of the header (``TRACONCO1``,
  ``TRACONCE1``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from lxml import etree

from onewindow.config import get_settings
from onewindow.formats import ens_rules

__all__ = [
    "MALFORMED",
    "MAX_MESSAGE_BYTES",
    "SCHEMA_ERROR",
    "EnsError",
    "EnsResult",
    "EntrySummary",
    "GoodsItem",
    "Package",
    "Party",
    "check_entry_summary",
    "default_rule_set",
]

MESSAGE = "CC315A"
"""The message's root element (local name)."""
RULE_LIST = "businessRules315.txt"
"""The list, in the rule set's ``rules/``, of the rule files that apply to a ``CC315A``."""
RULE_BASE = "/ie:CC315A"
"""The message root as rule locations write it."""
MALFORMED = "malformed"
"""Code of the error for a message that is not well-formed XML (or too big, or has a DOCTYPE)."""
SCHEMA_ERROR = "schema"
"""Code of the errors the schema finds."""
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
"""The largest message read."""


@dataclass(frozen=True, slots=True)
class EnsError:
    """One error: its code, where (an XPath with indices) and what, as a sentence."""

    code: str
    location: str
    text: str


@dataclass(slots=True)
class Party:
    """A trader: name, identification number (TIN/EORI), country, when given."""

    name: str | None = None
    identifier: str | None = None
    country: str | None = None


@dataclass(slots=True)
class Package:
    """Packages of an item: kind (UN/ECE rec. 21), number of packages or pieces, marks."""

    kind: str | None = None
    number: int | None = None
    marks: str | None = None


@dataclass(slots=True)
class GoodsItem:
    """A goods item of the declaration."""

    item_number: int
    description: str | None = None
    commodity_code: str | None = None
    gross_mass: Decimal | None = None
    packages: list[Package] = field(default_factory=list)
    consignor: Party | None = None
    consignee: Party | None = None
    transport_documents: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)
    transport_identities: list[str] = field(default_factory=list)


@dataclass(slots=True)
class EntrySummary:
    """What the cargo domain needs from an accepted entry summary declaration."""

    lrn: str
    transport_mode: str | None = None
    transport_identity: str | None = None
    transport_nationality: str | None = None
    conveyance_reference: str | None = None
    first_entry_office: str | None = None
    expected_arrival: datetime | None = None
    total_gross_mass: Decimal | None = None
    carrier: Party | None = None
    declarant: Party | None = None
    items: list[GoodsItem] = field(default_factory=list)
    seals: list[str] = field(default_factory=list)
    itinerary: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EnsResult:
    """The outcome: accepted with a summary, or refused with every error found."""

    accepted: bool
    errors: list[EnsError]
    summary: EntrySummary | None = None


def default_rule_set() -> Path:
    """The rule set folder the settings name (``ONEWINDOW_ENS_RULES_DIR``)."""
    return get_settings().ens_rules_dir


# --------------------------------------------------------------------------- parsing


class _Refused(Exception):
    def __init__(self, error: EnsError) -> None:
        super().__init__(error.text)
        self.error = error


def _parser() -> etree.XMLParser:
    """A parser that never expands entities, reads a DTD or touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _malformed(text: str) -> _Refused:
    return _Refused(EnsError(MALFORMED, "/", text))


def _parse(data: bytes) -> etree._Element:
    if len(data) > MAX_MESSAGE_BYTES:
        raise _malformed(f"The message is larger than {MAX_MESSAGE_BYTES} bytes.")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        raise _malformed(f"The message is not well-formed XML: {exc.msg}.") from None
    except ValueError as exc:
        raise _malformed(f"The message cannot be read as XML: {exc}.") from None
    if tree.docinfo.doctype:
        raise _malformed("The message must not have a DOCTYPE declaration.")
    return _unwrap(tree.getroot())


def _local(element: etree._Element) -> str:
    return str(element.tag).rpartition("}")[2]


def _unwrap(root: etree._Element) -> etree._Element:
    """The message: the root, or the first element in an envelope's ``Body``."""
    if _local(root) != "Envelope":
        return root
    for child in root:
        if isinstance(child.tag, str) and _local(child) == "Body":
            for message in child:
                if isinstance(message.tag, str):
                    copy = etree.fromstring(etree.tostring(message), _parser())
                    return copy
    raise _malformed("The envelope has no message in its Body.")


# --------------------------------------------------------------------------- schema

_SCHEMA_LOCK = threading.Lock()


def _schema_file(folder: Path) -> Path:
    candidates = sorted(
        (folder / "xsds").glob(f"{MESSAGE}*.xsd"), key=lambda p: (len(p.name), p.name)
    )
    if not candidates:
        raise ens_rules.RuleSetError(f"no {MESSAGE} schema in {folder / 'xsds'}")
    return candidates[0]


@lru_cache(maxsize=8)
def _schema(folder: Path) -> etree.XMLSchema:
    path = _schema_file(folder)
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    try:
        return etree.XMLSchema(etree.parse(str(path), parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        raise ens_rules.RuleSetError(f"schema {path} cannot be read: {exc}") from None


def _step(element: etree._Element) -> str:
    name = _local(element)
    qualified = f"{element.prefix}:{name}" if element.prefix else name
    parent = element.getparent()
    if parent is None:
        return f"{qualified}[1]"
    same = [c for c in parent if c.tag == element.tag]
    return f"{qualified}[{same.index(element) + 1}]"


def location_of(element: etree._Element) -> str:
    """The element's XPath with every step indexed (``/ie:CC315A[1]/GOOITEGDS[2]``)."""
    steps = [_step(e) for e in [element, *element.iterancestors()]]
    return "/" + "/".join(reversed(steps))


_FACET = re.compile(r"\[facet '[^']*'\] ")
_QNAME = re.compile(r"\{[^{}\s]*:[^{}\s]*\}")


def sentence(message: str) -> str:
    """A libxml2 schema message as a sentence: names without namespaces, ends with a period."""
    text = _QNAME.sub("", message)
    text = re.sub(r"^Element '([^']*)': ", r"\1: ", text)
    text = _FACET.sub("", text).strip()
    return text if text.endswith(".") else text + "."


def _schema_errors(message: etree._Element, folder: Path) -> list[EnsError]:
    schema = _schema(folder)
    with _SCHEMA_LOCK:
        valid = schema.validate(message)
        log = list(schema.error_log)
    if valid:
        return []
    tree = message.getroottree()
    by_path = {tree.getpath(e): e for e in message.iter() if isinstance(e.tag, str)}
    errors = []
    for entry in log:
        element = by_path.get(entry.path or "")
        where = location_of(element) if element is not None else (entry.path or "/")
        errors.append(EnsError(SCHEMA_ERROR, where, sentence(entry.message)))
    return errors


# --------------------------------------------------------------------------- summary


def _text(parent: etree._Element, path: str) -> str | None:
    found = parent.find(path)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


def _texts(parent: etree._Element, path: str) -> list[str]:
    return [e.text.strip() for e in parent.findall(path) if e.text and e.text.strip()]


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value is not None else None
    except InvalidOperation:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y%m%d%H%M")
    except ValueError:
        return None


def _party(element: etree._Element | None, name: str, tin: str, country: str) -> Party | None:
    if element is None:
        return None
    return Party(_text(element, name), _text(element, tin), _text(element, country))


def _packages(item: etree._Element) -> list[Package]:
    packages = []
    for pack in item.findall("PACGS2"):
        number = _int(_text(pack, "NumOfPacGS24")) or _int(_text(pack, "NumOfPieGS25"))
        packages.append(
            Package(_text(pack, "KinOfPacGS23"), number, _text(pack, "MarNumOfPacGSL21"))
        )
    return packages


def _documents(item: etree._Element) -> list[str]:
    documents = []
    for doc in item.findall("PRODOCDC2"):
        kind, reference = _text(doc, "DocTypDC21"), _text(doc, "DocRefDC23")
        if reference:
            documents.append(f"{kind} {reference}" if kind else reference)
    return documents


def _item(item: etree._Element, message: etree._Element) -> GoodsItem:
    consignor = item.find("TRACONCO2")
    consignee = item.find("TRACONCE2")
    return GoodsItem(
        item_number=_int(_text(item, "IteNumGDS7")) or 0,
        description=_text(item, "GooDesGDS23"),
        commodity_code=_text(item, "COMCODGODITM/ComNomCMD1"),
        gross_mass=_decimal(_text(item, "GroMasGDS46")),
        packages=_packages(item),
        consignor=_party(consignor, "NamCO27", "TINCO259", "CouCO225")
        if consignor is not None
        else _party(message.find("TRACONCO1"), "NamCO17", "TINCO159", "CouCO125"),
        consignee=_party(consignee, "NamCE27", "TINCE259", "CouCE225")
        if consignee is not None
        else _party(message.find("TRACONCE1"), "NamCE17", "TINCE159", "CouCE125"),
        transport_documents=_documents(item),
        containers=_texts(item, "CONNR2/ConNumNR21"),
        transport_identities=_texts(item, "IDEMEATRAGI970/IdeMeaTraGIMEATRA971"),
    )


def summarise(message: etree._Element) -> EntrySummary:
    """Read the :class:`EntrySummary` of a schema-valid ``CC315A`` message."""
    return EntrySummary(
        lrn=_text(message, "HEAHEA/RefNumHEA4") or "",
        transport_mode=_text(message, "HEAHEA/TraModAtBorHEA76"),
        transport_identity=_text(message, "HEAHEA/IdeOfMeaOfTraCroHEA85"),
        transport_nationality=_text(message, "HEAHEA/NatOfMeaOfTraCroHEA87"),
        conveyance_reference=_text(message, "HEAHEA/ConRefNumHEA"),
        first_entry_office=_text(message, "CUSOFFFENT730/RefNumCUSOFFFENT731"),
        expected_arrival=_moment(_text(message, "CUSOFFFENT730/ExpDatOfArrFIRENT733")),
        total_gross_mass=_decimal(_text(message, "HEAHEA/TotGroMasHEA307")),
        carrier=_party(
            message.find("TRACARENT601"), "NamTRACARENT604", "TINTRACARENT602", "CouCodTRACARENT605"
        ),
        declarant=_party(message.find("PERLODSUMDEC"), "NamPLD1", "TINPLD1", "CouCodPLD1"),
        items=[_item(item, message) for item in message.findall("GOOITEGDS")],
        seals=_texts(message, "SEAID529/SeaIdSEAID530"),
        itinerary=_texts(message, "ITI/CouOfRouCodITI1"),
    )


# --------------------------------------------------------------------------- the check


def _rule_errors(message: etree._Element, folder: Path) -> list[EnsError]:
    rule_set = ens_rules.load_rule_set(folder, RULE_LIST)
    found = ens_rules.evaluate_rules(rule_set, message, RULE_BASE)
    return [EnsError(e.code, e.location, e.text) for e in found]


def check_entry_summary(xml: bytes, rule_set: Path | None = None) -> EnsResult:
    """Check an entry summary declaration: well-formedness, schema, then business rules.

    ``rule_set`` is the folder with ``xsds/`` and ``rules/``; by default the settings'
    ``ens_rules_dir``. A rule set that cannot be read raises
    :class:`~onewindow.formats.ens_rules.RuleSetError` (a configuration fault, not the
    message's).
    """
    folder = (rule_set or default_rule_set()).resolve()
    try:
        message = _parse(xml)
    except _Refused as refused:
        return EnsResult(False, [refused.error])
    if _local(message) != MESSAGE:
        text = f"The message's root element is {_local(message)}, not {MESSAGE}."
        return EnsResult(False, [EnsError(SCHEMA_ERROR, location_of(message), text)])
    errors = _schema_errors(message, folder) or _rule_errors(message, folder)
    if errors:
        return EnsResult(False, errors)
    return EnsResult(True, [], summarise(message))
