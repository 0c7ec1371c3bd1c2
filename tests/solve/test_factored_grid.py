"""A sweep's rows solved as a grid shape (engine/solve/factored.py) give what the row-by-row path gives.

Each test solves the same chunk twice through Engine.solve_columns, once with the sweep's grid hint
and once without, and compares every value, status, error and warning: the factored path is an
evaluation order, never a different answer.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from engine.solve.batch import Categorical
from engine.solve.factored import Factored, grid_columns
from engine.table.sweep import parse_grid, solve_chunk

ANALYTIC = {"perf_model": "analytic", "model": "llama2-7b", "seq_len": "4096", "global_batch": "1024",
            "precision": "mixed-bf16", "zero_stage": "1"}


def _columns(grid: Any, start: int, stop: int) -> tuple[dict[str, np.ndarray], dict[str, Categorical]]:
    """The chunk's input columns exactly as engine/table/sweep.solve_chunk builds them."""
    numbers, keys = {}, {}
    for axis, code in zip(grid.axes, grid.codes(start, stop)):
        if axis.categorical:
            keys[axis.name] = Categorical(code, list(axis.labels))
        else:
            numbers[axis.name] = np.broadcast_to(axis.numbers[0], (stop - start,)) if len(axis) == 1 \
                else axis.numbers[code]
    return numbers, keys


def _both(eng: Any, targets: list[str], specs: dict[str, str], start: int = 0, stop: int | None = None,
          side_values: bool = False) -> tuple[Any, Any, Factored | None]:
    grid = parse_grid(eng, targets, specs)
    stop = grid.total if stop is None else stop
    numbers, keys = _columns(grid, start, stop)
    hint = grid.factored(start, stop, numbers)
    rows = stop - start
    ask = [grid.targets], np.broadcast_to(np.int64(0), (rows,)), rows, None
    shaped = eng.solve_columns(numbers, keys, *ask, side_values=side_values, grid=hint)
    flat = eng.solve_columns(numbers, keys, *ask, side_values=side_values)
    return shaped, flat, hint


def _assert_same(shaped: Any, flat: Any) -> None:
    assert set(shaped.values) == set(flat.values)
    for name, col in flat.values.items():
        np.testing.assert_allclose(np.broadcast_to(shaped.values[name], (flat.rows,)), col, rtol=1e-12,
                                   equal_nan=True, err_msg=name)
        assert np.array_equal(np.broadcast_to(shaped.status[name], (flat.rows,)),
                              np.broadcast_to(flat.status[name], (flat.rows,))), name
    assert np.array_equal(shaped.failed, flat.failed)
    assert [str(e) for e in shaped.errors] == [str(e) for e in flat.errors]
    assert [(c, m.tolist()) for c, m in shaped.warnings] == [(c, m.tolist()) for c, m in flat.warnings]


def test_a_layout_sweep_is_solved_on_its_shape_with_the_same_answers(eng: Any) -> None:
    specs = {"tp": "1,2,4,8", "pp": "1,2,4", "micro_batch": "1,2,4", "n_gpus": "64..512+64", "gpu": "H100-SXM",
             **ANALYTIC}
    shaped, flat, hint = _both(eng, ["mfu", "step_time"], specs)
    assert hint is not None and hint.shape == (4, 3, 3, 8)     # one dimension per swept axis
    assert not flat.failed.all()
    _assert_same(shaped, flat)


def test_side_values_and_a_gpu_axis_are_solved_alike(eng: Any) -> None:
    # a categorical axis (its catalog figures are gathered per row) beside numeric ones, every side value
    specs = {"gpu": "A100-80GB-SXM,H100-SXM", "tp": "1,2,8", "n_gpus": "8..128*2", **ANALYTIC}
    shaped, flat, hint = _both(eng, ["step_time"], specs, side_values=True)
    assert hint is not None and hint.shape == (2, 3, 5)
    _assert_same(shaped, flat)


def test_rows_without_an_answer_keep_their_errors(eng: Any) -> None:
    # n_gpus 4 under tp 8 (or tp·pp 32) gives dp < 1 and a negative gradient all-reduce volume
    # 2(dp-1)/dp·Ψ: the shaped run stops at that step and the row-by-row path refuses those rows
    specs = {"tp": "1,8", "pp": "1,4", "micro_batch": "1,3", "n_gpus": "4,96,100", "gpu": "H100-SXM", **ANALYTIC}
    shaped, flat, _ = _both(eng, ["mfu"], specs)
    assert flat.failed.any() and not flat.failed.all()
    _assert_same(shaped, flat)


@pytest.mark.parametrize("start, stop, shape", [
    (0, 120, (2, 3, 20)),     # whole blocks of the inner two axes, the first axis folded in
    (60, 120, (3, 20)),       # one block of the first axis: its value is one number there
    (20, 80, (3, 20)),        # blocks of n_gpus only, across a tp boundary (tp varies along the blocks)
    (7, 93, None),            # ragged: no block structure, solved row by row
])
def test_chunks_of_a_grid_are_shaped_from_their_blocks(eng: Any, start: int, stop: int,
                                                       shape: tuple[int, ...] | None) -> None:
    specs = {"tp": "1,2", "pp": "1,2,4", "n_gpus": "64..1280+64", "gpu": "H100-SXM", **ANALYTIC}
    shaped, flat, hint = _both(eng, ["step_time"], specs, start, stop)
    assert (hint.shape if hint is not None else None) == shape
    _assert_same(shaped, flat)


def test_the_sweep_frame_is_unchanged_by_the_shape(eng: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = {"tp": "1,2,4,8", "pp": "1,2,4", "micro_batch": "1,2", "n_gpus": "64..1024+64", "gpu": "H100-SXM",
             **ANALYTIC}
    grid = parse_grid(eng, ["mfu", "step_time"], specs)
    shaped = solve_chunk(eng, grid, 0, grid.total, side_values=False).results
    monkeypatch.setattr(type(grid), "factored", lambda self, start, stop, numbers: None)
    flat = solve_chunk(eng, grid, 0, grid.total, side_values=False).results
    assert shaped.columns == flat.columns
    for name in flat.columns:
        left, right = shaped.get_column(name), flat.get_column(name)
        if left.dtype.is_float():
            np.testing.assert_allclose(left.to_numpy(), right.to_numpy(), rtol=1e-12, equal_nan=True, err_msg=name)
        else:
            assert left.to_list() == right.to_list(), name


def test_grid_columns_flatten_to_the_row_order(eng: Any) -> None:
    # rows are the C-order positions of (a, b): row = 3·a + b; a value of a alone broadcasts along b
    a, b = np.array([10.0, 20.0]), np.array([1.0, 2.0, 3.0])
    flat_a, flat_b = np.repeat(a, 3), np.tile(b, 2)
    grid = grid_columns((2, 3), {"a": (0, a), "b": (1, b)}, {"a": flat_a, "b": flat_b})
    assert grid.shaped("a", flat_a).shape == (2, 1) and grid.shaped("b", flat_b).shape == (1, 3)
    summed = grid.shaped("a", flat_a) + grid.shaped("b", flat_b)
    assert grid.flat(summed).tolist() == (flat_a + flat_b).tolist()
    assert grid.flat(7.0).tolist() == [7.0] * 6
    assert grid.shaped("c", np.broadcast_to(5.0, (6,))) == 5.0             # one value stays one number
    assert grid.shaped("c", flat_a.copy()).shape == (2, 3)                  # another column: full shape
    assert not grid.fits(flat_a) and grid.fits(np.zeros((1, 3))) and not grid.fits(np.zeros((3, 2)))
    assert math.prod(grid.shape) == grid.rows == 6


def test_many_large_values_flatten_alike_in_two_threads() -> None:
    # 60,000 rows and six values over some of the axes: flat_all copies them half in another thread
    shape = (4, 5, 3000)
    axes = {"a": (0, np.arange(4.0)), "b": (1, np.arange(5.0)), "c": (2, np.arange(3000.0))}
    grid = grid_columns(shape, axes, {n: np.zeros(math.prod(shape)) for n in axes})
    rng = np.random.default_rng(3)
    values: list[Any] = [rng.random((4, 5, 1)), rng.random((1, 1, 3000)), rng.random((4, 1, 3000)), 2.5,
                         rng.random(shape), rng.random((1, 5, 1)), rng.random((4, 5, 3000))[:, :, ::1]]
    values.append(rng.random((4, 1, 1)))
    flats = grid.flat_all([(v, None) for v in values])
    for value, flat in zip(values, flats):
        assert np.array_equal(flat, np.broadcast_to(value, shape).reshape(-1))   # the C-order rows
        assert not flat.flags.writeable
        if isinstance(value, np.ndarray):
            assert grid.shaped("x", flat) is value or np.array_equal(grid.shaped("x", flat), value)


def test_sweep_chunks_are_whole_blocks_of_the_inner_axes(eng: Any) -> None:
    grid = parse_grid(eng, ["step_time"], {"tp": "1,2,4", "pp": "1,2", "n_gpus": "64..640+64", **ANALYTIC})
    assert grid.aligned_chunk(45) == 40      # 2 pp × 10 n_gpus = 20 rows a block: two blocks
    assert grid.aligned_chunk(15) == 10      # not one block of 20: whole n_gpus runs of 10
    assert grid.aligned_chunk(7) == 7        # not even one n_gpus run: as asked
    assert grid.aligned_chunk(1000) == 1000  # (the whole grid is 60 rows: one chunk anyway)
    assert grid.factored(40, 60, _columns(grid, 40, 60)[0]).shape == (2, 10)
