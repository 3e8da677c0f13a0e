"""Selectivity rates: how much is selected besides the rules, stored by risk officers and
followed by every process, and the replayable draws that random selection rests on.

The rates in force in a process follow the database: a risk officer's change is applied once its
transaction commits (never if it rolls back), and every process reads the stored rates again at
most every :data:`REFRESH_SECONDS`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import utcnow
from onewindow.errors import FieldError, InvalidInput
from onewindow.risk.access import require_customs
from onewindow.risk.after_commit import after_commit
from onewindow.risk.models import RiskSetting
from onewindow.security import Principal


@dataclass(frozen=True)
class Rates:
    """How much is selected besides the rules (shares of all declarations, 0 to 1)."""

    random_rate: float = 0.02
    # Share of the control budget the model leaves to exploration (unbiased labels).
    learning_rate: float = 0.10
    target_red: float = 0.03
    target_yellow: float = 0.07
    seed: str = "onewindow"


_rates = Rates()


def rates() -> Rates:
    """The rates in force."""
    return _rates


def set_rates(**changes: Any) -> Rates:
    """Change some rates in this process directly, without the database (tests only: a risk
    officer's change goes through :func:`configure_rates`); returns the previous ones to restore.
    The next refresh still applies any rate stored in the database.

    >>> previous = set_rates(random_rate=0.0)
    >>> rates().random_rate
    0.0
    >>> _ = set_rates(**previous.__dict__)
    """
    global _rates
    previous = _rates
    for name, value in changes.items():
        if name != "seed" and not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} must lie between 0 and 1")
    _rates = replace(_rates, **changes)
    return previous


SETTABLE = ("random_rate", "learning_rate", "target_red", "target_yellow")
"""The rates a risk officer may set; each lies between 0 and 1."""


REFRESH_SECONDS = 30.0
"""How often, at most, a process reads the stored rates and the promoted model's version."""

_settings_read_at = 0.0


def configure_rates(session: Session, principal: Principal, **changes: float) -> Rates:
    """A risk officer sets selectivity rates: stored and audited. They come in force in this
    process when the transaction commits, and in every other within :data:`REFRESH_SECONDS`;
    a rollback leaves the rates in force as they were. Every error is reported at once.

    Returns the rates as they stand once the change is committed.
    """
    require_customs(principal)
    errors = [
        FieldError(f"/{name}", f"unknown rate: use one of {', '.join(SETTABLE)}")
        for name in changes
        if name not in SETTABLE
    ]
    errors += [
        FieldError(f"/{name}", "must lie between 0 and 1")
        for name, value in changes.items()
        if name in SETTABLE and not 0.0 <= float(value) <= 1.0
    ]
    if errors:
        raise InvalidInput("The rates cannot be set.", errors)
    before = {name: getattr(_rates, name) for name in changes}
    for name, value in changes.items():
        row = session.get(RiskSetting, name)
        if row is None:
            row = RiskSetting(name=name)
            session.add(row)
        row.value, row.updated_by, row.updated_at = float(value), principal.actor, utcnow()
    audit.record(
        session,
        actor=principal.actor,
        action="risk.rates_configured",
        subject_type="risk_setting",
        subject_id=",".join(sorted(changes)),
        data={"before": before, "after": {k: float(v) for k, v in changes.items()}},
    )
    session.flush()
    committed: dict[str, Any] = {name: float(value) for name, value in changes.items()}
    for name, value in committed.items():
        after_commit(session, f"risk.rate.{name}", partial(set_rates, **{name: value}))
    return replace(_rates, **committed)


def refresh_rates(session: Session, *, force: bool = False) -> Rates:
    """Apply the stored rates (at most every :data:`REFRESH_SECONDS` unless ``force``)."""
    global _settings_read_at
    clock = time.monotonic()
    if force or clock - _settings_read_at >= REFRESH_SECONDS:
        _settings_read_at = clock
        stored = {row.name: row.value for row in session.scalars(select(RiskSetting))}
        changed = {k: v for k, v in stored.items() if k in SETTABLE and getattr(_rates, k) != v}
        if changed:
            set_rates(**changed)
    return _rates


def draw(declaration_id: int, salt: str = "random", seed: str | None = None) -> float:
    """A number in [0, 1) fixed by the declaration id, the purpose and the seed: replayable.

    >>> draw(42) == draw(42)
    True
    >>> 0.0 <= draw(42) < 1.0
    True
    """
    text = f"{seed if seed is not None else _rates.seed}:{salt}:{declaration_id}"
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
