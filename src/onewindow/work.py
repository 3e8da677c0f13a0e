"""What needs a user's action now: each domain says what waits for whom, the home page shows it.

A domain registers a source, a function from the session and the principal to the tasks waiting
for that principal's organisation (with a count and the page where they are done). The home page
asks every source through :func:`tasks_for`, so a new domain adds its work without editing the
portal, as release asks every domain through ``release.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from onewindow.security import Principal


@dataclass(frozen=True)
class Task:
    """Work waiting for the user: ``count`` things to do at ``href``; ``hint`` says what."""

    title: str
    count: int
    href: str
    hint: str = ""


Source = Callable[[Session, Principal], Iterable[Task]]

_SOURCES: list[Source] = []


def register(source: Source) -> Source:
    """Add a domain's source of work (usable as a decorator; registering twice adds it once)."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def tasks_for(session: Session, principal: Principal) -> list[Task]:
    """Everything waiting for the principal, the work to do first; each source in its order."""
    tasks = [task for source in _SOURCES for task in source(session, principal)]
    return sorted(tasks, key=lambda task: task.count == 0)
