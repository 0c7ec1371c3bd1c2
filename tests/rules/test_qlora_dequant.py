"""QLoRA's dequantization in the analytic step time (performance.dequant_bytes_4bit / _int8, dequant_time).

bitsandbytes dequantizes each frozen 4-bit linear weight to bf16 before its matmul in every forward and
again in the backward for the input gradient (autograd/_functions.py MatMul4Bit.forward/backward); the
8-bit path multiplies in int8 forward and dequantizes only in the backward (MatMul8bitLt.backward). The
rules count those bytes at HBM bandwidth, a lower bound (the kernels' inefficiency is not modelled).

Layout of the walk-through: Llama-3-8B, one A100 80GB SXM (HBM 2.039 TB/s, datasheet), seq_len 2048,
micro_batch 1, grad_accum 8, recompute=full, precision=mixed-bf16.
Quantized weights (finetune.quantized_params): 32 layers × ((2·32 + 2·8)·128·4096 + 3·4096·14336)
  = 32 × (41,943,040 + 176,160,768) = 6,979,321,856.
"""
from __future__ import annotations

import pytest

from engine import Engine

ENGINE = Engine.load()
# (packed, chosen: a fine-tune's default, unpacked, times a step on the samples' mean length)
WALK = {"perf_model": "analytic", "model": "llama3-8b", "gpu": "A100-80GB-SXM", "n_gpus": "1", "seq_len": "2048",
        "micro_batch": "1", "grad_accum": "8", "recompute": "full", "precision": "mixed-bf16", "packing": "on"}
QUANTIZED = 6_979_321_856
HBM = 2.039e12                       # B/s, NVIDIA A100 80GB SXM datasheet
PARTS = ["step_time", "compute_time", "dequant_time", "optimizer_step_time"]


def solve(method: str, **more: str) -> dict[str, float]:
    return ENGINE.solve(PARTS, {**WALK, "method": method, **more}).values


def test_qlora_adds_the_dequantization_of_every_pass_at_hbm_bandwidth():
    """Hand: NF4 with double quantization reads 0.5 + 1.015625/64 = 0.515869140625 B and writes 2 B (bf16)
    per weight and pass; recompute=full runs 2 forwards + 1 backward per micro-batch, × 8 micro-batches:
    24 × 6,979,321,856 × 2.515869140625 B = 421,417,451,520 B; / 2.039e12 B/s = 0.206678 s."""
    bytes_ = 24 * QUANTIZED * (0.5 + 1.015625 / 64 + 2)
    assert bytes_ == pytest.approx(421_417_451_520, rel=1e-12)
    q, lora = solve("qlora"), solve("lora")
    assert q["dequant_time"] == pytest.approx(bytes_ / HBM, rel=1e-9)
    assert q["dequant_time"] == pytest.approx(0.206678, rel=1e-5)
    # the matmuls and the element-wise work are those of LoRA; the dequantization comes on top
    assert q["compute_time"] == pytest.approx(lora["compute_time"], rel=1e-12)
    assert q["step_time"] == pytest.approx(q["compute_time"] + q["dequant_time"] + q["optimizer_step_time"],
                                           rel=1e-12)
    # the walk-through: 4.51 s before (as fast as LoRA's 4.52 s), 4.72 s now, +4.6 %: a lower bound
    assert q["step_time"] > lora["step_time"]


def test_without_recomputation_one_forward_and_one_backward():
    """Hand: (1 + 1) passes × 8 micro-batches × 6,979,321,856 × 2.515869140625 B = 280,944,967,680 B;
    / 2.039e12 B/s = 0.137786 s (2/3 of the recompute=full figure)."""
    q = solve("qlora", recompute="none")
    assert q["dequant_time"] == pytest.approx(16 * QUANTIZED * 2.515869140625 / HBM, rel=1e-9)


def test_int8_base_dequantizes_only_in_the_backward():
    """LLM.int8 multiplies by the int8 weights in the forward (and the recomputed forward); the backward casts
    them to bf16 (1 B read + constants, 2 B written) and scales the copy in place (2 B read, 2 B written).
    Hand: 8 micro-batches × 6,979,321,856 × (1 + 1.015625/64 + 6) B = 391,728,070,656 B; / 2.039e12 B/s
    = 0.192118 s."""
    q8 = solve("qlora-8bit")
    assert q8["dequant_time"] == pytest.approx(391_728_070_656 / HBM, rel=1e-9)
    assert q8["dequant_time"] == pytest.approx(0.192118, rel=1e-5)


def test_dequantization_does_not_depend_on_the_micro_batch():
    """A whole weight is dequantized whatever the batch: micro_batch 4 at the same grad_accum gives the same
    bytes (the matmul time grows 4×, the dequantization does not)."""
    one, four = solve("qlora"), solve("qlora", micro_batch="4")
    assert four["dequant_time"] == pytest.approx(one["dequant_time"], rel=1e-12)


def test_pipeline_splits_the_weights_and_the_bubble_repeats_the_dequantization():
    """tp 2 × pp 2 over 8 GPUs (dp 2), global_batch 16 → grad_accum 8: each GPU dequantizes 1/4 of the
    weights. Hand: 24 × 6,979,321,856 × 2.515869140625 / 4 B / 2.039e12 = 0.0516696 s. The bubble is
    (2 − 1)/8 of the pipelined work, dequantization included."""
    g = {**WALK, "method": "qlora", "n_gpus": "8", "tp": "2", "pp": "2", "global_batch": "16"}
    g.pop("grad_accum")
    v = ENGINE.solve(["step_time", "dequant_time", "pp_bubble_time", "compute_time", "tp_comm_exposed_time",
                      "pp_p2p_time"], g).values
    assert v["dequant_time"] == pytest.approx(421_417_451_520 / 4 / HBM, rel=1e-9)
    pipelined = v["compute_time"] + v["dequant_time"] + v["tp_comm_exposed_time"] + v["pp_p2p_time"]
    assert v["pp_bubble_time"] == pytest.approx(pipelined / 8, rel=1e-9)


@pytest.mark.parametrize("method", ["full", "freeze", "lora"])
def test_methods_without_a_quantized_base_are_unchanged(method):
    """No quantized base: dequant_time is 0 and the step is what it was, compute + optimizer update on one GPU
    (before these rules, on the same tree: full 5.980876656649113 s, freeze 4.606046359007068 s,
    lora 4.524126757894432 s, the same to the last digit after)."""
    v = solve(method)
    assert v["dequant_time"] == 0
    assert v["step_time"] == pytest.approx(v["compute_time"] + v["optimizer_step_time"], rel=1e-12)


def test_pipelined_full_layout_leaves_the_dequantization_out():
    """README's analytic layout with a pipeline (method full by default): dequant_time 0, so the bubble is
    (pp − 1)/grad_accum of compute + exposed tensor-parallel + stage-to-stage time, as before.
    grad_accum = 512 / (1 · 16) = 32: ratio 1/32."""
    g = {"perf_model": "analytic", "model": "llama2-13b", "gpu": "H100-SXM", "n_gpus": "64",
         "precision": "mixed-bf16", "seq_len": "4096", "global_batch": "512", "tp": "2", "pp": "2"}
    v = ENGINE.solve(["step_time", "dequant_time", "pp_bubble_time", "compute_time", "tp_comm_exposed_time",
                      "pp_p2p_time"], g).values
    assert v["dequant_time"] == 0
    pipelined = v["compute_time"] + v["tp_comm_exposed_time"] + v["pp_p2p_time"]
    assert v["pp_bubble_time"] == pytest.approx(pipelined / 32, rel=1e-9)


def test_breakdown_names_the_dequantization(capsys):
    from engine.cli.app import main

    assert main(["solve", "step_time", *(f"{k}={v}" for k, v in WALK.items()), "method=qlora"]) == 0
    lines = capsys.readouterr().out.splitlines()
    breakdown = lines[lines.index("Breakdown:") + 1]
    assert breakdown.startswith("  step_time = 4.72 s = compute_time 4.51 s")
    assert " + dequant_time 0.2067 s (4%) + " in breakdown
