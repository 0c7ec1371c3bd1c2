"""The example workbooks made by examples/make_scenarios.py.

examples/scenarios.xlsx is README's main job: every row answered, exit 0.
examples/mistakes.xlsx shows the bad rows people write beside good ones: each bad row gets its
error with the cell, every other row still gets its answer, exit 1.
"""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import openpyxl
import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "scenarios.xlsx"
MISTAKES = ROOT / "examples" / "mistakes.xlsx"


def values(path: Path) -> list[tuple]:
    return list(openpyxl.load_workbook(path)["scenarios"].iter_rows(values_only=True))


def results(path: Path) -> list[dict]:
    sheet = openpyxl.load_workbook(path)["results"]
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.fixture(scope="module")
def make_scenarios():
    spec = importlib.util.spec_from_file_location("make_scenarios", ROOT / "examples" / "make_scenarios.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_examples_match_their_script(tmp_path, make_scenarios):
    fresh = make_scenarios.main(tmp_path / "scenarios.xlsx", make_scenarios.ROWS)
    assert values(fresh) == values(EXAMPLE)
    fresh = make_scenarios.main(tmp_path / "mistakes.xlsx", make_scenarios.MISTAKES)
    assert values(fresh) == values(MISTAKES)


def test_example_answers_every_row(tmp_path, capsys):
    out = tmp_path / "results.xlsx"
    assert main(["run", str(EXAMPLE), "-o", str(out)]) == 0
    rows = results(out)
    assert len(rows) >= 12
    assert {r["area"] for r in rows} >= {"compute", "memory", "time", "scaling", "storage"}
    assert [r["name"] for r in rows if r["error"]] == []
    by_name = {r["name"]: r for r in rows}
    # seed §4b with full recomputation: 8·N·D / (peak · mfu · time), rounded up
    assert by_name["A800s to finish 7B / 2T in 30 days"]["n_gpus"] == math.ceil(
        8 * 7e9 * 2e12 / (312e12 * 0.4 * 30 * 86400))
    # seed §2: 6·N·D
    assert by_name["LLaMA-2 7B pretraining compute"]["train_flops [FLOP]"] == pytest.approx(6 * 7e9 * 2e12)
    assert "0 with errors" in capsys.readouterr().err


def test_mistakes_fail_alone_with_their_cells(tmp_path, capsys):
    out = tmp_path / "results.xlsx"
    assert main(["run", str(MISTAKES), "-o", str(out)]) == 1
    rows = results(out)
    errors = {r["name"]: r["error"] for r in rows if r["error"]}
    answered = [r["name"] for r in rows if not r["error"]]
    assert sorted(errors) == sorted(n for n in (r["name"] for r in rows) if n.startswith("Mistake"))
    assert len(errors) == 4 and len(answered) == 2
    # every error names a cell of the sheet (except the one about missing values, which names the row's question)
    unknown_gpu = errors["Mistake: a GPU that does not exist"]
    assert "scenarios!" in unknown_gpu and "A900" in unknown_gpu and "A800" in unknown_gpu
    assert "scenarios!" in errors["Mistake: a time written as a size"]
    assert "train_time" in errors["Mistake: a time written as a size"]
    assert "time.gpu_days" in errors["Mistake: GPU-hours and GPU-days that disagree"]
    assert "n_gpus" in errors["Mistake: too little to solve from"]
    # no cell is wrong there: the error points at the question (examples/make_scenarios.py's MISTAKES: the
    # sixth scenario, row 7 under the header; its `solve` column is B, after `name`)
    assert errors["Mistake: too little to solve from"].endswith(" — question: scenarios!B7 solve = n_gpus")
    by_name = {r["name"]: r for r in rows}
    assert by_name["A800s to finish 7B / 2T in 30 days"]["n_gpus"] == math.ceil(
        8 * 7e9 * 2e12 / (312e12 * 0.4 * 30 * 86400))
    assert "4 with errors" in capsys.readouterr().err
