"""The shapes of the partner gateway's API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class PartnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: Country
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    endpoint: Annotated[str, StringConstraints(min_length=8, max_length=500)] = Field(
        description="the base address of the partner's single window, e.g. https://sw.example.fr"
    )
    certificates: list[Annotated[str, StringConstraints(max_length=20_000)]] = Field(
        default=[], max_length=10, description="PEM certificates to pin for the partner"
    )


class CertificateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certificate: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class CertificateOut(BaseModel):
    fingerprint: str
    subject: str
    valid_from: datetime
    valid_to: datetime
    withdrawn_at: datetime | None
    valid_now: bool


class PartnerOut(BaseModel):
    country: str
    name: str
    endpoint: str
    active: bool
    certificates: list[CertificateOut]


class KeyOut(BaseModel):
    fingerprint: str
    algorithm: str
    valid_from: datetime
    valid_to: datetime
    signing: bool
    certificate: str = Field(description="the PEM certificate to give partners")


class MessageOut(BaseModel):
    id: int
    direction: str = Field(description="out: sent by us; in: received")
    message_id: str
    partner_country: str
    message_type: str
    reference: str
    created: datetime
    status: str
    status_label: str
    signature_check: str
    acknowledged_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


class MessageDetailOut(MessageOut):
    xml: str
    acknowledgement: str | None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[Annotated[str, StringConstraints(min_length=1, max_length=1_000_000)]] = Field(
        min_length=1, max_length=500, description="signed messages, each an XML document"
    )


class BatchResultOut(BaseModel):
    index: int
    status: int = Field(description="200: acknowledged; else the refusal's HTTP status")
    message_id: str | None = None
    acknowledgement: str | None = Field(default=None, description="the signed acknowledgement")
    detail: str | None = Field(default=None, description="why the message was refused")


class BatchOut(BaseModel):
    results: list[BatchResultOut]


class OriginCertificateOut(BaseModel):
    number: str
    issuing_country: str
    issuing_authority: str
    issue_date: date
    valid_to: date | None
    exporter: str
    destination_country: str
    criterion: str
    goods: list[dict[str, object]]


class PartnerExportOut(BaseModel):
    export_country: str
    number: str
    released: datetime
    exporter: str
    consignee: str | None
    data: dict[str, object]
