"""Where the server's CPU goes: each stage of lodging is counted on its own."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from onewindow.stages import stage
from tests.conftest import Party
from tests.declarations.factory import declaration

LODGING_STAGES = ("authenticate", "parties", "store", "validate", "risk", "assess", "flush")


def _cpu(name: str) -> float:
    value = REGISTRY.get_sample_value("onewindow_stage_cpu_seconds_total", {"stage": name})
    return value or 0.0


def _spin(seconds: float) -> None:
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def test_a_nested_stage_is_charged_to_itself_not_to_the_stage_around_it() -> None:
    outer, inner = _cpu("test-outer"), _cpu("test-inner")
    with stage("test-outer"):
        _spin(0.01)
        with stage("test-inner"):
            _spin(0.05)
        _spin(0.01)
    charged_outer = _cpu("test-outer") - outer
    charged_inner = _cpu("test-inner") - inner
    assert charged_inner >= 0.05
    assert 0.02 <= charged_outer < 0.045  # its own 20 ms, not the inner 50 ms


def test_lodging_counts_its_cpu_by_stage(client: TestClient, party: Party) -> None:
    before = {name: _cpu(name) for name in (*LODGING_STAGES, "commit")}
    answer = client.post("/api/v1/declarations", json=declaration(), headers=party.auth)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] in {"awaiting_payment", "under_control"}
    grown = {name for name, value in before.items() if _cpu(name) > value}
    assert grown == {*LODGING_STAGES, "commit"}
