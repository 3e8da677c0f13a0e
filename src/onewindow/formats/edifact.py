"""UN/EDIFACT interchanges (ISO 9735, syntax versions 1 to 4): reading, checking, writing.

Every EDIFACT message the single window takes or gives (CUSCAR manifests, CUSDEC declarations,
CUSRES responses, CONTRL reports) travels inside the envelope this module checks. Three promises,
all pure (no database, no web):

* :func:`parse_interchange` reads an interchange (bytes or text) into an :class:`Interchange` and
  a list of :class:`EdifactError`. Segments are tokenised by ``pydifact``; the checks are ours:

  - size: at most ``max_bytes`` bytes and ``max_segments`` segments;
  - the service string advice ``UNA`` (optional; six distinct service characters);
  - the character repertoire of the syntax identifier in ``UNB`` (``UNOA`` upper case letters,
    digits and the level A punctuation; ``UNOB`` printable ASCII; ``UNOC`` to ``UNOF`` the
    printable characters of ISO 8859-1, -2, -5 and -7; ``UNOW`` UTF-8): the first character
    outside it is refused with its offset and segment position. Line breaks are allowed only
    right after a segment terminator;
  - the envelope: ``UNB``/``UNZ`` (count of messages, or of groups when there are groups, and the
    interchange control reference), ``UNG``/``UNE`` (count and group reference), ``UNH``/``UNT``
    (segment count, ``UNH`` and ``UNT`` included, and message reference), duplicate message
    references, segments outside a message, an interchange without messages, the test
    indicator (refused unless ``accept_test``).

  An interchange whose ``UNB`` could be read comes back even when there are errors, so that
  :func:`contrl_report` can answer it; callers act on it only when the error list is empty.
* :func:`contrl_report` writes the CONTRL syntax and service report (``CONTRL:D:3:UN``) that
  answers an interchange: ``UCI`` with action 7 (acknowledged) or 4 (rejected) and the
  interchange-level error, one ``UCM`` per message (inside a ``UCF`` per group), ``UCS`` with the
  segment's position in the message body (``UNH`` is 1) and ``UCD`` with the data element's
  position (``3`` or ``3:2``, element then component).
* :func:`write_interchange` builds an interchange from message bodies: ``UNA``, ``UNB``, each
  message between ``UNH`` and ``UNT`` with its segment count, ``UNZ``; values are escaped with
  the release character ``?``, trailing empty elements and components dropped.

Errors carry the UN/EDIFACT syntax error code (service code list 0085) that CONTRL reports:

====  ==========================================================================================
code  used for
====  ==========================================================================================
2     syntax identifier or version this module does not know
12    a value that is not valid (a date, a control reference, a full/empty indicator)
13    a mandatory segment or data element missing (``UNZ``, ``UNT``, ``BGM``, ...)
14    a valid code this single window does not take in that position
15    a segment not allowed where it stands
18    size limits, and anything else without a code of its own
20    a character advised in ``UNA`` that cannot be a service character
21    a character outside the declared repertoire
25    a test interchange where none is accepted
26    a message reference used twice in the interchange
28    trailer references that do not match their header (``UNT``/``UNH``, ``UNZ``/``UNB``, ...)
29    control counts that do not match what was received
30    groups and messages mixed at the same level
32    an interchange or group without messages
33    a segment outside any message or group
35    a segment repeated more times than the message allows
36    a segment group repeated more times than the message allows
37    letters where digits are required (a number of packages)
====  ==========================================================================================

``segment_position`` counts the interchange's segments from ``UNB`` (1); ``UNA`` is not a
segment. ``element`` is the data element's position in the segment (1 is the first after the
tag), with ``:`` and the component's position for a component of a composite.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from pydifact.control import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser
from pydifact.segments import Segment as PydifactSegment
from pydifact.serializer import Serializer
from pydifact.tokenizer import Tokenizer

__all__ = [
    "MAX_INTERCHANGE_BYTES",
    "MAX_SEGMENTS",
    "SYNTAX_IDENTIFIERS",
    "EdifactError",
    "Element",
    "Interchange",
    "Message",
    "OutgoingMessage",
    "Segment",
    "Separators",
    "contrl_report",
    "decimal_of",
    "parse_interchange",
    "plain",
    "write_interchange",
]

MAX_INTERCHANGE_BYTES = 16 * 1024 * 1024
"""Largest interchange read, in bytes: a 2,000-line manifest is about half a megabyte."""

MAX_SEGMENTS = 250_000
"""Most segments read from one interchange."""

_LEVEL_A = "A-Z0-9 .,\\-()/='+:?!\"%&*;<>"

SYNTAX_IDENTIFIERS: dict[str, str] = {
    "UNOA": "ascii",
    "UNOB": "ascii",
    "UNOC": "latin-1",
    "UNOD": "iso8859-2",
    "UNOE": "iso8859-5",
    "UNOF": "iso8859-7",
    "UNOW": "utf-8",
}
"""The syntax identifiers (``UNB`` 0001) read here and the character encoding of each."""

_REPERTOIRE_HINT = {
    "UNOA": "upper case letters, digits, space and . , - ( ) / = ' + : ? ! \" % & * ; < >",
    "UNOB": "printable ASCII characters",
}

_TAG = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_DIGITS = re.compile(r"^\d+$")


@dataclass(frozen=True)
class EdifactError:
    """One error: where (segment position and tag, data element), the 0085 code, and a sentence
    that says what is wrong and what to do about it."""

    segment_position: int
    segment_tag: str
    element: str | None
    code: str
    text: str


@dataclass(frozen=True)
class Separators:
    """The service characters: from ``UNA`` when there is one, else ISO 9735's defaults."""

    component: str = ":"
    data: str = "+"
    decimal: str = "."
    release: str = "?"
    reserved: str = " "
    terminator: str = "'"

    def characters(self) -> Characters:
        """The same characters as pydifact holds them."""
        return Characters(
            component_separator=self.component,
            data_separator=self.data,
            decimal_point=self.decimal,
            escape_character=self.release,
            reserved=self.reserved,
            segment_terminator=self.terminator,
        )


@dataclass(frozen=True, slots=True)
class Segment:
    """A segment as received: its tag, its data elements (each a tuple of components; a simple
    data element is a one-component tuple) and its position in the interchange (``UNB`` is 1)."""

    tag: str
    elements: tuple[tuple[str, ...], ...]
    position: int

    def value(self, element: int, component: int = 1) -> str | None:
        """The component at 1-based ``element``/``component``, or None when absent or empty.

        >>> Segment("LOC", (("9",), ("NLRTM", "139", "6")), 5).value(2, 3)
        '6'
        >>> Segment("LOC", (("9",),), 5).value(2) is None
        True
        """
        if element > len(self.elements):
            return None
        parts = self.elements[element - 1]
        if component > len(parts):
            return None
        return parts[component - 1] or None


@dataclass
class Message:
    """A message between its ``UNH`` and ``UNT``, both included in ``segments``."""

    reference: str
    type: str
    version: str
    release: str
    agency: str
    segments: list[Segment]
    group: str | None = None

    @property
    def identifier(self) -> str:
        """``CUSCAR:D:95B:UN`` style."""
        return f"{self.type}:{self.version}:{self.release}:{self.agency}"

    def body_position(self, segment: Segment) -> int:
        """The segment's position in the message body, as CONTRL counts it (``UNH`` is 1)."""
        return segment.position - self.segments[0].position + 1


@dataclass
class Interchange:
    """The ``UNB`` header's data, the service characters and the messages received whole."""

    syntax_identifier: str
    syntax_version: str
    sender: str
    sender_qualifier: str | None
    recipient: str
    recipient_qualifier: str | None
    prepared: str
    control_reference: str
    test: bool
    separators: Separators
    messages: list[Message] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    segment_count: int = 0


# Reading -------------------------------------------------------------------------------------


def parse_interchange(
    data: bytes | str,
    *,
    max_bytes: int = MAX_INTERCHANGE_BYTES,
    max_segments: int = MAX_SEGMENTS,
    accept_test: bool = False,
) -> tuple[Interchange | None, list[EdifactError]]:
    """Read and check an interchange; see the module docstring for what is checked.

    Returns the interchange (None when not even its ``UNB`` could be read) and every error found.
    """
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8"))
    if size > max_bytes:
        return None, [
            _error(
                0,
                "",
                None,
                "18",
                f"The interchange is {size} bytes, over the limit of {max_bytes} bytes: "
                "send the messages in several smaller interchanges.",
            )
        ]
    if not size:
        return None, [_error(1, "UNB", None, "13", "The interchange is empty: send one.")]
    text, problem = _decode(data)
    if problem is not None:
        return None, [problem]
    separators, body, problem = _service_string_advice(text)
    if problem is not None:
        return None, [problem]
    segments, problems = _tokenise(body, separators, max_segments)
    if not segments or segments[0].tag != "UNB":
        tag = segments[0].tag if segments else ""
        return None, [
            *problems,
            _error(
                1,
                tag,
                None,
                "13",
                "The interchange does not begin with a UNB interchange header "
                f"(found {tag or 'nothing'}): start it with UNB (after UNA, if any).",
            ),
        ]
    interchange, header_problems = _header(segments[0], separators, accept_test)
    interchange.segment_count = len(segments)
    if interchange.syntax_identifier in SYNTAX_IDENTIFIERS:
        outside = _outside_repertoire(body, interchange.syntax_identifier, separators)
        if outside is not None:
            return interchange, [outside]
    if problems:
        return interchange, header_problems + problems
    return interchange, header_problems + _envelope(interchange, segments)


def _error(position: int, tag: str, element: str | None, code: str, text: str) -> EdifactError:
    return EdifactError(position, tag, element, code, text)


_UNB_SNIFF = re.compile(rb"UNB.(UNO[A-Z])")


def _decode(data: bytes | str) -> tuple[str, EdifactError | None]:
    """Text in the encoding that the ``UNB`` syntax identifier names (ISO 8859-1 when unknown)."""
    if isinstance(data, str):
        return data, None
    sniffed = _UNB_SNIFF.search(data[:512])
    syntax = sniffed.group(1).decode("ascii") if sniffed else "UNOC"
    encoding = SYNTAX_IDENTIFIERS.get(syntax, "latin-1")
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as error:
        prefix = data[: error.start].decode(encoding, errors="replace")
        if prefix.startswith("UNA"):
            prefix = prefix[9:].lstrip("\r\n")  # UNA is not a segment
        position, tag = _segment_at(prefix, Separators())
        byte = data[error.start]
        return "", _error(
            position,
            tag,
            None,
            "21",
            f"Byte 0x{byte:02X} at offset {error.start} is not a {syntax} character "
            f"({encoding}): remove it, or declare the syntax identifier of the character set "
            "the interchange is written in.",
        )


def _service_string_advice(text: str) -> tuple[Separators, str, EdifactError | None]:
    """The separators of ``UNA``, and the text after it."""
    if not text.startswith("UNA"):
        return Separators(), text, None
    advice = text[3:9]
    if len(advice) < 6:
        return (
            Separators(),
            "",
            _error(
                0,
                "UNA",
                None,
                "13",
                "The UNA service string advice is cut short: it needs six "
                "characters after UNA (for instance UNA:+.? ').",
            ),
        )
    component, data, decimal, release, reserved, terminator = tuple(advice)
    used = [component, data, release, terminator]
    if len(set(used)) < 4 or any(c.isalnum() for c in used) or decimal not in ".,":
        return (
            Separators(),
            "",
            _error(
                0,
                "UNA",
                None,
                "20",
                f"The UNA service string advice {advice!r} is not usable: the component and data "
                "separators, release character and segment terminator must be four different "
                "characters that are neither letters nor digits, and the decimal mark . or ,.",
            ),
        )
    separators = Separators(component, data, decimal, release, reserved, terminator)
    return separators, text[9:].lstrip("\r\n"), None


def _tokenise(
    body: str, separators: Separators, max_segments: int
) -> tuple[list[Segment], list[EdifactError]]:
    """Segments by pydifact's tokeniser, each with its position; errors when cut short."""
    segments: list[Segment] = []
    tokens = Tokenizer().get_tokens(body, separators.characters())
    raw = Parser().convert_tokens_to_raw_segments(tokens)
    try:
        for elements in raw:
            if len(segments) >= max_segments:
                return segments, [
                    _error(
                        len(segments) + 1,
                        "",
                        None,
                        "18",
                        f"The interchange has more than {max_segments} segments: send the "
                        "messages in several smaller interchanges.",
                    )
                ]
            segments.append(_segment(elements, len(segments) + 1))
    except EDISyntaxError:
        return segments, [_cut_short(body, segments, separators)]
    if not _ends_with_terminator(body, separators):
        return segments, [_cut_short(body, segments, separators)]
    return segments, []


def _segment(elements: list[str | list[str]], position: int) -> Segment:
    head, *rest = elements
    tag = head if isinstance(head, str) else ":".join(head)
    parts = tuple((e,) if isinstance(e, str) else tuple(e) for e in rest)
    return Segment(tag.strip(), parts, position)


def _ends_with_terminator(body: str, separators: Separators) -> bool:
    trimmed = body.rstrip("\r\n ")
    if not trimmed.endswith(separators.terminator):
        return False
    releases = len(trimmed[:-1]) - len(trimmed[:-1].rstrip(separators.release))
    return releases % 2 == 0


def _cut_short(body: str, segments: list[Segment], separators: Separators) -> EdifactError:
    last = _segment_at(body, separators)[1]
    return _error(
        len(segments) + 1,
        last or "UNZ",
        None,
        "13",
        f"The interchange is cut short: it ends inside segment {len(segments) + 1} "
        f"({last or 'unknown'}) without its segment terminator, so the rest of the interchange "
        "is missing; send the whole interchange again.",
    )


def _segment_at(prefix: str, separators: Separators) -> tuple[int, str]:
    """Position and tag of the segment that the end of ``prefix`` lies in."""
    pattern = re.compile(f"{re.escape(separators.release)}.|{re.escape(separators.terminator)}")
    count, start = 0, 0
    for match in pattern.finditer(prefix):
        if match.group() == separators.terminator:
            count, start = count + 1, match.end()
    tag = prefix[start:].lstrip("\r\n ")[:3]
    return count + 1, tag


def _header(
    unb: Segment, separators: Separators, accept_test: bool
) -> tuple[Interchange, list[EdifactError]]:
    """The ``UNB`` header's data, with its errors."""
    problems: list[EdifactError] = []
    syntax = unb.value(1) or ""
    version = unb.value(1, 2) or ""
    interchange = Interchange(
        syntax_identifier=syntax,
        syntax_version=version,
        sender=unb.value(2) or "",
        sender_qualifier=unb.value(2, 2),
        recipient=unb.value(3) or "",
        recipient_qualifier=unb.value(3, 2),
        prepared=":".join(p for p in (unb.value(4), unb.value(4, 2)) if p),
        control_reference=unb.value(5) or "",
        test=unb.value(11) == "1",
        separators=separators,
    )

    def add(element: str, code: str, text: str) -> None:
        problems.append(_error(unb.position, "UNB", element, code, text))

    if syntax not in SYNTAX_IDENTIFIERS:
        known = ", ".join(SYNTAX_IDENTIFIERS)
        add(
            "1:1",
            "2",
            f"The syntax identifier {syntax or '(none)'} is not one read here "
            f"({known}): declare the character set the interchange is written in.",
        )
    if version not in ("1", "2", "3", "4"):
        add("1:2", "2", f"The syntax version {version or '(none)'} is not 1, 2, 3 or 4.")
    for element, value, what in (
        ("2:1", interchange.sender, "the interchange sender identification"),
        ("3:1", interchange.recipient, "the interchange recipient identification"),
        ("5", interchange.control_reference, "the interchange control reference"),
    ):
        if not value:
            add(element, "13", f"UNB lacks {what}: fill it in.")
    if len(interchange.control_reference) > 14:
        add("5", "12", "The interchange control reference is longer than 14 characters.")
    date, time = unb.value(4) or "", unb.value(4, 2) or ""
    if not re.fullmatch(r"\d{6}|\d{8}", date) or not re.fullmatch(r"\d{4}", time):
        add(
            "4",
            "12",
            f"The date and time of preparation {date}:{time} is not YYMMDD (or CCYYMMDD) and HHMM.",
        )
    if interchange.test and not accept_test:
        add(
            "11",
            "25",
            "The interchange is marked as a test (UNB test indicator 1), and this "
            "single window takes live interchanges only: send it to the test service, or "
            "without the test indicator.",
        )
    return interchange, problems


def _outside_repertoire(body: str, syntax: str, separators: Separators) -> EdifactError | None:
    """The first character that the syntax identifier's repertoire lacks, as an error."""
    offset = _first_outside(body, syntax, separators)
    if offset is None:
        return None
    char = body[offset]
    position, tag = _segment_at(body[:offset], separators)
    if char in "\r\n":
        return _error(
            position,
            tag,
            None,
            "21",
            f"A line break at offset {offset} stands "
            "inside a segment: line breaks may only follow a segment terminator.",
        )
    hint = _REPERTOIRE_HINT.get(syntax, f"characters of {SYNTAX_IDENTIFIERS[syntax]}")
    return _error(
        position,
        tag,
        None,
        "21",
        f"The character {char!r} (U+{ord(char):04X}) at offset {offset} is outside the "
        f"{syntax} repertoire that UNB declares ({hint}): replace it, or declare a syntax "
        "identifier whose character set has it.",
    )


_CONTROL = "\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f"


def _first_outside(body: str, syntax: str, separators: Separators) -> int | None:
    if syntax == "UNOA":
        pattern = f"[^{_LEVEL_A}\r\n]"
    elif syntax == "UNOB":
        pattern = "[^\x20-\x7e\r\n]"
    else:
        pattern = f"[{_CONTROL}]"
    found = re.search(pattern, body)
    offset = found.start() if found else None
    encoding = SYNTAX_IDENTIFIERS[syntax]
    if encoding not in ("ascii", "utf-8"):
        try:
            body.encode(encoding)
        except UnicodeEncodeError as error:
            offset = error.start if offset is None else min(offset, error.start)
    term = re.escape(separators.terminator)
    stray = re.search(f"(?<![\r\n{term}])[\r\n]", body)
    if stray is not None and (offset is None or stray.start() < offset):
        offset = stray.start()
    return offset


def _envelope(interchange: Interchange, segments: list[Segment]) -> list[EdifactError]:
    """Walk UNB ... UNZ: groups, messages, their control counts and references."""
    walk = _Walk(interchange)
    trailer = segments[-1] if segments[-1].tag == "UNZ" and len(segments) > 1 else None
    for segment in segments[1 : len(segments) - (1 if trailer else 0)]:
        walk.take(segment)
    end = trailer.position if trailer else len(segments) + 1
    walk.finish(end)
    if trailer is None:
        walk.problems.append(
            _error(
                end,
                "UNZ",
                None,
                "13",
                "The interchange has no UNZ "
                "trailer: end it with UNZ, its count and control reference.",
            )
        )
    else:
        walk.check_trailer(trailer)
    return walk.problems


class _Walk:
    """The state of the envelope walk: the open group and message, what was counted."""

    def __init__(self, interchange: Interchange) -> None:
        self.interchange = interchange
        self.problems: list[EdifactError] = []
        self.group: Segment | None = None
        self.group_messages = 0
        self.message: list[Segment] | None = None
        self.loose_messages = 0
        self.references: set[str] = set()

    def add(self, segment: Segment, element: str | None, code: str, text: str) -> None:
        self.problems.append(_error(segment.position, segment.tag, element, code, text))

    def take(self, segment: Segment) -> None:
        handler = {
            "UNH": self.open_message,
            "UNT": self.close_message,
            "UNG": self.open_group,
            "UNE": self.close_group,
        }.get(segment.tag)
        if handler is not None:
            handler(segment)
        elif segment.tag in ("UNA", "UNB", "UNZ"):
            self.add(
                segment,
                None,
                "15",
                f"A {segment.tag} segment cannot stand inside an "
                "interchange: send each interchange separately.",
            )
        elif self.message is not None:
            self.message.append(segment)
        else:
            self.add(
                segment,
                None,
                "33",
                f"Segment {segment.tag} stands outside any message: "
                "put it between a UNH message header and its UNT trailer.",
            )

    def open_message(self, segment: Segment) -> None:
        if self.message is not None:
            self.missing_trailer(segment.position)
        if self.group is None and self.interchange.groups:
            self.add(
                segment,
                None,
                "30",
                "A message stands outside the functional groups of "
                "an interchange that has groups: put every message in a UNG ... UNE group.",
            )
        self.message = [segment]
        reference = segment.value(1)
        if reference is None:
            self.add(segment, "1", "13", "UNH lacks the message reference number: fill it in.")
        elif reference in self.references:
            self.add(
                segment,
                "1",
                "26",
                f"The message reference {reference} is used twice "
                "in this interchange: give each message its own reference.",
            )
        else:
            self.references.add(reference)
        for component, what in ((1, "type"), (2, "version"), (3, "release"), (4, "agency")):
            if segment.value(2, component) is None:
                self.add(
                    segment,
                    f"2:{component}",
                    "13",
                    f"UNH lacks the message {what} (for instance CUSCAR:D:95B:UN): fill it in.",
                )

    def missing_trailer(self, position: int) -> None:
        assert self.message is not None
        head = self.message[0]
        self.problems.append(
            _error(
                position,
                "UNT",
                None,
                "13",
                f"The message "
                f"{head.value(1) or ''} that begins at segment {head.position} has "
                "no UNT trailer: end each message with UNT before the next one.",
            )
        )
        self.message = None

    def close_message(self, segment: Segment) -> None:
        if self.message is None:
            self.add(
                segment,
                None,
                "33",
                "A UNT trailer stands outside any message: it has no UNH header before it.",
            )
            return
        segments = [*self.message, segment]
        self.message = None
        head = segments[0]
        count, reference = segment.value(1), segment.value(2)
        if count is None or not _DIGITS.match(count):
            self.add(
                segment,
                "1",
                "12" if count else "13",
                f"The UNT segment count "
                f"{count or '(none)'} is not a number: give the number of segments of the "
                "message, UNH and UNT included.",
            )
        elif int(count) != len(segments):
            self.add(
                segment,
                "1",
                "29",
                f"UNT says the message has {count} segments but "
                f"{len(segments)} were received (UNH and UNT included): correct the count, "
                "or send the segments that are missing.",
            )
        if reference != head.value(1):
            self.add(
                segment,
                "2",
                "28",
                f"The UNT message reference {reference or '(none)'} "
                f"does not match the UNH message reference {head.value(1) or '(none)'}: "
                "they must be the same.",
            )
        self.interchange.messages.append(
            Message(
                reference=head.value(1) or "",
                type=head.value(2) or "",
                version=head.value(2, 2) or "",
                release=head.value(2, 3) or "",
                agency=head.value(2, 4) or "",
                segments=segments,
                group=self.group.value(5) if self.group else None,
            )
        )
        if self.group is not None:
            self.group_messages += 1
        else:
            self.loose_messages += 1

    def open_group(self, segment: Segment) -> None:
        if self.message is not None:
            self.missing_trailer(segment.position)
        if self.group is not None:
            self.add(
                segment,
                None,
                "13",
                "The previous functional group has no UNE trailer: "
                "end each group with UNE before the next UNG.",
            )
        if self.loose_messages:
            self.add(
                segment,
                None,
                "30",
                "The interchange mixes functional groups and "
                "messages outside groups: put every message in a group, or use none.",
            )
        self.group, self.group_messages = segment, 0
        self.interchange.groups.append(segment.value(5) or "")

    def close_group(self, segment: Segment) -> None:
        if self.message is not None:
            self.missing_trailer(segment.position)
        if self.group is None:
            self.add(segment, None, "33", "A UNE trailer stands outside any functional group.")
            return
        count, reference = segment.value(1), segment.value(2)
        if count is None or not _DIGITS.match(count) or int(count) != self.group_messages:
            self.add(
                segment,
                "1",
                "29",
                f"UNE says the group has {count or '(none)'} messages "
                f"but {self.group_messages} were received: correct the count.",
            )
        if reference != self.group.value(5):
            self.add(
                segment,
                "2",
                "28",
                f"The UNE group reference {reference or '(none)'} "
                f"does not match the UNG group reference {self.group.value(5) or '(none)'}.",
            )
        if not self.group_messages:
            self.add(segment, None, "32", "The functional group holds no message.")
        self.group = None

    def finish(self, position: int) -> None:
        if self.message is not None:
            self.missing_trailer(position)
        if self.group is not None:
            self.problems.append(
                _error(
                    position,
                    "UNE",
                    None,
                    "13",
                    "The last functional group has no UNE trailer: end it with UNE.",
                )
            )

    def check_trailer(self, unz: Segment) -> None:
        groups = len(self.interchange.groups)
        expected = groups if groups else self.loose_messages
        what = "functional groups" if groups else "messages"
        count, reference = unz.value(1), unz.value(2)
        if count is None or not _DIGITS.match(count):
            self.add(
                unz,
                "1",
                "12" if count else "13",
                f"The UNZ interchange control count "
                f"{count or '(none)'} is not a number: give the number of {what}.",
            )
        elif int(count) != expected:
            self.add(
                unz,
                "1",
                "29",
                f"UNZ says the interchange has {count} {what} but "
                f"{expected} were received: correct the count, or send what is missing.",
            )
        if reference != self.interchange.control_reference:
            self.add(
                unz,
                "2",
                "28",
                f"The UNZ interchange control reference "
                f"{reference or '(none)'} does not match the UNB reference "
                f"{self.interchange.control_reference or '(none)'}: they must be the same.",
            )
        if not self.interchange.messages and not self.problems:
            self.add(unz, None, "32", "The interchange holds no message: send at least one.")


# Writing -------------------------------------------------------------------------------------

Element = str | Sequence[str] | None
"""A data element to write: a simple value, a composite's components, or None for empty."""


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to write: its reference, ``(type, version, release, agency)`` and the segments
    between ``UNH`` and ``UNT``, each a tag and its data elements."""

    reference: str
    identifier: tuple[str, str, str, str]
    segments: Sequence[tuple[str, Sequence[Element]]]


def write_interchange(
    messages: Sequence[OutgoingMessage],
    *,
    sender: str,
    recipient: str,
    control_reference: str,
    prepared: datetime | None = None,
    syntax: str = "UNOC",
    syntax_version: str = "3",
    sender_qualifier: str | None = None,
    recipient_qualifier: str | None = None,
    line_breaks: bool = False,
) -> str:
    """An interchange holding ``messages``, with ``UNA`` and correct counts and escaping.

    Raises ValueError when a value has a character outside the syntax identifier's repertoire.

    >>> message = OutgoingMessage("1", ("CUSRES", "D", "96B", "UN"), [("BGM", ["962", "A?1"])])
    >>> write_interchange([message], sender="GW", recipient="TR", control_reference="7",
    ...                   prepared=datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    "UNA:+.? 'UNB+UNOC:3+GW+TR+260301:0930+7'UNH+1+CUSRES:D:96B:UN'BGM+962+A??1'UNT+3+1'UNZ+1+7'"
    """
    when = (prepared or datetime.now(UTC)).astimezone(UTC)
    segments: list[tuple[str, Sequence[Element]]] = [
        (
            "UNB",
            [
                [syntax, syntax_version],
                [sender, sender_qualifier or ""],
                [recipient, recipient_qualifier or ""],
                [when.strftime("%y%m%d"), when.strftime("%H%M")],
                control_reference,
            ],
        )
    ]
    for message in messages:
        body = list(message.segments)
        segments.append(("UNH", [message.reference, list(message.identifier)]))
        segments.extend(body)
        segments.append(("UNT", [str(len(body) + 2), message.reference]))
    segments.append(("UNZ", [str(len(messages)), control_reference]))
    separators = Separators()
    text = Serializer(separators.characters()).serialize(
        [_pydifact_segment(tag, elements) for tag, elements in segments],
        with_una_header=True,
        break_lines=line_breaks,
    )
    if syntax in SYNTAX_IDENTIFIERS:
        offset = _first_outside(text[9:], syntax, separators)
        if offset is not None:
            raise ValueError(
                f"The character {text[9 + offset]!r} is outside the {syntax} repertoire."
            )
    return text


def _pydifact_segment(tag: str, elements: Sequence[Element]) -> PydifactSegment:
    values: list[str | list[str]] = []
    for element in elements:
        if element is None:
            values.append("")
        elif isinstance(element, str):
            values.append(element)
        else:
            parts = [part or "" for part in element]
            while parts and not parts[-1]:
                parts.pop()
            values.append(parts[0] if len(parts) == 1 else parts if parts else "")
    while values and values[-1] in ("", []):
        values.pop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return PydifactSegment(tag, *values)


# CONTRL --------------------------------------------------------------------------------------

ACKNOWLEDGED = "7"
REJECTED = "4"


def contrl_report(
    interchange: Interchange | None,
    errors: Sequence[EdifactError],
    *,
    our_id: str = "ONEWINDOW",
    control_reference: str = "1",
    prepared: datetime | None = None,
) -> str:
    """The CONTRL message (``CONTRL:D:3:UN``) answering ``interchange``, in an interchange from
    ``our_id`` back to its sender.

    Errors in a received message (found by its ``UNH`` ... ``UNT`` span) are reported under
    that message's ``UCM``: on ``UNH``/``UNT`` in the ``UCM`` itself, elsewhere as ``UCS`` (the
    position in the message body) and ``UCD`` (the element). Every other error is an interchange
    error: the first is reported in ``UCI``, which alone carries one. Action 4 rejects, 7
    acknowledges. When the ``UNB`` could not be read, the report goes to ``UNKNOWN``.
    """
    messages = interchange.messages if interchange else []
    by_message: dict[int, list[EdifactError]] = {i: [] for i in range(len(messages))}
    interchange_level: list[EdifactError] = []
    for error in errors:
        index = _message_of(messages, error.segment_position)
        if index is None:
            interchange_level.append(error)
        else:
            by_message[index].append(error)
    uci: list[Element] = [
        _safe(interchange.control_reference) if interchange else "",
        [_safe(interchange.sender), _safe(interchange.sender_qualifier)]
        if interchange
        else "UNKNOWN",
        [_safe(interchange.recipient), _safe(interchange.recipient_qualifier)]
        if interchange
        else our_id,
        REJECTED if interchange_level else ACKNOWLEDGED,
    ]
    if interchange_level:
        first = interchange_level[0]
        uci += [first.code, _tag(first.segment_tag), _element_id(first.element)]
    body: list[tuple[str, Sequence[Element]]] = [("UCI", uci)]
    current_group: str | None = None
    for index, message in enumerate(messages):
        if interchange and interchange.groups and message.group != current_group:
            current_group = message.group
            rejected = any(
                by_message[i] for i, m in enumerate(messages) if m.group == current_group
            )
            body.append(
                ("UCF", [current_group or "", None, None, REJECTED if rejected else ACKNOWLEDGED])
            )
        body.extend(_message_response(message, by_message[index]))
    reply = OutgoingMessage("1", ("CONTRL", "D", "3", "UN"), body)
    syntax = interchange.syntax_identifier if interchange else "UNOC"
    return write_interchange(
        [reply],
        sender=our_id,
        recipient=_safe(interchange.sender) if interchange and interchange.sender else "UNKNOWN",
        recipient_qualifier=_safe(interchange.sender_qualifier) or None if interchange else None,
        control_reference=control_reference,
        prepared=prepared,
        syntax=syntax if syntax in SYNTAX_IDENTIFIERS else "UNOC",
    )


_PLAIN = re.compile(r"[^A-Za-z0-9 .,\-/()]")


def _safe(value: str | None) -> str:
    """A value read from a refused interchange, reduced to characters every repertoire has
    (the report must be writable whatever the sender's bytes were)."""
    return _PLAIN.sub("?", value or "")[:35]


def _tag(tag: str | None) -> str | None:
    """A segment tag as it may be reported: three letters, or none."""
    return tag if tag and re.fullmatch(r"[A-Z]{3}", tag) else None


def _message_of(messages: Sequence[Message], position: int) -> int | None:
    for index, message in enumerate(messages):
        if message.segments[0].position <= position <= message.segments[-1].position:
            return index
    return None


def _element_id(element: str | None) -> list[str] | None:
    """S011: the data element's position and, for a component, the component's position."""
    return element.split(":")[:2] if element else None


def _message_response(
    message: Message, errors: list[EdifactError]
) -> list[tuple[str, Sequence[Element]]]:
    """UCM for one message, then UCS/UCD for each error in its body."""
    envelope = [e for e in errors if e.segment_tag in ("UNH", "UNT")]
    inside = [e for e in errors if e.segment_tag not in ("UNH", "UNT")]
    ucm: list[Element] = [
        _safe(message.reference),
        [
            _safe(message.type),
            _safe(message.version),
            _safe(message.release),
            _safe(message.agency),
        ],
        REJECTED if errors else ACKNOWLEDGED,
    ]
    if envelope:
        first = envelope[0]
        ucm += [first.code, _tag(first.segment_tag), _element_id(first.element)]
    out: list[tuple[str, Sequence[Element]]] = [("UCM", ucm)]
    start = message.segments[0].position
    for error in inside:
        out.append(("UCS", [str(error.segment_position - start + 1), error.code]))
        if error.element:
            out.append(("UCD", [error.code, _element_id(error.element)]))
    return out


# Values --------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^-?\d*[.,]?\d+$|^-?\d+[.,]$")


def decimal_of(value: str | None) -> Decimal | None:
    """A numeric data element; either decimal mark is read (ISO 9735 allows both).

    >>> decimal_of("1250,5"), decimal_of("12a")
    (Decimal('1250.5'), None)
    """
    if value is None or not _NUMBER.match(value):
        return None
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:
        return None


def plain(amount: Decimal) -> str:
    """A decimal as plain text, no exponent, no trailing zeros after the point.

    >>> plain(Decimal("1.250E+3")), plain(Decimal("12.500"))
    ('1250', '12.5')
    """
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
