"""Workbook and report texts (issue #15): the legend and rules sheets and the template in the
chosen language, the template's fit column, report rows numbered by workbook row and marked
"does not fit" where memory_fill > 1."""
from __future__ import annotations

import re

import openpyxl
import pytest
import xlsxwriter

from engine.cli.app import main

CJK = re.compile(r"[\u4e00-\u9fff]")
FIT = {"model": "llama2-7b", "gpu": "A800", "precision": "mixed-bf16", "zero_stage": 3, "n_gpus": 8,
       "seq_len": 4096}


def _scenarios(path, rows):
    header = ["name", "solve", *sorted({k for _, _, values in rows for k in values})]
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("scenarios")
    sheet.write_row(0, 0, header)
    for r, (name, solve, values) in enumerate(rows, start=1):
        if name is None:
            continue                      # a blank row: the next scenario is on a later sheet row
        sheet.write(r, 0, name)
        sheet.write(r, 1, solve)
        for key, value in values.items():
            sheet.write(r, header.index(key), value)
    book.close()
    return path


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zh")
    source = _scenarios(folder / "in.xlsx", [
        ("fits", "memory_fill", {**FIT, "micro_batch": 4, "recompute": "full"}),
        (None, "", {}),
        ("too big", "memory_fill", {**FIT, "micro_batch": 64}),
        ("time", "train_time", {"params": "7B", "tokens": "1T", "gpu": "A800", "n_gpus": 64, "mfu": 0.4}),
    ])
    target, report = folder / "out.xlsx", folder / "report.md"
    code = main(["run", str(source), "-o", str(target), "--report", str(report), "--lang", "zh"])
    return code, openpyxl.load_workbook(target), report.read_text(encoding="utf-8")


def test_legend_and_rules_sheets_in_chinese(zh_run):
    code, book, _ = zh_run
    assert code == 0
    legend = [str(v) for row in book["legend"].iter_rows(values_only=True) for v in row if v is not None]
    assert legend[0] == "图例"
    assert "由本行数值在求解途中（或顺带）推出" in legend and "已解答" in legend
    # the fill names (solved, derived ...) stay as the keys they are; no English sentence is left
    assert not any(re.search(r"[A-Za-z]{3,} [a-z]{3,} [a-z]{3,}", v) and not CJK.search(v) for v in legend), legend
    rules = [str(v) for row in book["rules"].iter_rows(values_only=True) for v in row if v is not None]
    assert {"所用规则", "方程", "默认值与假设", "llmplan 版本"} <= set(rules)


def test_report_numbers_rows_as_in_the_workbook_and_says_does_not_fit(zh_run):
    _, _, report = zh_run
    summary = report.split("## ", 2)[1]
    rows = [line for line in summary.splitlines() if line.startswith("| ") and "---" not in line][1:]
    # sheet rows 2, 4, 5 (row 3 is blank): the numbers a reader finds in the workbook
    assert [line.split("|")[1].strip() for line in rows] == ["2", "4", "5"]
    status = [line.rstrip(" |").rsplit("|", 1)[1].strip() for line in rows]
    assert status[0] == "已解答" and status[2] == "已解答"
    assert status[1].startswith("放不下")       # 64 sequences at 4,096 tokens need far more than 80 GB


def test_template_has_the_fit_column_and_translated_examples(tmp_path):
    path = tmp_path / "t.xlsx"
    assert main(["template", str(path), "--lang", "zh"]) == 0
    sheet = openpyxl.load_workbook(path)["scenarios"]
    header = [c.value for c in sheet[1]]
    assert "memory_fill" in header
    note = sheet.cell(row=1, column=header.index("memory_fill") + 1).comment.text
    assert "1 = the largest value that fits" in note and "1 表示恰好放得下" in note
    names = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    assert names and all(CJK.search(n) for n in names if n), names
    fit = names.index("llama2-7b 在 8 张 A800 上（ZeRO-3）放得下的最大 micro-batch") + 2
    assert sheet.cell(row=fit, column=header.index("memory_fill") + 1).value == 1


def test_shown_columns_in_human_units(tmp_path):
    source = _scenarios(tmp_path / "in.xlsx", [
        # 6 * 7e9 * 1e12 / (4096 * 312e12 * 0.4) = 82,162 s = 22.8 h (the `train_time [day]` column: 0.951)
        ("hours", "train_time", {"params": "7B", "tokens": "1T", "gpu": "A800", "n_gpus": 4096, "mfu": 0.4}),
        # seed §3: 20 B/parameter * 70e9 = 1.4 TB
        ("bytes", "train_memory", {"params": "70B"}),
    ])
    target = tmp_path / "out.xlsx"
    assert main(["run", str(source), "-o", str(target)]) == 0
    sheet = openpyxl.load_workbook(target)["results"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][header.index("train_time (shown)")] == "22.8 h"
    assert rows[0][header.index("train_time [day]")] == pytest.approx(4.2e22 / (4096 * 312e12 * 0.4) / 86400, rel=1e-9)
    assert rows[1][header.index("train_memory (shown)")] == "1.4 TB"
    assert rows[1][header.index("train_time (shown)")] is None
