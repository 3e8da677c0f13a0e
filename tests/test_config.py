"""A bad setting stops start-up with one sentence naming it, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from onewindow.config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("port", 70000, "ONEWINDOW_PORT"),
        (
            "database_url",
            "mysql://x",
            "ONEWINDOW_DATABASE_URL must start with sqlite: or postgresql",
        ),
        ("secret_key", "short", "ONEWINDOW_SECRET_KEY must be at least 32 characters long"),
        ("time_zone", "Mars/Olympus", "ONEWINDOW_TIME_ZONE"),
    ],
)
def test_a_bad_setting_is_named(name: str, value: object, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**{name: value})
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_secret_is_explained() -> None:
    settings = load_settings(secret_key="")
    with pytest.raises(ConfigError, match="ONEWINDOW_SECRET_KEY is not set"):
        settings.require_secret()


def test_the_command_prints_one_sentence_and_no_traceback() -> None:
    env = {**os.environ, "ONEWINDOW_PORT": "not-a-port"}
    run = subprocess.run(
        [sys.executable, "-m", "onewindow", "migrate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 2
    assert "ONEWINDOW_PORT" in run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
