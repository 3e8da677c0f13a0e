"""Lodging throughput: 10-item import declarations over HTTP, against what the database alone
sustains for the same rows, in the same run.

1. Storage alone: writer processes insert, for each declaration in one transaction, the rows
   that lodging one writes (read back from one real lodging; ``benchmarks/lodging/storage.py``).
2. The whole path over HTTP: each request is carried through validation, acceptance, risk and
   duty assessment (with its payment request) before the answer, as in production, from a load
   generator that is not itself the limit (``wrk`` when installed, else Python processes). Only
   answers that reached their payment request or control count.
3. Where the CPU goes: the API processes' CPU per declaration split by stage (from the server's
   /metrics), the database's and the load generator's.

Runs the servers itself, on SQLite by default or on the database you name:

    .venv/bin/python benchmarks/declarations.py [--database-url URL] [--seconds 20]
        [--connections 32] [--workers 2] [--event-workers 0]

``--workers`` API processes; ``--event-workers N`` runs N ``onewindow worker`` processes and
none in the API processes (0: each API process runs its own, as ``make run`` does).
"""

from __future__ import annotations

import argparse
import copy
import os
import socket
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

from benchmarks.lodging import cpu, load, storage  # noqa: E402
from tests.declarations.factory import BASE  # noqa: E402

METRICS_TOKEN = "benchmark-metrics-token"


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


def _template(env: dict[str, str], url: str) -> storage.Template:
    """The rows one lodging writes, from a lodging through the services in this process."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    from sqlalchemy import select

    from onewindow.clearance import service as clearance
    from onewindow.db import engine_for, session_scope
    from onewindow.declarations.schemas import DeclarationIn
    from onewindow.parties import service as parties
    from onewindow.parties.models import User

    def lodge_one() -> int:
        with session_scope(url) as session:
            user = session.scalars(
                select(User).where(User.email == "trader@onewindow.example")
            ).one()
            principal = parties.principal_for_user(user, "token")
            body = DeclarationIn.model_validate(
                dict(ten_items(), declarant_reference="T-" + uuid.uuid4().hex[:20])
            )
            return clearance.lodge(session, principal, body).declaration.id

    template = storage.capture(engine_for(url), lodge_one)
    engine_for(url).dispose()
    return template


def _events(url: str) -> tuple[int, int]:
    """Outbox events delivered so far, and waiting."""
    from sqlalchemy import text

    from onewindow.db import engine_for

    with engine_for(url).connect() as connection:
        delivered, waiting = connection.execute(
            text("SELECT count(delivered_at), count(*) - count(delivered_at) FROM outbox_event")
        ).one()
    engine_for(url).dispose()
    return int(delivered), int(waiting)


def _start(
    env: dict[str, str], args: argparse.Namespace, port: int
) -> list[subprocess.Popen[bytes]]:
    log = open(Path(env["ONEWINDOW_STATISTICS_DIR"]).parent / "servers.log", "ab")  # noqa: SIM115
    command = [sys.executable, "-m", "onewindow"]
    servers = [
        subprocess.Popen(
            [*command, "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=log,
            stderr=log,
        )
    ]
    # The event workers' metrics apart from the API processes' (the split is the API's).
    apart = {**env, "PROMETHEUS_MULTIPROC_DIR": env["PROMETHEUS_MULTIPROC_DIR"] + "-workers"}
    Path(apart["PROMETHEUS_MULTIPROC_DIR"]).mkdir(exist_ok=True)
    servers += [
        subprocess.Popen([*command, "worker"], env=apart, stdout=log, stderr=log)
        for _ in range(args.event_workers)
    ]
    return servers


def _drive(
    args: argparse.Namespace, base_url: str, token: str, seconds: float, connections: int
) -> dict[str, Any]:
    body = ten_items()
    if args.driver == "wrk" or (args.driver == "auto" and load.have_wrk()):
        result = load.run_wrk(base_url, token, body, seconds=seconds, connections=connections)
        result["driver"] = f"wrk, 2 threads, {args.connections} connections"
    else:
        result = load.run_python(
            base_url,
            token,
            body,
            seconds=seconds,
            connections=connections,
            processes=min(args.load_processes, connections),
        )
        result["driver"] = f"{args.load_processes} Python processes, {args.connections} connections"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", "--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="API server processes")
    parser.add_argument("--event-workers", type=int, default=0)
    parser.add_argument(
        "--no-event-worker",
        action="store_true",
        help="measure lodging alone: no event worker runs (events wait in the outbox)",
    )
    parser.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--load-processes", type=int, default=2)
    parser.add_argument("--storage-clients", type=int, default=8)
    parser.add_argument("--storage-seconds", type=float, default=10)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="onewindow-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    env = {
        **os.environ,
        "ONEWINDOW_DATABASE_URL": url,
        "ONEWINDOW_SECRET_KEY": "benchmark-secret-key-0123456789-abcdefghij",
        "ONEWINDOW_LOG_LEVEL": "WARNING",
        "ONEWINDOW_METRICS_TOKEN": METRICS_TOKEN,
        "ONEWINDOW_AUDIT_CHECKPOINT_FILE": str(tmp / "audit-checkpoints.jsonl"),
        "ONEWINDOW_STATISTICS_DIR": str(tmp / "statistics"),
        "ONEWINDOW_RUN_WORKER": "false" if args.no_event_worker or args.event_workers else "true",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
    }
    (tmp / "metrics").mkdir()
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

    template = _template(env, url)
    alone = storage.sustained(
        url, template, clients=args.storage_clients, seconds=args.storage_seconds
    )

    port = _free_port()
    processes = _start(env, args, port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base_url}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        # Warm up each process's caches one request at a time, then its connection pools.
        _drive(args, base_url, token, 3, 1)
        _drive(args, base_url, token, 2, args.connections)
        stages_before = cpu.stage_cpu(base_url, METRICS_TOKEN)
        server_before = sum(cpu.tree_cpu(p.pid) for p in processes[:1])
        workers_before = sum(cpu.tree_cpu(p.pid) for p in processes[1:])
        database_before = cpu.postgres_cpu()
        delivered_before, _ = _events(url)
        result = _drive(args, base_url, token, args.seconds, args.connections)
        delivered, waiting = _events(url)
        server_cpu = sum(cpu.tree_cpu(p.pid) for p in processes[:1]) - server_before
        workers_cpu = sum(cpu.tree_cpu(p.pid) for p in processes[1:]) - workers_before
        database_cpu = cpu.postgres_cpu() - database_before
        stages_after = cpu.stage_cpu(base_url, METRICS_TOKEN)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    engine = "postgresql" if url.startswith("postgresql") else "sqlite"
    event_worker = (
        "off"
        if args.no_event_worker
        else f"{args.event_workers} separate processes"
        if args.event_workers
        else "in each server process"
    )
    n = max(result["declarations"], 1)
    print(f"database              {engine}")
    print(f"server workers        {args.workers}")
    print(f"event worker          {event_worker}")
    print(f"load generator        {result['driver']}")
    print(f"declarations lodged   {result['declarations']} (10 items each)")
    print(f"selected for control  {result['selected']} (random selection)")
    print(f"errors                {result['errors']} {result['first_error']}")
    print(f"declarations/second   {result['per_second']:.1f}")
    print(
        f"latency ms            p50 {result['p50_ms']:.1f}  p95 {result['p95_ms']:.1f}  "
        f"p99 {result['p99_ms']:.1f}  mean {result['mean_ms']:.1f}"
    )
    print(
        f"storage alone         {alone['per_second']:.1f} declarations/second "
        f"({template.describe()}; {args.storage_clients} writer processes, "
        f"p99 {alone['p99_ms']:.1f} ms)"
    )
    print(f"ratio to storage      {100 * result['per_second'] / alone['per_second']:.1f}%")
    print(
        f"events                {(delivered - delivered_before) / n:.1f} delivered a declaration "
        f"during the run ({template.events} written), {waiting} waiting at its end"
    )
    stages = {k: stages_after.get(k, 0.0) - stages_before.get(k, 0.0) for k in stages_after}
    staged = sum(stages.values())
    print(f"CPU ms/declaration    API processes {1000 * server_cpu / n:.2f}, of which by stage:")
    for name, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
        if seconds > 0:
            print(f"  {name:<20}{1000 * seconds / n:6.2f}")
    print(
        f"  {'outside the stages':<20}{1000 * (server_cpu - staged) / n:6.2f}"
        "  (HTTP, JSON, framework, event worker)"
    )
    if args.event_workers:
        print(f"                      event workers {1000 * workers_cpu / n:.2f}")
    if engine == "postgresql":
        print(f"                      PostgreSQL {1000 * database_cpu / n:.2f}")
    print(f"                      load generator {1000 * result['driver_cpu_s'] / n:.2f}")


if __name__ == "__main__":
    main()
