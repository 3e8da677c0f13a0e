"""Shapes that cross the permits API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from onewindow.bounds import decimal_text

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=70)]
Amount = Annotated[
    Decimal, Field(ge=0, max_digits=18, decimal_places=3, json_schema_extra=decimal_text(18))
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ApplicationIn(Strict):
    """An application: the procedure, the form's data, and the declaration item it serves (its
    fields taken from the declaration are filled from it, never retyped)."""

    procedure: Short = Field(description="the procedure's code, e.g. PHYTO-IMPORT")
    data: dict[str, Any] = Field(
        default={}, max_length=200, description="the form's fields by name"
    )
    declaration_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    item: Annotated[int, Field(ge=1, le=9999)] | None = Field(
        default=None, description="the declaration's goods item (sequence) the permit is for"
    )


class DeclaredApplicationIn(Strict):
    """A permit application lodged inside a declaration: the procedure, the goods items it is
    for (one application per item), and the form's fields the declaration does not give."""

    procedure: Short = Field(description="the procedure's code, e.g. PHYTO-IMPORT")
    items: list[Annotated[int, Field(ge=1, le=9999)]] = Field(
        min_length=1, max_length=999, description="the declaration's goods items (sequences)"
    )
    fields: dict[str, Any] = Field(
        default={},
        max_length=200,
        description="the form's fields not taken from the declaration, by name",
    )


class StepIn(Strict):
    note: Annotated[str, StringConstraints(max_length=2000)] = ""
    outcome: Literal["done", "passed", "failed", "paid"] = "done"


class QuestionIn(Strict):
    text: Text


class AnswerIn(Strict):
    text: Text
    data: dict[str, Any] = Field(
        default={}, max_length=200, description="corrected form fields, if any"
    )


class DecisionIn(Strict):
    """The agency's decision. Approving may limit quantity, value and validity and set
    conditions; refusing says why. Neither can be undone."""

    decision: Literal["approve", "reject"]
    reason: Text
    quantity: Amount | None = None
    unit: Annotated[str, StringConstraints(max_length=10)] | None = None
    value: Amount | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    valid_to: date | None = None
    conditions: Annotated[str, StringConstraints(max_length=2000)] | None = None


class CorrectionIn(Strict):
    reason: Text
    valid_to: date | None = None
    quantity: Amount | None = None
    value: Amount | None = None


class StepOut(BaseModel):
    id: str
    label: str
    kind: str
    state: str
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    hours: float | None = None
    by: str | None = None
    note: str | None = None


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    text: str
    author: str
    at: datetime


class FeeOut(BaseModel):
    """The application's fee, as the payments domain holds it; paid through payments."""

    payment_request_id: int
    reference: str
    amount: Decimal
    currency: str
    status: str = Field(description="open, paid, secured or cancelled")
    receipt_number: str | None


class ApplicationOut(BaseModel):
    id: int
    number: str
    procedure: str
    procedure_name: str
    procedure_version: int
    agency: str
    applicant: str
    status: str
    status_label: str
    data: dict[str, Any]
    from_declaration: list[str]
    declaration_id: int | None
    item: int | None
    steps: list[StepOut]
    open_steps: list[str]
    fee: dict[str, str] | None
    fee_request: FeeOut | None = None
    thread: list[MessageOut]
    decision_reason: str | None
    permit: str | None
    lodged_at: datetime
    decided_at: datetime | None


class PermitOut(BaseModel):
    id: int
    number: str
    kind: str
    procedure: str
    document_type: str
    agency: str
    holder: str
    hs_prefixes: list[str]
    quantity: Decimal | None
    unit: str | None
    value: Decimal | None
    currency: str | None
    quantity_left: Decimal | None
    value_left: Decimal | None
    conditions: str | None
    valid_from: date
    valid_to: date
    status: str
    verification_code: str
    details: dict[str, Any]


class NeedOut(BaseModel):
    """What one goods item needs: the procedure, the agency, and whether it is exempt."""

    item: int
    commodity_code: str
    procedure: str
    procedure_name: str
    agency: str
    document_type: str
    mandatory: bool
    exempt: str | None
    legal_reference: str
    prefilled: dict[str, Any]


class GeneratedOut(BaseModel):
    applications: list[ApplicationOut]
    not_lodged: list[dict[str, Any]]


class RequirementAnswer(BaseModel):
    """The public answer: what importing (or exporting) these goods from (to) there needs."""

    hs: str
    country: str | None
    flow: str
    needs: list[dict[str, Any]]


class ProcedureOut(BaseModel):
    code: str
    version: int
    name: str
    agency: str
    outcome: str
    document_type: str
    definition: dict[str, Any]


class TurnaroundOut(BaseModel):
    procedure: str
    name: str
    decided: int
    median_hours: float | None
    p90_hours: float | None
    open: int


class CompanyDocumentIn(Strict):
    agency: Short = Field(description="the agency that verifies it (code)")
    kind: Short = Field(description="business_registration, standing_licence, premises_approval")
    reference: Short
    valid_to: date


class CompanyDocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    reference: str
    status: str
    valid_to: date
    verified_at: datetime | None


class FindingIn(Strict):
    finding: Literal["compliant", "non_compliant", "not_inspected"]
    notes: Annotated[str, StringConstraints(max_length=2000)] = ""


class JoinIn(Strict):
    role: Literal["join", "perform"] = "join"


class FindingOut(BaseModel):
    declaration_id: int
    agency: str
    role: str
    finding: str | None
    notes: str | None
    asked_at: datetime
    recorded_at: datetime | None


class AgencyInspectionOut(BaseModel):
    """An inspection an agency takes part in: its own part and every agency's."""

    declaration_id: int
    declaration_number: str
    mine: FindingOut
    parts: list[FindingOut]


class VerificationOut(BaseModel):
    valid: bool
    number: str
    kind: str
    procedure: str
    agency: str
    holder: str
    valid_from: date
    valid_to: date
    status: str
    details: dict[str, Any]
