"""The message envelope and the acknowledgement: building, reading and checking against the
XSDs in ``schemas/`` (one per message type). Pure: no session, no web.

>>> body = element("CertificateOfOrigin")
>>> message = build_message("m-1", "certificate-of-origin", "GB", "FR",
...                         datetime(2026, 12, 2, 9, 0, tzinfo=UTC), body)
>>> read_header(message).receiver
'FR'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from lxml import etree

NS = "urn:onewindow:exchange:1"
MESSAGE_TYPES = {
    "aeo-status-list": ("AeoStatusList", "AEO status list"),
    "certificate-of-origin": ("CertificateOfOrigin", "Certificate of origin"),
    "export-declaration": ("ExportDeclaration", "Export declaration data"),
}
"""Each message type: its body's root element and the label people see."""

_SCHEMAS = Path(__file__).parent / "schemas"
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


class SchemaRefused(Exception):
    """The XML is not well formed or does not meet its schema; the message says where."""


def q(name: str) -> str:
    """The qualified name of an element of our namespace."""
    return f"{{{NS}}}{name}"


def element(name: str, text: str | None = None, **attributes: str) -> etree._Element:
    made = etree.Element(q(name), nsmap={None: NS})
    if text is not None:
        made.text = text
    for key, value in attributes.items():
        made.set(key, value)
    return made


def child(parent: etree._Element, name: str, text: object | None = None) -> etree._Element:
    made = etree.SubElement(parent, q(name))
    if text is not None:
        made.text = str(text)
    return made


def timestamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def build_message(
    message_id: str,
    message_type: str,
    sender: str,
    receiver: str,
    created: datetime,
    body: etree._Element,
) -> etree._Element:
    """The unsigned envelope around ``body``."""
    root = element("Message")
    child(root, "MessageId", message_id)
    child(root, "Type", message_type)
    child(root, "Sender", sender)
    child(root, "Receiver", receiver)
    child(root, "Created", timestamp(created))
    child(root, "Body").append(body)
    return root


def build_acknowledgement(
    message_id: str, sender: str, receiver: str, message_digest: str, received: datetime
) -> etree._Element:
    """The unsigned acknowledgement of ``message_id`` (``sender`` is the acknowledging side)."""
    root = element("Acknowledgement")
    child(root, "MessageId", message_id)
    child(root, "Sender", sender)
    child(root, "Receiver", receiver)
    child(root, "Digest", message_digest)
    child(root, "Received", timestamp(received))
    child(root, "Outcome", "accepted")
    return root


def parse(data: bytes) -> etree._Element:
    """Read XML safely (no entities, no DTD, no network)."""
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SchemaRefused(f"the message is not well-formed XML: {exc}") from None


@dataclass(frozen=True)
class Header:
    message_id: str
    message_type: str
    sender: str
    receiver: str
    created: datetime


def _text(root: etree._Element, name: str) -> str:
    found = root.find(q(name))
    return (found.text or "").strip() if found is not None else ""


def read_header(root: etree._Element) -> Header:
    """The envelope's header fields (read before the schema check: they may be empty)."""
    created = _text(root, "Created")
    try:
        when = parse_timestamp(created) if created else datetime.min.replace(tzinfo=UTC)
    except ValueError:
        when = datetime.min.replace(tzinfo=UTC)
    return Header(
        _text(root, "MessageId"),
        _text(root, "Type"),
        _text(root, "Sender"),
        _text(root, "Receiver"),
        when,
    )


def body_of(root: etree._Element) -> etree._Element:
    """The message body's one element."""
    body = root.find(q("Body"))
    if body is None or len(body) != 1:
        raise SchemaRefused("/Message/Body: holds exactly one element")
    return body[0]


@cache
def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_SCHEMAS / f"{name}.xsd")))


def _check(schema: etree.XMLSchema, root: etree._Element, what: str) -> None:
    if schema.validate(root):
        return
    errors = [f"line {e.line}: {e.message}" for e in list(schema.error_log)[:3]]
    raise SchemaRefused(f"{what} does not meet its schema: " + "; ".join(errors))


def validate_message(root: etree._Element) -> None:
    """Check the envelope and its body against their schemas (:class:`SchemaRefused`)."""
    if root.tag != q("Message"):
        raise SchemaRefused(f"the root element is {root.tag}, not a Message of {NS}")
    _check(_schema("envelope"), root, "the envelope")
    header = read_header(root)
    body = body_of(root)
    expected = MESSAGE_TYPES[header.message_type][0]
    if body.tag != q(expected):
        raise SchemaRefused(f"a {header.message_type} message carries a {expected}")
    validate_body(header.message_type, body)


def validate_body(message_type: str, body: etree._Element) -> None:
    """Check one body against its type's schema."""
    if message_type not in MESSAGE_TYPES:
        raise SchemaRefused(f"{message_type!r} is not a known message type")
    _check(_schema(message_type), body, f"the {message_type} body")


def validate_acknowledgement(root: etree._Element) -> None:
    if root.tag != q("Acknowledgement"):
        raise SchemaRefused("the answer is not an Acknowledgement")
    _check(_schema("envelope"), root, "the acknowledgement")
