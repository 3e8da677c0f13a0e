"""Passwords, tokens, scopes, CSRF and the principal a request acts as.

Passwords are hashed with argon2id. Session cookies and bearer tokens are random strings of which
only a SHA-256 digest is stored. Forms carry a CSRF token bound to a signed cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeSerializer

_hasher = PasswordHasher()

# A fixed hash to verify against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("not a real password")

ORGANISATION_ROLES: dict[str, str] = {
    "trader": "Importer / exporter",
    "customs-broker": "Customs broker",
    "carrier": "Carrier",
    "terminal-operator": "Terminal or warehouse operator",
    "port-authority": "Port authority",
    "customs-office": "Customs office",
    "permit-agency": "Permit-issuing agency",
    "administrator": "Single window administrator",
}
"""Roles an organisation can play, with the labels people see."""

USER_ROLES: dict[str, str] = {
    "admin": "Administrator of the organisation's users and tokens",
    "staff": "Does the organisation's work",
    "viewer": "Reads only",
}

SCOPES: dict[str, str] = {
    "organisation:read": "Read your organisation, its users and its audit trail",
    "users:write": "Create and change your organisation's users",
    "tokens:write": "Create and revoke API tokens",
    "organisations:admin": "Register organisations (single window administrators only)",
    "declarations:read": "Read your goods declarations",
    "declarations:write": "Lodge, amend and cancel goods declarations",
    "declarations:control": "Customs: hold, release and invalidate declarations",
    "payments:read": "Read your payment requests, receipts and deferred accounts",
    "payments:write": "Pay payment requests; open deferred accounts (customs)",
    "ledger:read": "Read the revenue ledger (customs offices)",
    "notifications:read": "Read your organisation's notifications, webhooks and their deliveries",
    "webhooks:write": "Subscribe and unsubscribe your organisation's webhooks",
    "risk:read": "Read channel decisions; customs: risk profiles, lists, inspections, hit rates",
    "risk:write": "Record your trade marks; customs: manage risk rules and record inspections",
}
"""Every scope a token can carry, in one place: the API and the CLI see the same catalogue."""


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; constant effort whether or not the account exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token(prefix: str = "") -> str:
    """A fresh random token (256 bits), optionally with a recognisable prefix."""
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256, so a stolen table does not give access."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a user through the portal, or a machine client with a token."""

    organisation_id: int
    organisation_name: str
    organisation_roles: frozenset[str]
    scopes: frozenset[str]
    user_id: int | None = None
    user_name: str = ""
    user_role: str = ""
    via: str = "session"
    token_id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        """How the audit log names this principal."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"token:{self.token_id}"

    def has_role(self, *roles: str) -> bool:
        return bool(self.organisation_roles.intersection(roles))

    @property
    def is_administrator(self) -> bool:
        return "administrator" in self.organisation_roles


def scopes_for_user(user_role: str, organisation_roles: frozenset[str]) -> frozenset[str]:
    """The scopes a logged-in user holds, from their role in the organisation."""
    scopes = set(SCOPES) - {"users:write", "tokens:write", "organisations:admin"}
    if user_role == "viewer":
        scopes = {s for s in scopes if s.endswith(":read")}
    if user_role == "admin":
        scopes |= {"users:write", "tokens:write"}
        if "administrator" in organisation_roles:
            scopes.add("organisations:admin")
    return frozenset(scopes)


class CsrfGuard:
    """Double-submit CSRF protection: a signed random value in a cookie and in each form."""

    COOKIE = "ow_csrf"
    FIELD = "csrf_token"
    HEADER = "x-csrf-token"

    def __init__(self, secret_key: str) -> None:
        self._signer = URLSafeSerializer(secret_key, salt="csrf")

    def issue(self) -> tuple[str, str]:
        """A new (cookie value, form value) pair."""
        raw = secrets.token_urlsafe(24)
        return self._signer.dumps(raw), raw

    def form_value(self, cookie: str | None) -> str | None:
        """The value forms must echo for this cookie, or None if the cookie is forged."""
        if not cookie:
            return None
        try:
            value = self._signer.loads(cookie)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def check(self, cookie: str | None, submitted: str | None) -> bool:
        expected = self.form_value(cookie)
        return bool(expected and submitted and hmac.compare_digest(expected, submitted))
