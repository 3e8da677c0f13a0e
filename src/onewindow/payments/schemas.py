"""Shapes of the payments API. Amounts travel as strings with the currency's minor places."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from onewindow.bounds import decimal_text
from onewindow.money import Money


def _to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    return Money(amount, currency).rounded().amount


class TaxLineOut(BaseModel):
    tax_type: str = Field(examples=["customs_duty"])
    amount: str = Field(examples=["120.00"])


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    payment_request_id: int
    provider: str
    provider_reference: str | None
    amount: Decimal
    currency: str
    status: str = Field(description="pending, confirmed or failed")
    created_at: datetime
    confirmed_at: datetime | None

    @model_validator(mode="after")
    def _minor_unit(self) -> PaymentOut:
        self.amount = _to_minor_unit(self.amount, self.currency)
        return self


class PaymentRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str = Field(examples=["PR-000123"])
    organisation_id: int
    declaration_id: int | None = Field(description="the declaration whose duties these are")
    declaration_number: str
    subject_type: str | None = Field(
        default=None, description="for a fee: what it is for (permit_application)"
    )
    subject_id: int | None = None
    description: str | None = Field(default=None, description="for a fee: what is paid for")
    currency: str
    total: Decimal
    lines: list[TaxLineOut]
    status: str = Field(description="open, paid, secured or cancelled")
    created_at: datetime
    settled_at: datetime | None
    settled_by: str | None = Field(description="bank:<transaction> or deferment:<account>")
    receipt_number: str | None
    payments: list[PaymentOut]

    @model_validator(mode="after")
    def _minor_unit(self) -> PaymentRequestOut:
        self.total = _to_minor_unit(self.total, self.currency)
        return self


class PayIn(BaseModel):
    """How to pay: by bank through the gateway, or by charging a deferred account."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["bank", "deferment"]
    account: str | None = Field(
        default=None,
        max_length=35,
        description="deferment only: the account to charge; by default one with enough available",
    )


class PayOut(BaseModel):
    method: Literal["bank", "deferment"]
    status: str = Field(description="pending (wait for the bank's confirmation) or secured")
    payment_request: PaymentRequestOut
    payment: PaymentOut | None = None
    account_number: str | None = None


class ReceiptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str = Field(examples=["RC-2026-000001"])
    payment_request_id: int
    amount: Decimal
    currency: str
    issued_at: datetime
    lines: list[TaxLineOut]

    @model_validator(mode="after")
    def _minor_unit(self) -> ReceiptOut:
        self.amount = _to_minor_unit(self.amount, self.currency)
        return self


class DeferredAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: int = Field(ge=1)
    number: str = Field(min_length=3, max_length=35, examples=["DAN-1234567"])
    currency: str = Field(min_length=3, max_length=3, examples=["GBP"])
    guarantee_amount: Decimal = Field(
        gt=0, max_digits=16, examples=["50000.00"], json_schema_extra=decimal_text(16)
    )
    guarantee_reference: str = Field(min_length=1, max_length=60, examples=["GUA-2026-0042"])
    valid_until: date


class DeferredAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    number: str
    currency: str
    guarantee_amount: Decimal
    drawn_amount: Decimal
    available: Decimal
    active: bool
    guarantee_reference: str
    valid_until: date
    opened_at: datetime

    @model_validator(mode="after")
    def _minor_unit(self) -> DeferredAccountOut:
        self.guarantee_amount = _to_minor_unit(self.guarantee_amount, self.currency)
        self.drawn_amount = _to_minor_unit(self.drawn_amount, self.currency)
        self.available = _to_minor_unit(self.available, self.currency)
        return self


class BankCallbackIn(BaseModel):
    """What a bank's callback says (documentation only: the raw bytes are what is verified)."""

    provider_reference: str = Field(max_length=100)
    amount: str = Field(max_length=24, examples=["344.00"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["GBP"])
    status: Literal["confirmed", "failed"]
    paid_at: datetime


class LedgerBalancesOut(BaseModel):
    balances: dict[str, dict[str, Decimal]] = Field(
        description="account, then currency: debits less credits (revenue is negative)"
    )
    balanced: bool = Field(description="whether every transaction's debits equal its credits")
