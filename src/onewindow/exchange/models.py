"""Tables of the partner gateway: our signing keys (certificates only: private keys stay in
files), partner single windows and their pinned certificates, every message in and out with its
acknowledgement, and what received messages brought (certificates of origin, export data)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.db import Base, JSONType, UTCDateTime


class SigningKey(Base):
    """One of our keys: its certificate and where its private key lives (a file path)."""

    __tablename__ = "exchange_signing_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    key_path: Mapped[str] = mapped_column(String(500))
    algorithm: Mapped[str] = mapped_column(String(10))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime)
    signing: Mapped[bool] = mapped_column(Boolean, default=False)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Partner(Base):
    """A partner single window: its country, name and where its gateway answers."""

    __tablename__ = "exchange_partner"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PartnerCertificate(Base):
    """A certificate pinned for one partner: messages signed with its key are the partner's."""

    __tablename__ = "exchange_partner_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("exchange_partner.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(300))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Message(Base):
    """A message sent (``out``: outbox until acknowledged) or received (``in``), kept with its
    signed XML, how its signature was checked, and the signed acknowledgement."""

    __tablename__ = "exchange_message"
    __table_args__ = (
        UniqueConstraint("direction", "partner_country", "message_id"),
        Index(
            "ix_exchange_message_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    message_id: Mapped[str] = mapped_column(String(70))
    partner_country: Mapped[str] = mapped_column(String(2), index=True)
    message_type: Mapped[str] = mapped_column(String(40), index=True)
    reference: Mapped[str] = mapped_column(String(70), index=True, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), index=True)
    xml: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    key_name: Mapped[str] = mapped_column(String(64))
    signature_check: Mapped[str] = mapped_column(Text, default="")
    acknowledgement: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OriginCertificate(Base):
    """A certificate of origin a partner's single window sent: the proof a preference needs."""

    __tablename__ = "exchange_origin_certificate"
    __table_args__ = (UniqueConstraint("number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("exchange_message.id"))
    number: Mapped[str] = mapped_column(String(70))
    issuing_country: Mapped[str] = mapped_column(String(2))
    issuing_authority: Mapped[str] = mapped_column(String(512))
    issue_date: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    exporter: Mapped[str] = mapped_column(String(512))
    importer: Mapped[str | None] = mapped_column(String(512))
    destination_country: Mapped[str] = mapped_column(String(2))
    criterion: Mapped[str] = mapped_column(String(70))
    goods: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PartnerExport(Base):
    """A partner's released export declaration, kept for the matching import here."""

    __tablename__ = "exchange_partner_export"
    __table_args__ = (UniqueConstraint("export_country", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("exchange_message.id"))
    export_country: Mapped[str] = mapped_column(String(2))
    number: Mapped[str] = mapped_column(String(70), index=True)
    released: Mapped[datetime] = mapped_column(UTCDateTime)
    exporter: Mapped[str] = mapped_column(String(512))
    consignee: Mapped[str | None] = mapped_column(String(512))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PartnerExportDocument(Base):
    """A transport document a partner's export names: how the import that follows finds it."""

    __tablename__ = "exchange_partner_export_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("exchange_partner_export.id"), index=True)
    reference: Mapped[str] = mapped_column(String(70), index=True)
