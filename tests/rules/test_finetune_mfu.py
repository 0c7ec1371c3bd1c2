"""A fine-tune's mfu under perf_model=analytic needs no token count: its model FLOPs per token are the per-token
forms of compute.param_flops_lora / _freeze (plus the attention term of flops_model), the same figure that
train_flops / tokens gives when tokens are known. And a missing value is never answered with "choose
method=...": what is trained is the user's plan (role: plan), not a convention to switch."""
from __future__ import annotations

import pytest

from engine import Engine, UnderdeterminedError

# (packed and not recomputed, chosen: a fine-tune's defaults are packing=off, whose step reads the samples'
# mean length, and recompute=full; tests/rules/test_finetune_defaults.py)
RUN = {"perf_model": "analytic", "model": "llama3-8b", "gpu": "A100-80GB", "n_gpus": "8", "seq_len": "2048",
       "global_batch": "64", "packing": "on", "recompute": "none"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@pytest.mark.parametrize("method", ["lora", "qlora", "freeze"])
@pytest.mark.parametrize("flops_model", ["six_nd", "attention_causal"])
def test_mfu_without_tokens_is_the_mfu_with_them(engine, method, flops_model):
    question = dict(RUN, method=method, flops_model=flops_model)
    alone = engine.solve(["mfu"], question).values["mfu"]
    with_tokens = engine.solve(["mfu"], dict(question, tokens="1B")).values["mfu"]
    assert 0 < alone < 1 and alone == pytest.approx(with_tokens, rel=1e-9)


def test_lora_counts_no_weight_gradients_for_the_frozen_base(engine):
    # LoRA's model FLOPs per token: (6 - 2) · N + 6 · N_lora (Hu et al. 2021 §4.2), below the full 6 · N
    lora = engine.solve(["model_flops_per_token", "params", "lora_active_params"], dict(RUN, method="lora")).values
    assert lora["model_flops_per_token"] == pytest.approx(4 * lora["params"] + 6 * lora["lora_active_params"])


def test_a_missing_value_is_not_answered_by_switching_the_method(engine):
    question = {k: v for k, v in RUN.items() if k != "seq_len"}
    for method in ("lora", "full"):
        with pytest.raises(UnderdeterminedError) as missing:
            engine.solve(["step_time"], dict(question, method=method))
        assert "seq_len" in str(missing.value) and "method=" not in str(missing.value)
