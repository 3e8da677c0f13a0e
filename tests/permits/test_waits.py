"""How long releases waited for permits (the Time Release Study's door into permits): a permit
granted after acceptance is a wait from acceptance to the grant; a permit held before is none."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from onewindow.config import get_settings
from onewindow.db import session_scope, simulated_clock
from onewindow.declarations import service as declarations
from onewindow.parties import service as parties
from onewindow.permits import service as permits
from onewindow.permits.schemas import DecisionIn
from onewindow.statistics import export, store
from onewindow.statistics import service as statistics
from tests.conftest import Party, make_party
from tests.permits import deliver, load, procedure, rules
from tests.permits.test_permits import _apply, _lodge, _pay, _pay_fee, _status, _step

WAIT = timedelta(hours=5, minutes=30)


@pytest.fixture()
def agency() -> Party:
    return make_party(("permit-agency",), user_role="staff")


def waited_for_a_permit(client: TestClient, party: Party, agency: Party) -> tuple[int, str]:
    """A declaration accepted, paid, then released when its permit is granted 5 h 30 min after
    acceptance (the grant and the release on the simulated clock); (its id, the agency)."""
    body = procedure(agency.identifier)
    load(body)
    rule = {"hs": "06042020", "flows": ["import"], "countries": ["CN"]}
    with rules(body, rule):
        lodged = _lodge(client, party, "0604202000")
        _pay(client, party, lodged["id"])
        application = _apply(
            client,
            party,
            body["code"],
            declaration_id=lodged["id"],
            item=1,
            data={"purpose": "private"},
        )
        _step(client, agency, application, "review")
        _pay_fee(client, party, application)
        deliver()
        with session_scope() as session:
            accepted = declarations.acceptance_times(session, [lodged["id"]])[lodged["id"]]
            user = parties.find_user(session, agency.email)
            assert user is not None
            officer = parties.principal_for_user(user, "test")
            with simulated_clock(accepted + WAIT):
                permits.decide(
                    session,
                    officer,
                    application["id"],
                    DecisionIn(decision="approve", reason="meets the conditions"),
                )
        with simulated_clock(accepted + WAIT):
            deliver()
        assert _status(client, party, lodged["id"]) == "released"
    return int(lodged["id"]), str(body["agency"]["name"])


def test_a_release_waits_from_acceptance_to_the_grant(
    client: TestClient, party: Party, agency: Party
) -> None:
    declaration_id, agency_name = waited_for_a_permit(client, party, agency)
    other = _lodge(client, party, "0901110000")  # needs no permit
    with session_scope() as session:
        waits = permits.release_waits(session, [declaration_id, other["id"]])
    assert list(waits) == [declaration_id]
    (wait,) = waits[declaration_id]
    assert wait.agency == agency_name
    assert wait.hours == 5.5


def test_the_export_counts_the_wait_under_its_agency(
    client: TestClient,
    party: Party,
    agency: Party,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    declaration_id, agency_name = waited_for_a_permit(client, party, agency)
    export.export(session_scope, tmp_path, full=True)
    con = store.connect()
    store.create_views(con, tmp_path)
    rows: list[Any] = con.execute(
        "SELECT agency, hours FROM permit_waits WHERE declaration_id = ?", [declaration_id]
    ).fetchall()
    assert rows == [(agency_name, 5.5)]
    permit_hours = con.execute(
        "SELECT permit_hours, month FROM declarations WHERE declaration_id = ?", [declaration_id]
    ).fetchone()
    assert permit_hours is not None and permit_hours[0] == 5.5
    month = str(permit_hours[1])
    monkeypatch.setattr(get_settings(), "statistics_min_traders", 1)
    by_agency = {
        r.group: r.values for r in statistics.trs_table("agency", month, month, tmp_path).rows
    }
    assert by_agency[agency_name]["consignments"] == 1
    assert by_agency[agency_name]["permits_median"] == pytest.approx(5.5, rel=1 / 128)
    said = statistics.bottlenecks(month, month, tmp_path)
    assert f"Permits from {agency_name} add a median of 5.5 h" in " ".join(said)
