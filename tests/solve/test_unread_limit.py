"""A typed limit the answer cannot read is refused, not ignored (engine/solve/giving_way.unread_limit).

Unpacked, an analytic step needs the samples' mean length. Without it, a deadline cannot be tied to a GPU count.
Before, the count came from the layout defaults alone: n_gpus = global_batch / (micro_batch · grad_accum)
= 64 / (1 · 1) = 64, whatever train_time = 3 d said, with the deadline only reported as unused.
"""
from __future__ import annotations

import pytest

from engine import Engine, UnderdeterminedError
from engine.messages import localized

QUESTION = {"train_time": "3d", "tokens": "100M", "model": "llama3-8b", "method": "lora", "gpu": "A100-80GB",
            "perf_model": "analytic", "seq_len": 2048, "global_batch": 64, "packing": "off"}


@pytest.fixture(scope="module")
def eng() -> Engine:
    return Engine.load()


def test_a_deadline_the_rules_cannot_read_is_refused_with_what_would_tie_it(eng):
    with pytest.raises(UnderdeterminedError) as refused:
        eng.solve(["n_gpus"], QUESTION)
    said = str(refused.value)
    assert "train_time cannot shape n_gpus here" in said and "micro_batch, grad_accum" in said
    assert refused.value.suggestions[0] == "tokens_per_sample"   # the unpacked step's missing figure
    assert "无法影响" in localized(refused.value, "zh")


def test_with_the_missing_figure_the_deadline_sets_the_count(eng):
    # the same question with the samples' mean length: the deadline is read (one GPU already keeps it)
    result = eng.solve(["n_gpus"], {**QUESTION, "tokens_per_sample": 700})
    assert result.values["n_gpus"] == 1 and result.values["train_time"] <= 3 * 86400
    # and a deadline the default layout cannot meet sets a larger count (the time falls with it)
    tight = eng.solve(["n_gpus"], {**QUESTION, "tokens_per_sample": 700, "train_time": "1h"})
    assert tight.values["n_gpus"] > 1 and tight.values["train_time"] <= 3600


def test_a_count_the_user_fixed_the_layout_for_is_not_refused(eng):
    # micro_batch and grad_accum typed: the count is the user's own layout (64 / (1 · 1)), no default to give way
    result = eng.solve(["n_gpus"], {**QUESTION, "micro_batch": 1, "grad_accum": 1})
    assert result.values["n_gpus"] == 64
