"""CUSCAR manifests: the mapping of a realistic D.95B cargo report, structural errors with
their positions, and the time a 2,000-line manifest takes."""

from __future__ import annotations

import time

import pytest

from onewindow.formats.cuscar import parse_cuscar
from onewindow.formats.edifact import EdifactError, contrl_report, parse_interchange
from tests.formats.edifact_samples.generate import (
    cuscar_with_lines,
    interchange,
    message_segments,
    sample,
)

BODY = message_segments("cuscar_d95b.edi")


def read(body: list[str], identifier: str = "CUSCAR:D:95B:UN"):  # type: ignore[no-untyped-def]
    return parse_cuscar(interchange(body, identifier=identifier))


def replaced(old: str, new: str) -> list[str]:
    assert old in BODY, old
    return [new if segment == old else segment for segment in BODY]


def only(errors: list[EdifactError]) -> EdifactError:
    assert len(errors) == 1, errors
    return errors[0]


def test_the_sample_manifest() -> None:
    manifest, errors = parse_cuscar(sample("cuscar_d95b.edi"))
    assert errors == []
    assert manifest is not None
    assert {k: v for k, v in manifest.items() if k != "documents"} == {
        "reference": "MAN2026-0314",
        "function": "original",
        "mode": "sea",
        "transport_id": "9778791",
        "transport_name": "MAERSK ESSEX",
        "voyage": "412E",
        "carrier": {"identifier": "MAEU", "name": "MAERSK LINE"},
        "port_of_loading": "CNSHA",
        "port_of_discharge": "NLRTM",
        "arrival": "2026-03-20T06:00:00Z",
    }
    master, house = manifest["documents"]
    assert (master["number"], master["kind"], master["master_number"]) == (
        "MAEU2603001", "master", None,
    )  # fmt: skip
    assert master["shipper"] == {
        "name": "SHANGHAI ELECTRONICS CO. LTD",
        "identifier": "SHIPCN001",
        "country": "CN",
        "address": "88 PUDONG AVENUE, 200120 SHANGHAI",
    }
    assert master["consignee"]["identifier"] == "NL123456789"
    assert master["notify"] == {
        "name": "ROTTERDAM TRADING B.V.", "identifier": None, "country": None, "address": None,
    }  # fmt: skip
    assert (master["port_of_loading"], master["port_of_discharge"]) == ("CNSHA", "NLRTM")
    assert master["goods"][0] == {
        "line": 1,
        "description": "LAPTOP COMPUTERS, 14 INCH",
        "hs_code": "847130",
        "packages": 120,
        "package_type": "CT",
        "gross_mass_kg": "1850.5",
        "container": "MSKU9070323",
        "marks": "RTB/2026/1 CARTONS 1-120",
    }
    assert master["goods"][1]["gross_mass_kg"] == "420"  # 0.42 TNE
    assert master["containers"] == [
        {"number": "MSKU9070323", "size_type": "45G1", "seals": ["ML-4471230", "CUS998877"],
         "full": True},
    ]  # fmt: skip
    assert (house["number"], house["kind"], house["master_number"]) == (
        "HBL-77801", "house", "MAEU2603001",
    )  # fmt: skip
    assert house["notify"] is None and house["port_of_loading"] is None
    assert [g["line"] for g in house["goods"]] == [3]
    assert [c["number"] for c in house["containers"]] == ["MSKU9070323"]


def test_d96b_has_the_same_structure() -> None:
    manifest, errors = read(BODY, identifier="CUSCAR:D:96B:UN")
    assert errors == [] and manifest is not None


def test_other_releases_and_messages_are_refused() -> None:
    _, errors = read(BODY, identifier="CUSCAR:D:01B:UN")
    assert (only(errors).segment_tag, only(errors).element, only(errors).code) == (
        "UNH", "2:3", "14",
    )  # fmt: skip
    _, errors = read(BODY, identifier="CUSDEC:D:96B:UN")
    assert only(errors).code == "14" and "not a CUSCAR" in only(errors).text


def test_message_functions() -> None:
    manifest, _ = read(replaced("BGM+85+MAN2026-0314+9", "BGM+85+MAN2026-0314+5"))
    assert manifest is not None and manifest["function"] == "replace"
    manifest, _ = read(replaced("BGM+85+MAN2026-0314+9", "BGM+85+MAN2026-0314+1"))
    assert manifest is not None and manifest["function"] == "cancel"
    _, errors = read(replaced("BGM+85+MAN2026-0314+9", "BGM+85+MAN2026-0314+4"))
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        3, "BGM", "3", "14",
    )  # fmt: skip


def test_missing_bgm() -> None:
    manifest, errors = read(BODY[1:])
    assert manifest is None
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        3, "BGM", None, "13",
    )  # fmt: skip
    assert "mandatory segment BGM (beginning of message) is missing before segment 3 (DTM)" in (
        error.text
    )


def test_non_numeric_quantity() -> None:
    _, errors = read(replaced("GID+2+40:PK", "GID+2+4O:PK"))
    error = only(errors)
    # UNB 1, UNH 2, then the body: GID+2 is the 25th body segment.
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        27, "GID", "2:1", "37",
    )  # fmt: skip
    assert "number of packages '4O' in segment 27 (GID) is not a whole number" in error.text


def test_non_numeric_weight() -> None:
    _, errors = read(replaced("MEA+AAE+G+KGM:310", "MEA+AAE+G+KGM:3I0"))
    error = only(errors)
    assert (error.segment_tag, error.element, error.code) == ("MEA", "3:2", "37")


def test_a_segment_out_of_place() -> None:
    body = list(BODY)
    body.insert(1, body.pop(body.index("LOC+9+CNSHA")))  # before DTM, in the heading
    _, errors = read(body)
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.code) == (4, "LOC", "15")
    assert "not allowed where it stands" in error.text


def test_an_unknown_segment() -> None:
    body = list(BODY)
    body.insert(3, "XYZ+1")
    _, errors = read(body)
    assert (only(errors).segment_position, only(errors).segment_tag, only(errors).code) == (
        6, "XYZ", "15",
    )  # fmt: skip


def test_too_many_repetitions() -> None:
    body = list(BODY)
    at = body.index("BGM+85+MAN2026-0314+9") + 1
    body[at:at] = ["DTM+137:202603140600:203"] * 9
    _, errors = read(body)
    error = only(errors)
    assert (error.segment_tag, error.code) == ("DTM", "35")


def test_unknown_reference_qualifier_in_a_closed_list() -> None:
    _, errors = read(replaced("RFF+BH:HBL-77801", "RFF+XX:HBL-77801"))
    error = only(errors)
    assert (error.segment_tag, error.element, error.code) == ("RFF", "1:1", "14")
    assert "does not name a transport document" in error.text


def test_unknown_mode_of_transport() -> None:
    old = next(s for s in BODY if s.startswith("TDT"))
    _, errors = read(replaced(old, old.replace("+412E+1+", "+412E+8+")))
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        6, "TDT", "3:1", "14",
    )  # fmt: skip


def test_goods_need_a_description_and_a_gross_weight() -> None:
    body = [s for s in BODY if s not in ("FTX+AAA+++PLASTIC TOYS", "MEA+AAE+G+KGM:310")]
    _, errors = read(body)
    assert [(e.segment_tag, e.code) for e in errors] == [("GID", "13"), ("GID", "13")]
    assert "no FTX+AAA goods description" in errors[0].text


def test_an_air_manifest() -> None:
    body = [
        "BGM+85+AIR-1+9",
        "TDT+20+KL0835+4++KL:172:20:KLM+++KL0835",
        "LOC+5+SGSIN",
        "LOC+12+NLAMS",
        "DTM+132:20260315:102",
        "CNI+1+074-12345675",
        "RFF+AWB:074-12345675",
        "GID+1+3:PK",
        "FTX+AAA+++SPARE PARTS",
        "MEA+AAE+G+GRM:12500",
    ]
    manifest, errors = read(body)
    assert errors == [] and manifest is not None
    assert (manifest["mode"], manifest["transport_id"], manifest["transport_name"]) == (
        "air", "KL0835", None,
    )  # fmt: skip
    assert (manifest["port_of_loading"], manifest["port_of_discharge"]) == ("SGSIN", "NLAMS")
    assert manifest["arrival"] == "2026-03-15T00:00:00Z"
    [document] = manifest["documents"]
    assert document["goods"][0]["gross_mass_kg"] == "12.5"
    assert document["containers"] == [] and document["goods"][0]["container"] is None


def test_contrl_names_the_failing_segment_of_a_manifest() -> None:
    text = interchange(replaced("GID+2+40:PK", "GID+2+FORTY:PK"))
    manifest, errors = parse_cuscar(text)
    assert manifest is None
    read_back, _ = parse_interchange(text)
    report = contrl_report(read_back, errors)
    assert "UCM+1+CUSCAR:D:95B:UN+4'UCS+26+37'UCD+37+2:1'" in report


def test_a_2000_line_manifest_parses_well_under_a_second() -> None:
    text = cuscar_with_lines(2000)
    start = time.perf_counter()
    manifest, errors = parse_cuscar(text)
    elapsed = time.perf_counter() - start
    assert errors == [] and manifest is not None
    assert sum(len(d["goods"]) for d in manifest["documents"]) == 2000
    assert len(manifest["documents"]) == 20
    assert all(d["containers"] for d in manifest["documents"])
    print(f"2,000-line CUSCAR ({len(text):,} characters): {elapsed:.3f} s")
    if elapsed > 1.0:
        pytest.fail(f"parsing took {elapsed:.3f} s")
