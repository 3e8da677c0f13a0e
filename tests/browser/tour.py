"""A tour of the portal: each role's home and main pages, on a server with the demo data.

The accessibility test walks it in Chromium, and ``screenshots.py`` photographs it at desktop
and phone sizes, so both cover the same pages. A page that lists records is followed to the
first record's own page, so detail pages are toured too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

DEMO_PASSWORD = "onewindow-demo-2026"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Stop:
    """A page of the tour: ``path``, then (if ``follow``) the first link matching it there."""

    path: str
    follow: str = ""


TOUR: dict[str, list[Stop]] = {
    "public": [
        Stop("/"),
        Stop("/login"),
        Stop("/hs"),
        Stop("/hs/0901"),
        Stop("/hs/090121"),
        Stop("/hs/09012100"),
        Stop("/requirements"),
        Stop("/statistics"),
        Stop("/statistics/time-release"),
        Stop("/help"),
        Stop("/accessibility"),
        Stop("/no-such-page"),
    ],
    "trader": [
        Stop("/"),
        Stop("/declarations"),
        Stop("/declarations", "main td a[href^='/declarations/']"),
        Stop("/declarations/new"),
        Stop("/declarations/new?commodity_code=09012100"),
        Stop("/mandates"),
        Stop("/permits"),
        Stop("/permits", "main a[href^='/permits/applications/']"),
        Stop("/aeo"),
        Stop("/payments"),
        Stop("/payments", "main a[href^='/payments/receipts/']"),
        Stop("/cargo/track"),
        Stop("/notifications"),
    ],
    "broker": [Stop("/"), Stop("/declarations"), Stop("/mandates")],
    "carrier": [Stop("/"), Stop("/cargo"), Stop("/cargo", "main a[href^='/cargo/calls/']")],
    "terminal": [Stop("/"), Stop("/cargo"), Stop("/cargo/gate")],
    "port": [Stop("/"), Stop("/cargo")],
    "officer": [
        Stop("/"),
        Stop("/declarations"),
        Stop("/declarations", "main td a[href^='/declarations/']"),
        Stop("/risk"),
        Stop("/risk/profiles"),
        Stop("/risk/inspections"),
        Stop("/risk/lists"),
        Stop("/cargo"),
        Stop("/aeo"),
        Stop("/aeo", "main a[href^='/aeo/applications/']"),
        Stop("/aeo/partners"),
        Stop("/exchange"),
    ],
    "agency": [
        Stop("/"),
        Stop("/permits"),
        Stop("/permits", "main a[href^='/permits/applications/']"),
        Stop("/requirements"),
    ],
    "admin": [Stop("/"), Stop("/exchange"), Stop("/aeo/partners")],
}
"""Who sees what: each demo login (its e-mail's local part) and the pages it works in."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo_server(port: int | None = None) -> Iterator[str]:
    """A server over a fresh database with the demo data, in a temporary folder; its address."""
    with tempfile.TemporaryDirectory(prefix="onewindow-tour-") as folder:
        env = {
            **os.environ,
            "ONEWINDOW_DATABASE_URL": f"sqlite:///{Path(folder) / 'tour.db'}",
            "ONEWINDOW_STATISTICS_DIR": str(Path(folder) / "statistics"),
            "ONEWINDOW_AUDIT_CHECKPOINT_FILE": str(Path(folder) / "audit-head.jsonl"),
            "ONEWINDOW_SECRET_KEY": os.environ.get("ONEWINDOW_SECRET_KEY", "tour-" + "k" * 40),
        }
        subprocess.run(
            [sys.executable, "-m", "onewindow", "init", "--demo"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = port or _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "onewindow", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise RuntimeError("the demo server did not start")
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


def log_in(page, base_url: str, who: str) -> None:  # type: ignore[no-untyped-def]
    """Log a Playwright page in as a demo user ("public" stays anonymous)."""
    if who == "public":
        return
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(f"{who}@onewindow.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")


def visit(page, base_url: str, stop: Stop) -> str:  # type: ignore[no-untyped-def]
    """Open a stop of the tour; returns the path shown (the followed record's, if any)."""
    page.goto(f"{base_url}{stop.path}")
    if stop.follow:
        link = page.locator(stop.follow).first
        if link.count():
            link.click()
            page.wait_for_load_state()
    return page.url.removeprefix(base_url)
