"""HTTP routes of the parties domain: who am I, organisations, users, API tokens, audit trail."""

from __future__ import annotations

from fastapi import APIRouter, Query

from onewindow import audit
from onewindow.db import utcnow
from onewindow.deps import Id, PrincipalDep, SessionDep
from onewindow.parties import service
from onewindow.parties.models import Mandate
from onewindow.parties.schemas import (
    AuditEntryOut,
    IssuedToken,
    MandateIn,
    MandateOut,
    Me,
    OrganisationIn,
    OrganisationOut,
    RevocationIn,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
)
from onewindow.security import Role

router = APIRouter(prefix="/api/v1", tags=["parties"])


@router.get("/me", response_model=Me)
def read_me(principal: PrincipalDep) -> Me:
    """Who the request acts as, and what it may do."""
    return Me(
        organisation_id=principal.organisation_id,
        organisation_name=principal.organisation_name,
        organisation_roles=sorted(principal.organisation_roles),
        user_id=principal.user_id,
        user_name=principal.user_name,
        user_role=principal.user_role,
        scopes=sorted(principal.scopes),
        via=principal.via,
    )


@router.get("/organisations", response_model=list[OrganisationOut])
def list_organisations(session: SessionDep, principal: PrincipalDep) -> list[OrganisationOut]:
    """Your organisation (all of them for a single window administrator)."""
    service.require_scope(principal, "organisation:read")
    return [
        OrganisationOut.model_validate(o) for o in service.list_organisations(session, principal)
    ]


@router.post("/organisations", response_model=OrganisationOut, status_code=201)
def register_organisation(
    body: OrganisationIn, session: SessionDep, principal: PrincipalDep
) -> OrganisationOut:
    """Register an organisation (single window administrators only)."""
    service.require_scope(principal, "organisations:admin")
    org = service.create_organisation(session, actor=principal.actor, **body.model_dump())
    return OrganisationOut.model_validate(org)


@router.get("/organisations/{organisation_id}", response_model=OrganisationOut)
def read_organisation(
    organisation_id: Id, session: SessionDep, principal: PrincipalDep
) -> OrganisationOut:
    service.require_scope(principal, "organisation:read")
    return OrganisationOut.model_validate(
        service.get_organisation(session, principal, organisation_id)
    )


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, principal: PrincipalDep) -> list[UserOut]:
    """The users of your organisation."""
    service.require_scope(principal, "organisation:read")
    return [UserOut.model_validate(u) for u in service.list_users(session, principal)]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, session: SessionDep, principal: PrincipalDep) -> UserOut:
    """Add a user to your organisation (organisation administrators)."""
    service.require_scope(principal, "users:write")
    user = service.create_user(
        session,
        organisation_id=principal.organisation_id,
        actor=principal.actor,
        **body.model_dump(),
    )
    return UserOut.model_validate(user)


@router.get("/users/{user_id}", response_model=UserOut)
def read_user(user_id: Id, session: SessionDep, principal: PrincipalDep) -> UserOut:
    service.require_scope(principal, "organisation:read")
    return UserOut.model_validate(service.get_user(session, principal, user_id))


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(session: SessionDep, principal: PrincipalDep) -> list[TokenOut]:
    """Your organisation's API tokens (never their secrets)."""
    service.require_scope(principal, "organisation:read")
    return [TokenOut.model_validate(t) for t in service.list_tokens(session, principal)]


@router.post("/tokens", response_model=IssuedToken, status_code=201)
def issue_token(body: TokenIn, session: SessionDep, principal: PrincipalDep) -> IssuedToken:
    """Issue a bearer token for a machine client; the secret is in this answer only."""
    service.require_scope(principal, "tokens:write")
    token, secret = service.issue_token(session, principal, **body.model_dump())
    return IssuedToken.model_validate(
        {**TokenOut.model_validate(token).model_dump(), "token": secret}
    )


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: Id, session: SessionDep, principal: PrincipalDep) -> TokenOut:
    service.require_scope(principal, "tokens:write")
    return TokenOut.model_validate(service.revoke_token(session, principal, token_id))


CONFIDENTIAL_ACTIONS = ("risk.", "hold.")
"""Audit actions about an organisation that it does not read: targeting and control reasons."""


@router.get("/audit", response_model=list[AuditEntryOut])
def read_audit_trail(
    session: SessionDep,
    principal: PrincipalDep,
    limit: int = Query(default=100, ge=1, le=1000),
    before_seq: Id | None = Query(default=None),
) -> list[AuditEntryOut]:
    """Decisions recorded about your organisation, newest first (customs' targeting and control
    reasons are not among them: they stay with customs)."""
    service.require_scope(principal, "organisation:read")
    rows = audit.entries_of_organisation(
        session,
        principal.organisation_id,
        limit=limit,
        before_seq=before_seq,
        hidden_prefixes=() if principal.has_role(Role.CUSTOMS) else CONFIDENTIAL_ACTIONS,
    )
    return [AuditEntryOut.model_validate(r) for r in rows]


def _mandate(mandate: Mandate) -> MandateOut:
    return MandateOut.model_validate(
        {
            **{k: getattr(mandate, k) for k in MandateOut.model_fields if k != "in_force"},
            "in_force": service.mandate_in_force(mandate, utcnow().date()),
        }
    )


@router.get("/mandates", response_model=list[MandateOut])
def list_mandates(session: SessionDep, principal: PrincipalDep) -> list[MandateOut]:
    """Mandates your company granted, and those it holds from its clients (a broker's)."""
    service.require_scope(principal, "declarations:read")
    return [_mandate(m) for m in service.list_mandates(session, principal)]


@router.post("/mandates", response_model=MandateOut, status_code=201)
def grant_mandate(body: MandateIn, session: SessionDep, principal: PrincipalDep) -> MandateOut:
    """Mandate a customs broker to lodge in your name (importers and exporters; audited)."""
    return _mandate(service.grant_mandate(session, principal, **body.model_dump()))


@router.get("/mandates/{mandate_id}", response_model=MandateOut)
def read_mandate(mandate_id: Id, session: SessionDep, principal: PrincipalDep) -> MandateOut:
    service.require_scope(principal, "declarations:read")
    return _mandate(service.get_mandate(session, principal, mandate_id))


@router.post("/mandates/{mandate_id}/revoke", response_model=MandateOut)
def revoke_mandate(
    mandate_id: Id, body: RevocationIn, session: SessionDep, principal: PrincipalDep
) -> MandateOut:
    """End a mandate your company granted; what was lodged under it stays as it is."""
    return _mandate(service.revoke_mandate(session, principal, mandate_id, reason=body.reason))
