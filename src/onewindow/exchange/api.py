"""HTTP routes of the partner gateway: partners post signed messages (authenticated by their
signatures and pinned certificates, not by tokens); customs and administrators read the message
log; administrators register partners and pin their certificates."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from onewindow.config import Settings
from onewindow.deps import Id, PrincipalDep, SessionDep
from onewindow.errors import DomainError, InvalidInput
from onewindow.exchange import access, service
from onewindow.exchange.schemas import (
    BatchIn,
    BatchOut,
    BatchResultOut,
    CertificateIn,
    KeyOut,
    MessageDetailOut,
    MessageOut,
    PartnerIn,
    PartnerOut,
)

MESSAGE_BYTES: int = Settings.model_fields["max_body_bytes"].default
"""What the request body may hold, as documented (the app's body limit enforces it)."""

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])

XML = "application/xml"


class _Refused(DomainError):
    """Every message of a batch was refused: the batch answers with the first refusal."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status
        self.title = "Refused"
        self.type_slug = "partner-message-refused"


@router.post(
    "/messages",
    response_class=Response,
    responses={
        200: {"content": {XML: {}}, "description": "the signed acknowledgement"},
        403: {"description": "refused: unknown partner or certificate, or a bad signature"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {XML: {"schema": {"type": "string", "maxLength": MESSAGE_BYTES}}},
        }
    },
)
async def receive_message(request: Request, session: SessionDep) -> Response:
    """A partner single window's signed message (XML, enveloped XML-DSig). Answers with our
    signed acknowledgement; the same message again gets the same one and changes nothing.
    Refused, with the reason, when the partner, its certificate, the signature, the schema or
    the time is wrong."""
    data = await request.body()
    if not data:
        raise InvalidInput("The request carries no message.")
    receipt = service.receive(session, data)
    return Response(receipt.acknowledgement, media_type=XML)


@router.post("/batches", response_model=BatchOut)
def receive_batch(body: BatchIn, session: SessionDep) -> BatchOut:
    """Several signed messages in one request, each checked, applied and acknowledged on its
    own. When none is accepted, the answer is the first refusal."""
    results = service.receive_batch(session, [m.encode() for m in body.messages])
    if results and all(r.status != 200 for r in results):
        first = results[0]
        raise _Refused(first.status, first.detail or "refused")
    return BatchOut(
        results=[
            BatchResultOut(
                index=r.index,
                status=r.status,
                message_id=r.message_id,
                acknowledgement=r.acknowledgement,
                detail=r.detail,
            )
            for r in results
        ]
    )


@router.get("/messages", response_model=list[MessageOut])
def list_messages(
    session: SessionDep,
    principal: PrincipalDep,
    direction: Literal["in", "out"] | None = None,
    partner: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
    message_type: Literal["aeo-status-list", "certificate-of-origin", "export-declaration"]
    | None = None,
    status: Literal["pending", "acknowledged", "failed", "accepted"] | None = None,
    q: Annotated[str | None, Query(max_length=70, description="message id or reference")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MessageOut]:
    """Messages in and out, newest first (customs and administrators)."""
    rows = service.search_messages(
        session,
        principal,
        direction=direction,
        partner=partner,
        message_type=message_type,
        status=status,
        text=q,
        limit=limit,
    )
    return [service.message_view(r) for r in rows]


@router.get("/messages/{message_row_id}", response_model=MessageDetailOut)
def get_message(
    session: SessionDep, principal: PrincipalDep, message_row_id: Id
) -> MessageDetailOut:
    """One message: its signed XML, its signature check and its acknowledgement."""
    return service.message_detail(service.get_message(session, principal, message_row_id))


@router.post("/messages/{message_row_id}/retry", response_model=MessageOut)
def retry_message(session: SessionDep, principal: PrincipalDep, message_row_id: Id) -> MessageOut:
    """Send a failed message again (administrators)."""
    access.require_admin(principal)
    return service.message_view(service.retry(session, message_row_id))


@router.get("/partners", response_model=list[PartnerOut])
def list_partners(session: SessionDep, principal: PrincipalDep) -> list[PartnerOut]:
    """Partner single windows and their pinned certificates (customs and administrators)."""
    access.require_read(principal)
    return [service.partner_view(session, p) for p in service.partners(session)]


@router.post("/partners", response_model=PartnerOut)
def register_partner(body: PartnerIn, session: SessionDep, principal: PrincipalDep) -> PartnerOut:
    """Register a partner single window (or change its name and address), pinning the
    certificates given (administrators)."""
    access.require_admin(principal)
    partner = service.register_partner(
        session, country=body.country, name=body.name, endpoint=body.endpoint, actor=principal.actor
    )
    for pem in body.certificates:
        service.pin_certificate(session, body.country, pem, actor=principal.actor)
    return service.partner_view(session, partner)


@router.post("/partners/{country}/certificates", response_model=PartnerOut)
def pin_certificate(
    country: Annotated[str, Path(pattern=r"^[A-Z]{2}$")],
    body: CertificateIn,
    session: SessionDep,
    principal: PrincipalDep,
) -> PartnerOut:
    """Pin another certificate for a partner (its next key: both are accepted while both are
    valid) (administrators)."""
    access.require_admin(principal)
    service.pin_certificate(session, country, body.certificate, actor=principal.actor)
    return service.partner_view(session, service.get_partner(session, country))


@router.get("/keys", response_model=list[KeyOut])
def list_keys(session: SessionDep, principal: PrincipalDep) -> list[KeyOut]:
    """Our signing keys' certificates (to give partners) and which one signs now
    (administrators)."""
    access.require_admin(principal)
    return service.key_views(session)
