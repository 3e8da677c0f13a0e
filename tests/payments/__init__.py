"""Builders for payments tests (also used by the access matrix): requests, receipts, callbacks."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select

from onewindow import events
from onewindow.db import session_scope
from onewindow.events import OutboxEvent
from onewindow.money import Money
from onewindow.payments import service
from onewindow.payments.gateway import BANK_CALLBACK_TOPIC, SimulatedBank
from onewindow.payments.models import Payment, PaymentRequest

# Declaration ids unique to this run, far from those a declarations test would make.
_declaration_ids = itertools.count(900_000_000 + os.getpid() % 1000 * 100_000)

GBP_LINES: tuple[tuple[str, str], ...] = (("customs_duty", "120.00"), ("vat", "224.00"))


def lines_in(currency: str, *lines: tuple[str, str]) -> list[tuple[str, Money]]:
    """Tax lines from (tax type, amount text) pairs."""
    return [(tax, Money(Decimal(amount), currency)) for tax, amount in lines]


def new_declaration_id() -> int:
    return next(_declaration_ids)


def open_request_for(
    org_id: int, currency: str = "GBP", lines: Sequence[tuple[str, str]] = GBP_LINES
) -> int:
    """A fresh open payment request of the organisation; its id."""
    declaration_id = new_declaration_id()
    with session_scope() as session:
        request = service.request_payment(
            session,
            organisation_id=org_id,
            declaration_id=declaration_id,
            declaration_number=f"26GB{declaration_id}",
            lines=lines_in(currency, *lines),
            actor="test",
        )
        return request.id


def start_bank_payment(org_id: int, payment_request_id: int) -> str:
    """Start a simulated bank payment; return the provider reference (the callback is queued)."""
    with session_scope() as session:
        payment = service.start_payment(session, org_id, payment_request_id, SimulatedBank(session))
        assert payment.provider_reference is not None
        return payment.provider_reference


def queued_callback(provider_reference: str) -> tuple[bytes, str]:
    """The signed callback the simulated bank queued for this payment: (raw body, signature)."""
    with session_scope() as session:
        row = session.scalars(
            select(OutboxEvent).where(
                OutboxEvent.topic == BANK_CALLBACK_TOPIC,
                OutboxEvent.subject_id == provider_reference,
            )
        ).one()
        return str(row.payload["body"]).encode(), str(row.payload["signature"])


def deliver_events() -> None:
    """Run the outbox worker until nothing is due."""
    service.register_consumers()
    for _ in range(50):
        with session_scope() as session:
            if not events.deliver_pending(session, limit=500):
                return


def receipt_for(org_id: int) -> str:
    """A paid request of the organisation; the receipt's number."""
    request_id = open_request_for(org_id)
    provider_reference = start_bank_payment(org_id, request_id)
    with session_scope() as session:
        service.confirm_payment(session, provider_reference, Decimal("344.00"), "GBP", "confirmed")
        request = session.get(PaymentRequest, request_id)
        assert request is not None and request.receipt_number is not None
        return request.receipt_number


def unsigned_claim_for(org_id: int) -> bytes:
    """A callback body claiming that a fresh pending payment of the organisation was confirmed."""
    provider_reference = start_bank_payment(org_id, open_request_for(org_id))
    body, _ = queued_callback(provider_reference)
    return json.dumps(json.loads(body)).encode()


PaymentState = tuple[
    list[tuple[str, str]], list[tuple[str | None, str]], dict[str, dict[str, Decimal]]
]


def payment_state_of(org_id: int) -> PaymentState:
    """What a refused callback must leave untouched: statuses, payments and the ledger."""
    with session_scope() as session:
        requests = session.scalars(
            select(PaymentRequest).where(PaymentRequest.organisation_id == org_id)
        ).all()
        payments = session.execute(
            select(Payment.provider_reference, Payment.status)
            .join(PaymentRequest)
            .where(PaymentRequest.organisation_id == org_id)
        ).all()
        return (
            sorted((r.reference, r.status) for r in requests),
            sorted((p.provider_reference, p.status) for p in payments),
            service.ledger_balances(session),
        )
