"""Tables of the reference domain."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Float, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.db import Base, UTCDateTime


class HsSection(Base):
    """A section of the Harmonized System (I to XXI)."""

    __tablename__ = "hs_section"

    numeral: Mapped[str] = mapped_column(String(5), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)


class HsCode(Base):
    """A chapter (2 digits), heading (4) or subheading (6) of the HS nomenclature."""

    __tablename__ = "hs_code"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, index=True)
    parent_code: Mapped[str | None] = mapped_column(String(6), index=True)
    section: Mapped[str] = mapped_column(String(5))
    description: Mapped[str] = mapped_column(Text)
    edition: Mapped[str] = mapped_column(String(10))


class Country(Base):
    """An ISO 3166-1 country."""

    __tablename__ = "country"

    alpha2: Mapped[str] = mapped_column(String(2), primary_key=True)
    alpha3: Mapped[str] = mapped_column(String(3), unique=True)
    numeric: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(200))


class Currency(Base):
    """An ISO 4217 currency with its minor unit (the number of decimals amounts round to)."""

    __tablename__ = "currency"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    numeric: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(200))
    minor_unit: Mapped[int | None] = mapped_column(Integer)


class Location(Base):
    """A UN/LOCODE location with its transport functions."""

    __tablename__ = "location"

    locode: Mapped[str] = mapped_column(String(5), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_ascii: Mapped[str] = mapped_column(String(200), index=True)
    subdivision: Mapped[str] = mapped_column(String(5))
    function: Mapped[str] = mapped_column(String(8))
    is_port: Mapped[bool] = mapped_column(Boolean)
    is_rail: Mapped[bool] = mapped_column(Boolean)
    is_road: Mapped[bool] = mapped_column(Boolean)
    is_airport: Mapped[bool] = mapped_column(Boolean)
    is_postal: Mapped[bool] = mapped_column(Boolean)
    is_multimodal: Mapped[bool] = mapped_column(Boolean)
    is_fixed: Mapped[bool] = mapped_column(Boolean)
    is_border_crossing: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(2))
    iata: Mapped[str] = mapped_column(String(3))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class CodeListEntry(Base):
    """One code of a code list a declaration uses (transport modes, package types, ...)."""

    __tablename__ = "code_list_entry"

    list_name: Mapped[str] = mapped_column(String(50), primary_key=True)
    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    label: Mapped[str] = mapped_column(Text)


class ReferenceDataset(Base):
    """What was loaded from where and when: reloading the same file changes nothing."""

    __tablename__ = "reference_dataset"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExchangeRate(Base):
    """Units of national currency for one unit of ``currency``, valid for a period (customs
    rates are fixed for a week or a month, not taken from the market minute by minute)."""

    __tablename__ = "exchange_rate"
    __table_args__ = (UniqueConstraint("currency", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), index=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(100))
