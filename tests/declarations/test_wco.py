"""WCO Data Model 3.6 declarations in and out: the real examples are the test bed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
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


# Every example the dry run refuses, and the reason a customs officer would agree with. The
# others pass under the national rule set (gb.json), some with warnings: see WARNED.
REFUSED = {
    # An export that names no exporter: the declarant is a direct representative (agent
    # function 2) acting for someone the declaration never names; step 2 of the same scenario
    # adds the exporter. CDS, like any administration, needs to know who exports.
    "TT_EX021a_Declaration1_(Step1).xml": "exporter-required",
}

# Accepted with a warning, and the rule that warned. HS 970200 is an HS 2017 subheading (split
# in HS 2022): the dry run checks the code's format and that its heading exists in the
# nomenclature in force, and warns that lodged today it is refused. 8708701095 and 2404110010
# are valid HS 2022 subheadings the demo's 2020 UK tariff has no line for: the dry run warns
# that the rate could not be assessed; lodging refuses them (rule tariff-line).
WARNED = {
    "TT_IM068a.xml": "nomenclature-edition",
    "TT_IM079a.xml": "nomenclature-edition",
    "TT_IM050a.xml": "tariff-line",
    "TT_IM110a.xml": "tariff-line",
    "TT_EX046a.xml": "total-packages",
    "TT_IM123a.xml": "total-packages",
    "TT_IM108a.xml": "delivery-terms",
    "TT_EX002a.xml": "document-recovered",
    "TT_IM084a.xml": "document-recovered",
    "TT_IM002b_Amendment.xml": "request-target",
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


def test_every_example_passes_the_dry_run_but_one_refused_for_a_stated_reason() -> None:
    files = sorted(EXAMPLES.glob("*.xml"))
    started = time.perf_counter()
    outcomes = _dry_run(files)
    elapsed = time.perf_counter() - started
    assert set(outcomes) == {f.name for f in files}, "one line per file"
    refused = {name: o for name, o in outcomes.items() if not o.startswith("ok")}
    assert set(refused) == set(REFUSED)
    for name, outcome in refused.items():
        assert outcome.startswith("rejected: ")
        assert f"(rule {REFUSED[name]})" in outcome, (name, outcome)
    for name, rule in WARNED.items():
        assert "; warning " in outcomes[name] and f"[{rule}]" in outcomes[name], outcomes[name]
    assert len(files) - len(refused) >= 91
    assert elapsed < 10, f"{len(files)} files took {elapsed:.1f} s"  # about 2 s here


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


def test_an_amendment_of_an_unknown_declaration_is_refused(
    client: TestClient, party: Party
) -> None:
    response = client.post(
        "/api/v1/declarations/wco",
        content=(EXAMPLES / "TT_IM002b_Amendment.xml").read_bytes(),
        headers={**party.auth, "Content-Type": "application/xml"},
    )
    assert response.status_code == 409
    assert "25GB3POHWIVZSF9AR0, which is not known here" in response.json()["detail"]


def test_an_amendment_makes_a_new_version_with_its_differences(
    client: TestClient, party: Party
) -> None:
    lodged = _lodge(client, party, "TT_IM003a.xml")
    assert lodged["status"] in {"accepted", "assessed", "awaiting_payment", "under_control"}
    data = (EXAMPLES / "TT_IM003a_Amendment_(Step_3).xml").read_bytes()
    data = data.replace(b"20GB34BBUAX6DFGVR2", str(lodged["number"]).encode())
    response = client.post(
        "/api/v1/declarations/wco",
        content=data,
        headers={**party.auth, "Content-Type": "application/xml"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    detail = client.get(f"/api/v1/declarations/{lodged['id']}", headers=party.auth).json()
    assert detail["content"]["items"][0]["net_mass_kg"] == "2.1"


def test_a_clearance_request_then_its_supplementary_are_linked(
    client: TestClient, party: Party
) -> None:
    request = _lodge(client, party, "TT_IM005a.xml")
    assert request["kind"] == "clearance_request"
    data = (EXAMPLES / "TT_IM014a.xml").read_bytes()
    data = data.replace(b"0GB553202734852-12345", str(request["number"]).encode())
    supplementary = client.post(
        "/api/v1/declarations/wco",
        content=data,
        headers={**party.auth, "Content-Type": "application/xml"},
    ).json()
    assert supplementary["kind"] == "supplementary"
    assert supplementary["previous_declaration_id"] == request["id"]
    assert supplementary["previous_reference"] == request["number"]


def test_a_warning_comes_back_beside_the_acceptance(client: TestClient, party: Party) -> None:
    lodged = _lodge(client, party, "TT_IM123a.xml")
    assert lodged["number"]
    assert [w["rule"] for w in lodged["warnings"]] == ["total-packages"]
    dry = client.post(
        "/api/v1/declarations/wco?dry_run=true",
        content=(EXAMPLES / "TT_IM123a.xml").read_bytes(),
        headers={**party.auth, "Content-Type": "application/xml"},
    ).json()
    assert dry["ok"] is True
    assert dry["warnings"][0]["pointer"] == "/total_packages"


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
