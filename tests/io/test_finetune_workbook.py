"""examples/finetune.xlsx: made by examples/make_finetune.py; every fine-tuning row is answered (issue #14)."""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import openpyxl
import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "finetune.xlsx"


def _module():
    spec = importlib.util.spec_from_file_location("make_finetune", ROOT / "examples" / "make_finetune.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def values(path: Path) -> list[tuple]:
    return list(openpyxl.load_workbook(path)["scenarios"].iter_rows(values_only=True))


def test_committed_workbook_matches_its_script(tmp_path):
    assert values(_module().main(tmp_path / "finetune.xlsx")) == values(EXAMPLE)


def test_every_fine_tuning_row_is_answered(tmp_path, capsys):
    out = tmp_path / "results.xlsx"
    assert main(["run", str(EXAMPLE), "-o", str(out)]) == 0
    sheet = openpyxl.load_workbook(out)["results"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(rows) >= 12 and not [r for r in rows if r["error"]]
    assert {r["area"] for r in rows} >= {"consumer", "datacenter", "compute"}
    assert {r["method"] for r in rows} >= {"lora", "qlora", "full"}
    by_name = {r["name"]: r for r in rows}
    readme = next(r for name, r in by_name.items() if name.startswith("README"))
    # 50,000 samples unpacked (packing=off, the trainers' default): one sequence each; micro_batch 1, grad_accum 8
    # on one GPU: 50,000 // 8 = 6,250 steps per epoch, 18,750 for 3 epochs (Transformers Trainer)
    assert readme["steps"] == 3 * (math.ceil(50_000 / 1) // 8) == 18_750
    assert readme["memory_fill"] < 1 and "does_not_fit" not in (readme["warnings"] or "")
    unchecked = next(r for name, r in by_name.items() if "without gradient checkpointing" in name)
    # the states fit and the activations of a step without checkpointing do not: the warning says which
    assert unchecked["memory_fill"] > 1 and "parallelism.activations_do_not_fit" in unchecked["warnings"]
    packed = by_name["LoRA llama3-8b on 8 A800: steps, time and cost of 3 epochs of 200k samples"]
    padded = by_name["Same data unpacked: each sample padded to 4k"]
    # packed: 200,000 · 800 / 4,096 = 39,062.5 sequences -> ceil(39,062.5 / 16) = 2,442 batches // 4 = 610 steps
    assert packed["steps"] == 3 * 610
    assert padded["train_time [hour]"] / packed["train_time [hour]"] == pytest.approx(4096 / 800, rel=1e-6)
    assert "1 with errors" not in capsys.readouterr().err
