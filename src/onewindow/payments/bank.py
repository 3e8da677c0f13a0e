"""Bank payments: charging through a gateway, and applying the bank's signed callbacks."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit, events
from onewindow.db import utcnow
from onewindow.errors import Conflict, DomainError, FieldError, InvalidInput, NotFound
from onewindow.events import Event, record_event
from onewindow.money import Money, amount_text
from onewindow.payments.gateway import BANK_CALLBACK_TOPIC, PaymentGateway, signature_matches
from onewindow.payments.ledger import BANK_CLEARING, SUSPENSE, post, post_settlement
from onewindow.payments.models import Payment, PaymentRequest, PaymentRequestStatus, PaymentStatus
from onewindow.payments.receipts import issue_receipt
from onewindow.payments.refusals import (
    CallbackMalformed,
    CallbackRefused,
    PaymentMismatch,
    RefusalOnRecord,
)
from onewindow.payments.requests import lock_request, subject_of

log = logging.getLogger(__name__)

# The consumer's name keys its receipts in the outbox: it never changes.
BANK_CALLBACK_CONSUMER = "payments.bank-callback"
_ZERO = Decimal(0)


def start_payment(
    session: Session,
    principal_org_id: int,
    payment_request_id: int,
    gateway: PaymentGateway,
    *,
    actor: str | None = None,
) -> Payment:
    """Ask the gateway to charge an open request of the principal's organisation.

    Returns the pending payment with the provider's reference; the outcome arrives later by
    callback (:func:`apply_bank_callback`). While a payment is pending, asking again returns it
    instead of charging twice.
    """
    request = lock_request(session, payment_request_id)
    if request.organisation_id != principal_org_id:
        raise NotFound(f"No payment request {payment_request_id}.")
    if request.status != PaymentRequestStatus.OPEN:
        raise Conflict(f"{request.reference} is {request.status}: nothing is due.")
    pending = [p for p in request.payments if p.status == PaymentStatus.PENDING]
    if pending:
        return pending[0]
    due = Money(request.total, request.currency).rounded()
    payment = Payment(
        payment_request=request,
        provider=gateway.name,
        amount=due.amount,
        currency=due.currency,
        status=PaymentStatus.PENDING,
        created_at=utcnow(),
    )
    session.add(payment)
    session.flush()
    payment.provider_reference = gateway.charge(
        request.reference, due, f"organisation:{principal_org_id}"
    )
    session.flush()
    actor = actor or f"organisation:{principal_org_id}"
    audit.record(
        session,
        actor=actor,
        action="payment.started",
        subject_type="payment",
        subject_id=payment.id,
        organisation_id=request.organisation_id,
        data={
            "reference": request.reference,
            "provider": payment.provider,
            "provider_reference": payment.provider_reference,
            "amount": str(due),
        },
    )
    record_event(
        session,
        "payment.started",
        "payment",
        payment.id,
        {
            "declaration_id": request.declaration_id,
            "payment_request_id": request.id,
            "provider": payment.provider,
            "provider_reference": payment.provider_reference,
            "amount": amount_text(due),
            "currency": due.currency,
        },
        organisation_id=request.organisation_id,
    )
    return payment


def _refuse_confirmation(session: Session, payment: Payment, reason: str, **data: Any) -> NoReturn:
    audit.record(
        session,
        actor=f"bank:{payment.provider}",
        action="payment.confirmation_refused",
        subject_type="payment",
        subject_id=payment.id,
        organisation_id=payment.payment_request.organisation_id,
        reason=reason,
        data={"provider_reference": payment.provider_reference, **data},
    )
    raise PaymentMismatch(f"Payment {payment.provider_reference}: {reason}.")


def confirm_payment(
    session: Session,
    provider_reference: str,
    amount: Decimal,
    currency: str,
    status: str,
    *,
    paid_at: datetime | None = None,
) -> Payment:
    """Apply the provider's outcome for a payment; applying it again changes nothing.

    ``confirmed``: the payment is confirmed, the request paid, the ledger debits
    ``bank:clearing`` and credits each tax's revenue, a receipt is issued and ``payment.settled``
    recorded. Money for a request no longer open (cancelled by an amendment, or secured meanwhile)
    goes to ``suspense:unallocated`` with ``payment.unallocated``. ``failed``: the payment fails,
    the request stays open, ``payment.failed`` is recorded. Another amount or currency than the
    payment's, or an outcome contradicting one already applied, is refused
    (:class:`PaymentMismatch`, a :class:`Conflict`) and audited.
    """
    if status not in (PaymentStatus.CONFIRMED, PaymentStatus.FAILED):
        raise InvalidInput(
            f"Unknown payment outcome {status!r}.",
            [FieldError("/status", "must be confirmed or failed")],
        )
    # Lock order (see requests.lock_request): the payment first, then its request.
    payment = session.scalars(
        select(Payment)
        .where(Payment.provider_reference == provider_reference)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if payment is None:
        raise NotFound(f"No payment with provider reference {provider_reference}.")
    expected = Money(payment.amount, payment.currency).rounded()
    if currency.strip().upper() != payment.currency or amount != payment.amount:
        reported = f"{currency} {amount}"
        _refuse_confirmation(
            session,
            payment,
            f"the bank reports {reported}, the payment is for {expected}",
            reported_amount=str(amount),
            reported_currency=currency,
        )
    if payment.status != PaymentStatus.PENDING:
        if payment.status == status:
            return payment
        _refuse_confirmation(
            session,
            payment,
            f"the bank reports {status} but the payment is already {payment.status}",
            reported_status=status,
        )
    request = lock_request(session, payment.payment_request_id)
    actor = f"bank:{payment.provider}"
    if status == PaymentStatus.FAILED:
        payment.status = PaymentStatus.FAILED
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="payment.failed",
            subject_type="payment",
            subject_id=payment.id,
            organisation_id=request.organisation_id,
            reason="the bank refused the charge",
            data={"reference": request.reference, "provider_reference": provider_reference},
        )
        record_event(
            session,
            "payment.failed",
            "payment",
            payment.id,
            {
                "declaration_id": request.declaration_id,
                "payment_request_id": request.id,
                "provider_reference": provider_reference,
            },
            organisation_id=request.organisation_id,
        )
        return payment
    payment.status = PaymentStatus.CONFIRMED
    payment.confirmed_at = paid_at or utcnow()
    if request.status != PaymentRequestStatus.OPEN:
        _hold_in_suspense(session, request, payment, expected)
        return payment
    request.status = PaymentRequestStatus.PAID
    request.settled_at = utcnow()
    request.settled_by = f"bank:{provider_reference}"
    transaction_id = post_settlement(session, request, BANK_CLEARING)
    receipt = issue_receipt(session, request, payment)
    audit.record(
        session,
        actor=actor,
        action="payment.settled",
        subject_type="payment_request",
        subject_id=request.id,
        organisation_id=request.organisation_id,
        reason=f"{expected} received by {payment.provider}",
        data={
            "reference": request.reference,
            "provider_reference": provider_reference,
            "receipt_number": receipt.number,
            "ledger_transaction": transaction_id,
        },
    )
    record_event(
        session,
        "payment.settled",
        "payment_request",
        request.id,
        {
            "declaration_id": request.declaration_id,
            "declaration_number": request.declaration_number,
            "payment_request_id": request.id,
            "receipt_number": receipt.number,
            "amount": amount_text(expected),
            "currency": expected.currency,
            **subject_of(request),
        },
        organisation_id=request.organisation_id,
    )
    return payment


def _hold_in_suspense(
    session: Session, request: PaymentRequest, payment: Payment, received: Money
) -> None:
    """Book money that arrived for a request no longer open, so that it can be refunded."""
    transaction_id = post(
        session,
        currency=received.currency,
        legs=[(BANK_CLEARING, received.amount, _ZERO), (SUSPENSE, _ZERO, received.amount)],
        payment_request_id=request.id,
        memo=f"{request.reference} is {request.status}: {payment.provider_reference} unallocated",
    )
    audit.record(
        session,
        actor=f"bank:{payment.provider}",
        action="payment.unallocated",
        subject_type="payment",
        subject_id=payment.id,
        organisation_id=request.organisation_id,
        reason=f"{received} received for {request.reference}, which is {request.status}",
        data={"provider_reference": payment.provider_reference, "ledger": transaction_id},
    )
    record_event(
        session,
        "payment.unallocated",
        "payment",
        payment.id,
        {
            "declaration_id": request.declaration_id,
            "payment_request_id": request.id,
            "provider_reference": payment.provider_reference,
            "amount": amount_text(received),
            "currency": received.currency,
        },
        organisation_id=request.organisation_id,
    )


def _refuse_callback(
    session: Session, raw_body: bytes, reason: str, error: type[RefusalOnRecord]
) -> RefusalOnRecord:
    digest = hashlib.sha256(raw_body).hexdigest()
    audit.record(
        session,
        actor="bank:unverified",
        action="payment.callback_refused",
        subject_type="bank_callback",
        subject_id=digest[:16],
        reason=reason,
        data={"body_sha256": digest, "body_bytes": len(raw_body)},
    )
    return error(f"The bank callback is refused: {reason}.")


def apply_bank_callback(session: Session, raw_body: bytes, signature: str | None) -> Payment:
    """Verify a bank's signed callback and apply it (:func:`confirm_payment`).

    A missing or wrong signature (a forged or altered body) is refused with
    :class:`CallbackRefused` (403) and audited; nothing else changes. A replayed callback
    returns the payment as it is.
    """
    if not signature_matches(raw_body, signature):
        reason = "the signature does not match the body" if signature else "it is not signed"
        raise _refuse_callback(session, raw_body, reason, CallbackRefused)
    try:
        content = json.loads(raw_body, parse_float=Decimal)
        provider_reference = str(content["provider_reference"])
        amount = Decimal(str(content["amount"]))
        currency = str(content["currency"])
        status = str(content["status"])
        paid_at = datetime.fromisoformat(str(content["paid_at"]))
        if paid_at.tzinfo is None or not amount.is_finite():
            raise ValueError("paid_at must carry a zone and the amount must be finite")
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        reason = f"its body is not a callback ({type(exc).__name__}: {exc})"
        raise _refuse_callback(session, raw_body, reason, CallbackMalformed) from None
    return confirm_payment(session, provider_reference, amount, currency, status, paid_at=paid_at)


def _deliver_bank_callback(session: Session, event: Event) -> None:
    """The simulated bank's callback, arriving through the outbox: verified like an HTTP one."""
    body = str(event.payload.get("body", "")).encode()
    signature = event.payload.get("signature")
    try:
        apply_bank_callback(session, body, signature if isinstance(signature, str) else None)
    except DomainError as exc:
        # A refusal is final and on record: the same bytes would be refused on every retry.
        log.warning("bank callback %s refused: %s", event.subject_id, exc.detail)


def register_consumers() -> None:
    """Subscribe the bank-callback consumer, so that every process that can pay can be called
    back; calling it again changes nothing."""
    events.unsubscribe(BANK_CALLBACK_CONSUMER)
    events.subscribe(BANK_CALLBACK_CONSUMER, BANK_CALLBACK_TOPIC, _deliver_bank_callback)
