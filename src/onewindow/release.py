"""What stops goods from being released, asked of every domain that can stop them.

A declaration's own holds (payment, controls, assessment, seizure) always stop it. Besides them,
each domain that can stop goods (cargo, permits, AEO and partner data, ...) publishes through its
``service.py`` a function that says what of its own stops a declaration, and registers it here once
per process, in ``workers.register_consumers``; ``clearance`` asks them all through
:func:`open_conditions` before it releases. A new domain adds a condition without editing another.

Every check is asked in one of two ways. A page or any other read that lists what stops a
declaration asks with ``for_update=False``: the check then writes nothing and locks nothing. Only
the paths that may release (the release itself, lodging, a change of conditions) ask with
``for_update=True``: a check may then lock what the release will spend (a permit's balance) and
note what it waits for, so that a change to it looks at the declaration again.

>>> register("example", lambda session, declaration_id, *, for_update: [
...     Condition("example", "test", "waits")])
>>> [c.text for c in open_conditions(None, 1)]  # type: ignore[arg-type]
['waits']
>>> unregister("example")
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Condition:
    """One thing that stops a release: which domain says so, what kind, and what is missing."""

    domain: str
    kind: str
    text: str


class Check(Protocol):
    """What of a domain stops a declaration; with ``for_update`` false it writes and locks
    nothing (a page), with it true it may lock and note waits (the release's transaction)."""

    def __call__(
        self, session: Session, declaration_id: int, *, for_update: bool
    ) -> Sequence[Condition]: ...


Taken = Callable[[Session, int], object]

_checks: dict[str, Check] = {}
_takers: dict[str, Taken] = {}


def register(domain: str, check: Check) -> None:
    """Let ``domain`` say what stops a declaration (registering again replaces its check)."""
    _checks[domain] = check


def unregister(domain: str) -> None:
    _checks.pop(domain, None)
    _takers.pop(domain, None)


def on_release(domain: str, take: Taken) -> None:
    """Let ``domain`` act in the release's own transaction (a permit's balance is drawn down
    there, so two releases at once cannot both spend it)."""
    _takers[domain] = take


def released(session: Session, declaration_id: int) -> None:
    """Tell every domain that acts on release, in domain order, inside the release."""
    for domain in sorted(_takers):
        _takers[domain](session, declaration_id)


def open_conditions(
    session: Session, declaration_id: int, *, for_update: bool = False
) -> list[Condition]:
    """Every registered domain's conditions that stop the declaration now, in domain order.

    Read-only by default (pages, lists); the paths that may release pass ``for_update=True``.
    """
    found: list[Condition] = []
    for domain in sorted(_checks):
        found.extend(_checks[domain](session, declaration_id, for_update=for_update))
    return found
