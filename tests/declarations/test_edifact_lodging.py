"""Declarations in UN/EDIFACT: CUSDEC in through the same rules, CUSRES out, CONTRL for refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
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


def test_the_import_command_reads_cusdec_one_line_a_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from onewindow.cli import app

    good = tmp_path / "good.edi"
    complete = SAMPLE.read_text().replace(
        "MEA+AAE+G+KGM:420'", "MEA+AAE+N+KGM:400'MEA+AAE+G+KGM:420'"
    )
    good.write_text(complete.replace("UNT+36+1'", "UNT+37+1'"))
    broken = tmp_path / "broken.edi"
    broken.write_text(complete.replace("UNZ+1+DEC0001'", "UNZ+1+DEC0002'"))
    ran = CliRunner().invoke(
        app, ["declarations", "import-wco", "--dry-run", str(good), str(broken)]
    )
    lines = ran.output.splitlines()
    assert len(lines) == 2, ran.output
    assert lines[0].startswith(f"{good}: ok"), lines[0]
    assert lines[1].startswith(f"{broken}: rejected: /segments/"), lines[1]
    assert "UNZ" in lines[1]


def test_the_portal_upload_takes_a_cusdec(client: TestClient, party: Party) -> None:
    from tests.portal import log_in

    token = log_in(client, party)
    uploaded = client.post(
        "/declarations/upload",
        data={"csrf_token": token},
        files={"file": ("declaration.edi", _cusdec(party).encode(), "application/edifact")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    page = client.get(uploaded.headers["location"])
    assert f"LRN-{party.org_id}" in page.text


@pytest.mark.parametrize(
    "content",
    [b"\xff\x11C\xd0\xae\x1f\xc7\xadC", "UNA:+.? 'UNB+UNOC:3+X²:ZZ+Y+260301:0930+1'".encode()],
)
def test_garbage_gets_a_refusal_and_a_contrl_never_a_server_error(
    client: TestClient, party: Party, content: bytes
) -> None:
    headers = {**party.auth, **EDIFACT}
    refused = client.post(f"{API}/cusdec", content=content, headers=headers)
    assert refused.status_code == 422, refused.text
    contrl = client.post(
        f"{API}/cusdec", content=content, headers={**headers, "Accept": "application/edifact"}
    )
    assert contrl.status_code == 422 and "CONTRL:D:3:UN" in contrl.text
    assert Interchange.from_str(contrl.text).get_segment("UCI") is not None
