"""Agencies, their procedures (versioned data) and the requirement rules that call for them.

A procedure is loaded from data alone: a JSON document (``permits/data/*.json``, the admin API,
``onewindow permits load``). Loading a new version keeps the old one whole: applications lodged
under it keep it. Loading the same content again changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.db import utcnow
from onewindow.errors import FieldError, InvalidInput, NotFound
from onewindow.parties import service as parties
from onewindow.permits.engine import check_procedure
from onewindow.permits.models import Agency, Procedure, Requirement
from onewindow.permits.requirements import RuleIndex, check_rule, rule_from_data

PROCEDURES_DIR = Path(__file__).parent / "data"


def _agency(session: Session, data: Mapping[str, Any]) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == data["code"]))
    organisation_id = None
    identifier = data.get("organisation")
    if identifier:
        for scheme in ("EORI", "TIN"):
            found = parties.find_organisation(session, scheme, str(identifier))
            if found is not None:
                organisation_id = found.id
                break
    if agency is None:
        agency = Agency(
            code=data["code"],
            name=data["name"],
            organisation_id=organisation_id,
            created_at=utcnow(),
        )
        session.add(agency)
        session.flush()
    else:
        agency.name = data["name"]
        if organisation_id is not None:
            agency.organisation_id = organisation_id
    return agency


def load_procedure(session: Session, data: Mapping[str, Any], actor: str) -> tuple[Procedure, bool]:
    """Add a procedure's version (with its agency and requirement rules); return it and whether
    anything changed. The same version with other content is refused: give it a new version."""
    problems = check_procedure(data)
    for n, rule in enumerate(data.get("requirements") or []):
        problems += [(f"/requirements/{n}", p) for p in check_rule(rule)]
    if problems:
        raise InvalidInput(
            "The procedure is not complete.", [FieldError(p, m) for p, m in problems]
        )
    definition = json.loads(json.dumps(data))
    found = session.scalar(
        select(Procedure).where(
            Procedure.code == data["code"], Procedure.version == int(data["version"])
        )
    )
    if found is not None:
        if found.definition != definition:
            raise InvalidInput(
                f"Version {data['version']} of {data['code']} is already loaded with other "
                "content: load it as a new version.",
                [FieldError("/version", "is already loaded")],
            )
        _agency(session, data["agency"])
        return found, False
    agency = _agency(session, data["agency"])
    newest = session.scalar(
        select(func.max(Procedure.version)).where(Procedure.code == data["code"])
    )
    is_current = newest is None or int(data["version"]) > newest
    if is_current:
        for older in session.scalars(select(Procedure).where(Procedure.code == data["code"])):
            older.current = False
    procedure = Procedure(
        code=data["code"],
        version=int(data["version"]),
        agency_id=agency.id,
        name=data["name"],
        document_type=data["document_type"],
        outcome=data["outcome"],
        definition=definition,
        current=is_current,
        loaded_by=actor,
        loaded_at=utcnow(),
    )
    session.add(procedure)
    session.flush()
    if is_current:
        replace_requirements(session, data["code"], data.get("requirements") or [], actor)
    audit.record(
        session,
        actor=actor,
        action="permits.procedure_loaded",
        subject_type="procedure",
        subject_id=procedure.id,
        reason=f"{procedure.code} version {procedure.version}",
        data={"code": procedure.code, "version": procedure.version},
    )
    return procedure, True


def replace_requirements(
    session: Session, procedure_code: str, rules: Sequence[Mapping[str, Any]], actor: str
) -> int:
    """The requirement rules calling for a procedure, replaced by these."""
    session.execute(delete(Requirement).where(Requirement.procedure_code == procedure_code))
    now = utcnow()
    session.add_all(
        Requirement(
            procedure_code=procedure_code,
            rule={**rule, "procedure": procedure_code},
            source=actor[:100],
            created_at=now,
        )
        for rule in rules
    )
    session.flush()
    return len(rules)


def load_directory(session: Session, folder: Path | None = None, actor: str = "loader") -> int:
    """Load every ``*.json`` procedure of a folder (the shipped ones by default); return how
    many versions were new."""
    added = 0
    for path in sorted((folder or PROCEDURES_DIR).glob("*.json")):
        _, changed = load_procedure(session, json.loads(path.read_text()), actor)
        added += changed
    return added


def current(session: Session, code: str) -> Procedure:
    procedure = session.scalar(
        select(Procedure).where(Procedure.code == code, Procedure.current.is_(True))
    )
    if procedure is None:
        raise NotFound(f"No procedure {code}.")
    return procedure


def current_procedures(session: Session) -> list[Procedure]:
    return list(
        session.scalars(
            select(Procedure).where(Procedure.current.is_(True)).order_by(Procedure.name)
        )
    )


def agencies(session: Session) -> dict[int, Agency]:
    return {a.id: a for a in session.scalars(select(Agency))}


def agencies_of(session: Session, organisation_id: int) -> list[Agency]:
    """The agencies whose officers are this organisation's users."""
    return list(session.scalars(select(Agency).where(Agency.organisation_id == organisation_id)))


_index: tuple[tuple[Any, ...], RuleIndex] | None = None


def rule_index(session: Session) -> RuleIndex:
    """Every requirement rule, indexed (rebuilt only when the rules changed)."""
    global _index
    # Ids may be used again once rules are deleted (SQLite): the newest creation tells too.
    key = tuple(
        session.execute(
            select(
                func.max(Requirement.id),
                func.count(Requirement.id),
                func.max(Requirement.created_at),
            )
        ).one()
    )
    if _index is None or _index[0] != key:
        rows = session.execute(select(Requirement.id, Requirement.rule)).all()
        _index = (key, RuleIndex([rule_from_data(i, r) for i, r in rows]))
    return _index[1]


def rules_by_procedure(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every requirement rule's data, by the procedure it calls for."""
    found: dict[str, list[dict[str, Any]]] = {}
    for code, rule in session.execute(
        select(Requirement.procedure_code, Requirement.rule).order_by(Requirement.id)
    ):
        found.setdefault(code, []).append(rule)
    return found
