"""Bounds shared by the request schemas of every domain: no list or string without a limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def decimal_text(max_digits: int) -> Callable[[dict[str, Any]], None]:
    """``json_schema_extra`` for a Decimal field: its string form is bounded in the schema too
    (digits, a sign, a point and an exponent's few characters).

    >>> schema = {"anyOf": [{"type": "number"}, {"type": "string"}]}
    >>> decimal_text(18)(schema)
    >>> schema["anyOf"][1]["maxLength"]
    24
    """

    def bound(schema: dict[str, Any]) -> None:
        for branch in [schema, *schema.get("anyOf", [])]:
            if branch.get("type") == "string":
                branch["maxLength"] = max_digits + 6

    return bound
