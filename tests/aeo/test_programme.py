"""The AEO programme end to end: apply, ask and answer, visit, decide; the certificate's life
(suspension, reinstatement, revocation, expiry, reassessment), each audited and told."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onewindow import audit
from onewindow.aeo import service as aeo
from onewindow.aeo.models import AeoCertificate
from onewindow.db import session_scope
from onewindow.errors import Conflict, Forbidden, InvalidInput
from onewindow.events import OutboxEvent
from tests.aeo import answers, certificate_status, certify, findings, principal_of
from tests.conftest import Party, make_party


def _topics(subject_type: str, subject_id: int) -> list[str]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(OutboxEvent.topic)
                .where(
                    OutboxEvent.subject_type == subject_type,
                    OutboxEvent.subject_id == str(subject_id),
                )
                .order_by(OutboxEvent.occurred_at, OutboxEvent.topic)
            )
        )


def test_the_whole_path_through_the_api(client: TestClient, party: Party, customs: Party) -> None:
    incomplete = client.post(
        "/api/v1/aeo/applications",
        json={"operator_role": "importer", "tier": "AEO-F", "answers": {}},
        headers=party.auth,
    )
    assert incomplete.status_code == 422
    assert "/answers/compliance.infringements" in incomplete.text
    body = {"operator_role": "importer", "tier": "AEO-F", "answers": answers()}
    headers = {**party.auth, "Idempotency-Key": "apply-1"}
    applied = client.post("/api/v1/aeo/applications", json=body, headers=headers)
    assert applied.status_code == 201, applied.text
    again = client.post("/api/v1/aeo/applications", json=body, headers=headers)
    assert again.json()["id"] == applied.json()["id"]
    application_id = applied.json()["id"]
    path = f"/api/v1/aeo/applications/{application_id}"

    # A trader cannot decide on its own application; customs asks, the company answers.
    refused = client.post(
        f"{path}/decision", json={"decision": "grant", "reason": "me"}, headers=party.auth
    )
    assert refused.status_code == 403
    asked = client.post(
        f"{path}/questions", json={"text": "Your 2025 accounts?"}, headers=customs.auth
    )
    assert asked.json()["status"] == "information_requested"
    answered = client.post(f"{path}/answer", json={"text": "Attached."}, headers=party.auth)
    assert answered.json()["status"] == "under_review"
    assert [m["author"] for m in answered.json()["thread"]] == ["customs", "company"]

    # No grant before the validation visit is recorded.
    early = client.post(
        f"{path}/decision", json={"decision": "grant", "reason": "ok"}, headers=customs.auth
    )
    assert early.status_code == 409
    visit_on = (date.today() + timedelta(days=3)).isoformat()
    planned = client.post(
        f"{path}/visit-plan", json={"on": visit_on, "place": "Main warehouse"}, headers=customs.auth
    )
    assert planned.json()["status"] == "visit_planned"
    partial = client.post(
        f"{path}/visit",
        json={"findings": {"compliance": {"rating": "met"}}},
        headers=customs.auth,
    )
    assert partial.status_code == 422 and "/findings/records/rating" in partial.text
    visited = client.post(f"{path}/visit", json={"findings": findings()}, headers=customs.auth)
    assert visited.json()["status"] == "visited"
    granted = client.post(
        f"{path}/decision",
        json={"decision": "grant", "reason": "all criteria met", "tier": "AEO-S"},
        headers=customs.auth,
    )
    assert granted.status_code == 200, granted.text
    certificate_id = granted.json()["certificate_id"]

    mine = client.get("/api/v1/aeo/certificates", headers=party.auth).json()
    assert [c["id"] for c in mine] == [certificate_id]
    assert mine[0]["tier"] == "AEO-S" and mine[0]["status"] == "active"
    assert mine[0]["number"].endswith(f"AEOS{certificate_id:07d}")
    assert mine[0]["validated_on"] == date.today().isoformat()
    other = make_party()
    hidden = client.get(f"/api/v1/aeo/certificates/{certificate_id}", headers=other.auth)
    assert hidden.status_code == 404
    assert client.get(f"{path}", headers=other.auth).status_code == 404

    with session_scope() as session:
        actions = [e.action for e in audit.entries_for(session, "aeo_application", application_id)]
    assert actions == [
        "aeo.application_submitted",
        "aeo.information_requested",
        "aeo.answered",
        "aeo.visit_planned",
        "aeo.visit_recorded",
        "aeo.application_granted",
    ]
    assert "aeo.status_changed" in _topics("aeo_certificate", certificate_id)


def test_a_refusal_needs_reasons_and_issues_nothing(party: Party, customs: Party) -> None:
    officer, company = principal_of(customs), principal_of(party)
    with session_scope() as session:
        application = aeo.apply(
            session, company, operator_role="exporter", tier="AEO-C", answers=answers("AEO-C")
        )
        with pytest.raises(InvalidInput):
            aeo.decide(session, officer, application.id, grant=False, reason=" ")
        decided, certificate = aeo.decide(
            session, officer, application.id, grant=False, reason="accounts not kept"
        )
        assert certificate is None and decided.status == "refused"
        # A new application for the role may follow; an open one blocks a second.
        aeo.apply(
            session, company, operator_role="exporter", tier="AEO-C", answers=answers("AEO-C")
        )
        with pytest.raises(Conflict):
            aeo.apply(
                session, company, operator_role="exporter", tier="AEO-C", answers=answers("AEO-C")
            )
        held = session.scalar(
            select(AeoCertificate).where(AeoCertificate.organisation_id == party.org_id)
        )
        assert held is None


def test_suspend_reinstate_revoke_each_with_a_reason(
    client: TestClient, party: Party, customs: Party
) -> None:
    certificate_id = certify(party)
    path = f"/api/v1/aeo/certificates/{certificate_id}"
    unconfirmed = client.post(
        f"{path}/suspension", json={"reason": "audit", "confirm": False}, headers=customs.auth
    )
    assert unconfirmed.status_code == 422
    assert certificate_status(certificate_id) == "active"
    by_trader = client.post(
        f"{path}/suspension", json={"reason": "x", "confirm": True}, headers=party.auth
    )
    assert by_trader.status_code == 403
    suspended = client.post(
        f"{path}/suspension",
        json={"reason": "serious infringement under investigation", "confirm": True},
        headers=customs.auth,
    )
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["suspended_on"] == date.today().isoformat()
    reinstated = client.post(
        f"{path}/reinstatement", json={"reason": "cleared", "confirm": True}, headers=customs.auth
    )
    assert reinstated.json()["status"] == "active"
    revoked = client.post(
        f"{path}/revocation", json={"reason": "fraud proven", "confirm": True}, headers=customs.auth
    )
    assert revoked.json()["status"] == "revoked"
    assert [h["action"] for h in revoked.json()["history"]] == [
        "granted",
        "suspended",
        "reinstated",
        "revoked",
    ]
    again = client.post(
        f"{path}/reinstatement", json={"reason": "oops", "confirm": True}, headers=customs.auth
    )
    assert again.status_code == 409
    topics = _topics("aeo_certificate", certificate_id)
    assert topics.count("aeo.status_changed") == 4


def test_the_worker_expires_and_announces_reassessment_once(party: Party) -> None:
    certificate_id = certify(party, "AEO-C")
    with session_scope() as session:
        row = session.get(AeoCertificate, certificate_id)
        assert row is not None
        row.reassessment_due = date.today() + timedelta(days=10)
    with session_scope() as session:
        assert aeo.run_due(session)["announced"] >= 1
    with session_scope() as session:
        aeo.run_due(session)
    assert _topics("aeo_certificate", certificate_id).count("aeo.reassessment_due") == 1
    with session_scope() as session:
        row = session.get(AeoCertificate, certificate_id)
        assert row is not None
        row.valid_until = date.today() - timedelta(days=1)
    with session_scope() as session:
        aeo.run_due(session)
    assert certificate_status(certificate_id) == "expired"
    with session_scope() as session:
        assert not aeo.is_aeo(session, party.org_id, date.today())
        assert aeo.risk_treatment(session, organisation_ids=[party.org_id]) is None


def test_a_reassessment_moves_the_due_date(party: Party, customs: Party) -> None:
    certificate_id = certify(party, "AEO-S")
    officer = principal_of(customs)
    with session_scope() as session:
        row = aeo.record_reassessment(session, officer, certificate_id, "visited")
        assert row.reassessment_due.year == date.today().year + 3


def test_is_aeo_follows_the_history(party: Party, customs: Party) -> None:
    today = date.today()
    with session_scope() as session:
        assert not aeo.is_aeo(session, party.org_id, today)
        assert not aeo.is_aeo(session, None, today)
    certificate_id = certify(party)
    officer = principal_of(customs)
    with session_scope() as session:
        assert aeo.is_aeo(session, party.org_id, today)
        assert not aeo.is_aeo(session, party.org_id, today - timedelta(days=1))
        aeo.suspend(session, officer, certificate_id, "checking")
        assert not aeo.is_aeo(session, party.org_id, today)


def test_only_applicant_roles_apply(customs: Party) -> None:
    officer = principal_of(customs)
    with session_scope() as session, pytest.raises(Forbidden):
        aeo.apply(session, officer, operator_role="importer", tier="AEO-F", answers={})


def test_recorded_by_hand_through_the_old_route(
    client: TestClient, party: Party, customs: Party, administrator: Party
) -> None:
    path = f"/api/v1/organisations/{party.org_id}/aeo"
    assert client.post(path, json={"status": "AEO-F"}, headers=party.auth).status_code == 403
    done = client.post(
        path, json={"status": "AEO-S", "valid_until": "2099-01-01"}, headers=customs.auth
    )
    assert done.status_code == 200, done.text
    assert done.json()["aeo_status"] == "AEO-S"
    certificates = client.get("/api/v1/aeo/certificates", headers=party.auth).json()
    assert certificates[0]["recorded_by_hand"] is True
    assert certificates[0]["valid_until"] == "2099-01-01"
    withdrawn = client.post(path, json={"status": None}, headers=administrator.auth)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["aeo_status"] is None
    assert client.post(path, json={"status": "GOLD"}, headers=customs.auth).status_code == 422
    with session_scope() as session:
        entries = audit.entries_for(session, "aeo_certificate", certificates[0]["id"])
        assert [(e.action, e.reason) for e in entries] == [
            ("aeo.certificate_granted", "recorded by hand"),
            ("aeo.certificate_revoked", "withdrawn by hand"),
        ]


def test_the_company_is_told_each_step(client: TestClient, party: Party) -> None:
    from onewindow.events import deliver_pending

    certificate_id = certify(party, "AEO-C")
    with session_scope() as session:
        deliver_pending(session, limit=10_000)
    page = client.get("/api/v1/notifications", headers=party.auth).json()
    titles = [n["title"] for n in page["items"]]
    number = client.get(f"/api/v1/aeo/certificates/{certificate_id}", headers=party.auth).json()[
        "number"
    ]
    assert f"AEO certificate {number}: status changed" in titles
    assert any(t.startswith("AEO application") and t.endswith("granted") for t in titles)
