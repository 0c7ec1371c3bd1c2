"""A whole-number answer below 1 is refused with what 1 would take (engine/solve/below_one.py)."""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from engine import EvaluationError
from engine.messages import localized
from engine.solve.keys import Categorical

# (recompute=none chosen: a LoRA's default is full, under which one sequence fits)
LORA_14B = {"model": "qwen2.5-14b", "method": "lora", "gpu": "A100-80GB-SXM", "seq_len": 8192, "recompute": "none"}


def _number_after(text: str, head: str) -> float:
    found = re.search(re.escape(head) + r"([0-9.,]+)", text)
    assert found, f"{head!r} not in {text!r}"
    return float(found.group(1).replace(",", ""))


def test_the_largest_micro_batch_below_one_says_what_one_needs(eng: Any) -> None:
    # Qwen2.5-14B LoRA at 8,192 tokens without recomputation: one sequence's activations alone do not fit
    # an 80 GB A100, so the largest micro-batch that fits is below 1. The refusal gives memory_fill at
    # micro_batch = 1, the same number the forward question answers, and the check that says why.
    with pytest.raises(EvaluationError) as caught:
        eng.solve(["micro_batch"], {**LORA_14B, "memory_fill": 1})
    said = str(caught.value)
    forward = eng.solve(["memory_fill"], {**LORA_14B, "micro_batch": 1}).values["memory_fill"]
    assert forward > 1
    assert "rounds down to 0" in said and "even micro_batch = 1 gives memory_fill = " in said
    assert _number_after(said, "memory_fill = ") == pytest.approx(forward, rel=1e-3)
    assert "beyond the 1 given" in said
    # the precise check stands in for the broad one, as in the warnings (activations, not "does not fit")
    assert "parallelism.activations_do_not_fit" in said and "parallelism.does_not_fit" not in said
    assert "recompute=full" in said
    # the givens named are the user's, not the catalog's architecture fields
    assert "vocab_size" not in said and "seq_len" in said
    zh = localized(caught.value, "zh")
    assert "即使 micro_batch = 1" in zh and "超出给定的 1" in zh


def test_with_recomputation_the_same_question_is_answered(eng: Any) -> None:
    # the cause's advice taken: recompute=full answers it (at least one sequence fits)
    result = eng.solve(["micro_batch"], {**LORA_14B, "memory_fill": 1, "recompute": "full"})
    assert result.values["micro_batch"] >= 1 and result.values["memory_fill"] <= 1


def test_a_bubble_limit_below_one_micro_batch_gives_the_bubble_at_one(eng: Any) -> None:
    # pp = 8 on 64 GPUs (dp = 8), a global batch of 1,024 and a bubble of at most 5 %: at micro_batch b there are
    # m = 1,024 / (8 · b) micro-batches and the bubble is 7 / (m + 7) (by hand); at most 5 % needs m >= 133,
    # b <= 0.962, so none; at b = 1, m = 128 and the bubble is 7 / 135 = 5.185 %
    givens = {"perf_model": "analytic", "pp_bubble_fraction": 0.05, "global_batch": 1024, "n_gpus": 64, "tp": 1,
              "pp": 8}
    with pytest.raises(EvaluationError) as caught:
        eng.solve(["micro_batch"], givens)
    said = str(caught.value)
    assert _number_after(said, "rounds down to 0, and even micro_batch = 1 gives pp_bubble_fraction = ") \
        == pytest.approx(7 / 135, rel=1e-3)
    assert "0.05 given" in said and "global_batch" in said


def test_rows_of_a_batch_each_say_their_own_number(eng: Any) -> None:
    # three sequence lengths on an H200, bf16 Llama-2-7B: 2,048 fits some sequences, 8,192 and 16,384 not one;
    # each refused row gives memory_fill at micro_batch = 1 for its own length, as the forward question does
    seq = np.array([2048.0, 8192.0, 16384.0])
    rows = len(seq)
    keys = {name: Categorical(np.zeros(rows, dtype=np.int64), [label]) for name, label in
            (("model", "llama2-7b"), ("precision", "bf16"), ("gpu", "H200"), ("attention_kernel", "flash"))}
    batch = eng.solve_columns({"seq_len": seq, "memory_fill": np.ones(rows)}, keys, [("micro_batch",)],
                              np.zeros(rows, np.int64), rows)
    assert batch.errors[0] is None and batch.values["micro_batch"][0] >= 1
    for row in (1, 2):
        forward = eng.solve(["memory_fill"], {"model": "llama2-7b", "precision": "bf16", "gpu": "H200",
                                              "attention_kernel": "flash", "seq_len": seq[row], "micro_batch": 1})
        assert _number_after(batch.errors[row], "even micro_batch = 1 gives memory_fill = ") \
            == pytest.approx(forward.values["memory_fill"], rel=1e-3)
    assert _number_after(batch.errors[2], "memory_fill = ") > _number_after(batch.errors[1], "memory_fill = ")
