"""Documents and valuation of a WCO DEC declaration: additional and previous documents, the
transport documents found among them, amounts, the invoice, freight and trade terms."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lxml import etree

from onewindow.formats.wco_reading import Reading, iso_date, text_of
from onewindow.reference.codelists import code_list

# UN/EDIFACT 1001 codes of certificates and declarations of origin (EUR.1 954 among them).
_ORIGIN_PROOF_CODES = frozenset({"861", "862", "864", "865", "954"})


@lru_cache(maxsize=1)
def _transport_document_codes() -> frozenset[str]:
    return frozenset(code_list("transport-document-type").codes())


def proves_origin(document_type: str) -> bool:
    """Category U documents are proofs of preferential origin; so are EUR.1 and the like.

    >>> proves_origin("U110"), proves_origin("954"), proves_origin("N935")
    (True, True, False)
    """
    return document_type.startswith("U") or document_type in _ORIGIN_PROOF_CODES


class TransportDocuments:
    """The transport documents found anywhere in the declaration, each once, in document order."""

    def __init__(self) -> None:
        self.found: list[dict[str, Any]] = []

    def add(self, document: dict[str, Any]) -> None:
        if document not in self.found:
            self.found.append(document)


def _document(r: Reading, element: etree._Element) -> tuple[bool, dict[str, Any]] | None:
    """(is a transport document, DocumentRef dict) of an AdditionalDocument, if complete."""
    category = r.peek(element, "CategoryCode")
    code = r.peek(element, "TypeCode")
    reference = r.peek(element, "ID")
    if code is None or reference is None:
        return None  # a code without a reference (a waiver statement) has no place in ours
    r.take(element, "CategoryCode")
    r.take(element, "TypeCode")
    r.take(element, "ID")
    if category == "N" and code in _transport_document_codes():
        return True, {"type": code, "reference": reference}
    # Category N codes are UN/EDIFACT 1001 codes; the other categories are national codes.
    document: dict[str, Any] = {
        "type": code if category == "N" else f"{category or ''}{code}",
        "reference": reference,
    }
    issuer = r.take(element, "Submitter/Name")
    if issuer is not None:
        document["issuer"] = issuer
    return False, document


def documents(
    r: Reading, parent: etree._Element | None, transport: TransportDocuments
) -> list[dict[str, Any]]:
    """The AdditionalDocuments under ``parent``; transport documents go to ``transport``."""
    found = []
    for element in r.all(parent, "AdditionalDocument"):
        read = _document(r, element)
        if read is None:
            continue
        is_transport, document = read
        if is_transport:
            transport.add(document)
        else:
            found.append(document)
    return found


def previous_documents(
    r: Reading,
    parent: etree._Element | None,
    transport: TransportDocuments,
    others: list[dict[str, Any]] | None = None,
) -> None:
    """PreviousDocuments that are transport documents; the others (a simplified declaration, a
    DUCR, an entry in the records, ...) into ``others`` as category + code (``Y`` + ``DCR``),
    when it is given; else they stay unmapped."""
    for element in r.all(parent, "PreviousDocument"):
        code = r.peek(element, "TypeCode")
        reference = r.peek(element, "ID")
        if reference is None or code is None:
            continue
        if code in _transport_document_codes():
            transport.add({"type": code, "reference": reference})
        elif others is not None:
            category = r.peek(element, "CategoryCode") or ""
            others.append({"type": category + code, "reference": reference[:70]})
        else:
            continue
        r.take(element, "CategoryCode")
        r.take(element, "TypeCode")
        r.take(element, "ID")


def amount(r: Reading, element: etree._Element | None) -> dict[str, Any] | None:
    """Amount and currency; an amount without its currency is left unmapped."""
    content = text_of(element)
    currency = element.get("currencyID") if element is not None else None
    if content is None or not currency:
        return None
    r.mark(element)
    return {"amount": content, "currency": currency.strip()}


def read_amounts(r: Reading, body: dict[str, Any]) -> None:
    """The invoice amount and the transport costs (the profile's freight charge)."""
    shipment = r.first(r.declaration, "GoodsShipment")
    invoice = amount(r, r.first(r.declaration, "InvoiceAmount"))
    if invoice is not None:
        body["invoice"] = invoice
    freight = amount(r, r.first(shipment, "CustomsValuation/FreightChargeAmount"))
    if freight is not None:
        body["freight"] = freight


def read_delivery_terms(r: Reading, body: dict[str, Any]) -> None:
    """TradeTerms: the Incoterm and its place (LocationID, else LocationName)."""
    terms = r.first(r.first(r.declaration, "GoodsShipment"), "TradeTerms")
    incoterm = r.take(terms, "ConditionCode")
    if incoterm is not None:
        delivery: dict[str, Any] = {"incoterm": incoterm}
        place = r.take(terms, "LocationID") or r.take(terms, "LocationName")
        if place is not None:
            delivery["place"] = place
        body["delivery_terms"] = delivery


def read_declaration_documents(
    r: Reading, body: dict[str, Any], transport: TransportDocuments
) -> None:
    """The declaration's documents, the shipment's invoice as a commercial invoice (380), and
    the shipment's previous transport documents."""
    shipment = r.first(r.declaration, "GoodsShipment")
    found = documents(r, r.declaration, transport)
    invoice_document = r.first(shipment, "Invoice")
    reference = r.peek(invoice_document, "ID")
    if reference is not None:
        r.take(invoice_document, "ID")
        commercial: dict[str, Any] = {"type": "380", "reference": reference}
        issue_time = r.first(invoice_document, "IssueDateTime")
        issued = iso_date(issue_time)
        if issue_time is not None and issued is not None:
            r.mark(*issue_time.iter())
            commercial["issued_on"] = issued
        found.append(commercial)
    if found:
        body["documents"] = found
    earlier: list[dict[str, Any]] = []
    previous_documents(r, shipment, transport, earlier)
    if earlier:
        body["previous_documents"] = earlier
