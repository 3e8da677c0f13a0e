"""An AEO's benefits where they belong: risk selectivity (with the reason, for customs only),
inspection priority, the deferment guarantee; suspension takes them away at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from onewindow.aeo import service as aeo
from onewindow.clearance import service as clearance
from onewindow.db import session_scope
from onewindow.declarations.schemas import DeclarationIn
from onewindow.payments import service as payments
from onewindow.risk import service as risk
from tests.aeo import certify, principal_of
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration
from tests.payments import open_request_for


@pytest.fixture()
def everything_drawn() -> Iterator[None]:
    """Every declaration is selected at random; no learned model."""
    previous = risk.set_rates(random_rate=1.0)
    in_use = risk.promoted_model()
    risk.promote_model(None)
    yield
    risk.promote_model(in_use)
    risk.set_rates(**previous.__dict__)


def _lodge(who: Party, **changes: Any) -> int:
    principal = principal_of(who)
    with session_scope() as session:
        body = DeclarationIn.model_validate(declaration(**changes))
        return clearance.lodge(session, principal, body).declaration.id


def _decision(declaration_id: int) -> tuple[str, list[str], bool]:
    officer = principal_of(make_party(("customs-office",), user_role="staff"))
    with session_scope() as session:
        decision = risk.decision_for(session, officer, declaration_id)
        return decision.channel, [r["text"] for r in decision.reasons], decision.priority


def test_an_aeo_f_is_spared_the_random_check_and_the_officer_sees_why(
    everything_drawn: None, client: TestClient
) -> None:
    holder, other = make_party(), make_party()
    certify(holder, "AEO-F")
    spared = _lodge(holder)
    assert _decision(spared) == ("green", ["AEO-F benefit: random documentary check waived"], False)
    assert _decision(_lodge(other)) == ("yellow", ["Selected at random for control"], False)
    # The trader never sees the reason: not in its declaration, holds or notifications.
    for path in (f"/api/v1/declarations/{spared}", "/api/v1/notifications"):
        answer = client.get(path, headers=holder.auth)
        assert answer.status_code == 200
        assert "benefit" not in answer.text and "waived" not in answer.text


def test_suspension_takes_the_benefits_away_at_once(everything_drawn: None, customs: Party) -> None:
    holder = make_party()
    certificate_id = certify(holder, "AEO-F")
    assert _decision(_lodge(holder))[0] == "green"
    officer = principal_of(customs)
    with session_scope() as session:
        aeo.suspend(session, officer, certificate_id, "under investigation")
    assert _decision(_lodge(holder)) == ("yellow", ["Selected at random for control"], False)
    with session_scope() as session:
        aeo.reinstate(session, officer, certificate_id, "cleared")
    assert _decision(_lodge(holder))[0] == "green"


def test_rules_still_apply_and_an_aeo_is_inspected_first(
    client: TestClient, customs: Party
) -> None:
    holder, other = make_party(), make_party()
    certify(holder, "AEO-S")
    officer = principal_of(customs)
    with session_scope() as session:
        for who in (holder, other):
            risk.watch_party(
                session, officer, identifier=who.identifier, reason="watched", channel="red"
            )
    named = {"identifier": "?"}
    first = _lodge(
        other,
        declarant={**named, "identifier": other.identifier},
        importer={**named, "identifier": other.identifier},
    )
    second = _lodge(
        holder,
        declarant={**named, "identifier": holder.identifier},
        importer={**named, "identifier": holder.identifier},
    )
    channel, reasons, priority = _decision(second)
    assert channel == "red" and priority
    assert reasons == ["watched", "AEO-S benefit: priority inspection"]
    assert _decision(first)[2] is False
    with session_scope() as session:
        queue = [d.declaration_id for d in risk.inspection_queue(session, limit=10_000)]
    assert queue.index(second) < queue.index(first)
    # The holder sees that its goods are controlled, never why nor that it goes first.
    seen = client.get(f"/api/v1/declarations/{second}", headers=holder.auth)
    assert seen.status_code == 200 and "physical-inspection" in seen.text
    assert "priority" not in seen.text and "watched" not in seen.text


def test_the_tier_decides_how_much_is_spared() -> None:
    f, c = aeo.treatment_for("AEO-F", "AEO-F"), aeo.treatment_for("AEO-C", "AEO-C")
    assert f.random_check_kept == 0.0 and c.random_check_kept == 0.5
    assert c.model_red_kept == 1.0 and f.model_red_kept < 1.0
    assert aeo.treatment_for("AEO-S", "AEO-S").guarantee_share == Decimal(1)


def test_a_reduced_guarantee_covers_more_deferment(customs: Party) -> None:
    holder, other = make_party(), make_party()
    certificate_id = certify(holder, "AEO-F")
    officer = principal_of(customs)
    with session_scope() as session:
        for who in (holder, other):
            payments.open_deferred_account(
                session,
                organisation_id=who.org_id,
                number=f"DAN-{who.identifier}",
                currency="GBP",
                guarantee_amount=Decimal("200"),
                guarantee_reference="GUA-1",
                valid_until=date.today() + timedelta(days=30),
                actor=officer.actor,
            )
    # 344.00 due: beyond the guarantee of 200, within an AEO-F's cover of 200 / 30%.
    others, first, second = (
        open_request_for(o) for o in (other.org_id, holder.org_id, holder.org_id)
    )
    with session_scope() as session:
        refused = payments.settle_by_deferment(session, others, None, "t")
        assert not refused.ok and "less than" in refused.reason
    with session_scope() as session:
        done = payments.settle_by_deferment(session, first, None, "t")
        assert done.ok, done.reason
    with session_scope() as session:
        aeo.suspend(session, officer, certificate_id, "under investigation")
    with session_scope() as session:
        # 344 drawn, cover back to the guarantee of 200: nothing more may be drawn.
        after = payments.settle_by_deferment(session, second, None, "t")
        assert not after.ok
    with session_scope() as session:
        share, why = aeo.guarantee_share(session, holder.org_id, date.today())
        assert share == 1 and why == ""
