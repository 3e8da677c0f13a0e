"""What each role can do in the single window, as the home page tells it."""

from __future__ import annotations

from dataclasses import dataclass

from onewindow.security import Role


@dataclass(frozen=True)
class Capability:
    title: str
    description: str
    href: str | None = None


COMMON = [
    Capability("Look up the HS nomenclature", "Find a commodity code by words or digits.", "/hs"),
    Capability(
        "Use the API", "Every portal action has a documented API for your systems.", "/docs"
    ),
]

_AEO_APPLY = Capability(
    "Become an authorised economic operator",
    "Apply with a self-assessment; fewer checks, priority and a reduced guarantee.",
    "/aeo",
)
_AEO_REGISTER = Capability(
    "Partner administrations and MRAs",
    "Mutual recognition: partners, arrangements, partners' AEOs.",
    "/aeo/partners",
)

CAPABILITIES: dict[str, list[Capability]] = {
    Role.TRADER: [
        Capability(
            "Lodge goods declarations", "Import, export and transit, typed once.", "/declarations"
        ),
        Capability(
            "Mandate your customs broker", "Who may lodge in your name, and for what.", "/mandates"
        ),
        Capability(
            "Apply for permits",
            "The permits your goods need travel with the declaration.",
            "/permits",
        ),
        Capability("Pay duties and taxes", "Electronic payment or a deferred-payment account."),
        Capability(
            "Track your consignments",
            "From the manifest to the gate, every event as it happens.",
            "/cargo/track",
        ),
        _AEO_APPLY,
    ],
    Role.CUSTOMS_BROKER: [
        Capability(
            "Lodge declarations for your clients", "As their representative.", "/declarations"
        ),
        Capability("Your clients", "The companies that mandated you, and for what.", "/mandates"),
        Capability(
            "Follow your clients' consignments",
            "From the manifest to the gate, every event as it happens.",
            "/cargo/track",
        ),
        _AEO_APPLY,
    ],
    Role.CARRIER: [
        Capability(
            "Lodge manifests and entry summaries",
            "JSON, UN/EDIFACT CUSCAR or ICS CC315A, before loading or arrival.",
            "/cargo",
        ),
        Capability("Announce vessel and flight calls", "Arrival and departure notices.", "/cargo"),
        _AEO_APPLY,
    ],
    Role.TERMINAL_OPERATOR: [
        Capability(
            "Report discharge and gate movements",
            "Discharge, stripping, gate-in, gate-out.",
            "/cargo",
        ),
        Capability("See which cargo may leave", "Only released cargo passes the gate.", "/cargo"),
        _AEO_APPLY,
    ],
    Role.PORT_AUTHORITY: [
        Capability("Clear vessel calls", "Arrival, departure clearance and departure.", "/cargo"),
    ],
    Role.CUSTOMS: [
        Capability(
            "Work the declaration queue", "Document checks, inspections, release.", "/declarations"
        ),
        Capability("Manage risk profiles", "Selectivity rules and the learned model.", "/risk"),
        Capability(
            "Control cargo",
            "Reconciliation of manifests and declarations, controls before arrival, the gate.",
            "/cargo",
        ),
        Capability("Keep the tariff", "National tariff lines and measures, as data."),
        Capability(
            "Certify authorised economic operators",
            "Applications, validation visits, decisions; suspend, revoke, reinstate.",
            "/aeo",
        ),
        Capability(
            "AEO certificates", "Every certificate, its tier and history.", "/aeo/certificates"
        ),
        _AEO_REGISTER,
    ],
    Role.PERMIT_AGENCY: [
        Capability("Review permit applications", "Approve, refuse or ask for more.", "/permits"),
        Capability(
            "See which goods need your permits",
            "Your procedures and requirement rules, as data anyone can look up.",
            "/requirements",
        ),
        Capability(
            "Verify company documents once",
            "Registrations and licences reused by every application until they expire.",
            "/permits",
        ),
    ],
    Role.ADMINISTRATOR: [
        Capability("Register organisations", "Traders, carriers, agencies and offices."),
        Capability("Load reference data", "HS, UN/LOCODE, code lists, tariffs."),
        Capability("Verify the audit log", "Its hash chain shows any tampering."),
        _AEO_REGISTER,
    ],
}


def capabilities_for(roles: frozenset[str]) -> list[Capability]:
    """The capabilities of all the roles an organisation plays, then the common ones; only
    those with a page (a card for what cannot be done here yet is not shown)."""
    seen: list[Capability] = []
    for role in sorted(roles):
        for capability in CAPABILITIES.get(role, []):
            if capability.href and capability not in seen:
                seen.append(capability)
    return seen + COMMON
