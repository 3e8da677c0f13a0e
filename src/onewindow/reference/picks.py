"""Pick lists: the codes a person chooses from while typing (countries, currencies, customs
offices, locations, package types, procedure codes), searched by code or by words.

Each answer is short (``limit``), best matches first: the exact code, then codes that start
with what was typed, then names that start with it, then names that hold it.

>>> rank("cn", Choice("CN", "China")), rank("chi", Choice("CN", "China"))
(0, 2)
>>> rank("kingdom", Choice("GB", "United Kingdom")), rank("zz", Choice("GB", "United Kingdom"))
(3, None)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from onewindow.reference.codelists import PROCEDURE_FLOW, code_list
from onewindow.reference.models import Country, Currency, Location

LISTS = ("countries", "currencies", "offices", "locations", "package-types", "procedures")
"""The public pick lists; ``parties`` (scoped to the caller) is the parties domain's."""

OFFICE_SUFFIX = "001"
"""A customs office is coded by its place's UN/LOCODE and a serial (``GBFXT001``): the office of
each of the national country's ports, airports and border crossings is its first, ``001``."""


@dataclass(frozen=True)
class Choice:
    """One entry of a pick list: the code that goes into the field, and what a person reads."""

    code: str
    label: str


def rank(query: str, choice: Choice) -> int | None:
    """How well a choice matches what was typed (lower is better), None if it does not."""
    q = query.strip().lower()
    code, label = choice.code.lower(), choice.label.lower()
    if not q or code == q:
        return 0
    if code.startswith(q):
        return 1
    if label.startswith(q):
        return 2
    if all(word in label for word in q.split()):
        return 3
    return None


def _best(query: str, choices: Iterable[Choice], limit: int) -> list[Choice]:
    ranked = [(r, c.code, c) for c in choices if (r := rank(query, c)) is not None]
    return [c for _, _, c in sorted(ranked, key=lambda t: (t[0], t[1]))[:limit]]


def _procedures() -> list[Choice]:
    """Requested procedures with no previous one (``4000``), then with each previous one that a
    trader names most (``4071`` after customs warehousing)."""
    procedures = code_list("procedure")
    requested = [e for e in procedures.entries if e.code in PROCEDURE_FLOW]
    choices = [Choice(f"{e.code}00", f"{e.label} (no previous procedure)") for e in requested]
    for e in requested:
        for previous in ("71", "51", "53", "21", "31"):
            before = procedures.get(previous)
            if before is not None and previous != e.code:
                choices.append(Choice(f"{e.code}{previous}", f"{e.label}, after: {before.label}"))
    return choices


def _starting(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` starts with ``text``, as a range a B-tree index answers (LIKE on SQLite and
    on PostgreSQL's default collation reads the whole table)."""
    return and_(column >= text, column < text + "\uffff")


def _locations(session: Session, query: str, limit: int, country: str | None) -> list[Location]:
    text = query.strip()
    statement = select(Location)
    if country:
        statement = statement.where(Location.country == country)
    if text:
        compact = text.replace(" ", "").upper()[:5]
        named = text[:1].upper() + text[1:]
        statement = statement.where(
            or_(_starting(Location.locode, compact), _starting(Location.name_ascii, named))
        )
    rows = session.scalars(statement.order_by(Location.locode).limit(limit * 5)).all()
    return sorted(rows, key=lambda r: (r.locode != text.upper(), not r.is_port, r.locode))


def pick(
    session: Session, name: str, query: str = "", limit: int = 20, national: str = "GB"
) -> list[Choice]:
    """Up to ``limit`` entries of the pick list ``name`` that match ``query`` (all when empty).

    ``national`` is the country whose customs offices the ``offices`` list names.
    """
    query = query.strip()[:100]
    if name == "countries":
        rows = session.scalars(select(Country)).all()
        return _best(query, (Choice(r.alpha2, r.name) for r in rows), limit)
    if name == "currencies":
        found = session.scalars(select(Currency)).all()
        return _best(query, (Choice(r.code, r.name) for r in found), limit)
    if name == "package-types":
        entries = code_list("package-type").entries
        return _best(query, (Choice(e.code, e.label) for e in entries), limit)
    if name == "procedures":
        return _best(query, _procedures(), limit)
    if name == "locations":
        places = _locations(session, query, limit, None)
        return [Choice(r.locode, f"{r.name}, {r.country}") for r in places[:limit]]
    if name == "offices":
        # Typed as an office code (GBFXT001) or a place: search the place either way.
        typed = query[:5] if query[5:].isdigit() else query
        points = [
            r
            for r in _locations(session, typed, limit * 4, national)
            if r.is_port or r.is_airport or r.is_border_crossing
        ]
        return [Choice(r.locode + OFFICE_SUFFIX, f"Customs office {r.name}") for r in points][
            :limit
        ]
    raise KeyError(name)
