"""Simulated traffic through the operational path (``onewindow simulate``, the demo's
statistics): calls, manifests, declarations, controls, payments, inspections and terminal events,
written by the same service functions the API calls.

Times: every service here reads the time from :func:`onewindow.db.utcnow`, and the simulation runs
each step inside :func:`onewindow.db.simulated_clock` set to the step's simulated time (the
clearly marked simulation path of the clock); where a service takes a time or a day itself (a
call's arrival, a terminal event's time, a lodgement's day), it is given the same simulated time.
Nothing else about the services changes: validation, risk selection, assessment, payment, the
audit log and the events all run as they do for a request.

Shapes: lodgements follow the seasons (more before the year's end), fewer at weekends and mostly
in working hours; HS codes come from the loaded national tariff with a long tail (a few codes
carry most of the trade); partners and traders have long tails too; an officer selects a share
for a documentary check or an inspection; most imports owe duties and taxes and are paid by bank
some hours later; about one consignment in ten carries goods that need a permit of one of the
simulated agencies (:data:`AGENCIES`, their procedures and requirement rules loaded by the
simulation for one tariff line and origin each), applied for from the declaration once it is
lodged and granted hours later, so the release waits for it; released goods leave the terminal
hours to days later.

Idempotent: declarations carry fixed references (``SIM-<seed>-<n>``), calls, manifests and
terminal events are found again when they exist, so running it twice with the same arguments in
the same month adds nothing. The months simulated end with the last full month.

Like ``demo.py``, this module is part of the frame, not of a domain: it drives the flow
(``clearance``), which no domain may import. The volume path that writes Parquet files directly
is ``statistics/fast.py``.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from onewindow import events, workers
from onewindow.cargo import service as cargo
from onewindow.cargo.identifiers import container_check_digit
from onewindow.cargo.schemas import CallIn, ManifestIn, TerminalEventIn
from onewindow.clearance import service as clearance
from onewindow.config import get_settings
from onewindow.db import simulated_clock, utcnow
from onewindow.declarations import service as declarations
from onewindow.declarations.schemas import DeclarationIn
from onewindow.errors import Conflict, DomainError
from onewindow.parties import service as parties
from onewindow.payments.gateway import SimulatedBank
from onewindow.permits import service as permits
from onewindow.permits.schemas import ApplicationIn, DecisionIn, StepIn
from onewindow.reference import service as reference
from onewindow.security import Principal
from onewindow.statistics.fast import PARTNERS
from onewindow.tariff import service as tariff

UnitOfWork = Callable[[], AbstractContextManager[Session]]

TRADERS = 15
PORT = {"sea": "GBFXT", "air": "GBLHR"}
LOCATION = {"sea": "GBAUFXTFXTFXT", "air": "GBAULHRLHRLHR"}
VESSELS = ("9362475", "9074729", "9166778", "9241061", "9300465", "9454448")
"""Simulated vessels (never one the tests' or the demo's declarations name: a call puts a vessel's
goods under cargo control)."""
CURRENCIES = {"GBP": "1", "USD": "0.79", "EUR": "0.85"}
AGENCIES = (
    # (code, name, identifier, chapters of its goods, origin, hours to a grant: least, most)
    ("SIMPH", "Simulated Plant Health Agency", "GB9000000911", ("06", "07", "08"), "CO", 2, 10),
    ("SIMFS", "Simulated Food Standards Agency", "GB9000000912", ("02", "03", "04"), "NZ", 4, 20),
    ("SIMMD", "Simulated Medicines Agency", "GB9000000913", ("30",), "CH", 8, 40),
)
"""The simulated permit agencies: each asks for a permit for one tariff line (the first of the
simulation's lines in its chapters) from one origin."""
PERMIT_SHARE = 0.1


@dataclass
class SimulationReport:
    declarations: int = 0
    lodged: int = 0
    released: int = 0
    controlled: int = 0
    paid: int = 0
    permits: int = 0
    gated_out: int = 0
    refused: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Consignment:
    n: int
    trader: int
    mode: str
    lodged_at: datetime
    partner: str
    codes: tuple[str, ...]
    currency: str
    control: str | None
    control_hours: float
    pay_hours: float
    gate_hours: float
    permit: int | None = None
    """The agency (index in :data:`AGENCIES`) whose permit the goods need, if any."""
    permit_hours: float = 0.0


def _imo_ok(six: str) -> str:
    check = sum(int(d) * w for d, w in zip(six, range(7, 1, -1), strict=True)) % 10
    return six + str(check)


def _container(n: int, seed: int) -> str:
    first = f"SIMU{(seed * 100_000 + n) % 10_000_000:07d}"[:10]
    return first + str(container_check_digit(first))


def _last_full_month_end(today: date) -> datetime:
    return datetime(today.year, today.month, 1, tzinfo=UTC)


def permit_lines(codes: list[str]) -> list[str | None]:
    """The tariff line each simulated agency asks a permit for (None: no line in its
    chapters among ``codes``)."""
    return [next((c for c in codes if c[:2] in a[3]), None) for a in AGENCIES]


def plan(
    *, declarations: int, months: int, seed: int, codes: list[str], today: date
) -> list[Consignment]:
    """The consignments to simulate, in lodging order (pure: the same arguments, the same
    plan)."""
    lines = permit_lines(codes)
    needing = [k for k, line in enumerate(lines) if line is not None]
    ordinary = [c for c in codes if c not in lines] or codes
    rng = random.Random(seed)
    end = _last_full_month_end(today)
    firsts = []
    year, month = end.year, end.month
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        firsts.append(datetime(year, month, 1, tzinfo=UTC))
    firsts.reverse()
    weights = [1 + 0.25 * math.sin(2 * math.pi * (f.month - 7) / 12) for f in firsts]
    code_weights = [1 / (i + 1) ** 1.1 for i in range(len(ordinary))]
    partner_weights = [1 / (i + 1) for i in range(len(PARTNERS))]
    trader_weights = [1 / (i + 1) ** 0.8 for i in range(TRADERS)]
    out = []
    for n in range(declarations):
        first = rng.choices(firsts, weights)[0]
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        days = (following - first).days
        day = first + timedelta(days=rng.randrange(days))
        if day.weekday() >= 5 and rng.random() < 0.66:
            day += timedelta(days=7 - day.weekday())
            if day >= following:
                day -= timedelta(days=3 + (day.weekday() + 7 - 4) % 7)
        hour = rng.uniform(8, 18) if rng.random() < 0.9 else rng.uniform(0, 24)
        roll = rng.random()
        control = (
            "physical-inspection" if roll < 0.07 else "documentary-check" if roll < 0.2 else None
        )
        permit = rng.choice(needing) if needing and rng.random() < PERMIT_SHARE else None
        _, _, _, _, origin, least, most = AGENCIES[permit if permit is not None else 0]
        permit_hours = least + (most - least) * rng.random() ** 2
        goods = tuple(
            rng.choices(ordinary, code_weights)[0]
            for _ in range(1 if rng.random() < 0.6 else rng.randint(2, 3))
        )
        partner = rng.choices(PARTNERS, partner_weights)[0]
        out.append(
            Consignment(
                n=n,
                trader=rng.choices(range(TRADERS), trader_weights)[0],
                mode="sea" if rng.random() < 0.7 else "air",
                lodged_at=day.replace(hour=0) + timedelta(hours=hour),
                partner=origin if permit is not None else partner,
                codes=(str(lines[permit]), *goods[1:]) if permit is not None else goods,
                currency=rng.choice(["GBP", "GBP", "USD", "EUR"]),
                control=control,
                control_hours=rng.uniform(3, 40)
                if control == "physical-inspection"
                else rng.uniform(1, 8),
                pay_hours=0.2 + 10 * rng.random() ** 2,
                gate_hours=1 + 70 * rng.random() ** 2,
                permit=permit,
                permit_hours=permit_hours if permit is not None else 0.0,
            )
        )
    out.sort(key=lambda c: (c.lodged_at, c.n))
    return out


# Parties ---------------------------------------------------------------------------------------


def _organisation(
    session: Session, name: str, scheme: str, identifier: str, roles: tuple[str, ...]
) -> Principal:
    org = parties.find_organisation(session, scheme, identifier)
    if org is None:
        org = parties.create_organisation(
            session,
            name=name,
            identifier_scheme=scheme,
            identifier=identifier,
            country=identifier[:2],
            roles=roles,
            actor="simulation",
        )
    email = f"simulation-{identifier.lower()}@onewindow.example"
    user = parties.find_user(session, email)
    if user is None:
        user = parties.create_user(
            session,
            organisation_id=org.id,
            email=email,
            full_name=f"{name} (simulation)",
            role="staff",
            password=secrets.token_urlsafe(24) + "-1",
            actor="simulation",
        )
    return parties.principal_for_user(user, "simulation")


@dataclass(frozen=True)
class Cast:
    traders: list[tuple[Principal, str]]
    carrier: Principal
    terminal: Principal
    officer: Principal
    agencies: list[Principal] = field(default_factory=list)


def cast(session: Session) -> Cast:
    """The simulated organisations (created once): traders, a carrier, a terminal, customs."""
    traders = []
    for k in range(TRADERS):
        identifier = f"GB9{k + 1:011d}"
        traders.append(
            (
                _organisation(
                    session, f"Simulated Trader {k + 1:02d} Ltd", "EORI", identifier, ("trader",)
                ),
                identifier,
            )
        )
    return Cast(
        traders=traders,
        carrier=_organisation(
            session, "Simulated Ocean and Air Lines", "EORI", "GB900000000901", ("carrier",)
        ),
        terminal=_organisation(
            session, "Simulated Terminal", "EORI", "GB900000000902", ("terminal-operator",)
        ),
        officer=_organisation(
            session, "Simulated Customs Office", "TIN", "GB9000000903", ("customs-office",)
        ),
        agencies=[
            _organisation(session, name, "TIN", identifier, ("permit-agency",))
            for _, name, identifier, *_ in AGENCIES
        ],
    )


def permit_procedure(agency: int, seed: int) -> dict[str, Any]:
    """The procedure of one simulated agency: a review, then the decision; the form is filled
    from the declaration."""
    code, name, identifier, *_ = AGENCIES[agency]
    return {
        "code": f"SIM{seed}-{code}",
        "version": 1,
        "name": f"{name.removeprefix('Simulated ')} import permit (simulation)",
        "agency": {"code": code, "name": name, "organisation": identifier},
        "document_type": f"S{code[3:]}",
        "outcome": "permit",
        "validity_days": 30,
        "typical_days": 1,
        "form": {
            "fields": [
                {
                    "name": "commodity_code",
                    "type": "hs",
                    "required": True,
                    "from_declaration": "commodity_code",
                },
                {
                    "name": "origin",
                    "type": "country",
                    "required": True,
                    "from_declaration": "origin",
                },
            ]
        },
        "steps": [
            {"id": "review", "kind": "review"},
            {"id": "decision", "kind": "decision", "after": ["review"]},
        ],
        "requirements": [],
    }


def _permit_procedures(session: Session, codes: list[str], seed: int) -> None:
    """Load the simulated agencies' procedures and their rules: a permit for their line of
    :func:`permit_lines` from their origin (the same again on a second run)."""
    for k, line in enumerate(permit_lines(codes)):
        if line is None:
            continue
        body = permit_procedure(k, seed)
        permits.load_procedure(session, body, "simulation")
        rule = {"hs": line, "flows": ["import"], "countries": [AGENCIES[k][4]]}
        permits.replace_requirements(session, body["code"], [rule], "simulation")


# The path of one consignment -------------------------------------------------------------------


def _transport(c: Consignment) -> tuple[str, str, str]:
    """(means id, voyage, document number) of a consignment: one call a day and mode."""
    day = c.lodged_at.date()
    if c.mode == "sea":
        vessel = VESSELS[day.toordinal() % len(VESSELS)]
        return vessel, f"S{day:%y%m%d}", f"SIMB{day:%y%m%d}{c.n:06d}"
    return f"SW{day.toordinal() % 9000 + 100:04d}", f"A{day:%y%m%d}", f"SIMA{day:%y%m%d}{c.n:06d}"


def _items(c: Consignment, rng: random.Random) -> list[dict[str, Any]]:
    items = []
    for i, code in enumerate(c.codes, start=1):
        net = Decimal(rng.randint(5, 5000))
        value = (net * Decimal(rng.uniform(2, 80))).quantize(Decimal("0.01"))
        items.append(
            {
                "sequence": i,
                "commodity_code": code,
                "description": f"Simulated goods of tariff line {code}",
                "origin": c.partner,
                "procedure": "4000",
                "net_mass_kg": str(net),
                "gross_mass_kg": str(net + net // 10 + 1),
                "packages": [{"type": "PK", "count": rng.randint(1, 40)}],
                "value": {"amount": str(value), "currency": c.currency},
            }
        )
    return items


def _body(c: Consignment, trader: str, seed: int, items: list[dict[str, Any]]) -> DeclarationIn:
    means, _, document = _transport(c)
    total = sum((Decimal(i["value"]["amount"]) for i in items), Decimal(0))
    return DeclarationIn.model_validate(
        {
            "declarant_reference": f"SIM-{seed}-{c.n:06d}",
            "type": "IM",
            "additional_type": "A",
            "declarant": {"identifier": trader},
            "importer": {"identifier": trader},
            "exporter": {
                "name": f"Simulated supplier {c.partner}",
                "address": {"city": "Port city", "country": c.partner},
            },
            "office_of_lodgement": "GBFXT001",
            "country_of_export": c.partner,
            "country_of_destination": "GB",
            "transport": {
                "mode": "1" if c.mode == "sea" else "4",
                "identity_type": "10" if c.mode == "sea" else "40",
                "identity": means,
                "nationality": "DK" if c.mode == "sea" else "GB",
            },
            "transport_documents": [
                {"type": "705" if c.mode == "sea" else "740", "reference": document}
            ],
            "goods_location_code": LOCATION[c.mode],
            "delivery_terms": {"incoterm": "FOB"},
            "invoice": {"amount": str(total), "currency": c.currency},
            "total_packages": sum(i["packages"][0]["count"] for i in items),
            "items": items,
        }
    )


def _manifest(
    day: date, mode: str, group: list[tuple[Consignment, list[dict[str, Any]]]], seed: int
) -> ManifestIn:
    means, voyage, _ = _transport(group[0][0])
    documents = []
    for c, items in group:
        box = _container(c.n, seed) if mode == "sea" else None
        documents.append(
            {
                "number": _transport(c)[2],
                "kind": "master",
                "shipper": {"name": f"Simulated supplier {c.partner}", "country": c.partner},
                "goods": [
                    {
                        "line": i["sequence"],
                        "description": i["description"],
                        "hs_code": i["commodity_code"][:6],
                        "packages": i["packages"][0]["count"],
                        "package_type": "PK",
                        "gross_mass_kg": i["gross_mass_kg"],
                        "container": box,
                    }
                    for i in items
                ],
                "containers": [{"number": box, "seals": [f"SS{box[4:10]}"]}] if box else [],
            }
        )
    return ManifestIn.model_validate(
        {
            "reference": f"SIM{seed}-{mode[0].upper()}{day:%y%m%d}",
            "mode": mode,
            "transport_id": means,
            "voyage": voyage,
            "port_of_discharge": PORT[mode],
            "documents": documents,
        }
    )


def _deliver(session: Session) -> None:
    while events.deliver_pending(session, limit=200):
        pass


def _arrive(
    session: Session,
    who: Cast,
    day: date,
    mode: str,
    group: list[tuple[Consignment, list[dict[str, Any]]]],
    seed: int,
) -> datetime:
    """Announce the call, lodge its manifest, record arrival and discharge; the arrival time."""
    means, voyage, _ = _transport(group[0][0])
    first_lodged = min(c.lodged_at for c, _ in group)
    arrival = first_lodged - timedelta(hours=6 + (day.toordinal() % 30))
    eta = arrival - timedelta(minutes=30)
    with simulated_clock(eta - timedelta(days=3)):
        try:
            call = cargo.register_call(
                session,
                who.carrier,
                CallIn(mode=mode, transport_id=means, voyage=voyage, port=PORT[mode], eta=eta),  # type: ignore[arg-type]
            )
            call_id = call.id
        except Conflict:
            found = cargo.find_call(session, means, PORT[mode], departed=True)
            call_id = found.id if found is not None else 0
    with simulated_clock(eta - timedelta(days=2)):
        cargo.lodge_manifest(session, who.carrier, _manifest(day, mode, group, seed))
    with simulated_clock(arrival), suppress(DomainError):  # arrived already (a second run)
        cargo.record_arrival(session, who.carrier, call_id, at=arrival)
    for c, _ in group:
        subject = _subject(c, mode, seed)
        at = arrival + timedelta(hours=1 + c.n % 4)
        with simulated_clock(at):
            cargo.report_event(
                session, who.terminal, TerminalEventIn(kind="discharged", occurred_at=at, **subject)
            )  # type: ignore[arg-type]
    return arrival


def _subject(c: Consignment, mode: str, seed: int) -> dict[str, str]:
    if mode == "sea":
        return {"container": _container(c.n, seed)}
    return {"document": _transport(c)[2]}


def _clear(
    session: Session,
    who: Cast,
    c: Consignment,
    items: list[dict[str, Any]],
    seed: int,
    report: SimulationReport,
) -> None:
    principal, identifier = who.traders[c.trader]
    with simulated_clock(c.lodged_at):
        lodgement = clearance.lodge(
            session, principal, _body(c, identifier, seed, items), today=c.lodged_at.date()
        )
    declaration = lodgement.declaration
    if not lodgement.created:
        return
    report.lodged += 1
    if declaration.number is None:
        report.refused.append("; ".join(e["detail"] for e in declaration.errors[:3]))
        return
    steps: list[tuple[datetime, str]] = []
    if c.control is not None:
        steps.append((c.lodged_at + timedelta(minutes=12), "select"))
        steps.append((c.lodged_at + timedelta(hours=c.control_hours), "control"))
    steps.append((c.lodged_at + timedelta(hours=c.pay_hours), "pay"))
    application: list[int] = []
    if c.permit is not None:
        steps.append((c.lodged_at + timedelta(minutes=5), "apply"))
        steps.append((c.lodged_at + timedelta(hours=c.permit_hours), "grant"))
    for at, step in sorted(steps):
        with simulated_clock(at):
            try:
                if step in {"apply", "grant"}:
                    _permit_step(
                        session, who, principal, declaration.id, step, c, seed, application
                    )
                else:
                    _step(session, who, principal, declaration.id, step, c)
            except DomainError:
                continue
            if step == "grant" and application:
                _deliver(session)  # the declaration waiting for the permit is released
                report.permits += 1
            if step == "pay":
                _deliver(session)  # the bank's callback: payment settles, goods are released
            if step == "control":
                report.controlled += 1
            if step == "pay":
                report.paid += 1
    _deliver(session)
    if declaration.released_at is None:
        return
    report.released += 1
    leaves = declaration.released_at + timedelta(hours=c.gate_hours)
    if leaves >= utcnow():
        return
    with simulated_clock(leaves):
        cargo.report_event(
            session,
            who.terminal,
            TerminalEventIn(kind="gated_out", occurred_at=leaves, **_subject(c, c.mode, seed)),  # type: ignore[arg-type]
        )
    report.gated_out += 1


def _permit_step(
    session: Session,
    who: Cast,
    principal: Principal,
    declaration_id: int,
    step: str,
    c: Consignment,
    seed: int,
    application: list[int],
) -> None:
    """The trader applies from the declaration's first item; the agency reviews and grants."""
    assert c.permit is not None
    if step == "apply":
        lodged = permits.lodge(
            session,
            principal,
            ApplicationIn(
                procedure=permit_procedure(c.permit, seed)["code"],
                declaration_id=declaration_id,
                item=1,
                data={},
            ),
        )
        application.append(lodged.id)
    elif application:
        agency = who.agencies[c.permit]
        permits.complete_step(session, agency, application[0], "review", StepIn(note="in order"))
        permits.decide(
            session,
            agency,
            application[0],
            DecisionIn(decision="approve", reason="Granted by the simulation's agency"),
        )


def _step(
    session: Session,
    who: Cast,
    principal: Principal,
    declaration_id: int,
    step: str,
    c: Consignment,
) -> None:
    if step == "select":
        found = declarations.get(session, who.officer, declaration_id)
        if not any(h.kind == c.control for h in declarations.open_holds(found)):
            clearance.place_hold(
                session,
                who.officer,
                declaration_id,
                kind=c.control or "documentary-check",
                reason="Selected by the simulation's officer",
            )
    elif step == "control":
        if c.control == "physical-inspection":
            clearance.record_inspection(
                session,
                who.officer,
                declaration_id,
                finding="none",
                currency=get_settings().currency,
                notes="simulated inspection",
            )
        else:
            found = declarations.get(session, who.officer, declaration_id)
            for hold in declarations.open_holds(found):
                if hold.kind == "documentary-check":
                    clearance.lift_hold(
                        session, who.officer, declaration_id, hold.id, reason="documents in order"
                    )
    elif step == "pay":
        clearance.pay(
            session, principal, declaration_id, method="bank", gateway=SimulatedBank(session)
        )


def _rates(session: Session, since: date) -> None:
    """Customs exchange rates in force over the whole simulated period (where none is)."""
    found = reference.exchange_rates_on(session, CURRENCIES, since)
    for currency, rate in CURRENCIES.items():
        if currency != get_settings().currency and currency not in found:
            reference.set_exchange_rate(
                session,
                currency=currency,
                rate=Decimal(rate),
                valid_from=since,
                source="simulation",
            )


def codes_for_simulation(session: Session, seed: int, count: int = 300) -> list[str]:
    """Declarable lines of the loaded tariff, shuffled by the seed (the head of the long tail
    first)."""
    hs = reference.lookups(session)
    codes = [c for c in tariff.declarable_codes(session) if hs.is_subheading(c[:6])]
    rng = random.Random(seed)
    rng.shuffle(codes)
    return codes[:count]


def simulate(
    unit_of_work: UnitOfWork,
    *,
    declarations_: int,
    months: int,
    seed: int,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationReport:
    """Simulate ``declarations_`` import consignments over the ``months`` last full months,
    one unit of work a day of arrivals."""
    workers.register_consumers()
    today = today or date.today()
    get_settings().require_secret()  # the simulated bank signs its callbacks
    with unit_of_work() as session:
        codes = codes_for_simulation(session, seed)
        if not codes:
            raise Conflict("No national tariff is loaded: load one before simulating traffic.")
        consignments = plan(
            declarations=declarations_, months=months, seed=seed, codes=codes, today=today
        )
        if consignments:
            _rates(session, consignments[0].lodged_at.date() - timedelta(days=3))
        who = cast(session)
        if any(c.permit is not None for c in consignments):
            _permit_procedures(session, codes, seed)
    report = SimulationReport(declarations=len(consignments))
    groups: dict[tuple[date, str], list[tuple[Consignment, list[dict[str, Any]]]]] = {}
    for c in consignments:
        rng = random.Random(seed * 1_000_003 + c.n)
        groups.setdefault((c.lodged_at.date(), c.mode), []).append((c, _items(c, rng)))
    done = 0
    for (day, mode), group in sorted(groups.items()):
        with unit_of_work() as session:
            _arrive(session, who, day, mode, group, seed)
            for c, items in group:
                _clear(session, who, c, items, seed, report)
        done += len(group)
        if progress is not None:
            progress(done, len(consignments))
    return report


DEMO_DECLARATIONS = 100
DEMO_SEED = 2026


def load_demo_statistics(unit_of_work: UnitOfWork) -> tuple[int, int]:
    """The demo's statistics: a year of simulated traffic (the same in a month however often it
    runs), then an export; (consignments simulated, declarations exported)."""
    from onewindow.statistics import service as statistics

    report = simulate(unit_of_work, declarations_=DEMO_DECLARATIONS, months=12, seed=DEMO_SEED)
    exported = statistics.export_changes(unit_of_work)
    return report.declarations, exported.declarations
