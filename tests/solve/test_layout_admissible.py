"""Whole-number answers that must fit the layout the user typed: a budget (a bubble of at most 5 %, a
deadline) sets how far the answer may go, and the global batch says which whole numbers can run.

Figures by hand: the 1F1B bubble (pp − 1) / (m + pp − 1) (Narayanan et al. 2021 §2.2); B = b · m · d
(Narayanan et al. 2021 §2); A800 dense BF16 312 TFLOPS (NVIDIA datasheet, catalogs/gpus.yaml); Llama-2-7B
6,738,415,616 parameters (Meta, catalogs/models.yaml); 6 FLOP/token (seed §2).
"""
from __future__ import annotations

import math
from typing import Any

import pytest

from engine.errors import EngineError

ANALYTIC_13B = {"perf_model": "analytic", "model": "llama2-13b", "gpu": "A100-80GB"}
DEADLINE_7B = {"model": "llama2-7b", "gpu": "A800", "tokens": 2e12, "mfu": 0.4, "train_time": "30d"}


def test_micro_batches_for_a_bubble_fit_the_global_batch(eng: Any) -> None:
    # 3 / (m + 3) <= 0.05 needs m >= 57 (by hand). 1,024 sequences over dp = 64 / 4 = 16 replicas are 64 per
    # replica, so m must divide 64: 57..63 leave a fraction of a sequence per micro-batch, m = 64 (one sequence
    # each) is the fewest that runs; its bubble is 3 / 67 = 4.48 %, within the 5 % asked. (It was 57, with
    # 57 x 16 = 912 sequences beside the 1,024 given.)
    answer = eng.solve(["grad_accum"], {**ANALYTIC_13B, "pp_bubble_fraction": 0.05, "global_batch": 1024,
                                        "n_gpus": 64, "pp": 4})
    assert answer.values["grad_accum"] == 64
    assert answer.values["pp_bubble_fraction"] == pytest.approx(3 / 67)
    assert answer.status["pp_bubble_fraction"] == "recomputed"
    assert not any("given but not used" in w.message for w in answer.warnings)


def test_a_bubble_the_global_batch_cannot_reach_is_refused(eng: Any) -> None:
    # 512 sequences over 16 replicas are 32 each: at most 32 micro-batches, 3 / 35 = 8.6 % > 5 %; no whole
    # grad_accum >= 57 divides 32. Refused naming the check and the values the user can change.
    with pytest.raises(EngineError) as caught:
        eng.solve(["grad_accum"], {**ANALYTIC_13B, "pp_bubble_fraction": 0.05, "global_batch": 512,
                                   "n_gpus": 64, "pp": 4})
    message = str(caught.value)
    assert "batching.admissible_grad_accum" in message
    assert "global_batch = 512" in message and "n_gpus = 64" in message and "pp = 4" in message
    # (the interleaved schedule's check does not apply at vpp = 1: it is no reason)
    assert "admissible_interleaved" not in message


def test_the_gpus_for_a_deadline_divide_the_global_batch_without_seq_len(eng: Any) -> None:
    # 6 · 6.738e9 · 2e12 / (0.4 · 312e12 · 30 d) = 249.97 GPUs, rounded up to 250 (by hand). 1,024 sequences
    # cannot be split over 250 data-parallel replicas (with one sequence per micro-batch, the least a replica
    # can take, dp must divide 1,024): 256 is the fewest that run, 30 · 249.97 / 256 = 29.3 days. It was 250,
    # with global_batch "given but not used" unless seq_len was typed too.
    raw = 6 * 6_738_415_616 * 2e12 / (0.4 * 312e12 * 30 * 86400)
    assert 249 < raw < 250
    answer = eng.solve(["n_gpus"], {**DEADLINE_7B, "global_batch": 1024})
    assert answer.values["n_gpus"] == 256
    assert answer.values["train_time"] == pytest.approx(30 * 86400 * raw / 256)
    assert not any("given but not used" in w.message for w in answer.warnings)
    # 1,000 sequences split over 250 replicas (4 each): 250 runs as it is
    assert eng.solve(["n_gpus"], {**DEADLINE_7B, "global_batch": 1000}).values["n_gpus"] == 250
    # without a global batch nothing constrains the count
    assert eng.solve(["n_gpus"], DEADLINE_7B).values["n_gpus"] == 250


def test_a_whole_value_moved_to_an_admissible_one_is_not_said_rounded(eng: Any, llmplan: Any) -> None:
    # 3 / 0.05 − 3 = 57 exactly: no rounding, only the move to 64; "57 rounded up to 57" was printed
    run = llmplan("solve", "grad_accum", "perf_model=analytic", "model=llama2-13b", "gpu=A100-80GB",
                  "pp_bubble_fraction=0.05", "global_batch=1024", "n_gpus=64", "pp=4")
    assert run.returncode == 0, run.stderr
    assert "57, then 64" in run.stdout and "rounded up to 57" not in run.stdout


SMALLEST_TP_70B = {"model": "llama3-70b", "gpu": "H100-SXM", "precision": "mixed-bf16", "zero_stage": 1,
                   "n_gpus": 64, "micro_batch": 1, "seq_len": 8192, "pp": 4, "recompute": "full"}


def test_the_smallest_tp_that_fits_with_a_global_batch(eng: Any) -> None:
    # With global_batch given, grad_accum = 1,024 / (1 · dp) depends on tp (dp = 64 / (tp · 4)), and through it
    # the loss's backward copies (3 with accumulation, 1 without: activations.loss_backward_trained_base), so the
    # activations depend on the answer. The planner used to close the torn chain with the fallback
    # activation_bytes = 0 and then refuse its own fallback as a contradiction. The answer is the smallest tp
    # whose memory fits, checked forward here: tp = 1 does not fit, the answer does.
    question = {**SMALLEST_TP_70B, "global_batch": 1024}
    answer = eng.solve(["tp"], {**question, "memory_fill": 1})
    tp = answer.values["tp"]
    assert answer.values["memory_fill"] <= 1
    fill = {t: eng.solve(["memory_fill"], {**question, "tp": t}).values["memory_fill"] for t in (1, tp)}
    assert fill[1] > 1 >= fill[tp] == pytest.approx(answer.values["memory_fill"])
    # the accumulation's loss copies make the same layout fuller than with one micro-batch per step
    # (global_batch 16 = dp with tp = 1: grad_accum 1)
    alone = eng.solve(["memory_fill"], {**SMALLEST_TP_70B, "tp": tp, "global_batch": 64 // (tp * 4)})
    assert alone.values["grad_accum"] == 1 and alone.values["memory_fill"] < fill[tp]


LLAMA70_ANALYTIC = {"model": "llama2-70b", "gpu": "H100-SXM", "n_gpus": 512, "perf_model": "analytic",
                    "precision": "mixed-bf16", "seq_len": 4096, "tp": 8, "pp": 4, "zero_stage": 1}


def test_the_global_batch_for_an_mfu_is_the_smallest_that_reaches_it(eng: Any) -> None:
    # mfu given beside a layout question is a lower limit (role: floor). The global batch comes in whole
    # micro-batches of dp · micro_batch = 512 / 32 · 1 = 16 sequences (by hand), so the answer is the first
    # multiple of 16 whose mfu is at least 0.40; the exact grad_accum (237.15) was refused as not whole.
    # The boundary is checked forward: one micro-batch fewer per replica stays under 0.40.
    answer = eng.solve(["global_batch"], {**LLAMA70_ANALYTIC, "mfu": 0.40})
    batch = answer.values["global_batch"]
    assert batch % 16 == 0 and answer.values["grad_accum"] == batch / 16
    assert answer.values["mfu"] >= 0.40 and answer.status["mfu"] == "recomputed"
    below = eng.solve(["mfu"], {**LLAMA70_ANALYTIC, "global_batch": batch - 16}).values["mfu"]
    at = eng.solve(["mfu"], {**LLAMA70_ANALYTIC, "global_batch": batch}).values["mfu"]
    assert below < 0.40 <= at == pytest.approx(answer.values["mfu"])


def test_gpus_for_a_deadline_without_a_global_batch_keep_dp_whole_and_above_one(eng: Any) -> None:
    """n_gpus for 30 days, Llama-2-13B, 1T tokens, H100, perf_model=analytic, no global_batch (micro_batch 1 ×
    grad_accum 1 × dp sequences per step). The time per step is about constant in dp, so the GPUs scale with the
    time: 64 GPUs take 59.5 days, so about 64 × 59.5 / 30 ≈ 127 are needed. The root search used to stop at
    n_gpus = 0.065, where dp < 1 turns the ring all-reduce's 2(dp - 1)/dp negative, and refused the question."""
    question = dict(model="llama2-13b", gpu="H100-SXM", tokens="1T", perf_model="analytic", seq_len="4096")
    at_64 = eng.solve(["train_time"], dict(question, n_gpus="64")).values["train_time"] / 86_400
    result = eng.solve(["n_gpus"], dict(question, train_time="30d"))
    raw = result.unrounded["n_gpus"]
    assert raw == pytest.approx(64 * at_64 / 30, rel=0.01)
    assert result.values["n_gpus"] == math.ceil(raw) and result.values["dp"] >= 1
    # the count is the fewest that finish in time: one fewer takes longer than 30 days
    fewer = eng.solve(["train_time"], dict(question, n_gpus=str(math.ceil(raw) - 1))).values["train_time"]
    assert fewer > 30 * 86_400 >= result.values["train_time"]


def test_the_largest_gpu_count_before_the_gradient_reduction_dominates(eng: Any) -> None:
    """dp_comm_ratio is a budget (exposed all-reduce at most the compute time): asked for n_gpus at
    dp_comm_ratio = 1, the answer is the largest count that keeps it, rounded down, then the largest that
    divides global_batch = 512 (micro_batch 1: replicas must divide the batch). Llama-2-13B, H100, 4k tokens,
    no overlap, 100 Gb/s network: the ratio crosses 1 between 42 and 43 GPUs; 42 does not divide 512, 32 does."""
    question = dict(model="llama2-13b", gpu="H100-SXM", perf_model="analytic", seq_len="4096", global_batch="512",
                    comm_overlap="none", network_bandwidth="100Gbps")
    answer = eng.solve(["n_gpus"], dict(question, dp_comm_ratio="1"))
    raw, new = answer.rounded["n_gpus"]
    assert 42 < raw < 43 and new == 32
    assert answer.values["dp_comm_ratio"] <= 1 and answer.status["dp_comm_ratio"] == "recomputed"

    def ratio(n: int) -> float:
        return eng.solve(["dp_comm_ratio"], dict(question, n_gpus=str(n))).values["dp_comm_ratio"]

    assert ratio(42) <= 1 < ratio(43)
    assert ratio(64) > 1   # the next count that divides 512 lets the reduction dominate


def test_a_throughput_of_at_least_is_a_floor(eng: Any) -> None:
    """throughput_per_gpu, hfu and achieved_flops_per_gpu are lower limits as mfu is: the global batch for at
    least 900 tokens/s per GPU (Llama-2-70B, 512 H100, tp 8, pp 4: dp = 16) is the smallest whole batch that
    reaches it, 16 replicas × 45 micro-batches = 720; 44 micro-batches (704) stay under 900."""
    question = dict(model="llama2-70b", gpu="H100-SXM", perf_model="analytic", seq_len="4096", n_gpus="512", tp="8",
                    pp="4", precision="mixed-bf16")
    answer = eng.solve(["global_batch"], dict(question, throughput_per_gpu="900"))
    assert answer.values["global_batch"] == 720 and answer.values["throughput_per_gpu"] >= 900
    fewer = eng.solve(["throughput_per_gpu"], dict(question, global_batch="704")).values["throughput_per_gpu"]
    assert fewer < 900


def test_a_budget_turns_an_answer_with_no_admissible_value_its_own_way(eng: Any) -> None:
    """The most GPUs that keep the all-reduce under the compute, with global_batch = 512 (default overlap, 400 Gb/s
    network): the ratio reaches 1 at 670.4 GPUs, more replicas than the batch has sequences. n_gpus rounds up by
    default, and no count at or above 670.4 divides 512; the budget (dp_comm_ratio at most 1) turns the answer
    down, where 512 (one sequence per replica) is the largest admissible count. It was refused."""
    answer = eng.solve(["n_gpus"], dict(model="llama2-13b", gpu="H100-SXM", perf_model="analytic", seq_len="4096",
                                        global_batch="512", dp_comm_ratio="1"))
    raw, new = answer.rounded["n_gpus"]
    assert raw > 512 and new == 512 and answer.values["grad_accum"] == 1
    assert answer.values["dp_comm_ratio"] <= 1


def test_a_deadline_past_what_the_global_batch_can_use_is_refused_saying_why(eng: Any) -> None:
    """30 days for Llama-2-13B on 1T tokens needs about 127 GPUs (test above); a global batch of 64 sequences keeps
    at most 64 replicas busy, so no whole count meets the deadline: refused, naming the batch, not answered."""
    with pytest.raises(EngineError) as refused:
        eng.solve(["n_gpus"], dict(model="llama2-13b", gpu="H100-SXM", tokens="1T", perf_model="analytic",
                                   seq_len="4096", train_time="30d", global_batch="64"))
    assert str(refused.value).startswith("batching.replicas_exceed_batch")


def test_a_whole_number_no_value_reaches_says_the_most_it_can_give(eng: Any) -> None:
    """tp for an mfu of 0.4, Llama-2-70B on 512 H100 at pp 4 with no global_batch (one micro-batch per replica: a
    75 % pipeline bubble): no tp reaches it. The refusal says how far: the most mfu any tp gives, found over the
    layouts people run (tp = 1, 2, 4, ... up to the 64 heads: tp = 128 is refused), as forward questions give it."""
    question = dict(model="llama2-70b", gpu="H100-SXM", perf_model="analytic", seq_len="4096", n_gpus="512", pp="4",
                    precision="mixed-bf16")
    with pytest.raises(EngineError) as refused:
        eng.solve(["tp"], dict(question, mfu="0.4"))
    best = max(eng.solve(["mfu"], dict(question, tp=str(tp))).values["mfu"] for tp in (1, 2, 4, 8, 16, 32, 64))
    said = str(refused.value)
    assert said.startswith(f"mfu = 0.4 is out of reach: whatever tp is, mfu is at most {best:.4g}")
    assert len(said) < 400   # (the 26 rules of the torn chain are named by the first few and a count)


def test_a_sheet_row_says_the_same(eng: Any) -> None:
    import polars as pl

    from engine.table.frames import run_frame

    frame = pl.DataFrame({"solve": ["tp"], "model": ["llama2-70b"], "gpu": ["H100-SXM"], "perf_model": ["analytic"],
                          "seq_len": [4096], "n_gpus": [512], "pp": [4], "precision": ["mixed-bf16"], "mfu": [0.4]})
    error = run_frame(frame, eng).results["error"][0]
    assert error.startswith("mfu = 0.4 is out of reach: whatever tp is, mfu is at most 0.1")
