"""A contradiction in a workbook names the sheet!cell of every cell involved, with its value in
display units (issue #15), including the inputs behind a derived side (gpu_seconds <- n_gpus,
train_time)."""
from __future__ import annotations

import openpyxl
import xlsxwriter

from engine.cli.app import main

HEADER = ["name", "solve", "params", "tokens", "tokens_per_param", "gpu", "n_gpus", "mfu", "train_time [day]",
          "gpu_hours", "price_per_gpu_hour", "notes"]


def test_contradictions_name_their_cells(tmp_path, capsys):
    source = tmp_path / "in.xlsx"
    book = xlsxwriter.Workbook(str(source))
    sheet = book.add_worksheet("scenarios")
    sheet.write_row(0, 0, HEADER)
    # 20 tokens/parameter x 7B = 140B tokens, not the 2T given
    sheet.write_row(1, 0, ["ratio", "train_flops", "7B", "2T", 20])
    # 64 GPUs x 200 days = 307,200 GPU-hours, not the 1,000 given; no mfu, so the time rule alone is no
    # second contradiction (it implies 6 * 7e9 * 2e12 / (64 * 312e12 * 200 * 86400) = 0.243)
    sheet.write_row(2, 0, ["hours", "train_cost", "7B", "2T", None, "A800", 64, None, 200, 1000, 2])
    book.close()
    target = tmp_path / "out.xlsx"
    assert main(["run", str(source), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    results = openpyxl.load_workbook(target)["results"]
    header = [c.value for c in results[1]]
    errors = [row[header.index("error")] for row in results.iter_rows(min_row=2, values_only=True)]
    assert errors[0].endswith("cells: scenarios!C2 params = 7B; scenarios!D2 tokens = 2T token; "
                              "scenarios!E2 tokens_per_param = 20 token")
    cells = errors[1].split("cells: ")[1]
    assert cells == "scenarios!G3 n_gpus = 64; scenarios!I3 train_time = 200 days; scenarios!J3 gpu_hours = 1,000 hour"
    assert "scenarios!J3 gpu_hours" in err       # the terminal summary names them too
    assert "scenarios!K3" not in cells           # the price plays no part in the contradiction
