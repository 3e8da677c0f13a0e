"""Shapes of the reference look-ups."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from onewindow.bounds import decimal_text


class HsNode(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    level: int
    description: str


class HsEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    level: int
    description: str
    section: str
    section_title: str
    path: list[HsNode]
    children: list[HsNode]


class CountryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    alpha2: str
    alpha3: str
    numeric: str
    name: str


class CurrencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    numeric: str
    name: str
    minor_unit: int | None


class LocationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    locode: str
    country: str
    name: str
    name_ascii: str
    subdivision: str
    function: str
    is_port: bool
    is_rail: bool
    is_road: bool
    is_airport: bool
    is_postal: bool
    is_multimodal: bool
    is_fixed: bool
    is_border_crossing: bool
    status: str
    iata: str
    latitude: float | None
    longitude: float | None


class CodeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    label: str


class CodeListOut(BaseModel):
    name: str
    codes: list[CodeOut]


class ExchangeRateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    rate: Decimal = Field(gt=0, max_digits=18, decimal_places=8, json_schema_extra=decimal_text(18))
    valid_from: date
    valid_to: date | None = None


class ExchangeRateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    currency: str
    rate: Decimal
    valid_from: date
    valid_to: date | None
    source: str
