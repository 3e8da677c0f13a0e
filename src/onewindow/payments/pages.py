"""Portal pages of the payments domain: the payment requests and their receipts, a receipt's page
and its PDF. Only the payer, the parties of its declaration and customs see a receipt."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onewindow.config import get_settings
from onewindow.deps import OptionalPrincipalDep, SessionDep
from onewindow.errors import NotFound
from onewindow.payments import service
from onewindow.payments.models import PAYMENT_REQUEST_LABELS
from onewindow.portal.pages import not_found_page, render
from onewindow.security import Principal

router = APIRouter(prefix="/payments", include_in_schema=False)

STATUS_LABELS = {status.value: label for status, label in PAYMENT_REQUEST_LABELS.items()}


def _refused(request: Request, principal: Principal | None) -> Response | None:
    if principal is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if "payments:read" not in principal.scopes:
        return not_found_page(request)
    return None


@router.get("", response_class=HTMLResponse)
def payments_page(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    """The organisation's payment requests, newest first, each with its receipts (customs: all)."""
    refused = _refused(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    requests = service.list_payment_requests(session, principal, limit=100)
    return render(
        request,
        "payments.html",
        {
            "requests": requests,
            "receipts": service.receipts_for(session, principal, [r.id for r in requests]),
            "status_labels": STATUS_LABELS,
        },
        principal,
    )


@router.get("/receipts/{number}", response_class=HTMLResponse)
def receipt_page(
    request: Request, number: str, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    refused = _refused(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    try:
        receipt = service.get_receipt(session, principal, number[:40])
    except NotFound:
        return not_found_page(request)
    view = service.receipt_view(session, receipt)
    return render(request, "payments_receipt.html", {"r": view}, principal)


@router.get("/receipts/{number}/pdf")
def receipt_pdf(
    request: Request, number: str, session: SessionDep, principal: OptionalPrincipalDep
) -> Response:
    refused = _refused(request, principal)
    if refused or principal is None:
        return refused or not_found_page(request)
    try:
        receipt = service.get_receipt(session, principal, number[:40])
    except NotFound:
        return not_found_page(request)
    pdf = service.receipt_pdf(service.receipt_view(session, receipt), get_settings().country)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{receipt.number}.pdf"'},
    )
