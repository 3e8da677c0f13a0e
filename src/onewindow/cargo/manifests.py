"""Manifests: what a means of transport carries, document by document, lodged before arrival.

A manifest is lodged once per carrier reference (the idempotency key: the same body again gives
back the first answer), replaced as a new version with its differences, or cancelled. Its
deadline follows the mode (configuration); a manifest after its deadline is kept and recorded as
late. The JSON form and CUSCAR arrive at the same :func:`lodge_manifest`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.cargo.access import require
from onewindow.cargo.calls import find_call
from onewindow.cargo.identifiers import container_problem, transport_problem
from onewindow.cargo.models import (
    Call,
    ContainerOnDocument,
    Manifest,
    ManifestVersion,
    TransportDocument,
)
from onewindow.cargo.schemas import ManifestIn, TransportDocumentIn
from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.errors import Conflict, FieldError, InvalidInput, NotFound
from onewindow.events import record_event
from onewindow.formats import service as formats
from onewindow.parties import service as parties
from onewindow.reference import service as reference
from onewindow.security import Principal, Role

LODGED, AMENDED, CANCELLED = "lodged", "amended", "cancelled"


def digest(body: ManifestIn) -> str:
    text = json.dumps(body.model_dump(mode="json", exclude={"function"}), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _document_errors(
    at: str, document: TransportDocumentIn, locodes: frozenset[str]
) -> list[FieldError]:
    errors = []
    listed = set()
    for j, container in enumerate(document.containers):
        problem = container_problem(container.number)
        if problem:
            errors.append(FieldError(f"{at}/containers/{j}/number", problem))
        if container.number in listed:
            errors.append(FieldError(f"{at}/containers/{j}/number", "is listed twice"))
        listed.add(container.number)
    lines = set()
    for j, line in enumerate(document.goods):
        if line.line in lines:
            errors.append(FieldError(f"{at}/goods/{j}/line", f"line {line.line} is given twice"))
        lines.add(line.line)
        if line.container is not None and line.container not in listed:
            errors.append(
                FieldError(f"{at}/goods/{j}/container", "is not among the document's containers")
            )
    for name in ("port_of_loading", "port_of_discharge"):
        code = getattr(document, name)
        if code is not None and code not in locodes:
            errors.append(FieldError(f"{at}/{name}", f"{code} is not a UN/LOCODE"))
    if document.kind == "house" and not document.master_number:
        errors.append(FieldError(f"{at}/master_number", "a house document names its master"))
    return errors


def check_manifest(session: Session, body: ManifestIn) -> list[FieldError]:
    """Every error of a manifest at once, each pointing at its field."""
    errors = []
    problem = transport_problem(body.mode, body.transport_id)
    if problem:
        errors.append(FieldError("/transport_id", problem))
    locodes = reference.lookups(session).locodes
    for name in ("port_of_loading", "port_of_discharge"):
        code = getattr(body, name)
        if code is not None and code not in locodes:
            errors.append(FieldError(f"/{name}", f"{code} is not a UN/LOCODE"))
    if body.arrival is not None and body.arrival.tzinfo is None:
        errors.append(FieldError("/arrival", "give the time zone, e.g. 2026-12-02T08:00:00Z"))
    seen: set[str] = set()
    for i, document in enumerate(body.documents):
        at = f"/documents/{i}"
        if document.number.upper() in seen:
            errors.append(FieldError(f"{at}/number", f"{document.number} is given twice"))
        seen.add(document.number.upper())
        errors += _document_errors(at, document, locodes)
    return errors


def _deadline(mode: str, arrival: datetime | None) -> datetime | None:
    hours = get_settings().cargo_deadline_hours.get(mode)
    if arrival is None or hours is None:
        return None
    return arrival - timedelta(hours=hours)


def _consignees(session: Session, body: ManifestIn) -> dict[str, int]:
    """The registered consignees the documents name, by identifier."""
    named = [
        d.consignee.identifier for d in body.documents if d.consignee and d.consignee.identifier
    ]
    found = parties.organisations_identified(session, [n for n in named if n])
    return {identifier: organisation.id for identifier, organisation in found.items()}


def _documents(session: Session, manifest: Manifest, body: ManifestIn) -> None:
    """Write the manifest's documents and container index from its content (replacing any)."""
    manifest.documents.clear()
    session.flush()
    consignees = _consignees(session, body)
    for document in body.documents:
        consignee = document.consignee
        row = TransportDocument(
            number=document.number.upper(),
            kind=document.kind,
            master_number=document.master_number.upper() if document.master_number else None,
            consignee_id=consignees.get((consignee.identifier or "").strip().upper())
            if consignee
            else None,
            consignee=(consignee.name or consignee.identifier) if consignee else None,
            shipper=(document.shipper.name or document.shipper.identifier)
            if document.shipper
            else None,
            packages=sum(line.packages for line in document.goods),
            gross_mass_kg=sum((line.gross_mass_kg for line in document.goods), Decimal(0)),
            port_of_loading=document.port_of_loading or body.port_of_loading,
            port_of_discharge=document.port_of_discharge or body.port_of_discharge,
            containers=[c.number for c in document.containers],
        )
        manifest.documents.append(row)
    session.flush()
    session.add_all(
        ContainerOnDocument(document_id=row.id, number=c.number, seals=list(c.seals))
        for row, document in zip(manifest.documents, body.documents, strict=True)
        for c in document.containers
    )


def _carrier_errors(principal: Principal, body: ManifestIn, session: Session) -> None:
    """A carrier lodges its own manifests: naming another registered organisation as the
    carrier is refused (a code the carrier goes by, such as a SCAC, is its own business)."""
    if body.carrier is None or not body.carrier.identifier:
        return
    identifier = body.carrier.identifier.strip().upper()
    named = parties.organisations_identified(session, [identifier]).get(identifier)
    if named is not None and named.id != principal.organisation_id:
        raise InvalidInput(
            "A carrier lodges its own manifests.",
            [FieldError("/carrier/identifier", "names another registered organisation")],
        )


def lodge_manifest(
    session: Session,
    principal: Principal,
    body: ManifestIn,
    *,
    received_as: str = "json",
    now: datetime | None = None,
) -> tuple[Manifest, bool, list[str]]:
    """Lodge, replace or cancel a manifest; (manifest, whether it changed, warnings).

    Nothing is written when anything is wrong: every error comes back at once. ``now`` is when
    it was received (loaders replaying past traffic give it; the API never does).
    """
    require(principal, "cargo:write", Role.CARRIER)
    _carrier_errors(principal, body, session)
    errors = check_manifest(session, body)
    if errors:
        raise InvalidInput("The manifest is not valid; nothing was recorded.", errors)
    found = session.scalar(
        select(Manifest)
        .where(Manifest.carrier_id == principal.organisation_id)
        .where(Manifest.reference == body.reference)
        .with_for_update(of=Manifest)
    )
    if body.function == "original":
        if found is not None:
            if found.request_digest == digest(body):
                return found, False, []
            raise Conflict(
                f"Manifest {body.reference} exists with other content; "
                "send it with function replace to amend it."
            )
        return _create(session, principal, body, received_as, now or utcnow())
    if found is None:
        raise NotFound(f"No manifest {body.reference} to {body.function}.")
    if found.status == CANCELLED:
        raise Conflict(f"Manifest {body.reference} was cancelled.")
    if body.function == "cancel":
        return _cancel(session, principal, found), True, []
    return _replace(session, principal, found, body)


def lodge_cuscar(
    session: Session, principal: Principal, data: bytes
) -> tuple[Manifest, bool, list[str]]:
    """A manifest sent as a CUSCAR interchange, through the same checks as the JSON form."""
    require(principal, "cargo:write", Role.CARRIER)
    mapped = formats.manifest_from_cuscar(data)
    try:
        body = ManifestIn.model_validate(mapped)
    except ValidationError as exc:
        raise InvalidInput(
            "The cargo report does not make a valid manifest.",
            [FieldError("/" + "/".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()],
        ) from None
    return lodge_manifest(session, principal, body, received_as="cuscar")


def _timing(body: ManifestIn, call: Call | None, now: datetime) -> tuple[datetime | None, bool]:
    arrival = call.eta if call is not None else body.arrival
    deadline = _deadline(body.mode, arrival)
    return deadline, deadline is not None and now > deadline


def _create(
    session: Session, principal: Principal, body: ManifestIn, received_as: str, now: datetime
) -> tuple[Manifest, bool, list[str]]:
    call = find_call(session, body.transport_id, body.port_of_discharge)
    deadline, late = _timing(body, call, now)
    content = body.model_dump(mode="json")
    manifest = Manifest(
        carrier_id=principal.organisation_id,
        reference=body.reference,
        call_id=call.id if call else None,
        mode=body.mode,
        version=1,
        status=LODGED,
        content=content,
        request_digest=digest(body),
        received_as=received_as,
        deadline=deadline,
        late=late,
        lodged_at=now,
        updated_at=now,
    )
    session.add(manifest)
    session.flush()
    _documents(session, manifest, body)
    session.add(
        ManifestVersion(
            manifest_id=manifest.id,
            version=1,
            content=content,
            changes=[],
            actor=principal.actor,
            recorded_at=now,
            late=late,
        )
    )
    _recorded(session, principal.actor, manifest, "lodged")
    return manifest, True, _warnings(call, body, late, deadline)


def _warnings(
    call: Call | None, body: ManifestIn, late: bool, deadline: datetime | None
) -> list[str]:
    warnings = []
    if call is None:
        warnings.append(
            f"No call of {body.transport_id} is registered"
            + (f" at {body.port_of_discharge}" if body.port_of_discharge else "")
            + "; the manifest is kept and linked when the call is."
        )
    if late and deadline is not None:
        warnings.append(
            f"Lodged after its deadline ({deadline:%Y-%m-%d %H:%M} UTC): recorded late."
        )
    return warnings


def _replace(
    session: Session, principal: Principal, manifest: Manifest, body: ManifestIn
) -> tuple[Manifest, bool, list[str]]:
    content = body.model_dump(mode="json")
    old = {k: v for k, v in manifest.content.items() if k != "function"}
    new = {k: v for k, v in content.items() if k != "function"}
    changes = declarations.differences(old, new)
    if not changes:
        return manifest, False, []
    call = find_call(session, body.transport_id, body.port_of_discharge)
    deadline, late = _timing(body, call, utcnow())
    manifest.version += 1
    manifest.content = content
    manifest.request_digest = digest(body)
    manifest.status = AMENDED
    manifest.mode = body.mode
    manifest.call_id = call.id if call else manifest.call_id
    manifest.late = manifest.late or late
    manifest.updated_at = utcnow()
    _documents(session, manifest, body)
    session.add(
        ManifestVersion(
            manifest_id=manifest.id,
            version=manifest.version,
            content=content,
            changes=[{"pointer": p, "old": o, "new": n} for p, o, n in changes],
            actor=principal.actor,
            recorded_at=manifest.updated_at,
            late=late,
        )
    )
    _recorded(session, principal.actor, manifest, "amended")
    return manifest, True, _warnings(call, body, late, deadline)


def _cancel(session: Session, principal: Principal, manifest: Manifest) -> Manifest:
    numbers = [d.number for d in manifest.documents]
    if declarations.covering(session, documents=numbers):
        raise Conflict(
            "The manifest cannot be cancelled: goods declarations name its documents. "
            "Amend it instead."
        )
    manifest.status = CANCELLED
    manifest.updated_at = utcnow()
    _recorded(session, principal.actor, manifest, "cancelled")
    return manifest


def _recorded(session: Session, actor: str, manifest: Manifest, what: str) -> None:
    data = {
        "reference": manifest.reference,
        "version": manifest.version,
        "documents": len(manifest.documents),
        "late": manifest.late,
    }
    audit.record(
        session,
        actor=actor,
        action=f"manifest.{what}",
        subject_type="manifest",
        subject_id=manifest.id,
        organisation_id=manifest.carrier_id,
        data=data,
    )
    record_event(
        session,
        f"cargo.manifest_{what}",
        "manifest",
        manifest.id,
        data,
        organisation_id=manifest.carrier_id,
    )
    # Declarations waiting for this cargo's manifest may be free to go now.
    numbers = [d.number for d in manifest.documents]
    for declaration in declarations.covering(session, documents=numbers):
        record_event(
            session,
            "release.conditions_changed",
            "declaration",
            declaration.id,
            {"by": "cargo"},
        )


def list_manifests(session: Session, principal: Principal, limit: int = 200) -> Sequence[Manifest]:
    """A carrier's own manifests; every manifest for customs."""
    require(principal, "cargo:read")
    query = select(Manifest).order_by(Manifest.id.desc()).limit(limit)
    if not principal.has_role(Role.CUSTOMS):
        query = query.where(Manifest.carrier_id == principal.organisation_id)
    return session.scalars(query).all()


def get_manifest(session: Session, principal: Principal, manifest_id: int) -> Manifest:
    require(principal, "cargo:read")
    manifest = session.get(Manifest, manifest_id)
    if manifest is None or not (
        principal.has_role(Role.CUSTOMS) or manifest.carrier_id == principal.organisation_id
    ):
        raise NotFound(f"No manifest {manifest_id}.")
    return manifest


def manifest_versions(session: Session, manifest: Manifest) -> Sequence[ManifestVersion]:
    return session.scalars(
        select(ManifestVersion)
        .where(ManifestVersion.manifest_id == manifest.id)
        .order_by(ManifestVersion.version)
    ).all()


def documents_numbered(session: Session, numbers: Sequence[str]) -> list[TransportDocument]:
    """The transport documents with these numbers on manifests in force."""
    if not numbers:
        return []
    return list(
        session.scalars(
            select(TransportDocument)
            .join(Manifest, Manifest.id == TransportDocument.manifest_id)
            .where(TransportDocument.number.in_([n.upper() for n in numbers]))
            .where(Manifest.status != CANCELLED)
            .order_by(TransportDocument.id)
        )
    )


def content_summary(content: dict[str, Any]) -> dict[str, Any]:
    """Totals of a manifest's content for its page: documents, lines, packages, gross mass."""
    documents = content.get("documents", [])
    lines = [line for d in documents for line in d.get("goods", [])]
    return {
        "documents": len(documents),
        "lines": len(lines),
        "packages": sum(int(line.get("packages", 0)) for line in lines),
        "gross_mass_kg": sum(
            (Decimal(str(line.get("gross_mass_kg", 0))) for line in lines), Decimal(0)
        ),
        "containers": sorted({c["number"] for d in documents for c in d.get("containers", [])}),
    }
