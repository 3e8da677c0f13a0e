"""Permits as traders, agencies and customs use them: procedures as data, the queue, the release
condition, draw-down, and who sees what."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from onewindow import events
from onewindow.audit import AuditEntry
from onewindow.cli import app as cli
from onewindow.db import is_postgres, session_scope
from onewindow.declarations.models import Declaration
from onewindow.events import OutboxEvent
from onewindow.payments.models import PaymentRequest
from onewindow.permits import service as permits
from onewindow.permits.models import Drawdown, Permit, Wait
from onewindow.permits.service import register_consumers
from onewindow.release import open_conditions
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration
from tests.permits import deliver, load, procedure, rules
from tests.portal import log_in

API = "/api/v1/permits"


@pytest.fixture()
def agency() -> Party:
    return make_party(("permit-agency",), user_role="staff")


def _apply(client: TestClient, party: Party, code: str, **body: Any) -> dict[str, Any]:
    made = client.post(f"{API}/applications", json={"procedure": code, **body}, headers=party.auth)
    assert made.status_code == 201, made.text
    return made.json()


def _step(client: TestClient, who: Party, application: dict[str, Any], step: str) -> dict[str, Any]:
    done = client.post(
        f"{API}/applications/{application['id']}/steps/{step}", json={}, headers=who.auth
    )
    assert done.status_code == 200, done.text
    return done.json()


def _approve(
    client: TestClient, agency: Party, application: dict[str, Any], **limits: Any
) -> dict[str, Any]:
    decided = client.post(
        f"{API}/applications/{application['id']}/decision",
        json={"decision": "approve", "reason": "meets the conditions", **limits},
        headers=agency.auth,
    )
    assert decided.status_code == 200, decided.text
    return decided.json()


def _lodge(client: TestClient, party: Party, code: str, **item: Any) -> dict[str, Any]:
    body = declaration()
    body["items"][0].update({"commodity_code": code, **item})
    lodged = client.post("/api/v1/declarations", json=body, headers=party.auth)
    assert lodged.status_code == 201, lodged.text
    return lodged.json()


def _pay(client: TestClient, party: Party, declaration_id: int) -> None:
    requests = client.get("/api/v1/payment-requests", headers=party.auth).json()
    request = next(r for r in requests if r["declaration_id"] == declaration_id)
    paid = client.post(
        f"/api/v1/payment-requests/{request['id']}/pay", json={"method": "bank"}, headers=party.auth
    )
    assert paid.status_code in (200, 201, 202), paid.text
    deliver()


def _pay_fee(client: TestClient, party: Party, application: dict[str, Any]) -> dict[str, Any]:
    """Pay the application's fee through the payments API, as duties are paid."""
    path = f"{API}/applications/{application['id']}"
    fee = client.get(path, headers=party.auth).json()["fee_request"]
    assert fee and fee["status"] == "open", fee
    paid = client.post(
        f"/api/v1/payment-requests/{fee['payment_request_id']}/pay",
        json={"method": "bank"},
        headers=party.auth,
    )
    assert paid.status_code == 202, paid.text
    deliver()
    return dict(client.get(path, headers=party.auth).json())


def _status(client: TestClient, party: Party, declaration_id: int) -> str:
    seen = client.get(f"/api/v1/declarations/{declaration_id}", headers=party.auth)
    return str(seen.json()["status"])


class TestProcedureAsData:
    def test_a_new_procedure_is_loaded_applied_for_and_decided_from_data_alone(
        self, client: TestClient, party: Party, agency: Party, tmp_path: Path
    ) -> None:
        body = procedure(agency.identifier)
        (tmp_path / "new.json").write_text(json.dumps(body))
        loaded = CliRunner().invoke(cli, ["permits", "load", str(tmp_path)])
        assert loaded.exit_code == 0, loaded.output
        listed = client.get(f"{API}/procedures").json()
        assert body["code"] in [p["code"] for p in listed]

        refused = client.post(
            f"{API}/applications",
            json={"procedure": body["code"], "data": {"purpose": "barter"}},
            headers=party.auth,
        )
        assert refused.status_code == 422
        pointers = {e["pointer"] for e in refused.json()["errors"]}
        assert {"/data/commodity_code", "/data/origin", "/data/purpose"} <= pointers

        data = {"commodity_code": "0604202000", "origin": "CN", "purpose": "trade"}
        application = _apply(client, party, body["code"], data=data)
        assert application["status"] == "lodged"
        assert application["open_steps"] == ["review"]
        application = _step(client, agency, application, "review")
        assert application["open_steps"] == ["lab", "fee"], "two branches run in parallel"
        early = client.post(
            f"{API}/applications/{application['id']}/decision",
            json={"decision": "approve", "reason": "too early"},
            headers=agency.auth,
        )
        assert early.status_code == 409 and "lab" in early.json()["detail"]
        _step(client, agency, application, "lab")
        application = _pay_fee(client, party, application)
        assert application["open_steps"] == ["decision"], "the branches are joined again"
        decided = _approve(client, agency, application, quantity="500", unit="KGM")
        assert decided["status"] == "approved" and decided["permit"]
        assert all(s["hours"] is not None for s in decided["steps"] if s["state"] == "done")

        # A private applicant's application skips the laboratory test.
        private = _apply(client, party, body["code"], data={**data, "purpose": "private"})
        private = _step(client, agency, private, "review")
        assert private["open_steps"] == ["fee"]

        # A new version changes nothing of what was lodged under the old one.
        newer = {**body, "version": 2, "name": body["name"] + " (revised)"}
        newer["steps"] = [{"id": "review", "kind": "review"}]
        put = client.put(
            f"{API}/procedures", json=newer, headers=make_party(("administrator",)).auth
        )
        assert put.status_code == 200, put.text
        again = client.get(f"{API}/applications/{private['id']}", headers=party.auth).json()
        assert again["procedure_version"] == 1 and again["open_steps"] == ["fee"]
        same_version = {**newer, "name": "changed"}
        clash = client.put(
            f"{API}/procedures", json=same_version, headers=make_party(("administrator",)).auth
        )
        assert clash.status_code == 422

    def test_a_procedure_that_is_not_one_is_refused_with_every_problem(
        self, client: TestClient, administrator: Party, agency: Party
    ) -> None:
        body = procedure(agency.identifier)
        body["steps"][1]["after"] = ["nowhere"]
        body["form"]["fields"][0]["type"] = "colour"
        refused = client.put(f"{API}/procedures", json=body, headers=administrator.auth)
        assert refused.status_code == 422
        pointers = {e["pointer"] for e in refused.json()["errors"]}
        assert {"/steps/1/after", "/form/fields/0/type"} <= pointers


class TestRelease:
    def test_a_declaration_waits_for_its_permit_and_is_released_when_granted(
        self, client: TestClient, party: Party, agency: Party
    ) -> None:
        body = procedure(agency.identifier)
        load(body)
        rule = {"hs": "06042020", "flows": ["import"], "countries": ["CN"]}
        with rules(body, rule):
            lodged = _lodge(client, party, "0604202000")
            _pay(client, party, lodged["id"])
            assert _status(client, party, lodged["id"]) == "paid"
            refused = client.post(
                f"/api/v1/declarations/{lodged['id']}/release",
                json={"reason": "try"},
                headers=make_party(("customs-office",), user_role="staff").auth,
            )
            assert refused.status_code == 409
            assert f"needs a {body['name']}" in refused.json()["detail"]
            assert "none is cited" in refused.json()["detail"]

            needs = client.get(f"{API}/declarations/{lodged['id']}/needs", headers=party.auth)
            assert [n["procedure"] for n in needs.json()] == [body["code"]]
            assert needs.json()[0]["prefilled"]["commodity_code"] == "0604202000"

            generated = client.post(
                f"{API}/declarations/{lodged['id']}/applications", headers=party.auth
            ).json()
            assert generated["applications"] == [], "purpose is not on the declaration"
            assert generated["not_lodged"][0]["problems"][0]["pointer"] == "/data/purpose"
            application = _apply(
                client,
                party,
                body["code"],
                declaration_id=lodged["id"],
                item=1,
                data={"purpose": "private", "origin": "XX"},
            )
            assert application["data"]["origin"] == "CN", "taken from the declaration"
            assert application["data"]["quantity"] == "400"
            assert set(application["from_declaration"]) >= {"commodity_code", "origin"}
            _step(client, agency, application, "review")
            _pay_fee(client, party, application)
            deliver()
            assert _status(client, party, lodged["id"]) == "paid"
            _approve(client, agency, application)
            deliver()
            assert _status(client, party, lodged["id"]) == "released"

    def test_an_application_lodged_inside_the_declaration_releases_it_once_granted(
        self, client: TestClient, party: Party, agency: Party
    ) -> None:
        steps = [{"id": "review", "kind": "review"}, {"id": "decision", "kind": "decision"}]
        steps[1]["after"] = ["review"]
        body = procedure(agency.identifier, steps=steps)
        load(body)
        with rules(body, {"hs": "06042020", "flows": ["import"], "countries": ["CN"]}):
            lodging = declaration()
            lodging["items"][0]["commodity_code"] = "0604202000"

            def lodge(fields: dict[str, Any], items: list[int]) -> Any:
                asked = [{"procedure": body["code"], "items": items, "fields": fields}]
                return client.post(
                    "/api/v1/declarations",
                    json={**lodging, "permit_applications": asked},
                    headers=party.auth,
                )

            def stored() -> int:
                with session_scope() as session:
                    return len(
                        session.scalars(
                            select(Declaration.id).where(
                                Declaration.declarant_reference == lodging["declarant_reference"]
                            )
                        ).all()
                    )

            refused = lodge({"origin": "XX"}, [1, 7])
            assert refused.status_code == 422, refused.text
            pointers = {e["pointer"]: e["detail"] for e in refused.json()["errors"]}
            assert set(pointers) == {
                "/permit_applications/0/fields/purpose",
                "/permit_applications/0/fields/origin",
                "/permit_applications/0/items/1",
            }, pointers
            assert pointers["/permit_applications/0/fields/origin"] == "comes from the declaration"
            assert stored() == 0, "nothing is lodged when an application is wrong"

            lodged = lodge({"purpose": "private"}, [1])
            assert lodged.status_code == 201, lodged.text
            declaration_id = lodged.json()["id"]
            again = lodge({"purpose": "private"}, [1])
            assert again.status_code == 200 and again.json()["id"] == declaration_id
            mine = [
                a
                for a in client.get(f"{API}/applications", headers=party.auth).json()
                if a["declaration_id"] == declaration_id
            ]
            assert len(mine) == 1, "a retry lodges the application once"
            application = mine[0]
            assert application["item"] == 1 and application["data"]["origin"] == "CN"
            assert application["data"]["commodity_code"] == "0604202000"
            assert {"commodity_code", "origin", "quantity"} <= set(application["from_declaration"])
            assert stored() == 1

            _pay(client, party, declaration_id)
            assert _status(client, party, declaration_id) == "paid", "held for the permit"
            _step(client, agency, application, "review")
            _approve(client, agency, application)
            deliver()
            assert _status(client, party, declaration_id) == "released"

    def test_a_cited_permit_is_checked_and_drawn_down_once_on_release(
        self, client: TestClient, party: Party, agency: Party
    ) -> None:
        body = procedure(agency.identifier)
        load(body)
        with rules(body, {"hs_from": "120910", "hs_to": "120910", "flows": ["import"]}):
            application = _apply(
                client,
                party,
                body["code"],
                data={"commodity_code": "1209100000", "origin": "CN", "purpose": "private"},
            )
            _step(client, agency, application, "review")
            _pay_fee(client, party, application)
            permit = _approve(client, agency, application, quantity="500", unit="KGM")["permit"]

            def cite(number: str) -> list[dict[str, str]]:
                return [{"type": body["document_type"], "reference": number}]

            stranger = make_party()
            theirs = _lodge(client, stranger, "1209100000", documents=cite(permit))
            _pay(client, stranger, theirs["id"])
            assert _status(client, stranger, theirs["id"]) == "paid", "held by another company"

            unknown = _lodge(client, party, "1209100000", documents=cite("NO-SUCH-PERMIT"))
            _pay(client, party, unknown["id"])
            assert _status(client, party, unknown["id"]) == "paid"

            first = _lodge(client, party, "1209100000", documents=cite(permit))
            # The balance is drawn down in the release's own transaction, not after it: two
            # releases at once cannot both spend it (the event is only a net).
            events.unsubscribe("permits.drawdown")
            try:
                _pay(client, party, first["id"])
            finally:
                register_consumers()
            assert _status(client, party, first["id"]) == "released"
            with session_scope() as session:
                assert session.scalar(
                    select(Drawdown.id).where(Drawdown.declaration_id == first["id"])
                ), "drawn down as it was released"
            deliver()
            again = _lodge(client, party, "1209100000", documents=cite(permit))
            _pay(client, party, again["id"])
            assert _status(client, party, again["id"]) == "paid", "400 of 500 kg are used"
            with session_scope() as session:
                row = session.scalar(select(Permit).where(Permit.number == permit))
                assert row is not None
                from onewindow.permits.checks import draw_down

                assert draw_down(session, first["id"]) == 0, "drawn down once"
                drawn = session.scalars(select(Drawdown).where(Drawdown.permit_id == row.id)).all()
                assert [(d.declaration_id, str(d.quantity)) for d in drawn] == [
                    (first["id"], "400.000")
                ]
            seen = client.get(f"{API}/issued/{row.id}", headers=party.auth).json()
            assert seen["quantity_left"] in ("100.000", "100")

            # The agency corrects the permit: the declaration that waited is released.
            corrected = client.post(
                f"{API}/issued/{row.id}/correction",
                json={"reason": "second consignment allowed", "quantity": "1000"},
                headers=agency.auth,
            )
            assert corrected.status_code == 200, corrected.text
            deliver()
            assert _status(client, party, again["id"]) == "released"
            deliver()
            seen = client.get(f"{API}/issued/{row.id}", headers=party.auth).json()
            assert seen["quantity_left"] in ("200.000", "200")

    def test_a_page_of_a_held_declaration_writes_nothing_and_locks_no_permit(
        self, client: TestClient, party: Party, agency: Party
    ) -> None:
        body = procedure(agency.identifier)
        load(body)
        with rules(body, {"hs_from": "120910", "hs_to": "120910", "flows": ["import"]}):
            application = _apply(
                client,
                party,
                body["code"],
                data={"commodity_code": "1209100000", "origin": "CN", "purpose": "private"},
            )
            _step(client, agency, application, "review")
            _pay_fee(client, party, application)
            permit = _approve(client, agency, application, quantity="100", unit="KGM")["permit"]
            cited = [{"type": body["document_type"], "reference": permit}]
            held = _lodge(client, party, "1209100000", documents=cited)
            _pay(client, party, held["id"])
            assert _status(client, party, held["id"]) == "paid", "400 kg asked, 100 allowed"

            def waits() -> list[tuple[int, str]]:
                with session_scope() as session:
                    return [
                        (w.declaration_id, w.reference)
                        for w in session.scalars(select(Wait).order_by(Wait.id))
                    ]

            noted = waits()
            assert (held["id"], permit) in noted, "the release path noted what it waits for"
            statements: list[str] = []

            def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
                statements.append(statement.upper())

            log_in(client, party)
            sqlalchemy_event.listen(Engine, "before_cursor_execute", seen)
            try:
                page = client.get(f"/declarations/{held['id']}")
            finally:
                sqlalchemy_event.remove(Engine, "before_cursor_execute", seen)
            assert page.status_code == 200
            assert f"permit {permit} has 100 KGM left" in page.text
            assert statements, "the page was rendered from the database"
            assert not [s for s in statements if "FOR UPDATE" in s]
            assert not [
                s
                for s in statements
                if s.lstrip().startswith(("INSERT", "UPDATE", "DELETE")) and "PERMIT" in s
            ]
            assert waits() == noted

            # While a page lists the conditions, another transaction may lock the permit at
            # once; the release path's check holds it.
            def locked_elsewhere(for_update: bool) -> bool:
                with session_scope() as page_session, session_scope() as other:
                    conditions = open_conditions(page_session, held["id"], for_update=for_update)
                    assert [c.domain for c in conditions] == ["permits"]
                    try:
                        other.execute(
                            select(Permit.id)
                            .where(Permit.number == permit)
                            .with_for_update(nowait=True)
                        ).all()
                    except OperationalError:
                        other.rollback()
                        return True
                    return False

            with session_scope() as session:
                postgres = is_postgres(session)
            if postgres:  # SQLite has no row locks: each transaction takes the whole file
                assert not locked_elsewhere(for_update=False)
                assert locked_elsewhere(for_update=True), "the release path locks the permit"

    def test_exemptions_let_goods_go_without_a_permit(
        self, client: TestClient, party: Party, agency: Party
    ) -> None:
        body = procedure(agency.identifier)
        load(body)
        rule = {
            "hs": "06042090",
            "flows": ["import"],
            "exemptions": {"below_quantity": {"value": "1000", "unit": "KGM"}},
        }
        with rules(body, rule):
            lodged = _lodge(client, party, "0604209000")
            _pay(client, party, lodged["id"])
            assert _status(client, party, lodged["id"]) == "released"


class TestFee:
    def test_the_fee_is_asked_of_payments_paid_like_duties_and_ends_its_step_once(
        self, client: TestClient, party: Party, agency: Party
    ) -> None:
        body = procedure(agency.identifier)
        load(body)
        data = {"commodity_code": "0604202000", "origin": "CN", "purpose": "private"}
        application = _apply(client, party, body["code"], data=data)
        assert application["fee_request"] is None, "asked when the fee step opens"
        application = _step(client, agency, application, "review")
        fee = application["fee_request"]
        assert (fee["amount"], fee["currency"], fee["status"]) == ("10.00", "GBP", "open")
        owed = client.get(
            f"/api/v1/payment-requests/{fee['payment_request_id']}", headers=party.auth
        )
        assert owed.status_code == 200
        assert owed.json()["organisation_id"] == party.org_id, "the applicant pays"
        assert owed.json()["declaration_id"] is None
        assert application["number"] in owed.json()["description"]
        assert [line["tax_type"] for line in owed.json()["lines"]] == ["permit_fee"]

        path = f"{API}/applications/{application['id']}/steps/fee"
        assert client.post(path, json={}, headers=party.auth).status_code == 403
        by_agency = client.post(path, json={}, headers=agency.auth)
        assert by_agency.status_code == 409 and "when the fee is paid" in by_agency.text

        application = _pay_fee(client, party, application)
        fee_step = next(s for s in application["steps"] if s["id"] == "fee")
        assert fee_step["state"] == "done" and fee_step["by"] == "payments"
        receipt = application["fee_request"]["receipt_number"]
        assert receipt and receipt in fee_step["note"]
        assert application["fee_request"]["status"] == "paid"
        assert application["open_steps"] == ["decision"], "the application goes on"
        seen = client.get(f"/api/v1/receipts/{receipt}", headers=party.auth)
        assert seen.status_code == 200 and seen.json()["amount"] in ("10.00", "10")

        again = client.post(
            f"/api/v1/payment-requests/{fee['payment_request_id']}/pay",
            json={"method": "bank"},
            headers=party.auth,
        )
        assert again.status_code == 409, again.text
        deliver()
        with session_scope() as session:
            paid = session.scalars(
                select(PaymentRequest).where(
                    PaymentRequest.subject_type == "permit_application",
                    PaymentRequest.subject_id == application["id"],
                )
            ).all()
            assert [(r.status, len(r.receipts)) for r in paid] == [("paid", 1)]
            settled = session.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.topic == "payment.settled",
                    OutboxEvent.subject_id == str(paid[0].id),
                )
            ).all()
            assert len(settled) == 1
            replay = events.Event(
                settled[0].id,
                settled[0].topic,
                settled[0].subject_type,
                settled[0].subject_id,
                settled[0].organisation_id,
                settled[0].payload,
                settled[0].occurred_at,
            )
            assert not permits.fee_paid(session, replay), "a redelivered event changes nothing"
            steps = session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "permits.fee_paid",
                    AuditEntry.subject_id == str(application["id"]),
                )
            ).all()
            assert len(steps) == 1
        decided = _approve(client, agency, application)
        assert decided["status"] == "approved"

    def test_a_refused_application_withdraws_its_open_fee(
        self, client: TestClient, party: Party, agency: Party
    ) -> None:
        body = procedure(agency.identifier)
        load(body)
        data = {"commodity_code": "0604202000", "origin": "CN", "purpose": "private"}
        application = _step(
            client, agency, _apply(client, party, body["code"], data=data), "review"
        )
        refused = client.post(
            f"{API}/applications/{application['id']}/decision",
            json={"decision": "reject", "reason": "no import licence"},
            headers=agency.auth,
        )
        assert refused.status_code == 200, refused.text
        assert refused.json()["fee_request"]["status"] == "cancelled"


class TestQueue:
    def test_the_agency_asks_the_trader_answers_the_agency_refuses_all_audited(
        self, client: TestClient, party: Party, agency: Party
    ) -> None:
        body = procedure(agency.identifier)
        load(body)
        data = {"commodity_code": "0604202000", "origin": "CN", "purpose": "private"}
        application = _apply(client, party, body["code"], data=data)
        queue = client.get(f"{API}/applications", headers=agency.auth).json()
        assert application["number"] in [a["number"] for a in queue]
        asked = client.post(
            f"{API}/applications/{application['id']}/questions",
            json={"text": "Which nursery?"},
            headers=agency.auth,
        )
        assert asked.json()["status"] == "information_requested"
        answered = client.post(
            f"{API}/applications/{application['id']}/answers",
            json={"text": "Green Leaf Nursery", "data": {"purpose": "trade"}},
            headers=party.auth,
        )
        assert answered.status_code == 200, answered.text
        assert [m["kind"] for m in answered.json()["thread"]] == ["question", "answer"]
        assert (
            answered.json()["status"] == "lodged" and answered.json()["data"]["purpose"] == "trade"
        )
        rejected = client.post(
            f"{API}/applications/{application['id']}/decision",
            json={"decision": "reject", "reason": "nursery not registered"},
            headers=agency.auth,
        )
        assert rejected.json()["status"] == "rejected"
        final = client.post(
            f"{API}/applications/{application['id']}/decision",
            json={"decision": "approve", "reason": "changed my mind"},
            headers=agency.auth,
        )
        assert final.status_code == 409
        with session_scope() as session:
            actions = session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.subject_type == "permit_application",
                    AuditEntry.subject_id == str(application["id"]),
                )
                .order_by(AuditEntry.seq)
            ).all()
        assert list(actions) == [
            "permits.application_lodged",
            "permits.information_requested",
            "permits.answered",
            "permits.application_rejected",
        ]
        turnaround = client.get(f"{API}/turnaround", headers=agency.auth).json()
        assert turnaround[0]["decided"] == 1 and turnaround[0]["median_hours"] is not None

    def test_each_sees_only_its_own(
        self, client: TestClient, party: Party, other_party: Party, agency: Party
    ) -> None:
        body = procedure(agency.identifier)
        load(body)
        data = {"commodity_code": "0604202000", "origin": "CN", "purpose": "private"}
        application = _apply(client, party, body["code"], data=data)
        path = f"{API}/applications/{application['id']}"
        assert client.get(path, headers=other_party.auth).status_code == 404
        other_agency = make_party(("permit-agency",), user_role="staff")
        assert client.get(path, headers=other_agency.auth).status_code == 404
        assert client.get(path, headers=agency.auth).status_code == 200
        queue = client.get(f"{API}/applications", headers=other_agency.auth).json()
        assert application["number"] not in [a["number"] for a in queue]
        trader_decides = client.post(
            f"{path}/decision", json={"decision": "approve", "reason": "self"}, headers=party.auth
        )
        assert trader_decides.status_code == 403


class TestPublic:
    def test_what_do_i_need_answers_without_login(self, client: TestClient, agency: Party) -> None:
        body = procedure(agency.identifier, fee={"amount": "12.00", "currency": "GBP"})
        load(body)
        with rules(body, {"hs": "06042040", "flows": ["import"], "countries": ["KE"]}):
            answer = client.get(
                f"{API}/requirements", params={"hs": "0604204000", "country": "KE"}
            ).json()
            assert [n["procedure"] for n in answer["needs"]] == [body["code"]]
            assert answer["needs"][0]["fee"] == {"amount": "12.00", "currency": "GBP"}
            elsewhere = client.get(
                f"{API}/requirements", params={"hs": "0604204000", "country": "NL"}
            ).json()
            assert body["code"] not in [n["procedure"] for n in elsewhere["needs"]]
            page = client.get("/requirements", params={"hs": "0604204000", "country": "KE"})
            assert page.status_code == 200 and body["name"] in page.text
            listed = client.get("/requirements/procedures")
            assert listed.status_code == 200 and body["name"] in listed.text
            assert "HS 06042040, import, KE" in listed.text


class TestVerifiedOnce:
    def test_a_company_document_verified_once_serves_every_application_until_it_expires(
        self, client: TestClient, party: Party, agency: Party
    ) -> None:
        body = procedure(agency.identifier, company_documents=["premises_approval"])
        load(body)
        data = {"commodity_code": "0604202000", "origin": "CN", "purpose": "private"}
        refused = client.post(
            f"{API}/applications",
            json={"procedure": body["code"], "data": data},
            headers=party.auth,
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["pointer"] == "/company_documents"
        soon = (date.today() + timedelta(days=10)).isoformat()
        lodged = client.post(
            f"{API}/company-documents",
            json={
                "agency": body["agency"]["code"],
                "kind": "premises_approval",
                "reference": "PA-77",
                "valid_to": soon,
            },
            headers=party.auth,
        )
        assert lodged.status_code == 201, lodged.text
        document_id = lodged.json()["id"]
        verified = client.post(
            f"{API}/company-documents/{document_id}/verification",
            json={"accepted": True, "reason": "premises visited"},
            headers=agency.auth,
        )
        assert verified.json()["status"] == "verified"
        for _ in range(2):
            _apply(client, party, body["code"], data=data)
        # The worker looks for expiring documents by itself, and tells each company once.
        from onewindow import workers

        workers._last_run.pop("expiring-documents", None)
        workers.run_once(limit=0)
        with session_scope() as session:
            permits.announce_expiring(session, days=30)
            told = session.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.topic == "permits.company_document_expiring",
                    OutboxEvent.subject_id == str(document_id),
                )
            ).all()
        assert len(told) == 1 and told[0].organisation_id == party.org_id


class TestJointInspection:
    def test_an_agency_joins_and_customs_sees_each_agency_finding(
        self, client: TestClient, party: Party, agency: Party, customs: Party
    ) -> None:
        body = procedure(agency.identifier)
        load(body)
        lodged = _lodge(client, party, "0604202000")
        _apply(
            client,
            party,
            body["code"],
            declaration_id=lodged["id"],
            item=1,
            data={"purpose": "private"},
        )
        path = f"{API}/declarations/{lodged['id']}"
        stranger_agency = make_party(("permit-agency",), user_role="staff")
        assert (
            client.post(
                f"{path}/inspection", json={"role": "join"}, headers=stranger_agency.auth
            ).status_code
            == 404
        )
        joined = client.post(f"{path}/inspection", json={"role": "perform"}, headers=agency.auth)
        assert joined.status_code == 200, joined.text
        found = client.post(
            f"{path}/findings",
            json={"finding": "non_compliant", "notes": "soil on roots"},
            headers=agency.auth,
        )
        assert found.json()["finding"] == "non_compliant"
        seen = client.get(f"{path}/findings", headers=customs.auth).json()
        assert [(f["agency"], f["finding"], f["role"]) for f in seen] == [
            (body["agency"]["name"], "non_compliant", "perform")
        ]
        assert client.get(f"{path}/findings", headers=party.auth).status_code == 403
        assert client.get(f"{path}/findings", headers=stranger_agency.auth).status_code == 403


class TestJointInspectionPage:
    def test_one_inspection_page_for_customs_and_the_agencies_taking_part(
        self, client: TestClient, party: Party, agency: Party, customs: Party
    ) -> None:
        body = procedure(agency.identifier)
        load(body)
        other = procedure(make_party(("permit-agency",), user_role="staff").identifier)
        load(other)
        lodged = _lodge(client, party, "0604202000")
        _apply(
            client,
            party,
            body["code"],
            declaration_id=lodged["id"],
            item=1,
            data={"purpose": "private"},
        )
        secret = f"tip-off {uuid.uuid4().hex[:8]}"
        held = client.post(
            f"/api/v1/declarations/{lodged['id']}/holds",
            json={"kind": "physical-inspection", "reason": secret},
            headers=customs.auth,
        )
        assert held.status_code == 201, held.text
        joined = client.post(
            f"{API}/declarations/{lodged['id']}/inspection",
            json={"role": "join"},
            headers=agency.auth,
        )
        assert joined.status_code == 200, joined.text

        token = log_in(client, customs)
        page = client.get("/risk/inspections")
        assert page.status_code == 200 and secret in page.text
        assert body["agency"]["name"] in page.text and "Asked to join customs" in page.text
        invited = client.post(
            f"/permits/declarations/{lodged['id']}/invite",
            data={"csrf_token": token, "agency": other["agency"]["code"]},
            follow_redirects=True,
        )
        assert "The agency is asked into the inspection." in invited.text
        assert other["agency"]["name"] in invited.text and "Asked in by customs" in invited.text

        token = log_in(client, agency)
        mine = client.get("/risk/inspections")
        assert mine.status_code == 200
        assert lodged["number"] in mine.text and other["agency"]["name"] in mine.text
        assert secret not in mine.text, "an agency never sees risk reasons"
        recorded = client.post(
            f"/permits/declarations/{lodged['id']}/findings",
            data={"csrf_token": token, "finding": "non_compliant", "notes": "soil on the roots"},
            follow_redirects=True,
        )
        assert recorded.url.path == "/risk/inspections"
        assert "Your finding is recorded." in recorded.text

        bystander = make_party(("permit-agency",), user_role="staff")
        log_in(client, bystander)
        theirs = client.get("/risk/inspections")
        assert theirs.status_code == 200 and lodged["number"] not in theirs.text
        assert "Your agency takes part in no inspection yet." in theirs.text
        log_in(client, party)
        assert client.get("/risk/inspections").status_code == 404, "not a trader's page"

        log_in(client, customs)
        page = client.get("/risk/inspections")
        assert "Not compliant: soil on the roots" in page.text


class TestCertificateOfOrigin:
    def test_a_certificate_is_issued_with_its_criterion_and_verified_by_anyone(
        self, client: TestClient, party: Party, agency: Party
    ) -> None:
        body = procedure(
            agency.identifier,
            outcome="certificate",
            certificate_fields=["commodity_code", "origin", "criterion"],
            steps=[{"id": "review", "kind": "review"}],
        )
        body["form"]["fields"].append(
            {
                "name": "criterion",
                "type": "code",
                "required": True,
                "codes": {"WO": "Wholly obtained", "CTH": "Change of tariff heading"},
            }
        )
        load(body)
        data = {
            "commodity_code": "6109100010",
            "origin": "GB",
            "purpose": "trade",
            "criterion": "CTH",
        }
        application = _apply(client, party, body["code"], data=data)
        _step(client, agency, application, "review")
        _approve(client, agency, application)
        issued = client.get(f"{API}/issued", headers=party.auth).json()
        certificate = next(c for c in issued if c["procedure"] == body["code"])
        assert certificate["kind"] == "certificate"
        answer = client.get(
            f"{API}/verification", params={"code": certificate["verification_code"]}
        ).json()
        assert answer["found"] and answer["certificate"]["valid"]
        assert answer["certificate"]["details"]["criterion"] == "CTH"
        assert answer["certificate"]["holder"] == party.name
        assert client.get(f"{API}/verification", params={"code": "forged"}).json() == {
            "found": False,
            "certificate": None,
        }
