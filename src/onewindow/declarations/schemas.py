"""The goods declaration as it crosses the API, shaped after the WCO Data Model 3.x.

Field names follow what a customs officer says; the WCO data element each carries is in its
description (e.g. ``D013`` declaration type). Syntax is checked here (types, lengths, formats);
code lists, the nomenclature and business rules are checked by ``validation.py`` so that every
error of a declaration comes back at once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from onewindow.bounds import decimal_text
from onewindow.money import Money

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=35)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Locode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[A-Z0-9]{3}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
PositiveAmount = Annotated[
    Decimal, Field(ge=0, max_digits=18, decimal_places=4, json_schema_extra=decimal_text(18))
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Amount(Strict):
    """Money: an amount with its ISO 4217 currency."""

    amount: PositiveAmount
    currency: CurrencyCode


class Address(Strict):
    line: Text | None = None
    city: Text | None = None
    postcode: Annotated[str, StringConstraints(max_length=17)] | None = None
    country: CountryCode


class Party(Strict):
    """A party named on the declaration: by identifier (EORI, TIN) or by name and address."""

    identifier: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="EORI or TIN (WCO R020/R029 ID)"
    )
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    address: Address | None = None


class Representative(Party):
    """The agent lodging for the declarant (WCO R005 Agent)."""

    representation: Literal["2", "3"] = Field(
        description="2: direct representation, 3: indirect representation"
    )


class TransportMeans(Strict):
    mode: Code = Field(description="mode of transport at the border (UN/ECE Rec 19, WCO T005)")
    inland_mode: Code | None = Field(default=None, description="inland mode (Rec 19)")
    identity_type: Code | None = Field(
        default=None,
        description="how the means is identified (code list means-of-transport-id-type)",
    )
    identity: Annotated[str, StringConstraints(max_length=35)] | None = Field(
        default=None, description="IMO number, flight number, registration (WCO T001)"
    )
    nationality: CountryCode | None = Field(default=None, description="WCO T006")


class DocumentRef(Strict):
    """A document the declaration relies on: transport document, permit, certificate, invoice."""

    type: Code = Field(description="document type (UNTDID 1001 or a national code, WCO D005)")
    reference: Annotated[str, StringConstraints(min_length=1, max_length=70)]
    issued_on: date | None = None
    issuer: Annotated[str, StringConstraints(max_length=70)] | None = None


class DeliveryTerms(Strict):
    incoterm: Code = Field(description="Incoterms 2020 code (WCO 097)")
    place: Annotated[str, StringConstraints(max_length=70)] | None = None


class Packages(Strict):
    type: Code = Field(description="package type (UN/ECE Rec 21, WCO 141)")
    count: Annotated[int, Field(ge=0, le=99_999_999)]
    marks: Annotated[str, StringConstraints(max_length=512)] | None = None


class ProofOfOrigin(Strict):
    type: Code = Field(description="e.g. a certificate of origin or an origin declaration")
    reference: Annotated[str, StringConstraints(min_length=1, max_length=70)]


class Quantity(Strict):
    value: PositiveAmount
    unit: Code | None = Field(
        default=None, description="UN/ECE Rec 20 unit code (e.g. NAR, LTR); else the tariff's unit"
    )


ContainerId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,17}$")]


class GoodsItem(Strict):
    """One goods item (WCO GovernmentAgencyGoodsItem)."""

    sequence: Annotated[int, Field(ge=1, le=9999)] = Field(description="WCO 006")
    commodity_code: Annotated[str, StringConstraints(pattern=r"^\d{6}(\d{2}){0,2}$")] | None = (
        Field(
            default=None,
            description="HS subheading (6 digits) and national digits, up to 10 (WCO 145); "
            "only reduced data sets (a clearance request, say) may leave it out",
        )
    )
    description: Text | None = Field(
        default=None,
        description="trade description of the goods (WCO 137); only reduced data sets (a final "
        "supplementary declaration) may leave it out",
    )
    origin: CountryCode | None = Field(default=None, description="country of origin (WCO 063)")
    preference: Code | None = Field(
        default=None, description="preference claimed: an agreement or origin group code"
    )
    proof_of_origin: ProofOfOrigin | None = None
    procedure: Annotated[str, StringConstraints(pattern=r"^\d{4}$")] = Field(
        description="requested and previous procedure, e.g. 4000 (WCO 161/162)"
    )
    additional_procedures: list[Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{3}$")]] = (
        Field(default=[], max_length=99)
    )
    net_mass_kg: PositiveAmount | None = Field(default=None, description="net mass, kg (WCO 128)")
    gross_mass_kg: PositiveAmount | None = Field(default=None, description="WCO 126")
    supplementary_quantity: Quantity | None = None
    packages: list[Packages] = Field(default=[], max_length=99)
    value: Amount | None = Field(default=None, description="the item's invoice price (WCO 114)")
    statistical_value: Amount | None = Field(default=None, description="WCO 114 statistical")
    documents: list[DocumentRef] = Field(
        default=[], max_length=99, description="permits, certificates (WCO D005)"
    )
    containers: list[ContainerId] = Field(default=[], max_length=999)


class DeclarationIn(Strict):
    """What a declarant lodges. ``declarant_reference`` is also the idempotency key."""

    declarant_reference: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-./]{1,35}$")] = (
        Field(description="the declarant's own reference, unique per declarant (LRN, WCO D026)")
    )
    type: Literal["IM", "EX", "TR", "CO"] = Field(
        description="WCO D013 (first two letters); CO: to or from a special fiscal territory"
    )
    additional_type: Code = Field(default="A", description="declaration-subtype code, e.g. A")
    declarant: Party
    importer: Party | None = None
    exporter: Party | None = None
    representative: Representative | None = None
    office_of_lodgement: (
        Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[A-Z0-9]{1,15}$")] | None
    ) = Field(default=None, description="customs office where it is lodged (WCO G004)")
    country_of_export: CountryCode | None = None
    country_of_destination: CountryCode | None = None
    transport: TransportMeans | None = None
    transport_documents: list[DocumentRef] = Field(default=[], max_length=99)
    location_of_goods: Locode | None = Field(default=None, description="UN/LOCODE (WCO L014)")
    goods_location_code: Annotated[str, StringConstraints(max_length=39)] | None = Field(
        default=None,
        description="national goods location code when not a UN/LOCODE (WCO L014): country, "
        "type of location, qualifier and the identifier of up to 35 characters",
    )
    delivery_terms: DeliveryTerms | None = None
    invoice: Amount | None = Field(default=None, description="total amount invoiced (WCO 504)")
    freight: Amount | None = Field(default=None, description="transport costs to the border")
    insurance: Amount | None = None
    total_packages: Annotated[int, Field(ge=0)] | None = Field(default=None, description="WCO 146")
    documents: list[DocumentRef] = Field(default=[], max_length=99)
    previous_documents: list[DocumentRef] = Field(
        default=[],
        max_length=99,
        description="earlier declarations and references this one follows (WCO D018/D019, "
        "category + type: Z355 entry summary, YDCR consignment reference, YSDE simplified "
        "declaration); a supplementary declaration names the declaration it supplements here",
    )
    items: list[GoodsItem] = Field(min_length=1, max_length=999)


class ErrorOut(BaseModel):
    pointer: str
    code: str
    detail: str


class WarningOut(BaseModel):
    """A finding the national rule set accepts with a warning: where, which rule, what it says."""

    pointer: str
    rule: str
    text: str
    source: str = ""


class HoldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None


class DeclarationOut(BaseModel):
    """Where a declaration stands: status, number, errors, open and lifted holds."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str | None
    declarant_reference: str
    type: str
    status: str
    version: int
    channel: str | None
    errors: list[ErrorOut]
    warnings: list[WarningOut] = Field(
        default=[], description="what the national rule set accepted with a warning"
    )
    kind: str = Field(default="goods", description="goods, supplementary, clearance_request, ...")
    previous_reference: str | None = None
    previous_declaration_id: int | None = None
    holds: list[HoldOut]
    lodged_at: datetime
    accepted_at: datetime | None
    released_at: datetime | None
    updated_at: datetime

    @field_validator("warnings", mode="before")
    @classmethod
    def _no_warnings(cls, value: Any) -> Any:
        return value or []


class DeclarationDetail(DeclarationOut):
    content: DeclarationIn


class StatusChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    reason: str
    actor: str
    at: datetime


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    reason: str
    actor: str
    recorded_at: datetime


class ChangeOut(BaseModel):
    pointer: str
    before: object
    after: object


class AssessmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    currency: str
    total: str
    amounts: dict[str, str]
    items: list[dict[str, object]]
    trace: list[str]
    assessed_on: date
    created_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _round_total(cls, row: Any) -> Any:
        """The total as the trader pays it: rounded to the currency's minor unit."""
        total, currency = getattr(row, "total", None), getattr(row, "currency", None)
        if isinstance(total, Decimal) and currency:
            return {
                **{k: getattr(row, k) for k in cls.model_fields if k != "total"},
                "total": str(Money(total, currency).rounded().amount),
            }
        return row


class DryRunOut(BaseModel):
    """What a dry run found: no errors means the declaration would be accepted."""

    ok: bool
    errors: list[ErrorOut]
    warnings: list[WarningOut] = []
    kind: str = "goods"
    declaration: DeclarationIn | None = None


class Reason(Strict):
    reason: Text


class HoldIn(Strict):
    kind: Annotated[str, StringConstraints(max_length=30)]
    reason: Text


class AmendmentIn(Strict):
    reason: Text
    declaration: DeclarationIn


ExchangeRateValue = Annotated[
    Decimal, Field(gt=0, max_digits=18, decimal_places=8, json_schema_extra=decimal_text(18))
]


class AssessByHandIn(Strict):
    """Customs assesses a declaration the tariff could not, with the exchange rates it gives for
    this declaration alone (national currency per unit) and why."""

    rates: dict[CurrencyCode, ExchangeRateValue] = Field(
        default_factory=dict, max_length=10, description='e.g. {"NZD": "0.47"}'
    )
    reason: str = Field(default="", max_length=512, description="why, and the rate's source")
