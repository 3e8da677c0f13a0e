"""HTTP routes of the notifications domain: notifications, webhook subscriptions, deliveries."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from onewindow.deps import Id, PrincipalDep, SessionDep
from onewindow.notifications import service
from onewindow.notifications.schemas import (
    AllowedHostIn,
    AllowedHostOut,
    CreatedWebhook,
    DeliveryOut,
    MarkedRead,
    NotificationOut,
    NotificationPage,
    WebhookIn,
    WebhookOut,
)
from onewindow.parties.service import require_scope

router = APIRouter(prefix="/api/v1", tags=["notifications"])


@router.get("/notifications", response_model=NotificationPage)
def list_notifications(
    session: SessionDep,
    principal: PrincipalDep,
    limit: int = Query(default=50, ge=1, le=200),
    before_id: Id | None = Query(default=None, description="For the next page"),
    unread_only: bool = False,
) -> NotificationPage:
    """Your organisation's notifications, newest first, with the unread count."""
    require_scope(principal, "notifications:read")
    rows = service.list_notifications(
        session, principal, limit=limit, before_id=before_id, unread_only=unread_only
    )
    return NotificationPage(
        unread_count=service.unread_count(session, principal),
        items=[NotificationOut.model_validate(r) for r in rows],
    )


@router.post("/notifications/read-all", response_model=MarkedRead)
def mark_all_read(session: SessionDep, principal: PrincipalDep) -> MarkedRead:
    """Mark every notification of your organisation read."""
    require_scope(principal, "notifications:read")
    return MarkedRead(marked=service.mark_all_read(session, principal))


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def mark_read(notification_id: Id, session: SessionDep, principal: PrincipalDep) -> NotificationOut:
    """Mark one notification read."""
    require_scope(principal, "notifications:read")
    return NotificationOut.model_validate(service.mark_read(session, principal, notification_id))


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(session: SessionDep, principal: PrincipalDep) -> list[WebhookOut]:
    """Your organisation's webhook subscriptions (never their secrets)."""
    require_scope(principal, "notifications:read")
    return [WebhookOut.model_validate(s) for s in service.list_subscriptions(session, principal)]


@router.post("/webhooks", response_model=CreatedWebhook, status_code=201)
def create_webhook(body: WebhookIn, session: SessionDep, principal: PrincipalDep) -> CreatedWebhook:
    """Subscribe a URL to events; the signing secret is in this answer only."""
    require_scope(principal, "webhooks:write")
    subscription, secret = service.create_subscription(
        session, principal, url=body.url, topics=body.topics
    )
    return CreatedWebhook.model_validate(
        {**WebhookOut.model_validate(subscription).model_dump(), "secret": secret}
    )


@router.delete("/webhooks/{subscription_id}", status_code=204, response_class=Response)
def delete_webhook(subscription_id: Id, session: SessionDep, principal: PrincipalDep) -> Response:
    """Unsubscribe: nothing more is sent, and the deliveries' history goes with it."""
    require_scope(principal, "webhooks:write")
    service.delete_subscription(session, principal, subscription_id)
    return Response(status_code=204)


@router.get("/webhooks/{subscription_id}/deliveries", response_model=list[DeliveryOut])
def list_deliveries(
    subscription_id: Id,
    session: SessionDep,
    principal: PrincipalDep,
    limit: int = Query(default=100, ge=1, le=500),
    before_id: Id | None = Query(default=None, description="For the next page"),
) -> list[DeliveryOut]:
    """What was sent to one subscription, newest first, with each attempt's outcome."""
    require_scope(principal, "notifications:read")
    rows = service.list_deliveries(
        session, principal, subscription_id, limit=limit, before_id=before_id
    )
    return [DeliveryOut.model_validate(r) for r in rows]


@router.get("/webhook-allowed-hosts", response_model=list[AllowedHostOut])
def list_allowed_hosts(session: SessionDep, principal: PrincipalDep) -> list[AllowedHostOut]:
    """Hosts that webhooks may reach although not public (single window administrators)."""
    require_scope(principal, "organisations:admin")
    return [
        AllowedHostOut.model_validate(h) for h in service.list_allowed_hosts(session, principal)
    ]


@router.post("/webhook-allowed-hosts", response_model=AllowedHostOut, status_code=201)
def allow_host(body: AllowedHostIn, session: SessionDep, principal: PrincipalDep) -> AllowedHostOut:
    """Let webhooks reach a host at an internal address (single window administrators; audited)."""
    require_scope(principal, "organisations:admin")
    row = service.allow_host(session, principal, host=body.host, reason=body.reason)
    return AllowedHostOut.model_validate(row)


@router.delete("/webhook-allowed-hosts/{entry_id}", status_code=204, response_class=Response)
def disallow_host(entry_id: Id, session: SessionDep, principal: PrincipalDep) -> Response:
    """Take a host off the allow-list (single window administrators; audited)."""
    require_scope(principal, "organisations:admin")
    service.disallow_host(session, principal, entry_id)
    return Response(status_code=204)
