"""Payment requests: what an organisation owes on a declaration, opened, amended, withdrawn; and
the fees other domains charge for their own subjects (a permit application's fee)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import utcnow
from onewindow.errors import Conflict, FieldError, InvalidInput, NotFound
from onewindow.events import record_event
from onewindow.money import Money, amount_text, minor_units
from onewindow.payments.models import PaymentRequest, PaymentRequestStatus
from onewindow.security import Principal, Role

_TAX_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def lock_request(session: Session, payment_request_id: int) -> PaymentRequest:
    # Lock order: declaration -> payment -> payment request -> deferred account -> number series
    # -> audit head (at commit); every path of the payments domain keeps it.
    request = session.scalars(
        select(PaymentRequest)
        .where(PaymentRequest.id == payment_request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if request is None:
        raise NotFound(f"No payment request {payment_request_id}.")
    return request


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
            settled = Money(current.total, currency).rounded()
            raise Conflict(
                f"Declaration {declaration_number} was settled by {current.reference} "
                f"({settled}); an amended amount after settlement needs a "
                "supplementary demand or a refund."
            )
    request = _open(
        session,
        actor,
        PaymentRequest(
            organisation_id=organisation_id,
            declaration_id=declaration_id,
            declaration_number=declaration_number,
        ),
        currency,
        normal,
        total,
        before=current,
        told={"declaration_number": declaration_number},
    )
    return request


def _open(
    session: Session,
    actor: str,
    request: PaymentRequest,
    currency: str,
    lines: list[dict[str, str]],
    total: Money,
    *,
    told: dict[str, object],
    before: PaymentRequest | None = None,
) -> PaymentRequest:
    """Open a payment request (a declaration's duties or another domain's fee), superseding
    ``before``; audited and announced, ``told`` saying what it is for."""
    now = utcnow()
    # Not from a locked counter: that lock would serialise every lodging until it commits.
    request.reference = f"PR-{now:%y%m%d}-{secrets.token_hex(4).upper()}"
    request.currency, request.total, request.lines = currency, total.amount, lines
    request.status, request.created_at = PaymentRequestStatus.OPEN, now
    if before is not None:
        _cancel(session, before, actor, superseded_by=request.reference, total=total)
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="payment.requested",
        subject_type="payment_request",
        subject_id=request.id,
        organisation_id=request.organisation_id,
        data={
            "reference": request.reference,
            **told,
            "total": str(total),
            "lines": lines,
            **subject_of(request),
        },
    )
    record_event(
        session,
        "payment.requested",
        "payment_request",
        request.id,
        {
            "declaration_id": request.declaration_id,
            **told,
            "payment_request_id": request.id,
            "reference": request.reference,
            "amount": amount_text(total),
            "currency": currency,
            **subject_of(request),
        },
        organisation_id=request.organisation_id,
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


def request_fee(
    session: Session,
    *,
    organisation_id: int,
    subject_type: str,
    subject_id: int,
    description: str,
    fee_type: str,
    amount: Money,
    actor: str,
) -> PaymentRequest:
    """Ask an organisation to pay a fee for a subject of another domain (``permit_application``
    and its id); paid through the same door, gateway and receipts as duties.

    Idempotent per subject: asking again returns the request open or settled for it; a
    withdrawn one is asked anew. The payments events of the request carry the subject, so the
    domain that asked learns when it is paid.
    """
    currency, normal, total = _normalise_lines([(fee_type, amount)])
    current = session.scalars(
        select(PaymentRequest)
        .where(
            PaymentRequest.subject_type == subject_type,
            PaymentRequest.subject_id == subject_id,
            PaymentRequest.status != PaymentRequestStatus.CANCELLED,
        )
        .order_by(PaymentRequest.id.desc())
        .with_for_update()
    ).first()
    if current is not None:
        return current
    request = _open(
        session,
        actor,
        PaymentRequest(
            organisation_id=organisation_id,
            declaration_id=None,
            declaration_number="",
            subject_type=subject_type,
            subject_id=subject_id,
            description=description[:200],
        ),
        currency,
        normal,
        total,
        told={"description": description},
    )
    return request


def fee_request(session: Session, payment_request_id: int) -> PaymentRequest | None:
    """A fee's request by id, for the domain that asked for it (it shows it to its parties)."""
    request = session.get(PaymentRequest, payment_request_id)
    return request if request is not None and request.subject_type is not None else None


def subject_of(request: PaymentRequest) -> dict[str, object]:
    """What a fee is for, in the payments events (empty for a declaration's duties)."""
    if request.subject_type is None:
        return {}
    return {"subject_type": request.subject_type, "subject_id": request.subject_id}


def withdraw_fee(
    session: Session, subject_type: str, subject_id: int, *, actor: str, reason: str
) -> PaymentRequest | None:
    """Cancel the open fee of a subject that no longer needs it (an application refused);
    a settled fee is left as it is. Returns the cancelled request, if any."""
    request = session.scalars(
        select(PaymentRequest)
        .where(
            PaymentRequest.subject_type == subject_type,
            PaymentRequest.subject_id == subject_id,
            PaymentRequest.status == PaymentRequestStatus.OPEN,
        )
        .with_for_update()
    ).one_or_none()
    if request is None:
        return None
    _cancel(session, request, actor, superseded_by="", reason=reason)
    return request


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


def sees_all(principal: Principal) -> bool:
    return principal.has_role(Role.CUSTOMS)


def get_payment_request(
    session: Session, principal: Principal, payment_request_id: int
) -> PaymentRequest:
    """A payment request of the principal's organisation (any, for a customs office)."""
    request = session.get(PaymentRequest, payment_request_id)
    if request is None or not (
        sees_all(principal) or request.organisation_id == principal.organisation_id
    ):
        raise NotFound(f"No payment request {payment_request_id}.")
    return request


def list_payment_requests(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    declaration_id: int | None = None,
    subject: tuple[str, int] | None = None,
    limit: int = 100,
) -> Sequence[PaymentRequest]:
    """The principal's organisation's payment requests (all for a customs office), newest first."""
    query = select(PaymentRequest)
    if not sees_all(principal):
        query = query.where(PaymentRequest.organisation_id == principal.organisation_id)
    if status is not None:
        query = query.where(PaymentRequest.status == status)
    if declaration_id is not None:
        query = query.where(PaymentRequest.declaration_id == declaration_id)
    if subject is not None:
        query = query.where(
            PaymentRequest.subject_type == subject[0], PaymentRequest.subject_id == subject[1]
        )
    return session.scalars(query.order_by(PaymentRequest.id.desc()).limit(limit)).all()
