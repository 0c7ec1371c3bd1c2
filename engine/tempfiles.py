"""Temporaries a killed run left behind (SIGKILL cannot be caught): removed on the next write there.

Every writer of llmplan (workbooks and tables in engine/io, reports in engine/report, converted
checkpoints in engine/tools) writes into a hidden temporary beside its target and renames it over
the target. A run killed mid-write leaves that temporary; the next write into the same folder
removes those of its own naming that are over a day old (a younger one may belong to a run still
going). Like engine/errors, this module sits outside the import layers: it imports nothing of the
engine, and every layer that writes files may use it.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable

STALE_SECONDS = 24 * 3600


def remove_stale(folder: Path, is_ours: Callable[[str], bool], directories: bool = False) -> None:
    """Remove the entries of `folder` whose name `is_ours` and that are over STALE_SECONDS old:
    plain files, or (directories=True) whole directories; never a symbolic link."""
    now = time.time()
    try:
        entries = [e for e in folder.iterdir() if is_ours(e.name)]
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_symlink() or not (entry.is_dir() if directories else entry.is_file()):
                continue
            if now - entry.stat().st_mtime > STALE_SECONDS:
                if directories:
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink()
        except OSError:
            pass
