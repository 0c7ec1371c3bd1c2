"""Whether the layout fits is computed beside any answer about a described layout (engine/solve/watched.py).

A walk-through found `solve n_gpus ... perf_model=analytic seq_len=4096 global_batch=1024 zero_stage=1` answered
256 GPUs without a word, while asking memory_fill beside it said 1.059 (does not fit). The fit is now a side value
of every plan whose givens describe a layout, with the defaults it needs as side assumptions; it never changes the
answer, and a question that describes no layout (a GPU count for a token budget) gets no fit from defaults alone.
"""
from __future__ import annotations

from typing import Any

import pytest

from engine import Engine

LAYOUT_QUESTION = {"model": "llama2-13b", "tokens": 1e12, "gpu": "A800", "train_time": 30.0, "perf_model": "analytic",
                   "seq_len": 4096, "global_batch": 1024, "precision": "mixed-bf16", "zero_stage": "1"}


@pytest.fixture(scope="module")
def eng() -> Any:
    return Engine.load()


def test_a_layout_that_does_not_fit_is_said_beside_the_answer(eng: Any) -> None:
    alone = eng.solve(["n_gpus"], LAYOUT_QUESTION)
    asked = eng.solve(["n_gpus", "memory_fill"], LAYOUT_QUESTION)
    # the same answer, and the same fit as when memory_fill is asked (the side value is the asked one)
    assert alone.values["n_gpus"] == asked.values["n_gpus"]
    assert alone.values["memory_fill"] == pytest.approx(asked.values["memory_fill"], rel=1e-12)
    assert asked.values["memory_fill"] > 1
    # the model states fit and one micro-batch's activations do not (ZeRO-1 at 256 GPUs: 2 + 2 + 12/256 B per
    # parameter for 13B = 52.6 GB < 80 GB, by hand): the check that says which part does not fit fires
    assert {w.code for w in alone.warnings} >= {"parallelism.activations_do_not_fit"}


def test_the_fit_never_changes_the_answer_or_its_assumptions(eng: Any) -> None:
    # 70B at the seed's fp32 recipe on one GPU for 2T tokens: 6 · 70e9 · 2e12 / (312e12 · 0.4 · 86,400 s) = 77,902
    # days by hand; with seq_len given (a layout described) the weights alone (70e9 · 4 B = 280 GB) are said not to fit
    givens = {"params": 70e9, "tokens": 2e12, "gpu": "A800", "n_gpus": 1, "mfu": 0.4, "seq_len": 4096}
    result = eng.solve(["train_time"], givens)
    assert result.values["train_time"] / 86400 == pytest.approx(6 * 70e9 * 2e12 / (312e12 * 0.4 * 86400), rel=1e-9)
    assert "parallelism.weights_do_not_fit" in {w.code for w in result.warnings}
    assert result.values["weights_bytes_per_gpu"] == pytest.approx(70e9 * 4)
    # the memory's defaults (offload, memory_overhead) are side assumptions: the answer's steps do not read them
    answer_reads = {v for step in result.derivation if step.needed for eq in step.equations for v in eq.variables}
    assert "memory_overhead" not in answer_reads and "memory_fill" not in answer_reads


def test_no_fit_from_defaults_alone_when_no_layout_is_described(eng: Any) -> None:
    # 7B on 2T tokens on 256 A800s at mfu 0.45: a compute question. The fit would rest on the seed's fp32 recipe
    # without ZeRO (20 B per parameter, 140 GB) and warn on a layout nobody described.
    result = eng.solve(["train_time"], {"params": 7e9, "tokens": 2e12, "gpu": "A800", "n_gpus": 256, "mfu": 0.45})
    assert "memory_fill" not in result.values
    assert not any(w.code.startswith("parallelism.") for w in result.warnings)


@pytest.mark.parametrize("n_gpus, tp", [(60, 8), (64, 3)])
def test_a_layout_that_cannot_run_is_refused_at_a_given_mfu_too(eng: Any, n_gpus: int, tp: int) -> None:
    # 60 GPUs over tp = 8 is dp = 7.5 replicas, 64 over tp = 3 is 21.33 (by hand): refused as under perf_model=analytic
    # (parallelism.dp_not_whole), where the 6·N·D time off the layout was answered before
    from engine.errors import EngineError

    with pytest.raises(EngineError) as caught:
        eng.solve(["train_time"], {"params": 13e9, "tokens": 1e12, "gpu": "A800", "mfu": 0.4, "n_gpus": n_gpus,
                                   "tp": tp})
    assert "parallelism.dp_not_whole" in str(caught.value)


def test_the_gpus_for_a_deadline_are_a_multiple_of_the_model_parallel_size(eng: Any) -> None:
    # 6 · 13e9 · 1e12 / (312e12 · 0.4 · 30 · 86,400 s) = 241.13 GPUs (by hand) -> 242, and with tp = 8 the replicas
    # must be whole: 248 = 31 × 8
    result = eng.solve(["n_gpus"], {"params": 13e9, "tokens": 1e12, "gpu": "A800", "mfu": 0.4, "train_time": 30.0,
                                    "tp": 8})
    assert result.rounded["n_gpus"][0] == pytest.approx(6 * 13e9 * 1e12 / (312e12 * 0.4 * 30 * 86400), rel=1e-9)
    assert result.values["n_gpus"] == 248


def test_a_convention_that_shapes_the_fit_is_not_said_unused(eng: Any) -> None:
    # zero_stage=1 typed beside a GPU count at a given mfu: the answer (6·N·D) does not read it, the fit said beside
    # it does (ZeRO-1 shards the optimizer states: 13e9 · (2 + 2) + 13e9 · 12 / 256 = 52.6 GB of states, by hand)
    result = eng.solve(["n_gpus"], {"model": "llama2-13b", "tokens": 1e12, "gpu": "A800", "train_time": 30.0,
                                    "mfu": 0.4, "precision": "mixed-bf16", "zero_stage": "1", "global_batch": 1024,
                                    "seq_len": 4096})
    unused = [w.message for w in result.warnings if w.code == "given.unused"]
    assert not any("zero_stage" in m for m in unused)
    assert result.values["model_state_bytes_per_gpu"] == pytest.approx(13e9 * 4 + 13e9 * 12 / 256, rel=2e-2)
