"""ZeRO's model-state memory as DeepSpeed runs it: ZeRO-3's gathered largest module, DeepSpeed ZeRO-2's 16-bit
gradient partition (formulas/parallelism.yaml, parallelism.largest_layer_params, parallelism.gathered_weights*,
parallelism.grads_working_*).

Reference figures are DeepSpeed's own estimators, written out below from deepspeedai/DeepSpeed at commit
edaa7221267243c7be7fb49c5d5f5c4fb97b4641 (v0.19.5-27):
  deepspeed/runtime/zero/stage3.py estimate_zero3_model_states_mem_needs
      largest_layer_memory = 4 * largest_layer_params
      offload_param (and optimizer):   gpu_mem = largest_layer_memory
      offload_optimizer only:          gpu_mem = largest_layer_memory + int(2 * total_params / total_gpus)
      no offload:                      gpu_mem = largest_layer_memory + int(18 * total_params / total_gpus)
  deepspeed/runtime/zero/stage_1_and_2.py estimate_zero2_model_states_mem_needs (since PR #5099, commit f4cb866)
      offload_optimizer:               gpu_mem = 2 * total_params
      no offload:                      gpu_mem = 2 * total_params + int(18 * total_params / total_gpus)
and every other figure is a hand calculation written beside its assertion.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from engine.io.training_config import read_training_config

LLAMA3_8B = 8_030_261_248            # sum(p.numel()) of HF LlamaForCausalLM with Llama-3-8B's config
LLAMA3_8B_EMBEDDING = 128_256 * 4_096  # embed_tokens (and lm_head): vocab_size × hidden_size
GPUS = 8


def zero3_estimator(total_params: int, largest_layer_params: int, total_gpus: int, offload: str) -> int:
    """DeepSpeed stage3.py estimate_zero3_model_states_mem_needs, GPU side, one node."""
    largest_layer_memory = 4 * largest_layer_params
    if offload == "optimizer_and_params":
        return largest_layer_memory
    if offload == "optimizer":
        return largest_layer_memory + int(2 * total_params / total_gpus)
    return largest_layer_memory + int(18 * total_params / total_gpus)


def zero2_estimator(total_params: int, total_gpus: int, offload: str) -> int:
    """DeepSpeed stage_1_and_2.py estimate_zero2_model_states_mem_needs, GPU side."""
    if offload == "optimizer":
        return 2 * total_params
    return 2 * total_params + int(18 * total_params / total_gpus)


def _states(eng: Any, givens: dict[str, Any]) -> dict[str, float]:
    result = eng.solve(["model_state_bytes_per_gpu"], givens)
    return result.values


def test_the_largest_module_of_llama3_8b_is_its_embedding(eng: Any) -> None:
    # 128,256 × 4,096 = 525,336,576, nine times one MLP projection (4,096 × 14,336 = 58,720,256)
    assert LLAMA3_8B_EMBEDDING == 525_336_576
    values = eng.solve(["largest_layer_params"], {"model": "llama3-8b", "zero_stage": "3"}).values
    assert values["largest_layer_params"] == LLAMA3_8B_EMBEDDING
    # tied input and output embeddings are one module, counted once: Llama-3.2-1B 128,256 × 2,048
    tied = eng.solve(["largest_layer_params"], {"model": "llama3.2-1b", "zero_stage": "3"}).values
    assert tied["largest_layer_params"] == 128_256 * 2_048 == 262_668_288
    # Qwen2.5-7B: 152,064 × 3,584 = 544,997,376 (its MLP projection 3,584 × 18,944 = 67,895,296)
    qwen = eng.solve(["largest_layer_params"], {"model": "qwen2.5-7b", "zero_stage": "3"}).values
    assert qwen["largest_layer_params"] == 152_064 * 3_584 == 544_997_376


@pytest.mark.parametrize("offload", ["none", "optimizer", "optimizer_and_params"])
def test_zero3_matches_deepspeeds_estimator(eng: Any, offload: str) -> None:
    """Llama-3-8B, bf16 with DeepSpeed's fp32 gradient partition, 8 GPUs: every offload option of the estimator.
    Without offload: 4 × 525,336,576 + 18 × 8,030,261,248 / 8 = 2,101,346,304 + 18,068,087,808 = 20,169,434,112 B."""
    values = _states(eng, {"model": "llama3-8b", "params": LLAMA3_8B, "precision": "mixed-bf16-fp32grad",
                           "zero_stage": "3", "n_gpus": GPUS, "offload": offload})
    expected = zero3_estimator(LLAMA3_8B, LLAMA3_8B_EMBEDDING, GPUS, offload)
    assert values["model_state_bytes_per_gpu"] == pytest.approx(expected, rel=1e-9)
    if offload == "none":
        assert expected == 20_169_434_112
    # the gathered module: its bf16 weights (2 B) in the weights, its bf16 gradient (2 B) in the gradients
    assert values["gathered_weights_bytes_per_gpu"] == pytest.approx(2 * LLAMA3_8B_EMBEDDING, rel=1e-12)
    assert values["grads_working_bytes_per_gpu"] == pytest.approx(2 * LLAMA3_8B_EMBEDDING, rel=1e-12)


def test_stages_below_3_gather_nothing_and_need_no_architecture(eng: Any) -> None:
    values = _states(eng, {"model": "llama3-8b", "precision": "mixed-bf16", "zero_stage": "1", "n_gpus": GPUS})
    assert values["gathered_weights_bytes_per_gpu"] == 0 and values["grads_working_bytes_per_gpu"] == 0
    # ZeRO-1, 8e9 (the catalog's count), ZeRO §5.1: 2 + 2 + 12 / 8 = 5.5 B per parameter = 44 GB
    assert values["model_state_bytes_per_gpu"] == pytest.approx(5.5 * 8e9, rel=1e-12)
    # a question about stage 0 with the parameter count alone: answered, nothing said about a gathered module
    result = eng.solve(["memory_per_gpu"], {"params": "7B", "precision": "mixed-bf16"})
    assert result.values["memory_per_gpu"] == pytest.approx(16 * 7e9, rel=1e-12)
    assert "largest_layer_params" not in result.values
    assert not any(w.code == "parallelism.gathered_layer_not_counted" for w in result.warnings)


def test_without_the_architecture_zero3_says_the_gathered_module_is_not_counted(eng: Any) -> None:
    # 18 × 7e9 / 8 = 15.75 GB, as before; an info names what is left out and how to count it
    result = eng.solve(["model_state_bytes_per_gpu"], {"params": "7B", "precision": "mixed-bf16-fp32grad",
                                                        "zero_stage": "3", "n_gpus": GPUS})
    assert result.values["model_state_bytes_per_gpu"] == pytest.approx(18 * 7e9 / 8, rel=1e-12)
    (info,) = [w for w in result.warnings if w.code == "parallelism.gathered_layer_not_counted"]
    assert "largest_layer_params=" in info.message and "model=" in info.message
    # given by hand, it is counted and the info is quiet: + 4 B × 5e8 = 2 GB
    given = eng.solve(["model_state_bytes_per_gpu"], {"params": "7B", "precision": "mixed-bf16-fp32grad",
                                                       "zero_stage": "3", "n_gpus": GPUS,
                                                       "largest_layer_params": "500M"})
    assert given.values["model_state_bytes_per_gpu"] == pytest.approx(18 * 7e9 / 8 + 4 * 5e8, rel=1e-12)
    assert not any(w.code == "parallelism.gathered_layer_not_counted" for w in given.warnings)


def test_a_frozen_base_gathers_its_embedding_without_a_gradient(eng: Any) -> None:
    # LoRA under ZeRO-3: the frozen embedding is gathered in bf16, 2 B × 525,336,576 = 1,050,673,152 B; no gradient
    values = _states(eng, {"model": "llama3-8b", "method": "lora", "zero_stage": "3", "n_gpus": GPUS})
    assert values["gathered_weights_bytes_per_gpu"] == pytest.approx(2 * LLAMA3_8B_EMBEDDING, rel=1e-12)
    assert values["grads_working_bytes_per_gpu"] == 0


def test_tensor_parallelism_splits_the_gathered_module(eng: Any) -> None:
    # tp = 2: each GPU gathers half the embedding, 4 B × 525,336,576 / 2 = 1,050,673,152 B in all
    values = _states(eng, {"model": "llama3-8b", "precision": "mixed-bf16", "zero_stage": "3", "n_gpus": GPUS,
                           "tp": 2})
    assert values["gathered_weights_bytes_per_gpu"] + values["grads_working_bytes_per_gpu"] == \
        pytest.approx(4 * LLAMA3_8B_EMBEDDING / 2, rel=1e-12)


def test_the_fewest_24gb_cards_for_a_llama3_8b_full_fine_tune(eng: Any) -> None:
    """18 × 8e9 / n + 2.101 GB (gathered embedding) + one micro-batch's activations ≤ 24 GB. The activations at
    2,048 tokens with full recomputation come from the activation rules (4.09 GB); by hand
    n = 144e9 / (24e9 − 2,101,346,304 − activations) = 8.09 -> 9 (before the gathered module: 7.2 -> 8)."""
    result = eng.solve(["n_gpus"], {"model": "llama3-8b", "method": "full", "gpu": "RTX4090", "zero_stage": "3",
                                    "precision": "mixed-bf16-fp32grad", "seq_len": 2048, "micro_batch": 1,
                                    "recompute": "full", "memory_fill": 1})
    activations = result.values["activation_bytes_per_gpu"]
    raw = 18 * 8e9 / (24e9 - 4 * LLAMA3_8B_EMBEDDING - activations)
    assert result.rounded["n_gpus"][0] == pytest.approx(raw, rel=1e-9)
    assert raw == pytest.approx(8.09, abs=0.01) and result.values["n_gpus"] == math.ceil(raw) == 9


def _ds(tmp_path: Path, stage: int, offload: bool = False) -> Path:
    zero: dict[str, Any] = {"stage": stage, "contiguous_gradients": True, "reduce_bucket_size": 5e8}
    if offload:
        zero["offload_optimizer"] = {"device": "cpu"}
    path = tmp_path / f"ds_z{stage}{'_offload' if offload else ''}.json"
    path.write_text(json.dumps({"bf16": {"enabled": True}, "zero_optimization": zero,
                                "train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": 1}))
    return path


@pytest.mark.parametrize("offload", [False, True])
def test_zero2_under_deepspeed_matches_its_estimator(eng: Any, tmp_path: Path, offload: bool) -> None:
    """A DeepSpeed ZeRO-2 JSON, bf16, full fine-tune of 8,030,261,248 parameters on 8 GPUs:
    2 × N + 18 × N / 8 = 16,060,522,496 + 18,068,087,808 = 34,128,610,304 B (2 B weights; 2 B 16-bit gradient
    partition + 4 B fp32 gradient + 12 B Adam, each / 8). The estimator before PR #5099 said 4 N + 16 N / 8 =
    48,181,567,488 B, every GPU holding all 16-bit gradients, which DeepSpeed frees outside its partition."""
    config = _ds(tmp_path, 2, offload)
    read = read_training_config(config)
    assert read.givens["bit16_grad_partition_bytes"].value == 2
    values = _states(eng, {"config": str(config), "params": LLAMA3_8B, "n_gpus": GPUS})
    expected = zero2_estimator(LLAMA3_8B, GPUS, "optimizer" if offload else "none")
    assert values["model_state_bytes_per_gpu"] == pytest.approx(expected, rel=1e-9)
    if not offload:
        assert expected == 34_128_610_304
        assert values["model_state_bytes_per_gpu"] < 4 * LLAMA3_8B + 16 * LLAMA3_8B / GPUS == 48_181_567_488
        assert values["grads_bytes_per_gpu"] == pytest.approx(6 * LLAMA3_8B / GPUS, rel=1e-12)


def test_the_bit16_partition_is_read_only_for_a_deepspeed_zero2_bf16_full_fine_tune(tmp_path: Path) -> None:
    # ZeRO-3: DeepSpeed's estimator counts 18 B per parameter there (precision mixed-bf16-fp32grad alone)
    assert "bit16_grad_partition_bytes" not in read_training_config(_ds(tmp_path, 3)).givens
    # LoRA names its own trained dtype: no fp32 gradient partition, no 16-bit copy beside it
    ds = _ds(tmp_path, 2)
    lora = tmp_path / "lora.yaml"
    lora.write_text(f"model_name_or_path: m\nfinetuning_type: lora\nbf16: true\nper_device_train_batch_size: 1\n"
                    f"deepspeed: {ds.name}\n")
    assert "bit16_grad_partition_bytes" not in read_training_config(lora).givens
    # fp32 training keeps one gradient
    fp32 = tmp_path / "fp32.json"
    fp32.write_text(json.dumps({"zero_optimization": {"stage": 2}, "train_micro_batch_size_per_gpu": 1}))
    assert "bit16_grad_partition_bytes" not in read_training_config(fp32).givens
