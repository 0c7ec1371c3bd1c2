"""The fewest GPUs for a deadline that one replica already meets (engine/solve/first_whole.py).

Under perf_model=analytic the chain from a deadline back to n_gpus is torn through dp, and has no value below one
replica (the ring all-reduce's (dp - 1)/dp turns negative), so "H100s to train 7B on 1B tokens in 30 days" had no
root at all and was refused. Its answer is the first whole value the layout allows, with the time recomputed for
it. Hand figures: one H100 (989 TFLOPS dense BF16, NVIDIA datasheet) at the model's ~0.45 MFU takes 6 · 6.74e9 ·
1e9 / (989e12 · 0.45) s ≈ 1.05 days for 1B tokens of Llama-2-7B (seed §2's 6·N·D); the figures compared below
are the engine's own answer to the forward question (train_time for that many GPUs), which must be the same.
"""
from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from engine.errors import EvaluationError
from engine.solve.reach import out_of_reach
from engine.table.frames import run_frame

DAY = 86400.0
PRETRAIN = {"model": "llama2-7b", "gpu": "H100", "precision": "mixed-bf16", "seq_len": 4096, "perf_model": "analytic",
            "micro_batch": 1, "grad_accum": 4, "tokens": "1B", "train_time": "30d"}
# Llama-3-8B LoRA on 100M tokens packed into 2,048-token sequences in 3 days: one A100 takes hours (a fine-tune's
# usual case; packed, as chosen: unpacked, its default, the step would need the samples' mean length)
LORA = {"model": "llama3-8b", "method": "lora", "gpu": "A100-80GB", "perf_model": "analytic", "seq_len": 2048,
        "global_batch": 64, "tokens": "100M", "train_time": "3d", "packing": "on"}


def forward(eng: Any, givens: dict, n_gpus: int) -> float:
    """The training time the engine gives for `n_gpus` (the deadline left out)."""
    return eng.solve(["train_time"], {**{k: v for k, v in givens.items() if k != "train_time"},
                                      "n_gpus": n_gpus}).values["train_time"]


@pytest.mark.parametrize("givens", [PRETRAIN, LORA], ids=["pretraining", "lora"])
def test_a_deadline_one_gpu_meets_is_answered_with_one_gpu(eng: Any, givens: dict) -> None:
    result = eng.solve(["n_gpus"], givens)
    assert result.values["n_gpus"] == 1
    # the time is recomputed for one GPU (what the forward question gives), and the typed deadline is kept beside it
    assert result.values["train_time"] == pytest.approx(forward(eng, givens, 1), rel=1e-9)
    assert result.values["train_time"] < 3 * DAY and result.status["train_time"] == "recomputed"
    assert result.unrounded["train_time"] == pytest.approx(float(givens["train_time"][:-1]) * DAY)
    notes = [w for w in result.warnings if w.code == "first_whole.n_gpus"]
    assert len(notes) == 1 and notes[0].severity == "info" and "does not bind" in notes[0].message
    assert "rounded up to 1" not in " ".join(w.message for w in result.warnings)   # (nothing was rounded)


def test_pretraining_time_on_one_gpu_matches_the_hand_figure(eng: Any) -> None:
    days = eng.solve(["n_gpus"], PRETRAIN).values["train_time"] / DAY
    assert 0.9 < days < 1.2   # ≈ 1.05 days by hand (module docstring)


def test_the_first_whole_value_is_one_replica(eng: Any) -> None:
    # tp = 8: fewer than 8 GPUs leave dp below 1, so the fewest is 8; tp = 2, pp = 2: 4
    for layout, fewest in (({"tp": 8}, 8), ({"tp": 2, "pp": 2}, 4)):
        givens = {**PRETRAIN, **layout}
        result = eng.solve(["n_gpus"], givens)
        assert result.values["n_gpus"] == fewest
        assert result.values["train_time"] == pytest.approx(forward(eng, givens, fewest), rel=1e-9)
        assert f"n_gpus = {fewest} is the fewest there can be" in " ".join(w.message for w in result.warnings)


def test_a_deadline_no_count_meets_is_still_refused(eng: Any) -> None:
    # 1T tokens in one hour with a global batch of 512 sequences: more GPUs than 512 replicas never get there (the
    # refusal says how far), so no first value is offered
    fixed_batch = {k: v for k, v in PRETRAIN.items() if k not in ("micro_batch", "grad_accum")}
    with pytest.raises(EvaluationError) as caught:
        eng.solve(["n_gpus"], {**fixed_batch, "global_batch": 512, "tokens": "1T", "train_time": "1h"})
    assert "out of reach" in str(caught.value)


def test_the_note_in_chinese(eng: Any) -> None:
    note = next(w for w in eng.solve(["n_gpus"], PRETRAIN, lang="zh").warnings if w.code == "first_whole.n_gpus")
    assert "n_gpus = 1 已是可取的最小值" in note.message and "不起约束作用" in note.message


def test_rows_of_a_workbook_answer_their_own_count(eng: Any) -> None:
    # one question over two token counts: 1B fits one GPU's month (1, with the note), 1T needs many (rounded up as
    # usual, no note); each row's time is its own count's forward time
    frame = pl.DataFrame({"solve": ["n_gpus"] * 2, **{k: [str(v)] * 2 for k, v in PRETRAIN.items() if k != "tokens"},
                          "tokens": ["1B", "1T"], "n_gpus": [None, None]}, schema_overrides={"n_gpus": pl.String})
    results = run_frame(frame, eng).results
    counts = results["n_gpus"].cast(pl.Float64).to_list()
    assert counts[0] == 1 and counts[1] > 30
    warnings = results["warnings"].to_list()
    assert "first_whole.n_gpus" in warnings[0] and "first_whole" not in (warnings[1] or "")
    for row, tokens in enumerate(("1B", "1T")):
        time = forward(eng, {**PRETRAIN, "tokens": tokens}, int(counts[row]))
        assert results["train_time recomputed [day]"][row] * DAY == pytest.approx(time, rel=1e-6)
    assert results["n_gpus unrounded"].to_list()[0] is None   # (no value below 1 to keep)


def test_the_reach_clause_for_a_limit_every_count_keeps(eng: Any) -> None:
    # what the refusal says where a count is not answered this way (the clause engine/solve/reach.py words):
    # 30 days is kept by every count (at most ~1.05 days, at n_gpus = 1), not out of reach
    numbers = {"seq_len": 4096.0, "micro_batch": 1.0, "grad_accum": 4.0, "tokens": 1e9, "train_time": 30 * DAY}
    keys = {"model": "llama2-7b", "gpu": "H100-SXM", "precision": "mixed-bf16", "perf_model": "analytic"}
    clauses = out_of_reach(eng, numbers, keys, "n_gpus")
    assert clauses is not None
    kept = [c for c in clauses.parts if c.key == "planner.out_of_reach.kept"]
    assert len(kept) == 1 and kept[0].fields["name"] == "train_time"
    assert "(at n_gpus = 1)" in kept[0].say("en") and "不构成限制" in kept[0].say("zh")


def test_a_step_time_limit_a_single_gpu_keeps(eng: Any) -> None:
    # a full fine-tune of Llama-3-8B, 4 micro-batches of 4 per GPU: the step's work per GPU does not shrink with more
    # GPUs (only the gradient all-reduce grows), so a step of at most 8.97 s (its time on 8 A100s) is kept by one
    # GPU already; this round trip was refused as "no real, finite answer" before
    run = {"model": "llama3-8b", "gpu": "A100-80G", "precision": "mixed-bf16", "method": "full", "micro_batch": 4,
           "grad_accum": 4, "samples": "50k", "tokens_per_sample": 1024, "epochs": 3, "seq_len": 2048,
           "perf_model": "analytic"}
    on_eight = eng.solve(["step_time"], {**run, "n_gpus": 8}).values["step_time"]
    result = eng.solve(["n_gpus"], {**run, "step_time": repr(on_eight)})
    assert result.values["n_gpus"] == 1
    alone = eng.solve(["step_time"], {**run, "n_gpus": 1}).values["step_time"]
    assert result.values["step_time"] == pytest.approx(alone, rel=1e-9) and alone < on_eight


def test_the_report_says_why_the_count_is_one(eng: Any) -> None:
    # the note reaches the review report too (in its language), not only `solve` and the workbook
    from engine.report.scenario import _warnings

    result = eng.solve(["n_gpus"], PRETRAIN, lang="zh")
    said = [w["message"] for w in _warnings(eng, result, {"info": "提示", "warning": "警告"}, "zh")]
    assert any("n_gpus = 1 已是可取的最小值" in m for m in said)


def test_a_limit_is_broken_beyond_float_noise_only(eng: Any) -> None:
    # train_time is a budget (at most), mfu a floor (at least); 1e-9 of slack is float noise (by hand below)
    import numpy as np

    from engine.solve.first_whole import broken_limits

    given = {"train_time": np.array([30.0, 30.0, 30.0]), "mfu": np.array([0.4, 0.4, 0.4])}
    now = {"train_time": np.array([30.0 * (1 + 1e-12), 31.0, np.nan]), "mfu": np.array([0.4, 0.4, 0.39])}
    assert broken_limits(eng.rules, given, now, 3).tolist() == [False, True, True]
    assert broken_limits(eng.rules, {}, {}, 2).tolist() == [False, False]   # (no limit freed: none broken)
