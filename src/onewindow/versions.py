"""Data that every request reads and few change (the tariff, exchange rates), held in memory per
process and never stale once a change commits.

Each such data set has a version in the table ``data_version``. A change to any of its tables,
through the session (``session.add``, a changed or deleted object, or an ORM ``insert``,
``update`` or ``delete`` statement), gives it a new version in the same transaction: the new
version is seen exactly when the change is. A read through :func:`cached` asks the versions
once per transaction (one query for every data set) and rebuilds its value when the version
moved. Versions are random numbers, not counters, so that two databases (a test's, a restored
copy) never share a version for different data; a data set without one gets its first from the
first transaction that reads it (and is read from the database until that commits).

A transaction that changed a data set reads it from the database, not from the cache, until it
ends (it sees its own changes; the cache only ever holds what was committed).

Writes that bypass the session (raw SQL, Core statements on the table) must call :func:`bump`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any, TypeVar, cast

from sqlalchemy import BigInteger, String, Table, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from onewindow.db import Base

T = TypeVar("T")


class DataVersion(Base):
    """The version of a data set: a new random number at each change."""

    __tablename__ = "data_version"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


_WATCHED: dict[type, str] = {}
_SEEN = "onewindow.versions.seen"
_CHANGED = "onewindow.versions.changed"
_cache: dict[tuple[str, str], tuple[int, Any]] = {}
_lock = threading.Lock()


def watch(name: str, models: Iterable[type]) -> None:
    """Count every change to the tables of ``models`` as a change of data set ``name``."""
    for model in models:
        _WATCHED[model] = name


def bump(session: Session, name: str, *, first: bool = False) -> None:
    """Give ``name`` a new version in the session's transaction (once per transaction); with
    ``first``, only if it has none yet."""
    changed: set[str] = session.info.setdefault(_CHANGED, set())
    if name in changed:
        return
    changed.add(name)
    table = cast(Table, DataVersion.__table__)
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    version = secrets.randbits(62)
    statement = insert(table).values(name=name, version=version)
    connection.execute(
        statement.on_conflict_do_nothing(index_elements=[table.c.name])
        if first
        else statement.on_conflict_do_update(
            index_elements=[table.c.name], set_={"version": version}
        )
    )


@event.listens_for(Session, "before_flush")
def _flushed(session: Session, _context: Any, _instances: Any) -> None:
    names = {
        _WATCHED[type(o)]
        for o in chain(session.new, session.dirty, session.deleted)
        if type(o) in _WATCHED
    }
    for name in sorted(names):
        bump(session, name)


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    name = _WATCHED.get(mapper.class_) if mapper is not None else None
    if name is not None:
        bump(state.session, name)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction: forget what it saw and did
        session.info.pop(_SEEN, None)
        session.info.pop(_CHANGED, None)


def _versions(session: Session) -> dict[str, int]:
    seen: dict[str, int] | None = session.info.get(_SEEN)
    if seen is None:
        rows = session.connection().execute(select(DataVersion.name, DataVersion.version))
        seen = session.info[_SEEN] = {name: version for name, version in rows}
    return seen


def cached(session: Session, name: str, key: str, build: Callable[[Session], T]) -> T:
    """``build(session)``, from this process's memory while data set ``name`` is unchanged.

    ``key`` names the value within the data set. The value is shared by every request of the
    process: build immutable values (tuples, frozen dataclasses, dicts nobody changes).
    """
    version = _versions(session).get(name)
    if version is None:
        bump(session, name, first=True)
    if version is None or name in session.info.get(_CHANGED, ()):
        return build(session)
    hit = _cache.get((name, key))
    if hit is not None and hit[0] == version:
        return hit[1]  # type: ignore[no-any-return]
    value = build(session)
    with _lock:
        _cache[(name, key)] = (version, value)
    return value
