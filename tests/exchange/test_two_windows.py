"""Two single windows talking: two `onewindow serve` processes on loopback, two SQLite
databases, two keys, two countries, each the other's partner. A certificate of origin issued in
one grants a preference in the other; a tampered message is refused and changes nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from onewindow.config import get_settings
from onewindow.exchange import envelope, service, signing
from tests.declarations.factory import declaration
from tests.exchange.windows import Window, pair

pytestmark = pytest.mark.skipif(
    not get_settings().database_url.startswith("sqlite"),
    reason="the two windows run on SQLite files of their own (one run is enough)",
)


@pytest.fixture(scope="module")
def windows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Window, Window]]:
    exporting, importing = pair(tmp_path_factory.mktemp("windows"))
    exporting.start()
    importing.start()
    try:
        yield exporting, importing
    finally:
        exporting.stop()
        importing.stop()


def _wait(check, seconds: float = 60):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("not within the time allowed")


def test_a_certificate_issued_in_one_window_grants_the_preference_in_the_other(
    windows: tuple[Window, Window],
) -> None:
    ie, gb = windows
    importer = gb.script("importer", "IE")
    number = ie.script("issue-certificate", "GB")["number"]
    _wait(lambda: gb.script("counts")["certificates"] >= 1)
    # The sender has the receiver's signed acknowledgement.
    _wait(lambda: ie.script("counts")["messages"].get("out/acknowledged", 0) >= 1)
    body = declaration(country_of_export="IE")
    item = body["items"][0]
    item.update(
        commodity_code="6109100010",
        description="Men's cotton T-shirts",
        origin="IE",
        preference="IE",
        proof_of_origin={"type": "861", "reference": number},
    )
    body["items"] = [item]
    # The windows load no UN/LOCODE and no exchange rates (a quick set-up): pounds, no place.
    body.pop("location_of_goods")
    for amount in (body["invoice"], body["freight"], body["insurance"], item["value"]):
        amount["currency"] = "GBP"
    body["declarant"] = body["importer"] = {"identifier": importer["identifier"]}
    auth = {"Authorization": f"Bearer {importer['token']}"}
    lodged = httpx.post(f"{gb.url}/api/v1/declarations", json=body, headers=auth, timeout=30)
    assert lodged.status_code in {200, 201}, lodged.text
    declaration_id = lodged.json()["id"]
    answer = httpx.get(
        f"{gb.url}/api/v1/declarations/{declaration_id}/assessment", headers=auth, timeout=30
    )
    assert answer.status_code == 200, (answer.text, lodged.text)
    preference = answer.json()["items"][0]["preference"]
    assert preference["granted"] is True, preference
    # A claim naming a certificate IE never sent is refused, with the reason.
    body["declarant_reference"] += "X"
    body["items"][0]["proof_of_origin"]["reference"] = "CHAMBER-26-999999"
    other = httpx.post(f"{gb.url}/api/v1/declarations", json=body, headers=auth, timeout=30)
    refused = httpx.get(
        f"{gb.url}/api/v1/declarations/{other.json()['id']}/assessment", headers=auth, timeout=30
    ).json()["items"][0]["preference"]
    assert refused["granted"] is False
    assert "was not received from IE's single window" in refused["reason"]


def test_an_aeo_suspension_in_one_window_changes_the_risk_treatment_in_the_other(
    windows: tuple[Window, Window],
) -> None:
    ie, gb = windows
    ie.script("recognise", "GB")
    gb.script("recognise", "IE")
    certified = ie.script("certify")
    operator = certified["identifier"]
    # The grant travels to GB as a status list: a declaration naming it is recognised there.
    recognised = _wait(lambda: gb.script("treatment", operator)["recognised"])
    assert recognised >= 1
    started = time.monotonic()
    assert ie.script("suspend", certified["certificate"])["status"] == "suspended"
    _wait(lambda: gb.script("treatment", operator)["recognised"] == 0, seconds=30)
    assert time.monotonic() - started < 30


def test_a_tampered_message_is_refused_and_changes_nothing(
    windows: tuple[Window, Window],
) -> None:
    ie, gb = windows
    before = gb.script("counts")
    # A message the exporting window signed, altered on the way.
    sent = _signed_by(ie)
    tampered = sent.replace(b"Benchmark Knits", b"Counterfeit Knits")
    answer = httpx.post(
        f"{gb.url}/api/v1/exchange/messages",
        content=tampered,
        headers={"Content-Type": "application/xml"},
        timeout=30,
    )
    assert answer.status_code == 403, answer.text
    assert "does not verify" in answer.json()["detail"]
    assert gb.script("counts") == before
    # The same message untouched is accepted.
    good = httpx.post(
        f"{gb.url}/api/v1/exchange/messages",
        content=sent,
        headers={"Content-Type": "application/xml"},
        timeout=30,
    )
    assert good.status_code == 200, good.text


def _signed_by(window: Window) -> bytes:
    """A certificate of origin signed with ``window``'s own key (read from its key file)."""
    key_file = next((window.folder / "keys").glob("*.pem"))
    key = signing.load_private_key(key_file)
    name = signing.fingerprint(
        signing.certificate(next((window.folder / "keys").glob("*.crt")).read_bytes())
    )
    body = service.certificate_of_origin(
        {
            "number": f"CO-{uuid.uuid4().hex[:8]}",
            "issue_date": date.today().isoformat(),
            "issuing_country": window.country,
            "issuing_authority": "Chamber of Commerce",
            "exporter": {"name": "Benchmark Knits"},
            "destination_country": "GB",
            "criterion": "PE",
            "goods": [{"hs_code": "6109100010", "description": "T-shirts", "origin": "IE"}],
        }
    )
    root = envelope.build_message(
        str(uuid.uuid4()),
        "certificate-of-origin",
        window.country,
        "GB",
        datetime.now(UTC),
        body,
    )
    return signing.sign(root, key, name)


def test_the_windows_are_ready(windows: tuple[Window, Window], tmp_path: Path) -> None:
    for window in windows:
        assert httpx.get(f"{window.url}/readyz", timeout=10).status_code == 200
