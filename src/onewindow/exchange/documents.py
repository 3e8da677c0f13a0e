"""Message bodies built from plain records, and read back into plain records. Pure.

>>> body = certificate_of_origin({
...     "number": "CHAMBER-26-000001", "issue_date": "2026-12-02", "issuing_country": "GB",
...     "issuing_authority": "Chamber of Commerce", "exporter": {"name": "Harbour Trading Ltd"},
...     "destination_country": "FR", "criterion": "PE",
...     "goods": [{"hs_code": "6109100010", "description": "T-shirts", "origin": "GB"}]})
>>> read_certificate_of_origin(body)["goods"][0]["hs_code"]
'6109100010'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from onewindow.exchange.envelope import child, element, q, validate_body

Record = Mapping[str, Any]


def _party(parent: etree._Element, name: str, party: Record | None) -> None:
    if not party or not party.get("name"):
        return
    node = child(parent, name)
    if party.get("identifier"):
        child(node, "Identifier", party["identifier"])
    child(node, "Name", str(party["name"])[:512])
    if party.get("address"):
        child(node, "Address", str(party["address"])[:512])
    if party.get("country"):
        child(node, "Country", party["country"])


def _read_party(node: etree._Element | None) -> dict[str, str] | None:
    if node is None:
        return None
    return {etree.QName(c).localname.lower(): (c.text or "") for c in node}


def _text(node: etree._Element, name: str) -> str | None:
    found = node.find(q(name))
    return found.text if found is not None else None


def certificate_of_origin(record: Record) -> etree._Element:
    """A CertificateOfOrigin body (number, issue date, issuing country and authority, exporter,
    importer, destination, origin criterion, goods lines with HS codes)."""
    root = element("CertificateOfOrigin")
    child(root, "Number", record["number"])
    child(root, "IssueDate", record["issue_date"])
    if record.get("valid_to"):
        child(root, "ValidTo", record["valid_to"])
    child(root, "IssuingCountry", record["issuing_country"])
    child(root, "IssuingAuthority", record["issuing_authority"])
    _party(root, "Exporter", record["exporter"])
    _party(root, "Importer", record.get("importer"))
    child(root, "DestinationCountry", record["destination_country"])
    child(root, "OriginCriterion", record["criterion"])
    for i, goods in enumerate(record["goods"], start=1):
        line = child(root, "Goods")
        child(line, "Sequence", goods.get("sequence", i))
        child(line, "HsCode", goods["hs_code"])
        child(line, "Description", str(goods["description"])[:512])
        child(line, "Origin", goods["origin"])
        if goods.get("quantity") not in (None, ""):
            quantity = child(line, "Quantity", goods["quantity"])
            if goods.get("unit"):
                quantity.set("unit", goods["unit"])
    validate_body("certificate-of-origin", root)
    return root


def read_certificate_of_origin(body: etree._Element) -> dict[str, Any]:
    goods = []
    for line in body.findall(q("Goods")):
        quantity = line.find(q("Quantity"))
        goods.append(
            {
                "sequence": int(_text(line, "Sequence") or 0),
                "hs_code": _text(line, "HsCode"),
                "description": _text(line, "Description"),
                "origin": _text(line, "Origin"),
                "quantity": quantity.text if quantity is not None else None,
                "unit": quantity.get("unit") if quantity is not None else None,
            }
        )
    return {
        "number": _text(body, "Number"),
        "issue_date": _text(body, "IssueDate"),
        "valid_to": _text(body, "ValidTo"),
        "issuing_country": _text(body, "IssuingCountry"),
        "issuing_authority": _text(body, "IssuingAuthority"),
        "exporter": _read_party(body.find(q("Exporter"))),
        "importer": _read_party(body.find(q("Importer"))),
        "destination_country": _text(body, "DestinationCountry"),
        "criterion": _text(body, "OriginCriterion"),
        "goods": goods,
    }


def export_declaration(record: Record) -> etree._Element:
    """An ExportDeclaration body: the released export's number, parties, countries, transport
    documents and items."""
    root = element("ExportDeclaration")
    child(root, "Number", record["number"])
    child(root, "Released", record["released"])
    _party(root, "Exporter", record["exporter"])
    _party(root, "Consignee", record.get("consignee"))
    child(root, "ExportCountry", record["export_country"])
    child(root, "DestinationCountry", record["destination_country"])
    for document in record.get("transport_documents", []):
        child(root, "TransportDocument", document)
    for i, item in enumerate(record["items"], start=1):
        line = child(root, "Item")
        child(line, "Sequence", item.get("sequence", i))
        for key, name in (
            ("hs_code", "HsCode"),
            ("description", "Description"),
            ("origin", "Origin"),
            ("net_mass_kg", "NetMassKg"),
        ):
            if item.get(key) not in (None, ""):
                child(line, name, str(item[key])[:512])
        if item.get("value"):
            child(line, "Value", item["value"]["amount"]).set("currency", item["value"]["currency"])
    validate_body("export-declaration", root)
    return root


def read_export_declaration(body: etree._Element) -> dict[str, Any]:
    items = []
    for line in body.findall(q("Item")):
        value = line.find(q("Value"))
        items.append(
            {
                "sequence": int(_text(line, "Sequence") or 0),
                "hs_code": _text(line, "HsCode"),
                "description": _text(line, "Description"),
                "origin": _text(line, "Origin"),
                "net_mass_kg": _text(line, "NetMassKg"),
                "value": (
                    {"amount": value.text, "currency": value.get("currency")}
                    if value is not None
                    else None
                ),
            }
        )
    return {
        "number": _text(body, "Number"),
        "released": _text(body, "Released"),
        "exporter": _read_party(body.find(q("Exporter"))),
        "consignee": _read_party(body.find(q("Consignee"))),
        "export_country": _text(body, "ExportCountry"),
        "destination_country": _text(body, "DestinationCountry"),
        "transport_documents": [d.text for d in body.findall(q("TransportDocument"))],
        "items": items,
    }


AEO_FIELDS = (
    ("operator_id", "Identifier"),
    ("consent", "Consent"),
    ("name", "Name"),
    ("address", "Address"),
    ("status", "Status"),
    ("tier", "Tier"),
    ("validation_date", "ValidationDate"),
    ("suspended_on", "SuspendedOn"),
    ("revoked_on", "RevokedOn"),
)


def aeo_status_list(
    records: Sequence[Record], *, full: bool, since: str | None = None
) -> etree._Element:
    """An AeoStatusList body, the full list or the changes ``since`` a time. Name and address
    travel only with the operator's consent (the MRA's rule); identification and status always.

    >>> body = aeo_status_list([{"operator_id": "GB123", "consent": False, "name": "Acme",
    ...                          "status": "suspended", "suspended_on": "2026-12-01"}], full=False)
    >>> read_aeo_status_list(body)["operators"][0]
    {'operator_id': 'GB123', 'consent': False, 'status': 'suspended', 'suspended_on': '2026-12-01'}
    """
    root = element("AeoStatusList")
    child(root, "Scope", "full" if full else "changes")
    if since:
        child(root, "Since", since)
    for record in records:
        node = child(root, "Operator")
        consent = bool(record.get("consent"))
        for key, name in AEO_FIELDS:
            value = record.get(key)
            if key == "consent":
                child(node, name, "true" if consent else "false")
            elif key in {"name", "address"} and not consent:
                continue
            elif value not in (None, ""):
                child(node, name, value)
    validate_body("aeo-status-list", root)
    return root


def read_aeo_status_list(body: etree._Element) -> dict[str, Any]:
    operators = []
    for node in body.findall(q("Operator")):
        record: dict[str, Any] = {}
        for key, name in AEO_FIELDS:
            value = _text(node, name)
            if value is None:
                continue
            record[key] = value in {"true", "1"} if key == "consent" else value
        operators.append(record)
    return {
        "full": _text(body, "Scope") == "full",
        "since": _text(body, "Since"),
        "operators": operators,
    }


READERS = {
    "certificate-of-origin": read_certificate_of_origin,
    "export-declaration": read_export_declaration,
    "aeo-status-list": read_aeo_status_list,
}
"""How each message type's body reads as a plain record (what handlers are given)."""
