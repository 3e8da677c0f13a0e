"""The declarations domain's door: lodge, read, amend, cancel; the lifecycle; release holds.

The cross-domain path (risk, assessment, payment, release) is in ``onewindow.clearance``; this
module knows declarations only. Services flush; the request or job commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import ColumnElement, Select

from onewindow import audit
from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.declarations import rulesets
from onewindow.declarations.lifecycle import AMENDABLE, FINAL, LABELS, Status, check
from onewindow.declarations.models import (
    Assessment,
    Declaration,
    DeclarationCargo,
    DeclarationParty,
    DeclarationVersion,
    ReleaseHold,
    StatusChange,
)
from onewindow.declarations.rulesets import Context, RuleSet
from onewindow.declarations.schemas import DeclarationIn, DeclarationOut, HoldOut
from onewindow.declarations.validation import Checker, Outcome, check_rules, kind_of
from onewindow.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from onewindow.events import record_event
from onewindow.reference import service as reference
from onewindow.security import Principal, Role
from onewindow.stages import stage
from onewindow.tariff import service as tariff

CUSTOMS = Role.CUSTOMS

HOLD_KINDS = {
    "payment": "Duties and taxes not yet paid or secured",
    "documentary-check": "Documents to be checked by customs",
    "physical-inspection": "Goods to be inspected",
    "permit": "A permit the goods need is missing or not yet approved",
    "ipr": "Suspected infringement of an intellectual property right",
    "assessment": "Duties and taxes to be assessed by customs",
    "seizure": "Goods seized by customs",
    "other": "Held by customs",
}
CONTROL_HOLDS = frozenset({"documentary-check", "physical-inspection"})

HOLD_NOTICES = {
    "documentary-check": (
        "Selected for a documentary check: keep the invoice, transport document, certificates "
        "and permits ready; customs may ask for them."
    ),
    "physical-inspection": (
        "Selected for a physical inspection: present the goods at the place of examination; "
        "customs will tell you when."
    ),
    "ipr": "Held for a check of intellectual property rights; customs will contact you.",
    "assessment": "Customs assesses the duties and taxes by hand; the payment request follows.",
    "seizure": "The goods are seized by customs; you will receive the decision in writing.",
    "other": "Held by customs; customs will contact you.",
}
"""What the declarant is told of a customs hold: what happens and what to do. Why customs
selected the declaration (risk rules, profiles, the model, intelligence) stays with customs."""

LIFTED_BY = {
    "payment": "paying or securing the duties and taxes",
    "physical-inspection": "recording the inspection result",
    "assessment": "the assessment (set the missing exchange rate, then assess again)",
}
"""Holds an officer does not lift by hand, and what lifts them."""

CONFIDENTIAL_HOLDS = frozenset(HOLD_NOTICES)
"""Holds whose reasons are customs' own; payment and permit holds are told as they are."""

PARTY_ROLES = ("declarant", "importer", "exporter", "representative")
"""The parties of a declaration that can be registered organisations."""


class Action(StrEnum):
    """What a principal may try on a declaration; :func:`authorize` decides, for pages and API."""

    READ = "read"
    AMEND = "amend"
    CANCEL = "cancel"
    CONTROL = "control"


ACTION_SCOPES = {
    Action.READ: "declarations:read",
    Action.AMEND: "declarations:write",
    Action.CANCEL: "declarations:write",
    Action.CONTROL: "declarations:control",
}


def request_digest(body: DeclarationIn) -> str:
    """A fingerprint of what was lodged: the same reference with another body is a conflict."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_declaration(session: Session, body: DeclarationIn, today: date) -> list[FieldError]:
    """Every error of a declaration: code lists, nomenclature, the tariff, business rules."""
    return check_outcome(session, body, today).errors


def rule_set() -> RuleSet:
    """The national rule set of the country this single window serves."""
    return rulesets.for_country(get_settings().country)


def check_outcome(
    session: Session, body: DeclarationIn, today: date, *, dry_run: bool = False
) -> Outcome:
    """Every error and warning of a declaration under the national rule set: code lists,
    nomenclature, the tariff, business rules. A dry run may warn where lodging refuses."""
    rules = rule_set()
    ref = reference.lookups(session)
    outcome = check_rules(body, ref, today, rules, dry_run=dry_run)
    codes = [item.commodity_code for item in body.items if item.commodity_code]
    unknown = tariff.unknown_codes(session, codes)
    checker = Checker(rules, Context(body.type, body.additional_type), dry_run)
    for i, item in enumerate(body.items):
        code = item.commodity_code
        if code and code in unknown and ref.is_subheading(code):
            lines = [line.commodity_code for line in tariff.lines_under(session, code[:6], 10)]
            offered = f"; declare one of its lines: {', '.join(lines)}" if lines else ""
            checker.fail(
                f"/items/{i}/commodity_code",
                "tariff",
                f"{code} is not a declarable line of the national tariff{offered}",
                rule="tariff-line",
                item=item,
            )
    outcome.errors += checker.errors
    outcome.warnings += checker.warnings
    return outcome


def _number(session: Session, declaration: Declaration, country: str) -> str:
    """The customs reference number: year, country, a serial (like an MRN)."""
    return f"{declaration.lodged_at:%y}{country}{declaration.id:012d}"


def _move(
    session: Session, declaration: Declaration, target: Status, actor: str, reason: str
) -> None:
    check(declaration.status, target)
    now = utcnow()
    session.add(
        StatusChange(
            declaration_id=declaration.id,
            from_status=declaration.status,
            to_status=target.value,
            reason=reason,
            actor=actor,
            at=now,
        )
    )
    declaration.status = target.value
    declaration.updated_at = now
    if target == Status.RELEASED:
        declaration.released_at = now
    record_event(
        session,
        f"declaration.{target.value}",
        "declaration",
        declaration.id,
        {
            "number": declaration.number,
            "reference": declaration.declarant_reference,
            "reason": reason,
            "status": target.value,
        },
        organisation_id=declaration.organisation_id,
    )
    audit.record(
        session,
        actor=actor,
        action=f"declaration.{target.value}",
        subject_type="declaration",
        subject_id=declaration.id,
        organisation_id=declaration.organisation_id,
        reason=reason,
    )


def transition(
    session: Session, declaration: Declaration, target: Status, *, actor: str, reason: str
) -> Declaration:
    """Move a declaration to ``target`` if the lifecycle allows it (the flow's one door)."""
    _move(session, declaration, target, actor, reason)
    return declaration


def unused_reference(session: Session, organisation_id: int, reference: str) -> str:
    """A reference the organisation has not lodged under, made from ``reference`` (``ABC-2``,
    ``ABC-3``, ...): the idempotency key of a declaration copied from another."""
    stem = reference[:30]
    used = set(
        session.scalars(
            select(Declaration.declarant_reference).where(
                Declaration.organisation_id == organisation_id,
                Declaration.declarant_reference.startswith(stem, autoescape=True),
            )
        )
    )
    return next(f"{stem}-{n}" for n in range(2, 10_000) if f"{stem}-{n}" not in used)


@dataclass(frozen=True)
class Lodgement:
    """The outcome of lodging: the declaration and whether this request created it."""

    declaration: Declaration
    created: bool


def previous_lodgement(
    session: Session, principal: Principal, body: DeclarationIn
) -> Lodgement | None:
    """The declaration already lodged under this reference by the principal's organisation.

    The same reference with another body is refused (409): use a new reference, or amend.
    """
    existing = session.scalar(
        select(Declaration).where(
            Declaration.organisation_id == principal.organisation_id,
            Declaration.declarant_reference == body.declarant_reference,
        )
    )
    if existing is None:
        return None
    if existing.request_digest != request_digest(body):
        raise Conflict(
            f"Reference {body.declarant_reference} was used for another declaration; "
            "use a new reference, or amend the declaration."
        )
    return Lodgement(existing, False)


def lodge(
    session: Session,
    principal: Principal,
    body: DeclarationIn,
    *,
    country: str,
    today: date,
    parties: Mapping[str, int] | None = None,
) -> Lodgement:
    """Record a declaration and validate it: accepted with a number, or rejected with every error.

    The declarant's reference is an idempotency key: the same reference and body gives back the
    first declaration, also when both requests arrive at once (the unique reference decides);
    the same reference with another body is refused (409). ``parties`` are the registered
    organisations it names, by role. Callers look for :func:`previous_lodgement` first.
    """
    with stage("store"):
        return _lodge(session, principal, body, country=country, today=today, parties=parties)


def _lodge(
    session: Session,
    principal: Principal,
    body: DeclarationIn,
    *,
    country: str,
    today: date,
    parties: Mapping[str, int] | None,
) -> Lodgement:
    now = utcnow()
    content = body.model_dump(mode="json")
    declaration = _insert_once(
        session,
        {
            "organisation_id": principal.organisation_id,
            "declarant_reference": body.declarant_reference,
            "request_digest": request_digest(body),
            "type": body.type,
            "status": Status.LODGED.value,
            "version": 1,
            "content": content,
            "errors": [],
            "lodged_at": now,
            "updated_at": now,
        },
    )
    if declaration is None:
        # The same reference committed by a concurrent request: this one is its retry.
        found = previous_lodgement(session, principal, body)
        if found is None:
            raise Conflict(f"Reference {body.declarant_reference} is being lodged; try again.")
        return found
    for role, organisation_id in (parties or {}).items():
        session.add(
            DeclarationParty(
                declaration_id=declaration.id, role=role, organisation_id=organisation_id
            )
        )
    _index_cargo(session, declaration.id, body)
    session.add(
        DeclarationVersion(
            declaration_id=declaration.id,
            version=1,
            content=content,
            reason="lodged",
            actor=principal.actor,
            recorded_at=now,
        )
    )
    session.add(
        StatusChange(
            declaration_id=declaration.id,
            from_status=None,
            to_status=Status.LODGED.value,
            reason="lodged",
            actor=principal.actor,
            at=now,
        )
    )
    with stage("validate"):
        outcome = check_outcome(session, body, today)
    errors = outcome.errors
    declaration.kind = kind_of(body, rule_set())
    declaration.warnings = [
        {"pointer": w.pointer, "rule": w.rule, "text": w.text, "source": w.source}
        for w in outcome.warnings
    ]
    _link_previous(session, declaration, body)
    if errors:
        declaration.errors = [
            {"pointer": e.pointer, "code": e.code, "detail": e.detail} for e in errors
        ]
        _move(session, declaration, Status.REJECTED, "system", f"{len(errors)} error(s) found")
    else:
        declaration.number = _number(session, declaration, country)
        declaration.accepted_at = now
        _move(session, declaration, Status.ACCEPTED, "system", "valid: accepted")
    return Lodgement(declaration, True)


LINKING_KINDS = frozenset({"supplementary", "final_supplementary"})


def _link_previous(session: Session, declaration: Declaration, body: DeclarationIn) -> None:
    """A supplementary declaration follows an earlier one, named by a previous document: the
    first that is a declaration lodged here (by number, or by the same declarant's reference)
    is linked; else the first previous document's reference is kept as named."""
    if declaration.kind not in LINKING_KINDS or not body.previous_documents:
        return
    for document in body.previous_documents:
        earlier = session.scalar(
            select(Declaration).where(
                Declaration.id != declaration.id,
                or_(
                    Declaration.number == document.reference,
                    (Declaration.organisation_id == declaration.organisation_id)
                    & (Declaration.declarant_reference == document.reference),
                ),
            )
        )
        if earlier is not None:
            declaration.previous_declaration_id = earlier.id
            declaration.previous_reference = document.reference
            return
    declaration.previous_reference = body.previous_documents[0].reference


def _insert_once(session: Session, values: dict[str, Any]) -> Declaration | None:
    """Insert a declaration unless its reference exists (one statement, no savepoint); None
    when a concurrent request committed the same reference first."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Declaration)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["organisation_id", "declarant_reference"])
        .returning(Declaration)
    )
    declaration = session.scalars(statement).first()
    if declaration is not None:
        # A new declaration has no holds yet: say so rather than load an empty list later.
        set_committed_value(declaration, "holds", [])
    return declaration


FINAL_STATUSES = frozenset(s.value for s in FINAL)
"""Statuses a declaration never leaves."""


def status_label(status: str) -> str:
    """How a person reads a declaration's status ("Awaiting payment")."""
    return LABELS[Status(status)]


NOT_IN_FORCE = (Status.REJECTED.value, Status.CANCELLED.value, Status.INVALIDATED.value)
"""Declarations that cover no goods any more (or never did)."""


def cargo_named(body: DeclarationIn) -> tuple[list[str], list[str]]:
    """The transport documents and the containers a declaration names, each once, in order."""
    documents = list(dict.fromkeys(d.reference.strip().upper() for d in body.transport_documents))
    containers = list(dict.fromkeys(c for item in body.items for c in item.containers))
    return documents, containers


def _index_cargo(session: Session, declaration_id: int, body: DeclarationIn) -> None:
    documents, containers = cargo_named(body)
    session.add_all(
        DeclarationCargo(declaration_id=declaration_id, kind=kind, reference=reference)
        for kind, references in (("document", documents), ("container", containers))
        for reference in references
    )


def covering(
    session: Session, *, documents: Sequence[str] = (), containers: Sequence[str] = ()
) -> list[Declaration]:
    """The accepted declarations (not rejected, cancelled or invalidated) that name any of these
    transport documents or containers: what the gate and the manifest link look at."""
    clauses = [
        (DeclarationCargo.kind == kind) & DeclarationCargo.reference.in_(references)
        for kind, references in (
            ("document", [d.upper() for d in documents]),
            ("container", list(containers)),
        )
        if references
    ]
    if not clauses:
        return []
    named = select(DeclarationCargo.declaration_id).where(or_(*clauses))
    return list(
        session.scalars(
            select(Declaration)
            .where(Declaration.id.in_(named), Declaration.number.is_not(None))
            .where(Declaration.status.not_in(NOT_IN_FORCE))
            .order_by(Declaration.id)
        )
    )


def cargo_of(session: Session, declaration_id: int) -> tuple[list[str], list[str]]:
    """The transport documents and containers the declaration's current version names."""
    rows = session.execute(
        select(DeclarationCargo.kind, DeclarationCargo.reference)
        .where(DeclarationCargo.declaration_id == declaration_id)
        .order_by(DeclarationCargo.id)
    ).all()
    return (
        [r for kind, r in rows if kind == "document"],
        [r for kind, r in rows if kind == "container"],
    )


def set_parties(session: Session, declaration: Declaration, parties: Mapping[str, int]) -> None:
    """Record which registered organisations the declaration names (replacing earlier ones)."""
    kept = {
        row.role: row
        for row in session.scalars(
            select(DeclarationParty).where(DeclarationParty.declaration_id == declaration.id)
        )
    }
    for role, row in kept.items():
        if parties.get(role) != row.organisation_id:
            session.delete(row)
    session.flush()
    for role, organisation_id in parties.items():
        if role in kept and kept[role].organisation_id == organisation_id:
            continue
        session.add(
            DeclarationParty(
                declaration_id=declaration.id, role=role, organisation_id=organisation_id
            )
        )


def parties_of(session: Session, declaration: Declaration) -> dict[str, int]:
    """The registered organisations the declaration names, by role."""
    return {
        row.role: row.organisation_id
        for row in session.scalars(
            select(DeclarationParty).where(DeclarationParty.declaration_id == declaration.id)
        )
    }


def _is_customs(principal: Principal) -> bool:
    return principal.has_role(CUSTOMS)


def _concerns(principal: Principal) -> ColumnElement[bool]:
    """Declarations lodged by the principal's organisation or naming it as a party."""
    named = select(DeclarationParty.declaration_id).where(
        DeclarationParty.organisation_id == principal.organisation_id
    )
    return or_(Declaration.organisation_id == principal.organisation_id, Declaration.id.in_(named))


def _sees(session: Session, principal: Principal, declaration: Declaration) -> bool:
    if _is_customs(principal) or declaration.organisation_id == principal.organisation_id:
        return True
    return principal.organisation_id in parties_of(session, declaration).values()


def may_see(session: Session, principal: Principal, declaration: Declaration) -> bool:
    """Whether the principal may see the declaration (its lodger, a party it names, customs)."""
    return _sees(session, principal, declaration)


def get(session: Session, principal: Principal, declaration_id: int) -> Declaration:
    """A declaration the principal may see (its lodger, the parties it names, customs); 404
    otherwise."""
    declaration = session.get(Declaration, declaration_id)
    if declaration is None or not _sees(session, principal, declaration):
        raise NotFound(f"No declaration {declaration_id}.")
    return declaration


def find(session: Session, declaration_id: int) -> Declaration | None:
    """The declaration with this id, whoever may see it (for other domains' own checks, such as
    a release condition; callers that answer a person use :func:`get` or :func:`authorize`)."""
    return session.get(Declaration, declaration_id)


def declared_cargo(kind: str, *, flow: str | None = None) -> Select[int, str]:
    """(declaration id, reference) of every transport document (``kind`` "document") or
    container ("container") that a declaration in force names, of one flow if given: a query
    other domains join to their own tables (the cargo domain's reconciliation)."""
    query = (
        select(DeclarationCargo.declaration_id, DeclarationCargo.reference)
        .join(Declaration, Declaration.id == DeclarationCargo.declaration_id)
        .where(DeclarationCargo.kind == kind, Declaration.number.is_not(None))
        .where(Declaration.status.not_in(NOT_IN_FORCE))
    )
    return query.where(Declaration.type == flow) if flow else query


def by_ids(session: Session, ids: Sequence[int]) -> dict[int, Declaration]:
    """The declarations with these ids, by id."""
    if not ids:
        return {}
    rows = session.scalars(select(Declaration).where(Declaration.id.in_(list(ids))))
    return {d.id: d for d in rows}


def by_number(session: Session, number: str) -> Declaration | None:
    """The declaration with this customs reference number, whoever may see it (callers check)."""
    return session.scalar(select(Declaration).where(Declaration.number == number))


def find_by_number(session: Session, principal: Principal, number: str) -> Declaration:
    """The declaration with this number that the principal may see; 404 naming it otherwise."""
    declaration = by_number(session, number)
    if declaration is None or not _sees(session, principal, declaration):
        raise NotFound(f"No declaration {number} is known here.")
    return declaration


def patched(content: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """A declaration's content with the fields a partial amendment carries: each field given
    replaces the lodged one; goods items are matched by sequence number, each field an item
    gives replacing that item's (an item not lodged before is added).

    >>> patched({"a": 1, "items": [{"sequence": 1, "v": 1, "w": 2}]},
    ...         {"items": [{"sequence": 1, "v": 9}]})
    {'a': 1, 'items': [{'sequence': 1, 'v': 9, 'w': 2}]}
    """
    result = {key: value for key, value in content.items()}
    for key, value in patch.items():
        if key != "items":
            result[key] = value
    items = [dict(item) for item in content.get("items", [])]
    for change in patch.get("items", []):
        same = next((i for i in items if i.get("sequence") == change.get("sequence")), None)
        if same is None:
            items.append(dict(change))
        else:
            same.update(change)
    result["items"] = sorted(items, key=lambda item: int(item.get("sequence") or 0))
    return result


def authorize(
    session: Session,
    principal: Principal,
    declaration_id: int,
    action: Action,
    *,
    for_update: bool = False,
) -> Declaration:
    """The one door to a declaration, for pages and API alike: scope, sight, then standing.

    Reading needs sight of it; amending is the lodger's; cancelling the lodger's or the importer's
    or exporter's it names; control is customs'. 403 when seen but not allowed, 404 when unseen.
    """
    scope = ACTION_SCOPES[action]
    if scope not in principal.scopes:
        raise Forbidden(f"This needs the scope {scope!r}.")
    declaration = get(session, principal, declaration_id)
    if for_update:
        declaration = get_for_update(session, declaration_id)
    refused = _standing(session, principal, declaration, action)
    if refused:
        raise Forbidden(refused)
    return declaration


def _standing(
    session: Session, principal: Principal, declaration: Declaration, action: Action
) -> str | None:
    me = principal.organisation_id
    if action == Action.CONTROL and not _is_customs(principal):
        return "Only a customs office can do this."
    if action == Action.AMEND and declaration.organisation_id != me:
        return "Only the declarant who lodged the declaration amends it."
    if action == Action.CANCEL and declaration.organisation_id != me:
        named = parties_of(session, declaration)
        if me not in (named.get("importer"), named.get("exporter")):
            return "Only the declarant, importer or exporter can cancel it."
    return None


def allowed_actions(
    session: Session, principal: Principal, declaration: Declaration
) -> frozenset[Action]:
    """What the principal may do to a declaration it sees: what its pages offer."""
    return frozenset(
        action
        for action in Action
        if ACTION_SCOPES[action] in principal.scopes
        and _standing(session, principal, declaration, action) is None
    )


def get_for_update(session: Session, declaration_id: int) -> Declaration:
    """The declaration, locked for the rest of the transaction (two officers, one decision)."""
    declaration = session.scalar(
        select(Declaration).where(Declaration.id == declaration_id).with_for_update()
    )
    if declaration is None:
        raise NotFound(f"No declaration {declaration_id}.")
    return declaration


def list_declarations(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> Sequence[Declaration]:
    """Declarations the organisation lodged or is named in (customs sees all: its queue), newest
    first."""
    query = select(Declaration)
    if not _is_customs(principal):
        query = query.where(_concerns(principal))
    if status:
        query = query.where(Declaration.status == Status(status).value)
    if before_id:
        query = query.where(Declaration.id < before_id)
    return session.scalars(query.order_by(Declaration.id.desc()).limit(limit)).all()


def count_by_status(session: Session, principal: Principal) -> dict[str, int]:
    query = select(Declaration.status, func.count(Declaration.id)).group_by(Declaration.status)
    if not _is_customs(principal):
        query = query.where(_concerns(principal))
    return {status: count for status, count in session.execute(query).all()}


def amend(
    session: Session,
    declaration: Declaration,
    body: DeclarationIn,
    *,
    actor: str,
    reason: str,
    today: date,
) -> Declaration:
    """Replace the content with a new version, before release and payment; every error at once.

    The caller has authorised the amendment (:func:`authorize` with ``Action.AMEND``).
    """
    if Status(declaration.status) not in AMENDABLE:
        raise Conflict(f"A declaration that is {declaration.status} cannot be amended.")
    if body.declarant_reference != declaration.declarant_reference or body.type != declaration.type:
        raise InvalidInput(
            "An amendment keeps the reference and the type.",
            [
                FieldError("/declarant_reference", "must stay the same"),
                FieldError("/type", "must stay the same"),
            ],
        )
    errors = check_declaration(session, body, today)
    if errors:
        raise InvalidInput("The amendment is not valid; the declaration is unchanged.", errors)
    content = body.model_dump(mode="json")
    if content == declaration.content:
        raise InvalidInput("The amendment changes nothing.", [])
    declaration.version += 1
    declaration.content = content
    declaration.updated_at = utcnow()
    session.execute(
        delete(DeclarationCargo).where(DeclarationCargo.declaration_id == declaration.id)
    )
    _index_cargo(session, declaration.id, body)
    session.add(
        DeclarationVersion(
            declaration_id=declaration.id,
            version=declaration.version,
            content=content,
            reason=reason,
            actor=actor,
            recorded_at=declaration.updated_at,
        )
    )
    record_event(
        session,
        "declaration.amended",
        "declaration",
        declaration.id,
        {"number": declaration.number, "version": declaration.version, "reason": reason},
        organisation_id=declaration.organisation_id,
    )
    audit.record(
        session,
        actor=actor,
        action="declaration.amended",
        subject_type="declaration",
        subject_id=declaration.id,
        organisation_id=declaration.organisation_id,
        reason=reason,
        data={"version": declaration.version},
    )
    session.flush()
    return declaration


def versions(session: Session, declaration: Declaration) -> list[DeclarationVersion]:
    return list(
        session.scalars(
            select(DeclarationVersion)
            .where(DeclarationVersion.declaration_id == declaration.id)
            .order_by(DeclarationVersion.version)
        )
    )


def differences(old: Any, new: Any, pointer: str = "") -> list[tuple[str, Any, Any]]:
    """What changed between two versions, as (JSON pointer, before, after).

    >>> differences({"a": 1, "b": [1, 2]}, {"a": 2, "b": [1]})
    [('/a', 1, 2), ('/b/1', 2, None)]
    """
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in sorted(set(old) | set(new)):
            changes += differences(old.get(key), new.get(key), f"{pointer}/{key}")
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for i in range(max(len(old), len(new))):
            changes += differences(
                old[i] if i < len(old) else None, new[i] if i < len(new) else None, f"{pointer}/{i}"
            )
        return changes
    return [] if old == new else [(pointer or "/", old, new)]


def timeline(session: Session, declaration: Declaration) -> list[StatusChange]:
    return list(
        session.scalars(
            select(StatusChange)
            .where(StatusChange.declaration_id == declaration.id)
            .order_by(StatusChange.id)
        )
    )


# Release holds -----------------------------------------------------------------------------------


def told(kind: str, reason: str, *, lifted: bool = False) -> str:
    """What the declarant and the parties are told of a hold: customs' reasons stay with customs.

    >>> told("payment", "GBP 10.00 to pay or secure")
    'GBP 10.00 to pay or secure'
    >>> told("physical-inspection", "Watch list: undervaluation", lifted=True)
    'The control is done.'
    """
    if kind not in CONFIDENTIAL_HOLDS:
        return reason
    return "The control is done." if lifted else HOLD_NOTICES[kind]


def hold_views(principal: Principal, declaration: Declaration) -> list[HoldOut]:
    """The declaration's holds: whole for customs; for the trade, what happens and what to do."""
    customs = _is_customs(principal)
    views = []
    for h in declaration.holds:
        if customs or h.kind not in CONFIDENTIAL_HOLDS:
            views.append(HoldOut.model_validate(h))
            continue
        lifted = h.lifted_at is not None
        views.append(
            HoldOut(
                id=h.id,
                kind=h.kind,
                reason=told(h.kind, h.reason),
                placed_by="customs",
                placed_at=h.placed_at,
                lifted_by="customs" if lifted else None,
                lifted_at=h.lifted_at,
                lift_reason=told(h.kind, h.lift_reason or "", lifted=True) if lifted else None,
            )
        )
    return views


def seen_by(declaration: Declaration, principal: Principal) -> DeclarationOut:
    """The declaration as the principal may see it (customs' reasons stay with customs)."""
    out = DeclarationOut.model_validate(declaration)
    out.holds = hold_views(principal, declaration)
    return out


INTERNAL_ACTORS = frozenset({"risk-engine"})
"""Actors whose name would tell the trade how customs selects: shown as "customs"."""


def timeline_for(
    session: Session, principal: Principal, declaration: Declaration
) -> list[StatusChange]:
    """The timeline as the principal may see it: the trade never sees which engine decided."""
    steps = timeline(session, declaration)
    if _is_customs(principal):
        return steps
    return [
        StatusChange(
            declaration_id=s.declaration_id,
            from_status=s.from_status,
            to_status=s.to_status,
            reason=s.reason,
            actor="customs" if s.actor in INTERNAL_ACTORS else s.actor,
            at=s.at,
        )
        for s in steps
    ]


def open_holds(declaration: Declaration) -> list[ReleaseHold]:
    return [hold for hold in declaration.holds if hold.lifted_at is None]


def place_hold(
    session: Session, declaration: Declaration, *, kind: str, reason: str, actor: str
) -> ReleaseHold:
    """Stop release until the hold is lifted; any domain places holds through here."""
    if kind not in HOLD_KINDS:
        raise InvalidInput(
            "Unknown hold.", [FieldError("/kind", f"use one of {', '.join(HOLD_KINDS)}")]
        )
    if not reason.strip():
        raise InvalidInput("Say why.", [FieldError("/reason", "must not be empty")])
    if Status(declaration.status) in FINAL:
        raise Conflict(f"A declaration that is {declaration.status} cannot be held.")
    hold = ReleaseHold(kind=kind, reason=reason.strip(), placed_by=actor, placed_at=utcnow())
    # Through the collection only: adding the row too would list it twice once loaded.
    declaration.holds.append(hold)
    session.flush()
    record_event(
        session,
        "declaration.hold_placed",
        "declaration",
        declaration.id,
        {"number": declaration.number, "hold": kind, "reason": told(hold.kind, hold.reason)},
        organisation_id=declaration.organisation_id,
    )
    audit.record(
        session,
        actor=actor,
        action="hold.placed",
        subject_type="declaration",
        subject_id=declaration.id,
        organisation_id=declaration.organisation_id,
        reason=hold.reason,
        data={"kind": kind, "hold_id": hold.id},
    )
    return hold


def lift_hold(
    session: Session, declaration: Declaration, hold_id: int, *, reason: str, actor: str
) -> ReleaseHold:
    """Lift one open hold, with the reason recorded."""
    hold = next((h for h in declaration.holds if h.id == hold_id), None)
    if hold is None:
        raise NotFound(f"No hold {hold_id} on this declaration.")
    if hold.lifted_at is not None:
        raise Conflict(f"Hold {hold_id} was already lifted.")
    if not reason.strip():
        raise InvalidInput("Say why.", [FieldError("/reason", "must not be empty")])
    hold.lifted_at, hold.lifted_by, hold.lift_reason = utcnow(), actor, reason.strip()
    session.flush()
    record_event(
        session,
        "declaration.hold_lifted",
        "declaration",
        declaration.id,
        {
            "number": declaration.number,
            "hold": hold.kind,
            "reason": told(hold.kind, hold.lift_reason, lifted=True),
        },
        organisation_id=declaration.organisation_id,
    )
    audit.record(
        session,
        actor=actor,
        action="hold.lifted",
        subject_type="declaration",
        subject_id=declaration.id,
        organisation_id=declaration.organisation_id,
        reason=hold.lift_reason,
        data={"kind": hold.kind, "hold_id": hold.id},
    )
    return hold


def lift_holds_of_kind(
    session: Session, declaration: Declaration, kind: str, *, reason: str, actor: str
) -> int:
    """Lift every open hold of one kind (payment settled lifts the payment hold)."""
    held = [h for h in open_holds(declaration) if h.kind == kind]
    for hold in held:
        lift_hold(session, declaration, hold.id, reason=reason, actor=actor)
    return len(held)


def held_for(session: Session, kind: str, limit: int = 1000) -> list[int]:
    """Ids of declarations with an open hold of this kind, oldest first."""
    return list(
        session.scalars(
            select(ReleaseHold.declaration_id)
            .where(ReleaseHold.kind == kind, ReleaseHold.lifted_at.is_(None))
            .order_by(ReleaseHold.declaration_id)
            .distinct()
            .limit(limit)
        )
    )


def set_channel(declaration: Declaration, channel: str) -> None:
    declaration.channel = channel


# Assessments -----------------------------------------------------------------------------------


def record_assessment(
    session: Session,
    declaration: Declaration,
    *,
    currency: str,
    total: Decimal,
    amounts: dict[str, str],
    items: list[dict[str, Any]],
    trace: list[str],
    on: date,
) -> Assessment:
    """Keep the assessment of the declaration's current version (the trader reads it later)."""
    row = Assessment(
        declaration_id=declaration.id,
        version=declaration.version,
        currency=currency,
        total=total,
        amounts=amounts,
        items=items,
        trace=trace,
        assessed_on=on,
        created_at=utcnow(),
    )
    session.add(row)
    return row


def missing_rates(session: Session, declaration: Declaration, national: str) -> list[str]:
    """The currencies of a declaration without a customs exchange rate on its acceptance date:
    what an officer assessing it by hand is asked for."""
    content = declaration.content
    amounts = [content.get(k) for k in ("invoice", "freight", "insurance")]
    amounts += [item.get("value") for item in content.get("items", [])]
    wanted = {str(a.get("currency", "")).upper() for a in amounts if isinstance(a, dict)}
    wanted -= {national, ""}
    on = (declaration.accepted_at or declaration.lodged_at).date()
    known = reference.exchange_rates_on(session, wanted, on)
    return sorted(wanted - set(known))


def latest_assessment(session: Session, declaration: Declaration) -> Assessment | None:
    return session.scalar(
        select(Assessment)
        .where(Assessment.declaration_id == declaration.id)
        .order_by(Assessment.id.desc())
        .limit(1)
    )


def contents_between(
    session: Session, since: datetime, until: datetime, limit: int = 10_000
) -> list[tuple[int, dict[str, Any]]]:
    """Id and current content of declarations accepted in [since, until), oldest first."""
    rows = session.execute(
        select(Declaration.id, Declaration.content)
        .where(Declaration.accepted_at >= since, Declaration.accepted_at < until)
        .order_by(Declaration.accepted_at, Declaration.id)
        .limit(limit)
    ).all()
    return [(declaration_id, content) for declaration_id, content in rows]


# Bulk reads for the statistics export ------------------------------------------------------------


def in_force_accepted_between(
    session: Session, since: datetime, until: datetime
) -> list[Declaration]:
    """Declarations accepted in [since, until) that still cover goods (not cancelled or
    invalidated), with their holds, oldest first: what trade statistics count."""
    return list(
        session.scalars(
            select(Declaration)
            .where(Declaration.accepted_at >= since, Declaration.accepted_at < until)
            .where(Declaration.status.not_in(NOT_IN_FORCE))
            .order_by(Declaration.accepted_at, Declaration.id)
        )
    )


def acceptance_times(session: Session, declaration_ids: Sequence[int]) -> dict[int, datetime]:
    """When each of these declarations was accepted (those never accepted are left out)."""
    rows = session.execute(
        select(Declaration.id, Declaration.accepted_at).where(
            Declaration.id.in_(declaration_ids), Declaration.accepted_at.is_not(None)
        )
    ).all()
    return {declaration_id: at for declaration_id, at in rows if at is not None}


def first_acceptances(session: Session) -> list[datetime]:
    """The acceptance time of every declaration accepted, oldest first (a first export)."""
    return list(
        session.scalars(
            select(Declaration.accepted_at)
            .where(Declaration.accepted_at.is_not(None))
            .order_by(Declaration.accepted_at)
        )
    )


def status_changes_of(
    session: Session, declaration_ids: Sequence[int]
) -> dict[int, list[StatusChange]]:
    """The timelines of many declarations at once, each oldest first."""
    found: dict[int, list[StatusChange]] = {i: [] for i in declaration_ids}
    for row in session.scalars(
        select(StatusChange)
        .where(StatusChange.declaration_id.in_(declaration_ids))
        .order_by(StatusChange.declaration_id, StatusChange.at, StatusChange.id)
    ):
        found[row.declaration_id].append(row)
    return found


def latest_assessments(session: Session, declaration_ids: Sequence[int]) -> dict[int, Assessment]:
    """The latest assessment of each of these declarations that has one."""
    found: dict[int, Assessment] = {}
    for row in session.scalars(
        select(Assessment)
        .where(Assessment.declaration_id.in_(declaration_ids))
        .order_by(Assessment.declaration_id, Assessment.id)
    ):
        found[row.declaration_id] = row
    return found


def cargo_of_many(
    session: Session, declaration_ids: Sequence[int]
) -> dict[int, tuple[list[str], list[str]]]:
    """:func:`cargo_of` for many declarations at once: (documents, containers) by id."""
    found: dict[int, tuple[list[str], list[str]]] = {i: ([], []) for i in declaration_ids}
    for declaration_id, kind, reference_ in session.execute(
        select(DeclarationCargo.declaration_id, DeclarationCargo.kind, DeclarationCargo.reference)
        .where(DeclarationCargo.declaration_id.in_(declaration_ids))
        .order_by(DeclarationCargo.id)
    ):
        found[declaration_id][0 if kind == "document" else 1].append(reference_)
    return found


def parties_of_many(session: Session, declaration_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """:func:`parties_of` for many declarations at once."""
    found: dict[int, dict[str, int]] = {i: {} for i in declaration_ids}
    for row in session.scalars(
        select(DeclarationParty).where(DeclarationParty.declaration_id.in_(declaration_ids))
    ):
        found[row.declaration_id][row.role] = row.organisation_id
    return found
