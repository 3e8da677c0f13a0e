"""The notifications API as a machine client uses it, and the portal page as a person does."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from onewindow import events
from onewindow.db import session_scope
from onewindow.notifications.service import run_webhook_deliveries
from tests.conftest import PASSWORD, Party
from tests.notifications import drain, fake_dns, notification_of, receiving

PUBLIC = "93.184.216.34"
"""A public address (example.com's): accepted, never connected to by these tests."""


def _record(party: Party, topic: str, number: str) -> str:
    with session_scope() as session:
        return events.record_event(
            session, topic, "declaration", 7, {"number": number}, organisation_id=party.org_id
        ).id


def _titles(client: TestClient, party: Party) -> list[str]:
    page = client.get("/api/v1/notifications", headers=party.auth)
    assert page.status_code == 200, page.text
    return [n["title"] for n in page.json()["items"]]


class TestListNotifications:
    def test_lists_the_organisations_notifications_newest_first(
        self, client: TestClient, party: Party, other_party: Party
    ) -> None:
        _record(party, "declaration.accepted", "API-1")
        _record(party, "declaration.released", "API-1")
        drain()
        page = client.get("/api/v1/notifications", headers=party.auth).json()
        titles = [n["title"] for n in page["items"]]
        assert titles[:2] == ["Declaration API-1 released", "Declaration API-1 accepted"]
        assert page["unread_count"] == 3  # and "Your organisation is registered"
        assert page["items"][0]["read_at"] is None
        assert all("API-1" not in t for t in _titles(client, other_party))

    def test_pages_with_before_id_and_filters_unread(
        self, client: TestClient, party: Party
    ) -> None:
        for n in range(3):
            _record(party, "declaration.lodged", f"PAGE-{n}")
        drain()
        first = client.get("/api/v1/notifications?limit=2", headers=party.auth).json()["items"]
        assert len(first) == 2
        rest = client.get(
            f"/api/v1/notifications?limit=2&before_id={first[-1]['id']}", headers=party.auth
        ).json()["items"]
        assert rest and rest[0]["id"] < first[-1]["id"]
        client.post(f"/api/v1/notifications/{first[0]['id']}/read", headers=party.auth)
        unread = client.get("/api/v1/notifications?unread_only=true", headers=party.auth).json()
        assert first[0]["id"] not in {n["id"] for n in unread["items"]}


class TestMarkRead:
    def test_marks_one_read_and_only_ones_own(
        self, client: TestClient, party: Party, other_party: Party
    ) -> None:
        notification_id = notification_of(party)
        refused = client.post(
            f"/api/v1/notifications/{notification_id}/read", headers=other_party.auth
        )
        assert refused.status_code == 404
        done = client.post(f"/api/v1/notifications/{notification_id}/read", headers=party.auth)
        assert done.status_code == 200 and done.json()["read_at"] is not None

    def test_marks_all_read(self, client: TestClient, party: Party) -> None:
        notification_of(party)
        drain()  # its registration is told too
        marked = client.post("/api/v1/notifications/read-all", headers=party.auth).json()
        assert marked["marked"] == 2
        page = client.get("/api/v1/notifications", headers=party.auth).json()
        assert page["unread_count"] == 0


class TestWebhooks:
    def test_the_secret_is_shown_once_and_changes_are_audited(
        self, client: TestClient, party: Party
    ) -> None:
        created = client.post(
            "/api/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hooks", "topics": ["declaration.", "declaration."]},
            headers=party.auth,
        )
        assert created.status_code == 201, created.text
        webhook = created.json()
        assert webhook["secret"].startswith("whsec_")
        assert webhook["topics"] == ["declaration."]
        listed = client.get("/api/v1/webhooks", headers=party.auth)
        assert [w["id"] for w in listed.json()] == [webhook["id"]]
        assert webhook["secret"] not in listed.text
        deleted = client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=party.auth)
        assert deleted.status_code == 204
        assert client.get("/api/v1/webhooks", headers=party.auth).json() == []
        actions = [e["action"] for e in client.get("/api/v1/audit", headers=party.auth).json()]
        assert actions[:2] == ["webhook.deleted", "webhook.subscribed"]
        assert webhook["secret"] not in client.get("/api/v1/audit", headers=party.auth).text

    def test_field_errors_point_at_the_field(self, client: TestClient, party: Party) -> None:
        response = client.post(
            "/api/v1/webhooks",
            json={"url": "https://me:pw@broker.example/", "topics": [""]},
            headers=party.auth,
        )
        assert response.status_code == 422
        assert {e["pointer"] for e in response.json()["errors"]} == {"/url", "/topics/0"}
        empty = client.post(
            "/api/v1/webhooks",
            json={"url": "https://broker.example/", "topics": []},
            headers=party.auth,
        )
        assert empty.status_code == 422

    def test_a_read_only_token_cannot_subscribe(self, client: TestClient, party: Party) -> None:
        issued = client.post(
            "/api/v1/tokens",
            json={"name": "reader", "scopes": ["notifications:read"]},
            headers=party.auth,
        )
        reader = {"Authorization": f"Bearer {issued.json()['token']}"}
        assert client.get("/api/v1/notifications", headers=reader).status_code == 200
        refused = client.post(
            "/api/v1/webhooks",
            json={"url": "https://broker.example/", "topics": ["declaration."]},
            headers=reader,
        )
        assert refused.status_code == 403 and "webhooks:write" in refused.json()["detail"]

    def test_deliveries_tell_what_was_sent(self, client: TestClient, party: Party) -> None:
        with receiving() as receiver:
            webhook = client.post(
                "/api/v1/webhooks",
                json={"url": receiver.url, "topics": ["declaration.released"]},
                headers=party.auth,
            ).json()
            try:
                event_id = _record(party, "declaration.released", "HOOK-1")
                drain()
                run_webhook_deliveries()
                deliveries = client.get(
                    f"/api/v1/webhooks/{webhook['id']}/deliveries", headers=party.auth
                ).json()
                assert [(d["event_id"], d["status"]) for d in deliveries] == [
                    (event_id, "delivered")
                ]
                assert deliveries[0]["last_status_code"] == 204
                assert len(receiver.requests) == 1
            finally:
                client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=party.auth)


def _subscribe(client: TestClient, party: Party, url: str) -> dict[str, object]:
    response = client.post(
        "/api/v1/webhooks", json={"url": url, "topics": ["declaration."]}, headers=party.auth
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _only_delivery(client: TestClient, party: Party, webhook_id: object) -> dict[str, object]:
    [delivery] = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=party.auth).json()
    return dict(delivery)


class TestWebhookTargets:
    @pytest.mark.parametrize(
        ("url", "why"),
        [
            ("http://localhost:5432/", "loopback"),
            ("http://127.0.0.2/hooks", "loopback"),
            ("http://[::1]:8000/", "loopback"),
            ("http://[::ffff:127.0.0.1]/", "loopback"),
            ("http://2130706433/", "loopback"),
            ("http://10.0.0.7/", "private"),
            ("http://172.16.5.4:6379/", "private"),
            ("http://192.168.1.1/", "private"),
            ("http://[fd12:3456::1]/", "private"),
            ("http://169.254.169.254/latest/meta-data/", "link-local"),
            ("http://[fe80::1]/", "link-local"),
            ("http://224.0.0.1/", "multicast"),
            ("http://0.0.0.0:8000/", "unspecified"),
            ("http://240.0.0.1/", "reserved"),
            ("http://100.64.0.1/", "not a public address"),
        ],
    )
    def test_an_internal_target_is_refused_naming_the_field_and_why(
        self, client: TestClient, party: Party, url: str, why: str
    ) -> None:
        response = client.post(
            "/api/v1/webhooks", json={"url": url, "topics": ["declaration."]}, headers=party.auth
        )
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["pointer"] == "/url"
        assert "internal address" in error["detail"] and why in error["detail"]

    def test_a_name_with_one_internal_address_among_public_ones_is_refused(
        self, client: TestClient, party: Party, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        fake_dns(monkeypatch, {"split.broker.example": [PUBLIC, "10.1.2.3"]})
        response = client.post(
            "/api/v1/webhooks",
            json={"url": "https://split.broker.example/hooks", "topics": ["declaration."]},
            headers=party.auth,
        )
        assert response.status_code == 422
        assert "10.1.2.3 is a private address" in response.json()["errors"][0]["detail"]
        fake_dns(monkeypatch, {"public.broker.example": [PUBLIC]})
        _subscribe(client, party, "https://public.broker.example/hooks")

    def test_a_name_re_pointed_inside_after_subscribing_is_never_connected_to(
        self, client: TestClient, party: Party, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with receiving() as internal:
            port = internal.url.split(":")[2].split("/")[0]
            fake_dns(monkeypatch, {"moving.broker.example": [PUBLIC]})
            webhook = _subscribe(client, party, f"http://moving.broker.example:{port}/hooks")
            try:
                fake_dns(monkeypatch, {"moving.broker.example": ["127.0.0.1"]})
                _record(party, "declaration.released", "MOVED-1")
                drain()
                run_webhook_deliveries()
                assert internal.requests == []
                delivery = _only_delivery(client, party, webhook["id"])
                assert delivery["status"] == "pending"
                assert delivery["last_status_code"] is None
                assert delivery["last_error"] == "target not allowed"
            finally:
                client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=party.auth)

    def test_the_log_tells_the_status_or_no_answer_never_what_answered(
        self, client: TestClient, party: Party
    ) -> None:
        secret = b"FATAL: password authentication failed for user postgres"
        with receiving(fail_first=1, failure_status=500, failure_body=secret) as talkative:
            webhook = _subscribe(client, party, talkative.url)
            try:
                _record(party, "declaration.released", "TALK-1")
                drain()
                run_webhook_deliveries()
                delivery = _only_delivery(client, party, webhook["id"])
                assert delivery["last_status_code"] == 500
                assert delivery["last_error"] == "the receiver answered HTTP 500"
            finally:
                client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=party.auth)
        # Nothing listens there any more: whatever the network said, the log says "no answer".
        closed = _subscribe(client, party, talkative.url)
        try:
            _record(party, "declaration.released", "TALK-2")
            drain()
            run_webhook_deliveries()
            delivery = _only_delivery(client, party, closed["id"])
            assert delivery["last_status_code"] is None
            assert delivery["last_error"] == "no answer"
        finally:
            client.delete(f"/api/v1/webhooks/{closed['id']}", headers=party.auth)


class TestAllowedHosts:
    def test_an_administrator_allows_an_internal_host_and_takes_it_back(
        self, client: TestClient, party: Party, administrator: Party
    ) -> None:
        body = {"host": " Receiver.Customs.Internal. ", "reason": "the customs data lake"}
        assert client.post("/api/v1/webhook-allowed-hosts", json=body).status_code == 401
        refused = client.post("/api/v1/webhook-allowed-hosts", json=body, headers=party.auth)
        assert refused.status_code == 403
        created = client.post(
            "/api/v1/webhook-allowed-hosts", json=body, headers=administrator.auth
        )
        assert created.status_code == 201, created.text
        entry = created.json()
        assert entry["host"] == "receiver.customs.internal"
        twice = client.post("/api/v1/webhook-allowed-hosts", json=body, headers=administrator.auth)
        assert twice.status_code == 409
        listed = client.get("/api/v1/webhook-allowed-hosts", headers=administrator.auth).json()
        assert "receiver.customs.internal" in {h["host"] for h in listed}
        assert client.get("/api/v1/webhook-allowed-hosts", headers=party.auth).status_code == 403
        gone = client.delete(
            f"/api/v1/webhook-allowed-hosts/{entry['id']}", headers=administrator.auth
        )
        assert gone.status_code == 204
        actions = [
            (e["action"], e["data"].get("host"))
            for e in client.get("/api/v1/audit", headers=administrator.auth).json()
        ]
        assert actions[:2] == [
            ("webhook_host.disallowed", "receiver.customs.internal"),
            ("webhook_host.allowed", "receiver.customs.internal"),
        ]

    def test_a_bad_host_is_refused_naming_the_field(
        self, client: TestClient, administrator: Party
    ) -> None:
        response = client.post(
            "/api/v1/webhook-allowed-hosts",
            json={"host": "http://10.0.0.5:8080/", "reason": " "},
            headers=administrator.auth,
        )
        assert response.status_code == 422
        assert {e["pointer"] for e in response.json()["errors"]} == {"/host", "/reason"}

    def test_deliveries_to_a_host_taken_off_the_list_stop_at_once(
        self, client: TestClient, party: Party, administrator: Party
    ) -> None:
        allowed = client.post(
            "/api/v1/webhook-allowed-hosts",
            json={"host": "localhost", "reason": "a receiver on this machine"},
            headers=administrator.auth,
        ).json()
        with receiving() as local:
            webhook = _subscribe(client, party, local.url.replace("127.0.0.1", "localhost"))
            try:
                client.delete(
                    f"/api/v1/webhook-allowed-hosts/{allowed['id']}", headers=administrator.auth
                )
                _record(party, "declaration.released", "OFF-LIST-1")
                drain()
                run_webhook_deliveries()
                assert local.requests == []
                assert _only_delivery(client, party, webhook["id"])["last_error"] == (
                    "target not allowed"
                )
            finally:
                client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=party.auth)


# The portal page -------------------------------------------------------------------------------


def _log_in(client: TestClient, party: Party) -> str:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    token = match.group(1)
    response = client.post(
        "/login",
        data={"email": party.email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return token


class TestNotificationsPage:
    def test_anonymous_visitors_are_sent_to_log_in(self, client: TestClient) -> None:
        response = client.get("/notifications", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"

    def test_lists_unread_first_and_marks_all_read_with_the_form(
        self, client: TestClient, party: Party
    ) -> None:
        _record(party, "declaration.released", "PORTAL-1")
        drain()
        token = _log_in(client, party)
        unread = client.get("/api/v1/notifications").json()["unread_count"]
        page = client.get("/notifications")
        assert page.status_code == 200
        assert "Declaration PORTAL-1 released" in page.text
        assert '<span class="tag">Unread</span>' in page.text
        assert f"Notifications ({unread})" in page.text
        assert 'href="/notifications" aria-current="page"' in page.text
        refused = client.post("/notifications/read-all", data={"csrf_token": "forged"})
        assert refused.status_code == 403 and 'role="alert"' in refused.text
        done = client.post(
            "/notifications/read-all", data={"csrf_token": token}, follow_redirects=False
        )
        assert done.status_code == 303
        after = client.get("/notifications")
        assert "Nothing unread." in after.text and "Notifications (0)" in after.text
        assert '<span class="tag">Unread</span>' not in after.text
        home = client.get("/")
        assert "Notifications (0)" in home.text

    def test_marks_one_read_and_not_anothers(
        self, client: TestClient, party: Party, other_party: Party
    ) -> None:
        mine, theirs = notification_of(party), notification_of(other_party)
        token = _log_in(client, party)
        missing = client.post(f"/notifications/{theirs}/read", data={"csrf_token": token})
        assert missing.status_code == 404
        done = client.post(
            f"/notifications/{mine}/read", data={"csrf_token": token}, follow_redirects=False
        )
        assert done.status_code == 303
        read = client.get("/api/v1/notifications").json()["items"]
        assert next(n for n in read if n["id"] == mine)["read_at"] is not None
