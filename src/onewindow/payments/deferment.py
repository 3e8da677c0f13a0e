"""Deferment: deferred-payment accounts backed by a guarantee, and settling requests on them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.aeo import service as aeo
from onewindow.db import utcnow
from onewindow.errors import Conflict, FieldError, Forbidden, InvalidInput
from onewindow.events import record_event
from onewindow.money import Money, amount_text, minor_units
from onewindow.payments.ledger import deferment_account, post_settlement
from onewindow.payments.models import (
    DeferredAccount,
    PaymentRequest,
    PaymentRequestStatus,
    PaymentStatus,
)
from onewindow.payments.requests import lock_request, subject_of
from onewindow.security import Principal, Role

_ZERO = Decimal(0)


@dataclass(frozen=True)
class SettlementOutcome:
    """The result of settling by deferment: ``ok``, or why not (and then nothing changed)."""

    ok: bool
    payment_request: PaymentRequest
    reason: str = ""
    account_number: str | None = None


def cover_available(account: DeferredAccount, share: Decimal = Decimal(1)) -> Money:
    """What may still be charged: the cover the guarantee gives, less what is drawn.

    An AEO whose tier reduces the guarantee (``share`` < 1, from the AEO domain) gets a cover of
    the guarantee divided by the share: a 30% share makes a guarantee of 300 cover 1000.
    """
    cover = account.guarantee_amount / share if share > 0 else account.guarantee_amount
    return Money(cover - account.drawn_amount, account.currency).rounded()


def _why_unusable(
    account: DeferredAccount, due: Money, today: date, share: Decimal = Decimal(1)
) -> str | None:
    if not account.active:
        return f"deferred account {account.number} is closed"
    if account.valid_until < today:
        return f"the guarantee of deferred account {account.number} ended on {account.valid_until}"
    if account.currency != due.currency:
        return f"deferred account {account.number} is in {account.currency}, not {due.currency}"
    available = cover_available(account, share)
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
    ``payment.secured`` is recorded. An AEO whose tier reduces the guarantee may draw beyond it
    (:func:`cover_available`), and the audit entry says so. Otherwise the outcome says why and
    nothing changes but the audit log. A request that is not open is a :class:`Conflict`.
    """
    request = lock_request(session, payment_request_id)
    if request.status != PaymentRequestStatus.OPEN:
        raise Conflict(f"{request.reference} is {request.status}: nothing is due.")
    due = Money(request.total, request.currency).rounded()
    if any(p.status == PaymentStatus.PENDING for p in request.payments):
        reason = f"a bank payment of {request.reference} is in progress; wait for its outcome"
        return _refuse_deferment(session, request, reason, actor, account_number)
    query = select(DeferredAccount).where(
        DeferredAccount.organisation_id == request.organisation_id
    )
    if account_number is not None:
        query = query.where(DeferredAccount.number == account_number)
    # Lock order (see requests.lock_request): deferred accounts after the request, in number order.
    accounts = list(
        session.scalars(
            query.order_by(DeferredAccount.number)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    today = utcnow().date()
    share, benefit = aeo.guarantee_share(session, request.organisation_id, today)
    chosen: DeferredAccount | None = None
    if account_number is not None:
        if not accounts:
            reason = f"your organisation has no deferred account {account_number}"
            return _refuse_deferment(session, request, reason, actor, account_number)
        why = _why_unusable(accounts[0], due, today, share)
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
        chosen = next((a for a in usable if _why_unusable(a, due, today, share) is None), None)
        if chosen is None:
            best = max(usable, key=lambda a: a.available)
            why = _why_unusable(best, due, today, share) or ""
            return _refuse_deferment(session, request, why, actor, best.number)
    chosen.drawn_amount = chosen.drawn_amount + due.amount
    request.status = PaymentRequestStatus.SECURED
    request.settled_at = utcnow()
    request.settled_by = deferment_account(chosen.number)
    transaction_id = post_settlement(session, request, deferment_account(chosen.number))
    audit.record(
        session,
        actor=actor,
        action="payment.secured",
        subject_type="payment_request",
        subject_id=request.id,
        organisation_id=request.organisation_id,
        reason="; ".join(
            filter(None, [f"charged {due} to deferred account {chosen.number}", benefit])
        ),
        data={
            "reference": request.reference,
            "account": chosen.number,
            "available_after": amount_text(cover_available(chosen, share)),
            "guarantee_share": str(share),
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
            **subject_of(request),
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
    guarantee = Money(guarantee_amount, currency).rounded()
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


def require_officer(principal: Principal) -> None:
    """Refuse with 403 unless the principal is a customs office or a single window administrator."""
    if not principal.has_role(Role.CUSTOMS, Role.ADMINISTRATOR):
        raise Forbidden("Only customs officers and administrators manage deferred accounts.")


def list_deferred_accounts(session: Session, principal: Principal) -> Sequence[DeferredAccount]:
    """The principal's organisation's deferred accounts (all for customs and administrators)."""
    query = select(DeferredAccount).order_by(DeferredAccount.number)
    if not principal.has_role(Role.CUSTOMS, Role.ADMINISTRATOR):
        query = query.where(DeferredAccount.organisation_id == principal.organisation_id)
    return session.scalars(query).all()
