"""Profile conditions: which clauses a profile may hold, and whether a declaration meets them.

Pure: a list of clauses and a declaration in, errors or a yes/no out; no session.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from onewindow.declarations.schemas import DeclarationIn, GoodsItem
from onewindow.errors import FieldError

PARTY_FIELDS = ("declarant", "importer", "exporter")


ITEM_FIELDS = ("origin", "hs", "procedure", "value_per_kg")

CARGO_FIELDS = ("consignor", "consignee", "route", "goods_words", "container")
"""Clauses over cargo before arrival (entry summaries): a profile with any of them is a cargo
profile, which never selects a declaration; its ``hs`` clauses look at the cargo's goods."""


OPS: dict[str, tuple[str, ...]] = {
    "declarant": ("eq", "in"),
    "importer": ("eq", "in"),
    "exporter": ("eq", "in"),
    "country_of_export": ("eq", "in"),
    "transport_mode": ("eq", "in"),
    "origin": ("eq", "in"),
    "procedure": ("eq", "in"),
    "hs": ("prefix", "range"),
    "value_per_kg": ("lt", "gt"),
    "total_value": ("lt", "gt"),
    "consignor": ("eq", "in"),
    "consignee": ("eq", "in"),
    "route": ("eq", "in"),
    "goods_words": ("contains",),
    "container": ("starts",),
}
"""Every field a condition may test and the operators it accepts."""


def hs_digits(value: object) -> bool:
    return isinstance(value, str) and value.isdigit() and 1 <= len(value) <= 10


def _number(value: object) -> bool:
    ok = isinstance(value, int | float | str) and not isinstance(value, bool)
    return ok and _dec(value) is not None


def _dec(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _value_error(field_name: str, op: str, value: object) -> str | None:
    """What is wrong with a clause's value, or None."""
    if op == "eq":
        return None if isinstance(value, str) and value.strip() else "must be a code"
    if op == "in":
        ok = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        return None if ok else "must be a non-empty list of codes"
    if op in ("contains", "starts"):
        values = value if isinstance(value, list) else [value]
        ok = bool(values) and all(isinstance(v, str) and v.strip() for v in values)
        return None if ok else "must be a word, or a list of words"
    if op == "prefix":
        values = value if isinstance(value, list) else [value]
        ok = bool(values) and all(hs_digits(v) for v in values)
        return None if ok else "must be HS digits, or a list of them"
    if op == "range":
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(hs_digits(v) for v in value)
            and len(value[0]) == len(value[1])
            and value[0] <= value[1]
        )
        return None if ok else "must be [from, to]: HS digits of the same length, from <= to"
    if isinstance(value, dict) and field_name == "value_per_kg":
        reference = value.get("reference_price_per_kg")
        factor = value.get("factor", 1)
        unknown = set(value) - {"reference_price_per_kg", "factor"}
        ok = not unknown and _number(reference) and _number(factor)
        return None if ok else "must be a number or {reference_price_per_kg, factor}"
    return None if _number(value) else "must be a number"


def check_conditions(conditions: object, pointer: str = "/conditions") -> list[FieldError]:
    """Every error in a list of clauses, each pointing at its clause.

    >>> check_conditions([{"field": "hs", "op": "prefix", "value": "6403"}])
    []
    >>> [e.pointer for e in check_conditions([{"field": "hs", "op": "eq", "value": "6403"}])]
    ['/conditions/0/op']
    """
    if not isinstance(conditions, list) or not conditions:
        return [FieldError(pointer, "must be a non-empty list of clauses")]
    errors = []
    for i, clause in enumerate(conditions):
        at = f"{pointer}/{i}"
        if not isinstance(clause, dict):
            errors.append(FieldError(at, "must be {field, op, value}"))
            continue
        unknown = set(clause) - {"field", "op", "value"}
        if unknown:
            errors.append(FieldError(f"{at}/{sorted(unknown)[0]}", "is not part of a clause"))
        field_name, op = clause.get("field"), clause.get("op")
        if field_name not in OPS:
            errors.append(FieldError(f"{at}/field", f"use one of {', '.join(OPS)}"))
            continue
        if op not in OPS[str(field_name)]:
            ops = ", ".join(OPS[str(field_name)])
            errors.append(FieldError(f"{at}/op", f"{field_name} takes {ops}"))
            continue
        problem = _value_error(str(field_name), str(op), clause.get("value"))
        if problem:
            errors.append(FieldError(f"{at}/value", problem))
    return errors


def _codes_match(op: str, value: Any, candidate: str | None) -> bool:
    if candidate is None:
        return False
    if op == "eq":
        return candidate.upper() == str(value).strip().upper()
    return candidate.upper() in {str(v).strip().upper() for v in value}


def _hs_match(op: str, value: Any, code: str) -> bool:
    if op == "prefix":
        return any(code.startswith(p) for p in (value if isinstance(value, list) else [value]))
    low, high = value
    return bool(low <= code[: len(low)] <= high)


def _limit(value: Any) -> Decimal:
    if isinstance(value, dict):
        return Decimal(str(value["reference_price_per_kg"])) * Decimal(str(value.get("factor", 1)))
    return Decimal(str(value))


def _compare(op: str, amount: Decimal | None, limit: Decimal) -> bool:
    if amount is None:
        return False
    return amount < limit if op == "lt" else amount > limit


def _value_per_kg(item: GoodsItem) -> Decimal | None:
    if item.value is None or not item.net_mass_kg:
        return None
    return item.value.amount / item.net_mass_kg


def _total_value(body: DeclarationIn) -> Decimal | None:
    if body.invoice is not None:
        return body.invoice.amount
    values = [i.value.amount for i in body.items if i.value is not None]
    return sum(values, Decimal(0)) if values else None


def _declaration_clause(clause: Mapping[str, Any], body: DeclarationIn) -> bool:
    name, op, value = clause["field"], clause["op"], clause["value"]
    if name in PARTY_FIELDS:
        party = getattr(body, name)
        return _codes_match(op, value, party.identifier if party else None)
    if name == "country_of_export":
        return _codes_match(op, value, body.country_of_export)
    if name == "transport_mode":
        return _codes_match(op, value, body.transport.mode if body.transport else None)
    return _compare(op, _total_value(body), _limit(value))


def _item_clause(clause: Mapping[str, Any], item: GoodsItem) -> bool:
    name, op, value = clause["field"], clause["op"], clause["value"]
    if name == "origin":
        return _codes_match(op, value, item.origin)
    if name == "procedure":
        return _codes_match(op, value, item.procedure)
    if name == "hs":
        return _hs_match(op, value, item.commodity_code or "")
    return _compare(op, _value_per_kg(item), _limit(value))


def matches(conditions: Sequence[Mapping[str, Any]], body: DeclarationIn) -> bool:
    """Whether a declaration meets every clause (clauses are ANDed).

    Clauses on goods items (origin, hs, procedure, value_per_kg) must hold together on one
    item: "HS 6403 from CN" does not match Chinese handbags next to British shoes.
    """
    if any(c["field"] in CARGO_FIELDS for c in conditions):
        return False
    item_clauses = [c for c in conditions if c["field"] in ITEM_FIELDS]
    if not all(_declaration_clause(c, body) for c in conditions if c["field"] not in ITEM_FIELDS):
        return False
    if not item_clauses:
        return True
    return any(all(_item_clause(c, item) for c in item_clauses) for item in body.items)


@dataclass(frozen=True)
class CargoFacts:
    """What an entry summary says of a consignment, as cargo profiles look at it."""

    consignors: tuple[str, ...] = ()
    consignees: tuple[str, ...] = ()
    route: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()
    hs_codes: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()
    mode: str | None = None


def _words(value: Any) -> list[str]:
    return [str(v).strip().upper() for v in (value if isinstance(value, list) else [value])]


def _cargo_clause(clause: Mapping[str, Any], facts: CargoFacts) -> bool:
    name, op, value = clause["field"], clause["op"], clause["value"]
    if name in ("consignor", "consignee", "route"):
        candidates = {"consignor": facts.consignors, "consignee": facts.consignees}.get(
            name, facts.route
        )
        return any(_codes_match(op, value, c) for c in candidates)
    if name == "goods_words":
        text = " ".join(facts.descriptions).upper()
        return any(re.search(rf"\b{re.escape(w)}\b", text) for w in _words(value))
    if name == "container":
        return any(c.startswith(w) for w in _words(value) for c in facts.containers)
    if name == "hs":
        return any(_hs_match(op, value, code) for code in facts.hs_codes)
    if name == "transport_mode":
        return _codes_match(op, value, facts.mode)
    return False


def matches_cargo(conditions: Sequence[Mapping[str, Any]], facts: CargoFacts) -> bool:
    """Whether a cargo profile (one with a cargo clause) meets a consignment: every clause holds.

    >>> facts = CargoFacts(route=("CN", "AE"), descriptions=("Lithium batteries",))
    >>> matches_cargo([{"field": "goods_words", "op": "contains", "value": ["battery",
    ...     "batteries"]}, {"field": "route", "op": "in", "value": ["AE"]}], facts)
    True
    >>> matches_cargo([{"field": "hs", "op": "prefix", "value": "8507"}], facts)
    False
    """
    if not any(c["field"] in CARGO_FIELDS for c in conditions):
        return False
    return all(_cargo_clause(c, facts) for c in conditions)
