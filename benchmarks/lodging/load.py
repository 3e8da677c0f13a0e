"""Load generators for the lodging benchmark: ``wrk`` (C, scripted in Lua) when it is installed,
else several Python client processes. Either way each request lodges a new declaration (a new
reference) and counts only when it reached its payment request or control.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from benchmarks.lodging import in_processes

ANSWERED = ("awaiting_payment", "under_control")
"""Where a valid declaration stands when lodging answers: assessed and awaiting payment, or
selected for control (random selection at the configured rate)."""

MARK = "@@REF@@"

WRK_SCRIPT = r"""
local counter = 0
local threads = {}
ok, errors, selected = 0, 0, 0
first_error = ""
local head, tail

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local file = io.open(args[1], "r")
  local body = file:read("*a")
  file:close()
  local at = string.find(body, "@@REF@@", 1, true)
  head = string.sub(body, 1, at - 1)
  tail = string.sub(body, at + 7)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  prefix = args[3] .. "-" .. id .. "-"
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, head .. prefix .. counter .. tail)
end

function response(status, headers, body)
  if status == 201 and (string.find(body, '"status":"awaiting_payment"', 1, true)
      or string.find(body, '"status":"under_control"', 1, true)) then
    ok = ok + 1
    if string.find(body, '"status":"under_control"', 1, true) then selected = selected + 1 end
  else
    errors = errors + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body, 1, 160) end
  end
end

function done(summary, latency, requests)
  local o, e, s, f = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    o = o + thread:get("ok")
    e = e + thread:get("errors")
    s = s + thread:get("selected")
    if f == "" then f = thread:get("first_error") end
  end
  io.write(string.format(
    "RESULT ok=%d errors=%d selected=%d seconds=%.3f p50=%d p95=%d p99=%d mean=%d\n",
    o, e, s, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean))
  io.write("FIRST_ERROR " .. string.gsub(f, "\n", " ") .. "\n")
end
"""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _body_file(folder: Path, body: dict[str, Any]) -> Path:
    text = json.dumps(dict(body, declarant_reference=MARK), separators=(",", ":"))
    path = folder / "body.json"
    path.write_text(text)
    return path


def run_wrk(
    base_url: str, token: str, body: dict[str, Any], *, seconds: float, connections: int
) -> dict[str, Any]:
    """Lodge with wrk for ``seconds``; the figures and the CPU wrk used."""
    folder = Path(tempfile.mkdtemp(prefix="onewindow-wrk-"))
    script = folder / "lodge.lua"
    script.write_text(WRK_SCRIPT)
    body_path = _body_file(folder, body)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"{base_url}/api/v1/declarations",
            "--",
            str(body_path),
            token,
            "W" + uuid.uuid4().hex[:8],
        ],
        capture_output=True,
        text=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    found = re.search(
        r"RESULT ok=(\d+) errors=(\d+) selected=(\d+) seconds=([\d.]+) p50=(\d+) p95=(\d+) "
        r"p99=(\d+) mean=(\d+)",
        done.stdout,
    )
    if found is None:
        raise SystemExit(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")
    ok, errors, selected, elapsed, p50, p95, p99, mean = (float(g) for g in found.groups())
    first = re.search(r"FIRST_ERROR (.+)", done.stdout) or re.search(
        r"Socket errors: .*", done.stdout
    )
    return {
        "declarations": int(ok),
        "errors": int(errors),
        "selected": int(selected),
        "first_error": first.group(1) if first else "",
        "per_second": ok / seconds,
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
        "p99_ms": p99 / 1000,
        "mean_ms": mean / 1000,
        "driver_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    }


async def _client_loop(
    client: httpx.AsyncClient, token: str, body: dict[str, Any], stop: float, out: dict[str, Any]
) -> None:
    while time.perf_counter() < stop:
        started = time.perf_counter()
        response = await client.post(
            "/api/v1/declarations",
            json=dict(body, declarant_reference="B-" + uuid.uuid4().hex[:20]),
            headers={"Authorization": f"Bearer {token}"},
        )
        out["latencies"].append(time.perf_counter() - started)
        status = response.json().get("status") if response.status_code == 201 else None
        if status not in ANSWERED:
            out["errors"].append(f"{response.status_code} {response.text[:160]}")
        elif status == "under_control":
            out["selected"] += 1


def _python_process(
    base_url: str, token: str, body: dict[str, Any], clients: int, seconds: float, queue: Any
) -> None:
    async def main() -> dict[str, Any]:
        out: dict[str, Any] = {"latencies": [], "errors": [], "selected": 0}
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
            stop = time.perf_counter() + seconds
            await asyncio.gather(
                *(_client_loop(client, token, body, stop, out) for _ in range(clients))
            )
        return out

    started = time.process_time()
    out = asyncio.run(main())
    out["cpu"] = time.process_time() - started
    queue.put(out)


def run_python(
    base_url: str,
    token: str,
    body: dict[str, Any],
    *,
    seconds: float,
    connections: int,
    processes: int,
) -> dict[str, Any]:
    """Lodge from ``processes`` Python processes with ``connections`` clients in all."""
    each = max(1, connections // processes)
    results = in_processes(_python_process, processes, base_url, token, body, each, seconds)
    latencies = sorted(x for r in results for x in r["latencies"])
    errors = [e for r in results for e in r["errors"]]

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    ok = len(latencies) - len(errors)
    return {
        "declarations": ok,
        "errors": len(errors),
        "selected": sum(r["selected"] for r in results),
        "first_error": errors[0] if errors else "",
        "per_second": ok / seconds,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": sum(latencies) / len(latencies) * 1000,
        "driver_cpu_s": sum(r["cpu"] for r in results),
    }
