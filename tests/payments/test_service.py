"""Payment requests, bank payments, deferment and the ledger: the rules people rely on."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import session_scope
from onewindow.errors import Conflict, Forbidden, InvalidInput
from onewindow.events import OutboxEvent
from onewindow.money import Money
from onewindow.payments import ledger, service
from onewindow.payments.gateway import SimulatedBank, sign_callback
from onewindow.payments.models import DeferredAccount, LedgerEntry, PaymentRequest, Receipt
from tests.conftest import Party
from tests.payments import (
    deliver_events,
    lines_in,
    new_declaration_id,
    open_request_for,
    queued_callback,
    start_bank_payment,
)


def _assert_books_balance(session: Session) -> None:
    """Every transaction's debits equal its credits, and each currency's balances sum to zero."""
    legs: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in session.scalars(select(LedgerEntry)):
        legs[entry.transaction_id].append(entry)
    for transaction_id, entries in legs.items():
        debits = sum((e.debit for e in entries), Decimal(0))
        credits = sum((e.credit for e in entries), Decimal(0))
        assert debits == credits, transaction_id
        assert all((e.debit == 0) != (e.credit == 0) for e in entries)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for by_currency in service.ledger_balances(session).values():
        for currency, balance in by_currency.items():
            totals[currency] += balance
    assert all(total == 0 for total in totals.values()), totals
    assert service.transactions_balance(session)


def _entries(session: Session, payment_request_id: int) -> list[tuple[str, Decimal, Decimal]]:
    rows = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.payment_request_id == payment_request_id)
        .order_by(LedgerEntry.id)
    )
    return [(e.account, e.debit, e.credit) for e in rows]


def _events(session: Session, topic: str, subject_id: int) -> list[OutboxEvent]:
    return list(
        session.scalars(
            select(OutboxEvent).where(
                OutboxEvent.topic == topic, OutboxEvent.subject_id == str(subject_id)
            )
        )
    )


def _request(session: Session, party: Party, request_id: int) -> PaymentRequest:
    request = session.get(PaymentRequest, request_id)
    assert request is not None and request.organisation_id == party.org_id
    return request


def _open_account(
    session: Session,
    party: Party,
    guarantee: str,
    currency: str = "GBP",
    valid_until: date | None = None,
) -> DeferredAccount:
    return service.open_deferred_account(
        session,
        organisation_id=party.org_id,
        number=f"DAN-{party.org_id}-{guarantee.replace('.', '')}-{currency}",
        currency=currency,
        guarantee_amount=Decimal(guarantee),
        guarantee_reference="GUA-TEST-1",
        valid_until=valid_until or date.today() + timedelta(days=365),
        actor="user:officer",
    )


# Payment requests ------------------------------------------------------------------------------


def test_a_request_sums_each_tax_type_and_rounds_to_the_minor_unit(party: Party) -> None:
    with session_scope() as session:
        request = service.request_payment(
            session,
            organisation_id=party.org_id,
            declaration_id=new_declaration_id(),
            declaration_number="26GB0001",
            lines=lines_in(
                "GBP", ("customs_duty", "10.005"), ("customs_duty", "0.004"), ("vat", "2.001")
            ),
            actor="test",
        )
        assert request.reference.startswith("PR-")
        assert request.lines == [
            {"tax_type": "customs_duty", "amount": "10.01"},
            {"tax_type": "vat", "amount": "2.00"},
        ]
        assert request.total == Decimal("12.01")


def test_yen_have_no_minor_unit(party: Party) -> None:
    with session_scope() as session:
        request = service.request_payment(
            session,
            organisation_id=party.org_id,
            declaration_id=new_declaration_id(),
            declaration_number="26JP0001",
            lines=lines_in("JPY", ("customs_duty", "1234.5"), ("vat", "100.4")),
            actor="test",
        )
        assert request.lines == [
            {"tax_type": "customs_duty", "amount": "1235"},
            {"tax_type": "vat", "amount": "100"},
        ]
        assert request.total == Decimal("1335")
        account = _open_account(session, party, "2000.4", "JPY")
        assert account.guarantee_amount == Decimal("2000")
        outcome = service.settle_by_deferment(session, request.id, account.number, "test")
        assert outcome.ok
        assert account.available == Decimal("665")
        _assert_books_balance(session)


def test_asking_again_for_the_same_amounts_returns_the_open_request(party: Party) -> None:
    declaration_id = new_declaration_id()
    with session_scope() as session:
        first = service.request_payment(
            session,
            organisation_id=party.org_id,
            declaration_id=declaration_id,
            declaration_number="26GB0002",
            lines=lines_in("GBP", ("customs_duty", "120"), ("vat", "224")),
            actor="test",
        )
        again = service.request_payment(
            session,
            organisation_id=party.org_id,
            declaration_id=declaration_id,
            declaration_number="26GB0002",
            lines=lines_in("GBP", ("customs_duty", "120.00"), ("vat", "224.00")),
            actor="test",
        )
        assert again.id == first.id
        assert len(_events(session, "payment.requested", first.id)) == 1


def test_an_amended_assessment_cancels_the_open_request(party: Party) -> None:
    declaration_id = new_declaration_id()
    with session_scope() as session:
        first = service.request_payment(
            session,
            organisation_id=party.org_id,
            declaration_id=declaration_id,
            declaration_number="26GB0003",
            lines=lines_in("GBP", ("customs_duty", "120"), ("vat", "224")),
            actor="test",
        )
        amended = service.request_payment(
            session,
            organisation_id=party.org_id,
            declaration_id=declaration_id,
            declaration_number="26GB0003",
            lines=lines_in("GBP", ("customs_duty", "100"), ("vat", "220")),
            actor="test",
        )
        assert amended.id != first.id
        assert (first.status, amended.status) == ("cancelled", "open")
        assert amended.total == Decimal("320.00")
        cancelled = _events(session, "payment.request_cancelled", first.id)
        assert cancelled[0].payload["superseded_by"] == amended.reference
    # Audit entries join the chain when the transaction commits.
    with session_scope() as session:
        assert [e.action for e in audit.entries_for(session, "payment_request", first.id)] == [
            "payment.requested",
            "payment.request_cancelled",
        ]


def test_a_settled_declaration_is_not_asked_again_for_another_amount(party: Party) -> None:
    request_id = open_request_for(party.org_id)
    with session_scope() as session:
        _open_account(session, party, "1000")
        assert service.settle_by_deferment(session, request_id, None, "test").ok
        request = _request(session, party, request_id)
        with pytest.raises(Conflict, match="supplementary demand"):
            service.request_payment(
                session,
                organisation_id=party.org_id,
                declaration_id=request.declaration_id,
                declaration_number=request.declaration_number,
                lines=lines_in("GBP", ("vat", "1")),
                actor="test",
            )


def test_a_request_refuses_bad_lines_all_at_once(party: Party) -> None:
    with session_scope() as session, pytest.raises(InvalidInput) as refused:
        service.request_payment(
            session,
            organisation_id=party.org_id,
            declaration_id=new_declaration_id(),
            declaration_number="26GB0004",
            lines=[
                ("Customs Duty", Money(Decimal("1"), "GBP")),
                ("vat", Money(Decimal("-1"), "GBP")),
                ("excise", Money(Decimal("1"), "EUR")),
            ],
            actor="test",
        )
    pointers = {e.pointer for e in refused.value.errors}
    assert pointers == {"/lines", "/lines/0/tax_type", "/lines/1/amount"}


def test_nothing_due_opens_no_request(party: Party) -> None:
    with session_scope() as session, pytest.raises(InvalidInput, match="Nothing is due"):
        service.request_payment(
            session,
            organisation_id=party.org_id,
            declaration_id=new_declaration_id(),
            declaration_number="26GB0005",
            lines=lines_in("GBP", ("vat", "0.004")),
            actor="test",
        )


# Bank payments ---------------------------------------------------------------------------------


def test_a_confirmed_bank_payment_pays_issues_a_receipt_and_books_revenue(party: Party) -> None:
    request_id = open_request_for(party.org_id)
    provider_reference = start_bank_payment(party.org_id, request_id)
    with session_scope() as session:
        request = _request(session, party, request_id)
        assert request.status == "open"
        assert [p.status for p in request.payments] == ["pending"]
    deliver_events()
    with session_scope() as session:
        request = _request(session, party, request_id)
        assert request.status == "paid"
        assert request.settled_by == f"bank:{provider_reference}"
        assert request.payments[0].status == "confirmed"
        receipt = request.receipts[0]
        assert receipt.number.startswith(f"RC-{receipt.issued_at.year}-")
        assert receipt.amount == Decimal("344.00")
        assert _entries(session, request_id) == [
            ("bank:clearing", Decimal("344.00"), Decimal(0)),
            ("revenue:customs_duty", Decimal(0), Decimal("120.00")),
            ("revenue:vat", Decimal(0), Decimal("224.00")),
        ]
        settled = _events(session, "payment.settled", request_id)
        assert len(settled) == 1
        assert settled[0].organisation_id == party.org_id
        assert settled[0].payload["receipt_number"] == receipt.number
        assert settled[0].payload["declaration_id"] == request.declaration_id
        assert settled[0].payload["payment_request_id"] == request_id
        _assert_books_balance(session)


def test_a_repeated_callback_is_applied_once(party: Party) -> None:
    request_id = open_request_for(party.org_id)
    provider_reference = start_bank_payment(party.org_id, request_id)
    body, signature = queued_callback(provider_reference)
    deliver_events()
    for _ in range(2):
        with session_scope() as session:
            payment = service.apply_bank_callback(session, body, signature)
            assert payment.status == "confirmed"
    with session_scope() as session:
        receipts = session.scalar(
            select(func.count(Receipt.id)).where(Receipt.payment_request_id == request_id)
        )
        assert receipts == 1
        assert len(_entries(session, request_id)) == 3
        assert len(_events(session, "payment.settled", request_id)) == 1
        _assert_books_balance(session)


def test_asking_twice_to_pay_charges_once(party: Party) -> None:
    request_id = open_request_for(party.org_id)
    first = start_bank_payment(party.org_id, request_id)
    assert start_bank_payment(party.org_id, request_id) == first


def test_a_forged_callback_is_refused_audited_and_changes_nothing(party: Party) -> None:
    request_id = open_request_for(party.org_id)
    provider_reference = start_bank_payment(party.org_id, request_id)
    body, signature = queued_callback(provider_reference)
    altered = body.replace(b'"344.00"', b'"3.44"')
    with session_scope() as session:
        before = service.ledger_balances(session)
        for forged, claimed in ((altered, signature), (body, "sha256=" + "0" * 64), (body, None)):
            with pytest.raises(Forbidden):
                service.apply_bank_callback(session, forged, claimed)
    with session_scope() as session:
        request = _request(session, party, request_id)
        assert request.status == "open"
        assert request.payments[0].status == "pending"
        assert service.ledger_balances(session) == before
        refusals = session.scalars(
            select(audit.AuditEntry).where(audit.AuditEntry.action == "payment.callback_refused")
        ).all()
        assert any("does not match" in r.reason for r in refusals)
        assert any("not signed" in r.reason for r in refusals)


def test_an_amount_mismatch_is_refused_and_audited(party: Party) -> None:
    request_id = open_request_for(party.org_id)
    provider_reference = start_bank_payment(party.org_id, request_id)
    body, _ = queued_callback(provider_reference)
    content = json.loads(body)
    content["amount"] = "34.40"
    short = json.dumps(content).encode()
    with session_scope() as session, pytest.raises(Conflict, match="reports GBP 34.40"):
        service.apply_bank_callback(session, short, sign_callback(short))
    with session_scope() as session:
        request = _request(session, party, request_id)
        payment = request.payments[0]
        assert (request.status, payment.status) == ("open", "pending")
        assert _entries(session, request_id) == []
        actions = [e.action for e in audit.entries_for(session, "payment", payment.id)]
        assert "payment.confirmation_refused" in actions
    deliver_events()  # the genuine callback still settles it
    with session_scope() as session:
        assert _request(session, party, request_id).status == "paid"


def test_a_failed_payment_leaves_the_request_open_to_pay_again(party: Party) -> None:
    request_id = open_request_for(party.org_id)
    with session_scope() as session:
        bank = SimulatedBank(session, outcome="failed")
        declined = service.start_payment(session, party.org_id, request_id, bank)
    deliver_events()
    with session_scope() as session:
        request = _request(session, party, request_id)
        assert request.status == "open"
        assert request.payments[0].status == "failed"
        assert len(_events(session, "payment.failed", declined.id)) == 1
        assert _entries(session, request_id) == []
    start_bank_payment(party.org_id, request_id)
    deliver_events()
    with session_scope() as session:
        request = _request(session, party, request_id)
        assert [p.status for p in request.payments] == ["failed", "confirmed"]
        assert request.status == "paid"


def test_money_for_a_cancelled_request_waits_in_suspense(party: Party) -> None:
    request_id = open_request_for(party.org_id)
    start_bank_payment(party.org_id, request_id)
    with session_scope() as session:
        request = _request(session, party, request_id)
        service.request_payment(
            session,
            organisation_id=party.org_id,
            declaration_id=request.declaration_id,
            declaration_number=request.declaration_number,
            lines=lines_in("GBP", ("customs_duty", "100.00")),
            actor="test",
        )
    deliver_events()
    with session_scope() as session:
        request = _request(session, party, request_id)
        assert request.status == "cancelled"
        assert request.payments[0].status == "confirmed"
        assert request.receipts == []
        assert _entries(session, request_id) == [
            ("bank:clearing", Decimal("344.00"), Decimal(0)),
            ("suspense:unallocated", Decimal(0), Decimal("344.00")),
        ]
        assert len(_events(session, "payment.unallocated", request.payments[0].id)) == 1
        _assert_books_balance(session)


def test_receipts_are_numbered_in_sequence_within_the_year(party: Party) -> None:
    deliver_events()  # callbacks other tests left queued would take numbers in between
    numbers = []
    for _ in range(2):
        request_id = open_request_for(party.org_id)
        start_bank_payment(party.org_id, request_id)
        deliver_events()
        with session_scope() as session:
            numbers.append(_request(session, party, request_id).receipt_number)
    assert numbers[0] is not None and numbers[1] is not None
    year, first = numbers[0].rsplit("-", 1)
    assert numbers[1] == f"{year}-{int(first) + 1:06d}"


# Deferment -------------------------------------------------------------------------------------


def test_deferment_draws_down_the_account_and_books_revenue(party: Party) -> None:
    request_id = open_request_for(party.org_id)
    with session_scope() as session:
        account = _open_account(session, party, "1000")
        outcome = service.settle_by_deferment(session, request_id, None, "user:1")
        assert outcome.ok and outcome.account_number == account.number
        assert outcome.payment_request.status == "secured"
        assert outcome.payment_request.settled_by == f"deferment:{account.number}"
        assert account.drawn_amount == Decimal("344.00")
        assert account.available == Decimal("656.00")
        assert _entries(session, request_id) == [
            (f"deferment:{account.number}", Decimal("344.00"), Decimal(0)),
            ("revenue:customs_duty", Decimal(0), Decimal("120.00")),
            ("revenue:vat", Decimal(0), Decimal("224.00")),
        ]
        secured = _events(session, "payment.secured", request_id)
        assert secured[0].payload["account_number"] == account.number
        assert secured[0].organisation_id == party.org_id
        _assert_books_balance(session)


def test_deferment_refuses_when_short_and_changes_nothing(party: Party) -> None:
    request_id = open_request_for(party.org_id, lines=(("customs_duty", "500"),))
    with session_scope() as session:
        account = _open_account(session, party, "120")
    with session_scope() as session:
        outcome = service.settle_by_deferment(session, request_id, None, "user:1")
        assert not outcome.ok
        assert outcome.reason == "available GBP 120.00 is less than GBP 500.00 due"
    with session_scope() as session:
        request = _request(session, party, request_id)
        assert request.status == "open"
        refreshed = session.get(DeferredAccount, account.id)
        assert refreshed is not None and refreshed.drawn_amount == 0
        assert _entries(session, request_id) == []
        assert _events(session, "payment.secured", request_id) == []
        refusal = audit.entries_for(session, "payment_request", request_id)[-1]
        assert refusal.action == "payment.deferment_refused"
        assert "less than GBP 500.00" in refusal.reason


@pytest.mark.parametrize(
    ("currency", "valid_days", "named_other", "reason"),
    [
        ("EUR", 30, False, "no active deferred account in GBP"),
        ("GBP", -1, False, "no active deferred account in GBP"),
        ("EUR", 30, True, "is in EUR, not GBP"),
        ("GBP", 30, True, "has no deferred account"),
    ],
)
def test_deferment_needs_a_valid_account_of_the_owner_in_the_currency(
    party: Party,
    other_party: Party,
    currency: str,
    valid_days: int,
    named_other: bool,
    reason: str,
) -> None:
    request_id = open_request_for(party.org_id)
    with session_scope() as session:
        holder = other_party if reason == "has no deferred account" else party
        account = _open_account(session, holder, "1000", currency)
        account.valid_until = date.today() + timedelta(days=valid_days)
        named = account.number if named_other else None
        outcome = service.settle_by_deferment(session, request_id, named, "user:1")
        assert not outcome.ok
        assert reason in outcome.reason
        assert _request(session, party, request_id).status == "open"


def test_deferment_waits_while_a_bank_payment_is_pending(party: Party) -> None:
    request_id = open_request_for(party.org_id)
    start_bank_payment(party.org_id, request_id)
    with session_scope() as session:
        _open_account(session, party, "1000")
        outcome = service.settle_by_deferment(session, request_id, None, "user:1")
        assert not outcome.ok and "in progress" in outcome.reason


def test_a_deferred_account_number_is_unique(party: Party) -> None:
    with session_scope() as session:
        _open_account(session, party, "77")
        with pytest.raises(Conflict):
            _open_account(session, party, "77")


# The ledger ------------------------------------------------------------------------------------


def test_collected_revenue_is_reported_per_tax_type(party: Party) -> None:
    deliver_events()  # callbacks other tests left queued
    with session_scope() as session:
        before = service.collected_by_tax_type(session, "GBP")
    paid = open_request_for(party.org_id)
    start_bank_payment(party.org_id, paid)
    deliver_events()
    deferred = open_request_for(party.org_id, lines=(("excise", "10.50"), ("vat", "2.10")))
    with session_scope() as session:
        _open_account(session, party, "50")
        assert service.settle_by_deferment(session, deferred, None, "user:1").ok
    with session_scope() as session:
        after = service.collected_by_tax_type(session, "GBP")
        _assert_books_balance(session)
    growth = {tax: after[tax] - before.get(tax, Decimal(0)) for tax in after}
    growth = {tax: amount for tax, amount in growth.items() if amount}  # other tests' fees
    assert growth == {
        "customs_duty": Decimal("120.00"),
        "excise": Decimal("10.50"),
        "vat": Decimal("226.10"),
    }


def test_an_unbalanced_transaction_is_never_posted() -> None:
    with session_scope() as session, pytest.raises(service.UnbalancedTransaction):
        ledger.post(
            session,
            currency="GBP",
            legs=[
                ("bank:clearing", Decimal("10"), Decimal(0)),
                ("revenue:vat", Decimal(0), Decimal("9")),
            ],
            payment_request_id=None,
            memo="wrong",
        )
