"""A GPU count asked under a deadline and a GPU-day budget at once (engine/solve/several_limits.py).

Both are upper limits. The planner used to take them as two equations: with the analytic step time it answered
n_gpus = 100 GPU-days / 30 days = 3.33 -> 4 GPUs and a recomputed time of 25 days, though 1B tokens take six
hours on four H100s; at a given mfu it called a GPU-day budget that the deadline's count keeps a contradiction.
Figures: 6 · 6.74e9 · 1e12 FLOP at 989 TFLOPS (H100 SXM dense BF16, NVIDIA datasheet) and mfu 0.4 is 1,183
GPU-days (seed §2, §4a), so 30 days take 1,183 / 30 = 39.4 -> 40 GPUs (hand calculation).
"""
from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from engine.errors import EvaluationError
from engine.table.frames import run_frame

DAY = 86400.0
GIVEN_MFU = {"model": "llama2-7b", "gpu": "H100", "mfu": 0.4, "tokens": "1T", "train_time": "30d"}
ANALYTIC = {"model": "llama2-7b", "gpu": "H100", "perf_model": "analytic", "seq_len": 4096, "global_batch": 512,
            "precision": "mixed-bf16", "train_time": "30d"}


def test_a_budget_the_deadline_keeps_is_no_contradiction(eng: Any) -> None:
    result = eng.solve(["n_gpus"], {**GIVEN_MFU, "gpu_days": 2000})
    assert result.values["n_gpus"] == 40                                   # 1,183 / 30 = 39.4, rounded up
    assert result.values["gpu_days"] / DAY == pytest.approx(6 * 6.74e9 * 1e12 / (989e12 * 0.4) / DAY, rel=0.01)
    assert result.status["gpu_days"] == "recomputed" and result.unrounded["gpu_days"] == 2000 * DAY
    assert result.values["train_time"] <= 30 * DAY
    assert any(w.code == "limits.train_time" and w.severity == "info" and "train_time sets this answer" in w.message and "(gpu_days)" in w.message
               for w in result.warnings)


def test_a_budget_the_deadline_breaks_is_refused_with_the_numbers(eng: Any) -> None:
    with pytest.raises(EvaluationError) as caught:
        eng.solve(["n_gpus"], {**GIVEN_MFU, "gpu_days": 1000})
    assert "n_gpus = 40" in str(caught.value) and "gpu_days = 1,183 day" in str(caught.value)
    assert "beyond the 1,000 day given" in str(caught.value)


def test_the_analytic_count_is_the_fewest_within_both(eng: Any) -> None:
    # 1B tokens: one H100 takes ~1.05 days and ~1.05 GPU-days (hand, as above at the model's ~0.45 MFU), both
    # within 30 days and 100 GPU-days: one GPU, not 100 / 30 -> 4 with a 25-day time
    result = eng.solve(["n_gpus"], {**ANALYTIC, "tokens": "1B", "gpu_days": 100})
    alone = eng.solve(["train_time", "gpu_days"], {**{k: v for k, v in ANALYTIC.items() if k != "train_time"},
                                                   "tokens": "1B", "n_gpus": 1}).values
    assert result.values["n_gpus"] == 1
    assert result.values["train_time"] == pytest.approx(alone["train_time"], rel=1e-9)
    assert result.values["gpu_days"] == pytest.approx(alone["gpu_days"], rel=1e-9)


def test_a_generous_budget_does_not_raise_the_count(eng: Any) -> None:
    # 1T tokens: the deadline asks 36 GPUs (64: the smallest that divides the batch); a 2,000 GPU-day budget would
    # allow hundreds, and the answer stays the deadline's count, the same as with the deadline alone
    both = eng.solve(["n_gpus"], {**ANALYTIC, "tokens": "1T", "gpu_days": 2000})
    deadline = eng.solve(["n_gpus"], {**ANALYTIC, "tokens": "1T"})
    assert both.values["n_gpus"] == deadline.values["n_gpus"] == 64
    assert both.values["gpu_days"] <= 2000 * DAY


def test_rows_of_a_workbook_each_get_their_own_limit(eng: Any) -> None:
    # budget 2,000 GPU-days: kept (40 GPUs); budget 1,000: refused with the numbers; the rows do not mix
    frame = pl.DataFrame({"solve": ["n_gpus"] * 2, **{k: [str(v)] * 2 for k, v in GIVEN_MFU.items()},
                          "gpu_days": ["2000", "1000"], "n_gpus": [None, None]}, schema_overrides={"n_gpus": pl.String})
    results = run_frame(frame, eng).results
    assert float(results["n_gpus"][0]) == 40 and results["error"][0] is None
    assert "gpu_days = 1,183 day" in results["error"][1]
