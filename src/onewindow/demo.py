"""Demo organisations and users, one for each role, so that every portal home can be tried.

Idempotent: running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from onewindow.parties import service as parties
from onewindow.reference import service as reference
from onewindow.tariff import service as tariff
from onewindow.tariff.engine import MeasureType, Money

DEMO_PASSWORD = "onewindow-demo-2026"


@dataclass(frozen=True)
class DemoParty:
    name: str
    scheme: str
    identifier: str
    roles: tuple[str, ...]
    email: str
    person: str
    user_role: str = "admin"


DEMO_PARTIES = (
    DemoParty(
        "Single Window Administration",
        "TIN",
        "GB0000000001",
        ("administrator",),
        "admin@onewindow.example",
        "Ada Admin",
    ),
    DemoParty(
        "Harbour Trading Ltd",
        "EORI",
        "GB123456789000",
        ("trader",),
        "trader@onewindow.example",
        "Tomás Trader",
    ),
    DemoParty(
        "Swift Customs Brokers Ltd",
        "EORI",
        "GB987654321000",
        ("customs-broker",),
        "broker@onewindow.example",
        "Bea Broker",
    ),
    DemoParty(
        "Blue Ocean Lines",
        "EORI",
        "DK12345678",
        ("carrier",),
        "carrier@onewindow.example",
        "Carl Carrier",
    ),
    DemoParty(
        "Eastport Container Terminal",
        "EORI",
        "GB555666777000",
        ("terminal-operator",),
        "terminal@onewindow.example",
        "Tess Terminal",
    ),
    DemoParty(
        "Eastport Harbour Authority",
        "TIN",
        "GB0000000002",
        ("port-authority",),
        "port@onewindow.example",
        "Pat Port",
    ),
    DemoParty(
        "Customs Office Eastport",
        "TIN",
        "GB0000000003",
        ("customs-office",),
        "officer@onewindow.example",
        "Olu Officer",
        "staff",
    ),
    DemoParty(
        "Plant and Animal Health Agency",
        "TIN",
        "GB0000000004",
        ("permit-agency",),
        "agency@onewindow.example",
        "Ana Agency",
        "staff",
    ),
)


DEMO_EXCHANGE_RATES = {"USD": "0.7900", "EUR": "0.8500", "CNY": "0.1090", "JPY": "0.0052"}
"""Illustrative customs exchange rates (GBP per unit) for the demo, not official figures."""


def load_demo_tariff(session: Session, data_dir: Path) -> None:
    """The demo's national tariff: the UK Global Tariff, VAT at 20% on all goods, the GBP 135
    low-value relief from customs duty, and demo exchange rates from the start of this year."""
    tariff.load_tariff(session, "uk", data_dir / "tariffs" / "uk" / "uk-global-tariff-2020.csv")
    if not any(m.measure_type == MeasureType.VAT for m in tariff.measures_for(session, "")):
        tariff.add_measure(
            session,
            commodity_code="",
            measure_type=MeasureType.VAT.value,
            rate="20%",
            valid_from=date(2021, 1, 1),
            label="VAT, standard rate",
            legal_reference="Value Added Tax Act 1994, s. 2",
            source="national:demo",
        )
    tariff.set_de_minimis(
        session,
        threshold=Money(Decimal(135), "GBP"),
        relieves=[MeasureType.CUSTOMS_DUTY],
        valid_from=date(2021, 1, 1),
        label="Low-value consignment relief",
        legal_reference="Taxation (Cross-border Trade) Act 2018",
    )
    start = date(date.today().year, 1, 1)
    for currency, rate in DEMO_EXCHANGE_RATES.items():
        reference.set_exchange_rate(
            session, currency=currency, rate=Decimal(rate), valid_from=start, source="demo"
        )


def load_demo(session: Session) -> list[DemoParty]:
    """Create the demo parties that do not exist yet; return all of them."""
    for party in DEMO_PARTIES:
        org = parties.find_organisation(session, party.scheme, party.identifier)
        if org is None:
            org = parties.create_organisation(
                session,
                name=party.name,
                identifier_scheme=party.scheme,
                identifier=party.identifier,
                country=party.identifier[:2],
                roles=party.roles,
                actor="demo",
            )
        if parties.find_user(session, party.email) is None:
            parties.create_user(
                session,
                organisation_id=org.id,
                email=party.email,
                full_name=party.person,
                role=party.user_role,
                password=DEMO_PASSWORD,
                actor="demo",
            )
    return list(DEMO_PARTIES)
