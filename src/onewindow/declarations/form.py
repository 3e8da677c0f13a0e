"""The portal's declaration form: flat HTML field names to the API's shape and back.

A field is named after its JSON pointer with ``-`` for ``/`` (``items-0-commodity_code``), so an
error's pointer says next to which field it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HEADER_FIELDS = (
    "declarant_reference",
    "type",
    "additional_type",
    "importer-identifier",
    "exporter-identifier",
    "exporter-name",
    "exporter-address-line",
    "exporter-address-city",
    "exporter-address-country",
    "office_of_lodgement",
    "country_of_export",
    "transport-mode",
    "transport-identity",
    "transport-nationality",
    "transport_documents-0-type",
    "transport_documents-0-reference",
    "location_of_goods",
    "delivery_terms-incoterm",
    "invoice-amount",
    "invoice-currency",
    "freight-amount",
    "freight-currency",
    "insurance-amount",
    "insurance-currency",
)
ITEM_FIELDS = (
    "commodity_code",
    "description",
    "origin",
    "procedure",
    "preference",
    "proof_of_origin-reference",
    "net_mass_kg",
    "gross_mass_kg",
    "packages-0-type",
    "packages-0-count",
    "value-amount",
    "value-currency",
)

LABELS = {
    "declarant_reference": "Your reference",
    "type": "Type",
    "additional_type": "Additional type",
    "office_of_lodgement": "Customs office",
    "importer-identifier": "Importer EORI",
    "exporter-identifier": "Exporter EORI",
    "exporter-name": "Exporter name",
    "exporter-address-line": "Exporter street",
    "exporter-address-city": "Exporter city",
    "exporter-address-country": "Exporter country",
    "country_of_export": "Country of export",
    "transport-mode": "Mode at the border",
    "transport-identity": "Vessel IMO / flight / vehicle",
    "transport-nationality": "Nationality of the means",
    "transport_documents-0-type": "Transport document",
    "transport_documents-0-reference": "Transport document number",
    "location_of_goods": "Location of goods",
    "delivery_terms-incoterm": "Incoterm",
    "invoice-amount": "Invoice total",
    "invoice-currency": "Invoice currency",
    "freight-amount": "Freight to the border",
    "freight-currency": "Freight currency",
    "insurance-amount": "Insurance",
    "insurance-currency": "Insurance currency",
    "items-commodity_code": "Commodity code",
    "items-description": "Description",
    "items-origin": "Country of origin",
    "items-procedure": "Procedure",
    "items-preference": "Preference claimed",
    "items-proof_of_origin-reference": "Proof of origin number",
    "items-net_mass_kg": "Net mass (kg)",
    "items-gross_mass_kg": "Gross mass (kg)",
    "items-packages-0-type": "Package type",
    "items-packages-0-count": "Packages",
    "items-value-amount": "Price",
    "items-value-currency": "Price currency",
}
"""Each field's label; a goods item's fields under ``items-`` and their name in the item."""

PICKS = {
    "office_of_lodgement": "offices",
    "importer-identifier": "parties",
    "exporter-identifier": "parties",
    "exporter-address-country": "countries",
    "country_of_export": "countries",
    "transport-nationality": "countries",
    "location_of_goods": "locations",
    "invoice-currency": "currencies",
    "freight-currency": "currencies",
    "insurance-currency": "currencies",
    "items-origin": "countries",
    "items-procedure": "procedures",
    "items-packages-0-type": "package-types",
    "items-value-currency": "currencies",
}
"""The pick list each field chooses from (``/api/v1/reference/pick/{list}``)."""


def pick_of(name: str) -> str | None:
    """The pick list of a form field, a goods item's included (``items-2-origin``)."""
    parts = name.split("-", 2)
    if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
        return PICKS.get(f"items-{parts[2]}")
    return PICKS.get(name)


def field_name(pointer: str) -> str:
    """``/items/0/value/amount`` -> ``items-0-value-amount`` (``/body`` prefixes dropped)."""
    return pointer.removeprefix("/body").strip("/").replace("/", "-")


def _set(target: dict[str, Any], path: list[str], value: Any) -> None:
    key = path[0]
    if len(path) == 1:
        target[key] = value
        return
    nested = target.setdefault(key, [] if path[1].isascii() and path[1].isdigit() else {})
    if isinstance(nested, list):
        index = int(path[1])
        while len(nested) <= index:
            nested.append({})
        if len(path) == 2:
            nested[index] = value
        else:
            _set(nested[index], path[2:], value)
    else:
        _set(nested, path[1:], value)


def item_count(form: Mapping[str, str]) -> int:
    """How many goods items the form holds (at least one)."""
    indexes = {
        int(k.split("-")[1])
        for k in form
        if k.startswith("items-") and k.split("-")[1].isascii() and k.split("-")[1].isdigit()
    }
    return max(indexes) + 1 if indexes else 1


def to_declaration(form: Mapping[str, str], declarant: str) -> dict[str, Any]:
    """The API body for a filled-in form; empty fields are left out, items numbered in order."""
    body: dict[str, Any] = {"declarant": {"identifier": declarant}}
    for name in HEADER_FIELDS:
        value = form.get(name, "").strip()
        # A pre-filled currency alone is no amount: freight and insurance are optional.
        if (
            name.endswith("-currency")
            and not form.get(name.replace("currency", "amount"), "").strip()
        ):
            continue
        if value:
            _set(body, name.split("-"), value)
    items: list[dict[str, Any]] = []
    for i in range(item_count(form)):
        item: dict[str, Any] = {}
        for name in ITEM_FIELDS:
            value = form.get(f"items-{i}-{name}", "").strip()
            if (
                name.endswith("-currency")
                and not form.get(f"items-{i}-{name.replace('currency', 'amount')}", "").strip()
            ):
                continue
            if value:
                _set(item, name.split("-"), value)
        if item:
            item["sequence"] = len(items) + 1
            if "proof_of_origin" in item:
                item["proof_of_origin"].setdefault("type", "861")
            items.append(item)
    body["items"] = items
    return body


def to_form(body: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """The form fields of an API body (to show a declaration again for amendment)."""
    fields: dict[str, str] = {}
    for key, value in body.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            fields.update(to_form(value, f"{name}-"))
        elif isinstance(value, list):
            for i, element in enumerate(value):
                if isinstance(element, dict):
                    fields.update(to_form(element, f"{name}-{i}-"))
                else:
                    fields[f"{name}-{i}"] = str(element)
        elif value is not None:
            fields[name] = str(value)
    return fields
