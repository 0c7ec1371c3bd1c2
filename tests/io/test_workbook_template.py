"""`llmplan template`: a valid workbook with drop-downs, notes, frozen header and worked examples that run."""
from __future__ import annotations

import math
import re
import zipfile

import openpyxl
import pytest

from engine.cli import main

A800 = 312e12


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "scenarios.xlsx"
    assert main(["template", str(path)]) == 0
    return path


def test_sheets_header_and_frozen_panes(template):
    book = openpyxl.load_workbook(template)
    assert book.sheetnames[:3] == ["scenarios", "help", "variables"]
    assert "catalog_gpu" in book.sheetnames and "catalog_model" in book.sheetnames
    assert book["lists"].sheet_state == "hidden"
    sheet = book["scenarios"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["name", "solve"] and header[-1] == "notes"
    assert {"gpu", "model", "recompute", "params", "tokens [token]", "train_time [day]", "n_gpus", "mfu",
            "gpu_hours [hour]"} <= set(header)
    assert sheet.freeze_panes == "C2"


def test_notes_in_english_and_chinese(template):
    sheet = openpyxl.load_workbook(template)["scenarios"]
    header = {c.value: c for c in sheet[1]}
    for name in ("solve", "gpu", "params", "train_time [day]"):
        assert header[name].comment is not None, name
    note = header["train_time [day]"].comment.text
    assert "train_time [day]" in note
    assert re.search(r"[\u4e00-\u9fff]", note)          # Chinese text too
    assert "catalog_gpu" in header["gpu"].comment.text


def test_drop_downs_reference_the_lists_sheet(template):
    book = openpyxl.load_workbook(template)
    sheet = book["scenarios"]
    header = [c.value for c in sheet[1]]
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    lists = book["lists"]
    names = [c.value for c in lists[1]]
    for key in ("gpu", "model", "recompute", "precision", "optimizer", "tokenizer"):
        col = openpyxl.utils.get_column_letter(header.index(key) + 1)
        found = [v for ref, v in validations.items() if ref.startswith(f"{col}2:")]
        assert found, key
        assert found[0].type == "list"
        source = found[0].formula1
        assert source.startswith("lists!$"), source
        list_col = names.index(key) + 1
        values = [lists.cell(row=r, column=list_col).value for r in range(2, lists.max_row + 1)]
        values = [v for v in values if v is not None]
        assert len(values) >= 2 and source.endswith(f"${len(values) + 1}")
    gpu_col = names.index("gpu") + 1
    assert "A800" in [lists.cell(row=r, column=gpu_col).value for r in range(2, lists.max_row + 1)]


def test_catalog_and_variable_sheets(template):
    book = openpyxl.load_workbook(template)
    gpus = [row for row in book["catalog_gpu"].iter_rows(values_only=True)]
    assert gpus[0][:3] == ("key", "name", "aliases") and "peak_flops [TFLOPS]" in gpus[0]
    a800 = next(r for r in gpus if r[0] == "A800")
    assert a800[gpus[0].index("peak_flops [TFLOPS]")] == 312
    variables = {row[0]: row for row in book["variables"].iter_rows(values_only=True)}
    assert variables["train_time"][1] == "day" and variables["mfu"][2] == "fraction"


def test_valid_package(template):
    with zipfile.ZipFile(template) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    assert "xl/comments1.xml" in names and "[Content_Types].xml" in names


def test_examples_run_and_inverse_answers(template, tmp_path):
    out = tmp_path / "results.xlsx"
    assert main(["run", str(template), "-o", str(out)]) == 0      # every worked example is answered
    sheet = openpyxl.load_workbook(out)["results"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(rows) >= 8
    deadline = rows["GPUs to finish in 30 days"]
    assert deadline["n_gpus"] == math.ceil(8 * 7e9 * 2e12 / (A800 * 0.4 * 30 * 86400))
    budget = rows["Tokens for 10,000 H100 GPU-days"]
    assert float(budget["tokens [token]"]) == pytest.approx(10_000 * 86400 * 989e12 * 0.4 / (6 * 7e9), rel=1e-12)
    achieved = rows["MFU from 250k GPU-hours"]
    assert achieved["mfu"] == pytest.approx(6 * 7e9 * 2e12 / (250_000 * 3600 * A800), rel=1e-12)
    assert all(r["error"] is None for r in rows.values())
    # fine-tuning rows (two targets each): 50,000 examples, unpacked, global batch 2 × 4 × 8 GPUs = 64 ->
    # 781.25 steps per epoch, 781 whole ones × 3 epochs = 2,343, as LLaMA-Factory counts (steps_rounding floor)
    sft = rows["Steps and time of 3 epochs of 50k SFT examples on 8 A800"]
    assert sft["steps"] == 781 * 3 and float(sft["train_time [day]"]) > 0
    lora = rows["LoRA r=16 of qwen2.5-7b on one RTX 4090"]
    assert 0 < float(lora["memory_fill"]) <= 1
    assert {"samples", "tokens_per_sample", "grad_accum", "packing", "lora_targets"} <= {
        str(h).split(" [")[0] for h in header if h}


def test_refuses_to_overwrite_without_force(template, capsys):
    before = template.read_bytes()
    assert main(["template", str(template)]) == 2
    assert "--force" in capsys.readouterr().err
    assert template.read_bytes() == before
    assert main(["template", str(template), "--force"]) == 0
