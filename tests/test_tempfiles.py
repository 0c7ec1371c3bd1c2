"""engine/tempfiles.remove_stale: what a killed run left goes; anything else stays."""
from __future__ import annotations

import os
import time
from pathlib import Path

from engine.tempfiles import STALE_SECONDS, remove_stale


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def test_only_old_entries_of_ours_of_the_asked_kind_are_removed(tmp_path: Path) -> None:
    old_file, young_file, other = tmp_path / ".a.ours", tmp_path / ".b.ours", tmp_path / "keep.txt"
    old_dir = tmp_path / ".c.ours"
    for path in (old_file, young_file, other):
        path.write_text("x")
    old_dir.mkdir()
    (old_dir / "shard.bin").write_text("x")
    link = tmp_path / ".d.ours"
    link.symlink_to(other)
    for path in (old_file, other, old_dir, link):
        _age(path, STALE_SECONDS + 60)
    _age(young_file, STALE_SECONDS - 600)        # younger than a day: may be a run still going

    remove_stale(tmp_path, lambda name: name.endswith(".ours"))
    assert not old_file.exists() and young_file.exists() and other.exists()
    assert old_dir.exists() and link.is_symlink()          # a directory only when asked; a link never

    remove_stale(tmp_path, lambda name: name.endswith(".ours"), directories=True)
    assert not old_dir.exists() and link.is_symlink() and other.read_text() == "x"


def test_a_folder_that_cannot_be_listed_is_left_alone(tmp_path: Path) -> None:
    remove_stale(tmp_path / "missing", lambda name: True)    # no error: the write itself reports the folder
