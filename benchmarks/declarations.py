"""Lodging throughput: concurrent clients lodge 10-item import declarations over HTTP.

Each request is carried through validation, acceptance and duty assessment (with its payment
request) before the answer, as in production. Prints declarations per second and latency
percentiles. Runs the server itself, on SQLite by default or on the database you name:

    .venv/bin/python benchmarks/declarations.py [--database-url URL] [--seconds 20]
        [--clients 32] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.declarations.factory import BASE  # noqa: E402


def ten_items() -> dict[str, Any]:
    body = copy.deepcopy(BASE)
    item = body["items"][0]
    body["items"] = []
    for n in range(1, 11):
        line = copy.deepcopy(item)
        line["sequence"] = n
        line["packages"] = [{"type": "CT", "count": 3}]
        line["value"] = {"amount": "1000.00", "currency": "USD"}
        body["items"].append(line)
    body["total_packages"] = 30
    body["invoice"] = {"amount": "10000.00", "currency": "USD"}
    return body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "onewindow", *args], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return done.stdout.strip()


ANSWERED = {"awaiting_payment", "under_control"}
"""Where a valid declaration stands when lodging answers: assessed and awaiting payment, or
selected for control (random selection at the configured rate)."""


async def client_loop(
    client: httpx.AsyncClient,
    token: str,
    stop: float,
    latencies: list[float],
    errors: list[str],
    selected: list[int] | None = None,
) -> None:
    template = ten_items()
    while time.perf_counter() < stop:
        body = dict(template, declarant_reference="B-" + uuid.uuid4().hex[:20])
        started = time.perf_counter()
        response = await client.post(
            "/api/v1/declarations", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        latencies.append(time.perf_counter() - started)
        status = response.json().get("status") if response.status_code == 201 else None
        if status not in ANSWERED:
            errors.append(f"{response.status_code} {response.text[:200]}")
        elif status == "under_control" and selected is not None:
            selected.append(1)


async def drive(base_url: str, token: str, seconds: float, clients: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    selected: list[int] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        # Warm up: caches of reference data, connection pools.
        await client_loop(client, token, time.perf_counter() + 2, [], [])
        started = time.perf_counter()
        stop = started + seconds
        await asyncio.gather(
            *(client_loop(client, token, stop, latencies, errors, selected) for _ in range(clients))
        )
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {
        "declarations": len(latencies),
        "errors": len(errors),
        "selected": len(selected),
        "first_error": errors[0] if errors else "",
        "per_second": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(ordered) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--no-event-worker",
        action="store_true",
        help="measure lodging alone: events wait for a separate `onewindow worker`",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="onewindow-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": url,
        "ONEWINDOW_SECRET_KEY": "benchmark-secret-key-0123456789-abcdefghij",
        "ONEWINDOW_LOG_LEVEL": "WARNING",
        "ONEWINDOW_RUN_WORKER": "false" if args.no_event_worker else "true",
    }
    _run(env, "init", "--demo")
    token = _run(
        env,
        "parties",
        "issue-token",
        "--email",
        "trader@onewindow.example",
        "--name",
        "bench",
        "--scope",
        "declarations:write",
        "--scope",
        "declarations:read",
    ).splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "onewindow",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base_url}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        result = asyncio.run(drive(base_url, token, args.seconds, args.clients))
    finally:
        server.terminate()
        server.wait(timeout=20)
    engine = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"database              {engine}")
    print(f"server workers        {args.workers}")
    print(f"event worker          {'off' if args.no_event_worker else 'in each server process'}")
    print(f"concurrent clients    {args.clients}")
    print(f"declarations lodged   {result['declarations']} (10 items each)")
    print(f"selected for control  {result['selected']} (random selection)")
    print(f"errors                {result['errors']} {result['first_error']}")
    print(f"declarations/second   {result['per_second']:.1f}")
    print(
        f"latency ms            p50 {result['p50_ms']:.1f}  p95 {result['p95_ms']:.1f}  "
        f"p99 {result['p99_ms']:.1f}  mean {result['mean_ms']:.1f}"
    )


if __name__ == "__main__":
    main()
