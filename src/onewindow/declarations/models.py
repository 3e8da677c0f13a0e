"""Tables of the declarations domain."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow.db import Base, JSONType, UTCDateTime


class Declaration(Base):
    """A goods declaration: its current version's content and where it stands."""

    __tablename__ = "declaration"
    __table_args__ = (
        UniqueConstraint("organisation_id", "declarant_reference"),
        Index("ix_declaration_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    declarant_reference: Mapped[str] = mapped_column(String(35))
    request_digest: Mapped[str] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    type: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    kind: Mapped[str] = mapped_column(String(30), default="goods", server_default="goods")
    """goods, simplified, supplementary, clearance_request, final_supplementary, special_fiscal"""
    previous_reference: Mapped[str | None] = mapped_column(String(70))
    """The earlier declaration this one follows, as it named it (a supplementary's simplified
    declaration); ``previous_declaration_id`` when that one is lodged here."""
    previous_declaration_id: Mapped[int | None] = mapped_column(Integer, index=True)
    warnings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    """What the national rule set accepted with a warning: pointer, rule, text, source."""
    channel: Mapped[str | None] = mapped_column(String(10))
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    versions: Mapped[list[DeclarationVersion]] = relationship(
        order_by="DeclarationVersion.version", lazy="select"
    )
    holds: Mapped[list[ReleaseHold]] = relationship(order_by="ReleaseHold.id", lazy="selectin")


class DeclarationVersion(Base):
    """Every version lodged or amended, kept whole."""

    __tablename__ = "declaration_version"
    __table_args__ = (UniqueConstraint("declaration_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReleaseHold(Base):
    """Something that stops release until it is lifted: payment, inspection, a missing permit."""

    __tablename__ = "release_hold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(200))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lift_reason: Mapped[str | None] = mapped_column(Text)


class StatusChange(Base):
    """The declaration's timeline: every transition with its time and reason."""

    __tablename__ = "declaration_status_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Assessment(Base):
    """The duties and taxes assessed on one version of a declaration, explained line by line."""

    __tablename__ = "declaration_assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    amounts: Mapped[dict[str, str]] = mapped_column(JSONType)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    trace: Mapped[list[str]] = mapped_column(JSONType)
    assessed_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeclarationParty(Base):
    """A registered organisation a declaration names (declarant, importer, exporter, agent):
    who may see it besides its lodger, and whose identifier rules look at."""

    __tablename__ = "declaration_party"
    __table_args__ = (UniqueConstraint("declaration_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)


class DeclarationCargo(Base):
    """A transport document or container a declaration names: how cargo finds its declarations
    (the link to the manifest, the gate's question) without reading every declaration's content."""

    __tablename__ = "declaration_cargo"
    __table_args__ = (
        UniqueConstraint("declaration_id", "kind", "reference"),
        Index("ix_declaration_cargo_reference", "reference", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"))
    kind: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(70))
