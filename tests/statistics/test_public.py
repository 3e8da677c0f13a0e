"""The public pages, downloads and API: no login, nothing confidential, accessible, on a phone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from onewindow.config import get_settings
from tests.statistics.sample import DECLARATIONS, FOOD, PLANTS, write_sample

TRADERS = {row[1] for row in DECLARATIONS}


@pytest.fixture()
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_sample(tmp_path)
    monkeypatch.setattr(get_settings(), "statistics_dir", tmp_path)
    return tmp_path


def _no_trader(text: str) -> None:
    for trader in TRADERS:
        assert f'"{trader}"' not in text and f">{trader}<" not in text and f",{trader}," not in text
    assert 'traders"' not in text


def test_trade_page_is_public_and_withholds(client: TestClient, published: Path) -> None:
    page = client.get("/statistics?flow=import&month=2026-03&by=hs6")
    assert page.status_code == 200
    text = page.text
    assert '<svg class="chart"' in text and "<title id=" in text and "<desc id=" in text
    assert 'scope="col"' in text and 'scope="row"' in text
    assert re.search(r'data-label="Statistical value">c</td>', text)
    assert 'href="/statistics"' in text and 'href="/statistics/time-release"' in text
    _no_trader(text)


def test_time_release_page_names_the_bottleneck(
    client: TestClient, published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "statistics_min_traders", 1)
    page = client.get("/statistics/time-release?by=channel&first=2026-03&last=2026-03")
    assert page.status_code == 200
    assert "Inspection adds a median of 22 h to red-channel declarations" in page.text
    assert f"Permits from {PLANTS} add a median of 6.0 h to the release of the 3" in page.text
    assert "<svg" in page.text
    # The figures come from summaries: the page says how precise they are.
    assert "within half a minute or 0.8% of the exact one" in page.text
    _no_trader(page.text)
    by_agency = client.get("/statistics/time-release?by=agency&first=2026-03&last=2026-03")
    assert by_agency.status_code == 200
    assert f">{PLANTS}</th>" in by_agency.text and f">{FOOD}</th>" in by_agency.text
    assert "Permits (median, where waited for) (h)" in by_agency.text
    waited = client.get("/statistics/time-release.csv?by=waited&first=2026-03&last=2026-03")
    assert "2026-03,2026-03,permits + control + payment,1," in waited.text


def test_downloads(client: TestClient, published: Path) -> None:
    csv = client.get("/statistics/trade.csv?flow=import&month=2026-03&by=partner")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "import,2026-03,CO,c,c,c,c,c" in csv.text
    assert "import,2026-03,total,5,10750.00" in csv.text
    _no_trader(csv.text)
    parquet = client.get("/statistics/trade.parquet?flow=import&month=2026-03&by=hs2")
    assert parquet.status_code == 200 and parquet.content[:4] == b"PAR1"
    trs = client.get("/statistics/time-release.csv?by=aeo&first=2026-03&last=2026-03")
    assert trs.status_code == 200 and trs.text.startswith("from,to,aeo,")


def test_api_answers_null_for_withheld_cells(client: TestClient, published: Path) -> None:
    assert client.get("/api/v1/statistics/months").json() == ["2026-03"]
    answer = client.get("/api/v1/statistics/trade?flow=import&month=2026-03&by=hs2")
    assert answer.status_code == 200
    body = answer.json()
    cells = {c["code"]: c for c in body["cells"]}
    assert cells["42"]["confidential"] and cells["42"]["statistical_value"] is None
    assert cells["09"]["statistical_value"] == "10000.00"
    assert body["total"]["duties_taxes"] == "2225.00"
    _no_trader(answer.text)
    series = client.get("/api/v1/statistics/trade/series?flow=import&from=2026-01&to=2026-12")
    assert series.json()[0]["month"] == "2026-03"
    trs = client.get("/api/v1/statistics/time-release?from=2026-03&to=2026-03&by=all")
    assert trs.status_code == 200 and trs.json()["groups"][0]["consignments"] == 5
    assert "0.8%" in trs.json()["precision"]
    by_agency = client.get("/api/v1/statistics/time-release?from=2026-03&to=2026-03&by=agency")
    assert by_agency.status_code == 200
    # One trader waited for the food agency's permit (withheld), three for the plant agency's.
    groups = {g["group"]: g for g in by_agency.json()["groups"]}
    assert groups[FOOD]["confidential"] and groups[FOOD]["hours"]["permits_median"] is None
    assert groups[PLANTS]["hours"]["permits_median"] == pytest.approx(6.0, rel=1 / 128)
    bad = client.get("/api/v1/statistics/trade?flow=import&month=March&by=hs2")
    assert bad.status_code == 422
