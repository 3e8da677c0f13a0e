"""The outermost layers of every request, as plain ASGI: request id, logs, metrics, body limit.

They sit outside Starlette's error middleware, so that a 500 answer, a 413 refusal and every log
line of the request carry the same request id.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException

from onewindow import logs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("onewindow.http")

PROBLEM_JSON = "application/problem+json"
REQUESTS = Counter("onewindow_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "onewindow_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5),
)
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
_CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    b"frame-ancestors 'none'; form-action 'self'"
)


def problem_body(status: int, title: str, detail: str, slug: str, instance: str) -> bytes:
    """An RFC 9457 problem document, encoded (for answers given outside the app)."""
    body = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    return json.dumps(body).encode()


async def send_problem(send: Send, status: int, body: bytes) -> None:
    """Send a whole problem answer."""
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's X-Request-ID when it is sane (8 to 64 plain characters), else a new one.

    >>> request_id_from([(b"x-request-id", b"abc-12345")])
    'abc-12345'
    >>> len(request_id_from([(b"x-request-id", b"bad id\\n")]))
    32
    """
    for name, value in headers:
        if name.lower() == b"x-request-id":
            text = value.decode("latin-1")
            if _SANE_REQUEST_ID.match(text):
                return text
            break
    return uuid.uuid4().hex


class RequestContext:
    """Gives each request an id (in the logs, the answer and a 500's body), logs and counts it,
    and adds the security headers to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_from(scope.get("headers", []))
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 0
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                headers += _SECURITY_HEADERS
                if not path.startswith("/docs"):
                    headers.append((b"content-security-policy", _CSP))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette's error middleware answers 500 and re-raises for the server to log: we
            # have logged it with the request id already, so only a silent failure is logged.
            if not status:
                log.exception("unexpected error before any answer")
                body = problem_body(
                    500,
                    "Internal error",
                    f"Something went wrong on our side; quote request id {rid}.",
                    "internal-error",
                    path,
                )
                await send_problem(send_with_headers, 500, body)
            elif status != 500:
                log.exception("unexpected error after the answer started")
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope.get("method", "")
            REQUESTS.labels(method, template, str(status or 500)).inc()
            LATENCY.labels(method, template).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "path": path,
                    "status": status or 500,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            logs.request_id.reset(token)


class BodyTooLarge(HTTPException):
    """Raised to the app when a body grows past its limit while being read (an HTTP error, so
    that the app answers it quietly; :class:`BodyLimit` then sends its own refusal)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is over the limit of {limit} bytes.")


class BodyLimit:
    """Refuses a request body over its limit with 413, before reading it when Content-Length
    says so, else as soon as the bytes read pass it (chunked bodies included).

    ``larger`` gives some paths (file uploads) a limit of their own.
    """

    def __init__(self, app: ASGIApp, limit: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.larger = larger or {}

    def _refusal(self, limit: int, path: str) -> bytes:
        return problem_body(
            413,
            "Request too large",
            f"The request body is over the limit of {limit} bytes for {path}.",
            "request-too-large",
            path,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.larger.get(path.rstrip("/") or "/", self.limit)
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await send_problem(send, 413, self._refusal(limit, path))
                    return
        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to the broken read; ours follows
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await send_problem(send, 413, self._refusal(limit, path))
