"""A bf16 full fine-tune under DeepSpeed keeps an fp32 gradient partition (its optimizer's: ZeRO-1/2
stage_1_and_2.py single_partition_of_fp32_groups[i].grad, ZeRO-3 stage3.py fp32_partitioned_groups_flat[i].grad),
so its model states are 2 + 4 + 12 = 18 B per parameter, as DeepSpeed's estimate_zero3_model_states_mem_needs
counts (18 · params / GPUs), not ZeRO's 16 B. A walk-through found the 70B fewest-GPU answer one GPU short."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.io.training_config import read_training_config
from engine.solve.solver import Engine


@pytest.fixture(scope="module")
def eng() -> Engine:
    return Engine.load()


def _ds(tmp_path: Path, stage: int, bf16: bool = True) -> Path:
    path = tmp_path / f"ds_z{stage}.json"
    path.write_text(json.dumps({"bf16": {"enabled": bf16}, "zero_optimization": {"stage": stage},
                                "train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": 1}))
    return path


def test_a_bf16_deepspeed_run_counts_fp32_gradients(tmp_path: Path, eng: Engine) -> None:
    read = read_training_config(_ds(tmp_path, 3))
    filled = read.givens["precision"]
    assert filled.value == "mixed-bf16-fp32grad" and "DeepSpeed" in filled.origin
    # 7e9 parameters over 8 GPUs at ZeRO-3: 18 B × 7e9 / 8 = 15.75 GB of model states per GPU (by hand)
    result = eng.solve(["model_state_bytes_per_gpu"], {"config": str(tmp_path / "ds_z3.json"), "params": "7B",
                                                        "n_gpus": 8})
    assert result.values["model_state_bytes_per_gpu"] == pytest.approx(18 * 7e9 / 8, rel=1e-12)


def test_fp32_training_and_a_typed_precision_are_left_alone(tmp_path: Path, eng: Engine) -> None:
    assert read_training_config(_ds(tmp_path, 2, bf16=False)).givens["precision"].value == "fp32"
    # a precision typed beside the file wins (NAME=VALUE items override the file): ZeRO's 16 B
    result = eng.solve(["model_state_bytes_per_gpu"], {"config": str(_ds(tmp_path, 3)), "params": "7B",
                                                        "n_gpus": 8, "precision": "mixed-bf16"})
    assert result.values["model_state_bytes_per_gpu"] == pytest.approx(16 * 7e9 / 8, rel=1e-12)


def test_lora_under_deepspeed_keeps_the_frameworks_precision(tmp_path: Path) -> None:
    # LoRA's trained parameters take trainable_dtype (fp32 adapters need no separate fp32 gradient): no change
    ds = _ds(tmp_path, 3)
    config = tmp_path / "lora.yaml"
    config.write_text(f"model_name_or_path: m\nfinetuning_type: lora\nbf16: true\nper_device_train_batch_size: 1\n"
                      f"deepspeed: {ds.name}\n")
    assert read_training_config(config).givens["precision"].value == "mixed-bf16"
