"""A valid import declaration to start from; tests change what they test."""

from __future__ import annotations

import copy
import uuid
from typing import Any

BASE: dict[str, Any] = {
    "declarant_reference": "REF",
    "type": "IM",
    "additional_type": "A",
    "declarant": {"identifier": "GB100000000099"},
    "importer": {"identifier": "GB100000000099"},
    "exporter": {
        "name": "Shenzhen Bags Co",
        "address": {"line": "1 Harbour Road", "city": "Shenzhen", "country": "CN"},
    },
    "office_of_lodgement": "GBFXT001",
    "country_of_export": "CN",
    "country_of_destination": "GB",
    "transport": {"mode": "1", "identity_type": "10", "identity": "9321483", "nationality": "DK"},
    "transport_documents": [{"type": "705", "reference": "MAEU123456789"}],
    "location_of_goods": "GBFXT",
    "delivery_terms": {"incoterm": "FOB", "place": "Shenzhen"},
    "invoice": {"amount": "10000.00", "currency": "USD"},
    "freight": {"amount": "800.00", "currency": "USD"},
    "insurance": {"amount": "50.00", "currency": "USD"},
    "total_packages": 30,
    "items": [
        {
            "sequence": 1,
            "commodity_code": "4202210000",
            "description": "Handbags with outer surface of leather",
            "origin": "CN",
            "procedure": "4000",
            "net_mass_kg": "400",
            "gross_mass_kg": "450",
            "packages": [{"type": "CT", "count": 20}],
            "value": {"amount": "6000.00", "currency": "USD"},
            "containers": ["MSKU1234565"],
        },
        {
            "sequence": 2,
            "commodity_code": "6403990500",
            "description": "Leather footwear",
            "origin": "CN",
            "procedure": "4000",
            "net_mass_kg": "200",
            "gross_mass_kg": "230",
            "packages": [{"type": "CT", "count": 10}],
            "value": {"amount": "4000.00", "currency": "USD"},
        },
    ],
}


def declaration(**changes: Any) -> dict[str, Any]:
    """A fresh valid import declaration with a unique reference, with ``changes`` applied."""
    body = copy.deepcopy(BASE)
    body["declarant_reference"] = "T-" + uuid.uuid4().hex[:16]
    body.update(changes)
    return body
