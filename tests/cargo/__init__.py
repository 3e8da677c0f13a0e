"""Builders for cargo tests: unique vessels, containers and documents, so that tests sharing a
database never see each other's cargo (a factory declaration's vessel is never called here)."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from onewindow.cargo.identifiers import container_check_digit
from onewindow.db import utcnow

FACTORY_VESSEL = "9321483"
"""The vessel of the factory declaration: never called here, so its goods stay uncontrolled."""


def imo() -> str:
    """A fresh valid IMO number (never the factory declaration's vessel)."""
    digits = f"{random.randint(100000, 999999)}"
    while digits == FACTORY_VESSEL[:6]:
        digits = f"{random.randint(100000, 999999)}"
    check = sum(int(d) * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return digits + str(check)


def container(owner: str = "TSTU") -> str:
    """A fresh valid ISO 6346 container number."""
    first = f"{owner}{random.randint(0, 999999):06d}"
    return first + str(container_check_digit(first))


def document_number(prefix: str = "BL") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12].upper()}"


def call_body(transport_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "mode": "sea",
        "transport_id": transport_id,
        "transport_name": "Test Carrier Star",
        "voyage": uuid.uuid4().hex[:8].upper(),
        "port": "GBFXT",
        "eta": (utcnow() + timedelta(days=2)).isoformat(),
    }
    body.update(changes)
    return body


def manifest_body(
    transport_id: str, documents: list[dict[str, Any]] | None = None, **changes: Any
) -> dict[str, Any]:
    """A manifest of one master bill of lading with one container and one goods line."""
    number = container()
    body: dict[str, Any] = {
        "reference": f"MF-{uuid.uuid4().hex[:10].upper()}",
        "mode": "sea",
        "transport_id": transport_id,
        "transport_name": "Test Carrier Star",
        "voyage": "V1",
        "port_of_loading": "GBSOU",
        "port_of_discharge": "GBFXT",
        "documents": documents
        or [
            {
                "number": document_number(),
                "kind": "master",
                "consignee": {"name": "Someone Ltd", "identifier": "GB100000000099"},
                "goods": [
                    {
                        "line": 1,
                        "description": "Handbags",
                        "hs_code": "420221",
                        "packages": 30,
                        "package_type": "CT",
                        "gross_mass_kg": "700",
                        "container": number,
                    }
                ],
                "containers": [{"number": number, "seals": ["SEAL1"]}],
            }
        ],
    }
    body.update(changes)
    return body
