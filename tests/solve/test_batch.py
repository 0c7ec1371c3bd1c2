"""The batch path: rows with different questions in one batch, each answered from its own pattern."""
from __future__ import annotations

import numpy as np
import pytest

from engine.solve.batch import Categorical


def test_a_target_in_one_row_does_not_block_catalog_figures_in_others(eng):
    # row 0 asks peak_flops (so its catalog figure must not be filled there); row 1 needs the A800's
    # 312 TFLOPS from the catalog: train_time = 6·7e9·1e12 / (64 · 312e12 · 0.4) = 5.2584e6 s
    numbers = {"params": np.array([7e9, 7e9]), "tokens": np.array([2e12, 1e12]),
               "gpu_hours": np.array([250_000 * 3600.0, np.nan]), "n_gpus": np.array([np.nan, 64.0]),
               "mfu": np.array([0.3, 0.4])}
    batch = eng.solve_columns(numbers, {"gpu": Categorical(np.array([0, 0]), ["A800"])},
                              [("peak_flops",), ("train_time",)], np.array([0, 1]), 2)
    assert list(batch.errors) == [None, None]
    # row 0: peak = 6·7e9·2e12 / (0.3 · 250,000 h · 3600 s) = 311.1 TFLOPS, solved, not the catalog's 312
    assert batch.values["peak_flops"][0] == pytest.approx(6 * 7e9 * 2e12 / (0.3 * 250_000 * 3600))
    assert batch.values["train_time"][1] == pytest.approx(6 * 7e9 * 1e12 / (64 * 312e12 * 0.4))
    assert len(batch.groups) == 2


def test_input_arrays_are_never_written_into(eng):
    train_time = np.array([30 * 86400.0, 30 * 86400.0])
    before = train_time.copy()
    eng.solve_columns({"params": np.array([7e9, 7e9]), "tokens": np.array([2e12, 2e12]),
                       "train_time": train_time, "mfu": np.array([0.4, 0.4])},
                      {"gpu": Categorical(np.array([0, 0]), ["A800"])}, [("n_gpus",)], np.zeros(2, np.int64), 2)
    np.testing.assert_array_equal(train_time, before)     # recomputed for 347 GPUs in the batch, not here


def test_one_bad_row_keeps_the_others(eng):
    numbers = {"params": np.array([7e9, 7e9, 7e9]), "tokens": np.array([2e12, 2e12, 2e12]),
               "train_time": np.array([30 * 86400.0] * 3), "mfu": np.array([0.4, 0.4, 0.4])}
    keys = {"gpu": Categorical(np.array([0, 1, 0]), ["A800", "A8000"])}
    batch = eng.solve_columns(numbers, keys, [("n_gpus",)], np.zeros(3, np.int64), 3)
    assert batch.errors[0] is None and batch.errors[2] is None
    assert "Did you mean: A800" in batch.errors[1]
    # ceil(6 · 7e9 · 2e12 / (312e12 · 0.4 · 30 days)) = ceil(259.7) = 260 (recompute not given: 6·N·D)
    assert list(batch.values["n_gpus"][[0, 2]]) == [260, 260]
    assert np.isnan(batch.values["n_gpus"][1])
