"""Builders for permit tests: procedures with unique codes, agencies of the test, and rules that
only the test's own goods meet (removed again when the test ends)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from onewindow.db import session_scope
from onewindow.events import deliver_pending
from onewindow.permits import service as permits


def procedure(agency_identifier: str, **changes: Any) -> dict[str, Any]:
    """A procedure of a fresh code: review, then a laboratory test and a fee in parallel for
    trade, joined again at the decision."""
    tag = uuid.uuid4().hex[:8].upper()
    body: dict[str, Any] = {
        "code": f"T-{tag}",
        "version": 1,
        "name": f"Test permit {tag}",
        "agency": {
            "code": f"A{tag}",
            "name": f"Test Agency {tag}",
            "organisation": agency_identifier,
        },
        "document_type": f"X{tag[:3]}",
        "outcome": "permit",
        "validity_days": 60,
        "form": {
            "fields": [
                {
                    "name": "commodity_code",
                    "type": "hs",
                    "required": True,
                    "from_declaration": "commodity_code",
                },
                {
                    "name": "origin",
                    "type": "country",
                    "required": True,
                    "from_declaration": "origin",
                },
                {"name": "quantity", "type": "decimal", "min": 0, "from_declaration": "quantity"},
                {
                    "name": "unit",
                    "type": "code",
                    "codes": {"KGM": "kg"},
                    "from_declaration": "unit",
                },
                {
                    "name": "purpose",
                    "type": "code",
                    "required": True,
                    "codes": {"trade": "Trade", "private": "Private use"},
                },
            ]
        },
        "steps": [
            {"id": "review", "kind": "review"},
            {
                "id": "lab",
                "kind": "lab_test",
                "after": ["review"],
                "when": {"field": "purpose", "equals": "trade"},
            },
            {
                "id": "fee",
                "kind": "fee",
                "after": ["review"],
                "fee": {"amount": "10.00", "currency": "GBP"},
            },
            {"id": "decision", "kind": "decision", "after": ["lab", "fee"]},
        ],
        "requirements": [],
    }
    body.update(changes)
    return body


def load(body: dict[str, Any]) -> None:
    with session_scope() as session:
        permits.load_procedure(session, body, "test")


@contextmanager
def rules(body: dict[str, Any], *rules_: dict[str, Any]) -> Iterator[None]:
    """The procedure's requirement rules, for the time of a test only."""
    with session_scope() as session:
        permits.replace_requirements(session, body["code"], list(rules_), "test")
    try:
        yield
    finally:
        with session_scope() as session:
            permits.replace_requirements(session, body["code"], [], "test")


def deliver() -> None:
    for _ in range(10):
        with session_scope() as session:
            if not deliver_pending(session, limit=500):
                return
