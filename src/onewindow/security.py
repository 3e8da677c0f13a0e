"""Passwords, tokens, scopes, CSRF and the principal a request acts as.

Passwords are hashed with argon2id. Session cookies and bearer tokens are random strings of which
only a SHA-256 digest is stored. Forms carry a CSRF token bound to a signed cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeSerializer

_hasher = PasswordHasher()

# A fixed hash to verify against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("not a real password")


class Role(StrEnum):
    """A role an organisation plays in the single window (one organisation may play several)."""

    TRADER = "trader"
    CUSTOMS_BROKER = "customs-broker"
    CARRIER = "carrier"
    TERMINAL_OPERATOR = "terminal-operator"
    PORT_AUTHORITY = "port-authority"
    CUSTOMS = "customs-office"
    PERMIT_AGENCY = "permit-agency"
    ADMINISTRATOR = "administrator"


ORGANISATION_ROLES: dict[str, str] = {
    Role.TRADER: "Importer / exporter",
    Role.CUSTOMS_BROKER: "Customs broker",
    Role.CARRIER: "Carrier",
    Role.TERMINAL_OPERATOR: "Terminal or warehouse operator",
    Role.PORT_AUTHORITY: "Port authority",
    Role.CUSTOMS: "Customs office",
    Role.PERMIT_AGENCY: "Permit-issuing agency",
    Role.ADMINISTRATOR: "Single window administrator",
}
"""Roles an organisation can play, with the labels people see."""

LODGING_ROLES = frozenset({Role.TRADER, Role.CUSTOMS_BROKER})
"""Who may lodge goods declarations: importers and exporters, and the brokers they mandate."""

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
    "cargo:read": "Read the calls, manifests, terminal events and cargo you are entitled to see",
    "cargo:write": "Carriers: calls, manifests, entry summaries; terminals: cargo events; "
    "port authorities: calls, arrival and departure",
    "cargo:control": "Customs: cargo reconciliation, entry summary decisions, gate alerts",
    "permits:read": "Read your permit applications and permits; agencies: those lodged to them",
    "permits:write": "Apply for permits, answer agencies, lodge company documents",
    "permits:decide": "Agencies: work the queue, decide applications, join inspections",
    "permits:admin": "Load agencies' procedures and requirement rules (administrators)",
    "aeo:read": "Read your AEO applications and certificates; customs: all of them",
    "aeo:write": "Apply for an AEO certificate and answer customs' questions",
    "aeo:decide": "Customs: review AEO applications, validation visits, decisions, suspensions",
    "aeo:admin": "Keep the register of partner administrations, MRAs and partners' AEO records",
    "exchange:read": "Customs and administrators: read the messages exchanged with partners",
    "exchange:admin": "Register partner single windows, pin their certificates (administrators)",
}
"""Every scope a token can carry, in one place: the API and the CLI see the same catalogue."""

# Managing users and tokens is an organisation admin's, whatever the organisation does.
_EVERYONE = frozenset(
    {"organisation:read", "notifications:read", "webhooks:write", "users:write", "tokens:write"}
)
_DECLARANT = frozenset(
    {
        "declarations:read",
        "declarations:write",
        "payments:read",
        "payments:write",
        "risk:read",
        "cargo:read",
        "permits:read",
        "permits:write",
    }
)
_CARGO = frozenset({"cargo:read", "cargo:write"})
_AEO = frozenset({"aeo:read", "aeo:write"})
ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.TRADER: _EVERYONE | _DECLARANT | _AEO | {"risk:write"},
    Role.CUSTOMS_BROKER: _EVERYONE | _DECLARANT | _AEO,
    Role.CARRIER: _EVERYONE | _CARGO | _AEO,
    Role.TERMINAL_OPERATOR: _EVERYONE | _CARGO | _AEO,
    Role.PORT_AUTHORITY: _EVERYONE | _CARGO,
    Role.CUSTOMS: _EVERYONE
    | {
        "declarations:read",
        "declarations:control",
        "payments:read",
        "payments:write",
        "ledger:read",
        "risk:read",
        "risk:write",
        "cargo:read",
        "cargo:control",
        "aeo:read",
        "aeo:decide",
        "aeo:admin",
        "exchange:read",
    },
    Role.PERMIT_AGENCY: _EVERYONE | {"permits:read", "permits:decide"},
    Role.ADMINISTRATOR: _EVERYONE
    | {
        "payments:read",
        "payments:write",
        "organisations:admin",
        "permits:admin",
        "aeo:read",
        "aeo:admin",
        "exchange:read",
        "exchange:admin",
    },
}
"""What each organisation role may do at all: a role that cannot lodge never holds the scope to
(a trader's ``risk:write`` is recording its own trade marks for IPR protection)."""


def role_scopes(organisation_roles: frozenset[str]) -> frozenset[str]:
    """Every scope the organisation's roles allow together."""
    allowed: set[str] = set()
    for role in organisation_roles:
        allowed |= ROLE_SCOPES.get(role, frozenset())
    return frozenset(allowed)


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
        return Role.ADMINISTRATOR in self.organisation_roles


def scopes_for_user(user_role: str, organisation_roles: frozenset[str]) -> frozenset[str]:
    """The scopes a logged-in user holds: what the organisation's roles allow, by user role.

    Viewers read only; only an organisation's admins manage its users and tokens.
    """
    scopes = set(role_scopes(organisation_roles))
    if user_role == "viewer":
        scopes = {s for s in scopes if s.endswith(":read")}
    if user_role != "admin":
        scopes -= {"users:write", "tokens:write", "organisations:admin"}
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
