"""Reading a WCO DEC declaration: finding its elements, and keeping count of what came through.

Every part of the mapping (header and parties, transport and locations, goods items, documents
and valuation) reads through one :class:`Reading`, which remembers the elements whose data was
carried over; the rest is listed as unmapped, so that nothing is dropped silently.
"""

from __future__ import annotations

import re
from datetime import date

from lxml import etree

DEC_NS = "urn:wco:datamodel:WCO:DEC-DMS:2"


def _qualified(path: str) -> str:
    return "/".join(f"{{{DEC_NS}}}{step}" for step in path.split("/"))


def text_of(element: etree._Element | None) -> str | None:
    """The element's text, stripped; None for no element or no text."""
    if element is None:
        return None
    content = (element.text or "").strip()
    return content or None


class Reading:
    """The declaration being read and the elements whose data the mapping carried over."""

    def __init__(self, declaration: etree._Element) -> None:
        self.declaration = declaration
        self.used: set[etree._Element] = set()

    def all(self, parent: etree._Element | None, path: str) -> list[etree._Element]:
        """Every element at ``path`` (local names, ``/``-separated) under ``parent``."""
        if parent is None:
            return []
        return list(parent.iterfind(_qualified(path)))

    def first(self, parent: etree._Element | None, path: str) -> etree._Element | None:
        """The first element at ``path`` under ``parent``, or None."""
        if parent is None:
            return None
        return parent.find(_qualified(path))

    def peek(self, parent: etree._Element | None, path: str) -> str | None:
        """The text at ``path``, stripped, without counting it as carried."""
        return text_of(self.first(parent, path))

    def take(self, parent: etree._Element | None, path: str) -> str | None:
        """The text at ``path``, stripped, counted as carried when there is some."""
        element = self.first(parent, path)
        found = text_of(element)
        if found is not None:
            self.used.add(element)
        return found

    def mark(self, *elements: etree._Element | None) -> None:
        """Count elements as carried over."""
        self.used.update(element for element in elements if element is not None)

    def mark_if_equal(self, parent: etree._Element | None, path: str, value: object) -> None:
        """Count the element at ``path`` as carried when it repeats a value already mapped."""
        element = self.first(parent, path)
        if element is not None and value is not None and text_of(element) == value:
            self.used.add(element)

    def unmapped(self) -> list[str]:
        """XPaths of the leaf elements that hold data and were not carried over."""
        found = []
        for element in self.declaration.iter():
            if not isinstance(element.tag, str) or element in self.used:
                continue
            if any(isinstance(child.tag, str) for child in element):
                continue
            if text_of(element) is not None:
                found.append(_xpath(element, self.declaration))
        return found


def _xpath(element: etree._Element, top: etree._Element) -> str:
    """``/Declaration/GoodsShipment/GovernmentAgencyGoodsItem[2]/SequenceNumeric`` style path."""
    steps = []
    current: etree._Element | None = element
    while current is not None:
        name = etree.QName(current).localname
        parent = current.getparent()
        if current is not top and parent is not None:
            same = [sibling for sibling in parent if sibling.tag == current.tag]
            if len(same) > 1:
                name = f"{name}[{same.index(current) + 1}]"
        steps.append(name)
        if current is top:
            break
        current = parent
    return "/" + "/".join(reversed(steps))


def number(content: str) -> int | str:
    """An integer when the text is one; else the text, for validation to report.

    >>> number("12"), number("1.5")
    (12, '1.5')
    """
    return int(content) if content.isascii() and content.isdigit() else content


_CONTAINER_NOISE = re.compile(r"[\s\-]")


def container(identifier: str) -> str:
    """ISO 6346 identifiers: upper case, no separators.

    >>> container("msku 123456-7")
    'MSKU1234567'
    """
    return _CONTAINER_NOISE.sub("", identifier).upper()


def iso_date(element: etree._Element | None) -> str | None:
    """The ISO date of a WCO DateTimeString (format 102 ``CCYYMMDD`` or 304 with time and zone)."""
    if element is None:
        return None
    string = element.find("{*}DateTimeString")
    content = text_of(string if string is not None else element)
    if content is None or not re.match(r"^\d{8}", content):
        return None
    try:
        return date(int(content[:4]), int(content[4:6]), int(content[6:8])).isoformat()
    except ValueError:
        return None
