"""``onewindow risk evaluate`` prints the figures the issue names, as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from onewindow.config import get_settings

DATA = get_settings().data_dir / "customs-declarations"


@pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} is missing")
def test_evaluate_prints_precision_recall_and_critical_recall(tmp_path: Path) -> None:
    # A slice of each file keeps the test quick; the benchmark runs the full data.
    for name, rows in (("df_syn_train_eng.csv", 6000), ("df_syn_valid_eng.csv", 2000)):
        lines = (DATA / name).read_text().splitlines()[: rows + 1]
        (tmp_path / name).write_text("\n".join(lines) + "\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "onewindow",
            "risk",
            "evaluate",
            "--train",
            str(tmp_path / "df_syn_train_eng.csv"),
            "--test",
            str(tmp_path / "df_syn_valid_eng.csv"),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout)
    assert set(figures) == {"precision_at", "recall_at", "critical_recall_at"}
    for values in figures.values():
        assert set(values) == {"1", "2", "5", "10"}
        assert all(0.0 <= v <= 1.0 for v in values.values())
    # Learned, not random: the top 5% are mostly frauds even on a small slice.
    assert figures["precision_at"]["5"] > 0.5


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "onewindow",
            "risk",
            "evaluate",
            "--train",
            str(tmp_path / "nope.csv"),
            "--test",
            str(tmp_path / "nope.csv"),
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )
    assert run.returncode == 2
    assert "nope.csv does not exist" in run.stderr


def test_training_from_inspections_needs_enough_inspected_goods() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "onewindow", "risk", "train", "--from-inspections", "1"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert run.returncode == 2
    assert "too few to learn from" in run.stdout
