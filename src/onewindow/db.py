"""Database engine, declarative base and the unit of work.

One transaction per request, CLI command or worker job: services ``flush()``, the boundary
commits (:func:`session_scope`, :func:`get_session`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from onewindow.config import get_settings
from onewindow.stages import stage

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; constraint names are stable (Alembic batch mode needs them)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


JSONType = JSON().with_variant(JSONB(), "postgresql")
"""JSON on SQLite, JSONB on PostgreSQL."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back time-zone aware.

    Naive datetimes are refused: every time the system records must say its zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times are stored in UTC and must carry a zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


_SIMULATED_NOW: ContextVar[datetime | None] = ContextVar("onewindow_simulated_now", default=None)


def utcnow() -> datetime:
    """Now, in UTC (or the simulated time inside :func:`simulated_clock`)."""
    simulated = _SIMULATED_NOW.get()
    return simulated if simulated is not None else datetime.now(UTC)


@contextmanager
def simulated_clock(at: datetime) -> Iterator[None]:
    """Simulation only (``onewindow simulate``): every service that reads :func:`utcnow` in this
    context sees ``at``, so simulated traffic carries realistic past times. Never used by a
    request, a worker or a command that records real work."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: the simulated clock must carry a zone")
    token = _SIMULATED_NOW.set(at.astimezone(UTC))
    try:
        yield
    finally:
        _SIMULATED_NOW.reset(token)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=8
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy control transactions; BEGIN IMMEDIATE avoids lock upgrade deadlocks.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One engine per database URL, for the life of the process."""
    return make_engine(url)


class TimedSession(Session):
    """A session whose flushes (the ORM's unit of work and its statements) are a stage of
    their own in the CPU figures (:mod:`onewindow.stages`)."""

    def flush(self, objects: Any = None) -> None:
        with stage("flush"):
            super().flush(objects)


@lru_cache(maxsize=4)
def _sessionmaker(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(url), class_=TimedSession, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: commits when the block ends, rolls back on an exception."""
    session = _sessionmaker(url or get_settings().database_url)()
    try:
        yield session
        with stage("commit"):
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_session() -> Iterator[Session]:
    """FastAPI dependency: the request's unit of work."""
    with session_scope() as session:
        yield session


P = ParamSpec("P")
R = TypeVar("R")


def reference_read(
    read: Callable[Concatenate[Session, P], R],
) -> Callable[Concatenate[Session, P], R]:
    """For a read of data the request does not change (reference data, the tariff, rules): it
    does not flush the request's pending changes first, so that they go in one flush later
    rather than a few rows at each read."""

    @functools.wraps(read)
    def without_flush(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with session.no_autoflush:
            return read(session, *args, **kwargs)

    return without_flush


def is_postgres(session: Session) -> bool:
    """Whether the session talks to PostgreSQL (for locking that only it has)."""
    return session.get_bind().dialect.name == "postgresql"
