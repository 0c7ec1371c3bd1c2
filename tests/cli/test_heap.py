"""`llmplan sweep` keeps freed memory in the process on glibc (engine/cli/heap.py)."""
from __future__ import annotations

import platform

from engine.cli.heap import keep_freed_memory


def test_the_allocator_is_told_to_keep_freed_memory_exactly_on_glibc() -> None:
    on_glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is on_glibc
