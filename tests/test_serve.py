"""``onewindow serve`` as operators run it: several server processes, JSON logs from each."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import onewindow

METRICS_TOKEN = "metrics-token-for-the-serve-test-0123456789"
SRC = Path(onewindow.__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_with_two_workers_logs_json_request_lines(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "ONEWINDOW_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "ONEWINDOW_LOG_LEVEL": "INFO",
        "ONEWINDOW_RUN_WORKER": "false",
        "ONEWINDOW_METRICS_TOKEN": METRICS_TOKEN,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-m", "onewindow"]
    subprocess.run(
        [*command, "init", "--skip-locations"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    server = subprocess.Popen(
        [*command, "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        answer = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/healthz",
                    headers={"X-Request-ID": "serve-test-0001"},
                    timeout=5,
                )
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert answer is not None and answer.status_code == 200, "the server did not answer"
        assert answer.headers["x-request-id"] == "serve-test-0001"
        # Each request on a new connection: both processes answer some of them.
        for _ in range(40):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        metrics = httpx.get(
            f"http://127.0.0.1:{port}/metrics",
            headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
            timeout=5,
        ).text
    finally:
        server.terminate()
        try:
            _, stderr = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            _, stderr = server.communicate()
    lines = []
    for line in stderr.splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    requests = [
        entry
        for entry in lines
        if entry.get("message") == "request" and entry.get("request_id") == "serve-test-0001"
    ]
    assert requests, stderr[-3000:]
    assert requests[0]["path"] == "/healthz" and requests[0]["status"] == 200
    # The metrics of every server process, whichever answers /metrics.
    served = re.search(
        r'^onewindow_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)$',
        metrics,
        re.M,
    )
    assert served is not None, metrics[:2000]
    assert float(served.group(1)) == 41
