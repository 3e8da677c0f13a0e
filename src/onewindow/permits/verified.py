"""Verified once, inspected together, checked by anyone:

- company documents (business registration, standing licences, premises approvals) lodged once,
  verified once by the agency that owns them, reused by every application needing them until
  they expire, their expiry announced ahead;
- joint inspection: an agency asks to join (or to do) the inspection of a declaration, or customs
  asks it in; customs' inspection page shows each agency's part and findings, and the agency
  records its findings there (seeing only the inspections it takes part in, never risk reasons);
- the public verification of an issued certificate or permit by its verification code.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.errors import Conflict, Forbidden, NotFound
from onewindow.events import record_event
from onewindow.parties.models import Organisation
from onewindow.permits.access import is_agency, is_customs, require
from onewindow.permits.models import AgencyFinding, Application, CompanyDocument, Permit
from onewindow.permits.procedures import agencies, agencies_of
from onewindow.permits.schemas import (
    AgencyInspectionOut,
    CompanyDocumentIn,
    FindingOut,
    VerificationOut,
)
from onewindow.security import Principal

COMPANY_DOCUMENT_KINDS = {
    "business_registration": "Business registration",
    "standing_licence": "Standing licence",
    "premises_approval": "Premises approval",
}
FINDING_LABELS = {
    "compliant": "Compliant",
    "non_compliant": "Not compliant",
    "not_inspected": "Not inspected",
}


def lodge_company_document(
    session: Session, principal: Principal, body: CompanyDocumentIn
) -> CompanyDocument:
    require(principal, "permits:write")
    agency = next((a for a in agencies(session).values() if a.code == body.agency), None)
    if agency is None:
        raise NotFound(f"No agency {body.agency}.")
    document = CompanyDocument(
        organisation_id=principal.organisation_id,
        agency_id=agency.id,
        kind=body.kind,
        reference=body.reference,
        status="lodged",
        valid_to=body.valid_to,
        lodged_at=utcnow(),
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="permits.company_document_lodged",
        subject_type="company_document",
        subject_id=document.id,
        data={"kind": body.kind, "reference": body.reference},
        organisation_id=principal.organisation_id,
    )
    return document


def list_company_documents(session: Session, principal: Principal) -> Sequence[CompanyDocument]:
    """The company's own documents; those an agency verifies."""
    require(principal, "permits:read")
    query = select(CompanyDocument).order_by(CompanyDocument.id.desc())
    if is_agency(principal):
        mine = [a.id for a in agencies_of(session, principal.organisation_id)]
        return session.scalars(query.where(CompanyDocument.agency_id.in_(mine))).all()
    return session.scalars(
        query.where(CompanyDocument.organisation_id == principal.organisation_id)
    ).all()


def verify_company_document(
    session: Session, principal: Principal, document_id: int, *, accepted: bool, reason: str
) -> CompanyDocument:
    """The owning agency verifies (or refuses) a company document, once."""
    require(principal, "permits:decide")
    document = session.get(CompanyDocument, document_id)
    mine = {a.id for a in agencies_of(session, principal.organisation_id)}
    if document is None or document.agency_id not in mine:
        raise NotFound(f"No company document {document_id}.")
    if document.status != "lodged":
        raise Conflict(f"The document is already {document.status}.")
    document.status = "verified" if accepted else "refused"
    document.verified_by = principal.actor
    document.verified_at = utcnow()
    audit.record(
        session,
        actor=principal.actor,
        action=f"permits.company_document_{document.status}",
        subject_type="company_document",
        subject_id=document.id,
        reason=reason,
        organisation_id=principal.organisation_id,
    )
    record_event(
        session,
        f"permits.company_document_{document.status}",
        "company_document",
        document.id,
        {"reference": document.reference, "reason": reason, "portal_path": "/permits"},
        organisation_id=document.organisation_id,
    )
    return document


def verified_documents(session: Session, organisation_id: int, on: date) -> set[str]:
    """The kinds of company document the organisation holds verified and unexpired on a day."""
    return set(
        session.scalars(
            select(CompanyDocument.kind).where(
                CompanyDocument.organisation_id == organisation_id,
                CompanyDocument.status == "verified",
                CompanyDocument.valid_to >= on,
            )
        )
    )


def announce_expiring(session: Session, days: int = 30) -> int:
    """Tell each company, once, of its verified documents expiring within ``days``."""
    soon = date.today() + timedelta(days=days)
    rows = session.scalars(
        select(CompanyDocument).where(
            CompanyDocument.status == "verified",
            CompanyDocument.valid_to <= soon,
            CompanyDocument.expiry_announced.is_(False),
        )
    ).all()
    for document in rows:
        document.expiry_announced = True
        record_event(
            session,
            "permits.company_document_expiring",
            "company_document",
            document.id,
            {
                "reference": document.reference,
                "valid_to": document.valid_to.isoformat(),
                "portal_path": "/permits",
            },
            organisation_id=document.organisation_id,
        )
    return len(rows)


# Joint inspection ------------------------------------------------------------------------------


def _concerns_agency(session: Session, agency_ids: set[int], declaration_id: int) -> bool:
    """An agency takes part in a declaration's inspection when an application to it serves the
    declaration, or it already takes part."""
    applied = session.scalar(
        select(Application.id).where(
            Application.declaration_id == declaration_id, Application.agency_id.in_(agency_ids)
        )
    )
    joined = session.scalar(
        select(AgencyFinding.id).where(
            AgencyFinding.declaration_id == declaration_id,
            AgencyFinding.agency_id.in_(agency_ids),
        )
    )
    return bool(applied or joined)


def ask_inspection(
    session: Session, principal: Principal, declaration_id: int, role: str
) -> AgencyFinding:
    """An agency asks to join (or to do) the inspection of a declaration its applications
    serve; customs sees the request with its own inspection."""
    require(principal, "permits:decide")
    mine = agencies_of(session, principal.organisation_id)
    ids = {a.id for a in mine}
    if (
        not mine
        or declarations.find(session, declaration_id) is None
        or not _concerns_agency(session, ids, declaration_id)
    ):
        raise NotFound(f"No declaration {declaration_id} of your agency's applications.")
    row = session.scalar(
        select(AgencyFinding).where(
            AgencyFinding.declaration_id == declaration_id, AgencyFinding.agency_id.in_(ids)
        )
    )
    if row is None:
        row = AgencyFinding(
            declaration_id=declaration_id,
            agency_id=mine[0].id,
            role=role,
            asked_by=principal.actor,
            asked_at=utcnow(),
        )
        session.add(row)
        session.flush()
    else:
        row.role = role
    audit.record(
        session,
        actor=principal.actor,
        action="permits.inspection_asked",
        subject_type="declaration",
        subject_id=declaration_id,
        data={"role": role},
        organisation_id=principal.organisation_id,
    )
    return row


def record_finding(
    session: Session, principal: Principal, declaration_id: int, finding: str, notes: str
) -> AgencyFinding:
    require(principal, "permits:decide")
    ids = {a.id for a in agencies_of(session, principal.organisation_id)}
    row = session.scalar(
        select(AgencyFinding).where(
            AgencyFinding.declaration_id == declaration_id, AgencyFinding.agency_id.in_(ids)
        )
    )
    if row is None:
        raise NotFound(f"Your agency has not joined the inspection of {declaration_id}.")
    row.finding = finding
    row.notes = notes
    row.recorded_at = utcnow()
    audit.record(
        session,
        actor=principal.actor,
        action="permits.finding_recorded",
        subject_type="declaration",
        subject_id=declaration_id,
        reason=notes,
        data={"finding": finding},
        organisation_id=principal.organisation_id,
    )
    return row


ROLE_LABELS = {
    "join": "Asked to join customs",
    "perform": "Asked to do the inspection",
    "asked": "Asked in by customs",
}


def _customs_inspector(principal: Principal) -> bool:
    return is_customs(principal) and "declarations:control" in principal.scopes


def invite_to_inspection(
    session: Session, principal: Principal, declaration_id: int, agency_code: str
) -> AgencyFinding:
    """Customs asks an agency into the inspection of a declaration; the agency is told and
    records its findings on the inspection page."""
    if not _customs_inspector(principal):
        raise Forbidden("Only customs asks an agency into an inspection.")
    agency = next((a for a in agencies(session).values() if a.code == agency_code), None)
    if agency is None:
        raise NotFound(f"No agency {agency_code}.")
    declaration = declarations.find(session, declaration_id)
    if declaration is None:
        raise NotFound(f"No declaration {declaration_id}.")
    row = session.scalar(
        select(AgencyFinding).where(
            AgencyFinding.declaration_id == declaration_id, AgencyFinding.agency_id == agency.id
        )
    )
    if row is not None:
        raise Conflict(f"{agency.name} already takes part in this inspection.")
    row = AgencyFinding(
        declaration_id=declaration_id,
        agency_id=agency.id,
        role="asked",
        asked_by=principal.actor,
        asked_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="permits.inspection_invited",
        subject_type="declaration",
        subject_id=declaration_id,
        data={"agency": agency.code},
        organisation_id=principal.organisation_id,
    )
    if agency.organisation_id is not None:
        record_event(
            session,
            "permits.inspection_invited",
            "declaration",
            declaration_id,
            {
                "agency": agency.name,
                "number": declaration.number or str(declaration.id),
                "portal_path": "/risk/inspections",
            },
            organisation_id=agency.organisation_id,
        )
    return row


def _finding_out(row: AgencyFinding, names: dict[int, str]) -> FindingOut:
    return FindingOut(
        declaration_id=row.declaration_id,
        agency=names.get(row.agency_id, ""),
        role=row.role,
        finding=row.finding,
        notes=row.notes,
        asked_at=row.asked_at,
        recorded_at=row.recorded_at,
    )


def inspection_parts(
    session: Session,
    principal: Principal,
    declaration_ids: Sequence[int] | None = None,
    *,
    limit: int = 50,
) -> dict[int, list[FindingOut]]:
    """For customs' inspection page: each agency's part in these declarations' inspections, or
    (no ids given) in the latest ``limit`` declarations agencies asked to join or were asked
    into."""
    if not _customs_inspector(principal) or declaration_ids == []:
        return {}
    if declaration_ids is None:
        latest = (
            select(AgencyFinding.declaration_id, func.max(AgencyFinding.asked_at).label("at"))
            .group_by(AgencyFinding.declaration_id)
            .order_by(func.max(AgencyFinding.asked_at).desc(), AgencyFinding.declaration_id)
            .limit(limit)
        )
        declaration_ids = [row[0] for row in session.execute(latest)]
    names = {a.id: a.name for a in agencies(session).values()}
    found: dict[int, list[FindingOut]] = {}
    for row in session.scalars(
        select(AgencyFinding)
        .where(AgencyFinding.declaration_id.in_(list(declaration_ids)))
        .order_by(AgencyFinding.declaration_id, AgencyFinding.id)
    ):
        found.setdefault(row.declaration_id, []).append(_finding_out(row, names))
    return found


def agency_inspections(
    session: Session, principal: Principal, limit: int = 200
) -> list[AgencyInspectionOut]:
    """For an agency on the inspection page: only the inspections it was asked into or asked to
    join, each with every agency's part (no risk reasons: those are customs' own)."""
    require(principal, "permits:decide")
    if not is_agency(principal):
        raise Forbidden("Only an agency's officers see its inspections.")
    mine = {a.id for a in agencies_of(session, principal.organisation_id)}
    own = session.scalars(
        select(AgencyFinding)
        .where(AgencyFinding.agency_id.in_(mine))
        .order_by(AgencyFinding.asked_at.desc(), AgencyFinding.id.desc())
        .limit(limit)
    ).all()
    ids = [r.declaration_id for r in own]
    names = {a.id: a.name for a in agencies(session).values()}
    numbers = {i: d.number or str(d.id) for i, d in declarations.by_ids(session, ids).items()}
    everyone: dict[int, list[FindingOut]] = {}
    for row in session.scalars(
        select(AgencyFinding)
        .where(AgencyFinding.declaration_id.in_(ids))
        .order_by(AgencyFinding.declaration_id, AgencyFinding.id)
    ):
        everyone.setdefault(row.declaration_id, []).append(_finding_out(row, names))
    return [
        AgencyInspectionOut(
            declaration_id=r.declaration_id,
            declaration_number=numbers.get(r.declaration_id, str(r.declaration_id)),
            mine=_finding_out(r, names),
            parts=everyone.get(r.declaration_id, []),
        )
        for r in own
    ]


def findings_for(session: Session, principal: Principal, declaration_id: int) -> list[FindingOut]:
    """Every agency's part in the declaration's inspection: customs, and the agencies taking
    part, see them all."""
    ids = {a.id for a in agencies_of(session, principal.organisation_id)}
    if not (is_customs(principal) and "declarations:control" in principal.scopes) and not (
        is_agency(principal) and _concerns_agency(session, ids, declaration_id)
    ):
        raise Forbidden("Only customs and the agencies taking part see the inspection.")
    names = {a.id: a.name for a in agencies(session).values()}
    rows = session.scalars(
        select(AgencyFinding)
        .where(AgencyFinding.declaration_id == declaration_id)
        .order_by(AgencyFinding.id)
    )
    return [
        FindingOut(
            declaration_id=r.declaration_id,
            agency=names.get(r.agency_id, ""),
            role=r.role,
            finding=r.finding,
            notes=r.notes,
            asked_at=r.asked_at,
            recorded_at=r.recorded_at,
        )
        for r in rows
    ]


# Public verification ---------------------------------------------------------------------------


def verify_certificate(session: Session, code: str) -> VerificationOut:
    """Anyone checks a certificate or permit by the verification code printed on it."""
    permit = session.scalar(select(Permit).where(Permit.verification_code == code))
    if permit is None:
        raise NotFound("No certificate has this verification code.")
    holder = session.get(Organisation, permit.holder_id)
    agency = agencies(session).get(permit.agency_id)
    today = date.today()
    return VerificationOut(
        valid=permit.status == "valid" and permit.valid_from <= today <= permit.valid_to,
        number=permit.number,
        kind=permit.kind,
        procedure=permit.procedure_code,
        agency=agency.name if agency else "",
        holder=holder.name if holder else "",
        valid_from=permit.valid_from,
        valid_to=permit.valid_to,
        status=permit.status,
        details=permit.details,
    )
