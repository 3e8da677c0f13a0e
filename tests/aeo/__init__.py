"""Builders for AEO tests: principals, complete answers, certificates granted through the
whole programme, partners with an MRA."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from onewindow.aeo import service as aeo
from onewindow.aeo.models import AeoCertificate
from onewindow.db import session_scope
from onewindow.parties import service as parties
from onewindow.security import Principal
from tests.conftest import Party, make_party


def principal_of(party: Party) -> Principal:
    with session_scope() as session:
        user = parties.find_user(session, party.email)
        assert user is not None
        return parties.principal_for_user(user, "test")


def answers(tier: str = "AEO-F") -> dict[str, str]:
    """An answer to every question of the tier's criteria."""
    return {
        q.code: f"Our answer to {q.code}."
        for c in aeo.criteria().for_tier(tier)
        for q in c.questions
    }


def findings(tier: str = "AEO-F", rating: str = "met") -> dict[str, dict[str, str]]:
    return {c.code: {"rating": rating, "note": "seen"} for c in aeo.criteria().for_tier(tier)}


def certify(
    holder: Party, tier: str = "AEO-F", role: str = "importer", consent: bool = False
) -> int:
    """A certificate granted to ``holder`` through the programme (apply, visit, grant); its id."""
    officer = principal_of(make_party(("customs-office",), user_role="staff"))
    company = principal_of(holder)
    with session_scope() as session:
        application = aeo.apply(
            session, company, operator_role=role, tier=tier, answers=answers(tier)
        )
        aeo.plan_visit(
            session, officer, application.id, on=date.today() + timedelta(days=1), place="HQ"
        )
        aeo.record_visit(session, officer, application.id, findings(tier))
        _, certificate = aeo.decide(
            session, officer, application.id, grant=True, reason="all criteria met"
        )
        assert certificate is not None
        if consent:
            aeo.set_consent(session, company, certificate.id, True)
        return certificate.id


def certificate_status(certificate_id: int) -> str:
    with session_scope() as session:
        row = session.get(AeoCertificate, certificate_id)
        assert row is not None
        return row.status


def partner_with_mra(
    roles: tuple[str, ...] = ("exporter",),
    benefits: tuple[str, ...] = ("fewer_documentary_checks", "priority_inspection"),
    since: date | None = None,
    until: date | None = None,
) -> str:
    """A fresh partner administration (an unused two-letter code) with an MRA; its country."""
    admin = principal_of(make_party(("administrator",)))
    with session_scope() as session:
        used = {p.country for p in aeo.partners(session)}
        country = next(
            a + b for a in "QRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if a + b not in used
        )
        aeo.register_partner(session, admin, country=country, name=f"Customs of {country}")
        aeo.record_mra(
            session,
            admin,
            partner_country=country,
            reference=f"MRA-{country}-{uuid.uuid4().hex[:6]}",
            operator_roles=list(roles),
            benefits=list(benefits),
            in_force_from=since or date.today() - timedelta(days=30),
            in_force_until=until,
        )
        return country


def foreign_record(identifier: str, **changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "identifier": identifier,
        "name": "Partner Exporter Co",
        "address": "1 Export Street",
        "status": "active",
        "tier": "AEO-F",
        "validated_on": "2025-05-01",
        "consent": True,
    }
    record.update(changes)
    return record
