"""The parties domain's door: organisations, users, logins, sessions and API tokens.

Services flush; the caller's boundary commits. Every decision that grants or refuses access is in
the audit log.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import utcnow
from onewindow.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from onewindow.events import record_event
from onewindow.parties.identifiers import check_country, check_identifier
from onewindow.parties.models import (
    ApiToken,
    LoginFailure,
    Organisation,
    OrganisationRole,
    User,
    UserSession,
)
from onewindow.security import (
    ORGANISATION_ROLES,
    SCOPES,
    USER_ROLES,
    Principal,
    hash_password,
    new_token,
    scopes_for_user,
    token_digest,
    verify_password,
)

MIN_PASSWORD_LENGTH = 12
TOKEN_DAYS_DEFAULT = 90
TOKEN_DAYS_MAX = 365


# Organisations ---------------------------------------------------------------------------------


def create_organisation(
    session: Session,
    *,
    name: str,
    identifier_scheme: str,
    identifier: str,
    country: str,
    roles: Iterable[str],
    actor: str = "system",
) -> Organisation:
    """Register an organisation; every field is checked and all errors are reported at once."""
    errors: list[FieldError] = []
    role_list = sorted(set(roles))
    if not name.strip():
        errors.append(FieldError("/name", "must not be empty"))
    try:
        identifier = check_identifier(identifier_scheme, identifier)
    except ValueError as exc:
        errors.append(FieldError("/identifier", str(exc)))
    try:
        country = check_country(country)
    except ValueError as exc:
        errors.append(FieldError("/country", str(exc)))
    if not role_list:
        errors.append(FieldError("/roles", "give at least one role"))
    for i, role in enumerate(role_list):
        if role not in ORGANISATION_ROLES:
            errors.append(
                FieldError(
                    f"/roles/{i}", f"unknown role {role!r}: use {', '.join(ORGANISATION_ROLES)}"
                )
            )
    if errors:
        raise InvalidInput("The organisation cannot be registered.", errors)
    scheme = identifier_scheme.upper()
    taken = session.scalar(
        select(Organisation.id).where(
            Organisation.identifier_scheme == scheme, Organisation.identifier == identifier
        )
    )
    if taken is not None:
        raise Conflict(f"An organisation with {scheme} {identifier} is already registered.")
    org = Organisation(
        name=name.strip(),
        identifier_scheme=scheme,
        identifier=identifier,
        country=country,
        active=True,
        created_at=utcnow(),
        roles=[OrganisationRole(role=r) for r in role_list],
    )
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="organisation.registered",
        subject_type="organisation",
        subject_id=org.id,
        organisation_id=org.id,
        data={"name": org.name, "identifier": f"{scheme} {identifier}", "roles": role_list},
    )
    record_event(session, "organisation.registered", "organisation", org.id, organisation_id=org.id)
    return org


def get_organisation(session: Session, principal: Principal, organisation_id: int) -> Organisation:
    """An organisation the principal may see: its own, or any for an administrator."""
    org = session.get(Organisation, organisation_id)
    if org is None or (org.id != principal.organisation_id and not principal.is_administrator):
        raise NotFound(f"No organisation {organisation_id}.")
    return org


AEO_STATUSES: dict[str, str] = {
    "AEO-F": "Authorised economic operator: customs simplifications, security and safety",
    "AEO-S": "Authorised economic operator: security and safety",
}


def set_aeo_status(
    session: Session,
    principal: Principal,
    organisation_id: int,
    status: str | None,
    valid_until: date | None,
) -> Organisation:
    """Grant, change or withdraw (``status`` None) an organisation's AEO authorisation.

    Single window administrators and customs offices only; audited.
    """
    if not (principal.is_administrator or principal.has_role("customs-office")):
        raise Forbidden("Only customs offices and administrators record AEO authorisations.")
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"No organisation {organisation_id}.")
    if status is not None and status not in AEO_STATUSES:
        raise InvalidInput(
            "Unknown AEO status.", [FieldError("/status", f"use {' or '.join(AEO_STATUSES)}")]
        )
    if status is None:
        valid_until = None
    org.aeo_status, org.aeo_valid_until = status, valid_until
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="organisation.aeo_set" if status else "organisation.aeo_withdrawn",
        subject_type="organisation",
        subject_id=org.id,
        organisation_id=org.id,
        data={
            "aeo_status": status,
            "aeo_valid_until": valid_until.isoformat() if valid_until else None,
        },
    )
    return org


def is_aeo(session: Session, organisation_id: int | None, on: date) -> bool:
    """Whether the organisation holds an AEO authorisation valid on ``on``."""
    if organisation_id is None:
        return False
    row = session.execute(
        select(Organisation.aeo_status, Organisation.aeo_valid_until).where(
            Organisation.id == organisation_id
        )
    ).first()
    if row is None or row.aeo_status is None:
        return False
    return row.aeo_valid_until is None or on <= row.aeo_valid_until


def list_organisations(session: Session, principal: Principal) -> Sequence[Organisation]:
    """All organisations for an administrator; one's own for everybody else."""
    query = select(Organisation).order_by(Organisation.name)
    if not principal.is_administrator:
        query = query.where(Organisation.id == principal.organisation_id)
    return session.scalars(query).all()


def find_organisation(session: Session, scheme: str, identifier: str) -> Organisation | None:
    """The organisation registered under this identifier, if any (for loaders and the demo)."""
    return session.scalar(
        select(Organisation).where(
            Organisation.identifier_scheme == scheme.upper(),
            Organisation.identifier == identifier.upper(),
        )
    )


# Users -----------------------------------------------------------------------------------------


def _password_problems(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters long"
    if password.isalpha() or password.isdigit():
        return "must mix letters with digits or symbols"
    return None


def create_user(
    session: Session,
    *,
    organisation_id: int,
    email: str,
    full_name: str,
    role: str,
    password: str,
    actor: str = "system",
) -> User:
    """Add a user to an organisation; the e-mail is the login and is unique."""
    errors: list[FieldError] = []
    email = email.strip().lower()
    if "@" not in email or "." not in email.rsplit("@", 1)[-1] or " " in email:
        errors.append(FieldError("/email", "is not an e-mail address"))
    if not full_name.strip():
        errors.append(FieldError("/full_name", "must not be empty"))
    if role not in USER_ROLES:
        errors.append(FieldError("/role", f"unknown role {role!r}: use {', '.join(USER_ROLES)}"))
    problem = _password_problems(password)
    if problem:
        errors.append(FieldError("/password", problem))
    if errors:
        raise InvalidInput("The user cannot be created.", errors)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with e-mail {email} already exists.")
    if session.get(Organisation, organisation_id) is None:
        raise NotFound(f"No organisation {organisation_id}.")
    user = User(
        organisation_id=organisation_id,
        email=email,
        full_name=full_name.strip(),
        role=role,
        password_hash=hash_password(password),
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.created",
        subject_type="user",
        subject_id=user.id,
        organisation_id=organisation_id,
        data={"email": email, "role": role},
    )
    return user


def list_users(session: Session, principal: Principal) -> Sequence[User]:
    """The users of the principal's organisation."""
    return session.scalars(
        select(User).where(User.organisation_id == principal.organisation_id).order_by(User.email)
    ).all()


def get_user(session: Session, principal: Principal, user_id: int) -> User:
    """A user of the principal's own organisation."""
    user = session.get(User, user_id)
    if user is None or user.organisation_id != principal.organisation_id:
        raise NotFound(f"No user {user_id}.")
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


# Logins and sessions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a login attempt: a session token, or why not.

    ``refusal`` is "invalid" (wrong e-mail or password, never saying which) or "throttled" (too
    many failures from this source: try again in ``retry_after_s`` seconds).
    """

    token: str | None
    user: User | None
    refusal: str = ""
    retry_after_s: int = 0


def log_in(
    session: Session,
    email: str,
    password: str,
    *,
    client: str | None,
    session_hours: int,
    limits: LoginLimits,
) -> LoginOutcome:
    """Check a password, unless the client's source has failed too often lately.

    A source (an address, see :func:`login_source`) that failed ``limits.max_failures`` times for
    one e-mail within the window is refused for that e-mail, right password or not, until the
    window has moved on; one that failed ``limits.max_source_failures`` times for any e-mails is
    refused for all. Another source still logs in. Unknown e-mails count exactly like known ones,
    and no refusal says whether the e-mail exists.
    """
    now = utcnow()
    source = login_source(client)
    digest = _email_digest(email)
    wait = _throttled_for(session, source, digest, limits, now)
    if wait is not None:
        return LoginOutcome(None, None, "throttled", max(1, math.ceil(wait.total_seconds())))
    user = find_user(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active or not user.organisation.active:
        _record_failure(session, source, digest, user, limits, now)
        return LoginOutcome(None, None, "invalid")
    # A success forgives this source's failures for this e-mail, not its failures for others.
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.source == source, LoginFailure.email_digest == digest
        )
    )
    user.last_login_at = now
    token = new_token()
    session.add(
        UserSession(
            token_digest=token_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=session_hours),
        )
    )
    session.flush()
    return LoginOutcome(token, user)


def log_out(session: Session, token: str) -> None:
    """End a portal session (the cookie becomes worthless)."""
    row = session.scalar(select(UserSession).where(UserSession.token_digest == token_digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()


def principal_for_user(user: User, via: str) -> Principal:
    roles = frozenset(user.organisation.role_names)
    return Principal(
        organisation_id=user.organisation_id,
        organisation_name=user.organisation.name,
        organisation_roles=roles,
        scopes=scopes_for_user(user.role, roles),
        user_id=user.id,
        user_name=user.full_name,
        user_role=user.role,
        via=via,
    )


def principal_for_session(session: Session, token: str) -> Principal | None:
    """Who a session cookie belongs to, if it is live."""
    row = session.scalar(select(UserSession).where(UserSession.token_digest == token_digest(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = row.user
    if not user.active or not user.organisation.active:
        return None
    return principal_for_user(user, "session")


# Login throttling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginLimits:
    """How many failed logins a source may have within ``window``: for one e-mail, and in all."""

    max_failures: int
    max_source_failures: int
    window: timedelta


def login_source(client: str | None) -> str:
    """What failed logins are counted against: the IPv4 address, or the /64 of an IPv6 one.

    One IPv6 subscriber holds a whole /64, so counting its addresses one by one would count
    nothing.

    >>> login_source("203.0.113.9")
    '203.0.113.9'
    >>> login_source("2001:db8:1:2:aaaa::1")
    '2001:db8:1:2::/64'
    >>> login_source(None)
    'unknown'
    """
    try:
        address = ipaddress.ip_address((client or "").strip())
    except ValueError:
        return (client or "unknown").strip()[:64] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _email_digest(email: str) -> str:
    return token_digest(email.strip().lower())


def _nth_newest_failure(
    session: Session, source: str, digest: str | None, n: int, since: datetime
) -> datetime | None:
    query = select(LoginFailure.failed_at).where(
        LoginFailure.source == source, LoginFailure.failed_at > since
    )
    if digest is not None:
        query = query.where(LoginFailure.email_digest == digest)
    return session.scalar(query.order_by(LoginFailure.failed_at.desc()).offset(n - 1).limit(1))


def _throttled_for(
    session: Session, source: str, digest: str, limits: LoginLimits, now: datetime
) -> timedelta | None:
    """How long the source must wait before trying this e-mail again; None if it need not."""
    since = now - limits.window
    waits = []
    for scope, n in ((digest, limits.max_failures), (None, limits.max_source_failures)):
        # The source may try again once the n-th newest failure has left the window.
        nth = _nth_newest_failure(session, source, scope, n, since)
        if nth is not None:
            waits.append(nth + limits.window - now)
    return max(waits) if waits else None


def _record_failure(
    session: Session,
    source: str,
    digest: str,
    user: User | None,
    limits: LoginLimits,
    now: datetime,
) -> None:
    since = now - limits.window
    # Pruning here keeps the table as small as the window, with no job to run.
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= since))
    session.add(LoginFailure(source=source, email_digest=digest, failed_at=now))
    session.flush()
    for_email = session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.source == source,
            LoginFailure.email_digest == digest,
            LoginFailure.failed_at > since,
        )
    )
    in_all = session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.source == source, LoginFailure.failed_at > since
        )
    )
    minutes = int(limits.window.total_seconds() // 60)
    # Recorded once, by the failure that trips the limit: what an operator wants to know.
    if for_email == limits.max_failures:
        audit.record(
            session,
            actor="system",
            action="login.throttled",
            subject_type="user" if user else "login",
            subject_id=user.id if user else digest[:16],
            organisation_id=user.organisation_id if user else None,
            reason=f"{limits.max_failures} failed logins for one e-mail in {minutes} minutes",
            data={"source": source, "email_digest": digest},
        )
    if in_all == limits.max_source_failures:
        audit.record(
            session,
            actor="system",
            action="login.throttled",
            subject_type="login",
            subject_id=source,
            reason=f"{limits.max_source_failures} failed logins in {minutes} minutes",
            data={"source": source},
        )


# API tokens ------------------------------------------------------------------------------------


def issue_token(
    session: Session,
    principal: Principal,
    *,
    name: str,
    scopes: Sequence[str],
    expires_in_days: int = TOKEN_DAYS_DEFAULT,
) -> tuple[ApiToken, str]:
    """Create a bearer token for the principal's organisation; the secret is returned once.

    A token can hold only scopes its creator holds, and every token expires, within
    :data:`TOKEN_DAYS_MAX` days.
    """
    errors: list[FieldError] = []
    if not name.strip():
        errors.append(FieldError("/name", "must not be empty"))
    if not scopes:
        errors.append(FieldError("/scopes", "give at least one scope"))
    for i, scope in enumerate(scopes):
        if scope not in SCOPES:
            errors.append(FieldError(f"/scopes/{i}", f"unknown scope {scope!r}"))
        elif scope not in principal.scopes:
            errors.append(FieldError(f"/scopes/{i}", f"you do not hold the scope {scope!r}"))
    # bool is an int to Python, and a token must never live "True" days.
    if (
        not isinstance(expires_in_days, int)
        or isinstance(expires_in_days, bool)
        or not 1 <= expires_in_days <= TOKEN_DAYS_MAX
    ):
        errors.append(
            FieldError("/expires_in_days", f"must be a whole number from 1 to {TOKEN_DAYS_MAX}")
        )
    if errors:
        raise InvalidInput("The token cannot be issued.", errors)
    secret = new_token("ow_")
    now = utcnow()
    token = ApiToken(
        name=name.strip(),
        organisation_id=principal.organisation_id,
        created_by_user_id=principal.user_id,
        token_digest=token_digest(secret),
        prefix=secret[:10],
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="token.issued",
        subject_type="api_token",
        subject_id=token.id,
        organisation_id=principal.organisation_id,
        data={
            "name": token.name,
            "scopes": token.scopes,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return token, secret


def list_tokens(session: Session, principal: Principal) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken)
        .where(ApiToken.organisation_id == principal.organisation_id)
        .order_by(ApiToken.created_at.desc())
    ).all()


def revoke_token(session: Session, principal: Principal, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.organisation_id != principal.organisation_id:
        raise NotFound(f"No token {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor=principal.actor,
            action="token.revoked",
            subject_type="api_token",
            subject_id=token.id,
            organisation_id=principal.organisation_id,
        )
    session.flush()
    return token


def principal_for_token(session: Session, secret: str) -> Principal | None:
    """Who a bearer token acts for, if it is live."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_digest == token_digest(secret)))
    now = utcnow()
    if token is None or token.revoked_at is not None or not token.organisation.active:
        return None
    if token.expires_at <= now:
        return None
    # Record use at most once a minute: a write on every request would serialise reads.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return Principal(
        organisation_id=token.organisation_id,
        organisation_name=token.organisation.name,
        organisation_roles=frozenset(token.organisation.role_names),
        scopes=frozenset(token.scopes),
        via="token",
        token_id=token.id,
    )


def require_scope(principal: Principal, scope: str) -> None:
    """Refuse with 403 unless the principal holds ``scope``."""
    if scope not in principal.scopes:
        raise Forbidden(f"This needs the scope {scope!r}.")


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0
