"""Parts of the lodging benchmark (``benchmarks/declarations.py``)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

SPAWN = multiprocessing.get_context("spawn")


def in_processes(target: Callable[..., None], count: int, *args: Any) -> list[Any]:
    """Run ``target(*args, queue)`` in ``count`` new processes; what each put on the queue."""
    queue = SPAWN.Queue()
    processes = [SPAWN.Process(target=target, args=(*args, queue)) for _ in range(count)]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    return results
