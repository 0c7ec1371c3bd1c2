"""A tiny on-disk JSON cache for work that never changes for the same inputs.

Keys carry a digest of what they were computed from (the units file, an
equation's text), so a stale entry is never read. The cache lives in
$LLMPLAN_CACHE_DIR, else $XDG_CACHE_HOME/llmplan, else ~/.cache/llmplan;
LLMPLAN_NO_CACHE=1 turns it off. Any I/O problem just means no cache.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

VERSION = "1"


def directory() -> Path | None:
    if os.environ.get("LLMPLAN_NO_CACHE"):
        return None
    explicit = os.environ.get("LLMPLAN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "llmplan"


def digest(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(VERSION.encode() + data).hexdigest()[:16]


def read_json(key: str) -> Any:
    folder = directory()
    if folder is None:
        return None
    try:
        return json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(key: str, value: Any) -> None:
    """Atomic write (temp file + rename) so a reader never sees half a file."""
    folder = directory()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(value, handle, separators=(",", ":"))
        os.replace(tmp, folder / f"{key}.json")
    except OSError:
        pass
