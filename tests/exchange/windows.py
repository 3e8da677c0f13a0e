"""Two onewindow instances as real servers on loopback: each its own SQLite database, key and
country, each registered as the other's partner (the two-window test and the benchmark)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

import onewindow

SRC = Path(onewindow.__file__).resolve().parents[1]
ROOT = SRC.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Window:
    """One single window: ``init`` (or a copy of a database made by another), ``serve``."""

    def __init__(self, folder: Path, country: str, currency: str, port: int) -> None:
        self.folder, self.country, self.currency, self.port = folder, country, currency, port
        folder.mkdir(parents=True, exist_ok=True)
        self.database = folder / "onewindow.db"
        self.process: subprocess.Popen[str] | None = None
        self.log = folder / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": f"{SRC}{os.pathsep}{ROOT}",
            "ONEWINDOW_DATABASE_URL": f"sqlite:///{self.database}",
            "ONEWINDOW_SECRET_KEY": f"{self.country}-secret-key-long-enough-0123456789abcdef",
            "ONEWINDOW_COUNTRY": self.country,
            "ONEWINDOW_CURRENCY": self.currency,
            "ONEWINDOW_LOG_LEVEL": "WARNING",
            "ONEWINDOW_AUDIT_CHECKPOINT_FILE": str(self.folder / "audit.jsonl"),
            "ONEWINDOW_STATISTICS_DIR": str(self.folder / "statistics"),
            "ONEWINDOW_STATISTICS_EXPORT_SECONDS": "3600",
            "ONEWINDOW_WORKER_INTERVAL_SECONDS": "0.05",
            "ONEWINDOW_EXCHANGE_RETRY_SECONDS": "0.5",
            **extra,
        }

    def cli(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "onewindow", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"onewindow {' '.join(args)}: {done.stderr[-2000:]}")
        return done.stdout

    def script(self, *args: object) -> Any:
        """Run a step of ``tests.exchange.scenario`` inside this window; its JSON answer."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.exchange.scenario", *map(str, args)],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=180,
            cwd=ROOT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"scenario {args}: {done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def init_from(self, other: Window | None) -> None:
        """A migrated database with reference data: made, or copied from ``other``'s."""
        if other is None:
            self.cli("init", "--skip-locations")
        else:
            # The backup API, not a file copy: the source's WAL holds recent pages.
            with sqlite3.connect(other.database) as source, sqlite3.connect(self.database) as copy:
                source.backup(copy)

    def make_key(self) -> Path:
        self.cli("exchange", "keys", "make", str(self.folder / "keys"))
        return next((self.folder / "keys").glob("*.crt"))

    def partner_with(self, other: Window, certificate: Path) -> None:
        self.cli(
            "exchange",
            "partners",
            "add",
            other.country,
            other.url,
            "--certificate",
            str(certificate),
            "--name",
            f"{other.country} single window",
        )

    def start(self, **extra: str) -> None:
        out = self.log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "onewindow", "serve", "--port", str(self.port)],
            env=self.env(**extra),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.country} did not start: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.country} did not answer in time")

    def kill(self) -> None:
        """kill -9: no goodbye, no flush (what a crash does)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def pair(folder: Path, *, exporting: str = "IE", importing: str = "GB") -> tuple[Window, Window]:
    """Two windows made ready (not started): databases, keys, each the other's partner."""
    a = Window(folder / exporting, exporting, "EUR", free_port())
    b = Window(folder / importing, importing, "GBP", free_port())
    a.init_from(None)
    b.init_from(a)
    cert_a, cert_b = a.make_key(), b.make_key()
    a.partner_with(b, cert_b)
    b.partner_with(a, cert_a)
    return a, b
