"""Header and parties of a WCO DEC declaration: declarant, importer, exporter, representative,
the office of lodgement and the total number of packages."""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

from onewindow.formats.wco_reading import Reading, number


def address(r: Reading, element: etree._Element | None) -> dict[str, Any] | None:
    """An Address with its country; without one the lines stay unmapped."""
    if element is None or r.peek(element, "CountryCode") is None:
        return None  # our address needs its country
    found: dict[str, Any] = {"country": r.take(element, "CountryCode")}
    for path, key in (("Line", "line"), ("CityName", "city"), ("PostcodeID", "postcode")):
        value = r.take(element, path)
        if value is not None:
            found[key] = value
    return found


def party(r: Reading, element: etree._Element | None) -> dict[str, Any] | None:
    """A party's ID, Name and Address, or None when it gives none of them."""
    if element is None:
        return None
    found: dict[str, Any] = {}
    identifier = r.take(element, "ID")
    if identifier is not None:
        found["identifier"] = identifier
    name = r.take(element, "Name")
    if name is not None:
        found["name"] = name
    where = address(r, r.first(element, "Address"))
    if where is not None:
        found["address"] = where
    return found or None


def read_header(r: Reading, body: dict[str, Any]) -> None:
    """The parties, the office of lodgement and the total number of packages."""
    declaration = r.declaration
    declarant = party(r, r.first(declaration, "Declarant"))
    if declarant is not None:
        body["declarant"] = declarant
    shipment = r.first(declaration, "GoodsShipment")
    importer = party(r, r.first(shipment, "Importer"))
    if importer is not None:
        body["importer"] = importer
    exporter = party(r, r.first(declaration, "Exporter"))
    if exporter is not None:
        body["exporter"] = exporter
    agent = r.first(declaration, "Agent")
    representation = r.peek(agent, "FunctionCode")
    if representation in ("2", "3"):
        r.take(agent, "FunctionCode")
        own = party(r, agent)
        # Without its own identity the agent is the declarant, lodging for the trader.
        acting = own if own is not None else copy.deepcopy(declarant or {})
        body["representative"] = {**acting, "representation": representation}
    office = r.take(declaration, "DeclarationOfficeID")
    if office is not None:
        body["office_of_lodgement"] = office
    total = r.take(declaration, "TotalPackageQuantity")
    if total is not None:
        body["total_packages"] = number(total)
