"""Demo organisations and users, one for each role, so that every portal home can be tried.

Idempotent: running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from onewindow.parties import service as parties

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
