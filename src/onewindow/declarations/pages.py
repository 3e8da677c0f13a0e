"""Portal pages for goods declarations: the trader's form, list and detail; the officer's queue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onewindow import release, work
from onewindow.config import get_settings
from onewindow.declarations import service
from onewindow.declarations.lifecycle import LABELS, Status
from onewindow.declarations.service import Action
from onewindow.deps import Id, OptionalPrincipalDep, SessionDep
from onewindow.errors import DomainError
from onewindow.exchange import service as exchange
from onewindow.parties import service as parties
from onewindow.payments import service as payments
from onewindow.portal.pages import not_found_page, render
from onewindow.reference.codelists import code_list
from onewindow.risk import service as risk
from onewindow.risk.models import CHANNEL_LABELS, FINDINGS, SelectivityDecision
from onewindow.security import LODGING_ROLES, Principal, Role
from onewindow.tariff import service as tariff
from onewindow.work import Task

router = APIRouter(prefix="/declarations", include_in_schema=False)


@work.register
def declarations_work(session: Session, principal: Principal) -> list[Task]:
    """Declarations waiting for the user: payment for a lodger, control for customs."""
    if "declarations:read" not in principal.scopes:
        return []
    counts = service.count_by_status(session, principal)
    if principal.has_role(Role.CUSTOMS):
        wanted = [
            (
                Status.UNDER_CONTROL,
                "Declarations under control",
                "check documents, inspect, decide",
            ),
        ]
    else:
        wanted = [
            (Status.AWAITING_PAYMENT, "Declarations awaiting payment", "pay to have them released"),
            (Status.UNDER_CONTROL, "Declarations held by customs", "see what customs asks"),
        ]
    return [
        Task(title, counts.get(status.value, 0), f"/declarations?status={status.value}", hint)
        for status, title, hint in wanted
    ]


def login_redirect(request: Request) -> Response:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def is_customs(principal: Principal) -> bool:
    return principal.has_role(service.CUSTOMS)


def may_lodge(principal: Principal) -> bool:
    return principal.has_role(*LODGING_ROLES) and "declarations:write" in principal.scopes


def choices() -> dict[str, Any]:
    return {
        "modes": code_list("transport-mode").entries,
        "incoterms": code_list("delivery-terms").entries,
        "packages": code_list("package-type").entries,
        "transport_documents": code_list("transport-document-type").entries,
        "hold_kinds": service.HOLD_KINDS,
        "labels": {s.value: label for s, label in LABELS.items()},
    }


@router.get("", response_class=HTMLResponse)
def list_page(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep, status: str = ""
) -> Response:
    """The trader's declarations, or the officer's queue by status."""
    if principal is None:
        return login_redirect(request)
    chosen = status if status in {s.value for s in Status} else None
    rows = service.list_declarations(session, principal, status=chosen, limit=200)
    return render(
        request,
        "declarations_list.html",
        {
            "rows": rows,
            "status": chosen or "",
            "counts": service.count_by_status(session, principal),
            "customs": is_customs(principal),
            "may_lodge": may_lodge(principal),
            **choices(),
        },
        principal,
    )


@router.get("/{declaration_id}", response_class=HTMLResponse)
def detail(
    request: Request, declaration_id: Id, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """Everything about one declaration: status, holds, timeline, assessment, payment."""
    if principal is None:
        return login_redirect(request)
    try:
        declaration = service.authorize(session, principal, declaration_id, Action.READ)
    except DomainError:
        return not_found_page(request)
    requests = payments.list_payment_requests(session, principal, declaration_id=declaration.id)
    payment = requests[0] if requests else None
    allowed = service.allowed_actions(session, principal, declaration)
    open_holds = service.open_holds(declaration)
    customs = Action.CONTROL in allowed
    holds = service.hold_views(principal, declaration)
    timeline = service.timeline_for(session, principal, declaration)
    inspection = risk.inspection_result_for(session, declaration.id) if customs else None
    decision = _decision(session, principal, declaration.id) if customs else None
    actors = [s.actor for s in timeline]
    actors += [h.placed_by for h in holds] + [h.lifted_by or "" for h in holds]
    actors += [inspection.officer] if inspection else []
    actors += [r["code"] for r in decision.reasons if r["source"] == "officer"] if decision else []
    held_kinds = {h.kind for h in open_holds}
    return render(
        request,
        "declarations_detail.html",
        {
            "d": declaration,
            "content": declaration.content,
            "holds": holds,
            "timeline": timeline,
            "names": parties.actor_names(session, actors),
            "registered": {
                identifier: org.name
                for identifier, org in parties.organisations_identified(
                    session,
                    [
                        str((declaration.content.get(role) or {}).get("identifier") or "")
                        for role in service.PARTY_ROLES
                    ],
                ).items()
            },
            "assessment": service.latest_assessment(session, declaration),
            "tax_labels": {m.value: m.label for m in tariff.MeasureType},
            "payment": payment,
            "payment_labels": {
                s.value: label for s, label in payments.PAYMENT_REQUEST_LABELS.items()
            },
            "receipts": payments.receipts_for(session, principal, [r.id for r in requests]),
            "open_holds": open_holds,
            "conditions": []
            if declaration.status in service.FINAL_STATUSES
            else release.open_conditions(session, declaration.id),
            "customs": customs,
            "decision": decision,
            "sources": RISK_SOURCES,
            "channel_labels": CHANNEL_LABELS,
            "missing_rates": (
                service.missing_rates(session, declaration, get_settings().currency)
                if customs and "assessment" in held_kinds
                else []
            ),
            "may_cancel": Action.CANCEL in allowed,
            "may_copy": declaration.status == Status.REJECTED.value
            and Action.AMEND in allowed
            and may_lodge(principal),
            "may_pay": payment is not None
            and payment.organisation_id == principal.organisation_id
            and "payments:write" in principal.scopes,
            "own": declaration.organisation_id == principal.organisation_id,
            "lifted_by": service.LIFTED_BY,
            "held_kinds": held_kinds,
            "findings": FINDINGS,
            "inspection": inspection,
            "versions": service.versions(session, declaration),
            "type_label": code_list("declaration-type").label(declaration.type) or "",
            "subtype_label": code_list("declaration-subtype").label(
                str(declaration.content.get("additional_type", ""))
            )
            or "",
            # What the exporting country's single window sent of these goods (customs only).
            "partner_exports": (
                exchange.exports_for(session, declaration)
                if Action.CONTROL in allowed and declaration.type == "IM"
                else []
            ),
            **choices(),
        },
        principal,
    )


RISK_SOURCES = {
    "profile": "Risk profile",
    "watch": "Watch list",
    "model": "Learned model",
    "random": "Random selection",
    "ipr": "IPR record",
    "fast-lane": "Fast lane",
    "aeo": "AEO status",
    "officer": "Officer's selection",
}
"""How the officer reads where a reason for the channel comes from."""


def _decision(
    session: Session, principal: Principal, declaration_id: int
) -> SelectivityDecision | None:
    """The channel decision and its reasons: customs' own, asked through the risk door."""
    try:
        return risk.decision_for(session, principal, declaration_id)
    except DomainError:
        return None
