"""Where the server's CPU goes, by stage of the work (for capacity planning and benchmarks).

A stage is a named block of work (``validate``, ``risk``, ``assess``, ``store``, ``commit`` ...)
timed in the CPU time of the thread that runs it. Stages nest, and each CPU second is charged to
the innermost stage only: the audit rows written while assessing count as ``audit``, not twice.
The totals are a Prometheus counter, ``onewindow_stage_cpu_seconds_total{stage}``; divided by the
requests served they give the CPU per request of each stage, and what no stage covers (HTTP,
JSON, the framework) is the process's CPU less their sum.

Cost: two clock reads a stage, a few microseconds a request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from prometheus_client import Counter

STAGE_CPU = Counter(
    "onewindow_stage_cpu_seconds_total",
    "CPU seconds spent in each stage of the work (innermost stage only)",
    ["stage"],
)

_current: ContextVar[tuple[str, float] | None] = ContextVar("onewindow_stage", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Charge the CPU time of the block to ``name`` (and pause the enclosing stage meanwhile)."""
    now = time.thread_time()
    outer = _current.get()
    if outer is not None:
        STAGE_CPU.labels(outer[0]).inc(now - outer[1])
    token = _current.set((name, now))
    try:
        yield
    finally:
        end = time.thread_time()
        started = (_current.get() or (name, now))[1]
        STAGE_CPU.labels(name).inc(end - started)
        _current.reset(token)
        if outer is not None:
            _current.set((outer[0], end))
