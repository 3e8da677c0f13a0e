"""Selectivity: rules, lists, fast lanes, random selection and AEO lowering, through the flow."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from onewindow.aeo.service import Treatment
from onewindow.clearance import service as clearance
from onewindow.db import session_scope, utcnow
from onewindow.declarations.schemas import DeclarationIn
from onewindow.errors import InvalidInput
from onewindow.events import OutboxEvent
from onewindow.parties import service as parties
from onewindow.risk import service as risk
from onewindow.risk.models import FastLane, IprRecord, RiskProfile, WatchedParty
from onewindow.security import Principal
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration

MEDICINE = {
    "sequence": 1,
    "commodity_code": "3004200000",
    "description": "Antibiotics in measured doses",
    "origin": "IN",
    "procedure": "4000",
    "net_mass_kg": "50",
    "value": {"amount": "900.00", "currency": "USD"},
}


@pytest.fixture(autouse=True)
def no_rules_left() -> Iterator[None]:
    """Rules made by a test are withdrawn after it, so that other tests' declarations flow."""
    yield
    with session_scope() as session:
        now = utcnow()
        session.execute(update(RiskProfile).values(active=False))
        for table in (WatchedParty, FastLane, IprRecord):
            session.execute(update(table).where(table.removed_at.is_(None)).values(removed_at=now))


def principal_of(party: Party) -> Principal:
    with session_scope() as session:
        user = parties.find_user(session, party.email)
        assert user is not None
        return parties.principal_for_user(user, "test")


@pytest.fixture()
def officer() -> Principal:
    return principal_of(make_party(("customs-office",), user_role="staff"))


@pytest.fixture()
def trader() -> Principal:
    return principal_of(make_party())


@functools.cache
def _customs() -> Principal:
    return principal_of(make_party(("customs-office",), user_role="staff"))


def lodge(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Lodge through the flow; what the officer sees of it (the decision is customs' own)."""
    officer = _customs()
    with session_scope() as session:
        lodgement = clearance.lodge(session, principal, DeclarationIn.model_validate(body))
        found = lodgement.declaration
        assert found.status != "rejected", found.errors
        decision = risk.decision_for(session, officer, found.id)
        return {
            "id": found.id,
            "status": found.status,
            "channel": found.channel,
            "holds": [(h.kind, h.reason) for h in found.holds if h.lifted_at is None],
            "reasons": list(decision.reasons),
            "random": decision.random_selected,
        }


def profile(officer: Principal, conditions: list[dict[str, Any]], **fields: Any) -> int:
    with session_scope() as session:
        row = risk.create_profile(
            session,
            officer,
            code=fields.pop("code", "P-" + uuid.uuid4().hex[:8].upper()),
            title=fields.pop("title", "Footwear from CN"),
            reason=fields.pop("reason", "Undervalued footwear from CN"),
            conditions=conditions,
            channel=fields.pop("channel", "red"),
        )
        return row.id


SHOES_FROM_CN: list[dict[str, Any]] = [
    {"field": "hs", "op": "prefix", "value": "6403"},
    {"field": "origin", "op": "in", "value": ["CN", "VN"]},
]


class TestProfiles:
    def test_a_matching_declaration_goes_red_with_the_reason_under_control(
        self, officer: Principal, trader: Principal
    ) -> None:
        profile(officer, SHOES_FROM_CN)
        lodged = lodge(trader, declaration())
        assert lodged["channel"] == "red"
        assert lodged["status"] == "under_control"
        assert ("physical-inspection", "Undervalued footwear from CN") in lodged["holds"]
        assert [r["source"] for r in lodged["reasons"]] == ["profile"]

    def test_a_declaration_that_does_not_match_stays_green(
        self, officer: Principal, trader: Principal
    ) -> None:
        profile(officer, SHOES_FROM_CN)
        body = declaration()
        for item in body["items"]:
            item["origin"] = "GB"
        lodged = lodge(trader, body)
        assert lodged["channel"] == "green"
        assert lodged["status"] == "awaiting_payment"
        assert lodged["holds"] == [("payment", lodged["holds"][0][1])]

    def test_item_clauses_hold_on_one_item(self) -> None:
        body = DeclarationIn.model_validate(declaration())
        body.items[1].origin = "GB"  # the shoes are British, the handbags Chinese
        assert not risk.matches(SHOES_FROM_CN, body)
        body.items[1].origin = "VN"
        assert risk.matches(SHOES_FROM_CN, body)

    @pytest.mark.parametrize(
        ("clause", "expected"),
        [
            ({"field": "hs", "op": "range", "value": ["6401", "6405"]}, True),
            ({"field": "hs", "op": "range", "value": ["6404", "6405"]}, False),
            ({"field": "value_per_kg", "op": "lt", "value": 16}, True),  # handbags 15/kg
            ({"field": "value_per_kg", "op": "lt", "value": 14}, False),
            (
                {
                    "field": "value_per_kg",
                    "op": "lt",
                    "value": {"reference_price_per_kg": 60, "factor": 0.25},
                },
                False,
            ),  # noqa: E501
            (
                {
                    "field": "value_per_kg",
                    "op": "lt",
                    "value": {"reference_price_per_kg": 80, "factor": 0.25},
                },
                True,
            ),  # noqa: E501
            ({"field": "total_value", "op": "gt", "value": "9999.99"}, True),
            ({"field": "importer", "op": "eq", "value": "gb100000000099"}, True),
            ({"field": "exporter", "op": "eq", "value": "CN1"}, False),
            ({"field": "country_of_export", "op": "in", "value": ["CN"]}, True),
            ({"field": "transport_mode", "op": "eq", "value": "4"}, False),
            ({"field": "procedure", "op": "eq", "value": "4000"}, True),
        ],
    )
    def test_each_field_and_operator(self, clause: dict[str, Any], expected: bool) -> None:
        assert not risk.check_conditions([clause])
        assert risk.matches([clause], DeclarationIn.model_validate(declaration())) is expected

    def test_bad_conditions_are_refused_with_the_pointer(self, officer: Principal) -> None:
        bad: list[dict[str, Any]] = [
            {"field": "hs", "op": "prefix", "value": "6403"},
            {"field": "origin", "op": "eq", "value": "CN"},
            {"field": "hs", "op": "contains", "value": "64"},
            {"field": "colour", "op": "eq", "value": "red"},
            {"field": "hs", "op": "range", "value": ["65", "64"]},
        ]
        with pytest.raises(InvalidInput) as refused, session_scope() as session:
            risk.create_profile(
                session, officer, code="BAD", title="t", reason="r", conditions=bad, channel="red"
            )
        pointers = [e.pointer for e in refused.value.errors]
        assert pointers == ["/conditions/2/op", "/conditions/3/field", "/conditions/4/value"]

    def test_a_new_version_replaces_the_old_one_which_is_kept(self, officer: Principal) -> None:
        first = profile(officer, SHOES_FROM_CN, code="VERSIONED-" + uuid.uuid4().hex[:6].upper())
        with session_scope() as session:
            second = risk.new_profile_version(
                session,
                officer,
                first,
                title="Footwear from CN",
                reason="Now documents only",
                conditions=SHOES_FROM_CN,
                channel="yellow",
                why="red was too many",
            )
            assert second.version == 2 and second.active
            assert not risk.get_profile(session, first).active
            assert second.author == officer.actor


class TestLists:
    def test_a_watched_importer_goes_yellow(self, officer: Principal, trader: Principal) -> None:
        importer = "GB" + uuid.uuid4().hex[:12].upper()
        with session_scope() as session:
            risk.watch_party(session, officer, identifier=importer, reason="Late payer, 2 seizures")
        lodged = lodge(trader, declaration(importer={"identifier": importer}))
        assert lodged["channel"] == "yellow"
        assert lodged["status"] == "under_control"
        assert ("documentary-check", "Late payer, 2 seizures") in lodged["holds"]

    def test_a_watch_applies_from_the_next_declaration_and_ends_with_its_removal(
        self, officer: Principal, trader: Principal
    ) -> None:
        # The rules are held in memory per process: a change must reach the very next lodging.
        importer = "GB" + uuid.uuid4().hex[:12].upper()
        body = declaration(importer={"identifier": importer})
        assert lodge(trader, body)["channel"] == "green"
        with session_scope() as session:
            watch = risk.watch_party(session, officer, identifier=importer, reason="Seizure")
        assert lodge(trader, declaration(importer={"identifier": importer}))["channel"] == "yellow"
        with session_scope() as session:
            risk.unwatch_party(session, officer, watch.id, why="cleared")
        assert lodge(trader, declaration(importer={"identifier": importer}))["channel"] == "green"

    def test_an_ipr_hit_goes_red_and_the_right_holder_is_told(
        self, officer: Principal, trader: Principal
    ) -> None:
        holder = make_party()
        with session_scope() as session:
            risk.record_ipr(
                session,
                principal_of(holder),
                right_holder_organisation_id=holder.org_id,
                trade_mark="NIKE",
                hs_prefixes=["6403", "6404"],
                keywords=["nike", "air jordan"],
            )
        body = declaration()
        body["items"][1]["description"] = "Leather footwear, Nike Air"
        lodged = lodge(trader, body)
        assert lodged["channel"] == "red"
        assert "ipr" in [kind for kind, _ in lodged["holds"]]
        with session_scope() as session:
            told = session.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.topic == "risk.ipr_suspected",
                    OutboxEvent.organisation_id == holder.org_id,
                )
            ).all()
            assert [e.subject_id for e in told] == [str(lodged["id"])]
            assert told[0].payload["trade_marks"] == ["NIKE"]

    def test_a_trader_records_only_its_own_marks(self, trader: Principal) -> None:
        with pytest.raises(Exception, match="own trade marks"), session_scope() as session:
            risk.record_ipr(
                session,
                trader,
                right_holder_organisation_id=trader.organisation_id + 1,
                trade_mark="ADIDAS",
                hs_prefixes=["6403"],
                keywords=["adidas"],
            )

    def test_a_fast_lane_goes_green_even_when_everything_is_drawn(
        self, officer: Principal, trader: Principal
    ) -> None:
        with session_scope() as session:
            risk.open_fast_lane(session, officer, hs_prefix="3004", reason="Essential medicines")
        risk.set_rates(random_rate=1.0)
        lodged = lodge(trader, declaration(items=[MEDICINE], invoice=MEDICINE["value"]))
        assert lodged["channel"] == "green"
        assert [r["source"] for r in lodged["reasons"]] == ["fast-lane"]

    def test_a_fast_lane_does_not_shelter_a_watched_trader(
        self, officer: Principal, trader: Principal
    ) -> None:
        importer = "GB" + uuid.uuid4().hex[:12].upper()
        with session_scope() as session:
            risk.open_fast_lane(session, officer, hs_prefix="3004", reason="Essential medicines")
            risk.watch_party(session, officer, identifier=importer, reason="Falsified medicines")
        lodged = lodge(
            trader,
            declaration(
                items=[MEDICINE], invoice=MEDICINE["value"], importer={"identifier": importer}
            ),
        )
        assert lodged["channel"] == "yellow"


class TestRandomSelection:
    def test_rate_one_selects_and_rate_zero_never(self, trader: Principal) -> None:
        risk.set_rates(random_rate=1.0)
        selected = lodge(trader, declaration())
        assert selected["channel"] == "yellow" and selected["random"]
        assert selected["status"] == "under_control"
        risk.set_rates(random_rate=0.0)
        assert lodge(trader, declaration())["channel"] == "green"

    def test_the_draw_is_fixed_by_the_declaration_id(self) -> None:
        assert [risk.draw(i) for i in range(50)] == [risk.draw(i) for i in range(50)]
        assert risk.draw(7) != risk.draw(8)
        assert risk.draw(7) != risk.draw(7, seed="another")
        share = sum(risk.draw(i) < 0.1 for i in range(10_000)) / 10_000
        assert 0.08 < share < 0.12

    def test_an_aeo_is_selected_less(self) -> None:
        body = DeclarationIn.model_validate(declaration())
        risk.set_rates(random_rate=1.0)
        half = Treatment("AEO-C", random_check_kept=0.5)
        channels = {True: 0, False: 0}
        with session_scope() as session:
            for declaration_id in range(10_000_000, 10_000_200):
                for aeo in (True, False):
                    selection = risk.select_channel(
                        session, declaration_id + aeo * 1000, body, aeo=half if aeo else None
                    )
                    channels[aeo] += selection.decision.channel == "yellow"
            session.rollback()
        assert channels[False] == 200
        assert 70 < channels[True] < 130


def test_selectivity_takes_milliseconds(officer: Principal) -> None:
    for n in range(30):
        profile(officer, [{"field": "hs", "op": "prefix", "value": f"{n + 10:02d}"}])
    body = DeclarationIn.model_validate(declaration())
    with session_scope() as session:
        start = time.perf_counter()
        for declaration_id in range(20_000_000, 20_000_100):
            risk.select_channel(session, declaration_id, body)
        per_declaration = (time.perf_counter() - start) / 100
        session.rollback()
    print(f"selectivity: {per_declaration * 1000:.2f} ms per declaration")
    assert per_declaration < 0.05


def test_backtest_counts_hits_over_lodged_declarations(
    officer: Principal, trader: Principal
) -> None:
    start = utcnow()
    exporter = "CN" + uuid.uuid4().hex[:10].upper()
    hit = lodge(trader, declaration(exporter={"identifier": exporter}))
    lodge(trader, declaration())
    conditions = [{"field": "exporter", "op": "eq", "value": exporter}]
    with session_scope() as session:
        figures = risk.backtest(session, conditions, start, utcnow() + timedelta(seconds=1))
    assert figures["declarations"] == 2
    assert figures["hits"] == 1
    assert figures["examples"] == [hit["id"]]
