"""Notifications and webhooks: every event told once, to its organisation only, signed."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from onewindow import events
from onewindow.db import session_scope, utcnow
from onewindow.errors import InvalidInput, NotFound
from onewindow.events import Event, EventReceipt, OutboxEvent
from onewindow.notifications import service
from onewindow.notifications.messages import TEMPLATES, compose
from onewindow.notifications.models import Notification, WebhookDelivery
from onewindow.security import Principal
from tests.conftest import Party
from tests.notifications import Receiver, drain, fake_dns, principal_of, receiving


@pytest.fixture(autouse=True)
def consumers() -> None:
    service.register_consumers()


def _record(party: Party, topic: str, payload: dict[str, object] | None = None) -> str:
    with session_scope() as session:
        return events.record_event(
            session, topic, "declaration", 42, payload or {}, organisation_id=party.org_id
        ).id


def _notifications(principal: Principal) -> list[Notification]:
    with session_scope() as session:
        return list(service.list_notifications(session, principal, limit=200))


class TestPortalNotifications:
    def test_an_event_is_told_to_its_organisation_only(
        self, party: Party, other_party: Party
    ) -> None:
        event_id = _record(party, "declaration.released", {"number": "24GB000000000042"})
        drain()
        mine = [n for n in _notifications(principal_of(party)) if n.event_id == event_id]
        assert len(mine) == 1
        assert mine[0].title == "Declaration 24GB000000000042 released"
        assert mine[0].link == "/declarations/42"
        assert mine[0].read_at is None
        theirs = _notifications(principal_of(other_party))
        assert all(n.event_id != event_id for n in theirs)

    def test_a_redelivered_event_is_told_once(self, party: Party) -> None:
        event_id = _record(party, "declaration.accepted", {"number": "R1"})
        drain()
        # A worker that died after the consumers ran but before it marked the event delivered,
        # and lost the receipts too: the notification's own uniqueness still holds.
        with session_scope() as session:
            row = session.get(OutboxEvent, event_id)
            assert row is not None
            row.delivered_at = None
            for receipt in session.scalars(
                select(EventReceipt).where(EventReceipt.event_id == event_id)
            ):
                session.delete(receipt)
        drain()
        with session_scope() as session:
            count = session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.event_id == event_id,
                    Notification.organisation_id == party.org_id,
                )
            )
        assert count == 1

    def test_an_event_without_an_organisation_is_told_to_nobody(self) -> None:
        with session_scope() as session:
            event_id = events.record_event(session, "declaration.accepted", "declaration", 7).id
        drain()
        with session_scope() as session:
            found = session.scalar(select(Notification.id).where(Notification.event_id == event_id))
        assert found is None

    def test_read_marks_are_scoped_to_the_organisation(
        self, party: Party, other_party: Party
    ) -> None:
        _record(party, "declaration.assessed")
        _record(party, "declaration.paid")
        drain()
        me, them = principal_of(party), principal_of(other_party)
        first = _notifications(me)[0]
        with pytest.raises(NotFound), session_scope() as session:
            service.mark_read(session, them, first.id)
        with session_scope() as session:
            assert service.mark_read(session, me, first.id).read_at is not None
            unread = service.unread_count(session, me)
            assert unread == 2  # its registration and the two recorded, one of them read
            theirs_before = service.unread_count(session, them)
        with session_scope() as session:
            assert service.mark_all_read(session, me) == unread
            assert service.unread_count(session, me) == 0
            assert service.unread_count(session, them) == theirs_before

    def test_the_header_count_reads_beside_an_open_write(self, party: Party) -> None:
        _record(party, "declaration.lodged")
        drain()
        me = principal_of(party)
        with session_scope() as session:
            expected = service.unread_count(session, me)
            # The request's unit of work holds the write lock; the header count must not wait.
            session.add(
                Notification(
                    organisation_id=party.org_id,
                    event_id=str(uuid.uuid4()),
                    topic="test.uncommitted",
                    subject_type="test",
                    subject_id="1",
                    title="t",
                    body="b",
                    occurred_at=utcnow(),
                    created_at=utcnow(),
                )
            )
            session.flush()
            database_url = str(session.get_bind().engine.url)
            assert service.peek_unread_count(database_url, party.org_id) == expected


class TestMessages:
    @pytest.mark.parametrize("topic", sorted(TEMPLATES))
    def test_every_template_is_filled(self, topic: str) -> None:
        message = compose(topic, "declaration", "9", {"number": "N-9"})
        assert "{" not in message.title and "{" not in message.body
        if "{number}" in TEMPLATES[topic][0]:
            assert "N-9" in message.title

    def test_an_unknown_topic_gets_a_generic_sentence(self) -> None:
        message = compose("cargo.gated_out", "container", "MSCU1234565", {})
        assert message.title == "Container MSCU1234565: gated out"
        assert "cargo.gated_out" in message.body
        assert message.link == "/cargo/track?q=MSCU1234565"

    def test_details_of_the_payload_are_told(self) -> None:
        message = compose(
            "declaration.payment_requested",
            "declaration",
            "3",
            {"amount": "1234.50", "currency": "GBP", "reason": "duty and VAT"},
        )
        assert "Amount: GBP 1,234.50." in message.body
        assert "Reason: duty and VAT." in message.body

    def test_a_link_never_leaves_the_portal(self) -> None:
        outside = compose("x.y", "thing", "1", {"portal_path": "//evil.example/"})
        inside = compose("x.y", "thing", "1", {"portal_path": "/permits/5"})
        assert outside.link is None
        assert inside.link == "/permits/5"


class TestSubscriptions:
    @pytest.mark.parametrize(
        ("url", "problem"),
        [
            ("ftp://broker.example/hooks", "http or https"),
            ("https://user:pw@broker.example/hooks", "user name or password"),
            ("https:///hooks", "must name a host"),
            ("https://broker.example:99999/hooks", "not a valid URL"),
            ("https://broker.example/a b", "spaces"),
            ("", "must not be empty"),
        ],
    )
    def test_a_bad_url_is_refused_with_its_reason(
        self, party: Party, url: str, problem: str
    ) -> None:
        with pytest.raises(InvalidInput) as caught, session_scope() as session:
            service.create_subscription(
                session, principal_of(party), url=url, topics=["declaration."]
            )
        [error] = caught.value.errors
        assert error.pointer == "/url" and problem in error.detail

    def test_every_bad_field_is_reported_at_once(self, party: Party) -> None:
        with pytest.raises(InvalidInput) as caught, session_scope() as session:
            service.create_subscription(
                session, principal_of(party), url="mailto:x@example.com", topics=["ok.", " "]
            )
        assert {e.pointer for e in caught.value.errors} == {"/url", "/topics/1"}


# Webhook delivery ------------------------------------------------------------------------------


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


def _subscribe(party: Party, url: str, topics: list[str] | None = None) -> tuple[int, str]:
    with session_scope() as session:
        subscription, secret = service.create_subscription(
            session, principal_of(party), url=url, topics=topics or ["declaration."]
        )
        return subscription.id, secret


def _unsubscribe(party: Party, subscription_id: int) -> None:
    with session_scope() as session:
        service.delete_subscription(session, principal_of(party), subscription_id)


def _deliveries(party: Party, subscription_id: int) -> list[WebhookDelivery]:
    with session_scope() as session:
        return list(service.list_deliveries(session, principal_of(party), subscription_id))


def _deliver() -> int:
    with session_scope() as session, httpx.Client() as client:
        return service.deliver_webhooks(session, client)


def _make_due(delivery_id: int) -> None:
    with session_scope() as session:
        row = session.get(WebhookDelivery, delivery_id)
        assert row is not None
        row.next_attempt_at = utcnow() - timedelta(seconds=1)


class TestWebhookDelivery:
    def test_the_event_arrives_signed(self, party: Party, receiver: Receiver) -> None:
        subscription_id, secret = _subscribe(party, receiver.url)
        try:
            event_id = _record(party, "declaration.released", {"number": "SIGNED-1"})
            drain()
            _deliver()
            [request] = receiver.requests
            [delivery] = _deliveries(party, subscription_id)
            assert request.headers["content-type"] == "application/json"
            assert request.headers["x-onewindow-event"] == "declaration.released"
            assert request.headers["x-onewindow-delivery"] == str(delivery.id)
            document = json.loads(request.body)
            assert document["id"] == event_id
            assert document["topic"] == "declaration.released"
            assert document["subject"] == {"type": "declaration", "id": "42"}
            assert document["data"] == {"number": "SIGNED-1"}
            assert datetime.fromisoformat(document["occurred_at"]).tzinfo is not None
            header = request.headers["x-onewindow-signature"]
            assert service.verify_signature(secret, header, request.body)
            assert not service.verify_signature(secret, header, request.body.replace(b"1", b"2"))
            assert not service.verify_signature("whsec_another", header, request.body)
            sent_at = int(header.split(",")[0].removeprefix("t="))
            later = datetime.fromtimestamp(sent_at + 301, UTC)
            assert not service.verify_signature(secret, header, request.body, now=later)
            assert delivery.status == "delivered" and delivery.attempts == 1
            assert delivery.last_status_code == 204 and delivery.delivered_at is not None
        finally:
            _unsubscribe(party, subscription_id)

    @pytest.mark.parametrize(
        "header", ["", "t=abc,v1=00", "v1=00", "t=1700000000", "garbage", "t=١٧٠٠,v1=00"]
    )
    def test_a_malformed_signature_is_refused(self, header: str) -> None:
        assert not service.verify_signature("whsec_test", header, b"{}")

    def test_only_subscribed_topics_of_the_organisation_are_sent(
        self, party: Party, other_party: Party, receiver: Receiver
    ) -> None:
        subscription_id, _ = _subscribe(party, receiver.url, ["declaration.released"])
        try:
            _record(party, "declaration.accepted")
            _record(party, "payment.received")
            released = _record(party, "declaration.released")
            _record(other_party, "declaration.released")
            drain()
            _deliver()
            assert [json.loads(b)["id"] for b in receiver.bodies()] == [released]
        finally:
            _unsubscribe(party, subscription_id)

    def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
        self, party: Party
    ) -> None:
        with receiving(fail_first=2) as flaky:
            subscription_id, _ = _subscribe(party, flaky.url)
            try:
                _record(party, "declaration.released")
                drain()
                _deliver()
                [delivery] = _deliveries(party, subscription_id)
                assert (delivery.status, delivery.attempts) == ("pending", 1)
                assert delivery.last_status_code == 503 and "503" in (delivery.last_error or "")
                wait = delivery.next_attempt_at - utcnow()
                assert timedelta(seconds=25) < wait <= timedelta(seconds=30)
                _deliver()  # not due yet: nothing is sent
                assert len(flaky.requests) == 1
                _make_due(delivery.id)
                _deliver()
                [delivery] = _deliveries(party, subscription_id)
                assert (delivery.status, delivery.attempts) == ("pending", 2)
                wait = delivery.next_attempt_at - utcnow()
                assert timedelta(seconds=55) < wait <= timedelta(seconds=60)
                _make_due(delivery.id)
                _deliver()
                [delivery] = _deliveries(party, subscription_id)
                assert (delivery.status, delivery.attempts) == ("delivered", 3)
                assert delivery.last_error is None
                ids = {r.headers["x-onewindow-delivery"] for r in flaky.requests}
                assert len(flaky.requests) == 3 and ids == {str(delivery.id)}
            finally:
                _unsubscribe(party, subscription_id)

    def test_after_ten_failures_the_delivery_has_failed(self, party: Party) -> None:
        with receiving(fail_first=1000, failure_status=500) as broken:
            subscription_id, _ = _subscribe(party, broken.url)
            try:
                _record(party, "declaration.released")
                drain()
                for _ in range(service.MAX_ATTEMPTS):
                    [delivery] = _deliveries(party, subscription_id)
                    _make_due(delivery.id)
                    _deliver()
                [delivery] = _deliveries(party, subscription_id)
                assert (delivery.status, delivery.attempts) == ("failed", 10)
                _make_due(delivery.id)
                _deliver()
                assert len(broken.requests) == 10
            finally:
                _unsubscribe(party, subscription_id)

    def test_a_receiver_that_does_not_answer_is_retried(self, party: Party) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        subscription_id, _ = _subscribe(party, f"http://127.0.0.1:{port}/closed")
        try:
            _record(party, "declaration.released")
            drain()
            _deliver()
            [delivery] = _deliveries(party, subscription_id)
            assert delivery.status == "pending" and delivery.attempts == 1
            assert delivery.last_status_code is None
            assert delivery.last_error == "no answer"
        finally:
            _unsubscribe(party, subscription_id)

    def test_a_deleted_subscription_is_sent_nothing_more(
        self, party: Party, receiver: Receiver
    ) -> None:
        subscription_id, _ = _subscribe(party, receiver.url)
        _record(party, "declaration.released")
        drain()
        _unsubscribe(party, subscription_id)
        _deliver()
        assert receiver.requests == []

    def test_the_worker_round_delivers_in_its_own_units_of_work(
        self, party: Party, receiver: Receiver
    ) -> None:
        subscription_id, secret = _subscribe(party, receiver.url)
        try:
            _record(party, "declaration.released")
            drain()
            service.run_webhook_deliveries()
            [request] = receiver.requests
            header = request.headers["x-onewindow-signature"]
            assert service.verify_signature(secret, header, request.body)
            [delivery] = _deliveries(party, subscription_id)
            assert delivery.status == "delivered"
        finally:
            _unsubscribe(party, subscription_id)

    def test_two_workers_send_each_delivery_once(self, party: Party) -> None:
        with receiving(delay_s=0.3) as slow:
            subscription_id, _ = _subscribe(party, slow.url)
            try:
                for _ in range(3):
                    _record(party, "declaration.released")
                drain()
                workers = [
                    threading.Thread(target=service.run_webhook_deliveries) for _ in range(2)
                ]
                for worker in workers:
                    worker.start()
                for worker in workers:
                    worker.join(timeout=30)
                ids = [r.headers["x-onewindow-delivery"] for r in slow.requests]
                assert len(ids) == 3 and len(set(ids)) == 3
                statuses = {d.status for d in _deliveries(party, subscription_id)}
                assert statuses == {"delivered"}
            finally:
                _unsubscribe(party, subscription_id)


class TestWebhookTargets:
    def test_a_delivery_connects_to_the_address_it_checked_with_the_name_kept(
        self, party: Party, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        fake_dns(monkeypatch, {"hooks.broker.example": ["93.184.216.34"]})
        subscription_id, _ = _subscribe(party, "https://hooks.broker.example:8443/in?s=1")
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(204)

        try:
            _record(party, "declaration.released")
            drain()
            with (
                session_scope() as session,
                httpx.Client(transport=httpx.MockTransport(answer)) as client,
            ):
                service.deliver_webhooks(session, client)
            [request] = [r for r in seen if r.headers.get("host") == "hooks.broker.example:8443"]
            # The connection goes to the checked address; the name is not looked up again.
            assert str(request.url) == "https://93.184.216.34:8443/in?s=1"
            assert request.extensions["sni_hostname"] == "hooks.broker.example"
            assert [d.status for d in _deliveries(party, subscription_id)] == ["delivered"]
        finally:
            _unsubscribe(party, subscription_id)

    @pytest.mark.parametrize(
        ("address", "why"),
        [
            ("127.0.0.1", "a loopback address"),
            ("10.0.0.1", "a private address"),
            ("172.31.255.255", "a private address"),
            ("192.168.0.1", "a private address"),
            ("fc00::1", "a private address"),
            ("169.254.169.254", "a link-local address"),
            ("fe80::1", "a link-local address"),
            ("239.1.2.3", "a multicast address"),
            ("ff02::1", "a multicast address"),
            ("0.0.0.0", "an unspecified address"),
            ("::", "an unspecified address"),
            ("240.0.0.1", "a reserved address"),
            ("::ffff:192.168.0.1", "a private address"),
            ("2002:7f00:1::1", "a loopback address"),
            ("64:ff9b::a00:1", "a private address"),
            ("93.184.216.34", None),
            ("2606:4700:4700::1111", None),
        ],
    )
    def test_only_public_unicast_addresses_are_targets(self, address: str, why: str | None) -> None:
        assert service.refused_address(ipaddress.ip_address(address)) == why


def test_consumers_are_registered_once() -> None:
    service.register_consumers()
    service.register_consumers()
    names = [s.name for s in events._SUBSCRIPTIONS]
    assert names.count(service.PORTAL_CONSUMER) == 1
    assert names.count(service.WEBHOOK_CONSUMER) == 1


def test_the_consumer_itself_is_idempotent(party: Party) -> None:
    event = Event(
        str(uuid.uuid4()), "declaration.paid", "declaration", "8", party.org_id, {}, utcnow()
    )
    for _ in range(2):
        with session_scope() as session:
            service.notify_portal(session, event)
    with session_scope() as session:
        count = session.scalar(
            select(func.count(Notification.id)).where(Notification.event_id == event.id)
        )
    assert count == 1
