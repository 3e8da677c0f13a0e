"""The permits domain's door: agencies and procedures as data, requirements, applications,
permits, and the release condition they make.

Other domains, routes, pages and commands use permits through this module only; the modules
behind it each hold one concern:

- ``engine``: the pure procedure engine (the form, the steps' graph);
- ``requirements``: the pure requirements engine (which goods need which procedure);
- ``procedures``: agencies, procedure versions and requirement rules, loaded from data;
- ``applications``: applications, the agency's queue and decisions, fees asked of payments,
  permits;
- ``checks``: the release condition, draw-down on release, telling waiting declarations;
- ``verified``: company documents verified once, joint inspections, certificate verification;
- ``waits``: how long releases waited for permits (for the Time Release Study).

Services flush; the boundary commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import events, release
from onewindow.permits.access import is_agency, require
from onewindow.permits.applications import (
    OPEN_STATUSES,
    STATUS_LABELS,
    answer,
    ask,
    check_declared,
    complete_step,
    correct_permit,
    decide,
    fee_paid,
    generate,
    get,
    get_permit,
    list_applications,
    list_permits,
    lodge,
    lodge_declared,
    needs_of,
    pay_fee,
    permit_view,
    procedure_of,
    turnaround,
    view,
)
from onewindow.permits.checks import _on_release, draw_down, release_conditions, tell_waiting
from onewindow.permits.engine import STEP_KINDS
from onewindow.permits.models import Agency, Procedure
from onewindow.permits.procedures import (
    agencies,
    agencies_of,
    current,
    current_procedures,
    load_directory,
    load_procedure,
    replace_requirements,
    rule_index,
    rules_by_procedure,
)
from onewindow.permits.requirements import FLOW_LABELS, Goods
from onewindow.permits.verified import (
    COMPANY_DOCUMENT_KINDS,
    FINDING_LABELS,
    ROLE_LABELS,
    agency_inspections,
    announce_expiring,
    ask_inspection,
    findings_for,
    inspection_parts,
    invite_to_inspection,
    list_company_documents,
    lodge_company_document,
    record_finding,
    verify_certificate,
    verify_company_document,
)
from onewindow.permits.waits import ReleaseWait, release_waits

__all__ = [
    "COMPANY_DOCUMENT_KINDS",
    "FINDING_LABELS",
    "FLOW_LABELS",
    "OPEN_STATUSES",
    "ROLE_LABELS",
    "STATUS_LABELS",
    "STEP_KINDS",
    "ReleaseWait",
    "agencies",
    "agency_inspections",
    "agencies_of",
    "announce_expiring",
    "answer",
    "ask",
    "ask_inspection",
    "check_declared",
    "complete_step",
    "correct_permit",
    "current",
    "current_procedures",
    "decide",
    "fee_paid",
    "draw_down",
    "findings_for",
    "generate",
    "get",
    "get_permit",
    "inspection_parts",
    "invite_to_inspection",
    "is_agency",
    "list_applications",
    "list_company_documents",
    "list_permits",
    "lodge",
    "lodge_company_document",
    "lodge_declared",
    "load_directory",
    "load_procedure",
    "needs_of",
    "pay_fee",
    "permit_view",
    "procedure_of",
    "record_finding",
    "register_consumers",
    "release_conditions",
    "release_waits",
    "replace_requirements",
    "require",
    "requirements_for",
    "rules_by_procedure",
    "tell_waiting",
    "turnaround",
    "verify_certificate",
    "verify_company_document",
    "view",
]


def requirements_for(
    session: Session, hs: str, country: str | None, flow: str = "import", on: date | None = None
) -> list[dict[str, Any]]:
    """What goods of this HS code from (or to) this country need, for the public: each
    procedure with its agency, document, fee, typical time and exemptions."""
    goods = Goods(code=hs, flow=flow, on=on or date.today(), country=country)
    names = {a.id: a.name for a in session.scalars(select(Agency))}
    found: dict[str, dict[str, Any]] = {}
    for rule in rule_index(session).matching(goods):
        procedure = session.scalar(
            select(Procedure).where(Procedure.code == rule.procedure, Procedure.current.is_(True))
        )
        if procedure is None:
            continue
        definition = procedure.definition
        entry = found.setdefault(
            procedure.code,
            {
                "procedure": procedure.code,
                "name": procedure.name,
                "agency": names.get(procedure.agency_id, ""),
                "document_type": procedure.document_type,
                "outcome": procedure.outcome,
                "fee": definition.get("fee"),
                "typical_days": definition.get("typical_days"),
                "validity_days": definition.get("validity_days"),
                "mandatory": rule.mandatory,
                "exemptions": [],
                "legal_reference": rule.legal_reference,
                "note": rule.note,
            },
        )
        entry["mandatory"] = entry["mandatory"] or rule.mandatory
        for text, present in (
            (
                f"below {rule.exempt_below_quantity} {rule.exempt_quantity_unit or ''}".strip(),
                rule.exempt_below_quantity is not None,
            ),
            (
                f"below {rule.exempt_below_value} {rule.exempt_value_currency}",
                rule.exempt_below_value is not None,
            ),
            ("samples", bool(rule.exempt_additional_procedures)),
        ):
            if present and text not in entry["exemptions"]:
                entry["exemptions"].append(text)
    return sorted(found.values(), key=lambda e: (not e["mandatory"], e["name"]))


def _on_release_event(session: Session, event: events.Event) -> None:
    _on_release(session, event)


def _on_payment(session: Session, event: events.Event) -> None:
    fee_paid(session, event)


def register_consumers() -> None:
    """Tell the release registry what of permits stops a declaration, and draw permits down
    when goods are released (once per process)."""
    release.register("permits", release_conditions)
    release.on_release("permits", draw_down)
    # The release's own transaction draws down; the event stays as a net (draw-downs are once).
    events.unsubscribe("permits.drawdown")
    events.subscribe("permits.drawdown", "declaration.released", _on_release_event)
    # A fee step ends when payments says its fee is paid.
    events.unsubscribe("permits.fees")
    events.subscribe("permits.fees", "payment.", _on_payment)
