"""Tables of the permits domain: agencies, procedures as data (versioned), requirement rules,
applications and their thread, permits and what declarations drew from them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.db import Base, JSONType, UTCDateTime


class Agency(Base):
    """A permit-issuing agency, and the registered organisation whose officers work for it."""

    __tablename__ = "permit_agency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Procedure(Base):
    """One version of an agency's procedure, kept whole as data: its form, steps, outcome and
    validity. Applications keep the version they were lodged under."""

    __tablename__ = "permit_procedure"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), index=True)
    version: Mapped[int] = mapped_column(Integer)
    agency_id: Mapped[int] = mapped_column(ForeignKey("permit_agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    document_type: Mapped[str] = mapped_column(String(10), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    loaded_by: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Requirement(Base):
    """A regulatory requirement rule: which goods need which procedure (see requirements.py)."""

    __tablename__ = "permit_requirement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(30), index=True)
    rule: Mapped[dict[str, Any]] = mapped_column(JSONType)
    source: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Application(Base):
    """An application to an agency under one version of its procedure, and where it stands."""

    __tablename__ = "permit_application"
    __table_args__ = (Index("ix_permit_application_agency_status", "agency_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("permit_procedure.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("permit_agency.id"))
    applicant_id: Mapped[int] = mapped_column(Integer, index=True)
    declaration_id: Mapped[int | None] = mapped_column(Integer, index=True)
    item_sequence: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    from_declaration: Mapped[list[str]] = mapped_column(JSONType)
    steps: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(30))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    lodged_by: Mapped[str] = mapped_column(String(200))
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApplicationMessage(Base):
    """The application's thread: the agency's questions, the applicant's answers, decisions."""

    __tablename__ = "permit_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("permit_application.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Permit(Base):
    """What an agency issued: a permit, licence or certificate, its goods, balance and validity."""

    __tablename__ = "permit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("permit_application.id"), index=True)
    procedure_code: Mapped[str] = mapped_column(String(30))
    document_type: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int] = mapped_column(ForeignKey("permit_agency.id"))
    holder_id: Mapped[int] = mapped_column(Integer, index=True)
    hs_prefixes: Mapped[list[str]] = mapped_column(JSONType)
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    unit: Mapped[str | None] = mapped_column(String(10))
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    conditions: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    verification_code: Mapped[str] = mapped_column(String(40), unique=True)
    issued_by: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Drawdown(Base):
    """What one released goods item took from a permit's balance (once per item)."""

    __tablename__ = "permit_drawdown"
    __table_args__ = (UniqueConstraint("permit_id", "declaration_id", "item_sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permit.id"), index=True)
    declaration_id: Mapped[int] = mapped_column(Integer)
    item_sequence: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Wait(Base):
    """A declaration that a permit stops: the permit number it cites, or the procedure whose
    permit it lacks and for whom. How a permit granted finds the declarations it frees."""

    __tablename__ = "permit_wait"
    __table_args__ = (Index("ix_permit_wait_reference", "reference", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(70))
    organisation_id: Mapped[int | None] = mapped_column(Integer)


class CompanyDocument(Base):
    """A company document lodged once, verified once by the owning agency, reused by every
    application that needs it until it expires."""

    __tablename__ = "permit_company_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("permit_agency.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(70))
    status: Mapped[str] = mapped_column(String(20))
    valid_to: Mapped[date] = mapped_column(Date)
    verified_by: Mapped[str | None] = mapped_column(String(200))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expiry_announced: Mapped[bool] = mapped_column(Boolean, default=False)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgencyFinding(Base):
    """An agency's part in one inspection of a declaration: asked to join, and what it found."""

    __tablename__ = "permit_agency_finding"
    __table_args__ = (UniqueConstraint("declaration_id", "agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(Integer, index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("permit_agency.id"))
    role: Mapped[str] = mapped_column(String(10))
    finding: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(200))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
