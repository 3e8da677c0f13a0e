"""HTTP routes of the payments domain: payment requests, paying, receipts, deferment, the ledger.

The bank callback carries no bearer token: its HMAC signature over the raw body is its
authentication.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from sqlalchemy.orm import Session

from onewindow.config import get_settings
from onewindow.deps import Id, PrincipalDep, SessionDep
from onewindow.errors import Forbidden
from onewindow.parties.service import require_scope
from onewindow.payments import service
from onewindow.payments.gateway import SIGNATURE_HEADER, SimulatedBank
from onewindow.payments.schemas import (
    BankCallbackIn,
    DeferredAccountIn,
    DeferredAccountOut,
    LedgerBalancesOut,
    PayIn,
    PaymentOut,
    PaymentRequestOut,
    PayOut,
    ReceiptOut,
)
from onewindow.security import Role

router = APIRouter(prefix="/api/v1", tags=["payments"])


@contextmanager
def _refusals_on_record(session: Session) -> Iterator[None]:
    """Commit a refusal's audit entry before the refusal answers (the rollback would lose it)."""
    try:
        yield
    except service.RefusalOnRecord:
        session.commit()
        raise


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.get("/payment-requests", response_model=list[PaymentRequestOut])
def list_payment_requests(
    session: SessionDep,
    principal: PrincipalDep,
    status: Literal["open", "paid", "secured", "cancelled"] | None = None,
    declaration_id: Annotated[Id | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[PaymentRequestOut]:
    """Your organisation's payment requests, newest first (all of them for a customs office)."""
    require_scope(principal, "payments:read")
    rows = service.list_payment_requests(
        session, principal, status=status, declaration_id=declaration_id, limit=limit
    )
    return [PaymentRequestOut.model_validate(r) for r in rows]


@router.get("/payment-requests/{payment_request_id}", response_model=PaymentRequestOut)
def read_payment_request(
    payment_request_id: Id, session: SessionDep, principal: PrincipalDep
) -> PaymentRequestOut:
    """One payment request: what is due, tax by tax, and the payments made on it."""
    require_scope(principal, "payments:read")
    return PaymentRequestOut.model_validate(
        service.get_payment_request(session, principal, payment_request_id)
    )


@router.post(
    "/payment-requests/{payment_request_id}/pay",
    response_model=PayOut,
    responses={202: {"description": "Bank payment started: the receipt follows the bank's answer"}},
)
def pay(
    payment_request_id: Id,
    body: PayIn,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> PayOut:
    """Pay by bank (202, pending until the bank confirms) or charge a deferred account (200).

    A deferred account that cannot carry the amount is refused with 409 and the reason.
    """
    with _refusals_on_record(session):
        outcome = service.pay(
            session,
            principal,
            payment_request_id,
            method=body.method,
            account=body.account,
            gateway=SimulatedBank(session),
        )
    if outcome.payment is not None:
        response.status_code = 202
    return PayOut(
        method=outcome.method,
        status=outcome.payment.status if outcome.payment else outcome.payment_request.status,
        payment_request=PaymentRequestOut.model_validate(outcome.payment_request),
        payment=PaymentOut.model_validate(outcome.payment) if outcome.payment else None,
        account_number=outcome.account_number,
    )


@router.get("/receipts/{number}", response_model=ReceiptOut)
def read_receipt(
    number: Annotated[str, Path(pattern=r"^[A-Za-z]{2}-\d{4}-\d{1,10}$")],
    session: SessionDep,
    principal: PrincipalDep,
) -> ReceiptOut:
    """A receipt issued to your organisation."""
    require_scope(principal, "payments:read")
    return ReceiptOut.model_validate(service.get_receipt(session, principal, number))


@router.get(
    "/receipts/{number}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The receipt as a PDF"}},
)
def read_receipt_pdf(
    number: Annotated[str, Path(pattern=r"^[A-Za-z]{2}-\d{4}-\d{1,10}$")],
    session: SessionDep,
    principal: PrincipalDep,
) -> Response:
    """A receipt as a PDF: for the payer, the parties of its declaration and customs."""
    require_scope(principal, "payments:read")
    receipt = service.get_receipt(session, principal, number)
    pdf = service.receipt_pdf(service.receipt_view(session, receipt), get_settings().country)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{receipt.number}.pdf"'},
    )


@router.get("/deferred-accounts", response_model=list[DeferredAccountOut])
def list_deferred_accounts(
    session: SessionDep, principal: PrincipalDep
) -> list[DeferredAccountOut]:
    """Your organisation's deferred accounts and what is available on each."""
    require_scope(principal, "payments:read")
    return [
        DeferredAccountOut.model_validate(a)
        for a in service.list_deferred_accounts(session, principal)
    ]


@router.post("/deferred-accounts", response_model=DeferredAccountOut, status_code=201)
def open_deferred_account(
    body: DeferredAccountIn, session: SessionDep, principal: PrincipalDep
) -> DeferredAccountOut:
    """Open a deferred account for an organisation (customs officers and administrators)."""
    require_scope(principal, "payments:write")
    service.require_officer(principal)
    account = service.open_deferred_account(session, actor=principal.actor, **body.model_dump())
    return DeferredAccountOut.model_validate(account)


@router.post(
    "/payments/bank-callback",
    response_model=PaymentOut,
    responses={403: {"description": "the signature is missing or wrong (recorded)"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BankCallbackIn.model_json_schema()}},
        }
    },
)
def bank_callback(
    session: SessionDep,
    raw_body: Annotated[bytes, Depends(_raw_body)],
    signature: Annotated[
        str | None,
        Header(
            alias=SIGNATURE_HEADER,
            max_length=200,
            description="sha256=<hex HMAC-SHA256 of the raw body>",
        ),
    ] = None,
) -> PaymentOut:
    """A bank's signed answer to a charge. A wrong signature is refused (403) and audited;
    a repeated callback changes nothing and answers the same."""
    with _refusals_on_record(session):
        payment = service.apply_bank_callback(session, raw_body, signature)
    return PaymentOut.model_validate(payment)


@router.get("/ledger/balances", response_model=LedgerBalancesOut)
def read_ledger_balances(session: SessionDep, principal: PrincipalDep) -> LedgerBalancesOut:
    """Every ledger account's balance per currency (customs offices only)."""
    require_scope(principal, "ledger:read")
    if not principal.has_role(Role.CUSTOMS):
        raise Forbidden("Only customs offices read the revenue ledger.")
    return LedgerBalancesOut(
        balances=service.ledger_balances(session), balanced=service.transactions_balance(session)
    )
