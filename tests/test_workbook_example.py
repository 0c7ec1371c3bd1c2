"""examples/scenarios.xlsx: made by examples/make_scenarios.py, runs with one deliberate error."""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import openpyxl
import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "scenarios.xlsx"


def values(path: Path) -> list[tuple]:
    return list(openpyxl.load_workbook(path)["scenarios"].iter_rows(values_only=True))


def test_committed_example_matches_its_script(tmp_path):
    spec = importlib.util.spec_from_file_location("make_scenarios", ROOT / "examples" / "make_scenarios.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = module.main(tmp_path / "scenarios.xlsx")
    assert values(fresh) == values(EXAMPLE)


def test_example_runs_with_one_deliberate_error(tmp_path, capsys):
    out = tmp_path / "results.xlsx"
    assert main(["run", str(EXAMPLE), "-o", str(out)]) == 1
    sheet = openpyxl.load_workbook(out)["results"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(rows) >= 12
    assert {r["area"] for r in rows} >= {"compute", "memory", "time", "scaling", "storage"}
    failed = [r for r in rows if r["error"]]
    assert len(failed) == 1 and failed[0]["name"].startswith("Deliberate mistake")
    assert "gpu: unknown value 'A900'" in failed[0]["error"] and "A800" in failed[0]["error"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["A800s to finish 7B / 2T in 30 days"]["n_gpus"] == math.ceil(
        8 * 7e9 * 2e12 / (312e12 * 0.4 * 30 * 86400))
    assert by_name["LLaMA-2 7B pretraining compute"]["train_flops [FLOP]"] == pytest.approx(6 * 7e9 * 2e12)
    assert "1 with errors" in capsys.readouterr().err
