"""Helpers of the notifications tests: a principal per party, fixtures made through the service,
and a webhook receiver listening on 127.0.0.1 (which an administrator allows webhooks to reach)."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from onewindow import events
from onewindow.db import session_scope, utcnow
from onewindow.errors import Conflict
from onewindow.events import Event
from onewindow.notifications import service
from onewindow.parties import service as parties
from onewindow.security import Principal
from tests.conftest import Party, make_party

LOCAL_HOST = "127.0.0.1"

UNREACHABLE = "http://127.0.0.1:9/hooks"
"""The discard port: nothing listens there, so a delivery fails at once and stays local."""


def principal_of(party: Party) -> Principal:
    """The principal behind the party's all-scopes token."""
    with session_scope() as session:
        principal = parties.principal_for_token(session, party.token)
    assert principal is not None
    return principal


def allow_local_receivers() -> None:
    """Let webhooks reach 127.0.0.1, as a single window administrator does for a test receiver."""
    with session_scope() as session:
        if LOCAL_HOST in service.allowed_hosts(session):
            return
    administrator = principal_of(make_party(("administrator",)))
    try:
        with session_scope() as session:
            service.allow_host(
                session, administrator, host=LOCAL_HOST, reason="the tests' webhook receivers"
            )
    except Conflict:
        pass  # another test process allowed it meanwhile


def webhook_of(party: Party, url: str = UNREACHABLE, topics: list[str] | None = None) -> int:
    """A webhook subscription of the party (for the access matrix)."""
    allow_local_receivers()
    with session_scope() as session:
        subscription, _ = service.create_subscription(
            session, principal_of(party), url=url, topics=topics or ["declaration."]
        )
        return subscription.id


def notification_of(party: Party) -> int:
    """A portal notification of the party, written as the consumer writes it."""
    event = Event(
        id=str(uuid.uuid4()),
        topic="declaration.accepted",
        subject_type="declaration",
        subject_id="1",
        organisation_id=party.org_id,
        payload={"number": "TESTDECL"},
        occurred_at=utcnow(),
    )
    with session_scope() as session:
        service.notify_portal(session, event)
    with session_scope() as session:
        rows = service.list_notifications(session, principal_of(party), limit=1)
        return rows[0].id


def drain() -> None:
    """Deliver every due outbox event, as the worker would."""
    for _ in range(50):
        with session_scope() as session:
            if not events.deliver_pending(session, limit=500):
                break


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that records every request and fails the first ones."""

    fail_first: int = 0
    failure_status: int = 503
    failure_body: bytes = b""
    delay_s: float = 0.0
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, received: Received) -> int:
        with self._lock:
            self.requests.append(received)
            failing = len(self.requests) <= self.fail_first
        if self.delay_s:
            threading.Event().wait(self.delay_s)
        return self.failure_status if failing else 204

    def bodies(self) -> list[bytes]:
        with self._lock:
            return [r.body for r in self.requests]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            code = receiver.answer(Received(self.path, headers, body))
            answer = receiver.failure_body if code >= 300 else b""
            self.send_response(code)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def receiving(**options: Any) -> Iterator[Receiver]:
    """A running :class:`Receiver` on a free port of 127.0.0.1, stopped afterwards."""
    allow_local_receivers()
    receiver = Receiver(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: Mapping[str, Sequence[str]]) -> None:
    """Make each name of ``names`` resolve to its addresses; other names resolve as usual."""
    real = socket.getaddrinfo

    def lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in names:
            return real(host, port, *args, **kwargs)
        answers = []
        for address in names[host]:
            if ":" in address:
                answers.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                answers.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return answers

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
