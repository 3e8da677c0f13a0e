"""The payments domain's door: payment requests, bank payments, deferment, the ledger, receipts.

Services flush; the caller's boundary commits. Every decision is in the audit log and every state
change writes its outbox event in the same transaction. Money is :class:`Money` (a ``Decimal`` and
its currency), rounded half up to the currency's minor unit before it is owed.

The ledger is double entry and debit-normal: a balance is debits less credits, so revenue accounts
carry negative balances and the balances of one currency always sum to zero. Accounts:

* ``bank:clearing``: money received from the bank, waiting to be swept to the treasury;
* ``deferment:<number>``: duties charged to a deferred account, owed by its holder;
* ``revenue:<tax type>``: duties and taxes collected (``revenue:customs_duty``, ``revenue:vat``);
* ``suspense:unallocated``: money received for a request no longer open, to refund or reallocate.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NoReturn

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import utcnow
from onewindow.errors import Conflict, DomainError, FieldError, Forbidden, InvalidInput, NotFound
from onewindow.events import Event, record_event, subscribe
from onewindow.money import Money, amount_text, minor_units
from onewindow.payments.gateway import (
    BANK_CALLBACK_TOPIC,
    PaymentGateway,
    signature_matches,
)
from onewindow.payments.models import (
    DeferredAccount,
    LedgerEntry,
    NumberSeries,
    Payment,
    PaymentRequest,
    PaymentRequestStatus,
    PaymentStatus,
    Receipt,
)
from onewindow.security import Principal

log = logging.getLogger(__name__)

BANK_CLEARING = "bank:clearing"
SUSPENSE = "suspense:unallocated"
_TAX_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
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


class RefusalOnRecord(DomainError):
    """A refusal whose audit entry must outlive it: the boundary commits, then answers."""

    kept_on_record = True


class CallbackRefused(RefusalOnRecord, Forbidden):
    """A bank callback whose signature does not match its body."""


class CallbackMalformed(RefusalOnRecord, InvalidInput):
    """A correctly signed bank callback that does not say what a callback must say."""


class PaymentMismatch(RefusalOnRecord, Conflict):
    """The bank reports another amount, currency or outcome than the payment recorded."""


class DefermentRefused(RefusalOnRecord, Conflict):
    """A deferred account cannot carry a payment request (the reason says why)."""


class UnbalancedTransaction(RuntimeError):
    """A ledger transaction whose debits differ from its credits: a bug, never posted."""


@dataclass(frozen=True)
class SettlementOutcome:
    """The result of settling by deferment: ``ok``, or why not (and then nothing changed)."""

    ok: bool
    payment_request: PaymentRequest
    reason: str = ""
    account_number: str | None = None


def _money(amount: Decimal, currency: str) -> Money:
    return Money(amount, currency).rounded()


def _tax_lines(lines: Sequence[dict[str, str]], currency: str) -> list[tuple[str, Money]]:
    return [(line["tax_type"], Money(Decimal(line["amount"]), currency)) for line in lines]


def _next_number(session: Session, series: str) -> int:
    """The next number of a series; the row lock makes concurrent issues wait, not collide."""
    # Lock order (see audit._chain_pending): after the payment and its request, before the
    # audit head; a transaction holding a series never goes back for a request or declaration.
    row = session.scalars(
        select(NumberSeries).where(NumberSeries.series == series).with_for_update()
    ).one_or_none()
    if row is None:
        row = NumberSeries(series=series, last=0)
        session.add(row)
    row.last += 1
    session.flush()
    return row.last


def _lock_request(session: Session, payment_request_id: int) -> PaymentRequest:
    # Lock order: declaration -> payment -> payment request -> deferred account -> number series
    # -> audit head (at commit); every path here keeps it.
    request = session.scalars(
        select(PaymentRequest)
        .where(PaymentRequest.id == payment_request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if request is None:
        raise NotFound(f"No payment request {payment_request_id}.")
    return request


def _post(
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


def _post_settlement(session: Session, request: PaymentRequest, debit_account: str) -> str:
    """Debit where the money comes from; credit each tax's revenue account with its line."""
    lines = _tax_lines(request.lines, request.currency)
    legs = [(debit_account, request.total, _ZERO)]
    legs += [(revenue_account(tax), _ZERO, amount.amount) for tax, amount in lines]
    return _post(
        session,
        currency=request.currency,
        legs=legs,
        payment_request_id=request.id,
        memo=f"{request.reference} declaration {request.declaration_number}",
    )


# Payment requests ------------------------------------------------------------------------------


def _normalise_lines(lines: Sequence[tuple[str, Money]]) -> tuple[str, list[dict[str, str]], Money]:
    """One line per tax type, each input line rounded to the minor unit before it is summed."""
    errors: list[FieldError] = []
    if not lines:
        raise InvalidInput("Nothing to request.", [FieldError("/lines", "give at least one line")])
    currencies = sorted({money.currency for _, money in lines})
    if len(currencies) > 1:
        errors.append(
            FieldError("/lines", f"use one currency per request, not {', '.join(currencies)}")
        )
    for i, (tax_type, money) in enumerate(lines):
        if not _TAX_TYPE.fullmatch(tax_type):
            errors.append(
                FieldError(f"/lines/{i}/tax_type", "use a lower-case tax type such as vat")
            )
        if money.amount < 0:
            errors.append(FieldError(f"/lines/{i}/amount", "must not be negative"))
        try:
            minor_units(money.currency)
        except ValueError as exc:
            errors.append(FieldError(f"/lines/{i}/currency", str(exc)))
    if errors:
        raise InvalidInput("The payment request cannot be opened.", errors)
    currency = currencies[0]
    by_tax: dict[str, Money] = {}
    for tax_type, money in lines:
        by_tax[tax_type] = by_tax.get(tax_type, Money.zero(currency)) + money.rounded()
    total = sum(by_tax.values(), Money.zero(currency))
    if total.amount == 0:
        raise InvalidInput("Nothing is due: every line is zero.")
    normal = [
        {"tax_type": tax_type, "amount": amount_text(amount)}
        for tax_type, amount in by_tax.items()
        if amount.amount != 0
    ]
    return currency, normal, total


def request_payment(
    session: Session,
    *,
    organisation_id: int,
    declaration_id: int,
    declaration_number: str,
    lines: Sequence[tuple[str, Money]],
    actor: str,
) -> PaymentRequest:
    """Ask an organisation to pay the duties and taxes assessed on a declaration.

    Idempotent per declaration: asking again for the same amounts returns the request already
    open (or already settled). Other amounts are an amended assessment: the open request is
    cancelled and a new one opened. Once settled, a declaration's request is not replaced
    (:class:`Conflict`). Lines of the same tax type are summed; each is rounded to the currency's
    minor unit first; zero lines are left out.
    """
    currency, normal, total = _normalise_lines(lines)
    current = session.scalars(
        select(PaymentRequest)
        .where(PaymentRequest.declaration_id == declaration_id)
        .where(PaymentRequest.status != PaymentRequestStatus.CANCELLED)
        .order_by(PaymentRequest.id.desc())
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if current is not None:
        same = (
            current.organisation_id == organisation_id
            and current.currency == currency
            and current.lines == normal
        )
        if same:
            return current
        if current.status != PaymentRequestStatus.OPEN:
            raise Conflict(
                f"Declaration {declaration_number} was settled by {current.reference} "
                f"({_money(current.total, currency)}); an amended amount after settlement needs a "
                "supplementary demand or a refund."
            )
    now = utcnow()
    request = PaymentRequest(
        organisation_id=organisation_id,
        declaration_id=declaration_id,
        declaration_number=declaration_number,
        # Not from a locked counter: that lock would serialise every lodging until it commits.
        reference=f"PR-{now:%y%m%d}-{secrets.token_hex(4).upper()}",
        currency=currency,
        total=total.amount,
        lines=normal,
        status=PaymentRequestStatus.OPEN,
        created_at=now,
    )
    if current is not None:
        _cancel(session, current, actor, superseded_by=request.reference, total=total)
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="payment.requested",
        subject_type="payment_request",
        subject_id=request.id,
        organisation_id=organisation_id,
        data={
            "reference": request.reference,
            "declaration_number": declaration_number,
            "total": str(total),
            "lines": normal,
        },
    )
    record_event(
        session,
        "payment.requested",
        "payment_request",
        request.id,
        {
            "declaration_id": declaration_id,
            "declaration_number": declaration_number,
            "payment_request_id": request.id,
            "reference": request.reference,
            "amount": amount_text(total),
            "currency": currency,
        },
        organisation_id=organisation_id,
    )
    return request


def _cancel(
    session: Session,
    request: PaymentRequest,
    actor: str,
    *,
    superseded_by: str,
    total: Money | None = None,
    reason: str = "",
) -> None:
    request.status = PaymentRequestStatus.CANCELLED
    # Flushed before the new request is added: the open request per declaration is unique.
    session.flush()
    reason = reason or f"amended assessment: superseded by {superseded_by} for {total}"
    audit.record(
        session,
        actor=actor,
        action="payment.request_cancelled",
        subject_type="payment_request",
        subject_id=request.id,
        organisation_id=request.organisation_id,
        reason=reason,
        data={"reference": request.reference, "superseded_by": superseded_by},
    )
    record_event(
        session,
        "payment.request_cancelled",
        "payment_request",
        request.id,
        {
            "declaration_id": request.declaration_id,
            "payment_request_id": request.id,
            "reference": request.reference,
            "superseded_by": superseded_by,
            "reason": reason,
        },
        organisation_id=request.organisation_id,
    )


def withdraw_payment_request(
    session: Session, declaration_id: int, *, actor: str, reason: str
) -> PaymentRequest | None:
    """Cancel the open request of a declaration that was cancelled or invalidated (nothing is
    owed any more); a settled request is left as it is. Returns the cancelled request, if any."""
    request = session.scalars(
        select(PaymentRequest)
        .where(PaymentRequest.declaration_id == declaration_id)
        .where(PaymentRequest.status == PaymentRequestStatus.OPEN)
        .with_for_update()
    ).one_or_none()
    if request is None:
        return None
    _cancel(session, request, actor, superseded_by="", reason=reason)
    return request


# Deferment -------------------------------------------------------------------------------------


def _why_unusable(account: DeferredAccount, due: Money, today: date) -> str | None:
    if not account.active:
        return f"deferred account {account.number} is closed"
    if account.valid_until < today:
        return f"the guarantee of deferred account {account.number} ended on {account.valid_until}"
    if account.currency != due.currency:
        return f"deferred account {account.number} is in {account.currency}, not {due.currency}"
    available = _money(account.available, account.currency)
    if available < due:
        return f"available {available} is less than {due} due"
    return None


def _refuse_deferment(
    session: Session, request: PaymentRequest, reason: str, actor: str, number: str | None
) -> SettlementOutcome:
    audit.record(
        session,
        actor=actor,
        action="payment.deferment_refused",
        subject_type="payment_request",
        subject_id=request.id,
        organisation_id=request.organisation_id,
        reason=reason,
        data={"reference": request.reference, "account": number},
    )
    return SettlementOutcome(False, request, reason, number)


def settle_by_deferment(
    session: Session, payment_request_id: int, account_number: str | None, actor: str
) -> SettlementOutcome:
    """Charge an open request to the owing organisation's deferred account.

    Uses the account named, or else the first active, valid account in the request's currency
    with enough available. On success the account is drawn down, the ledger debits
    ``deferment:<number>`` and credits each tax's revenue, the request is ``secured`` and
    ``payment.secured`` is recorded. Otherwise the outcome says why and nothing changes but the
    audit log. A request that is not open is a :class:`Conflict`.
    """
    request = _lock_request(session, payment_request_id)
    if request.status != PaymentRequestStatus.OPEN:
        raise Conflict(f"{request.reference} is {request.status}: nothing is due.")
    due = _money(request.total, request.currency)
    if any(p.status == PaymentStatus.PENDING for p in request.payments):
        reason = f"a bank payment of {request.reference} is in progress; wait for its outcome"
        return _refuse_deferment(session, request, reason, actor, account_number)
    query = select(DeferredAccount).where(
        DeferredAccount.organisation_id == request.organisation_id
    )
    if account_number is not None:
        query = query.where(DeferredAccount.number == account_number)
    accounts = list(
        session.scalars(
            query.order_by(DeferredAccount.number)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    today = utcnow().date()
    chosen: DeferredAccount | None = None
    if account_number is not None:
        if not accounts:
            reason = f"your organisation has no deferred account {account_number}"
            return _refuse_deferment(session, request, reason, actor, account_number)
        why = _why_unusable(accounts[0], due, today)
        if why is not None:
            return _refuse_deferment(session, request, why, actor, account_number)
        chosen = accounts[0]
    else:
        usable = [
            a
            for a in accounts
            if a.active and a.currency == due.currency and a.valid_until >= today
        ]
        if not usable:
            reason = f"your organisation has no active deferred account in {due.currency}"
            return _refuse_deferment(session, request, reason, actor, None)
        chosen = next((a for a in usable if _why_unusable(a, due, today) is None), None)
        if chosen is None:
            best = max(usable, key=lambda a: a.available)
            why = _why_unusable(best, due, today) or ""
            return _refuse_deferment(session, request, why, actor, best.number)
    chosen.drawn_amount = chosen.drawn_amount + due.amount
    request.status = PaymentRequestStatus.SECURED
    request.settled_at = utcnow()
    request.settled_by = deferment_account(chosen.number)
    transaction_id = _post_settlement(session, request, deferment_account(chosen.number))
    audit.record(
        session,
        actor=actor,
        action="payment.secured",
        subject_type="payment_request",
        subject_id=request.id,
        organisation_id=request.organisation_id,
        reason=f"charged {due} to deferred account {chosen.number}",
        data={
            "reference": request.reference,
            "account": chosen.number,
            "available_after": amount_text(_money(chosen.available, chosen.currency)),
            "ledger_transaction": transaction_id,
        },
    )
    record_event(
        session,
        "payment.secured",
        "payment_request",
        request.id,
        {
            "declaration_id": request.declaration_id,
            "declaration_number": request.declaration_number,
            "payment_request_id": request.id,
            "account_number": chosen.number,
            "amount": amount_text(due),
            "currency": due.currency,
        },
        organisation_id=request.organisation_id,
    )
    return SettlementOutcome(True, request, "", chosen.number)


def open_deferred_account(
    session: Session,
    *,
    organisation_id: int,
    number: str,
    currency: str,
    guarantee_amount: Decimal,
    guarantee_reference: str,
    valid_until: date,
    actor: str,
) -> DeferredAccount:
    """Open a deferred-payment account for an organisation, backed by a guarantee.

    The caller checks that the actor is a customs officer or an administrator
    (:func:`require_officer`). The guarantee is rounded to the currency's minor unit.
    """
    errors: list[FieldError] = []
    number = number.strip().upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]{2,34}", number):
        errors.append(FieldError("/number", "use 3 to 35 letters, digits or hyphens"))
    currency = currency.strip().upper()
    try:
        minor_units(currency)
    except ValueError as exc:
        errors.append(FieldError("/currency", str(exc)))
    if guarantee_amount <= 0:
        errors.append(FieldError("/guarantee_amount", "must be more than zero"))
    if not guarantee_reference.strip():
        errors.append(FieldError("/guarantee_reference", "must not be empty"))
    if valid_until < utcnow().date():
        errors.append(FieldError("/valid_until", "must not be in the past"))
    if errors:
        raise InvalidInput("The deferred account cannot be opened.", errors)
    if session.scalar(select(DeferredAccount.id).where(DeferredAccount.number == number)):
        raise Conflict(f"Deferred account {number} already exists.")
    guarantee = _money(guarantee_amount, currency)
    account = DeferredAccount(
        organisation_id=organisation_id,
        number=number,
        currency=currency,
        guarantee_amount=guarantee.amount,
        drawn_amount=_ZERO,
        active=True,
        guarantee_reference=guarantee_reference.strip(),
        valid_until=valid_until,
        opened_at=utcnow(),
        opened_by=actor,
    )
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="payment.deferred_account_opened",
        subject_type="deferred_account",
        subject_id=account.id,
        organisation_id=organisation_id,
        data={
            "number": number,
            "guarantee": str(guarantee),
            "guarantee_reference": account.guarantee_reference,
            "valid_until": valid_until.isoformat(),
        },
    )
    record_event(
        session,
        "payment.deferred_account_opened",
        "deferred_account",
        account.id,
        {
            "number": number,
            "currency": currency,
            "guarantee_amount": amount_text(guarantee),
            "valid_until": valid_until.isoformat(),
        },
        organisation_id=organisation_id,
    )
    return account


# Paying: the one door for the API, the portal and the demo -------------------------------------


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


# Bank payments ---------------------------------------------------------------------------------


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
    request = _lock_request(session, payment_request_id)
    if request.organisation_id != principal_org_id:
        raise NotFound(f"No payment request {payment_request_id}.")
    if request.status != PaymentRequestStatus.OPEN:
        raise Conflict(f"{request.reference} is {request.status}: nothing is due.")
    pending = [p for p in request.payments if p.status == PaymentStatus.PENDING]
    if pending:
        return pending[0]
    due = _money(request.total, request.currency)
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


def _issue_receipt(session: Session, request: PaymentRequest, payment: Payment) -> Receipt:
    issued_at = utcnow()
    number = _next_number(session, f"RC-{issued_at.year}")
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
    payment = session.scalars(
        select(Payment)
        .where(Payment.provider_reference == provider_reference)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if payment is None:
        raise NotFound(f"No payment with provider reference {provider_reference}.")
    expected = _money(payment.amount, payment.currency)
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
    request = _lock_request(session, payment.payment_request_id)
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
    transaction_id = _post_settlement(session, request, BANK_CLEARING)
    receipt = _issue_receipt(session, request, payment)
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
        },
        organisation_id=request.organisation_id,
    )
    return payment


def _hold_in_suspense(
    session: Session, request: PaymentRequest, payment: Payment, received: Money
) -> None:
    """Book money that arrived for a request no longer open, so that it can be refunded."""
    transaction_id = _post(
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


# Registered on import of the domain's door, so every process that can pay can be called back.
subscribe("payments.bank-callback", BANK_CALLBACK_TOPIC, _deliver_bank_callback)


# Reads -----------------------------------------------------------------------------------------


def _sees_all(principal: Principal) -> bool:
    return principal.has_role("customs-office")


def require_officer(principal: Principal) -> None:
    """Refuse with 403 unless the principal is a customs office or a single window administrator."""
    if not principal.has_role("customs-office", "administrator"):
        raise Forbidden("Only customs officers and administrators manage deferred accounts.")


def get_payment_request(
    session: Session, principal: Principal, payment_request_id: int
) -> PaymentRequest:
    """A payment request of the principal's organisation (any, for a customs office)."""
    request = session.get(PaymentRequest, payment_request_id)
    if request is None or not (
        _sees_all(principal) or request.organisation_id == principal.organisation_id
    ):
        raise NotFound(f"No payment request {payment_request_id}.")
    return request


def list_payment_requests(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    declaration_id: int | None = None,
    limit: int = 100,
) -> Sequence[PaymentRequest]:
    """The principal's organisation's payment requests (all for a customs office), newest first."""
    query = select(PaymentRequest)
    if not _sees_all(principal):
        query = query.where(PaymentRequest.organisation_id == principal.organisation_id)
    if status is not None:
        query = query.where(PaymentRequest.status == status)
    if declaration_id is not None:
        query = query.where(PaymentRequest.declaration_id == declaration_id)
    return session.scalars(query.order_by(PaymentRequest.id.desc()).limit(limit)).all()


def get_receipt(session: Session, principal: Principal, number: str) -> Receipt:
    """A receipt issued to the principal's organisation (any, for a customs office)."""
    receipt = session.scalar(select(Receipt).where(Receipt.number == number.strip().upper()))
    if receipt is None or not (
        _sees_all(principal) or receipt.payment_request.organisation_id == principal.organisation_id
    ):
        raise NotFound(f"No receipt {number}.")
    return receipt


def list_deferred_accounts(session: Session, principal: Principal) -> Sequence[DeferredAccount]:
    """The principal's organisation's deferred accounts (all for customs and administrators)."""
    query = select(DeferredAccount).order_by(DeferredAccount.number)
    if not principal.has_role("customs-office", "administrator"):
        query = query.where(DeferredAccount.organisation_id == principal.organisation_id)
    return session.scalars(query).all()


# The ledger ------------------------------------------------------------------------------------


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
        balances.setdefault(account, {})[currency] = _money(
            Decimal(debit or 0) - Decimal(credit or 0), currency
        ).amount
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
        account.removeprefix("revenue:"): _money(
            Decimal(credit or 0) - Decimal(debit or 0), currency
        ).amount
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
