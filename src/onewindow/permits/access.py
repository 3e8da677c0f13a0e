"""Who may do what with permits: one place the permit routes and pages ask.

Traders and brokers apply and answer (``permits:write``) and see their own applications and
permits; an agency's officers decide (``permits:decide``) what is lodged to their agency only;
customs reads what concerns a declaration; administrators load procedures (``permits:admin``).
"""

from __future__ import annotations

from onewindow.errors import Forbidden
from onewindow.security import Principal, Role


def require(principal: Principal, scope: str, *roles: str) -> None:
    """Refuse unless the principal holds ``scope`` and plays one of ``roles`` (any, if none)."""
    if scope not in principal.scopes:
        raise Forbidden(f"This needs the {scope} permission.")
    if roles and not principal.has_role(*roles):
        raise Forbidden("Your organisation's role does not do this.")


def is_agency(principal: Principal) -> bool:
    """An agency's user: sees what is lodged to the agency (deciding needs ``permits:decide``)."""
    return principal.has_role(Role.PERMIT_AGENCY)


def is_customs(principal: Principal) -> bool:
    return principal.has_role(Role.CUSTOMS)
