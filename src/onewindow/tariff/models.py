"""Tables of the tariff domain: the national tariff as data with dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.db import Base, JSONType, UTCDateTime


class TariffSource(Base):
    """A loaded tariff file: which, when, how much, and what could not be read."""

    __tablename__ = "tariff_source"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    checksum: Mapped[str] = mapped_column(String(64))
    lines: Mapped[int] = mapped_column(Integer)
    measures: Mapped[int] = mapped_column(Integer)
    rejections: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TariffLine(Base):
    """A national commodity code (HS subheading plus national digits)."""

    __tablename__ = "tariff_line"
    __table_args__ = (UniqueConstraint("source", "commodity_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    commodity_code: Mapped[str] = mapped_column(String(10), index=True)
    subheading: Mapped[str] = mapped_column(String(6), index=True)
    description: Mapped[str] = mapped_column(Text)
    declarable: Mapped[bool] = mapped_column(Boolean)
    units: Mapped[list[str]] = mapped_column(JSONType)
    notes: Mapped[list[str]] = mapped_column(JSONType)


class TariffMeasure(Base):
    """A duty or tax at a rate for goods under a code (at any level: ``""`` is all goods)."""

    __tablename__ = "tariff_measure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    commodity_code: Mapped[str] = mapped_column(String(10), index=True)
    measure_type: Mapped[str] = mapped_column(String(30))
    rate_text: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    origin_group: Mapped[str] = mapped_column(String(40))
    requires_proof_of_origin: Mapped[bool] = mapped_column(Boolean)
    label: Mapped[str] = mapped_column(Text)
    legal_reference: Mapped[str] = mapped_column(Text)


class TariffRejection(Base):
    """A rate of a loaded file that could not be read, and why (the line is kept without it)."""

    __tablename__ = "tariff_rejection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    commodity_code: Mapped[str] = mapped_column(String(10))
    rate_column: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class OriginGroupMember(Base):
    """A country that belongs to an origin group (a trade agreement, a preference programme)."""

    __tablename__ = "origin_group_member"
    __table_args__ = (UniqueConstraint("group_code", "country"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_code: Mapped[str] = mapped_column(String(40), index=True)
    country: Mapped[str] = mapped_column(String(2))


class DeMinimisRule(Base):
    """Taxes not collected on a consignment whose intrinsic value is at most the threshold."""

    __tablename__ = "de_minimis_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    threshold: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    relieves: Mapped[list[str]] = mapped_column(JSONType)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    label: Mapped[str] = mapped_column(Text)
    legal_reference: Mapped[str] = mapped_column(Text)
