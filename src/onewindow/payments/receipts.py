"""Receipts: issued when a bank payment settles a request, numbered per year."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow.db import utcnow
from onewindow.errors import NotFound
from onewindow.payments.models import Payment, PaymentRequest, Receipt
from onewindow.payments.numbers import next_number
from onewindow.payments.requests import sees_all
from onewindow.security import Principal


def issue_receipt(session: Session, request: PaymentRequest, payment: Payment) -> Receipt:
    issued_at = utcnow()
    number = next_number(session, f"RC-{issued_at.year}")
    receipt = Receipt(
        number=f"RC-{issued_at.year}-{number:06d}",
        payment_request=request,
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        issued_at=issued_at,
        lines=[dict(line) for line in request.lines],
    )
    session.add(receipt)
    session.flush()
    return receipt


def get_receipt(session: Session, principal: Principal, number: str) -> Receipt:
    """A receipt issued to the principal's organisation (any, for a customs office)."""
    receipt = session.scalar(select(Receipt).where(Receipt.number == number.strip().upper()))
    if receipt is None or not (
        sees_all(principal) or receipt.payment_request.organisation_id == principal.organisation_id
    ):
        raise NotFound(f"No receipt {number}.")
    return receipt
