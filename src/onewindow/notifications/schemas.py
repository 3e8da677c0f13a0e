"""Shapes of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    topic: str
    subject_type: str
    subject_id: str
    title: str
    body: str
    link: str | None = Field(description="Where the portal shows the subject, if it does")
    occurred_at: datetime
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    unread_count: int = Field(description="Unread notifications of your organisation, in all")
    items: list[NotificationOut] = Field(description="Newest first")


class MarkedRead(BaseModel):
    marked: int = Field(description="How many notifications were unread and are now read")


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=2000,
        description=(
            "Where events are POSTed: http or https, without credentials, at a public address "
            "(internal addresses only where a single window administrator allowed the host)"
        ),
        examples=["https://broker.example/onewindow/events"],
    )
    topics: list[Annotated[str, Field(max_length=100)]] = Field(
        min_length=1,
        max_length=20,
        description="Topic prefixes to receive: 'declaration.' receives every declaration event",
        examples=[["declaration."]],
    )


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    topics: list[str]
    active: bool
    created_at: datetime


class CreatedWebhook(WebhookOut):
    secret: str = Field(
        description=(
            "The signing secret: shown this once only. Each delivery carries "
            "X-Onewindow-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<body>'>"
        )
    )


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: str
    topic: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None = Field(
        description="The receiver's HTTP status, 'no answer' or 'target not allowed'"
    )
    created_at: datetime
    delivered_at: datetime | None


class AllowedHostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(
        max_length=300,
        description="A host name or an IP address, as webhook URLs name it",
        examples=["receiver.customs.internal"],
    )
    reason: str = Field(min_length=1, max_length=500, description="Why webhooks may reach it")


class AllowedHostOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    host: str
    reason: str
    allowed_by: str
    created_at: datetime
