"""Memory-bound numpy passes run half in a second thread.

numpy lets go of the GIL while it copies or divides a large array, so two such passes run side by
side on two cores. A layout sweep writes a few dozen columns of 100,000 rows (a grid's values spread
to every row, bytes shown in GB): on the shared 2-core machines it runs on, ~3 ms in one thread and
~1.5 ms in two (issue #16: the analytic sweep within 3× of the 6·N·D one). Only worth it for several
large passes: the hand-over to the other thread costs tens of microseconds.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")

MIN_TASKS = 4   # fewer passes than this: all in this thread
_WORKER: list[ThreadPoolExecutor] = []


def in_two_threads(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Each task's result, in order; the second half of the tasks run in one other thread (kept for
    the process: a sweep's chunks reuse it). Tasks must not share anything they write."""
    if len(tasks) < MIN_TASKS or (os.cpu_count() or 1) < 2:
        return [task() for task in tasks]
    half = len(tasks) // 2
    other = _worker().submit(_run_all, tasks[half:])
    mine = _run_all(tasks[:half])
    return mine + other.result()


def _run_all(tasks: Sequence[Callable[[], T]]) -> list[T]:
    return [task() for task in tasks]


def _worker() -> ThreadPoolExecutor:
    if not _WORKER:
        _WORKER.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmplan-numpy"))
    return _WORKER[0]
