"""Goods items of a WCO DEC declaration: commodity code, origin, preference, procedures,
measures, packages, values, documents and containers of each GovernmentAgencyGoodsItem."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from onewindow.formats.wco_documents import (
    TransportDocuments,
    amount,
    documents,
    previous_documents,
    proves_origin,
)
from onewindow.formats.wco_reading import Reading, number, text_of
from onewindow.formats.wco_transport import item_containers

PREFERENTIAL_REGIMES = frozenset({"2", "3"})
"""First digits of the duty regime codes that claim a tariff preference."""


def read_item(
    r: Reading,
    element: etree._Element,
    shared_containers: list[tuple[etree._Element, str]],
    transport: TransportDocuments,
) -> dict[str, Any]:
    """One goods item; its transport documents go to ``transport``."""
    item: dict[str, Any] = {}
    sequence = r.take(element, "SequenceNumeric")
    if sequence is not None:
        item["sequence"] = number(sequence)
    commodity = r.first(element, "Commodity")
    code = commodity_code(r, commodity)
    if code is not None:
        item["commodity_code"] = code
    description = r.take(commodity, "Description")
    if description is not None:
        item["description"] = description
    country = origin(r, element)
    if country is not None:
        item["origin"] = country
    claimed = preference(r, commodity)
    if claimed is not None:
        item["preference"] = claimed
    procedures(r, element, item)
    measure = r.first(commodity, "GoodsMeasure")
    net = mass_kg(r, r.first(measure, "NetNetWeightMeasure"))
    if net is not None:
        item["net_mass_kg"] = net
    gross = mass_kg(r, r.first(measure, "GrossMassMeasure"))
    if gross is not None:
        item["gross_mass_kg"] = gross
    tariff_quantity = r.first(measure, "TariffQuantity")
    unit = tariff_quantity.get("unitCode") if tariff_quantity is not None else None
    if text_of(tariff_quantity) is not None and unit:
        r.mark(tariff_quantity)
        item["supplementary_quantity"] = {"value": text_of(tariff_quantity), "unit": unit}
    found_packages = packages(r, element)
    if found_packages:
        item["packages"] = found_packages
    value = amount(r, r.first(commodity, "InvoiceLine/ItemChargeAmount"))
    if value is not None:
        item["value"] = value
    statistical = amount(r, r.first(element, "StatisticalValueAmount"))
    if statistical is not None:
        item["statistical_value"] = statistical
    found_documents = documents(r, element, transport)
    if found_documents:
        item["documents"] = found_documents
        proof = next((d for d in found_documents if proves_origin(d["type"])), None)
        if proof is not None and claimed is not None:
            item["proof_of_origin"] = {"type": proof["type"], "reference": proof["reference"]}
    previous_documents(r, element, transport)
    containers = item_containers(r, commodity, shared_containers)
    if containers:
        item["containers"] = containers
    return item


def commodity_code(r: Reading, commodity: etree._Element | None) -> str | None:
    """TSP (8 digits) and TRC (2 digits) joined; only the digits."""
    parts: dict[str, etree._Element] = {}
    for classification in r.all(commodity, "Classification"):
        kind = r.peek(classification, "IdentificationTypeCode")
        if kind in ("TSP", "TRC") and kind not in parts and r.peek(classification, "ID"):
            parts[kind] = classification
    if "TSP" not in parts:
        return None
    digits = ""
    for kind in ("TSP", "TRC"):
        if kind in parts:
            digits += re.sub(r"\D", "", r.take(parts[kind], "ID") or "")
            r.take(parts[kind], "IdentificationTypeCode")
    return digits or None


def origin(r: Reading, item: etree._Element) -> str | None:
    """Non-preferential origin (type 1, or untyped); else a preferential one (type 2) that
    names a country, since the goods then originate there. Repeats count as carried."""
    origins = [o for o in r.all(item, "Origin") if r.peek(o, "CountryCode") is not None]
    chosen = next((o for o in origins if r.peek(o, "TypeCode") in (None, "1")), None)
    if chosen is None:
        chosen = next(
            (
                o
                for o in origins
                if r.peek(o, "TypeCode") == "2"
                and re.fullmatch(r"[A-Z]{2}", r.peek(o, "CountryCode") or "")
            ),
            None,
        )
    if chosen is None:
        return None
    country = r.peek(chosen, "CountryCode")
    for element in origins:
        if r.peek(element, "CountryCode") == country:
            r.take(element, "CountryCode")
            r.take(element, "TypeCode")
    return country


def preference(r: Reading, commodity: etree._Element | None) -> str | None:
    """The first duty regime code that claims a preference; 100 (no preference) gives none."""
    first: str | None = None
    for duty in r.all(commodity, "DutyTaxFee"):
        regime = r.peek(duty, "DutyRegimeCode")
        if regime is None:
            continue
        # 1xx regimes are third-country duty (quota, end-use): not a preference; they stay
        # in ``unmapped``. 2xx and 3xx claim a tariff preference.
        if regime == "100" or (regime[:1] in PREFERENTIAL_REGIMES and first in (None, regime)):
            first = first if regime == "100" else regime
            r.take(duty, "DutyRegimeCode")
    return first


def procedures(r: Reading, element: etree._Element, item: dict[str, Any]) -> None:
    """Current + previous code to ``procedure`` (``4071``); three-character codes to
    ``additional_procedures`` (``000``, no additional procedure, gives none)."""
    additional: list[str] = []
    for procedure in r.all(element, "GovernmentProcedure"):
        current = r.peek(procedure, "CurrentCode")
        previous = r.peek(procedure, "PreviousCode")
        if current is None:
            continue
        if previous is not None and len(current) == 2 and "procedure" not in item:
            item["procedure"] = current + previous
            r.take(procedure, "CurrentCode")
            r.take(procedure, "PreviousCode")
        elif previous is None and len(current) == 4 and "procedure" not in item:
            item["procedure"] = r.take(procedure, "CurrentCode")
        elif previous is None and len(current) == 3:
            r.take(procedure, "CurrentCode")
            if current != "000":  # 000: no additional procedure
                additional.append(current)
    if additional:
        item["additional_procedures"] = additional


def mass_kg(r: Reading, element: etree._Element | None) -> str | None:
    """A mass in kilograms; another unit stays unmapped (the model holds kilograms)."""
    content = text_of(element)
    if content is None or element is None or element.get("unitCode", "KGM") != "KGM":
        return None
    r.mark(element)
    return content


def packages(r: Reading, element: etree._Element) -> list[dict[str, Any]]:
    """Packaging with both its type and its number, and the marks when given."""
    found = []
    for packaging in r.all(element, "Packaging"):
        kind = r.peek(packaging, "TypeCode")
        count = r.peek(packaging, "QuantityQuantity")
        if kind is None or count is None:
            continue  # our packages need both the type and the number
        package: dict[str, Any] = {
            "type": r.take(packaging, "TypeCode"),
            "count": number(r.take(packaging, "QuantityQuantity") or ""),
        }
        marks = r.take(packaging, "MarksNumbersID")
        if marks is not None:
            package["marks"] = marks
        r.take(packaging, "SequenceNumeric")
        found.append(package)
    return found
