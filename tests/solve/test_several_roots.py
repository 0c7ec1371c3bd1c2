"""Answers the rules give more than once, and float noise that is no contradiction.

Root finding (engine/solve/roots.py) brackets every sign change of a residual; where there are several, the
answer is one end (the smallest; the largest for a whole number rounded down) and a note names the other.
Hand figures: (x − 2)(x − 8) has the roots 2 and 8; H100 SXM dense BF16 989 TFLOPS (NVIDIA datasheet,
catalogs/gpus.yaml).
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import polars as pl
import pytest

from engine.rules.expr import parse_expression
from engine.rules.model import Equation
from engine.solve.float_noise import within_noise
from engine.solve.numeric import compile_tree
from engine.solve.roots import find_roots, guarded, magnitude, snapped_to_whole
from engine.table.frames import run_frame

DAY = 86400.0
RUN = {"model": "llama2-7b", "gpu": "H100", "precision": "mixed-bf16", "perf_model": "analytic", "n_gpus": 64,
       "micro_batch": 2, "grad_accum": 8, "tokens": "1T", "zero_stage": 1, "tp": 2}


def test_both_ends_of_a_residual_with_two_roots() -> None:
    two = compile_tree(parse_expression("(x - 2) * (x - 8)", {"x"}))
    rows = 3
    env = {"unused": np.zeros(rows)}
    smallest = find_roots(two, "x", env, rows)
    assert smallest.root == pytest.approx([2.0] * rows, rel=1e-12)
    assert smallest.other == pytest.approx([8.0] * rows, rel=1e-12)
    largest = find_roots(two, "x", env, rows, largest=True)
    assert largest.root == pytest.approx([8.0] * rows, rel=1e-12)
    assert largest.other == pytest.approx([2.0] * rows, rel=1e-12)
    one = find_roots(compile_tree(parse_expression("x - 3", {"x"})), "x", env, rows, largest=True)
    assert one.root == pytest.approx([3.0] * rows, rel=1e-12) and np.isnan(one.other).all()


def test_a_column_of_rows_with_one_or_two_roots() -> None:
    # (x − a)(x − 8) with a per row: a = 2 has two positive roots, a = −1 only x = 8
    residual = compile_tree(parse_expression("(x - a) * (x - 8)", {"x", "a"}))
    found = find_roots(residual, "x", {"a": np.array([2.0, -1.0])}, 2)
    assert found.root == pytest.approx([2.0, 8.0], rel=1e-12)
    assert found.other[0] == pytest.approx(8.0, rel=1e-12) and math.isnan(found.other[1])


def test_a_root_on_a_flat_stretch_moves_to_the_whole_number_there() -> None:
    # r(x) = min(x − 7.999, 0) + max(x − 8.007, 0) is 0 on [7.999, 8.007]: a bisected root may land at 8.0006,
    # which rounded up would be 9, while 8 is as much a root. x − 8.5 has one root: 8 is no root and stays out.
    flat = compile_tree(parse_expression("min(x - 7.999, 0) + max(x - 8.007, 0)", {"x"}))
    assert snapped_to_whole(flat, "x", {}, 1, np.array([8.0006]), "up").tolist() == [8.0]
    assert snapped_to_whole(flat, "x", {}, 1, np.array([7.9995]), "down").tolist() == [8.0]
    steep = compile_tree(parse_expression("x - 8.5", {"x"}))
    assert snapped_to_whole(steep, "x", {}, 1, np.array([8.5]), "up").tolist() == [8.5]
    assert snapped_to_whole(steep, "x", {}, 1, np.array([8.5]), "down").tolist() == [8.5]
    # a sawtooth (a time that creeps up, then drops at a whole step): the root is the drop at 8.2, where the
    # residual reads ±1; at 8 the tooth is 0.5 short of zero: smaller than at the root, but no root, not taken
    tooth = compile_tree(parse_expression("0.5 + 2.5 * (x - 8) - 2 * min(floor(x / 8.2), 1)", {"x"}))
    assert snapped_to_whole(tooth, "x", {}, 1, np.array([8.2]), "up").tolist() == [8.2]
    # a root float noise below a whole number is that number (0.999999999999 GPUs: dp would read below 1)
    one = compile_tree(parse_expression("x - 1", {"x"}))
    assert snapped_to_whole(one, "x", {}, 1, np.array([1 - 1e-12]), "up").tolist() == [1.0]
    assert snapped_to_whole(steep, "x", {}, 1, np.array([8.5 - 1e-12]), "up").tolist() == [8.5 - 1e-12]


def test_gpus_back_from_a_fine_tuning_time_on_whole_steps(eng: Any) -> None:
    # LoRA on 8 A100s, 50K samples packed into 25K sequences per epoch: the optimizer steps are whole (ceil), so
    # the training time is flat in n_gpus around 8 and a bisected root landed at 8.0006: 9 GPUs, where 8 give the
    # very time asked. Handed back its own training time, the run gives back its 8 GPUs.
    run = {"model": "llama3-8b", "gpu": "A100-80G", "precision": "mixed-bf16", "method": "lora", "n_gpus": 8,
           "micro_batch": 4, "grad_accum": 4, "samples": "50k", "tokens_per_sample": 1024, "epochs": 3,
           "seq_len": 2048, "lora_rank": 16, "perf_model": "analytic"}
    time = eng.solve(["train_time"], run).values["train_time"]
    asked = {k: v for k, v in run.items() if k != "n_gpus"}
    assert eng.solve(["n_gpus"], {**asked, "train_time": f"{time!r}s"}).values["n_gpus"] == 8


def test_the_longest_sequence_for_a_training_time_is_the_far_root(eng: Any) -> None:
    # Tokens fixed, the training time falls with seq_len (fewer steps carry the per-step costs), then rises
    # again (attention FLOPs grow with it): two sequence lengths take as long. seq_len is rounded down, so the
    # answer is the largest (it was the smallest, ~774, silently), and a note names the other.
    target = eng.solve(["train_time"], {**RUN, "seq_len": 4096}).values["train_time"]
    result = eng.solve(["seq_len"], {**RUN, "train_time": f"{target!r}s"})
    assert result.values["seq_len"] == 4096
    notes = [w.message for w in result.warnings if w.code == "several_roots.seq_len"]
    assert len(notes) == 1 and "largest" in notes[0]
    other = float(re.search(r"\(([\d,.]+) token as well\)", notes[0]).group(1).replace(",", ""))
    assert 500 < other < 1500
    # the other one is a root too: the training time at the whole lengths around it brackets the target
    around = [eng.solve(["train_time"], {**RUN, "seq_len": s}).values["train_time"]
              for s in (math.floor(other), math.ceil(other))]
    assert min(around) <= target * (1 + 1e-9) and max(around) >= target * (1 - 1e-9)


def test_the_peak_a_throughput_needs_is_no_contradiction_of_float_noise(eng: Any) -> None:
    # Asked backwards from the throughput the H100 run gives, the peak FLOPS comes back as the datasheet's
    # 989 TFLOPS. The plan solves the bubble time by subtraction (−4.4e-16 s) where its own rule gives 0 s at
    # pp = 1: that was refused as a 100 % contradiction.
    throughput = eng.solve(["throughput_per_gpu"], {**RUN, "seq_len": 4096}).values["throughput_per_gpu"]
    peak = eng.solve(["peak_flops"], {**RUN, "seq_len": 4096, "throughput_per_gpu": repr(throughput)})
    assert peak.values["peak_flops"] == pytest.approx(989e12, rel=1e-9)


def test_float_noise_is_measured_against_the_values_of_the_same_kind(eng: Any) -> None:
    variables = eng.rules.variables
    names = {"pp_bubble_time", "pp_bubble_ratio", "compute_time"}
    eq = Equation(id="test.bubble", text="pp_bubble_time = pp_bubble_ratio * compute_time",
                  lhs=("var", "pp_bubble_time"), rhs=parse_expression("pp_bubble_ratio * compute_time", names),
                  variables=frozenset(names), source="test", where="test")
    env = {"pp_bubble_time": np.array([-4.4e-16, 1e-3]), "pp_bubble_ratio": 0.0, "compute_time": 2.92}
    left, right = env["pp_bubble_time"], np.zeros(2)
    # −4.4e-16 s beside 2.92 s of compute is float noise; 1 ms is not
    assert within_noise(eq, variables, env, left, right).tolist() == [True, False]


def test_rows_of_a_workbook_each_name_their_own_other_root(eng: Any) -> None:
    # Two rows of one question (same pattern: one group), at the training times of seq_len 4,096 and 3,072: each
    # row answers its own length and its note names its own other root, not the first row's.
    times = [eng.solve(["train_time"], {**RUN, "seq_len": s}).values["train_time"] / DAY for s in (4096, 3072)]
    frame = pl.DataFrame({"solve": ["seq_len"] * 2, **{k: [str(v)] * 2 for k, v in RUN.items()},
                          "train_time [day]": [repr(t) for t in times], "seq_len": [None, None]},
                         schema_overrides={"seq_len": pl.String})
    results = run_frame(frame, eng).results
    assert results["seq_len"].cast(pl.Float64).to_list() == [4096, 3072]
    others = [re.search(r"\(([\d,.]+) token as well\)", text).group(1) for text in results["warnings"].to_list()]
    assert others[0] != others[1]


def test_a_guard_below_zero_by_float_noise_is_zero() -> None:
    # A torn chain's nonnegative definition d = a − b with a = b = 1e10 in exact arithmetic reads −3.8e-6 in
    # floats: 4e-16 of its terms' size (magnitude: a + b = 2e10), so it is 0 and the residual stays finite;
    # d = −1,000 is a value outside the domain, and the residual there is NaN.
    d = parse_expression("a - b", {"a", "b"})
    assert compile_tree(magnitude(d))({"a": 2.0, "b": 3.0}) == 5.0
    residual = guarded(compile_tree(parse_expression("x - 4", {"x"})), [("d", compile_tree(d), "nonnegative")],
                       {"d": compile_tree(magnitude(d))})
    near = residual({"x": np.array([5.0]), "a": np.array([1e10]), "b": np.array([1e10 + 3.8e-6])})
    far = residual({"x": np.array([5.0]), "a": np.array([1e10]), "b": np.array([1e10 + 1e3])})
    assert near.tolist() == [1.0] and np.isnan(far).all()
