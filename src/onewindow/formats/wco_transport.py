"""Transport and locations of a WCO DEC declaration: the means of transport, the location of
the goods, the countries of export and destination, and the consignment's containers."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from onewindow.formats.wco_reading import Reading, container


def read_transport(r: Reading, flow: str, body: dict[str, Any]) -> None:
    """The means at the border; its identity from the arrival (imports) or departure (exports)
    means when the border means carries none, whose mode is then the inland mode."""
    border = r.first(r.declaration, "BorderTransportMeans")
    consignment = r.first(r.first(r.declaration, "GoodsShipment"), "Consignment")
    arrival = r.first(consignment, "ArrivalTransportMeans")
    departure = r.first(consignment, "DepartureTransportMeans")
    inland = arrival if flow == "IM" else departure
    mode = r.take(border, "ModeCode")
    if mode is None:
        return  # our transport needs the mode at the border
    means: dict[str, Any] = {"mode": mode}
    nationality = r.take(border, "RegistrationNationalityCode")
    if nationality is not None:
        means["nationality"] = nationality
    source = border if r.peek(border, "ID") else inland if r.peek(inland, "ID") else None
    if source is not None:
        means["identity"] = r.take(source, "ID")
        identity_type = r.take(source, "IdentificationTypeCode")
        if identity_type is not None:
            means["identity_type"] = identity_type
    if source is border:
        # The inland means often repeats the border means: then it is carried already.
        r.mark_if_equal(inland, "ID", means.get("identity"))
        r.mark_if_equal(inland, "IdentificationTypeCode", means.get("identity_type"))
    inland_mode = r.take(inland, "ModeCode")
    if inland_mode is not None:
        means["inland_mode"] = inland_mode
    body["transport"] = means


def read_goods_location(r: Reading, body: dict[str, Any]) -> None:
    """A UN/LOCODE, else the national code: country + type of location + qualifier + ID."""
    shipment = r.first(r.declaration, "GoodsShipment")
    location = r.first(shipment, "Consignment/GoodsLocation")
    if location is None:
        return
    key = "ID" if r.peek(location, "ID") else "Name"
    identifier = r.peek(location, key)
    if identifier is None:
        return
    address = r.first(location, "Address")
    country = r.peek(address, "CountryCode")
    locode = None
    if country and re.fullmatch(r"[A-Z0-9]{3}", identifier):
        locode = country + identifier
    elif re.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}", identifier) and country in (None, identifier[:2]):
        locode = identifier
    r.take(location, key)
    r.take(address, "CountryCode")
    if locode is not None:
        body["location_of_goods"] = locode
        if r.peek(address, "TypeCode") == "U":  # qualifier U: identified by UN/LOCODE
            r.take(address, "TypeCode")
        return
    kind = r.take(location, "TypeCode") or ""
    qualifier = r.take(address, "TypeCode") or ""
    body["goods_location_code"] = f"{country or ''}{kind}{qualifier}{identifier}"


def read_countries(r: Reading, body: dict[str, Any]) -> None:
    """Header countries; item-level ones count when they agree with the header."""
    shipment = r.first(r.declaration, "GoodsShipment")
    items = r.all(shipment, "GovernmentAgencyGoodsItem")
    for key, path in (
        ("country_of_export", "ExportCountry/ID"),
        ("country_of_destination", "Destination/CountryCode"),
    ):
        value = r.take(shipment, path)
        on_items = {r.peek(item, path) for item in items} - {None}
        if value is None and len(on_items) == 1 and all(r.peek(i, path) for i in items):
            value = on_items.pop()
        if value is None:
            continue
        body[key] = value
        for item in items:
            r.mark_if_equal(item, path, value)


def consignment_containers(
    r: Reading, consignment: etree._Element | None
) -> list[tuple[etree._Element, str]]:
    """The consignment's containers, each with its ISO 6346 identifier."""
    found = []
    for equipment in r.all(consignment, "TransportEquipment"):
        identifier = r.peek(equipment, "ID")
        if identifier is not None:
            found.append((equipment, container(identifier)))
        elif r.peek(equipment, "SequenceNumeric") == "0":
            r.take(equipment, "SequenceNumeric")  # sequence 0: goods not in containers
    return found


def item_containers(
    r: Reading,
    commodity: etree._Element | None,
    shared: list[tuple[etree._Element, str]],
) -> list[str]:
    """An item's own containers when it has some, else every consignment-level container."""
    own = [
        (equipment, container(identifier))
        for equipment in r.all(commodity, "TransportEquipment")
        if (identifier := r.peek(equipment, "ID")) is not None
    ]
    chosen = own or shared
    for equipment, _ in chosen:
        r.take(equipment, "ID")
        r.take(equipment, "SequenceNumeric")
    return list(dict.fromkeys(identifier for _, identifier in chosen))
