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

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, joinedload

from onewindow import audit
from onewindow.db import utcnow
from onewindow.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from onewindow.events import record_event
from onewindow.parties.identifiers import check_country, check_identifier
from onewindow.parties.models import (
    ApiToken,
    LoginFailure,
    Mandate,
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
    Role,
    hash_password,
    new_token,
    role_scopes,
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


def list_organisations(session: Session, principal: Principal) -> Sequence[Organisation]:
    """All organisations for an administrator; one's own for everybody else."""
    query = select(Organisation).order_by(Organisation.name)
    if not principal.is_administrator:
        query = query.where(Organisation.id == principal.organisation_id)
    return session.scalars(query).all()


def organisations_with_role(session: Session, role: str) -> Sequence[Organisation]:
    """Every active organisation that plays ``role`` (e.g. the customs offices to alert)."""
    return session.scalars(
        select(Organisation)
        .join(OrganisationRole)
        .where(OrganisationRole.role == role, Organisation.active.is_(True))
        .order_by(Organisation.id)
    ).all()


def organisations_identified(
    session: Session, identifiers: Iterable[str]
) -> dict[str, Organisation]:
    """The registered organisations with these identifiers (any scheme), by identifier."""
    wanted = {i.strip().upper() for i in identifiers if i and i.strip()}
    if not wanted:
        return {}
    rows = session.scalars(select(Organisation).where(Organisation.identifier.in_(wanted)))
    return {o.identifier: o for o in rows}


def organisation_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Organisations' names by id (what pages and timelines show instead of ids)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))
    )
    return {organisation_id: name for organisation_id, name in rows}


def organisations_by_id(session: Session, ids: Iterable[int]) -> dict[int, Organisation]:
    """Organisations by id, whoever asks (callers show them only to who may see them)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))
    return {o.id: o for o in rows}


SYSTEM_ACTORS = {
    "system": "the single window",
    "risk-engine": "the customs risk engine",
    "customs": "customs",
}
"""How the actors that are no person are named on a page."""


def actor_names(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """How pages name the actors of the audit log and the timelines: a user as "Olu Officer,
    Customs Office Eastport", a token as "API client 'name', Organisation"; an actor not known
    keeps its text."""
    wanted = {a for a in actors if a}
    names = {a: SYSTEM_ACTORS[a] for a in wanted if a in SYSTEM_ACTORS}
    users = {int(a[5:]): a for a in wanted if a.startswith("user:") and a[5:].isdigit()}
    tokens = {int(a[6:]): a for a in wanted if a.startswith("token:") and a[6:].isdigit()}
    if users:
        for user_id, full_name, org_name in session.execute(
            select(User.id, User.full_name, Organisation.name)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(User.id.in_(users))
        ):
            names[users[user_id]] = f"{full_name}, {org_name}"
    if tokens:
        for token_id, token_name, org_name in session.execute(
            select(ApiToken.id, ApiToken.name, Organisation.name)
            .join(Organisation, Organisation.id == ApiToken.organisation_id)
            .where(ApiToken.id.in_(tokens))
        ):
            names[tokens[token_id]] = f"API client '{token_name}', {org_name}"
    return {a: names.get(a, a) for a in wanted}


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
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_digest == token_digest(secret))
        .options(joinedload(ApiToken.organisation))
    )
    now = utcnow()
    if token is None or token.revoked_at is not None or not token.organisation.active:
        return None
    if token.expires_at <= now:
        return None
    # Record use at most once a minute: a write on every request would serialise reads.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    roles = frozenset(token.organisation.role_names)
    return Principal(
        organisation_id=token.organisation_id,
        organisation_name=token.organisation.name,
        organisation_roles=roles,
        # A token never does more than its organisation's roles allow, whatever it was issued with.
        scopes=frozenset(token.scopes) & role_scopes(roles),
        via="token",
        token_id=token.id,
    )


def require_scope(principal: Principal, scope: str) -> None:
    """Refuse with 403 unless the principal holds ``scope``."""
    if scope not in principal.scopes:
        raise Forbidden(f"This needs the scope {scope!r}.")


# Parties named on documents --------------------------------------------------------------------


def name_key(name: str) -> str:
    """A company name as it is compared: case, punctuation and legal-form spelling folded.

    >>> name_key("Harbour Trading Ltd.") == name_key("HARBOUR  TRADING LIMITED")
    True
    """
    words = "".join(c if c.isalnum() else " " for c in name.casefold()).split()
    forms = {"limited": "ltd", "company": "co", "corporation": "corp", "incorporated": "inc"}
    return " ".join(forms.get(w, w) for w in words)


@dataclass(frozen=True)
class NamedParty:
    """A party as a document names it: by identifier, or by name (and country)."""

    identifier: str | None = None
    name: str | None = None
    country: str | None = None


def resolve_parties(session: Session, named: Sequence[NamedParty]) -> list[Organisation | None]:
    """The registered organisation behind each named party, whatever form names it.

    An identifier that is registered decides; otherwise a registered organisation of the same
    name (and country, when given) is the party: naming a company by its name, or by another
    identifier, does not make it someone else. Unregistered parties resolve to None.
    """
    identifiers = {p.identifier.strip().upper() for p in named if p.identifier}
    by_identifier: dict[str, Organisation] = {}
    if identifiers:
        for registered in session.scalars(
            select(Organisation).where(Organisation.identifier.in_(identifiers))
        ):
            by_identifier[registered.identifier] = registered
    keys = {name_key(p.name) for p in named if p.name and name_key(p.name)}
    by_name: dict[str, list[Organisation]] = {}
    if keys:
        # Names are compared folded, so the few candidates are read by their first word.
        firsts = {k.split()[0] for k in keys}
        candidates = session.scalars(
            select(Organisation).where(
                or_(*(func.lower(Organisation.name).contains(w, autoescape=True) for w in firsts))
            )
        )
        for candidate in candidates:
            if name_key(candidate.name) in keys:
                by_name.setdefault(name_key(candidate.name), []).append(candidate)
    found: list[Organisation | None] = []
    for party in named:
        org: Organisation | None = by_identifier.get((party.identifier or "").strip().upper())
        if org is None and party.name:
            same = [
                o
                for o in by_name.get(name_key(party.name), [])
                if party.country is None or o.country == party.country
            ]
            org = same[0] if len(same) == 1 else None
        found.append(org)
    return found


# Mandates: who may act for whom ----------------------------------------------------------------

REPRESENTATIONS: dict[str, str] = {
    "direct": "Direct representation: the representative acts in your name",
    "indirect": "Indirect representation: the representative acts in its own name for you",
}
REPRESENTATION_CODES = {"2": "direct", "3": "indirect"}
"""The WCO representation status codes a declaration carries, and the mandate each needs."""

FLOWS: dict[str, str] = {"IM": "Import", "EX": "Export", "TR": "Transit"}


def _mandate_errors(
    representation: str,
    flows: Sequence[str],
    procedures: Sequence[str],
    valid_from: date,
    valid_to: date | None,
) -> list[FieldError]:
    errors: list[FieldError] = []
    if representation not in REPRESENTATIONS:
        errors.append(FieldError("/representation", f"use {' or '.join(REPRESENTATIONS)}"))
    for i, flow in enumerate(flows):
        if flow not in FLOWS:
            errors.append(FieldError(f"/flows/{i}", f"use {', '.join(FLOWS)}"))
    for i, code in enumerate(procedures):
        if len(code) != 2 or not code.isdigit():
            errors.append(
                FieldError(f"/procedures/{i}", "a requested procedure is two digits, e.g. 40")
            )
    if valid_to is not None and valid_to < valid_from:
        errors.append(FieldError("/valid_to", "must not be before valid_from"))
    return errors


def grant_mandate(
    session: Session,
    principal: Principal,
    *,
    representative: str,
    representation: str,
    flows: Sequence[str] = (),
    procedures: Sequence[str] = (),
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Mandate:
    """The principal's company mandates a customs broker (named by its identifier) to lodge for it.

    Only an importer or exporter grants mandates, for itself; audited, and both sides are told.
    """
    require_scope(principal, "declarations:write")
    if not principal.has_role(Role.TRADER):
        raise Forbidden("Only importers and exporters grant mandates, for themselves.")
    valid_from = valid_from or utcnow().date()
    errors = _mandate_errors(representation, flows, procedures, valid_from, valid_to)
    agent = session.scalar(
        select(Organisation).where(Organisation.identifier == representative.strip().upper())
    )
    if agent is None or not agent.active:
        errors.append(FieldError("/representative", f"no registered company {representative}"))
    elif Role.CUSTOMS_BROKER not in agent.role_names:
        errors.append(
            FieldError("/representative", f"{agent.name} is not registered as a customs broker")
        )
    elif agent.id == principal.organisation_id:
        errors.append(FieldError("/representative", "a company does not mandate itself"))
    if errors:
        raise InvalidInput("The mandate cannot be granted.", errors)
    assert agent is not None
    mandate = Mandate(
        represented_id=principal.organisation_id,
        representative_id=agent.id,
        representation=representation,
        flows=sorted(set(flows)),
        procedures=sorted(set(procedures)),
        valid_from=valid_from,
        valid_to=valid_to,
        granted_by=principal.actor,
        granted_at=utcnow(),
    )
    session.add(mandate)
    session.flush()
    _mandate_recorded(session, principal.actor, mandate, "granted", "")
    return mandate


def _mandate_recorded(
    session: Session, actor: str, mandate: Mandate, what: str, reason: str
) -> None:
    data = {
        "represented": mandate.represented_id,
        "representative": mandate.representative_id,
        "representation": mandate.representation,
        "flows": mandate.flows,
        "procedures": mandate.procedures,
        "valid_from": mandate.valid_from.isoformat(),
        "valid_to": mandate.valid_to.isoformat() if mandate.valid_to else None,
    }
    for organisation_id in (mandate.represented_id, mandate.representative_id):
        audit.record(
            session,
            actor=actor,
            action=f"mandate.{what}",
            subject_type="mandate",
            subject_id=mandate.id,
            organisation_id=organisation_id,
            reason=reason,
            data=data,
        )
        record_event(
            session,
            f"mandate.{what}",
            "mandate",
            mandate.id,
            {
                "represented": mandate.represented.name,
                "representative": mandate.representative.name,
                "reason": reason,
            },
            organisation_id=organisation_id,
        )


def revoke_mandate(
    session: Session, principal: Principal, mandate_id: int, *, reason: str
) -> Mandate:
    """The represented company ends a mandate; declarations lodged under it stay as they are."""
    require_scope(principal, "declarations:write")
    mandate = get_mandate(session, principal, mandate_id)
    if mandate.represented_id != principal.organisation_id:
        raise Forbidden("Only the company that granted a mandate revokes it.")
    if mandate.revoked_at is not None:
        raise Conflict(f"Mandate {mandate_id} was already revoked.")
    if not reason.strip():
        raise InvalidInput("Say why.", [FieldError("/reason", "must not be empty")])
    mandate.revoked_at, mandate.revoked_by = utcnow(), principal.actor
    mandate.revoke_reason = reason.strip()
    session.flush()
    _mandate_recorded(session, principal.actor, mandate, "revoked", mandate.revoke_reason)
    return mandate


def get_mandate(session: Session, principal: Principal, mandate_id: int) -> Mandate:
    """A mandate the principal's company granted or holds; 404 for anyone else."""
    mandate = session.get(Mandate, mandate_id)
    if mandate is None or principal.organisation_id not in (
        mandate.represented_id,
        mandate.representative_id,
    ):
        raise NotFound(f"No mandate {mandate_id}.")
    return mandate


def list_mandates(session: Session, principal: Principal) -> Sequence[Mandate]:
    """Mandates the principal's company granted and those it holds (a broker's clients), newest
    first."""
    me = principal.organisation_id
    return session.scalars(
        select(Mandate)
        .where(or_(Mandate.represented_id == me, Mandate.representative_id == me))
        .order_by(Mandate.id.desc())
    ).all()


def mandate_in_force(mandate: Mandate, on: date) -> bool:
    return (
        mandate.revoked_at is None
        and mandate.valid_from <= on
        and (mandate.valid_to is None or on <= mandate.valid_to)
    )


def covering_mandate(
    session: Session,
    *,
    represented_id: int,
    representative_id: int,
    representation: str,
    flow: str,
    procedures: Iterable[str],
    on: date,
) -> Mandate | None:
    """A mandate in force on ``on`` that covers the flow and every requested procedure."""
    wanted = set(procedures)
    for mandate in session.scalars(
        select(Mandate).where(
            Mandate.represented_id == represented_id,
            Mandate.representative_id == representative_id,
            Mandate.representation == representation,
            Mandate.revoked_at.is_(None),
        )
    ):
        if (
            mandate_in_force(mandate, on)
            and (not mandate.flows or flow in mandate.flows)
            and (not mandate.procedures or wanted <= set(mandate.procedures))
        ):
            return mandate
    return None


@dataclass(frozen=True)
class WorkingParty:
    """A company the principal's organisation works with, as a pick list offers it."""

    identifier: str
    name: str
    relation: str


def working_parties(
    session: Session, principal: Principal, query: str = "", limit: int = 20
) -> list[WorkingParty]:
    """The principal's own company and those its mandates in force join it with (the clients
    that mandated it, the representatives it mandated), matching ``query`` by identifier or
    name; never any other company."""
    today = date.today()
    me = session.get(Organisation, principal.organisation_id)
    found: dict[str, WorkingParty] = {}
    if me is not None:
        found[me.identifier] = WorkingParty(me.identifier, me.name, "your company")
    for mandate in list_mandates(session, principal):
        if not mandate_in_force(mandate, today):
            continue
        if mandate.representative_id == principal.organisation_id:
            other, relation = mandate.represented, "client"
        else:
            other, relation = mandate.representative, "representative"
        found.setdefault(other.identifier, WorkingParty(other.identifier, other.name, relation))
    q = query.strip().lower()
    matching = [
        p
        for p in found.values()
        if p.identifier.lower().startswith(q) or all(w in p.name.lower() for w in q.split())
    ]
    return sorted(matching, key=lambda p: (p.relation != "your company", p.name))[:limit]
