"""Applications to agencies: lodged alone or from a declaration, worked step by step in the
agency's queue, asked about and answered in one thread, decided; and the permits they issue.

Every decision is audited, every change an event that the parties are told of.
"""

from __future__ import annotations

import secrets
import statistics
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.declarations.models import Declaration
from onewindow.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from onewindow.events import Event, record_event
from onewindow.money import Money
from onewindow.parties.models import Organisation
from onewindow.payments import service as payments
from onewindow.permits import engine
from onewindow.permits.access import is_agency, require
from onewindow.permits.checks import tell_waiting, used
from onewindow.permits.models import Agency, Application, ApplicationMessage, Permit, Procedure
from onewindow.permits.procedures import agencies_of, current, rule_index
from onewindow.permits.requirements import evaluate, goods_of
from onewindow.permits.schemas import (
    AnswerIn,
    ApplicationIn,
    ApplicationOut,
    DecisionIn,
    DeclaredApplicationIn,
    FeeOut,
    MessageOut,
    NeedOut,
    PermitOut,
    StepIn,
    StepOut,
    TurnaroundOut,
)
from onewindow.permits.verified import verified_documents
from onewindow.security import Principal

LODGED, IN_REVIEW, ASKED, APPROVED, REJECTED = (
    "lodged",
    "in_review",
    "information_requested",
    "approved",
    "rejected",
)
STATUS_LABELS = {
    LODGED: "Lodged",
    IN_REVIEW: "In review",
    ASKED: "Information asked for",
    APPROVED: "Approved",
    REJECTED: "Refused",
}
OPEN_STATUSES = (LODGED, IN_REVIEW, ASKED)


def _org_name(session: Session, organisation_id: int | None) -> str:
    org = session.get(Organisation, organisation_id) if organisation_id else None
    return org.name if org else ""


def _announce(
    session: Session,
    topic: str,
    application: Application,
    organisation_id: int | None,
    **extra: Any,
) -> None:
    record_event(
        session,
        topic,
        "permit_application",
        application.id,
        {
            "number": application.number,
            "portal_path": f"/permits/applications/{application.id}",
            **extra,
        },
        organisation_id=organisation_id,
    )


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    application: Application,
    reason: str = "",
    **data: Any,
) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action=f"permits.{action}",
        subject_type="permit_application",
        subject_id=application.id,
        reason=reason,
        data={"number": application.number, **data},
        organisation_id=principal.organisation_id,
    )


def _say(
    session: Session, principal: Principal, application: Application, kind: str, text: str
) -> None:
    session.add(
        ApplicationMessage(
            application_id=application.id,
            organisation_id=principal.organisation_id,
            author=principal.organisation_name,
            kind=kind,
            text=text,
            at=utcnow(),
        )
    )


# Lodging ---------------------------------------------------------------------------------------


def _declaration_item(
    session: Session, principal: Principal, declaration_id: int, sequence: int | None
) -> tuple[Declaration, dict[str, Any], dict[str, str]]:
    declaration = declarations.get(session, principal, declaration_id)
    items = {int(i.get("sequence") or 0): i for i in declaration.content.get("items", [])}
    if sequence is None or sequence not in items:
        raise InvalidInput(
            "Say which goods item of the declaration the permit is for.",
            [FieldError("/item", "is not an item of the declaration")],
        )
    named = declarations.parties_of(session, declaration)
    names = {role: _org_name(session, org) for role, org in named.items()}
    for role in ("importer", "exporter"):
        party = declaration.content.get(role) or {}
        if not names.get(role) and party.get("name"):
            names[role] = str(party["name"])
    return declaration, items[sequence], names


def _state(procedure: Procedure, data: Mapping[str, Any], steps: dict[str, Any]) -> dict[str, Any]:
    """Open the steps the graph opens now (noting when) and skip those not needed."""
    now = utcnow().isoformat()
    definition = procedure.definition
    skipped = set(engine.skipped_steps(definition, data))
    for key in [k for k, v in steps.items() if v.get("state") == engine.SKIPPED]:
        if key not in skipped:
            del steps[key]  # needed again, after an answer changed the data
    for key in skipped:
        steps.setdefault(key, {})["state"] = engine.SKIPPED
    for opened in engine.open_steps(definition, data, _states(steps)):
        entry = steps.setdefault(opened, {})
        if entry.get("state") != "open":
            entry.update(state="open", opened_at=now)
    return steps


def _states(steps: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v.get("state")) for k, v in steps.items()}


def _problems(
    session: Session, principal: Principal, procedure: Procedure, data: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """What the form lacks, and the company documents the applicant has not had verified."""
    problems = engine.check_form(procedure.definition, data)
    held = verified_documents(session, principal.organisation_id, date.today())
    problems += [
        ("/company_documents", f"needs a verified, unexpired {kind.replace('_', ' ')}")
        for kind in procedure.definition.get("company_documents") or []
        if kind not in held
    ]
    return problems


def check_declared(
    session: Session,
    principal: Principal,
    content: Mapping[str, Any],
    names: Mapping[str, str],
    applications: Sequence[DeclaredApplicationIn],
) -> None:
    """Check the permit applications a declaration carries, before anything is stored: each
    problem names its place in the declaration (``/permit_applications/0/fields/purpose``).

    ``content`` is the declaration as lodged, ``names`` its registered parties' names by role.
    Fields the declaration gives are taken from it, never retyped.
    """
    if not applications:
        return
    require(principal, "permits:write")
    items = {int(i.get("sequence") or 0): i for i in content.get("items", [])}
    named = dict(names)
    for role in ("importer", "exporter"):
        party = content.get(role) or {}
        if not named.get(role) and party.get("name"):
            named[role] = str(party["name"])
    errors: list[FieldError] = []
    for i, spec in enumerate(applications):
        base = f"/permit_applications/{i}"
        procedure = session.scalar(
            select(Procedure).where(Procedure.code == spec.procedure, Procedure.current.is_(True))
        )
        if procedure is None:
            errors.append(FieldError(f"{base}/procedure", f"no procedure {spec.procedure}"))
            continue
        found: dict[str, str] = {}
        for j, sequence in enumerate(spec.items):
            if sequence not in items:
                errors.append(FieldError(f"{base}/items/{j}", "is not a goods item here"))
                continue
            facts = engine.declaration_facts(content, items[sequence], named)
            filled = engine.fill_from_declaration(procedure.definition, facts)
            for name in sorted(set(spec.fields) & set(filled)):
                found.setdefault(f"{base}/fields/{name}", "comes from the declaration")
            data = {**spec.fields, **filled}
            for pointer, message in _problems(session, principal, procedure, data):
                if pointer.startswith("/data/"):
                    pointer = f"{base}/fields/{pointer.removeprefix('/data/')}"
                elif pointer == "/company_documents":
                    pointer = f"{base}/procedure"
                found.setdefault(pointer, message)
        errors += [FieldError(p, m) for p, m in found.items()]
    if errors:
        raise InvalidInput(
            "A permit application in the declaration is not complete; nothing was lodged.",
            errors,
        )


def lodge_declared(
    session: Session,
    principal: Principal,
    declaration_id: int,
    applications: Sequence[DeclaredApplicationIn],
) -> list[Application]:
    """Lodge the applications a declaration carried (checked by :func:`check_declared`), one
    per goods item, in the declaration's own transaction."""
    return [
        lodge(
            session,
            principal,
            ApplicationIn(
                procedure=spec.procedure,
                declaration_id=declaration_id,
                item=sequence,
                data=spec.fields,
            ),
        )
        for spec in applications
        for sequence in spec.items
    ]


def lodge(session: Session, principal: Principal, body: ApplicationIn) -> Application:
    """Lodge an application; fields taken from the declaration are filled from it."""
    require(principal, "permits:write")
    procedure = current(session, body.procedure)
    data = dict(body.data)
    taken: list[str] = []
    declaration_id = None
    if body.declaration_id is not None:
        declaration, item, names = _declaration_item(
            session, principal, body.declaration_id, body.item
        )
        facts = engine.declaration_facts(declaration.content, item, names)
        filled = engine.fill_from_declaration(procedure.definition, facts)
        data.update(filled)
        taken = sorted(filled)
        declaration_id = declaration.id
    problems = _problems(session, principal, procedure, data)
    if problems:
        raise InvalidInput(
            "The application is not complete.", [FieldError(p, m) for p, m in problems]
        )
    now = utcnow()
    application = Application(
        number=f"PA-{secrets.token_hex(5).upper()}",
        procedure_id=procedure.id,
        agency_id=procedure.agency_id,
        applicant_id=principal.organisation_id,
        declaration_id=declaration_id,
        item_sequence=body.item if declaration_id else None,
        data=data,
        from_declaration=taken,
        steps=_state(procedure, data, {}),
        status=LODGED,
        lodged_by=principal.actor,
        lodged_at=now,
        updated_at=now,
    )
    session.add(application)
    session.flush()
    application.number = f"PA{now:%y}{application.id:07d}"
    _audit(session, principal, "application_lodged", application, procedure=procedure.code)
    _ask_fees(session, application, procedure, principal.actor)
    agency = session.get(Agency, procedure.agency_id)
    _announce(session, "permits.application_lodged", application, principal.organisation_id)
    if agency and agency.organisation_id:
        _announce(session, "permits.application_received", application, agency.organisation_id)
    return application


def needs_of(session: Session, principal: Principal, declaration_id: int) -> list[NeedOut]:
    """What each goods item of a declaration needs, with the application form pre-filled."""
    declaration = declarations.get(session, principal, declaration_id)
    return _needs(session, principal, declaration)


def _needs(session: Session, principal: Principal, declaration: Declaration) -> list[NeedOut]:
    found = []
    items = {int(i.get("sequence") or 0): i for i in declaration.content.get("items", [])}
    names = {
        r: _org_name(session, o) for r, o in declarations.parties_of(session, declaration).items()
    }
    agency_names = {a.id: a.name for a in session.scalars(select(Agency))}
    for need in evaluate(rule_index(session), goods_of(declaration.content, date.today())):
        procedure = session.scalar(
            select(Procedure).where(Procedure.code == need.procedure, Procedure.current.is_(True))
        )
        if procedure is None:
            continue
        item = items[need.item]
        facts = engine.declaration_facts(declaration.content, item, names)
        found.append(
            NeedOut(
                item=need.item,
                commodity_code=str(item.get("commodity_code")),
                procedure=procedure.code,
                procedure_name=procedure.name,
                agency=agency_names.get(procedure.agency_id, ""),
                document_type=procedure.document_type,
                mandatory=need.rule.mandatory,
                exempt=need.exempt,
                legal_reference=need.rule.legal_reference,
                prefilled=engine.fill_from_declaration(procedure.definition, facts),
            )
        )
    return found


def generate(
    session: Session, principal: Principal, declaration_id: int
) -> tuple[list[Application], list[dict[str, Any]]]:
    """Lodge, from a declaration, an application for every permit its items need and do not
    have or wait for yet; an application whose form the declaration cannot fill is not lodged,
    and what it lacks is said."""
    require(principal, "permits:write")
    declaration = declarations.get(session, principal, declaration_id)
    lodged, refused = [], []
    for need in _needs(session, principal, declaration):
        if need.exempt or not need.mandatory:
            continue
        existing = session.scalar(
            select(Application.id)
            .join(Procedure, Procedure.id == Application.procedure_id)
            .where(
                Application.declaration_id == declaration.id,
                Application.item_sequence == need.item,
                Procedure.code == need.procedure,
                Application.status != REJECTED,
            )
        )
        if existing:
            continue
        body = ApplicationIn(
            procedure=need.procedure, declaration_id=declaration.id, item=need.item
        )
        try:
            with session.begin_nested():
                lodged.append(lodge(session, principal, body))
        except InvalidInput as exc:
            refused.append(
                {
                    "item": need.item,
                    "procedure": need.procedure,
                    "problems": [{"pointer": e.pointer, "detail": e.detail} for e in exc.errors],
                }
            )
    return lodged, refused


# Reading ---------------------------------------------------------------------------------------


def _sees(session: Session, principal: Principal, application: Application) -> bool:
    if application.applicant_id == principal.organisation_id:
        return True
    return is_agency(principal) and application.agency_id in {
        a.id for a in agencies_of(session, principal.organisation_id)
    }


def get(session: Session, principal: Principal, application_id: int) -> Application:
    """An application the principal may see (its applicant, the agency it is lodged to)."""
    require(principal, "permits:read")
    application = session.get(Application, application_id)
    if application is None or not _sees(session, principal, application):
        raise NotFound(f"No application {application_id}.")
    return application


def _for_agency(session: Session, principal: Principal, application_id: int) -> Application:
    require(principal, "permits:decide")
    application = get(session, principal, application_id)
    if not is_agency(principal) or application.applicant_id == principal.organisation_id:
        raise Forbidden("Only the agency the application is lodged to decides on it.")
    if application.status not in OPEN_STATUSES:
        raise Conflict(f"The application is {STATUS_LABELS[application.status].lower()}.")
    return application


def list_applications(
    session: Session, principal: Principal, *, status: str | None = None, limit: int = 200
) -> Sequence[Application]:
    """The agency's queue (oldest first), or the applicant's own applications (newest first)."""
    require(principal, "permits:read")
    query = select(Application)
    if is_agency(principal):
        mine = [a.id for a in agencies_of(session, principal.organisation_id)]
        query = query.where(Application.agency_id.in_(mine)).order_by(Application.lodged_at)
    else:
        query = query.where(Application.applicant_id == principal.organisation_id).order_by(
            Application.id.desc()
        )
    if status:
        query = query.where(Application.status == status)
    return session.scalars(query.limit(limit)).all()


def _hours(start: str | None, end: str | None) -> float | None:
    if not start:
        return None
    finish = datetime.fromisoformat(end) if end else utcnow()
    return round((finish - datetime.fromisoformat(start)).total_seconds() / 3600, 1)


def procedure_of(session: Session, application: Application) -> Procedure:
    """The procedure version the application was lodged under."""
    procedure = session.get(Procedure, application.procedure_id)
    assert procedure is not None
    return procedure


def view(session: Session, application: Application) -> ApplicationOut:
    """The application as its applicant and its agency see it: steps with how long each took,
    the thread, the permit issued."""
    procedure = session.get(Procedure, application.procedure_id)
    assert procedure is not None
    definition = procedure.definition
    steps = []
    for step in engine.steps_of(definition):
        entry = application.steps.get(step["id"], {})
        steps.append(
            StepOut(
                id=step["id"],
                label=step.get("label") or engine.STEP_KINDS.get(step["kind"], step["id"]),
                kind=step["kind"],
                state=entry.get("state", "waiting"),
                opened_at=entry.get("opened_at"),
                closed_at=entry.get("closed_at"),
                hours=_hours(entry.get("opened_at"), entry.get("closed_at"))
                if entry.get("state") in ("open", engine.DONE)
                else None,
                by=entry.get("by"),
                note=entry.get("note"),
            )
        )
    thread = session.scalars(
        select(ApplicationMessage)
        .where(ApplicationMessage.application_id == application.id)
        .order_by(ApplicationMessage.id)
    ).all()
    permit = session.scalar(select(Permit.number).where(Permit.application_id == application.id))
    agency = session.get(Agency, application.agency_id)
    return ApplicationOut(
        id=application.id,
        number=application.number,
        procedure=procedure.code,
        procedure_name=procedure.name,
        procedure_version=procedure.version,
        agency=agency.name if agency else "",
        applicant=_org_name(session, application.applicant_id),
        status=application.status,
        status_label=STATUS_LABELS[application.status],
        data=application.data,
        from_declaration=application.from_declaration,
        declaration_id=application.declaration_id,
        item=application.item_sequence,
        steps=steps,
        open_steps=[s.id for s in steps if s.state == "open"],
        fee=engine.fee_of(definition, application.data),
        fee_request=fee_request(session, application),
        thread=[MessageOut.model_validate(m) for m in thread],
        decision_reason=application.decision_reason,
        permit=permit,
        lodged_at=application.lodged_at,
        decided_at=application.decided_at,
    )


# Fees, through payments ------------------------------------------------------------------------

FEE_SUBJECT = "permit_application"
"""What a permit fee is for, in the payments domain's words."""


def _ask_fees(session: Session, application: Application, procedure: Procedure, actor: str) -> None:
    """Ask payments for the fee of every fee step open now that has no request yet: the
    applicant pays it like duties, and the step ends when payments says it is paid."""
    definition = procedure.definition
    steps = dict(application.steps)
    changed = False
    for step in engine.steps_of(definition):
        entry = steps.get(step["id"], {})
        if step["kind"] != "fee" or entry.get("state") != "open":
            continue
        fee = step.get("fee") or definition.get("fee")
        if not fee or entry.get("payment_request_id"):
            continue
        request = payments.request_fee(
            session,
            organisation_id=application.applicant_id,
            subject_type=FEE_SUBJECT,
            subject_id=application.id,
            description=f"fee for permit application {application.number} ({procedure.name})",
            fee_type="permit_fee",
            amount=Money(Decimal(str(fee["amount"])), str(fee["currency"])),
            actor=actor,
        )
        steps[step["id"]] = {
            **entry,
            "payment_request_id": request.id,
            "payment_request": request.reference,
        }
        changed = True
    if changed:
        application.steps = steps


def fee_request(session: Session, application: Application) -> FeeOut | None:
    """The application's fee as payments holds it: what to pay, where it stands, the receipt."""
    ids = [
        int(e["payment_request_id"])
        for e in application.steps.values()
        if e.get("payment_request_id")
    ]
    if not ids:
        return None
    request = payments.fee_request(session, max(ids))
    if request is None:
        return None
    return FeeOut(
        payment_request_id=request.id,
        reference=request.reference,
        amount=Money(request.total, request.currency).rounded().amount,
        currency=request.currency,
        status=request.status,
        receipt_number=request.receipt_number,
    )


def pay_fee(
    session: Session,
    principal: Principal,
    application_id: int,
    *,
    method: str,
    gateway: payments.PaymentGateway,
) -> payments.PaymentOutcome:
    """The applicant pays the application's open fee, through payments' one way to pay."""
    application = get(session, principal, application_id)
    if application.applicant_id != principal.organisation_id:
        raise Forbidden("Only the applicant pays the fee.")
    fee = fee_request(session, application)
    if fee is None or fee.status != "open":
        raise Conflict("No fee is due on this application.")
    return payments.pay(session, principal, fee.payment_request_id, method=method, gateway=gateway)


def fee_paid(session: Session, event: Event) -> bool:
    """Payments says a fee was paid (or charged to a deferred account): the fee step it was
    asked for is done and the application goes on. Idempotent: a step done stays done."""
    if event.topic not in {"payment.settled", "payment.secured"}:
        return False
    if event.payload.get("subject_type") != FEE_SUBJECT:
        return False
    application = session.scalars(
        select(Application)
        .where(Application.id == int(event.payload["subject_id"]))
        .with_for_update()
    ).one_or_none()
    if application is None or application.status not in OPEN_STATUSES:
        return False
    request_id = int(event.payload["payment_request_id"])
    steps = dict(application.steps)
    done = [
        key
        for key, entry in steps.items()
        if entry.get("payment_request_id") == request_id and entry.get("state") == "open"
    ]
    if not done:
        return False
    how = (
        f"paid, receipt {event.payload.get('receipt_number')}"
        if event.topic == "payment.settled"
        else f"charged to deferred account {event.payload.get('account_number')}"
    )
    now = utcnow()
    for key in done:
        steps[key] = {
            **steps[key],
            "state": engine.DONE,
            "closed_at": now.isoformat(),
            "by": "payments",
            "note": how,
        }
    procedure = procedure_of(session, application)
    application.steps = _state(procedure, application.data, steps)
    if application.status == LODGED:
        application.status = IN_REVIEW
    application.updated_at = now
    _ask_fees(session, application, procedure, "payments")
    audit.record(
        session,
        actor="payments",
        action="permits.fee_paid",
        subject_type="permit_application",
        subject_id=application.id,
        reason=how,
        data={"number": application.number, "steps": done, "payment_request_id": request_id},
        organisation_id=application.applicant_id,
    )
    agency = session.get(Agency, application.agency_id)
    for organisation_id in (application.applicant_id, agency.organisation_id if agency else None):
        if organisation_id is not None:
            _announce(session, "permits.step_done", application, organisation_id, step=done[0])
    return True


# Working an application ------------------------------------------------------------------------


def complete_step(
    session: Session, principal: Principal, application_id: int, step_id: str, body: StepIn
) -> Application:
    """The agency finishes an open step; a fee step with a fee ends when the fee is paid."""
    require(principal, "permits:read")
    application = get(session, principal, application_id)
    procedure = session.get(Procedure, application.procedure_id)
    assert procedure is not None
    step = next((s for s in engine.steps_of(procedure.definition) if s["id"] == step_id), None)
    if step is None:
        raise NotFound(f"No step {step_id} in this procedure.")
    if application.applicant_id == principal.organisation_id:
        raise Forbidden("Only the agency finishes this step.")
    application = _for_agency(session, principal, application_id)
    if step["kind"] == "decision":
        raise Conflict("The decision step ends with the decision itself.")
    steps = dict(application.steps)
    if steps.get(step_id, {}).get("state") != "open":
        raise Conflict(f"The step {step_id} is not open now.")
    if steps[step_id].get("payment_request_id"):
        raise Conflict(
            f"The step {step_id} ends when the fee is paid "
            f"(payment request {steps[step_id].get('payment_request')})."
        )
    steps[step_id] = {
        **steps[step_id],
        "state": engine.DONE,
        "closed_at": utcnow().isoformat(),
        "by": principal.organisation_name,
        "note": body.note or body.outcome,
        "outcome": body.outcome,
    }
    application.steps = _state(procedure, application.data, steps)
    if application.status == LODGED:
        application.status = IN_REVIEW
    application.updated_at = utcnow()
    _ask_fees(session, application, procedure, principal.actor)
    _audit(
        session, principal, "step_done", application, body.note, step=step_id, outcome=body.outcome
    )
    _announce(session, "permits.step_done", application, application.applicant_id, step=step_id)
    return application


def ask(session: Session, principal: Principal, application_id: int, text: str) -> Application:
    """The agency asks the applicant for information: the application waits for the answer."""
    application = _for_agency(session, principal, application_id)
    application.status = ASKED
    application.updated_at = utcnow()
    _say(session, principal, application, "question", text)
    _audit(session, principal, "information_requested", application, text)
    _announce(
        session,
        "permits.information_requested",
        application,
        application.applicant_id,
        reason=text,
    )
    return application


def answer(
    session: Session, principal: Principal, application_id: int, body: AnswerIn
) -> Application:
    """The applicant answers in the same thread, correcting fields if asked (not those taken
    from the declaration)."""
    require(principal, "permits:write")
    application = get(session, principal, application_id)
    if application.applicant_id != principal.organisation_id:
        raise Forbidden("Only the applicant answers.")
    if application.status != ASKED:
        raise Conflict("The agency has not asked for anything.")
    retyped = sorted(set(body.data) & set(application.from_declaration))
    if retyped:
        raise InvalidInput(
            "Fields taken from the declaration are changed by amending the declaration.",
            [FieldError(f"/data/{k}", "comes from the declaration") for k in retyped],
        )
    procedure = session.get(Procedure, application.procedure_id)
    assert procedure is not None
    data = {**application.data, **body.data}
    problems = engine.check_form(procedure.definition, data)
    if problems:
        raise InvalidInput("The answer is not complete.", [FieldError(p, m) for p, m in problems])
    application.data = data
    application.steps = _state(procedure, data, dict(application.steps))
    done = any(v.get("state") == engine.DONE for v in application.steps.values())
    application.status = IN_REVIEW if done else LODGED
    application.updated_at = utcnow()
    _ask_fees(session, application, procedure, principal.actor)
    _say(session, principal, application, "answer", body.text)
    _audit(session, principal, "answered", application, body.text, changed=sorted(body.data))
    agency = session.get(Agency, application.agency_id)
    _announce(session, "permits.answered", application, agency.organisation_id if agency else None)
    return application


def decide(
    session: Session, principal: Principal, application_id: int, body: DecisionIn
) -> Application:
    """Approve (issuing the permit, with its limits and validity) or refuse, with a reason."""
    application = _for_agency(session, principal, application_id)
    procedure = session.get(Procedure, application.procedure_id)
    assert procedure is not None
    now = utcnow()
    if body.decision == "approve":
        definition = procedure.definition
        if not engine.decision_open(definition, application.data, _states(application.steps)):
            waiting = engine.open_steps(definition, application.data, _states(application.steps))
            raise Conflict(f"Steps are still open before the decision: {', '.join(waiting)}.")
        permit = _issue(session, principal, application, procedure, body)
        application.status = APPROVED
        topic, extra = "permits.approved", {"permit": permit.number}
    else:
        application.status = REJECTED
        topic, extra = "permits.rejected", {}
        payments.withdraw_fee(
            session,
            FEE_SUBJECT,
            application.id,
            actor=principal.actor,
            reason=f"application {application.number} refused: {body.reason}",
        )
    steps = dict(application.steps)
    for key, entry in steps.items():
        if entry.get("state") == "open":
            steps[key] = {
                **entry,
                "state": engine.DONE,
                "closed_at": now.isoformat(),
                "by": principal.organisation_name,
                "note": body.decision,
            }
    application.steps = steps
    application.decision_reason = body.reason
    application.decided_at = now
    application.updated_at = now
    _say(
        session,
        principal,
        application,
        "decision",
        f"{STATUS_LABELS[application.status]}: {body.reason}",
    )
    _audit(
        session, principal, f"application_{application.status}", application, body.reason, **extra
    )
    _announce(session, topic, application, application.applicant_id, reason=body.reason, **extra)
    if body.decision == "approve":
        # Declarations waiting for this permit may be free to go now.
        tell_waiting(session, permit)
    return application


def _field(data: Mapping[str, Any], definition: Mapping[str, Any], name: str) -> Any:
    return data.get(str((definition.get("fields_for") or {}).get(name, name)))


def _issue(
    session: Session,
    principal: Principal,
    application: Application,
    procedure: Procedure,
    body: DecisionIn,
) -> Permit:
    definition = procedure.definition
    data = application.data
    code = _field(data, definition, "commodity_code")
    quantity = (
        body.quantity
        if body.quantity is not None
        else _decimal(_field(data, definition, "quantity"))
    )
    value = body.value if body.value is not None else _decimal(_field(data, definition, "value"))
    today = date.today()
    valid_to = body.valid_to or today + timedelta(days=int(definition.get("validity_days", 90)))
    if valid_to < today:
        raise InvalidInput("The validity ends in the past.", [FieldError("/valid_to", "is past")])
    agency = session.get(Agency, procedure.agency_id)
    assert agency is not None
    details = {
        k: data[k]
        for k in definition.get("certificate_fields", [])
        if data.get(k) not in (None, "")
    }
    permit = Permit(
        number=f"P-{secrets.token_hex(6).upper()}",
        application_id=application.id,
        procedure_code=procedure.code,
        document_type=procedure.document_type,
        kind=procedure.outcome,
        agency_id=agency.id,
        holder_id=application.applicant_id,
        hs_prefixes=[str(code)[:6]] if code else [],
        quantity=quantity,
        unit=body.unit or _field(data, definition, "unit"),
        value=value,
        currency=body.currency or _field(data, definition, "currency"),
        conditions=body.conditions,
        details=details,
        valid_from=today,
        valid_to=valid_to,
        status="valid",
        verification_code=secrets.token_urlsafe(12),
        issued_by=principal.actor,
        issued_at=utcnow(),
    )
    session.add(permit)
    session.flush()
    permit.number = f"{agency.code}-{today:%y}-{permit.id:06d}"
    if permit.kind == "certificate":
        # What a certificate states, for those who pass it on (partner single windows).
        record_event(
            session,
            "permits.certificate_issued",
            "permit",
            permit.id,
            {
                "number": permit.number,
                "document_type": permit.document_type,
                "procedure": permit.procedure_code,
                "agency": agency.name,
                "holder": _org_name(session, permit.holder_id),
                "issued_on": today.isoformat(),
                "valid_to": valid_to.isoformat(),
                "quantity": str(quantity) if quantity is not None else None,
                "unit": permit.unit,
                "details": details,
            },
            # The holder is told by permits.approved; this one is for partner single windows.
            organisation_id=None,
        )
    return permit


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except ArithmeticError:
        return None


# Permits ---------------------------------------------------------------------------------------


def permit_view(session: Session, permit: Permit) -> PermitOut:
    quantity_used, value_used = used(session, permit)
    agency = session.get(Agency, permit.agency_id)
    return PermitOut(
        id=permit.id,
        number=permit.number,
        kind=permit.kind,
        procedure=permit.procedure_code,
        document_type=permit.document_type,
        agency=agency.name if agency else "",
        holder=_org_name(session, permit.holder_id),
        hs_prefixes=permit.hs_prefixes,
        quantity=permit.quantity,
        unit=permit.unit,
        value=permit.value,
        currency=permit.currency,
        quantity_left=permit.quantity - quantity_used if permit.quantity is not None else None,
        value_left=permit.value - value_used if permit.value is not None else None,
        conditions=permit.conditions,
        valid_from=permit.valid_from,
        valid_to=permit.valid_to,
        status=permit.status,
        verification_code=permit.verification_code,
        details=permit.details,
    )


def list_permits(session: Session, principal: Principal, limit: int = 200) -> Sequence[Permit]:
    """The holder's permits; the permits an agency issued."""
    require(principal, "permits:read")
    query = select(Permit).order_by(Permit.id.desc()).limit(limit)
    if is_agency(principal):
        mine = [a.id for a in agencies_of(session, principal.organisation_id)]
        return session.scalars(query.where(Permit.agency_id.in_(mine))).all()
    return session.scalars(query.where(Permit.holder_id == principal.organisation_id)).all()


def get_permit(session: Session, principal: Principal, permit_id: int) -> Permit:
    require(principal, "permits:read")
    permit = session.get(Permit, permit_id)
    mine = {a.id for a in agencies_of(session, principal.organisation_id)}
    if permit is None or not (
        permit.holder_id == principal.organisation_id
        or (is_agency(principal) and permit.agency_id in mine)
    ):
        raise NotFound(f"No permit {permit_id}.")
    return permit


def correct_permit(
    session: Session,
    principal: Principal,
    permit_id: int,
    *,
    reason: str,
    valid_to: date | None,
    quantity: Decimal | None,
    value: Decimal | None,
) -> Permit:
    """The issuing agency corrects a permit; declarations citing it are looked at again."""
    require(principal, "permits:decide")
    permit = get_permit(session, principal, permit_id)
    if permit.holder_id == principal.organisation_id or not is_agency(principal):
        raise Forbidden("Only the issuing agency corrects a permit.")
    before = {"valid_to": permit.valid_to, "quantity": permit.quantity, "value": permit.value}
    if valid_to is not None:
        permit.valid_to = valid_to
    if quantity is not None:
        permit.quantity = quantity
    if value is not None:
        permit.value = value
    audit.record(
        session,
        actor=principal.actor,
        action="permits.permit_corrected",
        subject_type="permit",
        subject_id=permit.id,
        reason=reason,
        data={"number": permit.number, "before": before},
        organisation_id=principal.organisation_id,
    )
    tell_waiting(session, permit)
    return permit


def turnaround(session: Session, principal: Principal) -> list[TurnaroundOut]:
    """Per procedure of the agency: how many decided, median and 90th percentile hours from
    lodging to decision, how many open."""
    require(principal, "permits:read")
    if not is_agency(principal):
        raise Forbidden("Turnaround is the agencies' own figure.")
    mine = [a.id for a in agencies_of(session, principal.organisation_id)]
    rows = session.execute(
        select(Procedure.code, Procedure.name, Application.lodged_at, Application.decided_at)
        .join(Procedure, Procedure.id == Application.procedure_id)
        .where(Application.agency_id.in_(mine))
    ).all()
    by_code: dict[str, tuple[str, list[float], int]] = {}
    for code, name, lodged_at, decided_at in rows:
        _, hours, open_count = by_code.get(code, (name, [], 0))
        if decided_at is None:
            open_count += 1
        else:
            hours.append((decided_at - lodged_at).total_seconds() / 3600)
        by_code[code] = (name, hours, open_count)
    return [
        TurnaroundOut(
            procedure=code,
            name=name,
            decided=len(hours),
            median_hours=round(statistics.median(hours), 1) if hours else None,
            p90_hours=round(_percentile(hours, 0.9), 1) if hours else None,
            open=open_count,
        )
        for code, (name, hours, open_count) in sorted(by_code.items())
    ]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(share * (len(ordered) - 1)))))
    return ordered[rank]
