"""Field errors as sentences for a person.

The API answers with JSON pointers and the validator's words (``/items/0/origin``,
``String should match pattern '^[A-Z]{2}$'``); a page says the field's label and what to do
("Goods item 1, origin: choose a country; 'Brazil' is not a code"). One mechanism for every
page: a mapping from the form's field names to labels and to the pick list a field chooses
from, plus a plain message for each kind of error.

>>> from onewindow.errors import FieldError
>>> sentence(FieldError("/origin", "String should match pattern '^[A-Z]{2}$'",
...                     "string_pattern_mismatch"), "Brazil", "countries")
"choose a country; 'Brazil' is not a code"
>>> sentence(FieldError("/net_mass_kg", "Input should be a valid decimal", "decimal_parsing"),
...          "ten", None)
'write a number, like 1250.50'
>>> plain("'XX' is not a declarable line; see /items/0/commodity_code")
"'XX' is not a declarable line; see goods item 1, commodity code"
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from onewindow.errors import FieldError

PICKED = {
    "countries": "a country",
    "currencies": "a currency",
    "offices": "a customs office",
    "locations": "a location (UN/LOCODE)",
    "package-types": "a package type",
    "procedures": "a procedure",
    "parties": "a company",
}
"""What a person chooses from each pick list (the lists of ``/api/v1/reference/pick``)."""

_BY_TYPE = {
    "missing": "fill it in",
    "string_too_short": "fill it in",
    "decimal_parsing": "write a number, like 1250.50",
    "decimal_type": "write a number, like 1250.50",
    "float_parsing": "write a number, like 1250.50",
    "int_parsing": "write a whole number, like 12",
    "int_from_float": "write a whole number, like 12",
    "date_parsing": "write a date like 2026-01-31",
    "date_from_datetime_parsing": "write a date like 2026-01-31",
    "datetime_parsing": "write a date and time like 2026-01-31 14:30",
    "datetime_from_date_parsing": "write a date and time like 2026-01-31 14:30",
    "bool_parsing": "answer yes or no",
    "literal_error": "choose one of the list",
    "enum": "choose one of the list",
    "extra_forbidden": "this field is not expected here",
    "decimal_max_digits": "the number has too many digits",
    "decimal_whole_digits": "the number has too many digits before the point",
}

_POINTER = re.compile(r"(?:/body)?/items/(\d+)/([A-Za-z_]+(?:/[A-Za-z0-9_]+)*)")
_PATTERN = re.compile(r"[\^$]|\\d|\[[A-Za-z0-9-]+\]|\{\d")


def _words(path: str) -> str:
    return " ".join(p for p in re.split(r"[/_\-]", path) if p and not p.isdigit())


def plain(text: str) -> str:
    """A validator's sentence without JSON pointers: ``/items/0/origin`` reads as
    "goods item 1, origin"; other pointers as their words."""
    text = _POINTER.sub(lambda m: f"goods item {int(m.group(1)) + 1}, {_words(m.group(2))}", text)
    return re.sub(r"(?<![\w.])/(?:body/)?([a-z_]+(?:/[a-z0-9_]+)+)", lambda m: _words(m[1]), text)


def sentence(error: FieldError, value: str | None, pick: str | None) -> str:
    """What a person reads next to the field: a plain instruction, never a pattern or pointer.

    ``value`` is what was typed; ``pick`` the list the field chooses from, if any.
    """
    shown = (value or "").strip()
    if pick in PICKED and error.code in ("string_pattern_mismatch", "code-list", "missing"):
        if value is None:
            return f"choose {PICKED[pick]} from the list"
        if not shown:
            return f"choose {PICKED[pick]}"
        return f"choose {PICKED[pick]}; {shown!r} is not a code"
    if error.code == "string_pattern_mismatch":
        if value is None:
            return "is not in the expected form"
        return f"{shown!r} is not in the expected form" if shown else "fill it in"
    if error.code == "greater_than_equal":
        return "must not be negative" if "0" in error.detail else "the number is too small"
    if error.code == "greater_than":
        return "must be more than zero"
    if error.code == "decimal_max_places":
        found = re.search(r"(\d+) decimal", error.detail)
        return f"use at most {found[1]} decimal places" if found else "use fewer decimal places"
    if error.code == "string_too_long":
        found = re.search(r"at most (\d+)", error.detail)
        return f"use at most {found[1]} characters" if found else "the text is too long"
    if error.code in _BY_TYPE:
        return _BY_TYPE[error.code]
    text = plain(error.detail)
    if _PATTERN.search(text):
        return f"{shown!r} is not in the expected form" if shown else "is not valid"
    return text.removeprefix("Value error, ")


def labelled(name: str, labels: Mapping[str, str]) -> str:
    """The label of a form field, a goods item's field named with its item
    (``items-1-origin`` -> "Goods item 2, origin")."""
    parts = name.split("-", 2)
    if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
        inner = labels.get(f"items-{parts[2]}") or _words(parts[2])
        return f"Goods item {int(parts[1]) + 1}, {inner[:1].lower()}{inner[1:]}"
    return labels.get(name) or _words(name).capitalize()


def pointer_label(pointer: str, labels: Mapping[str, str]) -> str:
    """The label of the field a JSON pointer names: from ``labels`` (keyed by the pointer's
    path with ``-`` for ``/``), or its words with list positions counted from 1
    (``/consignments/0/containers/1/number`` -> "Consignments 1, containers 2, number").

    >>> pointer_label("/consignments/0/containers/1/number", {})
    'Consignments 1, containers 2, number'
    >>> pointer_label("/body/eta", {"eta": "Expected arrival"})
    'Expected arrival'
    """
    name = pointer.removeprefix("/body").removeprefix("/data").strip("/").replace("/", "-")
    if name in labels:
        return labels[name]
    if name.startswith("items-") and f"items-{name.split('-', 2)[-1]}" in labels:
        return labelled(name, labels)
    parts: list[str] = []
    for segment in name.split("-"):
        if segment.isdigit() and parts:
            parts[-1] = f"{parts[-1]} {int(segment) + 1}"
        elif segment:
            parts.append(segment.replace("_", " "))
    text = ", ".join(parts)
    return text[:1].upper() + text[1:] if text else "The form"


def described(
    errors: list[FieldError],
    labels: Mapping[str, str],
    values: Mapping[str, str] | None = None,
    picks: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """Each error as (the field's label, a sentence), for a page's list of what to correct.

    ``values`` and ``picks`` are keyed like ``labels``: what was typed, the list it picks from.
    """
    found = []
    for error in errors:
        name = error.pointer.removeprefix("/body").removeprefix("/data").strip("/")
        name = name.replace("/", "-")
        value = (values or {}).get(name)
        found.append(
            (pointer_label(error.pointer, labels), sentence(error, value, (picks or {}).get(name)))
        )
    return found
