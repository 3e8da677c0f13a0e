"""Who may do what in the AEO programme: one place the AEO routes and pages ask.

Companies apply and answer for themselves (``aeo:write``) and see their own applications and
certificates (``aeo:read``); customs officers review, visit, decide, suspend, revoke and
reinstate (``aeo:decide``); customs and administrators keep the register of partner
administrations and MRAs (``aeo:admin``). Risk reasons drawn from AEO benefits are customs'
own and never reach a company.
"""

from __future__ import annotations

from onewindow.errors import Forbidden
from onewindow.security import Principal, Role

APPLICANT_ROLES = (Role.TRADER, Role.CUSTOMS_BROKER, Role.CARRIER, Role.TERMINAL_OPERATOR)
"""Organisation roles that may apply for a certificate."""


def require(principal: Principal, scope: str, *roles: str) -> None:
    """Refuse unless the principal holds ``scope`` and plays one of ``roles`` (any, if none)."""
    if scope not in principal.scopes:
        raise Forbidden(f"This needs the {scope} permission.")
    if roles and not principal.has_role(*roles):
        raise Forbidden("Your organisation's role does not do this.")


def is_customs(principal: Principal) -> bool:
    """A customs officer: sees every application and certificate."""
    return principal.has_role(Role.CUSTOMS)


def require_officer(principal: Principal) -> None:
    """Customs officers only (review, visit, decide, suspend, revoke, reinstate)."""
    require(principal, "aeo:decide", Role.CUSTOMS)


def require_register(principal: Principal) -> None:
    """Customs and administrators keep the partner and MRA register."""
    require(principal, "aeo:admin", Role.CUSTOMS, Role.ADMINISTRATOR)
