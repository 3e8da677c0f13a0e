"""Tables of the cargo domain: calls, manifests and their documents, containers, terminal events,
entry summaries and the alerts customs works from."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow.db import Base, JSONType, UTCDateTime


class Call(Base):
    """A vessel's or an aircraft's call at a port: expected, arrived, cleared to leave, departed."""

    __tablename__ = "cargo_call"
    __table_args__ = (
        UniqueConstraint("transport_id", "voyage", "port"),
        Index("ix_cargo_call_port_eta", "port", "eta"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(5))
    transport_id: Mapped[str] = mapped_column(String(35))
    transport_name: Mapped[str | None] = mapped_column(String(100))
    voyage: Mapped[str] = mapped_column(String(35))
    port: Mapped[str] = mapped_column(String(5))
    carrier_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    eta: Mapped[datetime] = mapped_column(UTCDateTime)
    etd: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Manifest(Base):
    """A carrier's cargo report for a call: the current version's content and its documents."""

    __tablename__ = "cargo_manifest"
    __table_args__ = (UniqueConstraint("carrier_id", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    reference: Mapped[str] = mapped_column(String(35))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("cargo_call.id"), index=True)
    mode: Mapped[str] = mapped_column(String(5))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    request_digest: Mapped[str] = mapped_column(String(64))
    received_as: Mapped[str] = mapped_column(String(10))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    documents: Mapped[list[TransportDocument]] = relationship(
        order_by="TransportDocument.id", lazy="selectin", cascade="all, delete-orphan"
    )
    call: Mapped[Call | None] = relationship(lazy="joined")


class ManifestVersion(Base):
    """Every version of a manifest, kept whole, with what changed from the one before."""

    __tablename__ = "cargo_manifest_version"
    __table_args__ = (UniqueConstraint("manifest_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("cargo_manifest.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    actor: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class TransportDocument(Base):
    """A master or house bill of lading or air waybill on a manifest: what it covers."""

    __tablename__ = "cargo_document"
    __table_args__ = (UniqueConstraint("manifest_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("cargo_manifest.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(35), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    master_number: Mapped[str | None] = mapped_column(String(35))
    consignee_id: Mapped[int | None] = mapped_column(Integer, index=True)
    consignee: Mapped[str | None] = mapped_column(String(200))
    shipper: Mapped[str | None] = mapped_column(String(200))
    packages: Mapped[int] = mapped_column(Integer)
    gross_mass_kg: Mapped[Decimal] = mapped_column(Numeric(16, 3))
    port_of_loading: Mapped[str | None] = mapped_column(String(5))
    port_of_discharge: Mapped[str | None] = mapped_column(String(5))
    containers: Mapped[list[str]] = mapped_column(JSONType)


class ContainerOnDocument(Base):
    """Which containers carry which document's goods (an index for tracking and the gate)."""

    __tablename__ = "cargo_container"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("cargo_document.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(11), index=True)
    seals: Mapped[list[str]] = mapped_column(JSONType)


class TerminalEvent(Base):
    """What a terminal saw happen to a container or a consignment, as it reported it."""

    __tablename__ = "cargo_terminal_event"
    __table_args__ = (
        UniqueConstraint("terminal_id", "kind", "subject", "occurred_at"),
        Index("ix_cargo_terminal_event_subject", "subject", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    kind: Mapped[str] = mapped_column(String(20))
    # A container number, or a transport document number for goods not in a container.
    subject: Mapped[str] = mapped_column(String(35))
    subject_kind: Mapped[str] = mapped_column(String(10))
    location: Mapped[str | None] = mapped_column(String(5))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reported_by: Mapped[str] = mapped_column(String(200))
    out_of_order: Mapped[str | None] = mapped_column(Text)
    unreleased: Mapped[str | None] = mapped_column(Text)


class EntrySummary(Base):
    """An entry summary declaration (safety and security) as received, checked and assessed."""

    __tablename__ = "cargo_entry_summary"
    __table_args__ = (UniqueConstraint("carrier_id", "lrn"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    lrn: Mapped[str] = mapped_column(String(35))
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    accepted: Mapped[bool] = mapped_column(Boolean)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType)
    decision: Mapped[str | None] = mapped_column(String(20))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("cargo_call.id"), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime)
