"""The polars API (engine.solve_frame / engine.run_frame) and .csv/.parquet scenario files."""
from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import engine
from engine.cli import main

DAY = 86400.0
A800 = 312e12


def test_solve_frame_answers_every_row(eng):
    frame = pl.DataFrame({
        "name": ["a", "b", "c"],
        "solve": ["n_gpus", "train_time, gpu_hours", "tokens"],
        "params [B]": [7.0, 7.0, 7.0],                      # header unit: billions
        "tokens": ["2T", "2T", None],
        "gpu": ["A800", "a800", "A800"],                    # keys case-insensitively
        "train_time [days]": [30.0, None, None],
        "n_gpus": [None, 256.0, None],
        "mfu [%]": [40.0, 40.0, 40.0],                     # header unit: percent
        "gpu_days": [None, None, 10_000.0],
    })
    out = engine.solve_frame(frame, eng)
    assert out.columns[:frame.width] == frame.columns
    assert out.get_column("name").to_list() == ["a", "b", "c"]
    assert out.get_column("tokens").to_list()[:2] == ["2T", "2T"]          # as read
    raw = 6 * 7e9 * 2e12 / (A800 * 0.4 * 30 * DAY)
    assert out["n_gpus"][0] == math.ceil(raw)
    assert out["train_time [days]"][1] == pytest.approx(6 * 7e9 * 2e12 / (256 * A800 * 0.4) / DAY, rel=1e-12)
    assert out["gpu_hours [hour]"][1] == pytest.approx(256 * out["train_time [days]"][1] * 24, rel=1e-12)
    tokens = 10_000 * DAY * A800 * 0.4 / (6 * 7e9)
    assert float(out["tokens"][2]) == pytest.approx(tokens, rel=1e-12)   # a text column gets the number as text
    assert out["error"].to_list() == [None, None, None]
    assert out["warnings"][0].startswith("rounded: n_gpus rounded up (the exact value is in `n_gpus unrounded`)")
    assert out["n_gpus unrounded"][0] == pytest.approx(raw, rel=1e-12)


def test_per_cell_errors_name_the_cell(eng):
    frame = pl.DataFrame({
        "solve": ["train_flops", "train_flops", "train_flops", "train_flops", "n_gpus", "train_flops"],
        "params": ["abc", "7B", "7B", "7B", None, "-7B"],
        "tokens": ["1T", "30 days", "1T", "1T", None, "1T"],
        "mfu": [None, None, 40.0, None, None, None],
        "train_flops": [None, None, None, 1e22, None, None],
    })
    outcome = engine.run_frame(frame, eng)
    errors = outcome.results["error"].to_list()
    assert errors[0] == "frame row 1, column 'params': params: 'abc' is not a number; expected e.g. 7B or 0.4"
    assert errors[1].startswith("frame row 2, column 'tokens': tokens: '30 days' is")
    assert errors[2].startswith("frame row 3, column 'mfu': mfu: must be a fraction between 0 and 1 (or a "
                                "percentage such as 40%), got 40")
    assert errors[3].startswith("frame row 4, column 'train_flops': train_flops is asked for in `solve` and "
                                "also given")
    assert errors[4].startswith("to solve n_gpus")
    assert errors[5].startswith("frame row 6, column 'params': params: must be greater than 0")
    assert outcome.error_count == 6 and outcome.answered_count == 0


def test_outcome_fields_for_reports(eng):
    frame = pl.DataFrame({"name": ["first", None], "solve": ["train_flops", ""], "params": ["7B", "13B"],
                          "tokens": ["1T", "1T"], "budget_code": ["x", "y"]})
    with pytest.warns(UserWarning, match="budget_code"):
        engine.solve_frame(frame, eng)
    outcome = engine.run_frame(frame, eng)
    assert outcome.names == ["first", "row 2"]
    assert outcome.targets == [("train_flops",), ()]
    assert outcome.batch.rows == 2
    assert outcome.results["budget_code"].to_list() == ["x", "y"]
    assert outcome.results["train_flops [FLOP]"][0] == pytest.approx(6 * 7e9 * 1e12)
    # an empty `solve` derives what follows from the values: tokens per parameter, not the FLOPs
    assert outcome.results["tokens_per_param [token]"][1] == pytest.approx(1e12 / 13e9)
    assert outcome.results["train_flops [FLOP]"][1] is None
    assert outcome.error_count == 0


def test_enum_and_numeric_key_columns(eng):
    gpus = pl.Enum(["A800", "H100-SXM"])
    frame = pl.DataFrame({
        "solve": pl.Series(["train_time"] * 4, dtype=pl.Categorical),
        "params": [7e9] * 4, "tokens": [1e12] * 4,
        "gpu": pl.Series(["A800", "H100-SXM", "A800", None], dtype=gpus),
        "n_gpus": [64, 64, 128, 64], "mfu": [0.5] * 4,
    })
    out = engine.solve_frame(frame, eng)
    assert out["gpu"].dtype == gpus                                       # untouched
    days = out["train_time [day]"].to_list()
    assert days[0] == pytest.approx(6 * 7e9 * 1e12 / (64 * A800 * 0.5) / DAY, rel=1e-12)
    assert days[2] == pytest.approx(days[0] / 2, rel=1e-12)
    assert days[3] is None and "peak_flops" in out["error"][3]


def test_blank_rows_are_neither_answered_nor_errors(eng):
    frame = pl.DataFrame({"solve": [None, "train_flops"], "params": [None, "7B"], "tokens": [None, "1T"],
                          "notes": ["just a note", None]})
    outcome = engine.run_frame(frame, eng)
    assert outcome.blank.tolist() == [True, False]
    assert outcome.results["error"].to_list() == [None, None]
    assert outcome.error_count == 0 and outcome.answered_count == 1


@pytest.mark.parametrize("suffix_in, suffix_out", [(".csv", ".csv"), (".parquet", ".parquet"), (".csv", ".xlsx"),
                                                   (".parquet", ".csv")])
def test_csv_and_parquet_round_trip(tmp_path, suffix_in, suffix_out):
    frame = pl.DataFrame({"name": ["inv", "fwd", "bad"], "solve": ["n_gpus", "train_flops", "n_gpus"],
                          "params": ["7B", "7B", "7B"], "tokens": [2e12, 1e12, 2e12],
                          "gpu": ["A800", None, "X100"], "train_time [days]": [30.0, None, 30.0],
                          "mfu": [0.4, None, 0.4], "recompute": ["full", None, None]})
    source = tmp_path / f"in{suffix_in}"
    frame.write_csv(source) if suffix_in == ".csv" else frame.write_parquet(source)
    before = source.read_bytes()
    target = tmp_path / f"out{suffix_out}"
    assert main(["run", str(source), "-o", str(target)]) == 1
    assert source.read_bytes() == before
    if suffix_out == ".xlsx":
        out = pl.read_excel(target, sheet_name="results", schema_overrides={"train_flops [FLOP]": pl.Float64,
                                                                                "param_flops [FLOP]": pl.Float64})
    else:
        out = pl.read_csv(target) if suffix_out == ".csv" else pl.read_parquet(target)
    assert out["name"].to_list() == ["inv", "fwd", "bad"]
    assert out["n_gpus"][0] == 347
    assert out["train_flops [FLOP]"][1] == pytest.approx(6 * 7e9 * 1e12, rel=1e-12)
    assert out["error"][2].startswith(f"in{suffix_in}!E4: gpu: unknown value 'X100'")
    assert out["error"][0] is None and out["error"][1] is None


def test_output_format_and_header_unit_checks(tmp_path, capsys):
    pl.DataFrame({"solve": ["train_flops"], "params": ["7B"]}).write_csv(tmp_path / "in.csv")
    assert main(["run", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.json")]) == 2
    assert "cannot write .json" in capsys.readouterr().err
    pl.DataFrame({"solve": ["train_flops"], "params [days]": ["7"]}).write_csv(tmp_path / "unit.csv")
    assert main(["run", str(tmp_path / "unit.csv"), "-o", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert "unit.csv!B1: header unit [days]" in err


def test_a_million_rows_stay_vectorized(eng):
    """Shape check only (not a timing test): one pattern, a million rows, no per-row errors."""
    rows = 1_000_000
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"solve": pl.Series(["n_gpus"], dtype=pl.Enum(["n_gpus"])).gather(np.zeros(rows, int)),
                          "params": rng.uniform(1e9, 7e10, rows), "tokens": rng.uniform(1e11, 2e12, rows),
                          "gpu": pl.Series(["A800"], dtype=pl.Enum(["A800"])).gather(np.zeros(rows, int)),
                          "train_time [days]": rng.uniform(10, 90, rows), "mfu": rng.uniform(0.3, 0.55, rows)})
    outcome = engine.run_frame(frame, eng)
    expected = np.ceil(6 * frame["params"].to_numpy() * frame["tokens"].to_numpy()
                       / (A800 * frame["mfu"].to_numpy() * frame["train_time [days]"].to_numpy() * DAY) * (1 - 1e-12))
    assert np.array_equal(outcome.results["n_gpus"].to_numpy(), expected)
    assert outcome.error_count == 0


def test_header_forms_and_duplicates(eng):
    from engine.io.sheets import ScenarioError

    frame = pl.DataFrame({"solve": ["n_gpus"], "params": ["7B"], "tokens": ["2T"], "gpu": ["A800"],
                          "train_time (hours)": [720.0], "mfu": [0.4]})
    out = engine.solve_frame(frame, eng, lang="zh")
    assert out["n_gpus"][0] == math.ceil(6 * 7e9 * 2e12 / (A800 * 0.4 * 720 * 3600))
    assert out["warnings"][0].startswith("已取整：n_gpus 向上取整")
    twice = pl.DataFrame({"params": ["7B"], "Params [B]": [7.0]})
    with pytest.raises(ScenarioError, match="params is given by two columns"):
        engine.run_frame(twice, eng)


def test_progress_bar_only_on_a_terminal():
    import io

    from engine.cli.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, loud = io.StringIO(), Terminal()
    for stream in (quiet, loud):
        with Progress("solving", 100, stream=stream) as bar:
            for done in range(0, 101, 25):
                bar.update(done)
    assert quiet.getvalue() == ""
    assert loud.getvalue().startswith("\rsolving [") and "100/100 rows" in loud.getvalue()
    assert loud.getvalue().endswith("\n")
