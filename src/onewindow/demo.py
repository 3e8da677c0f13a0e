"""Demo organisations and users, one for each role, so that every portal home can be tried;
the demo's national tariff; and demo declarations standing in every state of their lifecycle.

Idempotent: running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session

from onewindow import events, workers
from onewindow.clearance import service as clearance
from onewindow.config import get_settings
from onewindow.declarations import service as declarations
from onewindow.declarations.lifecycle import LABELS, Status
from onewindow.declarations.schemas import DeclarationIn
from onewindow.declarations.service import Lodgement
from onewindow.money import Money
from onewindow.parties import service as parties
from onewindow.payments import service as payments
from onewindow.payments.gateway import SimulatedBank
from onewindow.reference import service as reference
from onewindow.security import Principal
from onewindow.tariff import service as tariff
from onewindow.tariff.engine import MeasureType

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


def ensure_parties(session: Session, demo_parties: Sequence[DemoParty]) -> None:
    """Create the organisations and users of these demo parties that do not exist yet."""
    for party in demo_parties:
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


def load_demo(session: Session) -> list[DemoParty]:
    """Create the demo parties that do not exist yet; return all of them."""
    ensure_parties(session, DEMO_PARTIES)
    _demo_mandate(session)
    return list(DEMO_PARTIES)


def _demo_mandate(session: Session) -> None:
    """Harbour Trading mandates Swift Customs Brokers for its imports (direct representation)."""
    trader = _principal(session, TRADER_EMAIL)
    broker = parties.find_user(session, BROKER_EMAIL)
    assert broker is not None
    if any(
        m.representative_id == broker.organisation_id and m.revoked_at is None
        for m in parties.list_mandates(session, trader)
    ):
        return
    parties.grant_mandate(
        session,
        trader,
        representative=broker.organisation.identifier,
        representation="direct",
        flows=["IM"],
        valid_from=date(date.today().year, 1, 1),
    )


# Demo declarations ------------------------------------------------------------------------------

TRADER_EMAIL = "trader@onewindow.example"
BROKER_EMAIL = "broker@onewindow.example"
OFFICER_EMAIL = "officer@onewindow.example"
DEMO_REFERENCE_PREFIX = "DEMO-"
DEMO_DEFERRED_ACCOUNT = "DAN-HARBOUR-001"
DEMO_GUARANTEE = Decimal("50000")

UnitOfWork = Callable[[], AbstractContextManager[Session]]
"""Opens a unit of work that commits when its block ends (``onewindow.db.session_scope``)."""


@dataclass(frozen=True)
class DemoItem:
    """One goods item of a demo declaration: a tariff line, where it comes from, what it cost."""

    code: str
    description: str
    origin: str
    net_kg: str
    gross_kg: str
    packages: int
    price: str
    package_type: str = "CT"


@dataclass(frozen=True)
class DemoConsignment:
    """Who ships what, how, and on which terms."""

    exporter: str
    city: str
    country: str
    currency: str
    incoterm: str
    freight: str
    insurance: str
    mode: str
    means_type: str
    means: str
    nationality: str
    document_type: str
    document: str
    items: tuple[DemoItem, ...]


@dataclass(frozen=True)
class DemoDeclaration:
    """A declaration of the demo and the steps that take it to the state it shows.

    ``hold`` is placed by the demo customs officer right after lodging; ``pay`` is ``bank`` or
    ``deferment``; ``lift_after_payment`` lifts the hold once the payment has been confirmed (the
    goods are released then); ``cancel`` and ``invalidate`` end the declaration with a reason.
    """

    reference: str
    lodged_by: str
    shows: str
    consignment: DemoConsignment
    importer: str | None = None
    importer_name: str | None = None
    hold: tuple[str, str] | None = None
    pay: Literal["bank", "deferment"] | None = None
    lift_after_payment: str | None = None
    cancel: str | None = None
    invalidate: str | None = None
    mistakes: dict[str, Any] = field(default_factory=dict)


_CN_BAGS = DemoConsignment(
    exporter="Shenzhen Fine Leather Co",
    city="Shenzhen",
    country="CN",
    currency="USD",
    incoterm="FOB",
    freight="800.00",
    insurance="50.00",
    mode="1",
    means_type="10",
    means="9321483",
    nationality="DK",
    document_type="705",
    document="MAEU240311587",
    items=(
        DemoItem(
            "4202210000",
            "Handbags with outer surface of leather",
            "CN",
            "400",
            "450",
            20,
            "6000.00",
        ),
        DemoItem("6403990500", "Leather footwear, men's", "CN", "200", "230", 10, "4000.00"),
    ),
)
_CO_COFFEE = DemoConsignment(
    exporter="Cafe de los Andes SAS",
    city="Medellin",
    country="CO",
    currency="USD",
    incoterm="CIF",
    freight="0",
    insurance="0",
    mode="1",
    means_type="10",
    means="9704611",
    nationality="DK",
    document_type="705",
    document="MAEU240402231",
    items=(
        DemoItem(
            "0901210000",
            "Roasted coffee beans, not decaffeinated",
            "CO",
            "960",
            "1000",
            80,
            "9800",
            "BG",
        ),
    ),
)
_BD_SHIRTS = DemoConsignment(
    exporter="Chattogram Knitwear Ltd",
    city="Chattogram",
    country="BD",
    currency="EUR",
    incoterm="FOB",
    freight="1200.00",
    insurance="90.00",
    mode="1",
    means_type="10",
    means="9461049",
    nationality="SG",
    document_type="705",
    document="ONEY24CTG00917",
    items=(
        DemoItem(
            "6109100010", "Men's T-shirts of cotton, knitted", "BD", "1500", "1620", 60, "15400"
        ),
        DemoItem("6104620000", "Women's shorts of cotton, knitted", "BD", "600", "660", 25, "6250"),
        DemoItem("6205200000", "Men's shirts of woven cotton", "BD", "700", "760", 30, "9100"),
    ),
)
_CN_HOMEWARE = DemoConsignment(
    exporter="Ningbo Homeware Trading Co",
    city="Ningbo",
    country="CN",
    currency="CNY",
    incoterm="FOB",
    freight="5600",
    insurance="300",
    mode="1",
    means_type="10",
    means="9839430",
    nationality="HK",
    document_type="705",
    document="COSU6273810450",
    items=(
        DemoItem("8516310000", "Electric hairdryers", "CN", "380", "455", 40, "52000"),
        DemoItem("3924100000", "Plastic kitchen storage boxes", "CN", "850", "930", 45, "23800"),
        DemoItem("6912002310", "Stoneware dinner plates", "CN", "1100", "1280", 55, "41250"),
        DemoItem(
            "7013281000", "Drinking glasses, stemware, hand-made", "CN", "420", "520", 30, "18600"
        ),
        DemoItem("9503007000", "Toy sets, wooden", "CN", "260", "310", 20, "15400"),
    ),
)
_IT_SHOES = DemoConsignment(
    exporter="Calzaturificio Marche Srl",
    city="Fermo",
    country="IT",
    currency="EUR",
    incoterm="DAP",
    freight="0",
    insurance="0",
    mode="3",
    means_type="30",
    means="GE123KD",
    nationality="IT",
    document_type="730",
    document="CMR-IT-88412",
    items=(
        DemoItem(
            "6403519500", "Men's leather boots covering the ankle", "IT", "310", "360", 24, "21600"
        ),
        DemoItem("4202210000", "Leather handbags", "IT", "95", "120", 8, "11200"),
    ),
)
_JP_TEA = DemoConsignment(
    exporter="Uji Chaen Co Ltd",
    city="Uji",
    country="JP",
    currency="JPY",
    incoterm="CIP",
    freight="0",
    insurance="0",
    mode="4",
    means_type="40",
    means="JL0043",
    nationality="JP",
    document_type="740",
    document="131-48213375",
    items=(
        DemoItem("0902100000", "Green tea (matcha) in 100 g tins", "JP", "48", "60", 6, "540000"),
    ),
)
_CH_WATCHES = DemoConsignment(
    exporter="Atelier Horloger du Jura SA",
    city="La Chaux-de-Fonds",
    country="CH",
    currency="CHF",
    incoterm="CIP",
    freight="0",
    insurance="0",
    mode="4",
    means_type="40",
    means="LX0318",
    nationality="CH",
    document_type="740",
    document="724-55102233",
    items=(
        DemoItem("9102110000", "Quartz wrist-watches, steel case", "CH", "12", "18", 3, "38500"),
    ),
)
_NO_KNITWEAR = DemoConsignment(
    exporter="Bergen Strikk AS",
    city="Bergen",
    country="NO",
    currency="NOK",
    incoterm="FCA",
    freight="4200",
    insurance="350",
    mode="1",
    means_type="10",
    means="9247003",
    nationality="NO",
    document_type="705",
    document="NCL24BGO3391",
    items=(
        DemoItem(
            "6110309100", "Men's pullovers of man-made fibres", "NO", "220", "250", 14, "96000"
        ),
        DemoItem(
            "6110309900", "Women's cardigans of man-made fibres", "NO", "180", "205", 11, "81000"
        ),
    ),
)
_GB_LAPTOPS = DemoConsignment(
    exporter="Taipei Computing Corp",
    city="Taipei",
    country="TW",
    currency="GBP",
    incoterm="FOB",
    freight="640.00",
    insurance="95.00",
    mode="4",
    means_type="40",
    means="CI0069",
    nationality="TW",
    document_type="740",
    document="297-66120085",
    items=(
        DemoItem("8471300000", "Laptop computers, 14 inch", "TW", "310", "420", 28, "42000.00"),
        DemoItem("8517620000", "Wireless network routers", "TW", "95", "130", 10, "6900.00"),
    ),
)

_VN_FURNITURE = DemoConsignment(
    exporter="Binh Duong Furniture JSC",
    city="Thu Dau Mot",
    country="VN",
    currency="USD",
    incoterm="FOB",
    freight="2400.00",
    insurance="160.00",
    mode="1",
    means_type="10",
    means="9708435",
    nationality="SG",
    document_type="705",
    document="CMDU2VN0583316",
    items=(
        DemoItem(
            "9401610000", "Upholstered armchairs, oak frames", "VN", "1300", "1600", 26, "15600"
        ),
        DemoItem("9403601000", "Oak dining tables", "VN", "2100", "2450", 14, "16800"),
        DemoItem("6302310000", "Bed linen of cotton, not printed", "VN", "400", "440", 12, "5400"),
        DemoItem("4602199000", "Water hyacinth baskets", "VN", "180", "240", 9, "2160"),
    ),
)

DEMO_DECLARATIONS: tuple[DemoDeclaration, ...] = (
    DemoDeclaration(
        "DEMO-0001",
        TRADER_EMAIL,
        "rejected",
        _CN_HOMEWARE,
        mistakes={
            "items/1/commodity_code": "392410",
            "items/3/commodity_code": "7013289999",
            "transport/mode": "X",
            "invoice/amount": "150000",
        },
    ),
    DemoDeclaration("DEMO-0002", TRADER_EMAIL, "awaiting_payment", _CN_BAGS),
    DemoDeclaration("DEMO-0003", TRADER_EMAIL, "released", _CO_COFFEE, pay="bank"),
    DemoDeclaration("DEMO-0004", TRADER_EMAIL, "released", _BD_SHIRTS, pay="deferment"),
    DemoDeclaration(
        "DEMO-0005",
        TRADER_EMAIL,
        "released",
        _IT_SHOES,
        hold=("physical-inspection", "Boots: check the outer soles against the declared code"),
        pay="bank",
        lift_after_payment="Inspected: goods as declared",
    ),
    DemoDeclaration(
        "DEMO-0006",
        TRADER_EMAIL,
        "paid",
        _CN_HOMEWARE,
        hold=("physical-inspection", "Hairdryers: check the UK plug and the CE/UKCA marking"),
        pay="bank",
    ),
    DemoDeclaration(
        "DEMO-0007",
        TRADER_EMAIL,
        "guaranteed",
        _JP_TEA,
        hold=("documentary-check", "Show the certificate of analysis for pesticide residues"),
        pay="deferment",
    ),
    DemoDeclaration(
        "DEMO-0008", TRADER_EMAIL, "cancelled", _CN_BAGS, cancel="Order withdrawn by the buyer"
    ),
    DemoDeclaration("DEMO-0009", TRADER_EMAIL, "accepted", _CH_WATCHES),
    DemoDeclaration(
        "DEMO-0001",
        BROKER_EMAIL,
        "rejected",
        _NO_KNITWEAR,
        importer="GB246813579000",
        importer_name="Northwind Outdoor Ltd",
        mistakes={"items/0/origin": "XN", "items/1/net_mass_kg": None},
    ),
    DemoDeclaration(
        "DEMO-0002",
        BROKER_EMAIL,
        "under_control",
        _NO_KNITWEAR,
        importer="GB246813579000",
        importer_name="Northwind Outdoor Ltd",
        hold=("physical-inspection", "Random selection: count the cartons"),
    ),
    DemoDeclaration(
        "DEMO-0003",
        BROKER_EMAIL,
        "awaiting_payment",
        _GB_LAPTOPS,
        importer="GB135792468000",
        importer_name="Kestrel Office Supplies Ltd",
        hold=("documentary-check", "Show the invoice and the export licence of the routers"),
    ),
    DemoDeclaration(
        "DEMO-0004",
        BROKER_EMAIL,
        "released",
        _VN_FURNITURE,
        importer="GB135792468000",
        importer_name="Kestrel Office Supplies Ltd",
        pay="bank",
    ),
    DemoDeclaration(
        "DEMO-0006",
        BROKER_EMAIL,
        "awaiting_payment",
        _JP_TEA,
        importer="GB123456789000",
        importer_name="Harbour Trading Ltd",
    ),
    DemoDeclaration(
        "DEMO-0005",
        BROKER_EMAIL,
        "invalidated",
        _CO_COFFEE,
        importer="GB135792468000",
        importer_name="Kestrel Office Supplies Ltd",
        invalidate="The goods were not presented to customs within 30 days",
    ),
)
"""Every state a declaration can stand in, for the demo's trader, broker and customs officer."""

_GOODS_LOCATIONS = {"1": "GBAUFXTFXTFXT", "3": "GBAUDVRDVRDVR", "4": "GBAULHRLHRLHR"}
"""Where the goods wait, by mode at the border: Felixstowe docks, Dover, Heathrow cargo."""


def _set_path(body: dict[str, Any], path: str, value: Any) -> None:
    """Change one field of a body (``items/1/commodity_code``); ``None`` removes it."""
    *parents, last = path.split("/")
    target: Any = body
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is None:
        target.pop(last, None)
    else:
        target[last] = value


def demo_declaration_body(demo: DemoDeclaration, lodger_identifier: str) -> dict[str, Any]:
    """The API body of a demo declaration (with its deliberate mistakes, if it has any).

    A broker lodges for an importer as its direct representative; a trader lodges for itself.
    """
    c = demo.consignment
    importer = demo.importer or lodger_identifier
    total = sum((Decimal(i.price) for i in c.items), Decimal(0))
    body: dict[str, Any] = {
        "declarant_reference": demo.reference,
        "type": "IM",
        "additional_type": "A",
        "declarant": {"identifier": importer},
        "importer": {"identifier": importer},
        "exporter": {"name": c.exporter, "address": {"city": c.city, "country": c.country}},
        "office_of_lodgement": "GBFXT001",
        "country_of_export": c.country,
        "country_of_destination": "GB",
        "transport": {
            "mode": c.mode,
            "identity_type": c.means_type,
            "identity": c.means,
            "nationality": c.nationality,
        },
        "transport_documents": [{"type": c.document_type, "reference": c.document}],
        "goods_location_code": _GOODS_LOCATIONS[c.mode],
        "delivery_terms": {"incoterm": c.incoterm},
        "invoice": {"amount": str(total), "currency": c.currency},
        "total_packages": sum(i.packages for i in c.items),
        "items": [
            {
                "sequence": n,
                "commodity_code": i.code,
                "description": i.description,
                "origin": i.origin,
                "procedure": "4000",
                "net_mass_kg": i.net_kg,
                "gross_mass_kg": i.gross_kg,
                "packages": [{"type": i.package_type, "count": i.packages}],
                "value": {"amount": i.price, "currency": c.currency},
            }
            for n, i in enumerate(c.items, start=1)
        ],
    }
    if demo.importer:
        body["importer"]["name"] = demo.importer_name
        body["representative"] = {"identifier": lodger_identifier, "representation": "2"}
    for name, amount in (("freight", c.freight), ("insurance", c.insurance)):
        if Decimal(amount):
            body[name] = {"amount": amount, "currency": c.currency}
    for path, value in demo.mistakes.items():
        _set_path(body, path, value)
    return body


def demo_principal(session: Session, email: str) -> Principal:
    """The demo user with this e-mail, acting in the portal's name for the loaders."""
    user = parties.find_user(session, email)
    if user is None:
        raise RuntimeError(f"{email} is missing: create the demo parties first (load_demo)")
    return parties.principal_for_user(user, "demo")


_principal = demo_principal


def _lodge(session: Session, demo: DemoDeclaration) -> tuple[Principal, Lodgement]:
    """Lodge (or, lodged already, find: same reference and body) one demo declaration."""
    principal = _principal(session, demo.lodged_by)
    org = parties.get_organisation(session, principal, principal.organisation_id)
    body = DeclarationIn.model_validate(demo_declaration_body(demo, org.identifier))
    return principal, clearance.lodge(session, principal, body)


def _deferred_account(session: Session, principal: Principal, officer: Principal) -> str:
    """The trader's deferred-payment account, opened by customs against a bank guarantee."""
    if not any(
        a.number == DEMO_DEFERRED_ACCOUNT
        for a in payments.list_deferred_accounts(session, principal)
    ):
        payments.open_deferred_account(
            session,
            organisation_id=principal.organisation_id,
            number=DEMO_DEFERRED_ACCOUNT,
            currency=get_settings().currency,
            guarantee_amount=DEMO_GUARANTEE,
            guarantee_reference="BG-DEMO-2026-0042",
            valid_until=date(date.today().year + 1, 12, 31),
            actor=officer.actor,
        )
    return DEMO_DEFERRED_ACCOUNT


def _pay(
    session: Session, principal: Principal, officer: Principal, demo: DemoDeclaration, id_: int
) -> None:
    account = _deferred_account(session, principal, officer) if demo.pay == "deferment" else None
    clearance.pay(
        session,
        principal,
        id_,
        method=demo.pay or "bank",
        gateway=SimulatedBank(session),
        account=account,
    )


def load_demo_declarations(session: Session) -> dict[str, int]:
    """Lodge the demo declarations and start each one's story, in the caller's unit of work.

    Idempotent: a declaration is lodged under a fixed reference per organisation, and lodging the
    same reference and body again gives back the first declaration, whose story is not started
    twice. Payments leave events behind (the bank's callback, ``payment.secured``): once this unit
    of work is committed, :func:`finish_demo_declarations` delivers them and takes the stories to
    their end. Returns the demo declarations by status, as they stand now.
    """
    get_settings().require_secret()  # the simulated bank signs its callbacks with it
    officer = _principal(session, OFFICER_EMAIL)
    for demo in DEMO_DECLARATIONS:
        principal, lodgement = _lodge(session, demo)
        declaration = lodgement.declaration
        if not lodgement.created or declaration.status == Status.REJECTED:
            continue
        if demo.hold is not None:
            kind, reason = demo.hold
            clearance.place_hold(session, officer, declaration.id, kind=kind, reason=reason)
        if demo.pay is not None:
            _pay(session, principal, officer, demo, declaration.id)
        if demo.cancel is not None:
            clearance.cancel(session, principal, declaration.id, demo.cancel)
        if demo.invalidate is not None:
            clearance.invalidate(session, officer, declaration.id, demo.invalidate)
    return demo_declaration_counts(session)


def _deliver_events(unit_of_work: UnitOfWork, rounds: int = 20) -> None:
    """Deliver what is due, each batch in a unit of work of its own, until nothing is left."""
    for _ in range(rounds):
        with unit_of_work() as session:
            if not events.deliver_pending(session, limit=500):
                return


def finish_demo_declarations(unit_of_work: UnitOfWork) -> dict[str, int]:
    """Take the demo's stories to their end after :func:`load_demo_declarations` committed.

    Delivers the events (the bank confirms, the payments settle, goods without holds are
    released); then the officer lifts the holds that wait for a payment (those goods are released
    too) and their events are delivered. Idempotent. Returns the demo declarations by status.
    """
    workers.register_consumers()
    _deliver_events(unit_of_work)
    with unit_of_work() as session:
        officer = _principal(session, OFFICER_EMAIL)
        for demo in DEMO_DECLARATIONS:
            if demo.lift_after_payment is None or demo.hold is None:
                continue
            declaration = _lodge(session, demo)[1].declaration
            if declaration.status != Status.PAID:
                continue
            if demo.hold[0] == "physical-inspection":
                clearance.record_inspection(
                    session,
                    officer,
                    declaration.id,
                    finding="none",
                    currency=get_settings().currency,
                    notes=demo.lift_after_payment,
                )
                continue
            for hold in declarations.open_holds(declaration):
                if hold.kind == demo.hold[0]:
                    clearance.lift_hold(
                        session, officer, declaration.id, hold.id, reason=demo.lift_after_payment
                    )
    _deliver_events(unit_of_work)
    with unit_of_work() as session:
        return demo_declaration_counts(session)


def demo_declaration_statuses(session: Session) -> dict[tuple[str, str], str]:
    """The status of each demo declaration, by (lodging user's e-mail, reference)."""
    found: dict[tuple[str, str], str] = {}
    ours = {(d.lodged_by, d.reference) for d in DEMO_DECLARATIONS}
    for email in sorted({d.lodged_by for d in DEMO_DECLARATIONS}):
        principal = _principal(session, email)
        for row in declarations.list_declarations(session, principal, limit=10_000):
            if (email, row.declarant_reference) in ours:
                found[(email, row.declarant_reference)] = row.status
    return found


def demo_declaration_counts(session: Session) -> dict[str, int]:
    """How many demo declarations stand in each status (in the lifecycle's order)."""
    statuses = list(demo_declaration_statuses(session).values())
    return {s.value: statuses.count(s.value) for s in Status if s.value in statuses}


def describe_counts(counts: dict[str, int]) -> str:
    """``{"rejected": 2, "released": 4}`` -> ``'2 rejected, 4 released (6 in all)'``."""
    parts = [f"{n} {LABELS[Status(s)].lower()}" for s, n in counts.items()]
    return f"{', '.join(parts) or 'none'} ({sum(counts.values())} in all)"
