"""What the gateway carries for the flow: certificates of origin and export declaration data.

Sent: a certificate of origin when permits issues one for goods going to a partner country
(event ``permits.certificate_issued``); an export declaration's data when it is released for a
partner country (event ``declaration.released``).

Received: a certificate of origin is kept, so that an import declaration claiming a preference
with its number as proof of origin finds it (:func:`origin_proof`) and the preference is granted
without paper; export data is kept for the matching import declaration (:func:`exports_for`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.declarations.models import Declaration
from onewindow.errors import InvalidInput
from onewindow.events import Event
from onewindow.exchange import documents, envelope, gateway, register
from onewindow.exchange.models import OriginCertificate, PartnerExport, PartnerExportDocument

CERTIFICATE_OF_ORIGIN = "N954"
"""The document type of a certificate of origin (UNTDID 1001 / the tariff's proof codes)."""


# Sending ---------------------------------------------------------------------------------------


def certificate_issued(session: Session, event: Event) -> None:
    """Send a certificate of origin to the partner country the goods go to."""
    data = event.payload
    details = data.get("details") or {}
    destination = str(details.get("country_of_destination") or "")
    if data.get("document_type") != CERTIFICATE_OF_ORIGIN:
        return
    if destination not in register.partner_countries(session):
        return
    settings = get_settings()
    body = documents.certificate_of_origin(
        {
            "number": data["number"],
            "issue_date": data["issued_on"],
            "valid_to": data.get("valid_to"),
            "issuing_country": settings.country,
            "issuing_authority": data.get("agency") or "issuing authority",
            "exporter": {"name": details.get("exporter") or data.get("holder") or "exporter"},
            "importer": {"name": details["importer"]} if details.get("importer") else None,
            "destination_country": destination,
            "criterion": details.get("criterion") or "WO",
            "goods": [
                {
                    "hs_code": details["commodity_code"],
                    "description": details.get("description") or details["commodity_code"],
                    "origin": details.get("origin") or settings.country,
                    "quantity": data.get("quantity"),
                    "unit": data.get("unit"),
                }
            ],
        }
    )
    gateway.send(session, destination, "certificate-of-origin", body, reference=data["number"])


def _party(party: dict[str, Any] | None) -> dict[str, Any] | None:
    if not party:
        return None
    address = party.get("address") or {}
    text = ", ".join(str(address[k]) for k in ("line", "city", "postcode") if address.get(k))
    return {
        "identifier": party.get("identifier"),
        "name": party.get("name") or party.get("identifier") or "unnamed",
        "address": text or None,
        "country": address.get("country"),
    }


def declaration_released(session: Session, event: Event) -> None:
    """Send a released export's data to the partner country its goods go to."""
    declaration = declarations.find(session, int(event.subject_id))
    if declaration is None or declaration.type != "EX" or not declaration.number:
        return
    content = declaration.content
    destination = content.get("country_of_destination") or ""
    if destination not in register.partner_countries(session):
        return
    settings = get_settings()
    released = declaration.released_at or utcnow()
    body = documents.export_declaration(
        {
            "number": declaration.number,
            "released": envelope.timestamp(released),
            "exporter": _party(content.get("exporter") or content.get("declarant")),
            "consignee": _party(content.get("importer")),
            "export_country": content.get("country_of_export") or settings.country,
            "destination_country": destination,
            "transport_documents": [d["reference"] for d in content.get("transport_documents", [])],
            "items": [
                {
                    "sequence": item["sequence"],
                    "hs_code": item.get("commodity_code"),
                    "description": item.get("description"),
                    "origin": item.get("origin"),
                    "net_mass_kg": item.get("net_mass_kg"),
                    "value": item.get("value"),
                }
                for item in content.get("items", [])
            ],
        }
    )
    gateway.send(session, destination, "export-declaration", body, reference=declaration.number)


# Receiving -------------------------------------------------------------------------------------


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def receive_certificate(session: Session, message: gateway.Received) -> str:
    """Keep a partner's certificate of origin (a number already kept is refused)."""
    record = message.record
    if record["issuing_country"] != message.partner_country:
        raise InvalidInput(
            f"the certificate was issued in {record['issuing_country']}, "
            f"not by the sender {message.partner_country}"
        )
    number = str(record["number"])
    if session.scalar(select(OriginCertificate.id).where(OriginCertificate.number == number)):
        raise InvalidInput(f"a certificate of origin numbered {number} is already on record")
    issued = _date(record["issue_date"])
    assert issued is not None
    session.add(
        OriginCertificate(
            message_id=message.id,
            number=number,
            issuing_country=record["issuing_country"],
            issuing_authority=record["issuing_authority"] or "",
            issue_date=issued,
            valid_to=_date(record.get("valid_to")),
            exporter=(record.get("exporter") or {}).get("name", ""),
            importer=(record.get("importer") or {}).get("name"),
            destination_country=record["destination_country"],
            criterion=record["criterion"],
            goods=record["goods"],
            received_at=utcnow(),
        )
    )
    return number


def receive_export(session: Session, message: gateway.Received) -> str:
    """Keep a partner's released export, findable by its number and transport documents."""
    record = message.record
    row = PartnerExport(
        message_id=message.id,
        export_country=message.partner_country,
        number=record["number"],
        released=envelope.parse_timestamp(record["released"]),
        exporter=(record.get("exporter") or {}).get("name", ""),
        consignee=(record.get("consignee") or {}).get("name"),
        data=record,
        received_at=utcnow(),
    )
    session.add(row)
    session.flush()
    for reference in dict.fromkeys(record["transport_documents"]):
        session.add(PartnerExportDocument(export_id=row.id, reference=reference))
    return str(record["number"])


# Reading for the flow --------------------------------------------------------------------------


@dataclass(frozen=True)
class OriginProof:
    """What the exchange says of a proof of origin: ``None`` when it does not concern it (no
    partner's goods, no certificate of ours), else whether it holds, and why."""

    holds: bool
    reason: str


CERTIFICATE_TYPES = frozenset({"861", CERTIFICATE_OF_ORIGIN})
"""Proofs that are certificates (an origin declaration on an invoice is not sent by partners)."""


def origin_proof(
    session: Session,
    reference: str,
    *,
    proof_type: str,
    commodity_code: str,
    origin: str,
    on: date,
) -> OriginProof | None:
    """Check a claimed proof of origin against the certificates partners sent.

    Goods originating in a partner country need the partner's certificate, received through
    the exchange: unknown, or not covering the goods (origin, HS subheading, destination,
    validity), the proof does not hold. Other goods are not the exchange's to judge (None).
    """
    found = session.scalar(select(OriginCertificate).where(OriginCertificate.number == reference))
    if found is None:
        if proof_type not in CERTIFICATE_TYPES or origin not in register.partner_countries(session):
            return None
        return OriginProof(
            False,
            f"certificate of origin {reference} was not received from {origin}'s single window",
        )
    country = get_settings().country
    if found.destination_country != country:
        return OriginProof(
            False,
            f"certificate {reference} is for goods going to "
            f"{found.destination_country}, not {country}",
        )
    if on < found.issue_date or (found.valid_to is not None and on > found.valid_to):
        return OriginProof(False, f"certificate {reference} is not valid on {on.isoformat()}")
    heading = commodity_code[:6]
    for line in found.goods:
        if str(line.get("hs_code") or "")[:6] == heading and line.get("origin") == origin:
            return OriginProof(
                True,
                f"certificate of origin {reference} received from {found.issuing_country}'s "
                f"single window covers the goods",
            )
    return OriginProof(
        False,
        f"certificate {reference} does not cover goods of {heading} originating in {origin}",
    )


def exports_for(session: Session, declaration: Declaration) -> list[PartnerExport]:
    """Partners' released exports an import declaration follows: named by number among its
    documents, or sharing a transport document with it."""
    content = declaration.content
    references = {
        d["reference"] for key in ("documents", "previous_documents") for d in content.get(key, [])
    }
    transport = {d["reference"] for d in content.get("transport_documents", [])}
    conditions = []
    if references:
        conditions.append(PartnerExport.number.in_(references))
    if transport:
        conditions.append(
            PartnerExport.id.in_(
                select(PartnerExportDocument.export_id).where(
                    PartnerExportDocument.reference.in_(transport)
                )
            )
        )
    if not conditions:
        return []
    return list(
        session.scalars(select(PartnerExport).where(or_(*conditions)).order_by(PartnerExport.id))
    )


def certificates_received(session: Session, limit: int = 200) -> list[OriginCertificate]:
    return list(
        session.scalars(
            select(OriginCertificate).order_by(OriginCertificate.id.desc()).limit(limit)
        )
    )
