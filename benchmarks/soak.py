"""Soak run: eight clients of an ordinary working day for minutes, against PostgreSQL.

Traders lodge declarations and pay them through the simulated bank (or their deferred account);
an officer places, lifts and releases holds; everyone reads. The server runs with its event
worker (bank callbacks, release on payment) in each process. At the end it prints the requests
by status, the 5xx, the PostgreSQL deadlocks (``pg_stat_database.deadlocks`` and the server log)
and runs ``onewindow audit verify``. Loopback only; bounded in time and in requests:

    .venv/bin/python benchmarks/soak.py --database-url postgresql+psycopg://postgres@127.0.0.1/ow_soak
        [--minutes 10] [--clients 8] [--workers 2] [--max-requests 200000] [--skip-init]

The database should be a fresh one (``createdb``); the script runs ``onewindow init --demo``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.declarations import ten_items  # noqa: E402

SECRET = "soak-secret-key-0123456789-abcdefghijklmnop"


@dataclass
class Tally:
    """What the clients saw, shared by all of them (one event loop: no lock needed)."""

    stop: float
    budget: int
    by_status: collections.Counter[str] = field(default_factory=collections.Counter)
    by_action: collections.Counter[str] = field(default_factory=collections.Counter)
    server_errors: list[str] = field(default_factory=list)
    lodged: list[int] = field(default_factory=list)

    def more(self) -> bool:
        return time.monotonic() < self.stop and sum(self.by_status.values()) < self.budget


async def call(
    client: httpx.AsyncClient, tally: Tally, action: str, method: str, url: str, **kw: Any
) -> httpx.Response | None:
    tally.by_action[action] += 1
    try:
        response = await client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        tally.by_status[f"transport error ({type(exc).__name__})"] += 1
        return None
    tally.by_status[str(response.status_code)] += 1
    if response.status_code >= 500:
        tally.server_errors.append(f"{action} {response.status_code} {response.text[:200]}")
    return response


async def lodge(client: httpx.AsyncClient, tally: Tally, trader: dict[str, str]) -> None:
    body = dict(ten_items(), declarant_reference="S-" + uuid.uuid4().hex[:20])
    response = await call(
        client, tally, "lodge", "POST", "/api/v1/declarations", json=body, headers=trader
    )
    if response is not None and response.status_code == 201:
        tally.lodged.append(int(response.json()["id"]))


async def pay(client: httpx.AsyncClient, tally: Tally, trader: dict[str, str]) -> None:
    response = await call(
        client,
        tally,
        "list open requests",
        "GET",
        "/api/v1/payment-requests",
        params={"status": "open", "limit": 20},
        headers=trader,
    )
    if response is None or response.status_code != 200 or not response.json():
        return
    request = random.choice(response.json())
    method = "deferment" if random.random() < 0.1 else "bank"
    await call(
        client,
        tally,
        f"pay ({method})",
        "POST",
        f"/api/v1/payment-requests/{request['id']}/pay",
        json={"method": method},
        headers=trader,
    )


async def officer_act(client: httpx.AsyncClient, tally: Tally, officer: dict[str, str]) -> None:
    if not tally.lodged:
        return
    declaration_id = random.choice(tally.lodged[-200:])
    base = f"/api/v1/declarations/{declaration_id}"
    response = await call(client, tally, "officer read", "GET", base, headers=officer)
    if response is None or response.status_code != 200:
        return
    declaration = response.json()
    open_holds = [h for h in declaration["holds"] if h["lifted_at"] is None]
    control = [h for h in open_holds if h["kind"] != "payment"]
    status = declaration["status"]
    if status == "under_control" and random.random() < 0.5:
        await call(
            client,
            tally,
            "release",
            "POST",
            f"{base}/release",
            json={"reason": "documents checked"},
            headers=officer,
        )
    elif control:
        hold = random.choice(control)
        await call(
            client,
            tally,
            "lift hold",
            "POST",
            f"{base}/holds/{hold['id']}/lift",
            json={"reason": "checked, in order"},
            headers=officer,
        )
    elif status in {"accepted", "assessed", "awaiting_payment", "paid", "guaranteed"}:
        await call(
            client,
            tally,
            "place hold",
            "POST",
            f"{base}/holds",
            json={"kind": "documentary-check", "reason": "soak: check the invoice"},
            headers=officer,
        )


async def read(client: httpx.AsyncClient, tally: Tally, trader: dict[str, str]) -> None:
    await call(
        client, tally, "list", "GET", "/api/v1/declarations", params={"limit": 20}, headers=trader
    )
    if tally.lodged:
        declaration_id = random.choice(tally.lodged)
        await call(
            client,
            tally,
            "timeline",
            "GET",
            f"/api/v1/declarations/{declaration_id}/timeline",
            headers=trader,
        )


async def client_loop(
    client: httpx.AsyncClient, tally: Tally, trader: dict[str, str], officer: dict[str, str]
) -> None:
    while tally.more():
        roll = random.random()
        if roll < 0.35:
            await lodge(client, tally, trader)
        elif roll < 0.65:
            await pay(client, tally, trader)
        elif roll < 0.85:
            await officer_act(client, tally, officer)
        else:
            await read(client, tally, trader)


async def drive(base_url: str, tokens: dict[str, str], args: argparse.Namespace) -> Tally:
    tally = Tally(stop=time.monotonic() + args.minutes * 60, budget=args.max_requests)
    trader = {"Authorization": f"Bearer {tokens['trader']}"}
    officer = {"Authorization": f"Bearer {tokens['officer']}"}
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        await asyncio.gather(
            *(client_loop(client, tally, trader, officer) for _ in range(args.clients))
        )
    return tally


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _onewindow(env: dict[str, str], *args: str, check: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "onewindow", *args], env=env, capture_output=True, text=True
    )
    if check and done.returncode:
        raise SystemExit(done.stderr or done.stdout)
    return (done.stdout + done.stderr).strip()


def _token(env: dict[str, str], email: str, *scopes: str) -> str:
    options = [part for scope in scopes for part in ("--scope", scope)]
    out = _onewindow(env, "parties", "issue-token", "--email", email, "--name", "soak", *options)
    # The secret is printed alone on its line; the expiry follows on standard error.
    return next(line for line in out.splitlines() if line.startswith("ow_"))


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(count)


def _deadlocks(url: str) -> int:
    sql = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    return _count(url, sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL URL")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--skip-init", action="store_true", help="the database is ready")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("the soak run counts PostgreSQL deadlocks: give a postgresql URL")

    tmp = Path(tempfile.mkdtemp(prefix="onewindow-soak-"))
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": args.database_url,
        "ONEWINDOW_SECRET_KEY": SECRET,
        "ONEWINDOW_LOG_LEVEL": "WARNING",
        "ONEWINDOW_RUN_WORKER": "true",
        "ONEWINDOW_AUDIT_CHECKPOINT_FILE": str(tmp / "audit-checkpoints.jsonl"),
        "ONEWINDOW_AUDIT_CHECKPOINT_SECONDS": "10",
    }
    if not args.skip_init:
        _onewindow(env, "init", "--demo")
    tokens = {
        "trader": _token(
            env,
            "trader@onewindow.example",
            "declarations:write",
            "declarations:read",
            "payments:read",
            "payments:write",
        ),
        "officer": _token(
            env, "officer@onewindow.example", "declarations:read", "declarations:control"
        ),
    }
    deadlocks_before = _deadlocks(args.database_url)
    port = _free_port()
    log_path = tmp / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "onewindow",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{base_url}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
            started = time.monotonic()
            tally = asyncio.run(drive(base_url, tokens, args))
            elapsed = time.monotonic() - started
            time.sleep(3)  # the event workers deliver what the last requests left
        finally:
            server.terminate()
            server.wait(timeout=30)
    deadlocks = _deadlocks(args.database_url) - deadlocks_before
    # A worker that falls behind shows here: events still waiting when the clients stopped.
    backlog = _count(
        args.database_url, "SELECT count(*) FROM outbox_event WHERE delivered_at IS NULL"
    )
    server_log = log_path.read_text(errors="replace")
    logged_deadlocks = len(re.findall(r"deadlock detected", server_log))
    tracebacks = server_log.count("Traceback (most recent call last)")
    checkpoint = _onewindow(env, "audit", "checkpoint", check=False)
    verify = _onewindow(env, "audit", "verify", check=False)
    total = sum(tally.by_status.values())

    print(
        f"duration              {elapsed / 60:.1f} min, {args.clients} clients, "
        f"{args.workers} server processes with their event workers"
    )
    print(f"requests              {total} ({total / elapsed:.1f}/s, indicative only)")
    print(
        "by status             "
        + ", ".join(f"{k}: {v}" for k, v in sorted(tally.by_status.items()))
    )
    print(
        "by action             "
        + ", ".join(f"{k}: {v}" for k, v in sorted(tally.by_action.items()))
    )
    print(f"declarations lodged   {len(tally.lodged)}")
    print(f"5xx                   {len(tally.server_errors)}")
    for line in tally.server_errors[:5]:
        print(f"    {line}")
    print(f"outbox undelivered    {backlog} (3 s after the clients stopped)")
    print(f"deadlocks (pg_stat)   {deadlocks}")
    print(f"deadlocks (log)       {logged_deadlocks}")
    print(f"tracebacks in log     {tracebacks}  ({log_path})")
    print(f"audit checkpoint      {checkpoint}")
    print(f"audit verify          {verify}")
    if tally.server_errors or deadlocks or logged_deadlocks or "intact" not in verify:
        sys.exit(1)


if __name__ == "__main__":
    main()
