"""validation/gpu_step_time.py (issue #16's GPU measurements): the shapes it times, and how a record is
set beside llmplan's prediction. No GPU needed: the record here is written by hand."""
from __future__ import annotations

import math

import pytest

from validation import gpu_step_time as g

LLAMA_1B = g.MODELS[0][0]


def test_the_timed_matmuls_are_one_layers_forward_and_the_head() -> None:
    # by hand, llama-1b at s = 2048, b = 4: 8192 tokens; q, k, v of width 2048 each (16 heads of 128)
    shapes = {what.split(" ", 1)[1]: (m, n, k) for what, m, n, k in g.gemm_shapes(LLAMA_1B, 2048, 4)}
    assert shapes == {"qkv": (8192, 3 * 2048, 2048), "attn out": (8192, 2048, 2048),
                      "mlp up+gate": (8192, 2 * 5504, 2048), "mlp down": (8192, 2048, 5504),
                      "lm head": (8192, 32000, 2048)}


def test_device_names_map_to_peaks_and_catalog_entries() -> None:
    assert g.device_family("NVIDIA H100 80GB HBM3") == "H100"
    assert g.device_family("NVIDIA H200") == "H200"
    assert g.device_family("NVIDIA A100-SXM4-80GB") == "A100"
    assert g.device_family("NVIDIA GeForce RTX 4090") is None
    assert g.PEAK_TFLOPS["H100"] == 989.4      # H100 SXM datasheet, dense bf16


def test_a_record_is_compared_with_the_catalog_and_the_analytic_step_time() -> None:
    from validation.common import ask

    shape = {**LLAMA_1B, "head_dim": None, "mlp_matrices": 3, "embedding_copies": 2}
    record = {"measured_on": "NVIDIA H100 80GB HBM3", "family": "H100", "peak_tflops": 989.4,
              "gemm": [{"share_of_peak": 0.70}, {"share_of_peak": 0.80}, {"share_of_peak": None}],
              "steps": [{"shape": shape, "seq_len": 2048, "micro_batch": 4, "seconds_per_step": 0.5},
                        {"shape": shape, "error": "CUDA out of memory"}]}
    rows = g.compare(record)
    assert len(rows) == 2                                     # the failed step is left out
    gemm, step = rows
    catalog = ask(["matmul_efficiency"], {"gpu": "H100-SXM"})["matmul_efficiency"]
    assert gemm["llmplan"] == catalog and gemm["measured"] == 0.80        # the best of the GEMMs
    assert gemm["error"] == pytest.approx((catalog - 0.80) / 0.80)
    predicted = g.predicted_step(record, record["steps"][0])
    assert step["llmplan"] == predicted["step_time"] and step["measured"] == 0.5
    assert step["error"] == pytest.approx(predicted["step_time"] / 0.5 - 1)
    # the prediction is for this model: 6 FLOP per matmul parameter and token at best 98.9 % of peak,
    # so never under 6 · 1.0e9 · 8192 / 989.4e12 s (the 1.0e9 non-embedding + head weights, by hand:
    # 16 layers · (4·2048² + 3·2048·5504) + 2048·32000 = 0.875e9 + 0.066e9, rounded down)
    assert predicted["step_time"] > 6 * 0.9e9 * 8192 / 989.4e12
    assert 0 < predicted["mfu"] < 1


def test_a_training_step_is_timed_on_the_cpu_too() -> None:
    pytest.importorskip("torch")
    tiny = {"name": "tiny", "layers": 2, "hidden": 64, "heads": 4, "kv_heads": 4, "ffn_hidden": 172,
            "vocab_size": 128}
    step = g.train_step(tiny, 16, 2, device="cpu", warmup=1, runs=2)
    # parameters by hand: 2 layers · (4·64² + 3·64·172 + 2·64 norms) + 2 · 128·64 embeddings + 64 final norm
    assert step["params"] == 2 * (4 * 64 * 64 + 3 * 64 * 172 + 2 * 64) + 2 * 128 * 64 + 64
    assert step["seconds_per_step"] > 0 and math.isclose(step["tokens_per_second"] * step["seconds_per_step"], 32)
