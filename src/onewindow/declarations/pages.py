"""Portal pages for goods declarations: the trader's form, list and detail; the officer's queue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onewindow import release
from onewindow.declarations import service
from onewindow.declarations.lifecycle import LABELS, Status
from onewindow.declarations.service import Action
from onewindow.deps import Id, OptionalPrincipalDep, SessionDep
from onewindow.errors import DomainError
from onewindow.exchange import service as exchange
from onewindow.payments import service as payments
from onewindow.portal.pages import not_found_page, render
from onewindow.reference.codelists import code_list
from onewindow.risk import service as risk
from onewindow.risk.models import FINDINGS
from onewindow.security import LODGING_ROLES, Principal

router = APIRouter(prefix="/declarations", include_in_schema=False)


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
    return render(
        request,
        "declarations_detail.html",
        {
            "d": declaration,
            "content": declaration.content,
            "holds": service.hold_views(principal, declaration),
            "timeline": service.timeline_for(session, principal, declaration),
            "assessment": service.latest_assessment(session, declaration),
            "payment": payment,
            "open_holds": open_holds,
            "conditions": []
            if declaration.status in service.FINAL_STATUSES
            else release.open_conditions(session, declaration.id),
            "customs": Action.CONTROL in allowed,
            "may_cancel": Action.CANCEL in allowed,
            "may_pay": payment is not None
            and payment.organisation_id == principal.organisation_id
            and "payments:write" in principal.scopes,
            "own": declaration.organisation_id == principal.organisation_id,
            "lifted_by": service.LIFTED_BY,
            "held_kinds": {h.kind for h in open_holds},
            "findings": FINDINGS,
            "inspection": (
                risk.inspection_result_for(session, declaration.id)
                if Action.CONTROL in allowed
                else None
            ),
            "versions": service.versions(session, declaration),
            # What the exporting country's single window sent of these goods (customs only).
            "partner_exports": (
                exchange.exports_for(session, declaration)
                if Action.CONTROL in allowed and declaration.type == "IM"
                else []
            ),
            "message": request.query_params.get("message", ""),
            **choices(),
        },
        principal,
    )
