"""Memory and time bombs in small files (issue #18): each is refused or answered within 10 s and 1 GB.

Each bomb is built small in a tmp dir (tests/hostile_files.py) and run in a fresh `python -m engine`
process, so its peak memory is that process's own: /usr/bin/time -f %M where present, else the
RUSAGE_CHILDREN high-water mark (an upper bound: the largest child so far). The issue's numbers
before the fix are in each builder's docstring (35 s / 2.4 GB, 7.75 GB, 26 s / 3.2 GB, > 60 s, 77 s, 74 s).
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hostile_files as hf  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SECONDS, MEGABYTES = 10.0, 1024
TIME = shutil.which("time") if os.path.exists("/usr/bin/time") else None


def measured(argv: list[str], cwd: Path) -> tuple[int, str, float, float]:
    """(exit code, stderr, seconds, peak MB) of `python -m engine ARGV`."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "engine", *argv]
    report = cwd / "time.txt"
    if TIME:
        command = ["/usr/bin/time", "-f", "%M", "-o", str(report), *command]
    started = time.monotonic()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
    seconds = time.monotonic() - started
    if TIME:
        peak_kb = float(report.read_text().strip().splitlines()[-1])
    else:
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return proc.returncode, proc.stderr, seconds, peak_kb / 1024


def _config(folder: Path) -> list[str]:
    (folder / "config.json").write_text(hf.deep_json())
    return ["solve", "n_gpus", f"model={folder / 'config.json'}", "tokens=2T", "gpu=A800", "train_time=30"]


def _header(folder: Path) -> list[str]:
    src = folder / "ckpt"
    src.mkdir()
    hf.big_safetensors_header(src, megabytes=17)
    return ["convert", "baichuan2-to-baichuan1", str(src), str(folder / "out"), "--dry-run"]


def _fifo(folder: Path) -> list[str]:
    os.mkfifo(folder / "config.json")
    return ["solve", "n_gpus", f"model={folder / 'config.json'}", "tokens=2T"]


def _sheet(make: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    return lambda folder: ["run", str(make(folder)), "-o", str(folder / "out.csv")]


CASES: dict[str, tuple[Callable[[Path], list[str]], set[int]]] = {
    "merged-to-last-row": (_sheet(hf.merged_to_last_row), {0, 1}),
    "shared-string-300MB": (_sheet(hf.shared_string_bomb), {2}),
    "whitespace-300MB": (_sheet(hf.whitespace_padded), {2}),
    "whitespace-small-runs": (_sheet(hf.padded_in_small_runs), {2}),
    "16384-cells-before-header": (_sheet(hf.cells_before_header), {0}),
    "16384-columns": (_sheet(hf.wide_sheet), {0}),
    "config.json-200k-deep": (_config, {2}),
    "safetensors-header-17MB": (_header, {2}),
}
if hasattr(os, "mkfifo"):
    CASES["model=FIFO"] = (_fifo, {2})


@pytest.mark.parametrize("name", list(CASES))
def test_bomb_is_bounded(tmp_path: Path, name: str) -> None:
    build, codes = CASES[name]
    argv = build(tmp_path)
    assert sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()) <= 20 * 2**20   # small files
    code, err, seconds, peak = measured(argv, tmp_path)
    assert code in codes, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert seconds < SECONDS, f"{name}: {seconds:.1f} s"
    assert peak < MEGABYTES, f"{name}: {peak:.0f} MB"
    if code == 2:
        assert err.strip().startswith("llmplan: ") or err.strip().startswith("error: "), err


def test_bomb_limits_are_said_in_the_error(tmp_path: Path) -> None:
    """The refusal names the part and the limit (no silent truncation)."""
    from engine.cli import main
    from engine.io import package_guard

    path = hf.whitespace_padded(tmp_path, megabytes=20)
    code = main(["run", str(path), "-o", str(tmp_path / "out.csv")])
    assert code == 2
    assert package_guard.MAX_RATIO == 200 and package_guard.MAX_RUN == 2**20


@pytest.mark.parametrize("run_bytes, refused", [(2**20 - 100, False), (2**20 + 100, True)])
def test_text_run_cap_is_exact(tmp_path: Path, capsys: Any, run_bytes: int, refused: bool) -> None:
    """A 1 MiB run of text between two tags is the limit: just under is read, just over is refused
    (an Excel cell holds 32,767 characters; escaped, at most ~200 KB)."""
    from engine.cli import main

    sheet = [hf.SHEET_HEAD, hf.row_xml(1, hf.HEADER), hf.row_xml(2, hf.GOOD_ROW), "<row r=\"3\"><c r=\"H3\" "
             "t=\"inlineStr\"><is><t>", b"x" * run_bytes, "</t></is></c></row></sheetData></worksheet>"]
    path = hf.package(tmp_path / "run.xlsx", sheet)
    code = main(["run", str(path), "-o", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err
    assert (code == 2 and "1,048,576 bytes" in err) if refused else code in (0, 1), err
