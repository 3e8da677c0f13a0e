"""How long releases waited for permits, for the Time Release Study (statistics' door into
permits, re-exported by :mod:`onewindow.permits.service`).

A declaration's release waited for a permit when the permit it used (one its items cite, a
document of the procedure's type whose reference is the permit number, or one issued on an
application lodged from the declaration) was granted after the declaration was accepted: the
wait runs from acceptance to the grant (to the release, if the release came first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow.declarations import service as declarations
from onewindow.permits.models import Agency, Application, Permit


@dataclass(frozen=True)
class ReleaseWait:
    """One agency whose permit a declaration's release waited for."""

    agency: str
    """The agency's name."""
    granted_at: datetime
    """When the agency granted the last of its permits the declaration waited for."""
    hours: float
    """From the declaration's acceptance to that grant (or to the release, if earlier)."""


def release_waits(session: Session, declaration_ids: Sequence[int]) -> dict[int, list[ReleaseWait]]:
    """For each of these declarations that waited for permits, each agency it waited for, in
    the agencies' name order (declarations that waited for none are left out)."""
    found = declarations.by_ids(session, declaration_ids)
    if not found:
        return {}
    used: dict[int, list[tuple[int, datetime]]] = {}
    linked = session.execute(
        select(Application.declaration_id, Permit.agency_id, Permit.issued_at)
        .join(Permit, Permit.application_id == Application.id)
        .where(Application.declaration_id.in_(list(found)))
    )
    for declaration_id, agency_id, issued_at in linked:
        if declaration_id is not None:
            used.setdefault(declaration_id, []).append((agency_id, issued_at))
    cited: dict[tuple[str, str], set[int]] = {}
    for d in found.values():
        for item in d.content.get("items", []):
            for document in item.get("documents") or []:
                reference = str(document.get("reference") or "").strip()
                if reference:
                    cited.setdefault((str(document.get("type")), reference), set()).add(d.id)
    numbers = sorted({number for _, number in cited})
    for start in range(0, len(numbers), 500):
        permits = session.execute(
            select(Permit.number, Permit.document_type, Permit.agency_id, Permit.issued_at).where(
                Permit.number.in_(numbers[start : start + 500])
            )
        )
        for number, document_type, agency_id, issued_at in permits:
            for declaration_id in cited.get((document_type, number), ()):
                used.setdefault(declaration_id, []).append((agency_id, issued_at))
    wanted = sorted({agency_id for pairs in used.values() for agency_id, _ in pairs})
    names: dict[int, str] = {
        agency_id: name
        for agency_id, name in session.execute(
            select(Agency.id, Agency.name).where(Agency.id.in_(wanted))
        )
    }
    out: dict[int, list[ReleaseWait]] = {}
    for declaration_id, permits_used in used.items():
        d = found[declaration_id]
        if d.accepted_at is None:
            continue
        latest: dict[int, datetime] = {}
        for agency_id, issued_at in permits_used:
            if issued_at > d.accepted_at:
                latest[agency_id] = max(issued_at, latest.get(agency_id, issued_at))
        waits = []
        for agency_id, granted in latest.items():
            until = min(granted, d.released_at) if d.released_at is not None else granted
            hours = (until - d.accepted_at).total_seconds() / 3600
            waits.append(ReleaseWait(names.get(agency_id, ""), granted, round(hours, 4)))
        if waits:
            out[declaration_id] = sorted(waits, key=lambda w: w.agency)
    return out
