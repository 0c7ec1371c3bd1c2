"""perf_model=analytic times CPU offload as a roofline (performance.offload_time): the CPU's optimizer step at
host memory bandwidth and the PCIe copies, after the GPU's work. An offloaded step used to come out faster than
the same step on the GPU alone (fewer model-state bytes read at HBM bandwidth, nothing for the CPU)."""
from __future__ import annotations

import pytest

from engine import Engine

RUN = {"perf_model": "analytic", "model": "llama2-7b", "gpu": "H100-SXM", "n_gpus": "8", "seq_len": "4096",
       "global_batch": "64", "precision": "mixed-bf16", "zero_stage": "2"}
N = 6_738_415_616   # Llama-2-7B (catalog, from its shapes)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def _codes(result) -> set[str]:
    return {w.to_json()["code"] for w in result.warnings}


def test_an_offloaded_step_is_slower_by_the_cpu_step_and_the_copies(engine):
    on_gpu = engine.solve(["step_time", "optimizer_step_time"], RUN).values
    offloaded = engine.solve(["step_time", "optimizer_step_time", "offload_time"], dict(RUN, offload="optimizer"))
    v = offloaded.values
    # by hand (ZeRO-2 over 8 GPUs, Adam 12 B and bf16 gradients 2 B per parameter): 2 × (12 + 2) B × N / 8 at the
    # default 51.2 GB/s of host memory per GPU, and 2 × 2 B × N / 8 over H100's PCIe Gen5 (64 GB/s each way)
    cpu = 2 * (12 + 2) * N / 8 / 51.2e9
    pcie = 2 * 2 * N / 8 / 64e9
    assert v["offload_time"] == pytest.approx(cpu + pcie, rel=1e-9)
    assert v["step_time"] > on_gpu["step_time"]
    # the optimizer step is the GPU's part, which shrinks (its states are on the host), plus the offload; the rest
    # of the step is unchanged
    assert v["step_time"] - v["optimizer_step_time"] == pytest.approx(
        on_gpu["step_time"] - on_gpu["optimizer_step_time"], rel=1e-9)
    assert v["offload_time"] < v["optimizer_step_time"] < v["offload_time"] + on_gpu["optimizer_step_time"]
    assert "performance.offload_roofline" in _codes(offloaded)


def test_the_nodes_own_figures_move_it(engine):
    base = engine.solve(["offload_time"], dict(RUN, offload="optimizer")).values["offload_time"]
    faster = engine.solve(["offload_time"], dict(RUN, offload="optimizer", host_memory_bandwidth="102.4GB/s",
                                                 pcie_bandwidth="128GB/s")).values["offload_time"]
    assert faster == pytest.approx(base / 2, rel=1e-9)   # both parts are bytes over a bandwidth


def test_offloaded_weights_are_fetched_for_every_pass(engine):
    """ZeRO-3 with offload=optimizer_and_params: the weights come over PCIe for the forward and the backward pass
    (2 × 2 B × N / 8 more at recompute=none), on top of the optimizer's copies."""
    zero3 = dict(RUN, zero_stage="3")
    optimizer = engine.solve(["offload_time"], dict(zero3, offload="optimizer")).values["offload_time"]
    both = engine.solve(["offload_time"], dict(zero3, offload="optimizer_and_params")).values["offload_time"]
    assert both - optimizer == pytest.approx(2 * 2 * N / 8 / 64e9, rel=1e-9)


def test_a_step_on_the_gpu_alone_has_no_offload(engine):
    result = engine.solve(["step_time", "offload_time"], RUN)
    assert result.values["offload_time"] == 0 and "performance.offload_roofline" not in _codes(result)
