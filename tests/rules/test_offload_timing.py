"""perf_model=analytic times GPU work only: with offloaded model states the step leaves out the CPU optimizer
step and the PCIe copies (ZeRO-Offload, Ren et al. 2021 §4.1), and says so beside the answer."""
from __future__ import annotations

import pytest

from engine import Engine

RUN = {"perf_model": "analytic", "model": "llama2-7b", "gpu": "H100-SXM", "n_gpus": "8", "seq_len": "4096",
       "global_batch": "64", "precision": "mixed-bf16", "zero_stage": "2"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def _codes(result) -> set[str]:
    return {w.to_json()["code"] for w in result.warnings}


@pytest.mark.parametrize("offload", ["optimizer", "optimizer_and_params"])
def test_an_offloaded_step_is_said_to_be_a_lower_bound(engine, offload):
    zero = "3" if offload == "optimizer_and_params" else "2"   # (DeepSpeed offloads weights at stage 3 only)
    result = engine.solve(["step_time"], dict(RUN, offload=offload, zero_stage=zero))
    assert "performance.offload_not_timed" in _codes(result)


def test_a_step_on_the_gpu_alone_has_no_such_note(engine):
    assert "performance.offload_not_timed" not in _codes(engine.solve(["step_time"], RUN))
    # nor a time from a given mfu, which the user measured with the offload included
    given = engine.solve(["train_time"], {"params": "7B", "tokens": "1T", "gpu": "H100-SXM", "n_gpus": "8",
                                          "mfu": "0.3", "offload": "optimizer", "zero_stage": "2"})
    assert "performance.offload_not_timed" not in _codes(given)
