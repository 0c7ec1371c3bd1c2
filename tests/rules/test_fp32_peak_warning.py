"""precision=fp32 beside the catalog's 16-bit tensor peak warns (time.fp32_at_tensor_peak); mixed precision,
the seed's recipe and memory-only questions do not."""
from __future__ import annotations

import pytest

FP32_WARNING = "time.fp32_at_tensor_peak"
TIME = {"params": "7B", "tokens": "1T", "gpu": "H100-SXM", "n_gpus": 64, "mfu": 0.4}


def _warned(result) -> set[str]:
    return {warning.code for warning in result.warnings}


@pytest.mark.parametrize("precision", ["mixed-bf16", "mixed-fp16", "seed-fp32"])
def test_recipes_that_run_at_the_tensor_peak_do_not_warn(eng, precision) -> None:
    # seed-fp32 is the seed's own recipe: its times use the 312 TFLOPS tensor peak of the A800 (seed §4c)
    assert FP32_WARNING not in _warned(eng.solve(["train_time"], dict(TIME, precision=precision)))


def test_fp32_time_warns_a_memory_question_does_not(eng) -> None:
    assert FP32_WARNING in _warned(eng.solve(["train_time"], dict(TIME, precision="fp32")))
    memory = eng.solve(["memory_per_gpu"], {"model": "llama2-7b", "gpu": "H100-SXM", "precision": "fp32",
                                            "zero_stage": 3, "n_gpus": 8})
    assert FP32_WARNING not in _warned(memory)


def test_a_predicted_step_time_in_fp32_warns_too(eng) -> None:
    result = eng.solve(["step_time"], {"perf_model": "analytic", "model": "llama2-13b", "gpu": "H100-SXM",
                                       "n_gpus": 64, "seq_len": 4096, "global_batch": 1024, "zero_stage": 1,
                                       "tp": 2, "precision": "fp32"})
    assert FP32_WARNING in _warned(result)
