"""`llmplan run`: results read back with openpyxl and checked cell by cell against hand calculations."""
from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400.0
A800, H100 = 312e12, 989e12          # dense BF16 peak FLOP/s (catalogs/gpus.yaml)

HEADER = ["name", "solve", "params", "tokens", "gpu", "train_time [days]", "n_gpus", "mfu", "recompute",
          "train_flops", "notes", "cost_centre"]
ROWS = [
    ["inverse 30 days", "n_gpus", "7B", "2T", "A800", 30, None, 0.4, "full", None, "keep me", "alice"],
    ["forward flops", "train_flops", 7e9, 1e12, None, None, None, None, None, None, None, "bob"],
    ["unknown gpu", "n_gpus", "7B", "2T", "X100", 30, None, 0.4, None, None, "typo", None],
    ["time on H100", "train_time", "7B", "2T", "H100-SXM", None, 256, 0.4, None, None, None, None],
    ["contradiction", "n_gpus", "7B", "2T", "A800", 30, None, 0.4, "full", 1e20, None, None],
    ["not enough", "train_time", "7B", None, None, None, None, None, None, None, None, None],
    [None] * len(HEADER),
    ["formula", "train_flops", None, 1e12, None, None, None, None, None, None, "params is =2*3.5e9", None],
]
COL = {name: i for i, name in enumerate(HEADER)}


def write_scenarios(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("scenarios")
    sheet.write_row(0, 0, HEADER)
    for r, row in enumerate(ROWS, start=1):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    sheet.write_formula(8, COL["params"], "=2*3.5e9", None, 7e9)   # cached value 7e9 (row "formula")
    book.add_worksheet("other").write(0, 0, "ignored")
    book.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows_of(sheet) -> list[tuple]:
    return [tuple(c for c in row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    source = write_scenarios(folder / "scenarios.xlsx")
    before = digest(source)
    target = folder / "results.xlsx"
    code = main(["run", str(source), "-o", str(target)])
    book = openpyxl.load_workbook(target)
    return {"source": source, "before": before, "target": target, "code": code, "book": book,
            "folder": folder}


def cell(book, row: int, header: str):
    sheet = book["results"]
    headers = [c.value for c in sheet[1]]
    return sheet.cell(row=row + 2, column=headers.index(header) + 1)


def test_exit_code_and_input_untouched(ran):
    assert ran["code"] == 1                      # some rows have errors, the others are answered
    assert digest(ran["source"]) == ran["before"]
    assert sorted(p.name for p in ran["folder"].iterdir()) == ["results.xlsx", "scenarios.xlsx"]  # no temp files


def test_sheets_and_row_order(ran):
    book = ran["book"]
    assert book.sheetnames == ["results", "legend", "rules", "inputs"]
    names = [row[0] for row in rows_of(book["results"])[1:]]
    assert names == [row[0] for row in ROWS]
    headers = [c.value for c in book["results"][1]]
    assert headers[:len(HEADER)] == HEADER
    assert headers[-3:] == ["assumptions", "warnings", "error"]
    assert book["results"].freeze_panes == "B2"


def test_inverse_n_gpus_by_hand(ran):
    book = ran["book"]
    flops = 8 * 7e9 * 2e12                       # recompute=full: 8·N·D
    raw = flops / (A800 * 0.4 * 30 * DAY)
    assert math.ceil(raw) == 347
    n = cell(book, 0, "n_gpus")
    assert n.value == 347
    assert n.fill.fgColor.rgb == "FFC6EFCE"       # solved
    assert n.number_format == "#,##0"
    again = cell(book, 0, "train_time recomputed [days]")
    assert again.value == pytest.approx(flops / (347 * A800 * 0.4) / DAY, rel=1e-12)
    assert cell(book, 0, "train_time [days]").value == 30          # the budget as given, untouched
    assert cell(book, 0, "train_flops").value == pytest.approx(flops, rel=1e-12)   # empty input cell filled
    assert cell(book, 0, "gpu_hours [hour]").value == pytest.approx(347 * again.value * 24, rel=1e-12)
    assert "n_gpus rounded up" in cell(book, 0, "warnings").value
    assert cell(book, 0, "n_gpus unrounded").value == pytest.approx(raw, rel=1e-12)
    assert cell(book, 0, "error").value is None


def test_forward_flops_and_time(ran):
    book = ran["book"]
    flops = cell(book, 1, "train_flops")
    assert flops.value == pytest.approx(6 * 7e9 * 1e12, rel=1e-12)   # recompute none (default): 6·N·D
    assert flops.number_format == "0.00E+00"
    assert "flops_factor=6 FLOP/token" in cell(book, 1, "assumptions").value   # recompute=none by default
    days = cell(book, 3, "train_time [days]")
    assert days.value == pytest.approx(6 * 7e9 * 2e12 / (256 * H100 * 0.4) / DAY, rel=1e-12)
    assert days.fill.fgColor.rgb == "FFC6EFCE"
    assert cell(book, 3, "peak_flops [TFLOPS]").value == pytest.approx(989)
    assert cell(book, 3, "peak_flops [TFLOPS]").fill.fgColor.rgb == "FFEDEDED"   # from the catalog


def test_bad_rows_get_their_error_others_answer(ran):
    book = ran["book"]
    unknown = cell(book, 2, "error").value
    assert unknown.startswith("scenarios!E4: gpu: unknown value 'X100'")
    assert cell(book, 2, "n_gpus").value is None
    assert "contradict" in cell(book, 4, "error").value
    assert cell(book, 5, "error").value.startswith("to solve train_time give more values")
    assert cell(book, 7, "train_flops").value == pytest.approx(6 * 7e9 * 1e12, rel=1e-12)   # formula by cached value


def test_pass_through_and_blank_rows(ran):
    book = ran["book"]
    for row, source in enumerate(ROWS):
        assert cell(book, row, "notes").value == source[COL["notes"]]
        assert cell(book, row, "cost_centre").value == source[COL["cost_centre"]]
    assert cell(book, 0, "params").value == "7B"          # values as read, not reformatted
    assert cell(book, 1, "params").value == 7e9
    assert all(v is None for v in rows_of(book["results"])[7])   # the blank row stays blank


def test_inputs_sheet_is_an_exact_copy(ran):
    source = openpyxl.load_workbook(ran["source"])["scenarios"]
    copy = ran["book"]["inputs"]
    expected = rows_of(source)
    expected[8] = tuple(7e9 if v == "=2*3.5e9" else v for v in expected[8])   # formulas by their values
    assert rows_of(copy) == expected


def test_rules_and_legend_sheets(ran):
    from engine import __version__

    rules = [row for row in rows_of(ran["book"]["rules"])]
    flat = [v for row in rules for v in row if v is not None]
    assert __version__ in flat
    assert "time.train_time" in flat and "compute.train_flops" in flat
    assert any(isinstance(v, str) and "seed §" in v for v in flat)
    assert "flops_model" in flat                         # a default used
    legend = [v for row in rows_of(ran["book"]["legend"]) for v in row if v]
    assert {"solved", "derived", "catalog", "error"} <= set(legend)
    assert any("column 'cost_centre' is not a variable" in str(v) for v in legend)   # the unknown column is noted


def test_refuses_output_equal_to_input(tmp_path, capsys):
    source = write_scenarios(tmp_path / "in.xlsx")
    before = digest(source)
    sneaky = tmp_path / "sub" / ".." / "in.xlsx"
    (tmp_path / "sub").mkdir()
    assert main(["run", str(source), "-o", str(sneaky)]) == 2
    assert "overwrite the input" in capsys.readouterr().err
    assert digest(source) == before


def test_file_level_errors_exit_2(tmp_path, capsys):
    book = xlsxwriter.Workbook(str(tmp_path / "nosheet.xlsx"))
    book.add_worksheet("Sheet1").write(0, 0, "params")
    book.close()
    assert main(["run", str(tmp_path / "nosheet.xlsx"), "-o", str(tmp_path / "out.xlsx")]) == 2
    assert "no sheet named 'scenarios' (sheets: Sheet1)" in capsys.readouterr().err
    (tmp_path / "garbage.xlsx").write_bytes(b"not a zip at all")
    assert main(["run", str(tmp_path / "garbage.xlsx"), "-o", str(tmp_path / "out.xlsx")]) == 2
    assert "garbage.xlsx" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.xlsx"), "-o", str(tmp_path / "out.xlsx")]) == 2
    assert not (tmp_path / "out.xlsx").exists()


def test_atomic_write_keeps_previous_output(tmp_path, monkeypatch):
    from engine.io import xlsxdata

    source = write_scenarios(tmp_path / "in.xlsx")
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"previous results")

    def broken(self, path, progress=None):
        Path(path).write_bytes(b"half a workbook")
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(xlsxdata.Book, "save", broken)
    monkeypatch.setenv("LLMPLAN_DEBUG", "1")        # let the CLI re-raise the (simulated) failure
    with pytest.raises(RuntimeError, match="simulated"):
        main(["run", str(source), "-o", str(target)])
    assert target.read_bytes() == b"previous results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "out.xlsx"]


def test_formula_without_cached_value_is_reported(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "scenarios"
    sheet.append(["solve", "params", "tokens"])
    sheet.append(["train_flops", "=2*3.5e9", "1T"])     # openpyxl saves formulas without a value
    sheet.append(["train_flops", "7B", "1T"])
    book.save(tmp_path / "in.xlsx")
    assert main(["run", str(tmp_path / "in.xlsx"), "-o", str(tmp_path / "out.csv")]) == 1
    import polars as pl

    out = pl.read_csv(tmp_path / "out.csv")
    assert out["error"][0].startswith("scenarios!B2: formula =2*3.5e9 has no saved value")
    assert out["error"][1] is None
    assert out["train_flops [FLOP]"][1] == pytest.approx(6 * 7e9 * 1e12)


def test_cli_subprocess_exit_codes(tmp_path):
    source = write_scenarios(tmp_path / "in.xlsx")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "engine", "run", str(source), "-o", str(tmp_path / "out.xlsx")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "8 rows: 4 answered, 3 with errors, 1 blank" in done.stderr
    assert "\r" not in done.stderr                    # no progress bar when stderr is not a terminal
    assert "unknown gpu: scenarios!E4" in done.stderr
