"""The payments domain's door: payment requests, bank payments, deferment, the ledger, receipts.

Other domains call these functions and nothing else of the domain; the concerns live beside it:
``requests`` (what is owed: duties on a declaration, or another domain's fee such as a permit
application's), ``bank`` (payments and the bank's callbacks), ``deferment`` (deferred accounts and
their guarantees), ``ledger`` (double entry, balances), ``receipts`` and ``numbers``. :func:`pay`
is the one way to pay, for the API, the portal and the demo.

Services flush; the caller's boundary commits. Every decision is in the audit log and every state
change writes its outbox event in the same transaction. Money is :class:`~onewindow.money.Money`
(a ``Decimal`` and its currency), rounded half up to the currency's minor unit before it is owed.

Every path takes its row locks in one order: declaration, payment, payment request, deferred
account, number series, and the audit head last (at commit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from onewindow.errors import FieldError, Forbidden, InvalidInput
from onewindow.payments.bank import (
    apply_bank_callback,
    confirm_payment,
    register_consumers,
    start_payment,
)
from onewindow.payments.deferment import (
    SettlementOutcome,
    list_deferred_accounts,
    open_deferred_account,
    require_officer,
    settle_by_deferment,
)
from onewindow.payments.gateway import PaymentGateway, SimulatedBank
from onewindow.payments.ledger import (
    BANK_CLEARING,
    SUSPENSE,
    UnbalancedTransaction,
    collected_by_tax_type,
    deferment_account,
    ledger_balances,
    revenue_account,
    transactions_balance,
)
from onewindow.payments.models import PAYMENT_REQUEST_LABELS, Payment, PaymentRequest
from onewindow.payments.receipts import (
    ReceiptView,
    get_receipt,
    receipt_pdf,
    receipt_view,
    receipts_for,
)
from onewindow.payments.refusals import (
    CallbackMalformed,
    CallbackRefused,
    DefermentRefused,
    PaymentMismatch,
    RefusalOnRecord,
)
from onewindow.payments.requests import (
    fee_request,
    get_payment_request,
    list_payment_requests,
    request_fee,
    request_payment,
    withdraw_fee,
    withdraw_payment_request,
)
from onewindow.security import Principal

__all__ = [
    "BANK_CLEARING",
    "PAYMENT_METHODS",
    "PAYMENT_REQUEST_LABELS",
    "PaymentGateway",
    "SUSPENSE",
    "CallbackMalformed",
    "CallbackRefused",
    "DefermentRefused",
    "PaymentMismatch",
    "PaymentOutcome",
    "ReceiptView",
    "RefusalOnRecord",
    "SettlementOutcome",
    "SimulatedBank",
    "UnbalancedTransaction",
    "apply_bank_callback",
    "collected_by_tax_type",
    "confirm_payment",
    "deferment_account",
    "fee_request",
    "get_payment_request",
    "get_receipt",
    "ledger_balances",
    "receipt_pdf",
    "receipt_view",
    "receipts_for",
    "list_deferred_accounts",
    "list_payment_requests",
    "open_deferred_account",
    "pay",
    "register_consumers",
    "request_fee",
    "request_payment",
    "require_officer",
    "revenue_account",
    "settle_by_deferment",
    "start_payment",
    "transactions_balance",
    "withdraw_fee",
    "withdraw_payment_request",
]


@dataclass(frozen=True)
class PaymentOutcome:
    """How a payment request was paid: a pending bank payment, or secured on a deferred account."""

    method: Literal["bank", "deferment"]
    payment_request: PaymentRequest
    payment: Payment | None = None
    account_number: str | None = None


PAYMENT_METHODS = {"bank": "Electronic payment", "deferment": "Deferred-payment account"}


def pay(
    session: Session,
    principal: Principal,
    payment_request_id: int,
    *,
    method: str,
    gateway: PaymentGateway,
    account: str | None = None,
) -> PaymentOutcome:
    """Pay an open request by bank, or charge it to the payer's deferred account.

    Only the organisation that owes the request pays it, with the ``payments:write`` scope,
    whoever else may read it. A deferred account that cannot carry the amount is a
    :class:`DefermentRefused` (its audit entry kept).
    """
    if "payments:write" not in principal.scopes:
        raise Forbidden("This needs the scope 'payments:write'.")
    if method not in PAYMENT_METHODS:
        raise InvalidInput("Unknown method.", [FieldError("/method", "use bank or deferment")])
    request = get_payment_request(session, principal, payment_request_id)
    if request.organisation_id != principal.organisation_id:
        raise Forbidden("Only the organisation that owes a payment request pays it.")
    if method == "bank":
        payment = start_payment(
            session, principal.organisation_id, request.id, gateway, actor=principal.actor
        )
        return PaymentOutcome("bank", request, payment)
    outcome = settle_by_deferment(session, request.id, account, principal.actor)
    if not outcome.ok:
        raise DefermentRefused(f"Deferment refused: {outcome.reason}.")
    return PaymentOutcome(
        "deferment", outcome.payment_request, account_number=outcome.account_number
    )
