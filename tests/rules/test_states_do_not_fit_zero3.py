"""Model states that do not fit at ZeRO stage 3 (parallelism.states_do_not_fit_zero3): stage 3 already shards
weights, gradients and optimizer states over the data-parallel GPUs, so the advice is more GPUs, host memory
or adapters, never "a higher zero_stage" (what parallelism.states_do_not_fit says below stage 3).

Hand (Rajbhandari et al. 2020 §5.3): 7e9 parameters, mixed-bf16 with Adam, 2 + 2 + 12 = 16 B each:
  one GPU: 16 B · 7e9 = 112 GB > 80 GB (A800), the bf16 weights 2 B · 7e9 = 14 GB fit alone;
  four RTX 4090 at stage 3: 112 GB / 4 = 28 GB > 24 GB; eight: 14 GB, fits.
"""
from __future__ import annotations

import pytest

from engine import Engine

ENGINE = Engine.load()
STAGE3 = "parallelism.states_do_not_fit_zero3"
BELOW3 = "parallelism.states_do_not_fit"
ONE_GPU = {"params": "7B", "gpu": "A800", "precision": "mixed-bf16", "n_gpus": "1"}


def warnings(givens: dict[str, str], lang: str = "en", target: str = "memory_per_gpu") -> dict[str, str]:
    result = ENGINE.solve([target], givens, lang=lang)
    return {w.code: w.message for w in result.warnings}


def test_stage_3_advises_more_gpus_offload_or_lora_not_a_higher_stage():
    found = warnings({**ONE_GPU, "zero_stage": "3"})
    assert BELOW3 not in found and "parallelism.does_not_fit" not in found
    text = found[STAGE3]
    assert "112 GB per GPU at zero_stage 3" in text and "80 GB" in text
    assert "higher zero_stage" not in text
    assert "more GPUs" in text and "offload=optimizer" in text and "method=lora" in text
    zh = warnings({**ONE_GPU, "zero_stage": "3"}, "zh")[STAGE3]
    assert "更多的卡" in zh and "offload=optimizer" in zh and "更高的 zero_stage" not in zh


@pytest.mark.parametrize("stage", ["0", "1", "2"])
def test_below_stage_3_a_higher_stage_is_still_the_advice(stage):
    found = warnings({**ONE_GPU, "zero_stage": stage})
    assert STAGE3 not in found
    assert "with a higher zero_stage" in found[BELOW3]
    assert "更高的 zero_stage" in warnings({**ONE_GPU, "zero_stage": stage}, "zh")[BELOW3]


def test_more_gpus_is_what_helps_at_stage_3():
    g = {"params": "7B", "gpu": "RTX-4090", "precision": "mixed-bf16", "zero_stage": "3"}
    assert "28 GB per GPU" in warnings({**g, "n_gpus": "4"}, target="model_state_bytes_per_gpu")[STAGE3]
    assert STAGE3 not in warnings({**g, "n_gpus": "8"}, target="model_state_bytes_per_gpu")


def test_the_walk_through_n_gpus_for_a_deadline():
    """`solve n_gpus memory_per_gpu ... zero_stage=3 tokens=1B train_time=14d`: the deadline needs one A100
    (6 · 8.03e9 · 1e9 / (312e12 · 0.4 · 14 d) = 0.45, rounded up to 1), whose 128 GB of states at stage 3
    do not fit in 80 GB."""
    g = {"model": "llama3-8b", "method": "full", "precision": "mixed-bf16", "gpu": "A100", "zero_stage": "3",
         "tokens": "1B", "train_time": "14d", "mfu": "0.4", "seq_len": "2048", "recompute": "full"}
    result = ENGINE.solve(["n_gpus", "memory_per_gpu"], g)
    assert result.values["n_gpus"] == 1
    codes = {w.code for w in result.warnings}
    assert STAGE3 in codes and BELOW3 not in codes
