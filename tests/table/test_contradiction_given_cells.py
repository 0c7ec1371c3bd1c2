"""A refused row cites only the cells the user filled: a value in a column whose cell was left empty
(derived, defaulted, filled from a config file) is named as such, without an address."""
from __future__ import annotations

import openpyxl
import polars as pl

from engine.cli.app import main

HEADER = ["scenario", "params", "tokens", "gpu", "n_gpus", "train_flops", "mfu", "train_time", "recompute"]


def _errors(tmp_path, rows, *flags):
    source, target = tmp_path / "in.xlsx", tmp_path / "out.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "scenarios"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(source)
    assert main(["run", str(source), "-o", str(target), *flags]) == 1
    results = openpyxl.load_workbook(target)["results"]
    header = [c.value for c in results[1]]
    return [row[header.index("error")] for row in results.iter_rows(min_row=2, values_only=True)]


def test_empty_cells_are_named_as_derived_or_default_not_cited(tmp_path, capsys):
    # 6 · 7e9 · 2e12 = 84e21 FLOP; 64 A800s (312 TFLOPS) at 0.4 deliver 7.9872e15 FLOP/s, so 84e21 FLOP take
    # 1.0517e7 s = 121.7 days, not the 50 given (59 % apart). train_flops (F) and recompute (I) are empty.
    # With recompute=full typed: 8 · 7e9 · 2e12 = 112e21 FLOP (162 days), the cell I3 is the user's.
    errors = _errors(tmp_path, [["a", "7B", "2T", "A800", 64, None, 0.4, 50, None],
                                ["b", "7B", "2T", "A800", 64, None, 0.4, 50, "full"]])
    first = errors[0].split(" — cells: ")[1]
    assert first == ("scenarios!B2 params = 7B; scenarios!C2 tokens = 2T token; scenarios!D2 gpu = A800; "
                     "scenarios!E2 n_gpus = 64; train_flops = 84e21 FLOP (derived); scenarios!G2 mfu = 0.4; "
                     "scenarios!H2 train_time = 50 days; recompute = none (default)")
    second = errors[1].split(" — cells: ")[1]
    assert "train_flops = 112e21 FLOP (derived)" in second and "scenarios!I3 recompute = full" in second
    assert "scenarios!F" not in first + second          # no empty cell is cited
    assert "recompute = none (default)" in capsys.readouterr().err   # the terminal summary says the same


def test_origins_are_said_in_chinese(tmp_path):
    (error,) = _errors(tmp_path, [["a", "7B", "2T", "A800", 64, None, 0.4, 50, None]], "--lang", "zh")
    assert "train_flops = 84e21 FLOP（推导值）" in error and "recompute = none（默认值）" in error
    assert "scenarios!E2 n_gpus = 64" in error


def test_values_filled_from_a_config_file_are_named_as_such(eng, tmp_path):
    from engine.table.frames import run_frame

    config = tmp_path / "train.yaml"
    config.write_text("model_name_or_path: meta-llama/Llama-2-7b-hf\nfinetuning_type: lora\n"
                      "per_device_train_batch_size: 4\ngradient_accumulation_steps: 4\n", encoding="utf-8")
    # 2 GPUs x micro-batch 4 x accumulation 4 = 32 sequences a step, not the 100 given (dp = 100 / 16 = 6.25)
    frame = pl.DataFrame({"config": [str(config)] * 2, "n_gpus": [2, 2], "global_batch": [100, 100],
                          "micro_batch": [None, 4], "grad_accum": [None, None]})
    errors = run_frame(frame, eng).results["error"].to_list()
    assert errors[0].endswith("global_batch = 100; micro_batch = 4 (from a config file); "
                              "grad_accum = 4 (from a config file)")
    # the second row typed its micro-batch: that cell is cited (both rows share one message text)
    assert errors[1].endswith("column 'micro_batch' micro_batch = 4; grad_accum = 4 (from a config file)")
