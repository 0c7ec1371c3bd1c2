"""The fast paths of a sweep's results table (issue #16): one-value columns, row codes, and the
warnings column formatted per bucket of values, each checked against the plain computation."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.table.result_columns import Repeated, Scaled, results_frame, text_cells, value_series
from engine.table.sweep import _axis_codes, parse_grid, solve_chunk
from engine.table.value_texts import bucketed_texts as _bucketed_texts
from engine.table.value_texts import format_expr as _format_expr

BAND = " is outside the typical 0.3–0.55 band for end-to-end training"


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5000), st.integers(1, 3000), st.integers(1, 700), st.integers(1, 9))
def test_axis_codes_are_row_over_stride_mod_size(start: int, count: int, stride: int, size: int) -> None:
    rows = np.arange(start, start + count)
    got = _axis_codes(start, start + count, stride, size)
    assert got.dtype == np.int64
    assert np.array_equal(got, (rows // stride) % size)


def test_columns_in_another_unit_are_divided_exactly_and_stay_in_order() -> None:
    rng = np.random.default_rng(5)
    bases = [rng.uniform(1e9, 1e12, 1000) for _ in range(6)]   # bytes (six: divided in two threads)
    bases[2][7] = np.nan                                         # one row unknown
    every = np.broadcast_to(True, (1000,))
    columns: dict = {"n_gpus": pl.Series(np.arange(1000.0))}
    for i, base in enumerate(bases):
        columns[f"b{i} [GB]"] = value_series(f"b{i} [GB]", base, every, 1e9)
        columns[f"one{i}"] = Repeated(float(i), pl.Float64, 1000)
    assert all(isinstance(columns[f"b{i} [GB]"], Scaled) for i in range(6))
    frame = results_frame(columns, 1000)
    assert frame.columns == list(columns)                        # the order as added
    for i, base in enumerate(bases):
        shown = frame[f"b{i} [GB]"].to_numpy()
        known = ~np.isnan(base)
        assert np.array_equal(shown[known], base[known] / 1e9)   # numpy's exact division, to the last bit
    assert frame["b2 [GB]"][7] is None and frame["b2 [GB]"].null_count() == 1


def test_one_value_column_stays_one_value_and_reads_the_same() -> None:
    base = np.broadcast_to(np.float64(3e9), (5,))    # a catalog figure: one value, every row
    cells = value_series("weights [GB]", base, np.broadcast_to(True, (5,)), 1e9)
    assert cells == Repeated(3.0, pl.Float64, 5)      # 3e9 bytes in GB, by hand
    varying = pl.Series("n_gpus", [8.0, 16.0, 32.0, 64.0, 128.0])
    frame = results_frame({"n_gpus": varying, "weights [GB]": cells,
                           "error": text_cells(5, [])}, 5)
    assert frame.columns == ["n_gpus", "weights [GB]", "error"]
    assert frame["weights [GB]"].to_list() == [3.0] * 5
    assert frame["error"].dtype == pl.String and frame["error"].null_count() == 5
    assert frame.schema["weights [GB]"] == pl.Float64   # (a float literal, no dtype spelled out)
    texts = results_frame({"n_gpus": varying, "note": Repeated("same", pl.String, 5),
                           "whole": Repeated(7.0, pl.Float64, 5)}, 5)
    assert texts.schema == {"n_gpus": pl.Float64, "note": pl.String, "whole": pl.Float64}
    assert texts["note"].to_list() == ["same"] * 5 and texts["whole"].to_list() == [7.0] * 5
    assert frame.equals(pl.DataFrame([varying, cells.series("weights [GB]"), pl.Series("error", [None] * 5,
                                                                                         dtype=pl.String)]))


def test_one_text_on_every_row_stays_one_value_a_part_does_not() -> None:
    assert text_cells(3, [(np.arange(3), "same")]) == Repeated("same", pl.String, 3)
    assert text_cells(3, [(np.array([1]), "one")]).to_list() == [None, "one", None]


def test_bucketed_texts_read_as_each_row_formatted(bundled_engine) -> None:
    """Values near 4-figure rounding edges, over several decades: per-bucket texts, gathered by code,
    equal the vectorized formatter applied to every row."""
    mfu = bundled_engine.rules.variables["mfu"]
    rng = np.random.default_rng(16)
    edges = np.array([0.012345, 0.0099995, 0.099995, 0.12346, 0.24999, 0.00777, 0.5, 0.55])
    values = np.concatenate([10 ** rng.uniform(-4, -0.3, 30_000), edges, np.nextafter(edges, 0),
                             np.nextafter(edges, 1)])
    index = np.flatnonzero(rng.random(len(values)) < 0.9)
    coded = _bucketed_texts(mfu, values, index)
    assert coded is not None and len(coded.table) < len(index)
    every = pl.DataFrame({"v": values}).select(_format_expr(mfu, pl.col("v"), 0.0)).to_series()
    assert coded.table.gather(coded.codes[index]).to_list() == every.gather(index).to_list()


@pytest.mark.parametrize("decades", [(-1,), (-3, -2, -1)])
def test_bucketed_texts_at_rounding_ties_read_as_each_row_formatted(bundled_engine, decades) -> None:
    """Every 4-figure tie x.5 (1000.5 .. 9999.5 times a power of ten, as the nearest float and its two
    neighbours), in one decade (no logarithm per row) and over three: where the bucket and the row
    could round differently, the texts still equal the formatter applied to every row (or the rows
    are formatted one by one: None)."""
    mfu = bundled_engine.rules.variables["mfu"]
    ties = np.concatenate([(np.arange(1000, 10000) + 0.5) * 10.0 ** (d - 3) for d in decades])
    values = np.concatenate([ties, np.nextafter(ties, 0), np.nextafter(ties, 1)])
    index = np.arange(len(values))
    coded = _bucketed_texts(mfu, values, index)
    every = pl.DataFrame({"v": values}).select(_format_expr(mfu, pl.col("v"), 0.0)).to_series()
    if coded is not None:
        assert coded.table.gather(coded.codes[index]).to_list() == every.to_list()


def test_bucketed_texts_step_aside_where_they_cannot_hold(bundled_engine) -> None:
    mfu = bundled_engine.rules.variables["mfu"]
    everywhere = np.arange(3)
    assert _bucketed_texts(mfu, np.array([0.1, 0.0, 0.2]), everywhere) is None       # zero
    assert _bucketed_texts(mfu, np.array([0.1, np.nan, 0.2]), everywhere) is None    # no value
    assert _bucketed_texts(mfu, np.array([0.1, 2e4, 0.2]), everywhere) is None       # shown as 20K
    grad_accum = bundled_engine.rules.variables["grad_accum"]                            # an integer
    assert _bucketed_texts(grad_accum, np.array([1.0, 2.5, 3.0]), everywhere) is None


def test_sweep_warnings_over_many_distinct_values(bundled_engine) -> None:
    """25,000 given mfu values (more than are formatted one by one): every row's warning names its own
    value to 4 figures (by hand: 0.00777, 0.12346 -> 0.1235, 0.24999 -> 0.25), after the note on
    every row (296.8 token per parameter: 2T tokens / 6.74B parameters of Llama-2-7B)."""
    grid = parse_grid(bundled_engine, ["train_time"], {"model": "llama2-7b", "gpu": "H100-SXM", "tokens": "2T",
                                                       "n_gpus": "1024", "mfu": "0.00001..0.25+0.00001"})
    warnings = solve_chunk(bundled_engine, grid, 0, grid.total).results["warnings"]
    assert len(warnings) == 25_000 and warnings.null_count() == 0
    for k, shown in ((777, "0.00777"), (12346, "0.1235"), (24999, "0.25")):
        text = warnings[k - 1]
        assert text.startswith("scaling.far_from_chinchilla: 296.8 token per parameter")
        assert text.endswith(f" | time.mfu_outside_band: utilization {shown}{BAND}")


LAYOUT = {"tp": "1,2,4,8", "pp": "1,2,4,8,16", "micro_batch": "1,2,4,8,16", "perf_model": "analytic",
          "model": "llama2-7b", "gpu": "H100-SXM", "seq_len": "4096", "precision": "mixed-bf16", "zero_stage": "1",
          "attention_kernel": "flash"}


def test_layout_sweep_warnings_carry_each_rows_mfu(bundled_engine) -> None:
    """A 50,000-row analytic layout grid (grad_accum 8 given: every layout answers): the mfu band fires on
    many rows, with more distinct mfu values than are formatted one by one. Each warned row reads its own
    mfu to 4 significant figures (Python's `.4g` as the reference); the others read nothing."""
    specs = dict(LAYOUT, n_gpus="128..64000+128", grad_accum="8")
    grid = parse_grid(bundled_engine, ["mfu", "step_time"], specs)
    results = solve_chunk(bundled_engine, grid, 0, grid.total, side_values=False).results
    mfu, warnings = results["mfu"].to_numpy(), results["warnings"].to_list()
    band = (mfu < 0.3) | (mfu > 0.55)
    assert results["error"].null_count() == grid.total and len(np.unique(mfu[band])) > 20_000
    assert band.any() and not band.all()
    for row in np.random.default_rng(7).choice(grid.total, 400, replace=False).tolist():
        if band[row] and mfu[row] >= 1e-3:
            assert warnings[row] == f"time.mfu_outside_band: utilization {mfu[row]:.4g}{BAND}"
        elif not band[row]:
            assert warnings[row] is None


def test_layout_sweep_refuses_the_layouts_solve_refuses(bundled_engine) -> None:
    """global_batch 4,096 given: a layout whose micro_batch × dp does not divide it has no whole grad_accum
    (Megatron-LM asserts the same), and one whose micro_batch × dp exceeds it leaves replicas without a
    micro-batch (batching.replicas_exceed_batch). The sweep refuses those rows, as `solve` refuses each alone,
    and answers the others with micro_batch × dp × grad_accum = 4,096 exactly (by hand: dp = n_gpus / (tp · pp))."""
    from engine.errors import EngineError

    specs = dict(LAYOUT, n_gpus="128..6400+128", global_batch="4096")
    grid = parse_grid(bundled_engine, ["step_time"], specs)
    results = solve_chunk(bundled_engine, grid, 0, grid.total, side_values=False).results
    layout = {name: results[name].to_numpy() for name in ("tp", "pp", "micro_batch", "n_gpus", "grad_accum")}
    errors = results["error"].to_list()
    fits = 4096 % (layout["micro_batch"] * layout["n_gpus"] // (layout["tp"] * layout["pp"])) == 0
    assert fits.any() and not fits.all()
    for row in range(grid.total):
        tp, pp, micro, n = (int(layout[name][row]) for name in ("tp", "pp", "micro_batch", "n_gpus"))
        if fits[row]:
            assert errors[row] is None and layout["grad_accum"][row] * micro * n // (tp * pp) == 4096
        elif micro * n // (tp * pp) > 4096:
            assert errors[row].startswith("batching.replicas_exceed_batch") and "global_batch = 4,096" in errors[row]
        else:
            assert errors[row].startswith("grad_accum must be a whole number") and f"n_gpus = {n:,}" in errors[row]
    for row in (0, 1, int(np.flatnonzero(fits)[0])):
        question = {name: specs[name] for name in LAYOUT} | {"global_batch": 4096}
        question |= {name: int(layout[name][row]) for name in ("tp", "pp", "micro_batch", "n_gpus")}
        try:
            alone = bundled_engine.solve(["step_time"], question).values["step_time"]
        except EngineError as refused:
            assert not fits[row] and ("grad_accum must be a whole number" in str(refused)
                                      or str(refused).startswith("batching.replicas_exceed_batch"))
        else:
            assert fits[row] and results["step_time [s]"][row] == pytest.approx(alone, rel=1e-12)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_refused_rows_past_the_told_ones_share_a_text_and_keep_their_own_cells(bundled_engine, monkeypatch,
                                                                             lang) -> None:
    """Past ROW_MESSAGES refused rows of one rule (1,000; 3 here), a row's message names the values without
    their numbers, and its cells still show its own: n_gpus 384 on tp 2 · pp 2 is dp 96, and
    4,096 / 96 = 42.67 is no whole grad_accum (by hand); 512 GPUs (dp 128, grad_accum 32) answer."""
    import engine.solve.batch_checks as checks

    monkeypatch.setattr(checks, "ROW_MESSAGES", 3)
    specs = dict(LAYOUT, tp="2", pp="2", micro_batch="1", global_batch="4096", n_gpus="384,640,896,1152,512")
    grid = parse_grid(bundled_engine, ["step_time"], specs)
    errors = solve_chunk(bundled_engine, grid, 0, grid.total, lang=lang, side_values=False).results["error"]
    errors = errors.to_list()
    assert errors[4] is None
    told, rest = errors[:3], errors[3]
    assert "42.67" in told[0] and len(set(told)) == 3
    assert "42.67" not in rest and "1,152" not in rest.split("—")[0]
    for n, message in zip((384, 640, 896, 1152), errors):
        assert message.count("grad_accum") >= 2 and f"n_gpus = {n:,}" in message.split("—")[-1]
        assert ("整数" in message) == (lang == "zh") and ("涉及单元格" in message) == (lang == "zh")
