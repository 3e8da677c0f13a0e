"""Tables of the parties domain."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onewindow.db import Base, JSONType, UTCDateTime


class Organisation(Base):
    """A legal person that works in the single window: a trader, a carrier, customs, an agency."""

    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("identifier_scheme", "identifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    identifier_scheme: Mapped[str] = mapped_column(String(10))
    identifier: Mapped[str] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    roles: Mapped[list[OrganisationRole]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role for r in self.roles)


class OrganisationRole(Base):
    """One role an organisation plays (an importer can also be its own broker)."""

    __tablename__ = "organisation_role"
    __table_args__ = (UniqueConstraint("organisation_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))
    organisation: Mapped[Organisation] = relationship(back_populates="roles")


class User(Base):
    """A person who logs in to the portal on behalf of one organisation."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class UserSession(Base):
    """A portal login; the cookie carries the token, the table only its digest."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for a machine client, limited to its scopes; shown once, stored hashed."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    scopes: Mapped[list[str]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Every token expires: a forgotten one in a script stops working by itself.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Mandate(Base):
    """A company's authority for a representative to lodge in its name (direct or indirect).

    Granted and revoked by the represented company; limited to flows (import, export, transit)
    and requested procedures (two-digit codes) when those lists are not empty, and to its dates.
    """

    __tablename__ = "mandate"
    __table_args__ = (Index("ix_mandate_parties", "representative_id", "represented_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    represented_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    representation: Mapped[str] = mapped_column(String(10))
    flows: Mapped[list[str]] = mapped_column(JSONType)
    procedures: Mapped[list[str]] = mapped_column(JSONType)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    granted_by: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    represented: Mapped[Organisation] = relationship(foreign_keys=[represented_id], lazy="joined")
    representative: Mapped[Organisation] = relationship(
        foreign_keys=[representative_id], lazy="joined"
    )


class LoginFailure(Base):
    """One failed login: from which source, for which e-mail, when; what throttling counts.

    The e-mail is kept as a digest only (a password typed into the wrong field must not be kept
    in clear), and for every address tried, whether or not an account has it. Rows older than
    the throttling window are pruned.
    """

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_source_email", "source", "email_digest", "failed_at"),
        Index("ix_login_failure_source", "source", "failed_at"),
        Index("ix_login_failure_failed_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The client's IPv4 address, or its IPv6 /64 (one subscriber's share of addresses).
    source: Mapped[str] = mapped_column(String(64))
    email_digest: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
