"""`llmplan sweep`: grid specs, sizes and values, chunked streaming to Parquet/CSV/xlsx."""
from __future__ import annotations

import itertools
import math

import numpy as np
import openpyxl
import polars as pl
import pytest

from engine.cli import main
from engine.errors import ValueParseError
from engine.io.sheets import csv_safe_columns
from engine.io.sweep_output import csv_ready, run_sweep
from engine.table import sweep

DAY = 86400.0
PEAK = {"A800": 312e12, "H100-SXM": 989e12}


def test_axis_specs(eng):
    gpus = sweep.parse_axis(eng, "n_gpus", "8..1024*2")
    assert gpus.values.tolist() == [8, 16, 32, 64, 128, 256, 512, 1024]
    mfu = sweep.parse_axis(eng, "mfu", "0.3..0.55+0.05")
    assert mfu.values.tolist() == [0.3, 0.35, 0.4, 0.45, 0.5, 0.55]
    days = sweep.parse_axis(eng, "train_time", "10d..30d+10d")
    assert days.values.tolist() == [10 * DAY, 20 * DAY, 30 * DAY] and days.header == "train_time [day]"
    assert sweep.parse_axis(eng, "train_time", "30,60").values.tolist() == [30 * DAY, 60 * DAY]
    assert sweep.parse_axis(eng, "params", "1e+9..1e+11*10").values.tolist() == [1e9, 1e10, 1e11]
    assert sweep.parse_axis(eng, "gpu", "a800,H100-SXM").labels == ["A800", "H100-SXM"]
    assert sweep.parse_axis(eng, "params", "7B").values.tolist() == [7e9]


@pytest.mark.parametrize("name, spec, message", [
    ("n_gpus", "8..1024", "with a step"), ("n_gpus", "8..1024*1", "greater than 1"),
    ("n_gpus", "1024..8*2", "ends below"), ("gpu", "X100", "unknown value"), ("mfu", "0.3..1.5+0.1", "fraction"),
    ("n_gpu", "8", "did you mean n_gpus"),
])
def test_bad_specs(eng, name, spec, message):
    with pytest.raises(ValueParseError, match=message):
        sweep.parse_axis(eng, name, spec)


def test_grid_checks(eng):
    with pytest.raises(ValueParseError, match="both swept and asked"):
        sweep.parse_grid(eng, ["n_gpus"], {"n_gpus": "8"})
    with pytest.raises(ValueParseError, match="catalog key"):
        sweep.parse_grid(eng, ["gpu"], {"params": "7B"})
    grid = sweep.parse_grid(eng, ["train_time"], {"params": "7B", "tokens": "1T", "gpu": "A800,H100-SXM",
                                                       "n_gpus": "8..1024*2", "mfu": "0.3..0.55+0.05"})
    assert grid.total == 1 * 1 * 2 * 8 * 6
    codes = grid.codes(0, grid.total)
    combos = list(itertools.product(range(1), range(1), range(2), range(8), range(6)))
    assert [tuple(int(c[i]) for c in codes) for i in range(grid.total)] == combos   # first axis outermost


def _gpu_grid_with_counted_solves(eng, monkeypatch):
    """2 GPUs x 8 n_gpus x 6 mfu (96 rows) for 7B/1T, and the row count of every solve made from now on."""
    grid = sweep.parse_grid(eng, ["train_time"], {"params": "7B", "tokens": "1T", "gpu": "A800,H100-SXM",
                                                       "n_gpus": "8..1024*2", "mfu": "0.3..0.55+0.05"})
    calls = []
    solve_columns = eng.solve_columns

    def counting(numbers, keys, targets, row_targets, rows, errors=None, **options):
        calls.append(rows)
        return solve_columns(numbers, keys, targets, row_targets, rows, errors, **options)

    monkeypatch.setattr(eng, "solve_columns", counting)
    return grid, calls


def test_chunked_streaming_to_parquet(eng, tmp_path, monkeypatch):
    grid, calls = _gpu_grid_with_counted_solves(eng, monkeypatch)
    target = tmp_path / "grid.parquet"
    result = run_sweep(eng, grid, target, chunk_rows=10)
    assert result.rows == 96 and result.errors == 0
    # chunks are whole runs of the innermost axis (6 mfu values: 10 -> 6 rows) so that each is solved
    # on its grid shape (engine/solve/factored.py)
    assert result.chunks == math.ceil(96 / 6)
    assert calls[-result.chunks:] == [6] * 16                   # every chunk solved on its own, in order
    # before them, the schema probe: one solve of rows spread over the grid (here all 96, < PROBE_ROWS)
    assert calls[:-result.chunks] == [96]
    out = pl.read_parquet(target)
    assert out.height == 96
    assert out.columns[:5] == ["params", "tokens [token]", "gpu", "n_gpus", "mfu"]
    expected = [(g, n, m) for g in ("A800", "H100-SXM") for n in (8, 16, 32, 64, 128, 256, 512, 1024)
                for m in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)]
    assert list(zip(out["gpu"].cast(pl.String), out["n_gpus"], out["mfu"])) == expected
    days = np.array([6 * 7e9 * 1e12 / (n * PEAK[g] * m) / DAY for g, n, m in expected])
    assert np.allclose(out["train_time [day]"].to_numpy(), days, rtol=1e-12)
    assert out["error"].null_count() == 96
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.parquet"]


def test_cli_csv_xlsx_and_stdout(tmp_path, capsys):
    args = ["sweep", "n_gpus", "params=7B", "tokens=2T", "gpu=A800", "train_time=30d,60d", "mfu=0.4",
            "recompute=none,full"]
    assert main([*args, "-o", str(tmp_path / "g.csv"), "--chunk-rows", "3"]) == 0
    out = pl.read_csv(tmp_path / "g.csv")
    assert out.height == 4
    hand = [math.ceil(k * 7e9 * 2e12 / (312e12 * 0.4 * d * DAY)) for d in (30, 60) for k in (6, 8)]
    assert out["n_gpus"].to_list() == hand
    assert out["recompute"].to_list() == ["none", "full", "none", "full"]
    assert main([*args, "-o", str(tmp_path / "g.xlsx")]) == 0
    sheet = openpyxl.load_workbook(tmp_path / "g.xlsx")["results"]
    header = [c.value for c in sheet[1]]
    assert [r[header.index("n_gpus")] for r in sheet.iter_rows(min_row=2, values_only=True)] == hand
    capsys.readouterr()
    assert main(args) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("params,tokens [token],gpu,train_time [day],mfu,recompute,n_gpus")
    assert len(printed) == 5


def test_rows_with_errors_exit_1(tmp_path, capsys):
    # train_time from flops alone cannot be answered without GPUs: every row carries its error
    assert main(["sweep", "train_time", "params=7B,13B", "tokens=1T", "-o", str(tmp_path / "e.parquet")]) == 1
    out = pl.read_parquet(tmp_path / "e.parquet")
    assert out.height == 2 and out["error"].null_count() == 0
    assert main(["sweep", "train_time", "n_gpus=8..1024", "-o", str(tmp_path / "x.parquet")]) == 2
    assert "with a step" in capsys.readouterr().err


def test_one_chunk_sweep_skips_the_probe_and_matches_the_streamed_one(eng, tmp_path, monkeypatch):
    """A grid that fits in one chunk is solved once (its own columns are the schema); the file is the
    same as the one streamed chunk by chunk after a schema probe."""
    grid, calls = _gpu_grid_with_counted_solves(eng, monkeypatch)
    for suffix, read in ((".parquet", pl.read_parquet), (".csv", pl.read_csv)):
        calls.clear()
        whole = run_sweep(eng, grid, tmp_path / f"whole{suffix}")
        assert calls == [96] and whole.chunks == 1
        streamed = run_sweep(eng, grid, tmp_path / f"streamed{suffix}", chunk_rows=10)
        assert streamed.chunks == 16 and whole.columns == streamed.columns
        one, many = read(tmp_path / f"whole{suffix}"), read(tmp_path / f"streamed{suffix}")
        assert one.columns[-3:] == ["assumptions", "warnings", "error"]
        assert one.equals(many), suffix
    assert (tmp_path / "whole.csv").read_bytes() == (tmp_path / "streamed.csv").read_bytes()


def test_csv_of_one_value_columns_is_the_text_polars_writes(eng):
    """csv_ready turns a number column of one value into its text once; the bytes are those of writing the
    frame as it is (the layout sweep's 78 columns of one value made half its CSV time)."""
    grid = sweep.parse_grid(eng, ["step_time"], {"perf_model": "analytic", "model": "llama2-7b", "gpu": "H100-SXM",
                                                      "seq_len": "4096", "global_batch": "512", "tp": "1,2",
                                                      "n_gpus": "64..256*2"})
    outcome = sweep.solve_chunk(eng, grid, 0, grid.total, side_values=False)
    numeric = {n for n in outcome.repeated if outcome.results.schema[n].is_numeric()}
    assert len(numeric) > 10 and "step_time [s]" not in outcome.repeated   # (varies with tp and n_gpus)
    frame = outcome.results
    assert csv_ready(frame, outcome.repeated).write_csv() == \
        frame.with_columns(csv_safe_columns(frame.schema)).write_csv()
    # values whose text could differ between a cast and the writer: exponents, tiny, signed zero, NaN, null
    edge = [1e20, 1e-7, 2.5e-5, 1e15, 1e16, -0.0, 1 / 3, float("nan"), None, 7e9, 5e-324, float("inf")]
    rows = 3
    frame = pl.select([pl.lit(v, dtype=pl.Float64).alias(f"c{i}") for i, v in enumerate(edge)]
                      + [pl.lit(-5, dtype=pl.Int64).alias("neg")]).select(pl.all().repeat_by(rows).explode())
    assert frame.height == rows
    assert csv_ready(frame, frozenset(frame.columns)).write_csv() == frame.write_csv()
