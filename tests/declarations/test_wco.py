"""WCO Data Model 3.6 declarations in and out: the real examples are the test bed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from onewindow.config import get_settings
from onewindow.formats import wco
from tests.conftest import Party, require_data

EXAMPLES = get_settings().data_dir.parent / "examples" / "wco-dm-declarations"


@pytest.fixture(autouse=True, scope="module")
def _examples() -> None:
    require_data(EXAMPLES.exists(), f"the WCO examples at {EXAMPLES}")


# Every example not accepted by the dry run, and the reason a customs officer would agree with.
REFUSED = {
    # The dry run makes the national tariff check lodging makes: the demo's tariff (the UK's of
    # 2020) has no line for these codes (heading 2404 is new in HS 2022).
    "TT_IM050a.xml": "not a declarable line of the national tariff",
    "TT_IM110a.xml": "not a declarable line of the national tariff",
    "TT_EX002a.xml": "not well-formed",
    "TT_EX005a.xml": "ISO 3166",
    "TT_EX007a.xml": "clearance request",
    "TT_EX010a_Cancellation.xml": "cancel",
    "TT_EX021a_Declaration1_(Step1).xml": "ISO 3166",
    "TT_EX021a_Declaration2_(Step2).xml": "ISO 3166",
    "TT_EX026a.xml": "clearance request",
    "TT_EX042a_Step1.xml": "ISO 3166",
    "TT_EX044a.xml": "clearance request",
    "TT_EX046a.xml": "total packages",
    "TT_IM002b_Amendment.xml": "amend",
    "TT_IM002c_Complex_Multi_Amendment.xml": "amend",
    "TT_IM003a_Amendment_(Step_3).xml": "amend",
    "TT_IM004a.xml": "proof of origin",
    "TT_IM005a.xml": "clearance request",
    "TT_IM005b_Amendment.xml": "amend",
    "TT_IM008b_Amendment.xml": "amend",
    "TT_IM011a.xml": "clearance request",
    "TT_IM011a_Amendment.xml": "amend",
    "TT_IM012a.xml": "invoice price",
    "TT_IM014a.xml": "invoice price",
    "TT_IM016a_Amendment.xml": "amend",
    "TT_IM029a.xml": "own country",
    "TT_IM032b.xml": "invoice price",
    "TT_IM033b_Amendment.xml": "amend",
    "TT_IM053a.xml": "clearance request",
    "TT_IM061a.xml": "final supplementary",
    "TT_IM067a.xml": "invoice price",
    "TT_IM068a.xml": "invoice price",
    "TT_IM072a.xml": "special fiscal",
    "TT_IM073a.xml": "clearance request",
    "TT_IM079a.xml": "invoice price",
    "TT_IM084a.xml": "not well-formed",
    "TT_IM085a.xml": "clearance request",
    "TT_IM096a.xml": "ISO 3166",
    "TT_IM108a.xml": "Incoterm",
    "TT_IM123a.xml": "total packages",
    "TT_IM135a.xml": "final supplementary",
    "TT_IM136a.xml": "clearance request",
}


def _dry_run(files: list[Path]) -> dict[str, str]:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "onewindow",
            "declarations",
            "import-wco",
            "--dry-run",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
    )
    assert "Traceback" not in run.stderr, run.stderr
    outcomes = {}
    for line in run.stdout.splitlines():
        path, _, outcome = line.partition(": ")
        outcomes[Path(path).name] = outcome
    return outcomes


def test_every_example_passes_the_dry_run_or_is_refused_for_a_stated_reason() -> None:
    files = sorted(EXAMPLES.glob("*.xml"))
    outcomes = _dry_run(files)
    assert set(outcomes) == {f.name for f in files}, "one line per file"
    refused = {name: o for name, o in outcomes.items() if o != "ok"}
    assert set(refused) == set(REFUSED)
    for name, outcome in refused.items():
        assert outcome.startswith("rejected: ")
        assert REFUSED[name] in outcome, (name, outcome)


def _lodge(client: TestClient, party: Party, name: str) -> dict[str, object]:
    response = client.post(
        "/api/v1/declarations/wco",
        content=(EXAMPLES / name).read_bytes(),
        headers={**party.auth, "Content-Type": "application/xml"},
    )
    assert response.status_code in {200, 201}, response.text
    return dict(response.json())


def test_a_wco_declaration_is_lodged_and_answered_in_wco_xml(
    client: TestClient, party: Party
) -> None:
    lodged = _lodge(client, party, "TT_IM003a.xml")
    assert lodged["declarant_reference"] == "TT_IM03a_2212_001"
    answer = client.get(f"/api/v1/declarations/{lodged['id']}/response.xml", headers=party.auth)
    assert answer.headers["content-type"].startswith("application/xml")
    assert wco.validate_xml(answer.content) == []
    root = etree.fromstring(answer.content)
    texts = [t for t in root.itertext() if t.strip()]
    assert "TT_IM03a_2212_001" in texts


def test_a_dry_run_lodges_nothing(client: TestClient, party: Party) -> None:
    response = client.post(
        "/api/v1/declarations/wco?dry_run=true",
        content=(EXAMPLES / "TT_IM003a.xml").read_bytes(),
        headers={**party.auth, "Content-Type": "application/xml"},
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert client.get("/api/v1/declarations", headers=party.auth).json() == []


def test_an_amendment_file_is_refused_with_its_reason(client: TestClient, party: Party) -> None:
    response = client.post(
        "/api/v1/declarations/wco",
        content=(EXAMPLES / "TT_IM002b_Amendment.xml").read_bytes(),
        headers={**party.auth, "Content-Type": "application/xml"},
    )
    assert response.status_code == 409
    assert "amend" in response.json()["detail"]


def test_a_rejection_is_answered_with_its_errors_in_wco_xml(
    client: TestClient, party: Party
) -> None:
    from tests.declarations.factory import declaration

    body = declaration()
    body["transport"]["mode"] = "X"
    rejected = client.post("/api/v1/declarations", json=body, headers=party.auth).json()
    answer = client.get(f"/api/v1/declarations/{rejected['id']}/response.xml", headers=party.auth)
    assert wco.validate_xml(answer.content) == []
    assert b"/transport/mode" in answer.content


def test_the_cli_lodges_and_prints_one_line_per_file(party: Party) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "onewindow",
            "declarations",
            "import-wco",
            "--as",
            party.email,
            str(EXAMPLES / "TT_IM020a.xml"),
            str(EXAMPLES / "TT_IM002b_Amendment.xml"),
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    lines = run.stdout.splitlines()
    assert lines[0].startswith(f"{EXAMPLES / 'TT_IM020a.xml'}: accepted ")
    assert lines[1].startswith(f"{EXAMPLES / 'TT_IM002b_Amendment.xml'}: rejected: ")
    assert run.returncode == 1
