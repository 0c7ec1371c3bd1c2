"""Keep freed memory in the process while a command works through big batches (glibc only).

A batch of 100k rows computes on 800 kB columns. glibc serves blocks above its mmap threshold
(128 kB at start) with fresh pages from the kernel and hands them back on free, so every step of
every chunk pays page faults for memory it just released. Raising the mmap threshold to 32 MiB
(glibc's ceiling on 64-bit) and the trim threshold to 1 GiB keeps those pages for reuse:
measured 1.6x on the 100k-row layout sweep, both with perf_model=analytic and with 6·N·D only
(benchmarks/bench_perf_sweep.py prints it). It changes the whole process, which is why only
the command line calls it, never the library.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import platform

M_TRIM_THRESHOLD = -1          # glibc malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20      # the most glibc accepts on 64-bit (4 MiB · sizeof(long))
TRIM_THRESHOLD = 1 << 30


def keep_freed_memory() -> bool:
    """Whether the allocator now keeps freed blocks (False, and nothing changed, off glibc)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
