"""Tables of the payments domain: payment requests, payments, deferred accounts, ledger, receipts.

Money columns are ``Numeric(18, 4)`` read back as ``Decimal``, always next to their currency.
Declarations and organisations are other domains: they are referred to by id only.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow.db import Base, JSONType, UTCDateTime


class PaymentRequestStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    SECURED = "secured"
    CANCELLED = "cancelled"


PAYMENT_REQUEST_LABELS: dict[PaymentRequestStatus, str] = {
    PaymentRequestStatus.OPEN: "Awaiting payment",
    PaymentRequestStatus.PAID: "Paid",
    PaymentRequestStatus.SECURED: "Charged to a deferred account",
    PaymentRequestStatus.CANCELLED: "Cancelled (superseded by an amended assessment)",
}


class PaymentStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FAILED = "failed"


PAYMENT_LABELS: dict[PaymentStatus, str] = {
    PaymentStatus.PENDING: "Waiting for the bank",
    PaymentStatus.CONFIRMED: "Confirmed by the bank",
    PaymentStatus.FAILED: "Refused by the bank",
}


class PaymentRequest(Base):
    """What an organisation owes: the duties and taxes on one declaration, tax by tax, or a fee
    another domain charges for something of its own (a permit application), named by
    ``subject_type`` and ``subject_id`` and described for the payer."""

    __tablename__ = "payment_request"
    __table_args__ = (
        # At most one open request per declaration, even under concurrent assessments.
        Index(
            "uq_payment_request_open_declaration",
            "declaration_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # And at most one open fee per subject of another domain.
        Index(
            "uq_payment_request_open_subject",
            "subject_type",
            "subject_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    declaration_id: Mapped[int | None] = mapped_column(Integer, index=True)
    declaration_number: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str | None] = mapped_column(String(30))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    lines: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_by: Mapped[str | None] = mapped_column(String(140))
    payments: Mapped[list[Payment]] = relationship(
        back_populates="payment_request", order_by="Payment.id", lazy="selectin"
    )
    receipts: Mapped[list[Receipt]] = relationship(
        back_populates="payment_request", order_by="Receipt.id", lazy="selectin"
    )

    @property
    def receipt_number(self) -> str | None:
        """The receipt issued for this request, once paid."""
        return self.receipts[0].number if self.receipts else None


class Payment(Base):
    """One attempt to pay a request through a payment provider (a bank)."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_request_id: Mapped[int] = mapped_column(ForeignKey("payment_request.id"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    # The provider's transaction id: unique, so a repeated confirmation finds the same payment.
    provider_reference: Mapped[str | None] = mapped_column(String(100), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_request: Mapped[PaymentRequest] = relationship(back_populates="payments")


class DeferredAccount(Base):
    """A deferred-payment account: duties are charged to it, up to the guarantee behind it."""

    __tablename__ = "deferred_account"
    # What may be drawn is the guarantee's cover, larger than the guarantee for an AEO whose tier
    # reduces it (deferment.cover_available): the check is the code's, under the account's lock.
    __table_args__ = (CheckConstraint("drawn_amount >= 0", name="drawn_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[str] = mapped_column(String(35), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    guarantee_amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    drawn_amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    guarantee_reference: Mapped[str] = mapped_column(String(60))
    valid_until: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(200))

    @property
    def available(self) -> Decimal:
        """The guarantee less what is already drawn (an AEO may draw beyond the guarantee:
        see ``deferment.cover_available``)."""
        return self.guarantee_amount - self.drawn_amount


class LedgerEntry(Base):
    """One leg of a double-entry transaction; the legs of a transaction share its id."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint(
            "debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)", name="one_side"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(36), index=True)
    account: Mapped[str] = mapped_column(String(60), index=True)
    debit: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    credit: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    payment_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_request.id"), index=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    memo: Mapped[str] = mapped_column(String(200))


class Receipt(Base):
    """Proof that a payment request was paid, numbered without gaps within a year."""

    __tablename__ = "receipt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    payment_request_id: Mapped[int] = mapped_column(ForeignKey("payment_request.id"), index=True)
    # One receipt per payment: a replayed confirmation can never issue a second one.
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lines: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    payment_request: Mapped[PaymentRequest] = relationship(back_populates="receipts")


class NumberSeries(Base):
    """The last number given in a series ("PR", "RC-2026"); locking the row serialises issues."""

    __tablename__ = "payment_number_series"

    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
