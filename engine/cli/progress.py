"""A small progress bar on stderr, drawn only when stderr is a terminal.

    with Progress("solving", total=rows) as bar:
        bar.update(done)

Redraws at most ten times a second, so a tight loop may call `update` as
often as it likes; when the stream is not a TTY (a pipe, a log file, the
test suite) nothing is written at all.
"""
from __future__ import annotations

import sys
import time
from typing import IO, Any


class Progress:
    """`label [#####.....] 12,345/100,000 rows  3.1 s` on one line of stderr."""

    WIDTH = 28
    INTERVAL = 0.1

    def __init__(self, label: str, total: int, unit: str = "rows", stream: IO[str] | None = None,
                 enabled: bool | None = None) -> None:
        self.label = label
        self.total = max(int(total), 0)
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = _is_tty(self.stream)
        self.enabled = bool(enabled)
        self.done = 0
        self.start = time.perf_counter()
        self._drawn = 0.0
        self._visible = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def update(self, done: int | None = None, advance: int = 0, label: str | None = None) -> None:
        """Set the count (or advance it) and redraw if enough time has passed."""
        if label is not None:
            self.label = label
        self.done = int(done) if done is not None else self.done + int(advance)
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._drawn >= self.INTERVAL or self.done >= self.total:
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        total = self.total or 1
        share = min(self.done / total, 1.0)
        filled = int(round(share * self.WIDTH))
        bar = "#" * filled + "." * (self.WIDTH - filled)
        text = f"\r{self.label} [{bar}] {self.done:,}/{self.total:,} {self.unit}  {now - self.start:.1f} s"
        self.stream.write(text)
        self.stream.flush()
        self._visible = True

    def close(self) -> None:
        """Finish the line (only if something was drawn)."""
        if self.enabled and self._visible:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
            self._visible = False


def _is_tty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
