"""Declarations in UN/EDIFACT: CUSDEC in through the same rules, CUSRES out, CONTRL for refusals."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydifact.segmentcollection import Interchange

from tests.conftest import Party

SAMPLE = Path(__file__).parents[1] / "formats" / "edifact_samples" / "cusdec_d96b.edi"
API = "/api/v1/declarations"
EDIFACT = {"Content-Type": "application/edifact"}


def _cusdec(party: Party) -> str:
    """The sample CUSDEC, lodged in the party's own name under a fresh reference."""
    text = SAMPLE.read_text().replace("NL123456789", party.identifier)
    return text.replace("LRN-2026-0042", f"LRN-{party.org_id}")


def test_a_cusdec_is_lodged_through_the_same_rules_and_answered_in_cusres(
    client: TestClient, party: Party
) -> None:
    lodged = client.post(f"{API}/cusdec", content=_cusdec(party), headers={**party.auth, **EDIFACT})
    assert lodged.status_code == 201, lodged.text
    body = lodged.json()
    assert body["declarant_reference"] == f"LRN-{party.org_id}"
    again = client.post(f"{API}/cusdec", content=_cusdec(party), headers={**party.auth, **EDIFACT})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    answer = client.get(f"{API}/{body['id']}/response.edi", headers=party.auth)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/edifact")
    segments = list(Interchange.from_str(answer.text).get_segments("BGM"))
    assert segments, "the CUSRES has its beginning of message"
    assert answer.text.count("UNH+") == 1 and "CUSRES:D:96B:UN" in answer.text
    shown = body["number"] or body["declarant_reference"]
    assert shown in answer.text


def test_a_broken_interchange_names_its_segment_and_changes_nothing(
    client: TestClient, party: Party
) -> None:
    broken = _cusdec(party).replace("UNT+36+1'", "UNT+35+1'")
    refused = client.post(f"{API}/cusdec", content=broken, headers={**party.auth, **EDIFACT})
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert any(e["pointer"].endswith("/UNT/1") and e["code"] == "edifact-29" for e in errors)
    listed = client.get(API, headers=party.auth).json()
    assert f"LRN-{party.org_id}" not in [d["declarant_reference"] for d in listed]
    contrl = client.post(
        f"{API}/cusdec",
        content=broken,
        headers={**party.auth, **EDIFACT, "Accept": "application/edifact"},
    )
    assert contrl.status_code == 422
    assert "CONTRL:D:3:UN" in contrl.text and "UCI+" in contrl.text
