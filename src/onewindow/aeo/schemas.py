"""The shapes that cross the AEO API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
TierCode = Literal["AEO-C", "AEO-S", "AEO-F"]


class ApplicationIn(BaseModel):
    """An application for a certificate: the role, the tier, and an answer to every question
    of the tier's criteria (see ``GET /api/v1/aeo/criteria``)."""

    model_config = ConfigDict(extra="forbid")

    operator_role: str = Field(max_length=30, examples=["importer"])
    tier: TierCode
    answers: dict[str, Annotated[str, StringConstraints(max_length=4000)]] = Field(max_length=100)


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    author: str
    text: str
    at: datetime


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    operator_role: str
    tier: str
    criteria_version: str
    answers: dict[str, str]
    status: str
    submitted_at: datetime
    visit_on: date | None
    visit_place: str | None
    findings: dict[str, Any]
    decided_at: datetime | None
    decision_reason: str | None
    certificate_id: int | None
    thread: list[MessageOut] = []


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text


class VisitPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: date
    place: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal["met", "partly", "not_met"]
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    findings: dict[str, FindingIn] = Field(max_length=50)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["grant", "refuse"]
    reason: Reason
    tier: TierCode | None = None


class ReasonIn(BaseModel):
    """An irreversible or grave step: a reason, and ``confirm`` true to say it is meant."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
    confirm: bool = Field(description="must be true: the step is recorded and told at once")


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consent: bool


class ChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    on: date
    reason: str
    at: datetime


class CertificateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    organisation_id: int
    operator_role: str
    tier: str
    status: str
    valid_from: date
    valid_until: date | None
    validated_on: date | None
    reassessment_due: date
    recorded_by_hand: bool
    consent_to_share: bool
    suspended_on: date | None
    revoked_on: date | None
    reason: str | None
    history: list[ChangeOut] = []


class ByHandIn(BaseModel):
    """An AEO authorisation recorded by hand; a null status withdraws it."""

    model_config = ConfigDict(extra="forbid")

    status: TierCode | None
    valid_until: date | None = None


class StandingOut(BaseModel):
    organisation_id: int
    name: str
    aeo_status: str | None
    aeo_valid_until: date | None
    certificate_number: str | None


class PartnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PartnerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    country: str
    name: str


class MraIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    reference: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    operator_roles: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        min_length=1, max_length=10
    )
    benefits: list[Annotated[str, StringConstraints(max_length=60)]] = Field(
        min_length=1, max_length=10
    )
    in_force_from: date
    in_force_until: date | None = None


class MraOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    partner_id: int
    reference: str
    operator_roles: list[str]
    benefits: list[str]
    in_force_from: date
    in_force_until: date | None


class PartnerOperatorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    partner_id: int
    identifier: str
    name: str
    address: str
    consent: bool
    status: str
    tier: str
    validated_on: date | None
    suspended_on: date | None
    revoked_on: date | None
    updated_at: datetime
