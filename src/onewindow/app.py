"""The web application: API, portal, health, metrics, and one error shape everywhere."""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from onewindow import __version__, deps, logs, migrations, workers
from onewindow.aeo import api as aeo_api
from onewindow.aeo import pages as aeo_pages
from onewindow.cargo import api as cargo_api
from onewindow.cargo import pages as cargo_pages
from onewindow.clearance import api as clearance_api
from onewindow.clearance import pages as clearance_pages
from onewindow.config import Settings, get_settings
from onewindow.db import engine_for
from onewindow.declarations.api import router as declarations_router
from onewindow.declarations.pages import router as declarations_pages
from onewindow.errors import DomainError, FieldError, Problem
from onewindow.exchange import api as exchange_api
from onewindow.exchange import pages as exchange_pages
from onewindow.formats.service import EDIFACT, EdifactInvalid
from onewindow.middleware import (
    PROBLEM_JSON,
    ASGIApp,
    BodyLimit,
    Receive,
    RequestContext,
    Scope,
    Send,
    problem_body,
    send_problem,
)
from onewindow.notifications import api as notifications_api
from onewindow.notifications import pages as notifications_pages
from onewindow.parties.api import router as parties_router
from onewindow.parties.pages import router as parties_pages
from onewindow.payments.api import router as payments_router
from onewindow.payments.pages import router as payments_pages
from onewindow.permits import api as permits_api
from onewindow.permits import pages as permits_pages
from onewindow.portal.pages import router as portal_router
from onewindow.reference.api import router as reference_router
from onewindow.risk import service as risk_service
from onewindow.risk.api import router as risk_router
from onewindow.risk.pages import router as risk_pages
from onewindow.security import CsrfGuard
from onewindow.statistics import api as statistics_api
from onewindow.statistics import pages as statistics_pages
from onewindow.tariff.api import router as tariff_router

log = logging.getLogger("onewindow.http")

ROUTERS = [
    reference_router,
    parties_router,
    parties_pages,
    tariff_router,
    # The flow's pages before the declaration pages: /declarations/new is not a declaration id.
    clearance_api.router,
    clearance_api.risk_router,
    clearance_pages.router,
    clearance_pages.risk_router,
    declarations_router,
    declarations_pages,
    payments_router,
    payments_pages,
    portal_router,
    notifications_api.router,
    notifications_pages.router,
    risk_router,
    risk_pages,
    cargo_api.router,
    cargo_pages.router,
    statistics_api.router,
    statistics_pages.router,
    permits_api.router,
    permits_pages.router,
    permits_pages.public_router,
    aeo_api.router,
    aeo_api.hand_router,
    aeo_pages.router,
    exchange_api.router,
    exchange_pages.router,
]
"""Every domain's routes and the flow's, registered in this one place."""

UPLOAD_PATHS = (
    "/api/v1/declarations/wco",
    "/api/v1/declarations/cusdec",
    "/declarations/upload",
    "/api/v1/cargo/entry-summaries",
    "/api/v1/cargo/manifests/cuscar",
    "/cargo/upload",
)
"""Routes that take files (WCO XML): their bodies may reach ``max_upload_bytes``."""

RETRY_AFTER_SECONDS = 5
"""What a client is told to wait when the database does not answer."""
_DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    slug: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = [
            {"pointer": e.pointer, "detail": e.detail, "code": e.code} for e in errors
        ]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _pointer(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in location]
    return "/" + "/".join(parts)


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        kind = str(err.get("type", "invalid"))
        if kind == "json_invalid":
            errors.append(FieldError("/body", "is not valid JSON: " + str(err.get("msg")), kind))
            continue
        message = str(err.get("msg", "is invalid"))
        if kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden":
            message = "is not a known field"
        errors.append(FieldError(_pointer(loc), message, kind))
    return errors


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, EdifactInvalid) and EDIFACT in request.headers.get("accept", ""):
            # EDIFACT software reads the refusal of its interchange as a CONTRL report.
            return Response(exc.contrl, status_code=exc.status_code, media_type=EDIFACT)
        return problem(request, exc.status_code, exc.title, exc.detail, exc.type_slug, exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        if not request.url.path.startswith("/api/"):
            # A person followed a malformed address or posted a stale form: answer with a page.
            from onewindow.portal.pages import not_found_page, unreadable_form_page

            if request.method in {"GET", "HEAD"} or any(
                e.pointer.startswith("/path/") for e in errors
            ):
                return not_found_page(request)
            return unreadable_form_page(request, [e.pointer.rsplit("/", 1)[-1] for e in errors])
        fields = ", ".join(e.pointer for e in errors[:5])
        return problem(
            request, 422, "Invalid input", f"Check these fields: {fields}.", "invalid-input", errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and not request.url.path.startswith("/api/"):
            from onewindow.portal.pages import not_found_page

            return not_found_page(request)
        titles = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated"}
        return problem(
            request,
            exc.status_code,
            titles.get(exc.status_code, "Error"),
            str(exc.detail),
            titles.get(exc.status_code, "error").lower().replace(" ", "-"),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error: %s", exc.orig)
        return problem(
            request, 409, "Conflict", "The change conflicts with data already recorded.", "conflict"
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # e.g. a NUL character PostgreSQL cannot store: the input is wrong, not the server.
        log.info("value refused by the database: %s", exc.orig)
        return problem(
            request,
            422,
            "Invalid input",
            "A value cannot be stored or searched for (control characters, or out of range).",
            "invalid-input",
        )

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # SQLite cannot bind an integer past 64 bits; PostgreSQL's answer is a DataError.
        log.info("value out of range: %s", exc)
        return problem(
            request,
            422,
            "Invalid input",
            "A number is out of range.",
            "invalid-input",
        )

    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", getattr(exc, "orig", exc))
        return problem(
            request,
            503,
            "Service unavailable",
            "The database does not answer at the moment; try again shortly.",
            "service-unavailable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    # A failed or lost connection, a lock timeout: the request may succeed when retried.
    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(InterfaceError, _database_down)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return problem(
            request,
            500,
            "Internal error",
            f"Something went wrong on our side; quote request id {logs.request_id.get()}.",
            "internal-error",
        )


def _install_operations(app: FastAPI, settings: Settings) -> None:
    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["operations"], response_model=None)
    def readyz(request: Request) -> Response | dict[str, str]:
        """Readiness: the database answers and its schema is at the code's migration."""
        try:
            engine = engine_for(settings.database_url)
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            current, head = migrations.revisions(engine)
        except OperationalError as exc:
            log.warning("not ready: %s", exc)
            return problem(request, 503, "Not ready", "The database does not answer.", "not-ready")
        if current != head:
            return problem(
                request,
                503,
                "Not ready",
                f"The database is at migration {current}, the code needs {head}: "
                "run onewindow init.",
                "not-ready",
            )
        return {"status": "ready", "migration": head or ""}

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus metrics, for the bearer of the metrics token only (404 without one set)."""
        token = settings.metrics_token
        if not token or not _on_metrics_port(request.scope, settings):
            raise StarletteHTTPException(404, "Not Found")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            raise StarletteHTTPException(
                401, "Send the metrics token as a bearer token.", {"WWW-Authenticate": "Bearer"}
            )
        return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)


def _registry() -> CollectorRegistry:
    """This process's metrics, or those of every server process when several serve."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _on_metrics_port(scope: Scope, settings: Settings) -> bool:
    """Whether a request may reach /metrics: on the metrics port when one is set, else anywhere."""
    if settings.metrics_port is None:
        return True
    server = scope.get("server") or (None, None)
    return server[1] == settings.metrics_port


class MetricsPortGuard:
    """On the metrics port, only /metrics answers (the rest of the app stays on the main port)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        port = self.settings.metrics_port
        if (
            port is not None
            and scope["type"] == "http"
            and scope.get("path") != "/metrics"
            and _on_metrics_port(scope, self.settings)
        ):
            body = problem_body(404, "Not found", "Only /metrics answers here.", "not-found", "")
            await send_problem(send, 404, body)
            return
        await self.app(scope, receive, send)


class SingleWindow(FastAPI):
    """FastAPI, with the request's outermost layers outside Starlette's error middleware (so
    that a 500 carries the request id too)."""

    def build_middleware_stack(self) -> ASGIApp:
        settings: Settings = self.state.settings
        inner: ASGIApp = super().build_middleware_stack()
        larger = {path: settings.max_upload_bytes for path in UPLOAD_PATHS}
        limited = BodyLimit(MetricsPortGuard(inner, settings), settings.max_body_bytes, larger)
        return RequestContext(limited)


PROBLEM_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Request too large",
    422: "Invalid input",
    429: "Too many attempts",
    500: "Internal error",
    503: "Service unavailable",
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _calls(dependant: Any) -> set[Any]:
    """Every dependency function a route runs, however deep."""
    found = set()
    for sub in dependant.dependencies:
        found.add(sub.call)
        found |= _calls(sub)
    return found


def problem_statuses(route: APIRoute) -> list[int]:
    """The problem answers an API route can give, read from what it takes."""
    statuses = [422, 500, 503]
    has_body = route.body_field is not None or "requestBody" in (route.openapi_extra or {})
    if has_body:
        statuses += [400, 413]
    if deps.optional_principal in _calls(route.dependant):
        statuses += [401, 403]
    names_a_row = any(p.name.endswith("_id") for p in route.dependant.query_params)
    if route.dependant.path_params or has_body or names_a_row:
        statuses.append(404)
    if (route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}:
        statuses.append(409)
    # A route may name a problem answer of its own (a search that finds nothing: 404).
    statuses += [int(code) for code in route.responses if 400 <= int(code) < 500]
    return sorted(set(statuses))


def _same_body_for_every_success(responses: dict[str, Any]) -> None:
    """A route's other success answers (200 for a repeat, 202 for a start) carry the same body
    as its main one: say so where only a description was given."""
    bodies = [
        r["content"] for code, r in responses.items() if code.startswith("2") and "content" in r
    ]
    if not bodies:
        return
    for code, entry in responses.items():
        if code.startswith("2") and code != "204" and "content" not in entry:
            entry["content"] = bodies[0]


def _document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document say, for every operation under /api/, which problem documents
    it can answer (``application/problem+json``, one ``Problem`` schema), FastAPI's own
    validation answer included."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = generate()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem_schema.pop("$defs", {}))
        schemas["Problem"] = problem_schema
        routes = [route for router in ROUTERS for route in router.routes]
        for route in routes:
            if not isinstance(route, APIRoute) or not route.path.startswith("/api/"):
                continue
            if not route.include_in_schema:
                continue
            for method in route.methods or ():
                operation = spec["paths"].get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                _same_body_for_every_success(responses)
                declared = [int(code) for code in responses if code.isdigit() and code >= "400"]
                for status in sorted({*problem_statuses(route), *declared}):
                    entry = responses.setdefault(str(status), {})
                    entry.setdefault("description", PROBLEM_TITLES.get(status, "Error"))
                    entry["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


class OutboxWorker:
    """Delivers outbox events in a background thread of the server process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = workers.run_once(self.settings.database_url)
            except Exception:  # keep delivering after a database hiccup
                log.exception("outbox delivery failed")
                delivered = 0
            if not delivered:
                self._stop.wait(self.settings.worker_interval_seconds)


def create_app(settings: Settings | None = None, *, run_worker: bool | None = None) -> FastAPI:
    """The single window's web application (with its event worker unless told otherwise)."""
    settings = settings or get_settings()
    if run_worker is None:
        run_worker = settings.run_worker
    secret = settings.require_secret()
    workers.register_consumers()
    risk_service.load_promoted_at_start(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = OutboxWorker(settings) if run_worker else None
        if worker:
            worker.start()
        yield
        if worker:
            worker.stop()

    app = SingleWindow(
        docs_url=None,
        redoc_url=None,
        title="onewindow",
        version=__version__,
        description="An open national single window for trade: one submission, full service.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    _document_problems(app)
    app.state.csrf = CsrfGuard(secret)
    _install_error_handlers(app)
    _install_operations(app, settings)
    for router in ROUTERS:
        app.include_router(router)
    static = Path(__file__).parent / "portal" / "static"
    app.mount("/static/docs", StaticFiles(directory=_DOCS_ASSETS), name="docs-assets")
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        """The OpenAPI explorer, its assets served by the app (no CDN)."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="onewindow API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    return app
