"""Every button of the cargo pages goes through the cargo door, for every role.

A refused action changes nothing; the matrix lists who may press each button. A new cargo page
action without a row fails ``test_every_cargo_action_is_in_the_matrix``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from onewindow.cargo import pages as cargo_pages
from onewindow.cargo import service as cargo
from onewindow.cargo.models import Call, EntrySummary, Manifest, TerminalEvent
from onewindow.cargo.schemas import CallIn
from onewindow.db import session_scope, utcnow
from onewindow.parties import service as parties
from tests.cargo import call_body, container, imo, manifest_body
from tests.conftest import Party, make_party
from tests.portal import log_in

DONE, REFUSED = "done", "refused"
ROLES = {
    "carrier": ("carrier",),
    "port": ("port-authority",),
    "terminal": ("terminal-operator",),
    "customs": ("customs-office",),
    "trader": ("trader",),
}


@functools.cache
def _owner() -> Party:
    """The carrier whose calls the buttons act on."""
    return make_party(("carrier",))


def _call(arrived: bool = False) -> int:
    with session_scope() as session:
        user = parties.find_user(session, _owner().email)
        assert user is not None
        principal = parties.principal_for_user(user, "test")
        call = cargo.register_call(session, principal, CallIn.model_validate(call_body(imo())))
        if arrived:
            cargo.record_arrival(session, principal, call.id)
        return call.id


def _summary() -> int:
    """An entry summary that asks for a control (a red cargo profile on its route)."""
    with session_scope() as session:
        row = EntrySummary(
            carrier_id=_owner().org_id,
            lrn=f"MATRIX-{container()}",
            digest="0" * 64,
            accepted=True,
            errors=[],
            summary={},
            decision="do_not_load",
            reasons=[],
            lodged_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return row.id


def _call_status(call_id: int) -> Any:
    with session_scope() as session:
        call = session.get(Call, call_id)
        assert call is not None
        return (call.status, call.arrived_at is None, call.cleared_at is None)


def _count(model: Any, **where: Any) -> Callable[[], Any]:
    def state() -> Any:
        with session_scope() as session:
            query = select(func.count()).select_from(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return session.scalar(query)

    return state


# action: (how to build it: path, form, files, state before/after) and who may press it
Action = Callable[[Party], tuple[str, dict[str, str], dict[str, Any] | None, Callable[[], Any]]]


def _announce(who: Party) -> tuple[str, dict[str, str], None, Callable[[], Any]]:
    vessel = imo()
    body = call_body(vessel)
    form = {k: str(v) for k, v in body.items()} | {"eta": body["eta"][:16]}
    return "/cargo/calls", form, None, _count(Call, transport_id=vessel)


def _arrival(who: Party) -> tuple[str, dict[str, str], None, Callable[[], Any]]:
    call_id = _call()
    return f"/cargo/calls/{call_id}/arrival", {}, None, lambda: _call_status(call_id)


def _clearance(who: Party) -> tuple[str, dict[str, str], None, Callable[[], Any]]:
    call_id = _call(arrived=True)
    form = {"reason": "nothing aboard", "confirm": "yes"}
    return f"/cargo/calls/{call_id}/clearance", form, None, lambda: _call_status(call_id)


def _event(who: Party) -> tuple[str, dict[str, str], None, Callable[[], Any]]:
    box = container()
    form = {"kind": "discharged", "subject": box, "occurred_at": "2026-01-02T03:04"}
    return "/cargo/events", form, None, _count(TerminalEvent, subject=box)


def _upload(who: Party) -> tuple[str, dict[str, str], dict[str, Any], Callable[[], Any]]:
    import json

    body = manifest_body(imo())
    files = {"file": ("manifest.json", json.dumps(body).encode(), "application/json")}
    return (
        "/cargo/upload",
        {"kind": "manifest"},
        files,
        _count(Manifest, reference=body["reference"]),
    )


def _resolve(who: Party) -> tuple[str, dict[str, str], None, Callable[[], Any]]:
    summary_id = _summary()

    def state() -> Any:
        with session_scope() as session:
            row = session.get(EntrySummary, summary_id)
            assert row is not None
            return row.resolved_at is None

    return f"/cargo/entry-summaries/{summary_id}/resolve", {"resolution": "seen"}, None, state


ACTIONS: dict[str, Action] = {
    "/cargo/calls": _announce,
    "/cargo/calls/{call_id}/{step}": _arrival,
    "clearance": _clearance,
    "/cargo/events": _event,
    "/cargo/upload": _upload,
    "/cargo/entry-summaries/{summary_id}/resolve": _resolve,
}

MATRIX: dict[str, dict[str, str]] = {
    "/cargo/calls": {
        "carrier": DONE, "port": DONE, "terminal": REFUSED, "customs": REFUSED, "trader": REFUSED,
    },
    # Another carrier's call: not this carrier's to touch.
    "/cargo/calls/{call_id}/{step}": {
        "carrier": REFUSED, "port": DONE, "terminal": REFUSED, "customs": REFUSED,
        "trader": REFUSED,
    },
    "clearance": {
        "carrier": REFUSED, "port": DONE, "terminal": REFUSED, "customs": REFUSED,
        "trader": REFUSED,
    },
    "/cargo/events": {
        "carrier": REFUSED, "port": REFUSED, "terminal": DONE, "customs": REFUSED,
        "trader": REFUSED,
    },
    "/cargo/upload": {
        "carrier": DONE, "port": REFUSED, "terminal": REFUSED, "customs": REFUSED,
        "trader": REFUSED,
    },
    "/cargo/entry-summaries/{summary_id}/resolve": {
        "carrier": REFUSED, "port": REFUSED, "terminal": REFUSED, "customs": DONE,
        "trader": REFUSED,
    },
}  # fmt: skip


def test_every_cargo_action_is_in_the_matrix() -> None:
    # The pages router's own routes: the app wraps the routers it includes.
    posts = {
        route.path  # type: ignore[attr-defined]
        for route in cargo_pages.router.routes
        if "POST" in (getattr(route, "methods", None) or set())
    }
    assert posts, "the cargo pages have actions"
    # "clearance" is a second row for the call's steps (its own form, with a confirmation).
    assert posts <= set(MATRIX), f"add these cargo page actions: {sorted(posts - set(MATRIX))}"


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_a_cargo_button_does_what_the_door_allows(
    client: TestClient, action: str, role: str
) -> None:
    who = make_party(ROLES[role], user_role="staff" if role == "customs" else "admin")
    token = log_in(client, who)
    path, form, files, state = ACTIONS[action](who)
    if role == "port" and action == "/cargo/calls":
        form["carrier"] = _owner().identifier
    before = state()
    answer = client.post(path, data={**form, "csrf_token": token}, files=files)
    assert answer.status_code < 500, answer.text
    changed = state() != before
    expected = MATRIX[action][role]
    assert changed == (expected == DONE), f"{action} as {role}: {answer.text[-600:]}"


def test_a_clearance_without_its_confirmation_changes_nothing(client: TestClient) -> None:
    port = make_party(("port-authority",))
    token = log_in(client, port)
    call_id = _call(arrived=True)
    before = _call_status(call_id)
    answer = client.post(
        f"/cargo/calls/{call_id}/clearance", data={"reason": "ok", "csrf_token": token}
    )
    assert answer.status_code == 200 and answer.url.path == f"/cargo/calls/{call_id}"
    assert "tick the box: a clearance cannot be undone" in answer.text
    assert _call_status(call_id) == before
