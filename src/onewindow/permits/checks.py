"""Machine-to-machine checks of permits on declarations: a release condition, the draw-down of
permits on release, and telling declarations that wait for a permit when it changes.

For each item of an import or export declaration whose requirements ask for a procedure's permit,
the item must cite a permit (a document of the procedure's type whose reference is the permit
number), or have been the subject of the application that issued it, that exists, is valid on the
day, is held by the importer or exporter (or the declarant), covers the goods, and has balance
left. Otherwise the condition names what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from onewindow import events
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.declarations.models import Declaration
from onewindow.events import record_event
from onewindow.permits.models import Agency, Application, Drawdown, Permit, Procedure, Wait
from onewindow.permits.procedures import rule_index
from onewindow.permits.requirements import Goods, evaluate, goods_of
from onewindow.release import Condition

CHECKED_TYPES = frozenset({"IM", "EX"})


def used(
    session: Session, permit: Permit, *, besides: int | None = None
) -> tuple[Decimal, Decimal]:
    """How much quantity and value released goods drew from the permit (other than the
    declaration ``besides``)."""
    query = select(
        func.coalesce(func.sum(Drawdown.quantity), 0), func.coalesce(func.sum(Drawdown.value), 0)
    ).where(Drawdown.permit_id == permit.id)
    if besides is not None:
        query = query.where(Drawdown.declaration_id != besides)
    row = session.execute(query).one()
    return Decimal(str(row[0])), Decimal(str(row[1]))


def _holders(session: Session, declaration: Declaration) -> set[int]:
    named = declarations.parties_of(session, declaration)
    trader = "importer" if declaration.type == "IM" else "exporter"
    return {
        o
        for o in (declaration.organisation_id, named.get(trader), named.get("declarant"))
        if o is not None
    }


def _permits_for(
    session: Session, declaration: Declaration, item: Mapping[str, Any], procedure: Procedure
) -> tuple[list[str], list[Permit]]:
    """The permit numbers the item cites for the procedure, and the permits found: cited ones
    and those issued on applications lodged from this very item."""
    cited = [
        str(d.get("reference")).strip()
        for d in item.get("documents") or []
        if d.get("type") == procedure.document_type
    ]
    found = list(session.scalars(select(Permit).where(Permit.number.in_(cited)))) if cited else []
    linked = session.scalars(
        select(Permit)
        .join(Application, Application.id == Permit.application_id)
        .where(
            Application.declaration_id == declaration.id,
            Application.item_sequence == int(item.get("sequence") or 0),
            Permit.procedure_code == procedure.code,
        )
    )
    found += [p for p in linked if p not in found]
    return cited, found


def permit_problem(
    session: Session,
    permit: Permit,
    procedure: Procedure,
    goods: Goods,
    holders: set[int],
    declaration_id: int,
    on: date,
) -> str | None:
    """Why this permit does not cover these goods, or None."""
    if permit.procedure_code != procedure.code:
        return f"permit {permit.number} is not a {procedure.name}"
    if permit.status != "valid":
        return f"permit {permit.number} is {permit.status}"
    if not permit.valid_from <= on <= permit.valid_to:
        return f"permit {permit.number} is valid {permit.valid_from} to {permit.valid_to}"
    if permit.holder_id not in holders:
        return f"permit {permit.number} is held by another company"
    if permit.hs_prefixes and not any(goods.code.startswith(p) for p in permit.hs_prefixes):
        return f"permit {permit.number} covers HS {', '.join(permit.hs_prefixes)}, not {goods.code}"
    quantity_used, value_used = used(session, permit, besides=declaration_id)
    if (
        permit.quantity is not None
        and goods.quantity is not None
        and permit.unit in (None, goods.unit)
        and goods.quantity > permit.quantity - quantity_used
    ):
        left = (permit.quantity - quantity_used).normalize()
        return f"permit {permit.number} has {left:f} {permit.unit or ''} left".replace("  ", " ")
    if (
        permit.value is not None
        and goods.value is not None
        and permit.currency == goods.currency
        and goods.value > permit.value - value_used
    ):
        left = (permit.value - value_used).normalize()
        return f"permit {permit.number} has {left:f} {permit.currency} left"
    return None


def release_conditions(
    session: Session, declaration_id: int, *, for_update: bool = False
) -> list[Condition]:
    """What of permits stops a declaration's release.

    Read-only unless ``for_update``: only then (the paths that may release) are the permits it
    relies on locked until the transaction ends and the permits it cites noted, so that a change
    to them looks at the declaration again. A page listing the conditions writes and locks
    nothing."""
    declaration = declarations.find(session, declaration_id)
    if declaration is None or declaration.type not in CHECKED_TYPES:
        return []
    today = date.today()
    needs = [
        n
        for n in evaluate(rule_index(session), goods_of(declaration.content, today))
        if n.exempt is None and n.rule.mandatory
    ]
    if for_update and session.scalar(
        select(Wait.id).where(Wait.declaration_id == declaration.id).limit(1)
    ):
        session.execute(delete(Wait).where(Wait.declaration_id == declaration.id))
    if not needs:
        return []
    items = {int(i.get("sequence") or 0): i for i in declaration.content.get("items", [])}
    goods = dict(goods_of(declaration.content, today))
    holders = _holders(session, declaration)
    conditions = []
    for need in needs:
        procedure = session.scalar(
            select(Procedure).where(Procedure.code == need.procedure, Procedure.current.is_(True))
        )
        if procedure is None:
            continue
        agency = session.get(Agency, procedure.agency_id)
        item = items[need.item]
        cited, permits = _permits_for(session, declaration, item, procedure)
        if permits and for_update:
            # Held until the release commits: a second release waits, then sees this one's
            # draw-down (SQLite writes one transaction at a time anyway).
            session.execute(
                select(Permit.id).where(Permit.id.in_([p.id for p in permits])).with_for_update()
            )
        if for_update:
            for number in cited:
                session.add(Wait(declaration_id=declaration.id, kind="cites", reference=number))
        problems = []
        for permit in permits:
            problem = permit_problem(
                session, permit, procedure, goods[need.item], holders, declaration.id, today
            )
            if problem is None:
                break
            problems.append(problem)
        else:
            missing = [n for n in cited if n not in {p.number for p in permits}]
            problems += [f"no permit {n} exists" for n in missing]
            what = (
                f"item {need.item} (HS {goods[need.item].code}) needs a {procedure.name} from "
                f"{agency.name if agency else 'the agency'} (document {procedure.document_type})"
            )
            conditions.append(
                Condition(
                    "permits",
                    procedure.code,
                    f"{what}: {'; '.join(problems)}" if problems else f"{what}: none is cited",
                )
            )
    if for_update:
        session.flush()
    return conditions


def tell_waiting(session: Session, permit: Permit) -> int:
    """Ask clearance to look again at the declarations this permit may free: those citing it,
    and the one whose item it was applied for."""
    application = session.get(Application, permit.application_id)
    clauses = [(Wait.kind == "cites") & (Wait.reference == permit.number)]
    ids = set(session.scalars(select(Wait.declaration_id).where(or_(*clauses))))
    if application is not None and application.declaration_id:
        ids.add(application.declaration_id)
    for declaration_id in sorted(ids):
        record_event(
            session, "release.conditions_changed", "declaration", declaration_id, {"by": "permits"}
        )
    return len(ids)


def draw_down(session: Session, declaration_id: int) -> int:
    """Take a released declaration's goods from the permits covering them (once per item and
    permit, however often asked); return how many draw-downs were new."""
    declaration = declarations.find(session, declaration_id)
    if declaration is None or declaration.type not in CHECKED_TYPES:
        return 0
    today = date.today()
    goods = dict(goods_of(declaration.content, today))
    holders = _holders(session, declaration)
    added = 0
    for item in declaration.content.get("items", []):
        sequence = int(item.get("sequence") or 0)
        if sequence not in goods:
            continue
        types = {d.get("type") for d in item.get("documents") or []}
        procedures = session.scalars(
            select(Procedure).where(
                Procedure.current.is_(True),
                or_(
                    Procedure.document_type.in_(types),
                    Procedure.code.in_(
                        select(Permit.procedure_code)
                        .join(Application, Application.id == Permit.application_id)
                        .where(
                            Application.declaration_id == declaration.id,
                            Application.item_sequence == sequence,
                        )
                    ),
                ),
            )
        )
        for procedure in procedures:
            _, permits = _permits_for(session, declaration, item, procedure)
            if not permits:
                continue
            if session.scalar(
                select(Drawdown.id).where(
                    Drawdown.permit_id.in_([p.id for p in permits]),
                    Drawdown.declaration_id == declaration.id,
                    Drawdown.item_sequence == sequence,
                )
            ):
                continue
            g = goods[sequence]
            good = [
                p
                for p in permits
                if permit_problem(session, p, procedure, g, holders, declaration.id, today) is None
            ]
            permit = (good or permits)[0]
            session.add(
                Drawdown(
                    permit_id=permit.id,
                    declaration_id=declaration.id,
                    item_sequence=sequence,
                    quantity=g.quantity if permit.unit in (None, g.unit) else None,
                    value=g.value if permit.currency == g.currency else None,
                    at=utcnow(),
                )
            )
            added += 1
    session.flush()
    return added


def _on_release(session: Session, event: events.Event) -> None:
    if event.topic == "declaration.released" and event.subject_type == "declaration":
        draw_down(session, int(event.subject_id))
