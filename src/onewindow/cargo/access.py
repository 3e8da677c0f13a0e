"""Who may do what with cargo: one place the cargo routes and pages ask.

The scope says what a token or a user may do at all; the organisation's role says which cargo
work is its own (carriers lodge manifests, terminals report events, port authorities clear calls,
customs controls); ownership says whose calls, manifests and consignments it sees.
"""

from __future__ import annotations

from onewindow.errors import Forbidden
from onewindow.security import Principal, Role

CARGO_ROLES = frozenset({Role.CARRIER, Role.TERMINAL_OPERATOR, Role.PORT_AUTHORITY, Role.CUSTOMS})


def require(principal: Principal, scope: str, *roles: str) -> None:
    """Refuse unless the principal holds ``scope`` and plays one of ``roles`` (any, if none)."""
    if scope not in principal.scopes:
        raise Forbidden(f"This needs the {scope} permission.")
    if roles and not principal.has_role(*roles):
        raise Forbidden("Your organisation's role does not do this.")


def is_customs(principal: Principal) -> bool:
    return principal.has_role(Role.CUSTOMS)
