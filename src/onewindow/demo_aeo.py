"""The demo's AEO programme: applications in several states, certificates of each tier (one
suspended), partner administrations with MRAs, and a few partners' AEOs, so that the demo
officer has a queue and a register and the demo companies have certificates.

Loaded after the demo declarations (certificates change no demo declaration's channel).
Idempotent: nothing is made once the demo partner of Japan is registered.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from onewindow.aeo import service as aeo
from onewindow.demo import BROKER_EMAIL, OFFICER_EMAIL, TRADER_EMAIL, demo_principal

ADMIN_EMAIL = "admin@onewindow.example"
CARRIER_EMAIL = "carrier@onewindow.example"
TERMINAL_EMAIL = "terminal@onewindow.example"

PARTNERS = (("JP", "Japan Customs"), ("CN", "General Administration of Customs of China"))

PARTNER_OPERATORS = {
    "JP": [
        {
            "identifier": "JP1234567890123",
            "name": "Osaka Precision Parts KK",
            "address": "1-2-3 Nakanoshima, Osaka",
            "status": "active",
            "tier": "AEO-F",
            "validated_on": "2025-03-14",
            "consent": True,
        },
        {
            "identifier": "JP9876543210987",
            "name": "Yokohama Export Trading KK",
            "address": "4-5 Minatomirai, Yokohama",
            "status": "suspended",
            "tier": "AEO-S",
            "validated_on": "2024-06-02",
            "suspended_on": "2026-10-01",
            "consent": True,
        },
    ],
    "CN": [
        {
            "identifier": "CN4403960001",
            "name": "Shenzhen Bags Co",
            "address": "1 Harbour Road, Shenzhen",
            "status": "active",
            "tier": "AEO-F",
            "validated_on": "2025-09-20",
            "consent": True,
        }
    ],
}


def _answers(tier: str) -> dict[str, str]:
    return {
        q.code: "Described in our customs compliance manual, section "
        f"{n + 1}; evidence available on the visit."
        for n, q in enumerate(q for c in aeo.criteria().for_tier(tier) for q in c.questions)
    }


def _findings(tier: str) -> dict[str, dict[str, str]]:
    return {
        c.code: {"rating": "met", "note": "Seen on the visit."}
        for c in aeo.criteria().for_tier(tier)
    }


def _certify(session: Session, email: str, role: str, tier: str, officer_email: str) -> int:
    company = demo_principal(session, email)
    officer = demo_principal(session, officer_email)
    application = aeo.apply(session, company, operator_role=role, tier=tier, answers=_answers(tier))
    aeo.plan_visit(
        session, officer, application.id, on=date.today() + timedelta(days=1), place="Head office"
    )
    aeo.record_visit(session, officer, application.id, _findings(tier))
    _, certificate = aeo.decide(
        session, officer, application.id, grant=True, reason="Every criterion met on the visit."
    )
    assert certificate is not None
    aeo.set_consent(session, company, certificate.id, True)
    return certificate.id


def load_demo_aeo(session: Session) -> int:
    """Make the demo's AEO data once; returns how many certificates were granted."""
    if aeo.partner_of(session, "JP") is not None:
        return 0
    officer = demo_principal(session, OFFICER_EMAIL)
    admin = demo_principal(session, ADMIN_EMAIL)
    # Certificates of each tier; the terminal's warehouse certificate is suspended.
    _certify(session, TERMINAL_EMAIL, "terminal-operator", "AEO-F", OFFICER_EMAIL)
    _certify(session, CARRIER_EMAIL, "carrier", "AEO-S", OFFICER_EMAIL)
    warehouse = _certify(session, TERMINAL_EMAIL, "warehouse-operator", "AEO-C", OFFICER_EMAIL)
    aeo.suspend(
        session, officer, warehouse, "Seal register not kept since September: under review."
    )
    # Applications in the officer's queue: asked about, visit planned; and one refused.
    trader = demo_principal(session, TRADER_EMAIL)
    asked = aeo.apply(
        session, trader, operator_role="importer", tier="AEO-F", answers=_answers("AEO-F")
    )
    aeo.ask(session, officer, asked.id, "Please send your balance sheets for 2024 and 2025.")
    broker = demo_principal(session, BROKER_EMAIL)
    planned = aeo.apply(
        session, broker, operator_role="customs-broker", tier="AEO-C", answers=_answers("AEO-C")
    )
    aeo.plan_visit(
        session, officer, planned.id, on=date.today() + timedelta(days=14), place="Swift House"
    )
    carrier = demo_principal(session, CARRIER_EMAIL)
    refused = aeo.apply(
        session, carrier, operator_role="forwarder", tier="AEO-C", answers=_answers("AEO-C")
    )
    aeo.decide(
        session,
        officer,
        refused.id,
        grant=False,
        reason="Forwarding is done by a separate company: it must apply itself.",
    )
    # Partners and their AEOs.
    for country, name in PARTNERS:
        aeo.register_partner(session, admin, country=country, name=name)
    aeo.record_mra(
        session,
        admin,
        partner_country="JP",
        reference="MRA-JP-2026",
        operator_roles=["exporter", "importer", "manufacturer", "carrier"],
        benefits=["fewer_documentary_checks", "fewer_physical_checks", "priority_inspection"],
        in_force_from=date(2026, 1, 1),
    )
    aeo.record_mra(
        session,
        admin,
        partner_country="CN",
        reference="MRA-CN-2026",
        operator_roles=["exporter"],
        benefits=["fewer_documentary_checks"],
        in_force_from=date(2026, 6, 1),
    )
    for country, records in PARTNER_OPERATORS.items():
        aeo.apply_partner_status(
            session, country, records, full=True, message_id=f"demo-{country}-1"
        )
    return 3
