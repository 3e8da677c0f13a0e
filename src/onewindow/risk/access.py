"""Who acts in risk management: customs offices, and the engine deciding on their behalf."""

from __future__ import annotations

from onewindow.errors import Forbidden
from onewindow.security import Principal, Role

ENGINE = "risk-engine"
CUSTOMS = Role.CUSTOMS


def is_customs(principal: Principal) -> bool:
    return principal.has_role(CUSTOMS)


def require_customs(principal: Principal) -> None:
    """Refuse with 403 unless the principal is a customs office."""
    if not is_customs(principal):
        raise Forbidden("Only customs offices manage risk rules and inspections.")
