"""The demo's permits: the agencies (the Plant and Animal Health Agency of the demo, and three
more), the shipped procedures and their requirement rules, and applications in every state, so
that the demo agency user has a queue and the demo trader has permits.

Loaded after the demo parties. Idempotent: organisations are found by identifier, procedures by
code and version, and the applications are made once (when the demo trader has none yet).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from onewindow import events, workers
from onewindow.clearance import service as clearance
from onewindow.declarations.schemas import DeclarationIn
from onewindow.demo import (
    OFFICER_EMAIL,
    TRADER_EMAIL,
    DemoConsignment,
    DemoDeclaration,
    DemoItem,
    DemoParty,
    demo_declaration_body,
    demo_principal,
    ensure_parties,
)
from onewindow.parties import service as parties
from onewindow.payments import service as payments
from onewindow.payments.gateway import SimulatedBank
from onewindow.permits import service as permits
from onewindow.permits.schemas import (
    AnswerIn,
    ApplicationIn,
    CompanyDocumentIn,
    DecisionIn,
    DeclaredApplicationIn,
    StepIn,
)
from onewindow.security import Principal

AGENCY_EMAIL = "agency@onewindow.example"

AGENCY_PARTIES = (
    DemoParty(
        "Environment Agency: Wildlife Trade",
        "TIN",
        "GB0000000005",
        ("permit-agency",),
        "wildlife@onewindow.example",
        "Wren Wildlife",
        "staff",
    ),
    DemoParty(
        "Medicines and Healthcare Products Agency",
        "TIN",
        "GB0000000006",
        ("permit-agency",),
        "medicines@onewindow.example",
        "Max Medicines",
        "staff",
    ),
    DemoParty(
        "Chamber of Commerce: Origin Certification",
        "TIN",
        "GB0000000007",
        ("permit-agency",),
        "origin@onewindow.example",
        "Olive Origin",
        "staff",
    ),
)
"""The demo's agencies besides the Plant and Animal Health Agency (which the demo parties have)."""

PLANTS = {
    "commodity_code": "0602909100",
    "description": "Rooted olive trees in pots",
    "origin": "ES",
    "quantity": "1200",
    "unit": "KGM",
    "importer": "Harbour Trading Ltd",
}
MEAT = {
    "commodity_code": "0201300000",
    "description": "Chilled boneless beef",
    "origin": "AR",
    "quantity": "8000",
    "unit": "KGM",
    "establishment": "AR1234",
    "temperature": "chilled",
}


HELD_REFERENCE = "DEMO-PERMIT-0001"
"""The demo declaration held for its missing plant health permit (applied for inside it)."""

_ES_OLIVES = DemoConsignment(
    exporter="Viveros del Sur SL",
    city="Seville",
    country="ES",
    currency="EUR",
    incoterm="DAP",
    freight="0",
    insurance="0",
    mode="3",
    means_type="30",
    means="SE4412KX",
    nationality="ES",
    document_type="730",
    document="CMR-ES-20931",
    items=(DemoItem("0602909100", "Rooted olive trees in pots", "ES", "900", "1100", 30, "7400"),),
)


def _held_declaration(session: Session, trader: Principal) -> int:
    """A declaration lodged with its plant health application inside it: its duties are paid
    (the bank confirms when the demo's events are delivered), and it waits for the permit."""
    demo = DemoDeclaration(HELD_REFERENCE, TRADER_EMAIL, "paid", _ES_OLIVES)
    body = DeclarationIn.model_validate(demo_declaration_body(demo, trader_identifier(session)))
    lodgement = clearance.lodge(
        session,
        trader,
        body,
        permit_applications=[
            DeclaredApplicationIn(
                procedure="PHYTO-IMPORT",
                items=[1],
                fields={"purpose": "trade", "treatment": "hot water, 50 °C for 30 minutes"},
            )
        ],
    )
    declaration = lodgement.declaration
    if payments.list_payment_requests(
        session, trader, declaration_id=declaration.id, status="open"
    ):
        clearance.pay(
            session, trader, declaration.id, method="bank", gateway=SimulatedBank(session)
        )
    return declaration.id


def trader_identifier(session: Session) -> str:
    trader = demo_principal(session, TRADER_EMAIL)
    return parties.get_organisation(session, trader, trader.organisation_id).identifier


def _parties(session: Session) -> None:
    ensure_parties(session, AGENCY_PARTIES)


def load_demo_permits(session: Session) -> int:
    """Agencies, procedures, rules and the demo's applications; return how many applications
    were made (none on a second run)."""
    _parties(session)
    permits.load_directory(session, actor="demo")
    session.flush()
    trader = demo_principal(session, TRADER_EMAIL)
    if permits.list_applications(session, trader, limit=1):
        return 0
    plants = demo_principal(session, AGENCY_EMAIL)
    wildlife = demo_principal(session, AGENCY_PARTIES[0].email)
    medicines = demo_principal(session, AGENCY_PARTIES[1].email)
    origin = demo_principal(session, AGENCY_PARTIES[2].email)

    def apply(code: str, data: dict[str, Any]) -> int:
        return permits.lodge(session, trader, ApplicationIn(procedure=code, data=data)).id

    def step(who: Principal, application_id: int, step_id: str, note: str = "") -> None:
        permits.complete_step(session, who, application_id, step_id, StepIn(note=note))

    # Lodged, nothing done yet.
    apply("PHYTO-IMPORT", {**PLANTS, "purpose": "private", "description": "Bonsai trees"})
    # In review: the documents are checked, the border post inspection is open.
    meat = apply("VET-HEALTH", MEAT)
    step(plants, meat, "review", "health certificate of the exporting country seen")
    # Information asked for: which treatment before export?
    asked = apply("PHYTO-IMPORT", {**PLANTS, "purpose": "trade", "treatment": "none"})
    step(plants, asked, "review")
    permits.ask(
        session,
        plants,
        asked,
        "Olive trees from Spain need a Xylella fastidiosa treatment: which one, and by whom?",
    )
    # Answered: the agency asked, the trader answered in the same thread; back in review.
    answered = apply("PHYTO-IMPORT", {**PLANTS, "purpose": "trade", "treatment": "none"})
    step(plants, answered, "review")
    permits.ask(session, plants, answered, "Which nursery grew the trees, and is it registered?")
    permits.answer(
        session,
        trader,
        answered,
        AnswerIn(
            text="Viveros del Sur, Seville, plant passport ES-41-0123",
            data={"treatment": "hot water"},
        ),
    )
    # Approved: a permit with its balance, valid for 90 days.
    approved = apply("PHYTO-IMPORT", {**PLANTS, "purpose": "private"})
    step(plants, approved, "review", "nursery registered in the EU plant passport scheme")
    permits.decide(
        session,
        plants,
        approved,
        DecisionIn(
            decision="approve",
            reason="nursery registered, pests absent in the region of origin",
            conditions="plants kept under official supervision for 14 days",
        ),
    )
    # Refused, with its reason.
    refused = apply("VET-HEALTH", {**MEAT, "origin": "BR", "establishment": "BR9999"})
    permits.decide(
        session,
        plants,
        refused,
        DecisionIn(decision="reject", reason="establishment BR9999 is not on the approved list"),
    )
    # A CITES permit with one of its two reviews done (they run side by side).
    cites = apply(
        "CITES",
        {
            "commodity_code": "4103200000",
            "description": "Python skins, tanned",
            "species": "Python reticulatus",
            "appendix": "II",
            "origin": "ID",
            "quantity": "150",
            "unit": "NAR",
            "source": "C",
        },
    )
    step(wildlife, cites, "management", "export permit of Indonesia checked")
    # A medicines licence: the company registration is lodged once and verified once.
    document = permits.lodge_company_document(
        session,
        trader,
        CompanyDocumentIn(
            agency="MHRA",
            kind="business_registration",
            reference="CRN 01234567",
            valid_to=date.today() + timedelta(days=20),
        ),
    )
    permits.verify_company_document(
        session, medicines, document.id, accepted=True, reason="Companies House record matches"
    )
    vaccines = apply(
        "MED-IMPORT",
        {
            "commodity_code": "3002410000",
            "description": "Veterinary vaccines",
            "origin": "DE",
            "value": "18000",
            "currency": "EUR",
            "marketing_authorisation": "PL 12345/0001",
        },
    )
    step(medicines, vaccines, "review")
    # A certificate of origin for an export, issued, with its verification number.
    certificate = apply(
        "CERT-ORIGIN",
        {
            "commodity_code": "6109100010",
            "description": "Men's cotton T-shirts",
            "origin": "GB",
            "country_of_destination": "EG",
            "exporter": "Harbour Trading Ltd",
            "quantity": "2400",
            "unit": "NAR",
            "criterion": "PE",
        },
    )
    step(origin, certificate, "review")
    # Its fee is paid like duties: through payments, the bank confirms, the fee step is done.
    fee = permits.view(session, permits.get(session, trader, certificate)).fee_request
    assert fee is not None
    payments.pay(
        session, trader, fee.payment_request_id, method="bank", gateway=SimulatedBank(session)
    )
    workers.register_consumers()
    while events.deliver_pending(session, limit=500):
        pass
    permits.decide(
        session,
        origin,
        certificate,
        DecisionIn(decision="approve", reason="made in Leicester from UK-spun cotton yarn"),
    )
    # A declaration held for a missing permit: the application lodged inside it is in review,
    # the plant health agency joins customs' inspection of it, and customs asks the wildlife
    # agency in; the plant health agency has recorded its findings.
    held = _held_declaration(session, trader)
    officer = demo_principal(session, OFFICER_EMAIL)
    inside = permits.list_applications(session, trader, limit=1)[0]
    step(plants, inside.id, "review", "plant passport ES-41-0123 seen")
    permits.ask_inspection(session, plants, held, "join")
    permits.record_finding(
        session, plants, held, "compliant", "no sign of Xylella on the sampled trees"
    )
    permits.invite_to_inspection(session, officer, held, "ENVA")
    return 11
