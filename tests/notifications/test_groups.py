"""Notifications people can read: each event told to each party once, grouped by subject, paged,
marked read a group at a time; the terminal told when cargo it holds is released."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from onewindow.db import session_scope, utcnow
from onewindow.events import deliver_pending
from onewindow.notifications.models import Notification
from tests.cargo import container
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration
from tests.portal import log_in

API = "/api/v1/declarations"


def _deliver() -> None:
    for _ in range(20):
        with session_scope() as session:
            if not deliver_pending(session, limit=500):
                return


def _told(organisation_id: int) -> list[Notification]:
    with session_scope() as session:
        rows = session.scalars(
            select(Notification)
            .where(Notification.organisation_id == organisation_id)
            .order_by(Notification.id)
        ).all()
        session.expunge_all()
        return list(rows)


def _paid(client: TestClient, payer: Party, body: dict[str, Any]) -> dict[str, Any]:
    lodged = client.post(API, json=body, headers=payer.auth).json()
    assert lodged["status"] == "awaiting_payment", lodged
    request_id = client.get("/api/v1/payment-requests", headers=payer.auth).json()[0]["id"]
    paying = client.post(
        f"/api/v1/payment-requests/{request_id}/pay", json={"method": "bank"}, headers=payer.auth
    )
    assert paying.status_code == 202, paying.text
    _deliver()
    return dict(client.get(f"{API}/{lodged['id']}", headers=payer.auth).json())


def test_a_broker_acting_for_an_importer_is_told_once_and_the_importer_too(
    client: TestClient,
) -> None:
    importer, broker = make_party(("trader",)), make_party(("customs-broker",))
    granted = client.post(
        "/api/v1/mandates",
        json={"representative": broker.identifier, "representation": "direct"},
        headers=importer.auth,
    )
    assert granted.status_code == 201, granted.text
    body = declaration()
    body["declarant"] = {"identifier": importer.identifier}
    body["importer"] = {"identifier": importer.identifier}
    body["representative"] = {"identifier": broker.identifier, "representation": "2"}
    lodged = client.post(API, json=body, headers=broker.auth).json()
    _deliver()
    for party in (broker, importer):
        told = [
            n
            for n in _told(party.org_id)
            if n.subject_type == "declaration" and n.subject_id == str(lodged["id"])
        ]
        assert told, f"{party.name} is told"
        counts = Counter(n.event_id for n in told)
        assert set(counts.values()) == {1}, "each event once"
        assert {n.topic for n in told} >= {"declaration.accepted", "declaration.awaiting_payment"}
        assert all(lodged["number"] in n.title for n in told), [n.title for n in told]
    stranger = make_party(("trader",))
    assert not [n for n in _told(stranger.org_id) if n.subject_id == str(lodged["id"])]


def _notification(organisation_id: int, subject: int, *, read: bool = False) -> Notification:
    now = utcnow()
    return Notification(
        organisation_id=organisation_id,
        event_id=str(uuid.uuid4()),
        topic="declaration.accepted",
        subject_type="declaration",
        subject_id=str(subject),
        title=f"Declaration 26GB{subject:012d} accepted",
        body="Customs accepted the declaration.",
        link=f"/declarations/{subject}",
        thread=f"declaration:{subject}",
        subject_label=f"Declaration 26GB{subject:012d}",
        occurred_at=now,
        created_at=now,
        read_at=now if read else None,
    )


def test_notifications_are_grouped_by_subject_paged_and_read_a_group_at_a_time(
    client: TestClient,
) -> None:
    party = make_party(("trader",))
    subjects = list(range(990_000_001, 990_000_026))  # 25 declarations
    with session_scope() as session:
        for subject in subjects:
            session.add(_notification(party.org_id, subject))
            session.add(_notification(party.org_id, subject))
    token = log_in(client, party)
    first = client.get("/notifications").text
    headings = re.findall(r'<a href="/declarations/(\d+)">Declaration 26GB', first)
    assert len(headings) == 20, "twenty subjects a page"
    assert headings[0] == str(subjects[-1]), "the latest subject first"
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert first.count("2 unread</span>") == 20
    second = client.get("/notifications?page=2").text
    assert len(re.findall(r'<a href="/declarations/(\d+)">Declaration 26GB', second)) == 5
    assert 'rel="prev"' in second and 'rel="next"' not in second

    marked = client.post(
        "/notifications/subject/read",
        data={
            "csrf_token": token,
            "thread": f"declaration:{subjects[-1]}",
            "page": "1",
        },
        follow_redirects=False,
    )
    assert marked.status_code == 303
    unread = Counter(n.subject_id for n in _told(party.org_id) if n.read_at is None)
    assert str(subjects[-1]) not in unread
    assert len(unread) == 24 and set(unread.values()) == {2}
    forged = client.post(
        "/notifications/subject/read",
        data={"csrf_token": "forged", "thread": "declaration:1"},
    )
    assert forged.status_code == 403
    client.post("/notifications/read-all", data={"csrf_token": token})
    assert all(n.read_at is not None for n in _told(party.org_id))


def test_the_terminal_is_told_once_when_cargo_it_holds_is_released(client: TestClient) -> None:
    importer, terminal = make_party(("trader",)), make_party(("terminal-operator",))
    box = container()
    discharged = client.post(
        "/api/v1/cargo/terminal-events",
        json={"kind": "discharged", "container": box, "occurred_at": utcnow().isoformat()},
        headers=terminal.auth,
    )
    assert discharged.is_success, discharged.text
    body = declaration()
    body["items"][0]["containers"] = [box]
    released = _paid(client, importer, body)
    assert released["status"] == "released", released["status"]
    told = [n for n in _told(terminal.org_id) if n.subject_id == str(released["id"])]
    assert [n.topic for n in told] == ["cargo.released"], "once, and only of the release"
    assert released["number"] in told[0].title
    assert box in told[0].body or "may leave the gate" in told[0].body
