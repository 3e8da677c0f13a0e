"""The demo's cargo: calls in every state, manifests of the demo consignments, containers and
terminal events, and cargo customs must look at (undeclared, dwelling, left unreleased).

Loaded before the demo declarations so that their goods arrive by manifested means and their
links to the manifests hold. Idempotent: calls are found by vessel, voyage and port, manifests by
their reference, events by terminal, kind, container and time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from onewindow.cargo import service as cargo
from onewindow.cargo.identifiers import container_check_digit, transport_problem
from onewindow.cargo.schemas import CallIn, ManifestIn, TerminalEventIn
from onewindow.db import utcnow
from onewindow.demo import DEMO_DECLARATIONS, DemoConsignment, DemoDeclaration, demo_principal
from onewindow.errors import Conflict
from onewindow.reference import service as reference

CARRIER_EMAIL = "carrier@onewindow.example"
TERMINAL_EMAIL = "terminal@onewindow.example"
PORT_EMAIL = "port@onewindow.example"

MODES = {"1": "sea", "4": "air"}
PORTS = {"sea": ("CNSHA", "GBFXT"), "air": ("JPTYO", "GBLHR")}
UNCALLED = {"9321483"}
"""Vessels the demo leaves without a call (the examples in the documentation use them)."""

LODGERS = {"trader@onewindow.example": ("Harbour Trading Ltd", "GB123456789000")}
"""Who receives the goods a trader declares for itself (the consignee on the manifest)."""

VESSEL_NAMES = ("Blue Ocean Andes", "Blue Ocean Bengal", "Blue Ocean Cascade", "Blue Ocean Delta")


def _container(document: str) -> str:
    digits = int(hashlib.sha256(document.encode()).hexdigest(), 16) % 1_000_000
    first = f"BOLU{digits:06d}"
    return first + str(container_check_digit(first))


def _day(days: float) -> datetime:
    """A time ``days`` from today at 06:00 UTC (fixed within a day, so reloading finds it)."""
    today = utcnow().replace(hour=6, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


def _consignee(demo: DemoDeclaration) -> dict[str, str | None]:
    if demo.importer:
        return {"name": demo.importer_name, "identifier": demo.importer}
    name, identifier = LODGERS[demo.lodged_by]
    return {"name": name, "identifier": identifier}


def _vessel_name(means: str, mode: str) -> str | None:
    if mode != "sea":
        return None
    return VESSEL_NAMES[int(means) % len(VESSEL_NAMES)]


def _known(session: Session, locode: str) -> str | None:
    """The port if UN/LOCODE is loaded for its country (a quick start may load fewer)."""
    return locode if locode in reference.lookups(session).locodes else None


def _manifest(session: Session, demo: DemoDeclaration, mode: str, reference: str) -> ManifestIn:
    c = demo.consignment
    loading, discharge = _known(session, PORTS[mode][0]), PORTS[mode][1]
    box = _container(c.document) if mode == "sea" else None
    return ManifestIn.model_validate(
        {
            "reference": reference,
            "mode": mode,
            "transport_id": c.means,
            "transport_name": _vessel_name(c.means, mode),
            "voyage": f"DEMO{c.means[-3:]}",
            "port_of_loading": loading,
            "port_of_discharge": discharge,
            "documents": [
                {
                    "number": c.document,
                    "kind": "master",
                    "shipper": {"name": c.exporter, "country": c.country},
                    "consignee": _consignee(demo),
                    "goods": [
                        {
                            "line": n,
                            "description": item.description,
                            "hs_code": item.code[:6],
                            "packages": item.packages,
                            "package_type": item.package_type,
                            "gross_mass_kg": item.gross_kg,
                            "container": box,
                        }
                        for n, item in enumerate(c.items, start=1)
                    ],
                    "containers": [{"number": box, "seals": [f"SL{box[4:10]}"]}] if box else [],
                }
            ],
        }
    )


def _call(session: Session, c: DemoConsignment, mode: str, eta: datetime) -> int:
    carrier = demo_principal(session, CARRIER_EMAIL)
    body = CallIn(
        mode=mode,  # type: ignore[arg-type]
        transport_id=c.means,
        transport_name=_vessel_name(c.means, mode),
        voyage=f"DEMO{c.means[-3:]}",
        port=PORTS[mode][1],
        eta=eta,
    )
    try:
        return cargo.register_call(session, carrier, body).id
    except Conflict:
        found = cargo.find_call(session, c.means, body.port, departed=True)
        assert found is not None
        return found.id


def _event(session: Session, kind: str, box: str, at: datetime) -> None:
    terminal = demo_principal(session, TERMINAL_EMAIL)
    cargo.report_event(
        session,
        terminal,
        TerminalEventIn(kind=kind, container=box, occurred_at=at),  # type: ignore[arg-type]
    )


def _consignments() -> list[tuple[DemoDeclaration, str]]:
    """The demo declarations whose goods come by sea or air on a vessel the demo calls."""
    seen: set[str] = set()
    chosen = []
    for demo in DEMO_DECLARATIONS:
        c = demo.consignment
        mode = MODES.get(c.mode)
        known = demo.importer is not None or demo.lodged_by in LODGERS
        if mode is None or c.means in UNCALLED or c.document in seen or not known:
            continue
        if transport_problem(mode, c.means):
            continue
        seen.add(c.document)
        chosen.append((demo, mode))
    return chosen


def load_demo_cargo(session: Session) -> int:
    """Calls, manifests and events for the demo consignments, and cargo for customs' lists.

    Returns how many manifests the demo has (none when UN/LOCODE is not loaded: calls and
    manifests name their ports by it)."""
    if _known(session, "GBFXT") is None or _known(session, "GBLHR") is None:
        return 0
    carrier = demo_principal(session, CARRIER_EMAIL)
    port = demo_principal(session, PORT_EMAIL)
    count = 0
    for n, (demo, mode) in enumerate(_consignments()):
        eta = _day(-2 - n % 3)
        call_id = _call(session, demo.consignment, mode, eta)
        manifest = _manifest(session, demo, mode, f"DEMO-MF-{demo.consignment.document}")
        cargo.lodge_manifest(session, carrier, manifest, now=eta - timedelta(days=3))
        count += 1
        call = cargo.get_call(session, port, call_id)
        if call.status == "expected":
            cargo.record_arrival(session, port, call_id, eta)
        box = manifest.documents[0].containers[0].number if mode == "sea" else None
        if box:
            _event(session, "discharged", box, eta + timedelta(hours=5))
        if n == 0 and box:
            _depart(session, call_id, eta + timedelta(hours=20))
    count += _for_customs(session)
    return count


def _depart(session: Session, call_id: int, at: datetime) -> None:
    """Everything discharged: the port clears the call and the vessel leaves."""
    port = demo_principal(session, PORT_EMAIL)
    if cargo.get_call(session, port, call_id).status == "arrived":
        cargo.clear_departure(session, port, call_id, "All cargo for Eastport discharged")
    if cargo.get_call(session, port, call_id).status == "cleared":
        cargo.record_departure(session, port, call_id, at)


@dataclass(frozen=True)
class ExtraVessel:
    """A vessel of the demo that carries no demo declaration's goods: cargo for customs' lists."""

    means: str
    document: str
    loading: str
    shipper: str
    consignee: str
    goods: str
    hs_code: str
    packages: int
    gross_kg: str
    eta_days: float
    lodged_hours_before: float
    arrived: bool


EXTRA_VESSELS = (
    # Arrived three weeks ago with a consignment nobody declared, still at the terminal; its
    # manifest came two hours before arrival, 22 hours after its deadline.
    ExtraVessel(
        "9786671", "MEDU7734120098", "CNNGB", "Ningbo Lighting Works", "Brightline Lamps Ltd",
        "LED lamps", "853950", 400, "3100", -21, 2, True,
    ),
    # Expected next week, its manifest lodged in good time.
    ExtraVessel(
        "9811000", "HDMU5501288301", "KRPUS", "Busan Appliance Co", "Kestrel Office Supplies Ltd",
        "Refrigerators, household", "841810", 60, "4200", 6, 120, False,
    ),
)  # fmt: skip


def _for_customs(session: Session) -> int:
    """The extra vessels: their calls, manifests and, once arrived, discharge."""
    carrier = demo_principal(session, CARRIER_EMAIL)
    port = demo_principal(session, PORT_EMAIL)
    for vessel in EXTRA_VESSELS:
        eta = _day(vessel.eta_days)
        consignment = DemoConsignment(
            exporter=vessel.shipper, city="", country=vessel.loading[:2], currency="USD",
            incoterm="FOB", freight="0", insurance="0", mode="1", means_type="10",
            means=vessel.means, nationality=vessel.loading[:2], document_type="705",
            document=vessel.document, items=(),
        )  # fmt: skip
        call_id = _call(session, consignment, "sea", eta)
        box = _container(vessel.document)
        body = {
            "reference": f"DEMO-MF-{vessel.document}",
            "mode": "sea",
            "transport_id": vessel.means,
            "transport_name": _vessel_name(vessel.means, "sea"),
            "voyage": f"DEMO{vessel.means[-3:]}",
            "port_of_loading": _known(session, vessel.loading),
            "port_of_discharge": "GBFXT",
            "documents": [
                {
                    "number": vessel.document,
                    "shipper": {"name": vessel.shipper, "country": vessel.loading[:2]},
                    "consignee": {"name": vessel.consignee},
                    "goods": [
                        {
                            "line": 1,
                            "description": vessel.goods,
                            "hs_code": vessel.hs_code,
                            "packages": vessel.packages,
                            "package_type": "CT",
                            "gross_mass_kg": vessel.gross_kg,
                            "container": box,
                        }
                    ],
                    "containers": [{"number": box, "seals": [f"SL{box[4:10]}"]}],
                }
            ],
        }
        lodged = eta - timedelta(hours=vessel.lodged_hours_before)
        cargo.lodge_manifest(session, carrier, ManifestIn.model_validate(body), now=lodged)
        if vessel.arrived:
            if cargo.get_call(session, port, call_id).status == "expected":
                cargo.record_arrival(session, port, call_id, eta)
            _event(session, "discharged", box, eta + timedelta(hours=6))
    return len(EXTRA_VESSELS)


def finish_demo_cargo(session: Session) -> int:
    """Once the demo declarations have their stories: released cargo leaves the terminal (asked
    at the gate first, as a terminal does). Returns how many containers left."""
    terminal = demo_principal(session, TERMINAL_EMAIL)
    left = 0
    for demo, mode in _consignments():
        if mode != "sea":
            continue
        box = _container(demo.consignment.document)
        answer = cargo.ask_gate(session, terminal, container=box, document=None)
        if answer.may_leave:
            _event(session, "gated_out", box, _day(0) - timedelta(hours=3))
            left += 1
    return left
