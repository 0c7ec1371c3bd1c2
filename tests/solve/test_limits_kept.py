"""A typed limit (memory_fill=1, a deadline) is on the way to the answer, or refused where defaults fixed the answer
without it (engine/solve/giving_way.unread_limit), or said unused where the user's own givens did; and no suggestion
leads to an answer that leaves it out.

"The largest model QLoRA fits on a 24 GB RTX 4090" needs an architecture for the adapters and activations;
perf_model=analytic's shape sketch (params = 12 · layers · hidden², hidden = 128 · layers: Kaplan et al. 2020)
gives params from layers alone, so with layers given the memory limit shaped nothing.
"""
from __future__ import annotations

from typing import Any

import pytest

from engine.errors import UnderdeterminedError

QLORA_4090 = {"gpu": "RTX-4090", "method": "qlora", "memory_fill": 1, "seq_len": 2048, "micro_batch": 1,
              "recompute": "full"}


def test_no_suggestion_answers_without_the_typed_limit(eng: Any) -> None:
    with pytest.raises(UnderdeterminedError) as caught:
        eng.solve(["params"], QLORA_4090)
    said = str(caught.value)
    assert "perf_model=analytic" not in said   # (its route, layers + the shape sketch, reads no memory)
    assert "model" in caught.value.suggestions or "give model" in said


def test_a_limit_the_default_sketch_leaves_unread_is_refused(eng: Any) -> None:
    # the shape sketch's defaults give params = 12 · 60 · (128 · 60)² = 42.47e9 from layers alone, whatever the GPU's
    # memory holds: answering that would ignore memory_fill = 1, so the question is refused, naming the limit and a
    # catalog model, whose figures tie the memory to the model
    with pytest.raises(UnderdeterminedError) as caught:
        eng.solve(["params"], {**QLORA_4090, "perf_model": "analytic", "layers": 60})
    said = str(caught.value)
    assert said.startswith("memory_fill cannot shape params here") and "params_shape_coefficient" in said
    assert "give model" in said


def test_a_limit_the_users_own_givens_leave_unread_is_said_unused(eng: Any) -> None:
    # the shape given in full (hidden too): params = 12 · 60 · 7,680² by the user's own figures (no default fixed it),
    # so the answer stands and the unread memory limit is said unused
    result = eng.solve(["params"], {**QLORA_4090, "perf_model": "analytic", "layers": 60, "hidden": 7680,
                                    "params_shape_coefficient": 12})
    assert result.values["params"] == pytest.approx(12 * 60 * 7680 ** 2, rel=1e-12)
    unused = [w.message for w in result.warnings if w.code == "given.unused"]
    assert len(unused) == 1 and "memory_fill" in unused[0]


def test_a_limit_on_the_answers_path_is_not_said_unused(eng: Any) -> None:
    # the largest micro-batch that fits: memory_fill is what decides it
    result = eng.solve(["micro_batch"], {"model": "llama3-8b", "gpu": "A100-80G", "method": "lora",
                                         "memory_fill": 1, "seq_len": 2048})
    assert result.values["micro_batch"] >= 1
    assert not any(w.code == "given.unused" and "memory_fill" in w.message for w in result.warnings)
