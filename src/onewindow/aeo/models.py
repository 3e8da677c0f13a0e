"""Tables of the AEO domain: applications and their thread, certificates and their history,
partner administrations, mutual recognition arrangements, and partners' AEO records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.db import Base, JSONType, UTCDateTime


class AeoApplication(Base):
    """A company's application for an AEO certificate for one operator role, with its
    self-assessment (answers to the criteria version it was made under), the validation visit
    and customs' decision."""

    __tablename__ = "aeo_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    operator_role: Mapped[str] = mapped_column(String(30))
    tier: Mapped[str] = mapped_column(String(10))
    criteria_version: Mapped[str] = mapped_column(String(20))
    answers: Mapped[dict[str, str]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(30), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    visit_on: Mapped[date | None] = mapped_column(Date)
    visit_place: Mapped[str | None] = mapped_column(String(300))
    # criterion code -> {"rating": met | partly | not_met, "note": "..."}
    findings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    certificate_id: Mapped[int | None] = mapped_column(Integer)


class AeoApplicationMessage(Base):
    """One message of an application's thread: customs asks, the company answers."""

    __tablename__ = "aeo_application_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("aeo_application.id"), index=True)
    author: Mapped[str] = mapped_column(String(10))  # customs | company
    actor: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AeoCertificate(Base):
    """An AEO certificate: its holder, operator role, tier, validity and where it stands."""

    __tablename__ = "aeo_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    operator_role: Mapped[str] = mapped_column(String(30))
    tier: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    validated_on: Mapped[date | None] = mapped_column(Date)
    reassessment_due: Mapped[date] = mapped_column(Date)
    # The due date already announced to the holder (announced once per due date).
    reassessment_announced_for: Mapped[date | None] = mapped_column(Date)
    application_id: Mapped[int | None] = mapped_column(Integer)
    recorded_by_hand: Mapped[bool] = mapped_column(Boolean, default=False)
    # The holder agrees that partner administrations receive its AEO status.
    consent_to_share: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_on: Mapped[date | None] = mapped_column(Date)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    granted_by: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AeoCertificateChange(Base):
    """One step in a certificate's life (granted, suspended, reinstated, revoked, expired,
    reassessed), with its date and reason: what partners are told and the officer reads."""

    __tablename__ = "aeo_certificate_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("aeo_certificate.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class PartnerAdministration(Base):
    """A foreign customs administration the country exchanges AEO data with."""

    __tablename__ = "aeo_partner"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MutualRecognition(Base):
    """A mutual recognition arrangement with a partner: which operator roles it covers, which
    benefits it grants their AEOs here, and when it is in force."""

    __tablename__ = "aeo_mra"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("aeo_partner.id"), index=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    operator_roles: Mapped[list[str]] = mapped_column(JSONType)
    benefits: Mapped[list[str]] = mapped_column(JSONType)
    in_force_from: Mapped[date] = mapped_column(Date)
    in_force_until: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PartnerOperator(Base):
    """A partner administration's AEO, as its status list last told us."""

    __tablename__ = "aeo_partner_operator"
    __table_args__ = (UniqueConstraint("partner_id", "identifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("aeo_partner.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12))
    tier: Mapped[str] = mapped_column(String(10))
    validated_on: Mapped[date | None] = mapped_column(Date)
    suspended_on: Mapped[date | None] = mapped_column(Date)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    message_id: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PartnerStatusMessage(Base):
    """A partner's status list applied once: a replay of its message id changes nothing."""

    __tablename__ = "aeo_partner_status_message"
    __table_args__ = (UniqueConstraint("partner_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("aeo_partner.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(100))
    full: Mapped[bool] = mapped_column(Boolean)
    # {"created": n, "updated": n, "unchanged": n, "withdrawn": n}
    counts: Mapped[dict[str, int]] = mapped_column(JSONType)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
