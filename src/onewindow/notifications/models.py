"""Tables of the notifications domain: portal notifications, webhook subscriptions, deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.db import Base, JSONType, UTCDateTime


def _own_thread(context: Any) -> str:
    """A notification written without a group joins its own subject's."""
    values = context.get_current_parameters()
    return f"{values['subject_type']}:{values['subject_id']}"[:150]


class Notification(Base):
    """What an organisation is told in the portal about one event: once per event and party."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_organisation_newest", "organisation_id", "id"),
        Index("ix_notification_organisation_unread", "organisation_id", "read_at"),
        Index("ix_notification_organisation_thread", "organisation_id", "thread"),
        UniqueConstraint("event_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign key: a notification must never make an event undeliverable.
    organisation_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(String(36))
    topic: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    # The group it is shown in (``declaration:17``, its payments' events included) and the
    # group's heading as a person reads it ("Declaration 26GB000000000017").
    thread: Mapped[str] = mapped_column(String(150), default=_own_thread)
    subject_label: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookSubscription(Base):
    """An organisation's system that wants events POSTed to it, signed with a shared secret."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    topics: Mapped[list[str]] = mapped_column(JSONType)
    # Kept in clear: the sender needs it to sign every delivery.
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def wants(self, topic: str) -> bool:
        """Whether ``topic`` starts with one of the subscribed prefixes.

        >>> WebhookSubscription(topics=["declaration."]).wants("declaration.released")
        True
        >>> WebhookSubscription(topics=["declaration."]).wants("payment.received")
        False
        """
        return any(topic.startswith(prefix) for prefix in self.topics)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(Base):
    """One event on its way to one subscription, with its attempts."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(36))
    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAllowedHost(Base):
    """A host that webhooks may reach although it is not public, as an administrator allowed.

    Without an entry here, webhooks go to public addresses only; a local receiver of a demo or a
    partner reached over a private link needs one.
    """

    __tablename__ = "webhook_allowed_host"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Lower case, without port or brackets: as urlsplit() gives a URL's hostname.
    host: Mapped[str] = mapped_column(String(253), unique=True)
    reason: Mapped[str] = mapped_column(String(500))
    allowed_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
