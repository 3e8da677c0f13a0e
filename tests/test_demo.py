"""The demo data: declarations in every state of their lifecycle, loaded once however often.

The tests share one database: only the demo organisations' ``DEMO-`` declarations are counted.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from onewindow.cli import app as cli
from onewindow.db import session_scope
from onewindow.declarations import service as declarations
from onewindow.declarations.models import Declaration
from onewindow.demo import (
    DEMO_DECLARATIONS,
    OFFICER_EMAIL,
    DemoDeclaration,
    demo_declaration_statuses,
    describe_counts,
    finish_demo_declarations,
    load_demo,
    load_demo_declarations,
)
from onewindow.parties import service as parties

EVERY_STATE = {
    "rejected",
    "accepted",
    "under_control",
    "awaiting_payment",
    "paid",
    "guaranteed",
    "released",
    "cancelled",
    "invalidated",
}


def _load_the_demo() -> dict[str, int]:
    """What ``onewindow init --demo`` does, unit of work by unit of work."""
    with session_scope() as session:
        load_demo(session)
    with session_scope() as session:
        load_demo_declarations(session)
    return finish_demo_declarations(session_scope)


def _declaration(session: Session, demo: DemoDeclaration) -> Declaration:
    """A demo declaration as the demo customs officer sees it."""
    officer = parties.find_user(session, OFFICER_EMAIL)
    lodger = parties.find_user(session, demo.lodged_by)
    assert officer is not None and lodger is not None
    principal = parties.principal_for_user(officer, "test")
    return next(
        d
        for d in declarations.list_declarations(session, principal, limit=10_000)
        if d.organisation_id == lodger.organisation_id and d.declarant_reference == demo.reference
    )


def _demo(shows: str, **having: object) -> DemoDeclaration:
    return next(
        d
        for d in DEMO_DECLARATIONS
        if d.shows == shows and all(getattr(d, k) == v for k, v in having.items())
    )


def test_the_demo_shows_every_state_and_a_second_run_adds_nothing() -> None:
    first = _load_the_demo()
    with session_scope() as session:
        statuses = demo_declaration_statuses(session)
    assert set(first) >= EVERY_STATE, describe_counts(first)
    assert sum(first.values()) == len(DEMO_DECLARATIONS) == len(statuses)
    for demo in DEMO_DECLARATIONS:
        assert statuses[(demo.lodged_by, demo.reference)] == demo.shows, demo

    again = _load_the_demo()
    with session_scope() as session:
        assert demo_declaration_statuses(session) == statuses
    assert again == first


def test_each_demo_declaration_tells_its_story() -> None:
    _load_the_demo()
    with session_scope() as session:
        for demo in DEMO_DECLARATIONS:
            declaration = _declaration(session, demo)
            steps = [s.to_status for s in declarations.timeline(session, declaration)]
            assert steps[0] == "lodged" and steps[-1] == demo.shows
            assert steps.count(demo.shows) == 1, steps
            if demo.shows == "rejected":
                assert declaration.errors and declaration.number is None
            else:
                assert declaration.number and not declaration.errors

        rejected = _declaration(session, _demo("rejected", lodged_by="trader@onewindow.example"))
        assert len(rejected.errors) >= 3
        # The invoice total that disagrees with the items is a warning under the national rule
        # set, not a refusal; the unknown mode of transport is refused.
        assert "/transport/mode" in {e["pointer"] for e in rejected.errors}

        by_bank = _declaration(session, _demo("released", pay="bank", hold=None))
        steps = [s.to_status for s in declarations.timeline(session, by_bank)]
        assert steps[-3:] == ["awaiting_payment", "paid", "released"]

        by_deferment = _declaration(session, _demo("released", pay="deferment"))
        steps = [s.to_status for s in declarations.timeline(session, by_deferment)]
        assert steps[-3:] == ["awaiting_payment", "guaranteed", "released"]

        inspected = next(
            _declaration(session, d)
            for d in DEMO_DECLARATIONS
            if d.shows == "released" and d.lift_after_payment
        )
        lifted = [h for h in inspected.holds if h.kind == "physical-inspection"]
        assert lifted and all(h.lifted_at for h in lifted)
        assert all((h.lift_reason or "").startswith("Inspection result") for h in lifted)
        assert not declarations.open_holds(inspected)

        for shows, kind in (
            ("paid", "physical-inspection"),
            ("guaranteed", "documentary-check"),
            ("under_control", "physical-inspection"),
        ):
            held = _declaration(session, _demo(shows))
            assert kind in {h.kind for h in declarations.open_holds(held)}, shows

        unassessed = _declaration(session, _demo("accepted"))
        assert [h.kind for h in declarations.open_holds(unassessed)] == ["assessment"]
        assert declarations.latest_assessment(session, unassessed) is None


def test_init_with_the_demo_twice_gives_the_same_counts() -> None:
    runner = CliRunner()
    summaries = []
    for _ in range(2):
        result = runner.invoke(cli, ["init", "--demo", "--skip-locations"])
        assert result.exit_code == 0, result.output
        lines = [line for line in result.output.splitlines() if "demo declarations:" in line]
        assert len(lines) == 1, result.output
        summaries.append(lines[0])
    assert summaries[0] == summaries[1]
    assert "rejected" in summaries[0] and "invalidated" in summaries[0]
