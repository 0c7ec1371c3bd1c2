"""CPU offload only where a ZeRO stage can offload (DeepSpeed deepspeed/runtime/zero/config.py,
DeepSpeedZeroConfig: offload_optimizer "Valid for ZeRO stage 1, 2, 3"; offload_param "Valid only with
stage 3"): typed layouts are refused by parallelism.offload_needs_zero / offload_params_needs_zero3, a
DeepSpeed or accelerate file asking for one by the reader, naming both lines."""
from __future__ import annotations

import pytest

from engine.errors import EvaluationError
from engine.io.training_config import TrainingConfigError, read_training_config
from tests.conftest import run_llmplan

# 13B parameters, mixed-bf16 + Adam (ZeRO §3.1: 2 + 2 + 12 B per parameter), 8 GPUs, no activations given
LAYOUT = {"params": "13B", "precision": "mixed-bf16", "optimizer": "adam", "n_gpus": "8"}


@pytest.mark.parametrize("stage, offload, check", [
    ("0", "optimizer", "parallelism.offload_needs_zero"),
    ("0", "optimizer_and_params", "parallelism.offload_params_needs_zero3"),
    ("1", "optimizer_and_params", "parallelism.offload_params_needs_zero3"),
    ("2", "all", "parallelism.offload_params_needs_zero3"),      # (all: an alias of optimizer_and_params)
])
def test_offload_a_stage_cannot_do_is_refused(eng, stage, offload, check):
    with pytest.raises(EvaluationError) as caught:
        eng.solve(["memory_per_gpu"], {**LAYOUT, "zero_stage": stage, "offload": offload, "seq_len": "2048",
                                       "model": "llama2-13b"})
    message = str(caught.value)
    assert check in message and f"zero_stage = {stage}" in message
    assert ("zero_stage=3" in message) if "params" in check else ("zero_stage=1, 2 or 3" in message)


def test_the_user_walk_through_is_refused():
    # the walk-through's question: 1.54 GB of activations alone, as if ZeRO-0 could offload the weights
    done = run_llmplan("solve", "memory_per_gpu", "host_memory_per_gpu", "model=llama2-13b", "method=full",
                       "precision=mixed-bf16", "zero_stage=0", "offload=all", "gpu=A100-80GB-SXM", "n_gpus=8",
                       "seq_len=2048", "micro_batch=1", "recompute=full")
    assert done.returncode != 0 and "1.54 GB" not in done.stdout
    assert "parallelism.offload_params_needs_zero3" in done.stderr and "zero_stage=3" in done.stderr


@pytest.mark.parametrize("stage, offload, gpu_gb, host_gb", [
    # ZeRO-2 + ZeRO-Offload: bf16 weights stay, 2 B x 13e9 = 26 GB; gradients and optimizer states are
    # partitioned and offloaded: (2 + 12) B x 13e9 / 8 = 22.75 GB of host memory per GPU
    ("2", "optimizer", 26.0, 22.75),
])
def test_offload_a_stage_can_do_is_answered(eng, stage, offload, gpu_gb, host_gb):
    result = eng.solve(["memory_per_gpu", "host_memory_per_gpu"], {**LAYOUT, "zero_stage": stage,
                                                                   "offload": offload})
    assert result.values["memory_per_gpu"] == pytest.approx(gpu_gb * 1e9, rel=1e-9)
    assert result.values["host_memory_per_gpu"] == pytest.approx(host_gb * 1e9, rel=1e-9)


DS_STAGE0 = """{
  "train_micro_batch_size_per_gpu": 1,
  "bf16": {"enabled": true},
  "zero_optimization": {
    "stage": 0,
    "offload_optimizer": {"device": "cpu", "pin_memory": true}
  }
}
"""
DS_STAGE2_PARAMS = """{
  "train_micro_batch_size_per_gpu": 1,
  "zero_optimization": {
    "stage": 2,
    "offload_optimizer": {"device": "cpu"},
    "offload_param": {"device": "nvme"}
  }
}
"""


@pytest.mark.parametrize("text, where, stage_line, what", [
    (DS_STAGE0, ":6", "ds.json:5", "stages 1, 2 and 3"),
    (DS_STAGE2_PARAMS, ":6", "ds.json:4", "only with ZeRO stage 3"),
    ('{"zero_optimization": {\n"offload_optimizer": {"device": "cpu"}}}', ":2", "default stage 0", "stages 1, 2"),
    ('{"zero_optimization": {\n"stage": 1,\n"cpu_offload_param": true, "cpu_offload": true}}', ":3", "ds.json:2",
     "only with ZeRO stage 3"),     # the deprecated spellings (zero/config.py) alike
])
def test_deepspeed_file_asking_for_more_than_its_stage_is_refused(tmp_path, text, where, stage_line, what):
    path = tmp_path / "ds.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TrainingConfigError) as caught:
        read_training_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}{where}:") and stage_line in message and what in message


def test_deepspeed_offload_within_its_stage_is_read(tmp_path):
    path = tmp_path / "ds.json"
    path.write_text('{"zero_optimization": {"stage": 1,\n"cpu_offload": true}}', encoding="utf-8")
    read = read_training_config(path)      # the deprecated cpu_offload (zero/config.py) = offload_optimizer
    assert read.givens["offload"].value == "optimizer" and read.givens["offload"].origin == f"{path}:2"
    assert "zero_optimization.cpu_offload_param" not in " ".join(read.ignored)


def test_preflight_names_the_lines(tmp_path):
    (tmp_path / "ds.json").write_text(DS_STAGE2_PARAMS, encoding="utf-8")
    done = run_llmplan("preflight", "ds.json", "model=llama2-13b", "--gpu", "A100-80GB-SXM", "--n-gpus", "8",
                       cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "ds.json:6: zero_optimization.offload_param.device" in done.stderr and "(ds.json:4)" in done.stderr
    (tmp_path / "ds.json").write_text(DS_STAGE0, encoding="utf-8")
    done = run_llmplan("preflight", "ds.json", "model=llama2-13b", "--gpu", "A100-80GB-SXM", "--n-gpus", "8",
                       cwd=tmp_path)
    assert done.returncode == 2 and "ds.json:6: zero_optimization.offload_optimizer.device" in done.stderr


def test_accelerate_deepspeed_keys_follow_deepspeed(tmp_path):
    path = tmp_path / "acc.yaml"
    path.write_text("distributed_type: DEEPSPEED\nnum_processes: 8\ndeepspeed_config:\n  zero_stage: 2\n"
                    "  offload_optimizer_device: cpu\n  offload_param_device: cpu\n", encoding="utf-8")
    with pytest.raises(TrainingConfigError) as caught:
        read_training_config(path)
    assert str(caught.value).startswith(f"{path}:6:") and f"({path}:4)" in str(caught.value)


def test_a_config_stage_behind_a_typed_offload_is_named(eng, tmp_path):
    # accelerate MULTI_GPU is plain DDP (zero_stage 0, from line 1); offload typed by the user: the refusal
    # names the config line that set the stage (Origins.explain)
    path = tmp_path / "acc.yaml"
    path.write_text("distributed_type: MULTI_GPU\nnum_processes: 8\n", encoding="utf-8")
    with pytest.raises(EvaluationError) as caught:
        eng.solve(["memory_per_gpu"], {"config": str(path), "offload": "optimizer", "params": "13B",
                                       "precision": "mixed-bf16"})
    message = str(caught.value)
    assert "parallelism.offload_needs_zero" in message and f"zero_stage = 0 [{path}:1 distributed_type]" in message


def test_fsdp_offload_without_full_sharding(tmp_path):
    # FSDP without a reshard after forward keeps the gathered weights on the GPU from forward to backward:
    # counted as ZeRO-2 with the optimizer offloaded; NO_SHARD with offload has no llmplan layout
    path = tmp_path / "ax.yaml"
    path.write_text("base_model: m\nfsdp_version: 2\nfsdp_config:\n  offload_params: true\n"
                    "  reshard_after_forward: false\n", encoding="utf-8")
    read = read_training_config(path)
    assert read.givens["zero_stage"].value == "2" and read.givens["offload"].value == "optimizer"
    assert read.givens["offload"].origin.startswith(f"{path}:4 (")
    path.write_text("base_model: m\nfsdp_config:\n  sharding_strategy: NO_SHARD\n  offload_params: true\n",
                    encoding="utf-8")
    read = read_training_config(path)
    assert "offload" not in read.givens and read.unmodelled[0][0] == "offload"
    assert f"{path}:4" in read.unmodelled[0][1]
