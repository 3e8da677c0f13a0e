"""The procedure engine: an agency's procedure as data in, what to fill and what is open out.

Pure: no web, no ORM. A procedure (see ``permits/data/*.json``) has an application form (fields
with types, code lists and rules, some taken from the declaration), a small workflow graph of
steps (each step waits for the steps it comes ``after``; several steps after the same one run in
parallel; a step after several joins them again; a step with ``when`` runs only when the
application's data says so, else it is skipped), outcomes and the validity of what it issues.

>>> procedure = {
...     "form": {"fields": [{"name": "purpose", "type": "code", "codes": {"trade": "Trade"}}]},
...     "steps": [
...         {"id": "review", "kind": "review"},
...         {"id": "lab", "kind": "lab_test", "after": ["review"],
...          "when": {"field": "purpose", "equals": "trade"}},
...         {"id": "fee", "kind": "fee", "after": ["review"]},
...         {"id": "decision", "kind": "decision", "after": ["lab", "fee"]},
...     ],
... }
>>> open_steps(procedure, {"purpose": "trade"}, {})
['review']
>>> open_steps(procedure, {"purpose": "trade"}, {"review": "done"})
['lab', 'fee']
>>> open_steps(procedure, {"purpose": "other"}, {"review": "done", "fee": "done"})
['decision']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

FIELD_TYPES = frozenset(
    {"text", "code", "decimal", "integer", "date", "country", "currency", "hs", "boolean"}
)
STEP_KINDS = {
    "review": "Documentary review",
    "lab_test": "Laboratory test",
    "inspection": "Inspection",
    "fee": "Fee payment",
    "decision": "Decision",
}
OUTCOMES = frozenset({"permit", "certificate", "licence"})
DECLARATION_SOURCES = {
    "commodity_code": "the item's commodity code",
    "description": "the item's description",
    "origin": "the item's country of origin",
    "quantity": "the item's quantity (net mass or supplementary quantity)",
    "unit": "the quantity's unit",
    "value": "the item's value",
    "currency": "the value's currency",
    "importer": "the importer",
    "exporter": "the exporter",
    "country_of_export": "the country of export",
    "country_of_destination": "the country of destination",
}
"""What a form field may be taken from, so that it is never typed again."""

DONE = "done"
SKIPPED = "skipped"


class ProcedureInvalid(ValueError):
    """A procedure's data is not a procedure: every problem, each with where it is."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
        self.problems = problems


def check_procedure(procedure: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every problem of a procedure's data as (pointer, message); empty when it is sound."""
    problems: list[tuple[str, str]] = []
    for key in ("code", "name", "version", "agency", "document_type", "outcome"):
        if not procedure.get(key):
            problems.append((f"/{key}", "is required"))
    if procedure.get("outcome") and procedure["outcome"] not in OUTCOMES:
        problems.append(("/outcome", f"must be one of {', '.join(sorted(OUTCOMES))}"))
    if not isinstance(procedure.get("version", 1), int):
        problems.append(("/version", "must be a whole number"))
    agency = procedure.get("agency") or {}
    if not isinstance(agency, Mapping) or not agency.get("code") or not agency.get("name"):
        problems.append(("/agency", "needs a code and a name"))
    fields = (procedure.get("form") or {}).get("fields", [])
    names = set()
    for n, field in enumerate(fields):
        where = f"/form/fields/{n}"
        if not field.get("name"):
            problems.append((f"{where}/name", "is required"))
        names.add(field.get("name"))
        if field.get("type", "text") not in FIELD_TYPES:
            problems.append((f"{where}/type", f"must be one of {', '.join(sorted(FIELD_TYPES))}"))
        if field.get("type") == "code" and not field.get("codes"):
            problems.append((f"{where}/codes", "a code field needs its code list"))
        source = field.get("from_declaration")
        if source and source not in DECLARATION_SOURCES:
            problems.append((f"{where}/from_declaration", "is not something a declaration says"))
    steps = procedure.get("steps") or []
    ids = [s.get("id") for s in steps]
    if not steps:
        problems.append(("/steps", "a procedure needs at least one step"))
    if len(set(ids)) != len(ids):
        problems.append(("/steps", "step ids must be unique"))
    for n, step in enumerate(steps):
        if step.get("kind") not in STEP_KINDS:
            problems.append((f"/steps/{n}/kind", f"must be one of {', '.join(STEP_KINDS)}"))
        for before in step.get("after", []):
            if before not in ids:
                problems.append((f"/steps/{n}/after", f"names no step {before!r}"))
        when = step.get("when")
        if when and when.get("field") not in names:
            problems.append((f"/steps/{n}/when", "names no field of the form"))
    if not problems and _has_cycle(steps):
        problems.append(("/steps", "the steps go round in a circle"))
    return problems


def _has_cycle(steps: list[Mapping[str, Any]]) -> bool:
    after = {s["id"]: list(s.get("after", [])) for s in steps}
    seen: dict[str, int] = {}

    def visit(node: str) -> bool:
        if seen.get(node) == 1:
            return True
        if seen.get(node) == 2:
            return False
        seen[node] = 1
        if any(visit(n) for n in after.get(node, [])):
            return True
        seen[node] = 2
        return False

    return any(visit(s) for s in after)


# The form ---------------------------------------------------------------------------------------


def holds(condition: Mapping[str, Any] | None, data: Mapping[str, Any]) -> bool:
    """Whether a condition on the application's data holds (no condition always holds).

    >>> holds({"field": "qty", "at_least": "10"}, {"qty": "12.5"})
    True
    >>> holds({"field": "purpose", "in": ["zoo", "circus"]}, {"purpose": "trade"})
    False
    """
    if not condition:
        return True
    value = data.get(str(condition.get("field")))
    if "equals" in condition:
        return value == condition["equals"]
    if "not_equals" in condition:
        return value != condition["not_equals"]
    if "in" in condition:
        return value in condition["in"]
    for key, compare in (("at_least", 1), ("below", -1)):
        if key in condition:
            number, limit = _decimal(value), _decimal(condition[key])
            if number is None or limit is None:
                return False
            return number >= limit if compare == 1 else number < limit
    return value not in (None, "")


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def form_fields(procedure: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((procedure.get("form") or {}).get("fields", []))


def check_form(procedure: Mapping[str, Any], data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every problem of an application's data against its procedure's form, each with its field.

    >>> form = {"form": {"fields": [{"name": "n", "type": "integer", "required": True}]}}
    >>> check_form(form, {"n": "x", "other": 1})
    [('/data/n', 'must be a whole number'), ('/data/other', 'is not a field of this form')]
    """
    problems: list[tuple[str, str]] = []
    fields = form_fields(procedure)
    known = {f["name"] for f in fields}
    for field in fields:
        name = field["name"]
        where = f"/data/{name}"
        value = data.get(name)
        required = field.get("required", False) or (
            "required_if" in field and holds(field["required_if"], data)
        )
        if value in (None, ""):
            if required:
                problems.append((where, "is required"))
            continue
        problem = _check_value(field, value)
        if problem:
            problems.append((where, problem))
    problems += [(f"/data/{k}", "is not a field of this form") for k in data if k not in known]
    return problems


def _check_value(field: Mapping[str, Any], value: Any) -> str | None:
    kind = field.get("type", "text")
    text = str(value)
    if kind == "code" and text not in field.get("codes", {}):
        return "is not one of the codes of the list"
    if kind == "country" and not re.fullmatch(r"[A-Z]{2}", text):
        return "must be a two-letter country code"
    if kind == "currency" and not re.fullmatch(r"[A-Z]{3}", text):
        return "must be a three-letter currency code"
    if kind == "hs" and not re.fullmatch(r"\d{4}(\d{2}){0,3}", text):
        return "must be an HS code of 4 to 10 digits"
    if kind == "boolean" and not isinstance(value, bool):
        return "must be true or false"
    if kind == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            return "must be a date (YYYY-MM-DD)"
    if kind in ("decimal", "integer"):
        number = _decimal(value)
        if number is None or (kind == "integer" and number != number.to_integral_value()):
            return "must be a whole number" if kind == "integer" else "must be a number"
        if "min" in field and number < Decimal(str(field["min"])):
            return f"must be at least {field['min']}"
        if "max" in field and number > Decimal(str(field["max"])):
            return f"must be at most {field['max']}"
    if kind == "text":
        if len(text) > int(field.get("max_length", 512)):
            return f"must be at most {field.get('max_length', 512)} characters"
        if field.get("pattern") and not re.fullmatch(field["pattern"], text):
            return field.get("pattern_text", "is not in the expected form")
    return None


def declaration_facts(
    content: Mapping[str, Any], item: Mapping[str, Any], names: Mapping[str, str]
) -> dict[str, Any]:
    """What a declaration says of one goods item, by the names form fields take them from.

    ``names`` are the registered names of the declaration's parties (importer, exporter).
    """
    quantity = item.get("supplementary_quantity") or {}
    value = item.get("value") or {}
    facts = {
        "commodity_code": item.get("commodity_code"),
        "description": item.get("description"),
        "origin": item.get("origin") or content.get("country_of_export"),
        "quantity": quantity.get("value") or item.get("net_mass_kg"),
        "unit": quantity.get("unit") or ("KGM" if item.get("net_mass_kg") else None),
        "value": value.get("amount"),
        "currency": value.get("currency"),
        "importer": names.get("importer"),
        "exporter": names.get("exporter"),
        "country_of_export": content.get("country_of_export"),
        "country_of_destination": content.get("country_of_destination"),
    }
    return {k: str(v) for k, v in facts.items() if v not in (None, "")}


def fill_from_declaration(procedure: Mapping[str, Any], facts: Mapping[str, Any]) -> dict[str, Any]:
    """The form's fields that the declaration already says, filled from it (never retyped)."""
    filled = {}
    for field in form_fields(procedure):
        source = field.get("from_declaration")
        if source and facts.get(source) not in (None, ""):
            filled[field["name"]] = facts[source]
    return filled


# The steps --------------------------------------------------------------------------------------


def steps_of(procedure: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(procedure.get("steps") or [])


def skipped_steps(procedure: Mapping[str, Any], data: Mapping[str, Any]) -> list[str]:
    """Steps whose condition does not hold on this application's data."""
    return [s["id"] for s in steps_of(procedure) if not holds(s.get("when"), data)]


def finished_steps(
    procedure: Mapping[str, Any], data: Mapping[str, Any], states: Mapping[str, str]
) -> set[str]:
    """Steps done, and steps not needed on this data once every step before them is finished
    (a skipped step does not let the steps after it start before its own predecessors end)."""
    skipped = set(skipped_steps(procedure, data))
    finished = {k for k, v in states.items() if v == DONE}
    steps = steps_of(procedure)
    grown = True
    while grown:
        grown = False
        for step in steps:
            sid = step["id"]
            after = step.get("after", [])
            if sid in skipped and sid not in finished and all(a in finished for a in after):
                finished.add(sid)
                grown = True
    return finished


def open_steps(
    procedure: Mapping[str, Any], data: Mapping[str, Any], states: Mapping[str, str]
) -> list[str]:
    """The steps open now: needed on this data, not done, and every step before them done (or
    not needed). ``states`` maps a step id to ``done``.

    >>> chain = {"steps": [{"id": "a", "kind": "review"},
    ...     {"id": "b", "kind": "lab_test", "after": ["a"], "when": {"field": "x", "equals": 1}},
    ...     {"id": "c", "kind": "decision", "after": ["b"]}]}
    >>> open_steps(chain, {}, {}), open_steps(chain, {}, {"a": "done"})
    (['a'], ['c'])
    """
    skipped = set(skipped_steps(procedure, data))
    finished = finished_steps(procedure, data, states)
    return [
        s["id"]
        for s in steps_of(procedure)
        if s["id"] not in finished
        and s["id"] not in skipped
        and all(a in finished for a in s.get("after", []))
    ]


def decision_open(
    procedure: Mapping[str, Any], data: Mapping[str, Any], states: Mapping[str, str]
) -> bool:
    """Whether the agency may decide now: the decision step is open, or (a procedure without
    one) every step is finished."""
    steps = steps_of(procedure)
    opened = open_steps(procedure, data, states)
    decisions = [s["id"] for s in steps if s.get("kind") == "decision"]
    if decisions:
        return any(d in opened for d in decisions)
    return not opened


def fee_of(procedure: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, str] | None:
    """The fee this application pays, when one of its needed steps is a fee."""
    for step in steps_of(procedure):
        if step.get("kind") == "fee" and holds(step.get("when"), data):
            fee = step.get("fee") or procedure.get("fee")
            return dict(fee) if fee else None
    return None
