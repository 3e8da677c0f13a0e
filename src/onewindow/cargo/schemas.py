"""Cargo as it crosses the API: calls, manifests (the JSON form of a CUSCAR), terminal events.

Syntax is checked here; ISO 6346 container numbers, IMO numbers, UN/LOCODEs and the rules that
need the database are checked by the service, so that every error comes back at once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from onewindow.bounds import decimal_text
from onewindow.declarations.schemas import CountryCode, Locode

Mode = Literal["sea", "air", "road", "rail"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reference = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_\-./]{1,35}$")
]
ContainerNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=11)
]
Mass = Annotated[
    Decimal, Field(ge=0, max_digits=16, decimal_places=3, json_schema_extra=decimal_text(16))
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CallIn(Strict):
    """A vessel or flight call announced to the port and customs."""

    mode: Mode
    transport_id: Annotated[str, StringConstraints(min_length=1, max_length=35)] = Field(
        description="IMO number of the vessel, or the flight number"
    )
    transport_name: Name | None = None
    voyage: Reference = Field(description="the carrier's voyage or flight date reference")
    port: Locode = Field(description="UN/LOCODE of the port or airport of call")
    eta: datetime = Field(description="expected arrival, with its time zone")
    etd: datetime | None = Field(default=None, description="expected departure")
    carrier: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="the carrier's EORI or TIN when the port authority registers"
    )


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    mode: str
    transport_id: str
    transport_name: str | None
    voyage: str
    port: str
    status: str
    eta: datetime
    etd: datetime | None
    arrived_at: datetime | None
    cleared_at: datetime | None
    departed_at: datetime | None


class CallEventIn(Strict):
    at: datetime | None = Field(default=None, description="when it happened (default: now)")


class DepartureRefusal(BaseModel):
    call: CallOut
    open_matters: list[str]


class PartyIn(Strict):
    name: Name | None = None
    identifier: Annotated[str, StringConstraints(max_length=40)] | None = None
    country: CountryCode | None = None
    address: Annotated[str, StringConstraints(max_length=512)] | None = None


class GoodsLineIn(Strict):
    line: Annotated[int, Field(ge=1, le=99_999)]
    description: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    hs_code: Annotated[str, StringConstraints(pattern=r"^\d{4,10}$")] | None = None
    packages: Annotated[int, Field(ge=0, le=99_999_999)]
    package_type: Annotated[str, StringConstraints(max_length=2)] | None = None
    gross_mass_kg: Mass
    container: ContainerNumber | None = None
    marks: Annotated[str, StringConstraints(max_length=512)] | None = None


class ContainerIn(Strict):
    number: ContainerNumber
    size_type: Annotated[str, StringConstraints(max_length=4)] | None = None
    seals: list[Annotated[str, StringConstraints(min_length=1, max_length=35)]] = Field(
        default=[], max_length=9
    )
    full: bool = True


class TransportDocumentIn(Strict):
    """A master or house bill of lading or air waybill and what it covers."""

    number: Reference
    kind: Literal["master", "house"] = "master"
    master_number: Reference | None = None
    shipper: PartyIn | None = None
    consignee: PartyIn | None = None
    notify: PartyIn | None = None
    port_of_loading: Locode | None = None
    port_of_discharge: Locode | None = None
    goods: list[GoodsLineIn] = Field(min_length=1, max_length=9_999)
    containers: list[ContainerIn] = Field(default=[], max_length=999)


class CarrierIn(Strict):
    identifier: Annotated[str, StringConstraints(max_length=40)] | None = None
    name: Name | None = None


class ManifestIn(Strict):
    """A cargo manifest: what a means of transport carries for a call, document by document."""

    reference: Reference = Field(
        description="the carrier's manifest reference, its idempotency key"
    )
    function: Literal["original", "replace", "cancel"] = "original"
    mode: Mode
    transport_id: Annotated[str, StringConstraints(min_length=1, max_length=35)]
    transport_name: Name | None = None
    voyage: Reference | None = None
    carrier: CarrierIn | None = None
    port_of_loading: Locode | None = None
    port_of_discharge: Locode | None = None
    arrival: datetime | None = None
    documents: list[TransportDocumentIn] = Field(min_length=1, max_length=9_999)


class ManifestOut(BaseModel):
    id: int
    reference: str
    version: int
    status: str
    mode: str
    call_id: int | None
    late: bool
    deadline: datetime | None
    lodged_at: datetime
    documents: int
    warnings: list[str] = []


class ChangeOut(BaseModel):
    pointer: str
    old: Any
    new: Any


class ManifestVersionOut(BaseModel):
    version: int
    recorded_at: datetime
    late: bool
    changes: list[ChangeOut]


TerminalEventKind = Literal["discharged", "gated_in", "stripped", "gated_out", "loaded"]


class TerminalEventIn(Strict):
    kind: TerminalEventKind
    container: ContainerNumber | None = None
    document: Reference | None = None
    occurred_at: datetime
    location: Locode | None = None


class TerminalEventOut(BaseModel):
    id: int
    kind: str
    subject: str
    subject_kind: str
    occurred_at: datetime
    duplicate: bool
    out_of_order: str | None
    unreleased: str | None


class GateAnswer(BaseModel):
    """Whether cargo may leave the terminal, and why not."""

    subject: str
    may_leave: bool
    reasons: list[str]
    declarations: list[str]


class EntrySummaryError(BaseModel):
    code: str
    location: str
    text: str


class EntrySummaryOut(BaseModel):
    id: int
    lrn: str
    number: str | None
    accepted: bool
    errors: list[EntrySummaryError]
    decision: str | None
    reasons: list[dict[str, str]]
    lodged_at: datetime


class TrackingEvent(BaseModel):
    at: datetime
    who: str
    what: str
    detail: str = ""


class Tracking(BaseModel):
    subject: str
    documents: list[str]
    containers: list[str]
    declarations: list[str]
    events: list[TrackingEvent]


class ReconciliationItem(BaseModel):
    kind: str
    subject: str
    detail: str
    since: datetime | None
    link: str | None = None


class ResolutionIn(Strict):
    resolution: Annotated[str, StringConstraints(min_length=1, max_length=512)]
