"""The demo's AEO data: loaded once, with every tier, a suspension, partners and MRAs."""

from __future__ import annotations

from sqlalchemy import select

from onewindow.aeo.models import AeoApplication, AeoCertificate, PartnerOperator
from onewindow.db import session_scope
from onewindow.demo import load_demo
from onewindow.demo_aeo import load_demo_aeo


def test_the_demo_certifies_once() -> None:
    with session_scope() as session:
        load_demo(session)
    with session_scope() as session:
        first = load_demo_aeo(session)
    with session_scope() as session:
        assert load_demo_aeo(session) == 0
        certificates = session.scalars(select(AeoCertificate)).all()
        statuses = {(c.tier, c.status) for c in certificates}
        applications = {a.status for a in session.scalars(select(AeoApplication))}
        operators = session.scalars(select(PartnerOperator.identifier)).all()
    assert first in (0, 3)
    assert {("AEO-F", "active"), ("AEO-S", "active"), ("AEO-C", "suspended")} <= statuses
    assert {"information_requested", "visit_planned", "refused", "granted"} <= applications
    assert "JP1234567890123" in operators
