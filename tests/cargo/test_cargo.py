"""Cargo control as carriers, terminals, port authorities, declarants and customs use it."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from onewindow import cli
from onewindow.config import get_settings
from onewindow.db import session_scope, utcnow
from onewindow.events import deliver_pending
from tests.cargo import call_body, container, document_number, imo, manifest_body
from tests.conftest import Party, make_party
from tests.declarations.factory import declaration

API = "/api/v1/cargo"


def _deliver() -> None:
    for _ in range(10):
        with session_scope() as session:
            if not deliver_pending(session, limit=500):
                return


@pytest.fixture()
def carrier() -> Party:
    return make_party(("carrier",))


@pytest.fixture()
def terminal() -> Party:
    return make_party(("terminal-operator",))


@pytest.fixture()
def port() -> Party:
    return make_party(("port-authority",))


def _call(client: TestClient, carrier: Party, transport_id: str, **changes: Any) -> dict[str, Any]:
    made = client.post(
        f"{API}/calls", json=call_body(transport_id, **changes), headers=carrier.auth
    )
    assert made.status_code == 201, made.text
    return made.json()


def _manifest(client: TestClient, carrier: Party, body: dict[str, Any]) -> dict[str, Any]:
    made = client.post(f"{API}/manifests", json=body, headers=carrier.auth)
    assert made.status_code in (200, 201), made.text
    return made.json()


class TestCalls:
    def test_a_wrong_imo_number_is_refused_with_its_field(
        self, client: TestClient, carrier: Party
    ) -> None:
        body = call_body("9321484")
        refused = client.post(f"{API}/calls", json=body, headers=carrier.auth)
        assert refused.status_code == 422
        errors = {e["pointer"]: e["detail"] for e in refused.json()["errors"]}
        assert errors["/transport_id"] == "the check digit should be 3, not 4"

    def test_the_port_authority_registers_for_a_carrier_and_clears_departure(
        self, client: TestClient, carrier: Party, port: Party, terminal: Party
    ) -> None:
        vessel = imo()
        body = call_body(vessel, carrier=carrier.identifier)
        call = client.post(f"{API}/calls", json=body, headers=port.auth).json()
        manifest = manifest_body(vessel)
        _manifest(client, carrier, manifest)
        box = manifest["documents"][0]["containers"][0]["number"]
        early = client.post(
            f"{API}/calls/{call['id']}/departure-clearance",
            json={"reason": "done"},
            headers=port.auth,
        )
        assert early.status_code == 409
        arrived = client.post(f"{API}/calls/{call['id']}/arrival", json={}, headers=port.auth)
        assert arrived.json()["status"] == "arrived"
        refused = client.post(
            f"{API}/calls/{call['id']}/departure-clearance",
            json={"reason": "done"},
            headers=port.auth,
        )
        assert refused.status_code == 409
        assert box in refused.json()["detail"], "the container still aboard is named"
        event = {"kind": "discharged", "container": box, "occurred_at": utcnow().isoformat()}
        assert client.post(f"{API}/terminal-events", json=event, headers=terminal.auth).is_success
        cleared = client.post(
            f"{API}/calls/{call['id']}/departure-clearance",
            json={"reason": "all discharged"},
            headers=port.auth,
        )
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["status"] == "cleared"
        by_carrier = client.post(
            f"{API}/calls/{call['id']}/departure-clearance",
            json={"reason": "x"},
            headers=carrier.auth,
        )
        assert by_carrier.status_code == 403

    def test_a_terminal_cannot_announce_a_call(self, client: TestClient, terminal: Party) -> None:
        refused = client.post(f"{API}/calls", json=call_body(imo()), headers=terminal.auth)
        assert refused.status_code == 403


class TestManifests:
    def test_lodged_once_retried_and_amended_with_differences(
        self, client: TestClient, carrier: Party
    ) -> None:
        vessel = imo()
        _call(client, carrier, vessel)
        body = manifest_body(vessel)
        first = client.post(f"{API}/manifests", json=body, headers=carrier.auth)
        assert first.status_code == 201, first.text
        assert first.json()["call_id"] is not None and first.json()["late"] is False
        again = client.post(f"{API}/manifests", json=body, headers=carrier.auth)
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        body["documents"][0]["goods"][0]["packages"] = 31
        conflict = client.post(f"{API}/manifests", json=body, headers=carrier.auth)
        assert conflict.status_code == 409
        replaced = client.post(
            f"{API}/manifests", json={**body, "function": "replace"}, headers=carrier.auth
        )
        assert replaced.status_code == 200 and replaced.json()["version"] == 2
        versions = client.get(
            f"{API}/manifests/{first.json()['id']}/versions", headers=carrier.auth
        ).json()
        assert versions[1]["changes"] == [
            {"pointer": "/documents/0/goods/0/packages", "old": 30, "new": 31}
        ]

    def test_every_error_at_once_and_nothing_recorded(
        self, client: TestClient, carrier: Party
    ) -> None:
        body = manifest_body(imo())
        good = body["documents"][0]["containers"][0]["number"]
        bad = good[:10] + str((int(good[10]) + 1) % 10)
        body["documents"][0]["containers"][0]["number"] = bad
        body["port_of_discharge"] = "GBZZZ"
        refused = client.post(f"{API}/manifests", json=body, headers=carrier.auth)
        assert refused.status_code == 422
        pointers = {e["pointer"] for e in refused.json()["errors"]}
        assert pointers == {
            "/port_of_discharge",
            "/documents/0/containers/0/number",
            "/documents/0/goods/0/container",
        }
        listed = client.get(f"{API}/manifests", headers=carrier.auth).json()
        assert body["reference"] not in [m["reference"] for m in listed]

    def test_a_manifest_after_its_deadline_is_kept_and_marked_late(
        self, client: TestClient, carrier: Party, customs: Party
    ) -> None:
        vessel = imo()
        _call(client, carrier, vessel, eta=(utcnow() + timedelta(hours=3)).isoformat())
        body = manifest_body(vessel)
        made = _manifest(client, carrier, body)
        assert made["late"] is True
        assert any("deadline" in w for w in made["warnings"])
        late = client.get(
            f"{API}/reconciliation", params={"kind": "late_manifest"}, headers=customs.auth
        ).json()["late_manifest"]
        listed = {i["subject"]: i["detail"] for i in late}
        assert listed[body["reference"]] == "lodged 21 h after its deadline"

    def test_another_carrier_does_not_see_it(self, client: TestClient, carrier: Party) -> None:
        made = _manifest(client, carrier, manifest_body(imo()))
        other = make_party(("carrier",))
        assert client.get(f"{API}/manifests/{made['id']}", headers=other.auth).status_code == 404


class TestTerminalAndGate:
    def test_a_duplicate_event_is_not_counted_and_order_is_flagged(
        self, client: TestClient, terminal: Party
    ) -> None:
        box = container()
        at = utcnow() - timedelta(hours=1)
        gate_out = {"kind": "gated_out", "container": box, "occurred_at": at.isoformat()}
        first = client.post(f"{API}/terminal-events", json=gate_out, headers=terminal.auth)
        assert first.status_code == 201
        assert first.json()["out_of_order"] == "no discharged was reported before"
        again = client.post(f"{API}/terminal-events", json=gate_out, headers=terminal.auth)
        assert again.status_code == 200 and again.json()["duplicate"] is True
        listed = client.get(
            f"{API}/terminal-events", params={"subject": box}, headers=terminal.auth
        ).json()
        assert len(listed) == 1

    def test_gate_out_only_for_released_cargo_and_customs_is_alerted(
        self, client: TestClient, carrier: Party, terminal: Party, party: Party, customs: Party
    ) -> None:
        vessel = imo()
        _call(client, carrier, vessel)
        body = manifest_body(vessel)
        _manifest(client, carrier, body)
        document = body["documents"][0]["number"]
        box = body["documents"][0]["containers"][0]["number"]
        answer = client.get(f"{API}/gate", params={"container": box}, headers=terminal.auth).json()
        assert answer == {
            "subject": box,
            "may_leave": False,
            "reasons": [f"{document} is not declared"],
            "declarations": [],
        }
        lodged = _lodge(client, party, vessel, document, box)
        answer = client.get(f"{API}/gate", params={"container": box}, headers=terminal.auth).json()
        assert answer["may_leave"] is False
        assert answer["reasons"] == [
            f"declaration {lodged['number']} is not released: awaiting payment"
        ]
        out = {"kind": "gated_out", "container": box, "occurred_at": utcnow().isoformat()}
        reported = client.post(f"{API}/terminal-events", json=out, headers=terminal.auth).json()
        assert "awaiting payment" in reported["unreleased"]
        alerts = client.get(
            f"{API}/reconciliation", params={"kind": "unreleased_gate_out"}, headers=customs.auth
        ).json()["unreleased_gate_out"]
        assert box in [a["subject"] for a in alerts]
        _pay(client, party, lodged["id"])
        answer = client.get(f"{API}/gate", params={"container": box}, headers=terminal.auth).json()
        assert answer["may_leave"] is True, answer
        assert answer["declarations"] == [lodged["number"]]
        told = client.get("/api/v1/notifications", headers=terminal.auth).json()["items"]
        assert f"Released: declaration {lodged['number']}" in [n["title"] for n in told]

    def test_a_trader_cannot_ask_the_gate(self, client: TestClient, party: Party) -> None:
        asked = client.get(f"{API}/gate", params={"container": container()}, headers=party.auth)
        assert asked.status_code == 403


def _lodge(
    client: TestClient, party: Party, vessel: str, document: str, box: str, **changes: Any
) -> dict[str, Any]:
    body = declaration(**changes)
    body["transport"]["identity"] = vessel
    body["transport_documents"] = [{"type": "705", "reference": document}]
    body["items"][0]["containers"] = [box]
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
    _deliver()


class TestLink:
    def test_release_waits_for_the_manifest_and_follows_it(
        self, client: TestClient, carrier: Party, party: Party
    ) -> None:
        vessel = imo()
        _call(client, carrier, vessel)
        body = manifest_body(vessel)
        document = body["documents"][0]["number"]
        box = body["documents"][0]["containers"][0]["number"]
        lodged = _lodge(client, party, vessel, document, box)
        _pay(client, party, lodged["id"])
        seen = client.get(f"/api/v1/declarations/{lodged['id']}", headers=party.auth).json()
        assert seen["status"] == "paid", "the goods came by a called vessel: the link is missing"
        _manifest(client, carrier, body)
        _deliver()
        seen = client.get(f"/api/v1/declarations/{lodged['id']}", headers=party.auth).json()
        assert seen["status"] == "released"

    def test_more_packages_than_manifested_stop_release_and_are_listed(
        self, client: TestClient, carrier: Party, party: Party, customs: Party
    ) -> None:
        vessel = imo()
        _call(client, carrier, vessel)
        body = manifest_body(vessel)
        body["documents"][0]["goods"][0]["packages"] = 10
        _manifest(client, carrier, body)
        document = body["documents"][0]["number"]
        box = body["documents"][0]["containers"][0]["number"]
        lodged = _lodge(client, party, vessel, document, box)
        _pay(client, party, lodged["id"])
        refused = client.post(
            f"/api/v1/declarations/{lodged['id']}/release",
            json={"reason": "try"},
            headers=customs.auth,
        )
        assert refused.status_code == 409
        assert "30 packages declared, 10 manifested" in refused.json()["detail"]
        listed = client.get(
            f"{API}/reconciliation", params={"kind": "discrepancy"}, headers=customs.auth
        ).json()["discrepancy"]
        assert lodged["number"] in [i["subject"] for i in listed]

    def test_goods_not_on_a_called_vessel_are_not_held(
        self, client: TestClient, party: Party
    ) -> None:
        lodged = _lodge(client, party, imo(), document_number(), container())
        _pay(client, party, lodged["id"])
        seen = client.get(f"/api/v1/declarations/{lodged['id']}", headers=party.auth).json()
        assert seen["status"] == "released"


class TestTracking:
    def test_each_entitled_party_sees_the_flow_and_no_one_else(
        self, client: TestClient, carrier: Party, terminal: Party, party: Party, customs: Party
    ) -> None:
        vessel = imo()
        _call(client, carrier, vessel)
        body = manifest_body(vessel)
        _manifest(client, carrier, body)
        document = body["documents"][0]["number"]
        box = body["documents"][0]["containers"][0]["number"]
        lodged = _lodge(client, party, vessel, document, box)
        event = {"kind": "discharged", "container": box, "occurred_at": utcnow().isoformat()}
        client.post(f"{API}/terminal-events", json=event, headers=terminal.auth)
        for who, query in (
            (carrier, document),
            (terminal, box),
            (party, lodged["number"]),
            (customs, box),
        ):
            seen = client.get(f"{API}/tracking", params={"q": query}, headers=who.auth)
            assert seen.status_code == 200, (who, seen.text)
            what = [e["what"] for e in seen.json()["events"]]
            assert any("Manifest" in w for w in what) and any("discharged" in w for w in what)
            assert seen.json()["declarations"] == [lodged["number"]]
        for stranger in (
            make_party(),
            make_party(("carrier",)),
            make_party(("terminal-operator",)),
        ):
            hidden = client.get(f"{API}/tracking", params={"q": document}, headers=stranger.auth)
            assert hidden.status_code == 404
            assert document not in hidden.text or "Nothing found" in hidden.text


class TestReconciliation:
    def test_declared_but_not_manifested_is_listed_for_customs_only(
        self, client: TestClient, carrier: Party, party: Party, customs: Party
    ) -> None:
        vessel, unseen = imo(), document_number()
        _call(client, carrier, vessel)
        document = document_number()
        _lodge(client, party, vessel, document, container())
        _lodge(client, party, imo(), unseen, container())
        listed = client.get(
            f"{API}/reconciliation", params={"kind": "not_manifested"}, headers=customs.auth
        )
        subjects = [i["subject"] for i in listed.json()["not_manifested"]]
        assert document in subjects
        assert unseen not in subjects, "goods by a vessel without a call are not cargo-controlled"
        assert client.get(f"{API}/reconciliation", headers=party.auth).status_code == 403


class TestCuscar:
    SAMPLE = Path(__file__).parents[1] / "formats" / "edifact_samples" / "cuscar_d95b.edi"

    def _interchange(self) -> tuple[str, str]:
        tag = uuid.uuid4().hex[:8].upper()
        text = self.SAMPLE.read_text().replace("CNSHA", "SGSIN")
        text = text.replace("MAN2026-0314", f"MAN-{tag}").replace("HBL-77801", f"HBL-{tag}")
        return text.replace("MAEU2603001", f"MAEU{tag}"), tag

    def test_a_cuscar_is_a_manifest_like_any_other(
        self, client: TestClient, carrier: Party
    ) -> None:
        text, tag = self._interchange()
        headers = {**carrier.auth, "Content-Type": "application/edifact"}
        made = client.post(f"{API}/manifests/cuscar", content=text, headers=headers)
        assert made.status_code == 201, made.text
        assert made.json()["documents"] == 2
        again = client.post(f"{API}/manifests/cuscar", content=text, headers=headers)
        assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
        lodged = client.get(f"{API}/manifests/{made.json()['id']}", headers=carrier.auth).json()
        house = lodged["documents"][1]
        assert house["number"] == f"HBL-{tag}" and house["master_number"] == f"MAEU{tag}"

    def test_a_broken_cuscar_is_answered_with_its_segment_or_a_contrl(
        self, client: TestClient, carrier: Party
    ) -> None:
        text, tag = self._interchange()
        broken = text.replace("GID+2+40:PK'", "GID+2+forty:PK'")
        headers = {**carrier.auth, "Content-Type": "application/edifact"}
        refused = client.post(f"{API}/manifests/cuscar", content=broken, headers=headers)
        assert refused.status_code == 422
        assert any("/GID/" in e["pointer"] for e in refused.json()["errors"]), refused.text
        contrl = client.post(
            f"{API}/manifests/cuscar",
            content=broken,
            headers={**headers, "Accept": "application/edifact"},
        )
        assert contrl.status_code == 422 and "UCS+" in contrl.text
        listed = client.get(f"{API}/manifests", headers=carrier.auth).json()
        assert f"MAN-{tag}" not in [m["reference"] for m in listed]


class TestEntrySummaryCommand:
    RULES = Path(get_settings().ens_rules_dir)

    def test_one_json_line_a_file_with_every_error(self) -> None:
        valid = _valid_case(self.RULES)
        invalid = self.RULES / "cases" / "rule" / "CITCE124.0.1.xml"
        ran = CliRunner().invoke(
            cli.app, ["cargo", "import-ens", "--dry-run", "--json", str(valid), str(invalid)]
        )
        lines = [json.loads(line) for line in ran.output.splitlines()]
        assert [(x["file"], x["accepted"]) for x in lines] == [
            (str(valid), True),
            (str(invalid), False),
        ]
        assert lines[1]["errors"] == [
            {
                "code": "8634",
                "location": "/ie:CC315A[1]/TRACONCE1[1]/CitCE124[1]",
                "text": "The field 'City (box 8)' within Import Operation.Trader Consignee must "
                "not be present if the GB 'TIN' has been declared (C501)",
            }
        ]
        assert ran.exit_code == 1

    def test_a_carrier_lodges_and_gets_a_movement_reference(
        self, client: TestClient, carrier: Party
    ) -> None:
        message = _valid_case(self.RULES).read_bytes()
        lodged = client.post(
            f"{API}/entry-summaries",
            content=message,
            headers={**carrier.auth, "Content-Type": "application/xml"},
        )
        assert lodged.status_code == 201, lodged.text
        assert lodged.json()["accepted"] is True and lodged.json()["number"]
        assert lodged.json()["decision"] == "release"


def _valid_case(rules: Path) -> Path:
    """The first business-rule case whose control file expects no error."""
    controls = sorted((rules / "cases" / "rule").glob("*.ctl"))
    return next(c for c in controls if "<err:Error>" not in c.read_text()).with_suffix(".xml")


class TestRiskBeforeArrival:
    def test_a_cargo_profile_asks_not_to_load_and_the_carrier_is_told_what_not_why(
        self, client: TestClient, carrier: Party, customs: Party
    ) -> None:
        route = "ZQ"  # a route no other test's cargo takes
        profile = client.post(
            "/api/v1/risk/profiles",
            json={
                "code": f"CARGO-{uuid.uuid4().hex[:6].upper()}",
                "title": "Cargo routed through ZQ",
                "reason": "Intelligence: consignments routed through ZQ",
                "conditions": [{"field": "route", "op": "eq", "value": route}],
                "channel": "red",
            },
            headers=customs.auth,
        )
        assert profile.status_code == 201, profile.text
        message = _valid_case(TestEntrySummaryCommand.RULES).read_bytes()
        routed = message.replace(
            b"<CouOfRouCodITI1>AB</CouOfRouCodITI1>", b"<CouOfRouCodITI1>ZQ</CouOfRouCodITI1>", 1
        )
        lodged = client.post(
            f"{API}/entry-summaries",
            content=routed,
            headers={**carrier.auth, "Content-Type": "application/xml"},
        ).json()
        assert lodged["accepted"] is True and lodged["decision"] == "do_not_load"
        assert lodged["reasons"] == [], "targeting stays with customs"
        seen = client.get(f"{API}/entry-summaries/{lodged['id']}", headers=customs.auth).json()
        assert seen["reasons"][0]["text"] == "Intelligence: consignments routed through ZQ"
        _deliver()
        told = client.get("/api/v1/notifications", headers=carrier.auth).json()["items"]
        titles = [n["title"] for n in told]
        assert any("not" in t.lower() and "load" in t.lower() for t in titles), titles
        assert not any("Intelligence" in n["body"] for n in told)
        resolved = client.post(
            f"{API}/entry-summaries/{lodged['id']}/resolution",
            json={"resolution": "Examined at origin: toys as declared"},
            headers=customs.auth,
        )
        assert resolved.status_code == 200
        open_ones = client.get(
            f"{API}/entry-summaries", params={"open_only": True}, headers=customs.auth
        ).json()
        assert lodged["id"] not in [e["id"] for e in open_ones]
        client.post(
            f"/api/v1/risk/profiles/{profile.json()['id']}/deactivate",
            json={"why": "test over"},
            headers=customs.auth,
        )
