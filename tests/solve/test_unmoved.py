"""A question refused because a given it is asked from does not depend on it (engine/solve/unmoved.py)."""
from __future__ import annotations

import re
from typing import Any

import pytest

from engine.errors import EngineError, UnderdeterminedError
from engine.messages import localized

QLORA_70B = {"model": "llama3-70b", "method": "qlora", "gpu": "RTX-4090"}


def test_gpus_that_cannot_change_the_memory_say_so(eng: Any) -> None:
    # At zero_stage 0 every GPU holds the whole model: the RTX 4090s for a QLoRA of Llama-3-70B within the memory
    # are no count at all. The refusal says memory_fill does not depend on n_gpus, gives the value the other
    # givens make it (the forward question's answer) and why: the 4-bit base alone is more than 24 GB.
    with pytest.raises(UnderdeterminedError) as caught:
        eng.solve(["n_gpus"], {**QLORA_70B, "memory_fill": 1})
    said = str(caught.value)
    forward = eng.solve(["memory_fill"], QLORA_70B).values["memory_fill"]
    assert forward > 1
    assert "memory_fill = 1 cannot set n_gpus" in said and "does not depend on n_gpus" in said
    shown = re.search(r"it is ([0-9.]+) whatever n_gpus is", said)
    assert shown and float(shown.group(1)) == pytest.approx(forward, rel=1e-3)
    # the precise check (the base is quantized already: split it, do not quantize it)
    assert "parallelism.quantized_weights_do_not_fit:" in said and "zero_stage=3" in said
    assert "method=qlora" not in said.split("What else")[0]
    # what would answer otherwise is still said, less a convention that is refused too once solved (a plan exists
    # at zero_stage=1, which shards only the adapters' optimizer states: the base still does not fit)
    assert "What else would answer n_gpus" in said and "dp" in said
    assert "zero_stage=1" not in said
    with pytest.raises(EngineError):
        eng.solve(["n_gpus"], {**QLORA_70B, "memory_fill": 1, "zero_stage": "1"})
    assert caught.value.missing == ["n_gpus"]
    zh = localized(caught.value, "zh")
    assert "无法决定 n_gpus" in zh and "与 n_gpus 无关" in zh


def test_the_advice_taken_answers(eng: Any) -> None:
    # zero_stage=3 shards the base over the GPUs: the count is then the fewest whose shards fit (by hand, about
    # 39.6 GB of weights over 24 GB cards needs at least 2)
    answer = eng.solve(["n_gpus"], {**QLORA_70B, "memory_fill": 1, "zero_stage": "3"})
    assert answer.values["n_gpus"] >= 2 and answer.values["memory_fill"] <= 1


def test_a_plain_missing_value_is_not_called_unmoved(eng: Any) -> None:
    # the GPUs for a deadline without a utilization: train_time depends on n_gpus, only mfu is missing
    with pytest.raises(UnderdeterminedError) as caught:
        eng.solve(["n_gpus"], {"params": "7B", "tokens": "1T", "gpu": "A800", "train_time": "30d"})
    assert "cannot set" not in str(caught.value) and "mfu" in str(caught.value)


def test_a_sheet_row_says_it_too_in_its_language(eng: Any) -> None:
    # the same question as a row of a table, beside the row the advice answers; the error column of a zh run
    # says the rephrased refusal in Chinese (the row's error was once said from the kind it was raised with)
    import polars as pl

    from engine.table.frames import run_frame
    frame = pl.DataFrame({**{k: [v] * 2 for k, v in QLORA_70B.items()}, "memory_fill": ["1", "1"],
                          "zero_stage": ["0", "3"], "solve": ["n_gpus"] * 2})
    outcome = run_frame(frame, eng)
    assert "memory_fill = 1 cannot set n_gpus" in str(outcome.batch.errors[0])
    assert outcome.batch.errors[1] is None and outcome.batch.values["n_gpus"][1] >= 2
    zh = run_frame(frame, eng, lang="zh").results["error"][0]
    assert "无法决定 n_gpus" in zh and "parallelism.quantized_weights_do_not_fit" in zh
    # the refusal's own suggestions, after it, in Chinese too and without the convention refused once solved
    assert "要求解 n_gpus" in zh and "to solve" not in zh and "zero_stage=1" not in zh
