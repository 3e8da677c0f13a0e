"""CPU seconds of process trees (from /proc), and the server's CPU by stage (from /metrics)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx

TICK = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, tuple[int, str, float, float]]:
    """pid -> (parent pid, command, own CPU seconds, CPU seconds of its reaped children)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        command = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        out[int(entry.name)] = (
            int(fields[1]),
            command,
            (utime + stime) / TICK,
            (cutime + cstime) / TICK,
        )
    return out


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and its descendants, those that ended included."""
    stats = _stats()
    children: dict[int, list[int]] = {}
    for pid, (parent, *_rest) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, stack = 0.0, [root]
    if root in stats:
        total += stats[root][3]
    while stack:
        pid = stack.pop()
        if pid in stats:
            total += stats[pid][2]
        stack.extend(children.get(pid, []))
    return total


def postgres_cpu() -> float:
    """CPU seconds of this machine's PostgreSQL servers (their ended backends included)."""
    stats = _stats()
    roots = [
        pid
        for pid, (parent, command, *_rest) in stats.items()
        if command == "postgres" and stats.get(parent, (0, ""))[1] != "postgres"
    ]
    return sum(tree_cpu(pid) for pid in roots)


STAGE = re.compile(r'^onewindow_stage_cpu_seconds_total\{stage="([^"]+)"\} ([0-9.e+-]+)$', re.M)


def stage_cpu(base_url: str, token: str) -> dict[str, float]:
    """The server's CPU seconds by stage so far (all its processes)."""
    answer = httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    totals: dict[str, float] = {}
    for name, value in STAGE.findall(answer.text):
        totals[name] = totals.get(name, 0.0) + float(value)
    return totals
