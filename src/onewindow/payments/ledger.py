"""The ledger: double entry, debit-normal, one balanced transaction per settlement.

A balance is debits less credits, so revenue accounts carry negative balances and the balances of
one currency always sum to zero. Accounts:

* ``bank:clearing``: money received from the bank, waiting to be swept to the treasury;
* ``deferment:<number>``: duties charged to a deferred account, owed by its holder;
* ``revenue:<tax type>``: duties and taxes collected (``revenue:customs_duty``, ``revenue:vat``);
* ``suspense:unallocated``: money received for a request no longer open, to refund or reallocate.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onewindow.db import utcnow
from onewindow.money import Money
from onewindow.payments.models import LedgerEntry, PaymentRequest

BANK_CLEARING = "bank:clearing"
SUSPENSE = "suspense:unallocated"
_ZERO = Decimal(0)


def revenue_account(tax_type: str) -> str:
    """The ledger account that collects one tax type.

    >>> revenue_account("vat")
    'revenue:vat'
    """
    return f"revenue:{tax_type}"


def deferment_account(number: str) -> str:
    """The ledger account of a deferred account: what its holder owes.

    >>> deferment_account("DAN-1234567")
    'deferment:DAN-1234567'
    """
    return f"deferment:{number}"


class UnbalancedTransaction(RuntimeError):
    """A ledger transaction whose debits differ from its credits: a bug, never posted."""


def _tax_lines(lines: Sequence[dict[str, str]], currency: str) -> list[tuple[str, Money]]:
    return [(line["tax_type"], Money(Decimal(line["amount"]), currency)) for line in lines]


def post(
    session: Session,
    *,
    currency: str,
    legs: Sequence[tuple[str, Decimal, Decimal]],
    payment_request_id: int | None,
    memo: str,
) -> str:
    """Post one balanced transaction of (account, debit, credit) legs; return its id."""
    debits = sum((debit for _, debit, _ in legs), _ZERO)
    credits = sum((credit for _, _, credit in legs), _ZERO)
    if debits != credits or debits <= 0:
        raise UnbalancedTransaction(f"debits {debits} and credits {credits} do not balance: {memo}")
    for account, debit, credit in legs:
        if debit < 0 or credit < 0 or (debit and credit):
            raise UnbalancedTransaction(f"leg {account} must be a debit or a credit: {memo}")
    transaction_id = str(uuid.uuid4())
    now = utcnow()
    for account, debit, credit in legs:
        session.add(
            LedgerEntry(
                transaction_id=transaction_id,
                account=account,
                debit=debit,
                credit=credit,
                currency=currency,
                payment_request_id=payment_request_id,
                recorded_at=now,
                memo=memo[:200],
            )
        )
    session.flush()
    return transaction_id


def post_settlement(session: Session, request: PaymentRequest, debit_account: str) -> str:
    """Debit where the money comes from; credit each tax's revenue account with its line."""
    lines = _tax_lines(request.lines, request.currency)
    legs = [(debit_account, request.total, _ZERO)]
    legs += [(revenue_account(tax), _ZERO, amount.amount) for tax, amount in lines]
    return post(
        session,
        currency=request.currency,
        legs=legs,
        payment_request_id=request.id,
        memo=f"{request.reference} "
        + (request.description or f"declaration {request.declaration_number}"),
    )


def ledger_balances(session: Session) -> dict[str, dict[str, Decimal]]:
    """Every account's balance per currency: debits less credits (revenue is negative)."""
    rows = session.execute(
        select(
            LedgerEntry.account,
            LedgerEntry.currency,
            func.sum(LedgerEntry.debit),
            func.sum(LedgerEntry.credit),
        )
        .group_by(LedgerEntry.account, LedgerEntry.currency)
        .order_by(LedgerEntry.account, LedgerEntry.currency)
    )
    balances: dict[str, dict[str, Decimal]] = {}
    for account, currency, debit, credit in rows:
        balances.setdefault(account, {})[currency] = (
            Money(Decimal(debit or 0) - Decimal(credit or 0), currency).rounded().amount
        )
    return balances


def collected_by_tax_type(session: Session, currency: str) -> dict[str, Decimal]:
    """Duties and taxes collected or charged to deferment, per tax type, in one currency."""
    rows = session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.credit), func.sum(LedgerEntry.debit))
        .where(LedgerEntry.account.startswith("revenue:"), LedgerEntry.currency == currency)
        .group_by(LedgerEntry.account)
        .order_by(LedgerEntry.account)
    )
    return {
        account.removeprefix("revenue:"): Money(
            Decimal(credit or 0) - Decimal(debit or 0), currency
        )
        .rounded()
        .amount
        for account, credit, debit in rows
    }


def transactions_balance(session: Session) -> bool:
    """Whether every ledger transaction's debits equal its credits (a check for operators)."""
    unbalanced = session.scalar(
        select(func.count()).select_from(
            select(LedgerEntry.transaction_id)
            .group_by(LedgerEntry.transaction_id)
            # A tolerance far below the minor unit: SQLite sums Numeric columns as floats.
            .having(
                func.abs(func.sum(LedgerEntry.debit) - func.sum(LedgerEntry.credit))
                > Decimal("0.00005")
            )
            .subquery()
        )
    )
    return not unbalanced
