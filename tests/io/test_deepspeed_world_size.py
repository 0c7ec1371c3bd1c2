"""The GPU count a DeepSpeed config's batch implies: DeepSpeed asserts train_batch_size = micro-batch ×
accumulation × world size (deepspeed/runtime/config.py DeepSpeedConfig._batch_assertion), so 64 = 2 × 4 × 8
runs on 8 GPUs (data parallel; the reader's tp = pp = 1)."""
from __future__ import annotations

import pytest

from engine.errors import ContradictionError
from engine.io.training_config import TrainingConfigError, read_training_config
from tests.conftest import run_llmplan

DS = """{
  "train_batch_size": %s,
  "train_micro_batch_size_per_gpu": 2,
  "gradient_accumulation_steps": 4,
  "bf16": {"enabled": true},
  "zero_optimization": {"stage": 2}
}
"""


def _write(tmp_path, text, name="ds.json"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_n_gpus_from_the_batch(tmp_path):
    path = _write(tmp_path, DS % 64)
    filled = read_training_config(path).givens["n_gpus"]
    assert filled.value == 8 and not filled.default                     # 64 / (2 × 4) = 8
    assert filled.origin.startswith(f"{path}:2 (train_batch_size 64 / (micro-batch 2 × accumulation 4) = 8")


def test_preflight_without_n_gpus_runs_on_the_implied_gpus(tmp_path):
    _write(tmp_path, DS % 64)
    done = run_llmplan("preflight", "ds.json", "model=llama2-7b", "seq_len=2048", "--gpu", "A800", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "n_gpus = 8  [ds.json:2 (train_batch_size 64" in done.stdout
    # a GPU count typed on the command line still wins, and 64 = 2 × 4 × 4 does not hold: refused as before
    done = run_llmplan("preflight", "ds.json", "model=llama2-7b", "seq_len=2048", "--gpu", "A800", "--n-gpus", "4",
                       cwd=tmp_path)
    assert done.returncode == 1 and "contradict" in done.stderr and "ds.json:2 train_batch_size" in done.stderr


def test_solve_takes_the_implied_gpus_and_a_typed_count_wins(eng, tmp_path):
    path = _write(tmp_path, DS % 64)
    given = {"config": str(path), "model": "llama2-7b", "seq_len": "2048", "gpu": "A800"}
    implied = eng.solve(["memory_per_gpu"], given)
    assert implied.values["n_gpus"] == 8 and implied.values["dp"] == 8
    typed = eng.solve(["memory_per_gpu"], {**given, "n_gpus": "8"})
    assert typed.values["memory_per_gpu"] == implied.values["memory_per_gpu"]
    with pytest.raises(ContradictionError):
        eng.solve(["memory_per_gpu"], {**given, "n_gpus": "16"})


def test_a_batch_no_gpu_count_gives_is_refused(tmp_path):
    path = _write(tmp_path, DS % 60)            # 60 / (2 × 4) = 7.5
    with pytest.raises(TrainingConfigError) as caught:
        read_training_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:2:") and "multiple of" in message and "= 8" in message
    assert f"({path}:3)" in message and f"({path}:4)" in message


@pytest.mark.parametrize("text", [
    '{"train_batch_size": 64, "train_micro_batch_size_per_gpu": 2}',     # DeepSpeed derives the accumulation
    '{"train_batch_size": "auto", "train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 4}',
    '{"train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 4}',
])
def test_no_gpu_count_without_the_three_numbers(tmp_path, text):
    assert "n_gpus" not in read_training_config(_write(tmp_path, text)).givens


def test_a_framework_yaml_gives_the_micro_batch_of_an_auto_json(tmp_path):
    # LLaMA-Factory per_device_train_batch_size 4 and gradient_accumulation_steps 2 fill the JSON's "auto";
    # its train_batch_size 32 = 4 × 2 × 4 GPUs
    _write(tmp_path, '{"train_batch_size": 32, "train_micro_batch_size_per_gpu": "auto",\n'
                     '"gradient_accumulation_steps": "auto", "zero_optimization": {"stage": 3}}')
    path = _write(tmp_path, "model_name_or_path: m\nper_device_train_batch_size: 4\ngradient_accumulation_steps: 2\n"
                            "deepspeed: ds.json\n", "train.yaml")
    filled = read_training_config(path).givens["n_gpus"]
    assert filled.value == 4 and filled.origin.startswith(f"{tmp_path / 'ds.json'}:1 (")
