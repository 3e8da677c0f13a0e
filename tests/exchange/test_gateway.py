"""The partner gateway in one process: receiving (refusals, replay, rotation), sending (outbox,
retries with backoff, acknowledgements), handlers, and who sees the message log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from onewindow.db import session_scope, simulated_clock, utcnow
from onewindow.exchange import envelope, gateway, service, signing
from onewindow.exchange.models import Message, OriginCertificate
from tests.conftest import Party, make_party
from tests.exchange import (
    certificate_body,
    our_certificate,
    our_key,
    partner,
    partner_key,
    signed,
)
from tests.portal import log_in

URL = "/api/v1/exchange/messages"
XML = {"Content-Type": "application/xml"}


def _state() -> tuple[int, int]:
    with session_scope() as session:
        return (
            session.scalar(select(func.count()).select_from(Message)) or 0,
            session.scalar(select(func.count()).select_from(OriginCertificate)) or 0,
        )


def _number() -> str:
    return f"CO-{uuid.uuid4().hex[:10].upper()}"


def test_a_partners_certificate_is_kept_and_acknowledged_with_our_signature(
    client: TestClient,
) -> None:
    nz = partner("NZ")
    number = _number()
    answer = client.post(
        URL,
        content=signed(nz, "certificate-of-origin", certificate_body(number, origin="NZ")),
        headers=XML,
    )
    assert answer.status_code == 200, answer.text
    ack = signing.verify(answer.content, our_certificate(), utcnow())
    fields = {etree_name(e): e.text for e in ack}
    assert fields["Sender"] == "GB" and fields["Receiver"] == "NZ"
    with session_scope() as session:
        kept = session.scalar(select(OriginCertificate).where(OriginCertificate.number == number))
        assert kept is not None and kept.issuing_country == "NZ"
        row = session.get(Message, kept.message_id)
        assert row is not None and row.reference == number and row.status == "accepted"
        assert "verified with NZ's pinned certificate" in row.signature_check
        on = utcnow().date()
        holds = service.origin_proof(
            session, number, proof_type="861", commodity_code="6109100090", origin="NZ", on=on
        )
        assert holds is not None and holds.holds
        other = service.origin_proof(
            session, number, proof_type="861", commodity_code="6110200000", origin="NZ", on=on
        )
        assert other is not None and not other.holds and "does not cover" in other.reason
        unknown = service.origin_proof(
            session, "CO-NOPE", proof_type="861", commodity_code="6109100090", origin="NZ", on=on
        )
        assert unknown is not None and "was not received" in unknown.reason


def etree_name(element: Any) -> str:
    from lxml import etree

    return etree.QName(element).localname


def test_a_replayed_message_changes_nothing_and_gets_the_same_acknowledgement(
    client: TestClient,
) -> None:
    nz = partner("NZ")
    data = signed(nz, "certificate-of-origin", certificate_body(_number(), origin="NZ"))
    first = client.post(URL, content=data, headers=XML)
    assert first.status_code == 200
    before = _state()
    again = client.post(URL, content=data, headers=XML)
    assert again.status_code == 200 and again.content == first.content
    assert _state() == before


def test_the_same_message_id_with_other_content_is_refused(client: TestClient) -> None:
    nz = partner("NZ")
    message_id = str(uuid.uuid4())
    body = certificate_body(_number(), origin="NZ")
    assert (
        client.post(
            URL,
            content=signed(nz, "certificate-of-origin", body, message_id=message_id),
            headers=XML,
        ).status_code
        == 200
    )
    before = _state()
    other = signed(
        nz, "certificate-of-origin", certificate_body(_number(), origin="NZ"), message_id=message_id
    )
    refused = client.post(URL, content=other, headers=XML)
    assert refused.status_code == 409
    assert "already received with other content" in refused.json()["detail"]
    assert _state() == before


def _tampered(data: bytes) -> bytes:
    return data.replace(b"Harbour Knits", b"Harbour Fakes")


def _unsigned() -> bytes:
    root = envelope.build_message(
        str(uuid.uuid4()),
        "certificate-of-origin",
        "NZ",
        "GB",
        utcnow(),
        certificate_body(_number(), origin="NZ"),
    )
    from lxml import etree

    return bytes(etree.tostring(root))


REFUSALS = {
    "unknown partner": (
        lambda nz, other: signed(
            partner_key("ZW"), "certificate-of-origin", certificate_body(_number(), origin="ZW")
        ),
        403,
        "not a registered partner",
    ),
    "unknown certificate": (
        lambda nz, other: signed(
            partner_key("NZ"), "certificate-of-origin", certificate_body(_number(), origin="NZ")
        ),
        403,
        "is unknown",
    ),
    "another partner's certificate": (
        lambda nz, other: signed(
            other, "certificate-of-origin", certificate_body(_number(), origin="NZ"), sender="NZ"
        ),
        403,
        "is not NZ's",
    ),
    "tampered": (
        lambda nz, other: _tampered(
            signed(nz, "certificate-of-origin", certificate_body(_number(), origin="NZ"))
        ),
        403,
        "does not verify",
    ),
    "unsigned": (lambda nz, other: _unsigned(), 403, "not signed"),
    "schema": (
        lambda nz, other: signed(
            nz, "export-declaration", certificate_body(_number(), origin="NZ")
        ),
        422,
        "carries a ExportDeclaration",
    ),
    "timestamp": (
        lambda nz, other: signed(
            nz,
            "certificate-of-origin",
            certificate_body(_number(), origin="NZ"),
            created=utcnow() - timedelta(hours=2),
        ),
        422,
        "outside the allowed window",
    ),
    "another receiver": (
        lambda nz, other: signed(
            nz, "certificate-of-origin", certificate_body(_number(), origin="NZ"), receiver="FR"
        ),
        422,
        "addressed to FR",
    ),
    "not XML": (lambda nz, other: b"<Message", 422, "not well-formed"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_wrong_message_is_refused_with_its_reason_and_changes_nothing(
    client: TestClient, case: str
) -> None:
    nz, other = partner("NZ"), partner("CL")
    build, status, reason = REFUSALS[case]
    data = build(nz, other)
    before = _state()
    answer = client.post(URL, content=data, headers=XML)
    assert answer.status_code == status, answer.text
    assert reason in answer.json()["detail"]
    assert _state() == before


def test_a_schema_error_in_the_body_names_the_line(client: TestClient) -> None:
    nz = partner("NZ")
    body = certificate_body(_number(), origin="NZ")
    body.find(envelope.q("Goods")).find(envelope.q("HsCode")).text = "61"  # type: ignore[union-attr]
    answer = client.post(URL, content=signed(nz, "certificate-of-origin", body), headers=XML)
    assert answer.status_code == 422
    assert "does not meet its schema" in answer.json()["detail"]


def test_rotation_accepts_old_and_new_keys_while_both_are_valid_and_refuses_an_expired_one(
    client: TestClient,
) -> None:
    old = partner("IS")
    new = partner_key("IS")
    with session_scope() as session:
        service.pin_certificate(session, "IS", new.certificate_pem, actor="test")
    for key in (old, new):
        data = signed(key, "certificate-of-origin", certificate_body(_number(), origin="IS"))
        assert client.post(URL, content=data, headers=XML).status_code == 200
    now = utcnow()
    expired = partner_key("IS", days=3, start=now - timedelta(days=10))
    with simulated_clock(now - timedelta(days=9)), session_scope() as session:
        service.pin_certificate(session, "IS", expired.certificate_pem, actor="test")
    before = _state()
    data = signed(expired, "certificate-of-origin", certificate_body(_number(), origin="IS"))
    answer = client.post(URL, content=data, headers=XML)
    assert answer.status_code == 403 and "expired" in answer.json()["detail"]
    assert _state() == before
    with session_scope() as session:
        service.withdraw_certificate(session, "IS", old.fingerprint, actor="test", reason="rotated")
    data = signed(old, "certificate-of-origin", certificate_body(_number(), origin="IS"))
    withdrawn = client.post(URL, content=data, headers=XML)
    assert withdrawn.status_code == 403 and "withdrawn" in withdrawn.json()["detail"]


@pytest.fixture()
def aeo_handler() -> Iterator[list[dict[str, Any]]]:
    applied: list[dict[str, Any]] = []

    def handle(session: Any, message: gateway.Received) -> str:
        applied.append({"partner": message.partner_country, **message.record})
        return "AEO"

    service.on_message("aeo-status-list", handle)
    yield applied
    service.off_message("aeo-status-list")


def test_an_aeo_status_list_reaches_its_handler_exactly_once(
    client: TestClient, aeo_handler: list[dict[str, Any]]
) -> None:
    nz = partner("NZ")
    body = service.aeo_status_list(
        [
            {
                "operator_id": "NZ123",
                "consent": True,
                "name": "Kiwi Exports",
                "status": "valid",
                "tier": "2",
                "validation_date": "2026-01-15",
            },
            {
                "operator_id": "NZ456",
                "consent": False,
                "name": "Secret Ltd",
                "status": "suspended",
                "suspended_on": "2026-11-30",
            },
        ],
        full=False,
        since="2026-11-01T00:00:00Z",
    )
    data = signed(nz, "aeo-status-list", body)
    assert client.post(URL, content=data, headers=XML).status_code == 200
    assert client.post(URL, content=data, headers=XML).status_code == 200
    assert len(aeo_handler) == 1
    received = aeo_handler[0]
    assert received["partner"] == "NZ" and received["full"] is False
    assert received["operators"][0]["name"] == "Kiwi Exports"
    assert "name" not in received["operators"][1]  # no consent: identification and status only
    assert received["operators"][1]["status"] == "suspended"


def test_a_handler_that_refuses_refuses_the_message_and_keeps_nothing(
    client: TestClient,
) -> None:
    nz = partner("NZ")
    number = _number()
    first = signed(nz, "certificate-of-origin", certificate_body(number, origin="NZ"))
    assert client.post(URL, content=first, headers=XML).status_code == 200
    before = _state()
    again = signed(nz, "certificate-of-origin", certificate_body(number, origin="NZ"))
    answer = client.post(URL, content=again, headers=XML)
    assert answer.status_code == 422 and "already on record" in answer.json()["detail"]
    assert _state() == before


def test_a_batch_acknowledges_each_message_and_refuses_each_wrong_one(client: TestClient) -> None:
    nz = partner("NZ")
    good = signed(nz, "certificate-of-origin", certificate_body(_number(), origin="NZ"))
    bad = _tampered(signed(nz, "certificate-of-origin", certificate_body(_number(), origin="NZ")))
    answer = client.post(
        "/api/v1/exchange/batches", json={"messages": [good.decode(), bad.decode()]}
    )
    assert answer.status_code == 200, answer.text
    first, second = answer.json()["results"]
    assert first["status"] == 200 and first["acknowledgement"].startswith("<?xml")
    assert second["status"] == 403 and "does not verify" in second["detail"]
    only_bad = client.post("/api/v1/exchange/batches", json={"messages": [bad.decode()]})
    assert only_bad.status_code == 403


# Sending ---------------------------------------------------------------------------------------


class FakePartner:
    """A partner's gateway answering with acknowledgements signed by its key (or failing)."""

    def __init__(self, key: Any, fail: bool = False) -> None:
        self.key, self.fail, self.calls = key, fail, 0
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.fail:
            return httpx.Response(503, json={"detail": "down for maintenance"})
        results = []
        for index, xml in enumerate(json.loads(request.content)["messages"]):
            root = envelope.parse(xml.encode())
            header = envelope.read_header(root)
            self.seen.append(header.message_id)
            ack = envelope.build_acknowledgement(
                header.message_id, self.key.country, "GB", signing.digest(xml.encode()), utcnow()
            )
            results.append(
                {
                    "index": index,
                    "status": 200,
                    "acknowledgement": signing.sign(
                        ack, self.key.key, self.key.fingerprint
                    ).decode(),
                }
            )
        return httpx.Response(200, json={"results": results})


@pytest.fixture()
def transport(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    holder: dict[str, Any] = {}
    real = httpx.Client

    def client(**kwargs: Any) -> httpx.Client:
        return real(transport=httpx.MockTransport(holder["partner"]), **kwargs)

    monkeypatch.setattr(gateway.httpx, "Client", client)
    yield holder


def _send(country: str) -> int:
    with session_scope() as session:
        row = service.send(
            session,
            country,
            "certificate-of-origin",
            certificate_body(_number(), origin="GB"),
            reference="out",
        )
        return row.id


def _row(row_id: int) -> Message:
    with session_scope() as session:
        row = session.get(Message, row_id)
        assert row is not None
        session.expunge(row)
        return row


def test_a_message_is_retried_with_backoff_then_acknowledged_and_never_sent_again(
    transport: dict[str, Any],
) -> None:
    no = partner("NO")
    row_id = _send("NO")
    down = FakePartner(no, fail=True)
    transport["partner"] = down
    start = utcnow()
    with simulated_clock(start):
        service.deliver_due()
    first = _row(row_id)
    assert first.status == "pending" and first.attempts == 1
    assert "down for maintenance" in (first.last_error or "")
    assert first.next_attempt_at is not None
    assert timedelta(seconds=1.5) < first.next_attempt_at - start < timedelta(seconds=3)
    with simulated_clock(start + timedelta(seconds=1)):
        service.deliver_due()  # not due yet
    assert _row(row_id).attempts == 1
    with simulated_clock(start + timedelta(seconds=3)):
        service.deliver_due()
    second = _row(row_id)
    assert second.attempts == 2
    assert second.next_attempt_at - (start + timedelta(seconds=3)) > timedelta(seconds=3.5)  # type: ignore[operator]
    up = FakePartner(no)
    transport["partner"] = up
    with simulated_clock(start + timedelta(seconds=10)):
        service.deliver_due()
    done = _row(row_id)
    assert done.status == "acknowledged" and done.acknowledgement
    assert up.seen.count(done.message_id) == 1
    with simulated_clock(start + timedelta(hours=2)):
        service.deliver_due()
    assert up.seen.count(done.message_id) == 1


def test_an_acknowledgement_signed_by_a_stranger_is_not_taken(transport: dict[str, Any]) -> None:
    partner("NO")
    row_id = _send("NO")
    transport["partner"] = FakePartner(partner_key("NO"))  # a key NO never gave us
    service.deliver_due()
    row = _row(row_id)
    assert row.status == "pending" and "acknowledgement refused" in (row.last_error or "")


def test_a_message_that_never_gets_through_fails_visibly(
    transport: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    partner("NO")
    row_id = _send("NO")
    transport["partner"] = FakePartner(None, fail=True)
    from onewindow.config import get_settings

    monkeypatch.setattr(get_settings(), "exchange_max_attempts", 2)
    start = utcnow()
    for seconds in (0, 60):
        with simulated_clock(start + timedelta(seconds=seconds)):
            service.deliver_due()
    row = _row(row_id)
    assert row.status == "failed" and "down for maintenance" in (row.last_error or "")


def test_sending_needs_a_registered_partner() -> None:
    our_key()
    with session_scope() as session, pytest.raises(Exception, match="not a registered partner"):
        service.send(
            session, "ZW", "certificate-of-origin", certificate_body(_number(), origin="GB")
        )


# Who sees the log ------------------------------------------------------------------------------


def test_only_customs_and_administrators_see_the_message_log(client: TestClient) -> None:
    nz = partner("NZ")
    number = _number()
    client.post(
        URL,
        content=signed(nz, "certificate-of-origin", certificate_body(number, origin="NZ")),
        headers=XML,
    )
    trader: Party = make_party()
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=trader.auth).status_code == 403
    for who in (make_party(("customs-office",), user_role="staff"), make_party(("administrator",))):
        found = client.get(URL, params={"q": number}, headers=who.auth)
        assert found.status_code == 200, found.text
        (message,) = found.json()
        assert message["reference"] == number and message["direction"] == "in"
        detail = client.get(f"{URL}/{message['id']}", headers=who.auth).json()
        assert detail["acknowledgement"] and "Harbour Knits" in detail["xml"]


def test_the_partner_messages_page_is_for_customs(client: TestClient) -> None:
    nz = partner("NZ")
    number = _number()
    client.post(
        URL,
        content=signed(nz, "certificate-of-origin", certificate_body(number, origin="NZ")),
        headers=XML,
    )
    trader = make_party()
    log_in(client, trader)
    assert client.get("/exchange", follow_redirects=False).status_code == 404
    customs = make_party(("customs-office",), user_role="staff")
    client.cookies.clear()
    log_in(client, customs)
    page = client.get("/exchange", params={"q": number})
    assert page.status_code == 200 and number in page.text and "Partner messages" in page.text
    assert "Harbour Knits" not in page.text  # the list shows references, the detail the XML
