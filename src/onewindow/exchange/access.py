"""Who may see and manage the partner gateway: one place its routes and pages ask.

Customs officers and administrators read the message log (``exchange:read``); only
administrators register partners, pin certificates and manage our keys (``exchange:admin``).
Partners themselves are authenticated by their signatures, not by tokens.
"""

from __future__ import annotations

from onewindow.errors import Forbidden
from onewindow.security import Principal, Role

READ, ADMIN = "exchange:read", "exchange:admin"


def may_read(principal: Principal) -> bool:
    return READ in principal.scopes and principal.has_role(Role.CUSTOMS, Role.ADMINISTRATOR)


def require_read(principal: Principal) -> None:
    """Refuse unless customs or an administrator (holding ``exchange:read``)."""
    if not may_read(principal):
        raise Forbidden("Only customs and administrators see the partner messages.")


def require_admin(principal: Principal) -> None:
    """Refuse unless an administrator holding ``exchange:admin``."""
    if ADMIN not in principal.scopes or not principal.has_role(Role.ADMINISTRATOR):
        raise Forbidden("Only single window administrators manage partners and keys.")
