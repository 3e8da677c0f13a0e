"""Checking a message's segments against its segment table, and grouping them as the table does.

A segment table is written as :class:`Group` s of :class:`Entry` s, in the directory's order, each
with its status (mandatory or conditional) and maximum repeats; a group's first entry is its
trigger segment. :func:`walk` reads a message's segments, ``UNH`` to ``UNT``, into a tree of
:class:`Occurrence` s (one per group occurrence) and reports, as the syntax error codes that
CONTRL uses: a mandatory segment or group missing (13), a segment not allowed where it stands
(15: unknown to the message, or out of order), a segment or group repeated too often (35, 36).

The walk is the usual one for EDIFACT tables: a segment is looked for at the current entry and
after it in the current group; a group's trigger opens a new occurrence of that group; a segment
that the current group has no place for closes it and is looked for in the enclosing group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from onewindow.formats.edifact import EdifactError, Segment

__all__ = ["Entry", "Group", "Occurrence", "walk"]


@dataclass(frozen=True)
class Group:
    """A segment group (or the message itself): a name and its entries in order."""

    name: str
    entries: tuple[Entry, ...]

    @property
    def trigger(self) -> str:
        first = self.entries[0].item
        return first if isinstance(first, str) else first.trigger


@dataclass(frozen=True)
class Entry:
    """A segment tag or a group, mandatory or not, with its maximum number of repeats."""

    item: str | Group
    mandatory: bool
    repeats: int

    @property
    def tag(self) -> str:
        return self.item if isinstance(self.item, str) else self.item.trigger


def seg(tag: str, status: str, repeats: int) -> Entry:
    """A segment entry: ``seg("BGM", "M", 1)``."""
    return Entry(tag, status == "M", repeats)


def group(name: str, status: str, repeats: int, *entries: Entry) -> Entry:
    """A group entry: ``group("SG1", "C", 99, seg("NAD", "M", 1), ...)``."""
    return Entry(Group(name, tuple(entries)), status == "M", repeats)


@dataclass
class Occurrence:
    """One occurrence of a group: its own segments, in order, and its nested occurrences."""

    name: str
    segments: list[Segment] = field(default_factory=list)
    groups: list[Occurrence] = field(default_factory=list)

    def first(self, tag: str) -> Segment | None:
        """The first of its own segments with ``tag``."""
        return next((s for s in self.segments if s.tag == tag), None)

    def all(self, tag: str) -> list[Segment]:
        """Its own segments with ``tag``."""
        return [s for s in self.segments if s.tag == tag]

    def nested(self, name: str) -> list[Occurrence]:
        """Its nested occurrences of group ``name``."""
        return [g for g in self.groups if g.name == name]

    @property
    def head(self) -> Segment:
        """The trigger segment."""
        return self.segments[0]


_NAMES = {
    "BGM": "beginning of message",
    "UNT": "message trailer",
    "NAD": "name and address",
    "TDT": "details of transport",
    "CNI": "consignment information",
    "RFF": "reference",
    "GID": "goods item details",
    "EQD": "equipment details",
    "CST": "customs status of goods",
}


class _Walker:
    def __init__(self, segments: Sequence[Segment]) -> None:
        self.segments = segments
        self.index = 0
        self.errors: list[EdifactError] = []

    def error(self, segment: Segment, tag: str, code: str, text: str) -> None:
        self.errors.append(EdifactError(segment.position, tag, None, code, text))

    def group(self, table: Group, top: bool) -> Occurrence:
        occurrence = Occurrence(table.name)
        counts = [0] * len(table.entries)
        counts[0] = 1  # the trigger, already read
        at = 0
        while self.index < len(self.segments):
            segment = self.segments[self.index]
            found = self.find(table, at, segment.tag)
            if found == 0:
                found = None  # the trigger again: a new occurrence, opened by the parent
            if found is None:
                if not top:
                    break
                self.misplaced(segment, table)
                self.index += 1
                continue
            self.skipped(table, counts, at, found, segment)
            at = found
            counts[found] += 1
            self.take(table.entries[found], counts[found], occurrence)
        end = self.segments[min(self.index, len(self.segments) - 1)]
        self.skipped(table, counts, at, len(table.entries), end)
        return occurrence

    def find(self, table: Group, start: int, tag: str) -> int | None:
        for k in range(start, len(table.entries)):
            if table.entries[k].tag == tag:
                return k
        return None

    def take(self, entry: Entry, count: int, occurrence: Occurrence) -> None:
        segment = self.segments[self.index]
        if count > entry.repeats:
            code, what = ("35", "segment") if isinstance(entry.item, str) else ("36", "group")
            self.error(
                segment,
                segment.tag,
                code,
                f"Segment {segment.position} ({segment.tag}) "
                f"repeats the {what} more than the {entry.repeats} times the message "
                "allows here: merge or drop the extra ones.",
            )
        if isinstance(entry.item, str):
            occurrence.segments.append(segment)
            self.index += 1
        else:
            self.index += 1
            nested = self.group(entry.item, top=False)
            nested.segments.insert(0, segment)
            occurrence.groups.append(nested)

    def skipped(self, table: Group, counts: list[int], start: int, stop: int, at: Segment) -> None:
        """Mandatory entries between ``start`` and ``stop`` never seen are missing."""
        for k in range(start, stop):
            entry = table.entries[k]
            if entry.mandatory and counts[k] == 0 and k != 0:
                name = _NAMES.get(entry.tag, "")
                label = f"{entry.tag} ({name})" if name else entry.tag
                self.error(
                    at,
                    entry.tag,
                    "13",
                    f"The mandatory segment {label} is missing "
                    f"before segment {at.position} ({at.tag}): add it in its place.",
                )
                counts[k] = -1  # reported once

    def misplaced(self, segment: Segment, table: Group) -> None:
        self.error(
            segment,
            segment.tag,
            "15",
            f"Segment {segment.position} ({segment.tag}) is "
            f"not allowed where it stands in a {table.name} message: it is unknown to "
            "the message or out of order; move or remove it.",
        )


def walk(segments: Sequence[Segment], table: Group) -> tuple[Occurrence, list[EdifactError]]:
    """The message's segments (``UNH`` first, ``UNT`` last) grouped by ``table``, with errors."""
    walker = _Walker(segments)
    if not segments or segments[0].tag != table.trigger:
        raise ValueError("a message begins with its UNH")
    walker.index = 1
    occurrence = walker.group(table, top=True)
    occurrence.segments.insert(0, segments[0])
    return occurrence, walker.errors
