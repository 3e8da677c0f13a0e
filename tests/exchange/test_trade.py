"""What the gateway carries for the flow: a certificate of origin issued here goes to the
partner; one received from a partner proves origin for a preference; a released export goes to
the partner, and a partner's export is found by the import that follows it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select

from onewindow.clearance import service as clearance
from onewindow.db import session_scope
from onewindow.declarations import service as declarations
from onewindow.declarations.lifecycle import Status
from onewindow.declarations.schemas import DeclarationIn
from onewindow.exchange import service
from onewindow.exchange.models import Message
from onewindow.parties import service as parties
from onewindow.permits import service as permits
from onewindow.permits.schemas import ApplicationIn, DecisionIn, StepIn
from onewindow.security import Principal
from onewindow.tariff import service as tariff
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration
from tests.exchange import certificate_body, partner, signed
from tests.permits import deliver, load, procedure
from tests.portal import log_in

URL = "/api/v1/exchange/messages"
XML = {"Content-Type": "application/xml"}


def _as(party: Party) -> Principal:
    with session_scope() as session:
        user = parties.find_user(session, party.email)
        assert user is not None
        return parties.principal_for_user(user, "test")


def _outbound(reference: str) -> Message | None:
    with session_scope() as session:
        row = session.scalar(
            select(Message).where(Message.direction == "out", Message.reference == reference)
        )
        if row is not None:
            session.expunge(row)
        return row


def test_a_certificate_of_origin_issued_for_a_partner_country_is_sent_to_it(client: Any) -> None:
    partner("NZ")
    agency = make_party(("permit-agency",), user_role="staff")
    trader = make_party()
    body = procedure(
        agency.identifier,
        outcome="certificate",
        document_type="N954",
        steps=[
            {"id": "review", "kind": "review"},
            {"id": "decision", "kind": "decision", "after": ["review"]},
        ],
    )
    body["form"]["fields"] += [
        {"name": "country_of_destination", "type": "country", "required": True},
        {"name": "criterion", "type": "code", "required": True, "codes": {"PE": "PE"}},
        {"name": "exporter", "type": "text"},
    ]
    body["certificate_fields"] = [
        "description",
        "commodity_code",
        "origin",
        "country_of_destination",
        "exporter",
        "criterion",
    ]
    load(body)
    data = {
        "commodity_code": "6109100010",
        "origin": "GB",
        "purpose": "trade",
        "country_of_destination": "NZ",
        "criterion": "PE",
        "exporter": "Harbour Knits",
        "quantity": "100",
        "unit": "KGM",
    }
    applicant, officer = _as(trader), _as(agency)
    with session_scope() as session:
        application = permits.lodge(
            session, applicant, ApplicationIn(procedure=body["code"], data=data)
        )
        permits.complete_step(session, officer, application.id, "review", StepIn())
        decision = DecisionIn(decision="approve", reason="made here")
        permits.decide(session, officer, application.id, decision)
        number = permits.list_permits(session, applicant)[0].number
    deliver()
    sent = _outbound(number)
    assert sent is not None and sent.partner_country == "NZ" and sent.status == "pending"
    assert sent.message_type == "certificate-of-origin"
    assert "<HsCode>6109100010</HsCode>" in sent.xml and "<Origin>GB</Origin>" in sent.xml


def _preferential(origin: str, code: str = "6109100010") -> None:
    with session_scope() as session:
        tariff.add_measure(
            session,
            commodity_code=code,
            measure_type="preferential_duty",
            rate="0%",
            valid_from=date(2020, 1, 1),
            origin_group=origin,
            requires_proof_of_origin=True,
            label=f"Preference ({origin} agreement)",
        )


def _claim(trader: Party, reference: str, *, origin: str, hs: str = "6109100010") -> dict[str, Any]:
    body = declaration(country_of_export=origin)
    item = body["items"][0]
    item.update(
        commodity_code=hs,
        description="Cotton T-shirts",
        origin=origin,
        preference=origin,
        proof_of_origin={"type": "861", "reference": reference},
    )
    body["items"] = [item]
    body["declarant"] = body["importer"] = {"identifier": trader.identifier}
    principal = _as(trader)
    with session_scope() as session:
        lodged = clearance.lodge(session, principal, DeclarationIn.model_validate(body))
        assessment = declarations.latest_assessment(session, lodged.declaration)
        assert assessment is not None, lodged.declaration.errors
        return dict(assessment.items[0]["preference"])


def test_a_partners_certificate_grants_the_preference_without_paper(client: Any) -> None:
    nz = partner("NZ")
    _preferential("NZ")
    _preferential("NZ", "4202210000")
    number = f"CO-{uuid.uuid4().hex[:8].upper()}"
    data = signed(nz, "certificate-of-origin", certificate_body(number, origin="NZ"))
    assert client.post(URL, content=data, headers=XML).status_code == 200
    trader = make_party()
    granted = _claim(trader, number, origin="NZ")
    assert granted["granted"] is True, granted
    unknown = _claim(trader, "CO-NEVER-SENT", origin="NZ")
    assert unknown["granted"] is False
    assert "was not received from NZ's single window" in unknown["reason"]
    other_goods = _claim(trader, number, origin="NZ", hs="4202210000")
    assert other_goods["granted"] is False
    assert "does not cover goods of 420221 originating in NZ" in other_goods["reason"]


def test_a_released_export_to_a_partner_is_sent_and_a_partners_export_meets_its_import(
    client: Any,
) -> None:
    nz = partner("NZ")
    record = {
        "number": f"26NZ{uuid.uuid4().hex[:12].upper()}",
        "released": "2026-12-01T10:00:00Z",
        "exporter": {"name": "Kiwi Knits", "country": "NZ"},
        "export_country": "NZ",
        "destination_country": "GB",
        "transport_documents": [f"BL{uuid.uuid4().hex[:10].upper()}"],
        "items": [
            {
                "hs_code": "6109100010",
                "description": "T-shirts",
                "origin": "NZ",
                "net_mass_kg": "120",
            }
        ],
    }
    data = signed(nz, "export-declaration", service.export_declaration(record))
    assert client.post(URL, content=data, headers=XML).status_code == 200
    trader = make_party()
    body = declaration(country_of_export="NZ")
    body["transport_documents"] = [{"type": "705", "reference": record["transport_documents"][0]}]
    body["declarant"] = body["importer"] = {"identifier": trader.identifier}
    principal = _as(trader)
    with session_scope() as session:
        lodged = clearance.lodge(session, principal, DeclarationIn.model_validate(body))
        (found,) = service.exports_for(session, lodged.declaration)
        assert found.number == record["number"] and found.exporter == "Kiwi Knits"
        import_id = lodged.declaration.id
    # Customs sees it on the import declaration's page; the importer does not.
    log_in(client, make_party(("customs-office",), user_role="staff"))
    page = client.get(f"/declarations/{import_id}")
    assert "Export data from the partner" in page.text and record["number"] in page.text
    client.cookies.clear()
    log_in(client, trader)
    assert record["number"] not in client.get(f"/declarations/{import_id}").text
    # And ours, when an export to a partner country is released, goes the other way.
    exporter = make_party()
    export = declaration(type="EX", country_of_export="GB", country_of_destination="NZ")
    export["declarant"] = export["exporter"] = {"identifier": exporter.identifier}
    export.pop("importer")
    for item in export["items"]:
        item["procedure"] = "1000"
    principal = _as(exporter)
    with session_scope() as session:
        lodged = clearance.lodge(session, principal, DeclarationIn.model_validate(export))
        number = lodged.declaration.number
        # Paid or secured: released (the lifecycle's own step; payments are not this test's).
        for step in (Status.PAID, Status.RELEASED):
            declarations.transition(
                session, lodged.declaration, step, actor="test", reason="duties paid"
            )
    deliver()
    sent = _outbound(str(number))
    assert sent is not None and sent.message_type == "export-declaration"
    assert (
        sent.partner_country == "NZ" and "<DestinationCountry>NZ</DestinationCountry>" in sent.xml
    )
