"""The notifications domain's door: what organisations are told about events, and how.

Two outbox consumers turn every event that concerns an organisation into a portal
:class:`Notification` and into one :class:`WebhookDelivery` per matching subscription. A worker
POSTs due deliveries, signed with the subscription's secret, and retries failures with exponential
backoff. Services flush; the caller's boundary commits.

Webhooks go to public addresses only (checked when subscribing and again at every delivery, on
the very address connected to), unless an administrator allowed the host: a subscriber must not
be able to make the single window probe its own network.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
import socket
from collections.abc import Collection, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from sqlalchemy import CursorResult, case, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from onewindow import __version__, audit, events
from onewindow.config import get_settings
from onewindow.db import engine_for, is_postgres, session_scope, utcnow
from onewindow.declarations import service as declarations
from onewindow.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from onewindow.events import Event
from onewindow.notifications.messages import compose, subject_name
from onewindow.notifications.models import (
    DeliveryStatus,
    Notification,
    WebhookAllowedHost,
    WebhookDelivery,
    WebhookSubscription,
)
from onewindow.security import Principal, new_token

log = logging.getLogger(__name__)

PORTAL_CONSUMER = "notifications.portal"
WEBHOOK_CONSUMER = "notifications.webhooks"

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
DELIVERY_TIMEOUT_S = 10.0
SIGNATURE_TOLERANCE_S = 300
MAX_SUBSCRIPTIONS = 20
MAX_TOPICS = 20
TOPIC_LENGTH = 100
URL_LENGTH = 2000
USER_AGENT = f"onewindow-webhooks/{__version__}"

TARGET_NOT_ALLOWED = "target not allowed"
NO_ANSWER = "no answer"
"""What a subscriber is told of a failed delivery besides the HTTP status: nothing more, so that
the delivery log says nothing about what listens where."""

SIGNATURE_HEADER = "X-Onewindow-Signature"
EVENT_HEADER = "X-Onewindow-Event"
DELIVERY_HEADER = "X-Onewindow-Delivery"


# Consumers -------------------------------------------------------------------------------------


def recipients(session: Session, event: Event) -> list[int]:
    """The organisations an event is told to, each once: its own organisation and, for a
    declaration's own events, every registered party the declaration names (the importer a
    broker lodged for, the representative). Events of other domains about a declaration (the
    terminal told of a release) go to their organisation only."""
    told = [event.organisation_id] if event.organisation_id is not None else []
    if event.subject_type == "declaration" and event.topic.startswith("declaration."):
        declaration = (
            declarations.find(session, int(event.subject_id))
            if str(event.subject_id).isdigit()
            else None
        )
        if declaration is not None:
            told += sorted(declarations.parties_of(session, declaration).values())
    return list(dict.fromkeys(told))


def notify_portal(session: Session, event: Event) -> None:
    """Write the portal notification of an event for each organisation it concerns, once per
    event and organisation (a redelivered event adds nothing).

    Events without an organisation concern nobody in particular and are passed over.
    """
    if event.organisation_id is None:
        return
    done = set(
        session.scalars(
            select(Notification.organisation_id).where(Notification.event_id == event.id)
        )
    )
    message = compose(event.topic, event.subject_type, event.subject_id, event.payload)
    for organisation_id in recipients(session, event):
        if organisation_id in done:
            continue
        session.add(
            Notification(
                organisation_id=organisation_id,
                event_id=event.id,
                topic=event.topic,
                subject_type=event.subject_type,
                subject_id=event.subject_id,
                title=message.title,
                body=message.body,
                link=message.link,
                subject_label=message.subject or None,
                thread=message.thread,
                occurred_at=event.occurred_at,
                created_at=utcnow(),
            )
        )
    session.flush()


def envelope(event: Event) -> dict[str, Any]:
    """The JSON document a webhook receiver gets for an event."""
    return {
        "id": event.id,
        "topic": event.topic,
        "occurred_at": event.occurred_at.isoformat(),
        "organisation_id": event.organisation_id,
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "data": event.payload,
    }


def queue_webhooks(session: Session, event: Event) -> None:
    """Queue one delivery of the event per active subscription of its organisation that wants it."""
    if event.organisation_id is None:
        return
    subscriptions = session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.organisation_id == event.organisation_id,
            WebhookSubscription.active.is_(True),
        )
    ).all()
    wanted = [s for s in subscriptions if s.wants(event.topic)]
    if not wanted:
        return
    queued = set(
        session.scalars(
            select(WebhookDelivery.subscription_id).where(WebhookDelivery.event_id == event.id)
        )
    )
    now = utcnow()
    document = envelope(event)
    for subscription in wanted:
        if subscription.id in queued:
            continue
        session.add(
            WebhookDelivery(
                subscription_id=subscription.id,
                event_id=event.id,
                topic=event.topic,
                payload=document,
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    session.flush()


def register_consumers() -> None:
    """Subscribe both consumers to every topic; calling it again changes nothing."""
    for name, handle in ((PORTAL_CONSUMER, notify_portal), (WEBHOOK_CONSUMER, queue_webhooks)):
        # A second app in the same process finds them subscribed already: the first one stands.
        with suppress(ValueError):
            events.subscribe(name, "", handle)


# Portal notifications --------------------------------------------------------------------------


def list_notifications(
    session: Session,
    principal: Principal,
    *,
    limit: int = 50,
    before_id: int | None = None,
    unread_only: bool = False,
) -> Sequence[Notification]:
    """The principal's organisation's notifications, newest first, a page at a time."""
    query = select(Notification).where(Notification.organisation_id == principal.organisation_id)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return session.scalars(query.order_by(Notification.id.desc()).limit(limit)).all()


def _unread_query(organisation_id: int) -> Select[int]:
    return (
        select(func.count(Notification.id))
        .where(Notification.organisation_id == organisation_id)
        .where(Notification.read_at.is_(None))
    )


def unread_count(session: Session, principal: Principal) -> int:
    """How many of the organisation's notifications nobody has marked read."""
    return session.scalar(_unread_query(principal.organisation_id)) or 0


def peek_unread_count(database_url: str, organisation_id: int) -> int | None:
    """The unread count read on a connection of its own, outside any transaction; None on failure.

    For the page header: the request's unit of work may hold SQLite's write lock, which a second
    transaction would wait for, while a plain read is never blocked.
    """
    engine = engine_for(database_url)
    # The only value is an int of our own principal, so inlining it is safe.
    sql = str(
        _unread_query(int(organisation_id)).compile(
            dialect=engine.dialect, compile_kwargs={"literal_binds": True}
        )
    )
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            row = cursor.fetchone()
            cursor.close()
        finally:
            connection.close()
    except Exception as exc:  # a header count must never break the page it sits on
        log.warning("unread notifications could not be counted: %s", exc)
        return None
    return int(row[0]) if row else 0


def mark_read(session: Session, principal: Principal, notification_id: int) -> Notification:
    """Mark one of the organisation's notifications read (again, harmlessly)."""
    row = session.get(Notification, notification_id)
    if row is None or row.organisation_id != principal.organisation_id:
        raise NotFound(f"No notification {notification_id}.")
    if row.read_at is None:
        row.read_at = utcnow()
        session.flush()
    return row


def mark_all_read(session: Session, principal: Principal) -> int:
    """Mark every unread notification of the organisation read; return how many were."""
    result = session.execute(
        update(Notification)
        .where(Notification.organisation_id == principal.organisation_id)
        .where(Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return cast(CursorResult[Any], result).rowcount


@dataclass(frozen=True)
class NotificationGroup:
    """The notifications of one subject (a declaration with its payments, a manifest, ...),
    newest first."""

    thread: str
    label: str
    link: str | None
    unread: int
    total: int
    notifications: list[Notification]


GROUP_SHOWN = 50
"""At most this many notifications of one subject are shown in its group (the newest)."""


def _heading(thread: str, shown: Sequence[Notification]) -> tuple[str, str | None]:
    """A group's heading and link: its newest notification that names the subject."""
    for row in shown:
        if row.subject_label:
            return row.subject_label, row.link
    kind, _, subject_id = thread.partition(":")
    return subject_name(kind, subject_id), shown[0].link if shown else None


def notification_groups(
    session: Session, principal: Principal, *, page: int = 1, page_size: int = 20
) -> tuple[list[NotificationGroup], bool]:
    """One page of the organisation's notifications grouped by subject, the subject with the
    newest notification first; and whether a next page exists."""
    page = max(page, 1)
    mine = Notification.organisation_id == principal.organisation_id
    latest = func.max(Notification.id)
    unread = func.sum(case((Notification.read_at.is_(None), 1), else_=0))
    rows = session.execute(
        select(Notification.thread, latest, func.count(Notification.id), unread)
        .where(mine)
        .group_by(Notification.thread)
        .order_by(latest.desc())
        .limit(page_size + 1)
        .offset((page - 1) * page_size)
    ).all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    if not rows:
        return [], False
    found: dict[str, list[Notification]] = {r[0]: [] for r in rows}
    for row in session.scalars(
        select(Notification)
        .where(mine, Notification.thread.in_(list(found)))
        .order_by(Notification.id.desc())
    ):
        if len(found[row.thread]) < GROUP_SHOWN:
            found[row.thread].append(row)
    groups = []
    for thread, _, total, unread_count in rows:
        label, link = _heading(thread, found[thread])
        kind, _, subject_id = thread.partition(":")
        if kind == "declaration":
            link = f"/declarations/{subject_id}"
        groups.append(
            NotificationGroup(
                thread=thread,
                label=label,
                link=link,
                unread=int(unread_count or 0),
                total=int(total),
                notifications=found[thread],
            )
        )
    return groups, more


def mark_thread_read(session: Session, principal: Principal, thread: str) -> int:
    """Mark every unread notification of one group (a declaration's, say) read; return how
    many were."""
    result = session.execute(
        update(Notification)
        .where(Notification.organisation_id == principal.organisation_id)
        .where(Notification.thread == thread)
        .where(Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return cast(CursorResult[Any], result).rowcount


# Webhook subscriptions -------------------------------------------------------------------------


def check_webhook_url(url: str) -> str:
    """The URL, trimmed, if an http or https URL without credentials; a ValueError says why not.

    >>> check_webhook_url(" https://broker.example/hooks?system=7 ")
    'https://broker.example/hooks?system=7'
    >>> check_webhook_url("https://user:secret@broker.example/hooks")
    Traceback (most recent call last):
    ...
    ValueError: must not carry a user name or password
    """
    url = url.strip()
    if not url:
        raise ValueError("must not be empty")
    if len(url) > URL_LENGTH:
        raise ValueError(f"must be at most {URL_LENGTH} characters long")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise ValueError("must not contain spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValueError("must be an http or https URL")
    if "@" in parts.netloc:
        raise ValueError("must not carry a user name or password")
    if not parts.hostname:
        raise ValueError("must name a host")
    try:
        _ = parts.port  # parsing the port is the check
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        raise ValueError(f"is not a valid URL: {exc}") from None
    return url


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(ValueError):
    """A webhook target that the single window will not connect to; the message says why."""


def refused_address(address: IPAddress) -> str | None:
    """Why a webhook may not connect to ``address``, or None for a public unicast address.

    >>> refused_address(ipaddress.ip_address("93.184.216.34")) is None
    True
    >>> refused_address(ipaddress.ip_address("169.254.169.254"))
    'a link-local address'
    >>> refused_address(ipaddress.ip_address("::ffff:10.0.0.1"))
    'a private address'
    """
    # IPv6 forms that carry an IPv4 address are judged by the IPv4 address they reach.
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return refused_address(address.ipv4_mapped)
        if address.sixtofour is not None:
            return refused_address(address.sixtofour)
        if address in _NAT64:
            return refused_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` names (a literal address names itself); OSError when none."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    found: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        # An IPv6 scope ("fe80::1%eth0") is not part of the address.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise OSError(f"{host} has no address")
    return found


def _host_and_port(url: str) -> tuple[str, int]:
    # Parsed as the HTTP client parses it: the host checked is the host connected to.
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise TargetRefused("is not a valid URL") from None
    return parsed.host.rstrip("."), parsed.port or (443 if parsed.scheme == "https" else 80)


def _host_allowed(url: str, allowed: Collection[str]) -> bool:
    try:
        return _host_and_port(url)[0] in allowed
    except TargetRefused:
        return False


def checked_addresses(url: str, allowed: Collection[str] = ()) -> list[IPAddress]:
    """The addresses a delivery to ``url`` may connect to: every one its host resolves to.

    Raises :class:`TargetRefused` when any of them is not public (a name that resolves to one
    internal address among public ones is refused too), and OSError when the name does not
    resolve. A host in ``allowed`` is not checked, and the answer is empty: connect by name.
    """
    host, port = _host_and_port(url)
    if host in allowed:
        return []
    addresses = resolve(host, port)
    for address in addresses:
        problem = refused_address(address)
        if problem is not None:
            raise TargetRefused(f"must not point at an internal address: {address} is {problem}")
    return addresses


def check_webhook_target(session: Session, url: str) -> None:
    """Refuse (:class:`TargetRefused`) a URL whose host is not public nor allowed, or unknown."""
    try:
        checked_addresses(url, allowed_hosts(session))
    except OSError:
        raise TargetRefused("names a host that cannot be resolved") from None


def _check_topics(topics: Sequence[str], errors: list[FieldError]) -> list[str]:
    if not topics:
        errors.append(FieldError("/topics", "give at least one topic prefix, e.g. 'declaration.'"))
    if len(topics) > MAX_TOPICS:
        errors.append(FieldError("/topics", f"give at most {MAX_TOPICS} topic prefixes"))
    clean = []
    for i, topic in enumerate(topics):
        if not isinstance(topic, str) or not topic.strip():
            errors.append(FieldError(f"/topics/{i}", "must be a non-empty string"))
        elif len(topic.strip()) > TOPIC_LENGTH:
            errors.append(FieldError(f"/topics/{i}", f"must be at most {TOPIC_LENGTH} characters"))
        else:
            clean.append(topic.strip())
    return sorted(set(clean))


def create_subscription(
    session: Session, principal: Principal, *, url: str, topics: Sequence[str]
) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL of the organisation to topic prefixes; the signing secret is returned once.

    The URL's host must resolve to public addresses only, unless an administrator allowed it.
    Every invalid field is reported at once.
    """
    errors: list[FieldError] = []
    try:
        url = check_webhook_url(url)
        check_webhook_target(session, url)
    except ValueError as exc:
        errors.append(FieldError("/url", str(exc)))
    prefixes = _check_topics(topics, errors)
    if errors:
        raise InvalidInput("The webhook cannot be subscribed.", errors)
    count = session.scalar(
        select(func.count(WebhookSubscription.id)).where(
            WebhookSubscription.organisation_id == principal.organisation_id
        )
    )
    if (count or 0) >= MAX_SUBSCRIPTIONS:
        raise Conflict(f"An organisation can hold at most {MAX_SUBSCRIPTIONS} webhooks.")
    secret = new_token("whsec_")
    subscription = WebhookSubscription(
        organisation_id=principal.organisation_id,
        url=url,
        topics=prefixes,
        secret=secret,
        active=True,
        created_at=utcnow(),
    )
    session.add(subscription)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.subscribed",
        subject_type="webhook_subscription",
        subject_id=subscription.id,
        organisation_id=principal.organisation_id,
        data={"url": url, "topics": prefixes},
    )
    return subscription, secret


def list_subscriptions(session: Session, principal: Principal) -> Sequence[WebhookSubscription]:
    """The organisation's webhook subscriptions, oldest first."""
    return session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.organisation_id == principal.organisation_id)
        .order_by(WebhookSubscription.id)
    ).all()


def get_subscription(
    session: Session, principal: Principal, subscription_id: int
) -> WebhookSubscription:
    """One of the organisation's subscriptions; another's is not found."""
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or row.organisation_id != principal.organisation_id:
        raise NotFound(f"No webhook {subscription_id}.")
    return row


def delete_subscription(session: Session, principal: Principal, subscription_id: int) -> None:
    """Remove a subscription and its deliveries: nothing more is sent to it."""
    row = get_subscription(session, principal, subscription_id)
    audit.record(
        session,
        actor=principal.actor,
        action="webhook.deleted",
        subject_type="webhook_subscription",
        subject_id=row.id,
        organisation_id=principal.organisation_id,
        data={"url": row.url, "topics": row.topics},
    )
    session.delete(row)
    session.flush()


def list_deliveries(
    session: Session,
    principal: Principal,
    subscription_id: int,
    *,
    limit: int = 100,
    before_id: int | None = None,
) -> Sequence[WebhookDelivery]:
    """The deliveries of one of the organisation's subscriptions, newest first."""
    get_subscription(session, principal, subscription_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    return session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)).all()


# Hosts allowed although not public ---------------------------------------------------------------

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def check_allowed_host(host: str) -> str:
    """The host as URLs name it (lower case, no brackets, no final dot), or a ValueError.

    >>> check_allowed_host(" Receiver.Internal. ")
    'receiver.internal'
    >>> check_allowed_host("[::1]")
    '::1'
    >>> check_allowed_host("http://10.0.0.5:8080/")
    Traceback (most recent call last):
    ...
    ValueError: must be a host name or an IP address alone, without scheme, port or path
    """
    value = host.strip().lower().rstrip(".")
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    labels = value.split(".")
    if not value or len(value) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError("must be a host name or an IP address alone, without scheme, port or path")
    return value


def _require_administrator(principal: Principal) -> None:
    if not principal.is_administrator:
        raise Forbidden("Only single window administrators decide which hosts webhooks may reach.")


def allowed_hosts(session: Session) -> frozenset[str]:
    """The hosts webhooks may reach whatever their addresses are."""
    return frozenset(session.scalars(select(WebhookAllowedHost.host)))


def list_allowed_hosts(session: Session, principal: Principal) -> Sequence[WebhookAllowedHost]:
    """The allow-list, by host (administrators only)."""
    _require_administrator(principal)
    return session.scalars(select(WebhookAllowedHost).order_by(WebhookAllowedHost.host)).all()


def allow_host(
    session: Session, principal: Principal, *, host: str, reason: str
) -> WebhookAllowedHost:
    """Let webhooks reach ``host`` even at an internal address (administrators only; audited)."""
    _require_administrator(principal)
    errors: list[FieldError] = []
    try:
        host = check_allowed_host(host)
    except ValueError as exc:
        errors.append(FieldError("/host", str(exc)))
    if not reason.strip():
        errors.append(FieldError("/reason", "say why webhooks may reach this host"))
    if errors:
        raise InvalidInput("The host cannot be allowed.", errors)
    if session.scalar(select(WebhookAllowedHost.id).where(WebhookAllowedHost.host == host)):
        raise Conflict(f"Webhooks may already reach {host}.")
    row = WebhookAllowedHost(
        host=host, reason=reason.strip(), allowed_by=principal.actor, created_at=utcnow()
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="webhook_host.allowed",
        subject_type="webhook_allowed_host",
        subject_id=row.id,
        organisation_id=principal.organisation_id,
        reason=row.reason,
        data={"host": host},
    )
    return row


def disallow_host(session: Session, principal: Principal, entry_id: int) -> None:
    """Take a host off the allow-list: deliveries to it are checked like any other from now on."""
    _require_administrator(principal)
    row = session.get(WebhookAllowedHost, entry_id)
    if row is None:
        raise NotFound(f"No allowed host {entry_id}.")
    audit.record(
        session,
        actor=principal.actor,
        action="webhook_host.disallowed",
        subject_type="webhook_allowed_host",
        subject_id=row.id,
        organisation_id=principal.organisation_id,
        data={"host": row.host},
    )
    session.delete(row)
    session.flush()


# Signatures ------------------------------------------------------------------------------------


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header of ``body`` sent at ``timestamp`` (Unix seconds).

    The MAC covers ``"<timestamp>.<body>"``, so a receiver can refuse an old message replayed.

    >>> sign("whsec_test", b'{"id":"1"}', 1700000000)[:13]
    't=1700000000,'
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance_s: int = SIGNATURE_TOLERANCE_S,
    now: datetime | None = None,
) -> bool:
    """Whether ``header`` signs exactly ``body`` with ``secret``, within ``tolerance_s`` of now.

    For receivers: a body altered, another secret, a malformed header or a timestamp too far from
    now (a replay) all give False.

    >>> from datetime import UTC
    >>> header = sign("whsec_test", b"{}", 1700000000)
    >>> verify_signature("whsec_test", header, b"{}", now=datetime.fromtimestamp(1700000060, UTC))
    True
    >>> verify_signature("whsec_test", header, b"{}", now=datetime.fromtimestamp(1700000301, UTC))
    False
    """
    timestamp: str | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            candidates.append(value)
    if not timestamp or not (timestamp.isascii() and timestamp.isdigit()) or not candidates:
        return False
    sent_at = int(timestamp)
    current = (now or utcnow()).timestamp()
    if abs(current - sent_at) > tolerance_s:
        return False
    expected = sign(secret, body, sent_at).split("v1=", 1)[1].encode()
    return any(hmac.compare_digest(expected, c.encode()) for c in candidates)


# Delivery --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    """What one POST needs, copied out of the database so it can run outside a transaction."""

    delivery_id: int
    url: str
    secret: str
    topic: str
    body: bytes
    host_allowed: bool


@dataclass(frozen=True)
class _Outcome:
    delivery_id: int
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts: doubling from 30 s, at most an hour.

    >>> [int(retry_delay(n).total_seconds()) for n in (1, 2, 3, 7, 8, 9)]
    [30, 60, 120, 1920, 3600, 3600]
    """
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def _body(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _claim(session: Session, limit: int) -> list[_Attempt]:
    now = utcnow()
    query = (
        select(WebhookDelivery, WebhookSubscription)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING.value)
        .where(WebhookDelivery.next_attempt_at <= now)
        .where(WebhookSubscription.active.is_(True))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    # A lease: another worker skips these until the batch has surely been sent or abandoned.
    lease_until = now + timedelta(seconds=DELIVERY_TIMEOUT_S * limit + 60)
    allowed = allowed_hosts(session)
    attempts = []
    for delivery, subscription in session.execute(query):
        delivery.next_attempt_at = lease_until
        attempts.append(
            _Attempt(
                delivery.id,
                subscription.url,
                subscription.secret,
                delivery.topic,
                _body(delivery.payload),
                _host_allowed(subscription.url, allowed),
            )
        )
    session.flush()
    return attempts


def pinned_request(url: str, address: IPAddress) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(URL, headers, httpx extensions) that reach ``url``'s server at ``address``, and only there.

    The host name stays in the Host header and in TLS (SNI and certificate check), so the
    receiver sees the request it expects while the name is not resolved a second time.

    >>> url, headers, extensions = pinned_request(
    ...     "https://hooks.example:8443/in", ipaddress.ip_address("93.184.216.34")
    ... )
    >>> url
    'https://93.184.216.34:8443/in'
    >>> headers, extensions
    ({'Host': 'hooks.example:8443'}, {'sni_hostname': 'hooks.example'})
    """
    parsed = httpx.URL(url)
    pinned = str(parsed.copy_with(host=str(address)))
    extensions: dict[str, Any] = {}
    if parsed.scheme == "https":
        extensions["sni_hostname"] = parsed.host
    return pinned, {"Host": parsed.netloc.decode("ascii")}, extensions


def _send(client: httpx.Client, attempt: _Attempt) -> _Outcome:
    url = attempt.url
    extra_headers: dict[str, str] = {}
    extensions: dict[str, Any] = {}
    if not attempt.host_allowed:
        # Resolved again at every delivery: the name may have been re-pointed since.
        try:
            addresses = checked_addresses(attempt.url)
        except TargetRefused as exc:
            log.warning("webhook delivery %s refused: %s", attempt.delivery_id, exc)
            return _Outcome(attempt.delivery_id, None, TARGET_NOT_ALLOWED)
        except OSError as exc:
            log.info("webhook delivery %s: %s", attempt.delivery_id, exc)
            return _Outcome(attempt.delivery_id, None, NO_ANSWER)
        url, extra_headers, extensions = pinned_request(attempt.url, addresses[0])
    timestamp = int(utcnow().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: attempt.topic,
        DELIVERY_HEADER: str(attempt.delivery_id),
        SIGNATURE_HEADER: sign(attempt.secret, attempt.body, timestamp),
        **extra_headers,
    }
    try:
        # Streamed and never read: only the status matters, whatever a receiver sends back.
        with client.stream(
            "POST",
            url,
            content=attempt.body,
            headers=headers,
            timeout=DELIVERY_TIMEOUT_S,
            follow_redirects=False,
            extensions=extensions,
        ) as response:
            code = response.status_code
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        # The detail (refused, reset, timed out) is for operators only: told to the subscriber,
        # it would map what listens where.
        log.info("webhook delivery %s: %s: %s", attempt.delivery_id, type(exc).__name__, exc)
        return _Outcome(attempt.delivery_id, None, NO_ANSWER)
    error = None if 200 <= code < 300 else f"the receiver answered HTTP {code}"
    return _Outcome(attempt.delivery_id, code, error)


def _record(session: Session, outcomes: Sequence[_Outcome]) -> int:
    delivered = 0
    now = utcnow()
    for outcome in outcomes:
        row = session.get(WebhookDelivery, outcome.delivery_id)
        if row is None or row.status != DeliveryStatus.PENDING.value:
            continue  # the subscription was deleted meanwhile
        row.attempts += 1
        row.last_status_code = outcome.status_code
        if outcome.ok:
            row.status = DeliveryStatus.DELIVERED.value
            row.delivered_at = now
            row.last_error = None
            delivered += 1
            continue
        row.last_error = outcome.error
        if row.attempts >= MAX_ATTEMPTS:
            row.status = DeliveryStatus.FAILED.value
            log.warning("webhook delivery %s failed for good: %s", row.id, outcome.error)
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)
    session.flush()
    return delivered


def deliver_webhooks(session: Session, client: httpx.Client, limit: int = 50) -> int:
    """POST up to ``limit`` due deliveries, signed; return how many receivers answered 2xx.

    Anything else (another status, a network error, no answer within 10 s, a host that now
    resolves to an internal address: "target not allowed", never connected to) is retried
    later with :func:`retry_delay`, up to :data:`MAX_ATTEMPTS`, then marked failed. This runs in
    the caller's transaction, held open while receivers answer; :func:`run_webhook_deliveries`
    is not.
    """
    return _record(session, [_send(client, attempt) for attempt in _claim(session, limit)])


def run_webhook_deliveries(database_url: str | None = None, limit: int = 50) -> int:
    """One worker round: deliver due webhooks; return how many receivers answered 2xx.

    Claiming and recording are two short units of work with the POSTs between them, so no
    transaction (on SQLite: the write lock of the whole database) waits on a slow receiver. A
    worker that dies mid-round leaves its claim to expire, and the deliveries go out again.
    """
    url = database_url or get_settings().database_url
    with session_scope(url) as session:
        attempts = _claim(session, limit)
    if not attempts:
        return 0
    with httpx.Client() as client:
        outcomes = [_send(client, attempt) for attempt in attempts]
    with session_scope(url) as session:
        return _record(session, outcomes)
