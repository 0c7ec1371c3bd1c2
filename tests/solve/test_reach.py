"""An inverse question whose given no value of the target can meet is said as "out of reach" (issue #16)."""
from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from engine.errors import EvaluationError
from engine.messages import localized
from engine.table.frames import run_frame

LAYOUT = {"model": "llama2-13b", "gpu": "H100-SXM", "n_gpus": 64, "perf_model": "analytic",
          "precision": "mixed-bf16", "seq_len": 4096, "global_batch": 512, "tp": 2, "zero_stage": "1"}


def test_an_mfu_no_network_reaches_names_the_most_it_can_be(eng: Any) -> None:
    # the ceiling is mfu with a network so fast its transfers take no time (1e6 GB/s: 1e-6 s per GB)
    ceiling = eng.solve(["mfu"], {**LAYOUT, "network_bandwidth": "1000000GB/s"}).values["mfu"]
    assert 0.3 < ceiling < 0.6
    with pytest.raises(EvaluationError) as caught:
        eng.solve(["network_bandwidth"], {**LAYOUT, "mfu": round(ceiling + 0.01, 3)})
    text = str(caught.value)
    assert "out of reach" in text and "mfu" in text
    assert f"{ceiling:.4g}" in text                         # the most it can be, as the engine shows figures
    change = text.split("Change")[1].split(".")[0]
    assert "mfu" in change and "global_batch" not in change   # a given the bandwidth does not move is not blamed
    # the refusal behind it stays, naming the user's givens first and counting the rest
    assert "network_bandwidth = -" in text and "catalog figures and defaults" in text


def test_a_reachable_mfu_still_gets_its_bandwidth(eng: Any) -> None:
    # below the ceiling the question has an answer (README quick tour: 8.674 GB/s at mfu 0.40; ZeRO-1, so it fits)
    r = eng.solve(["network_bandwidth"], {**LAYOUT, "mfu": 0.40})
    assert r.values["network_bandwidth"] == pytest.approx(8.674e9, rel=1e-3)
    assert not any(w.code.endswith("do_not_fit") or w.code.endswith("does_not_fit") for w in r.warnings)


def test_out_of_reach_is_said_in_chinese(eng: Any) -> None:
    with pytest.raises(EvaluationError) as caught:
        eng.solve(["network_bandwidth"], {**LAYOUT, "mfu": 0.6})
    assert "无法达到" in localized(caught.value, "zh")


def test_a_sheet_row_says_out_of_reach_too(eng: Any) -> None:
    # the same two questions as rows of a table: the reachable one answered, the other rephrased
    frame = pl.DataFrame({**{k: [str(v)] * 2 for k, v in LAYOUT.items()}, "mfu": ["0.40", "0.60"],
                          "solve": ["network_bandwidth"] * 2})
    outcome = run_frame(frame, eng)
    errors = outcome.batch.errors
    assert errors[0] is None
    assert outcome.batch.values["network_bandwidth"][0] == pytest.approx(8.674e9, rel=1e-3)
    assert "mfu = 0.6 is out of reach" in str(errors[1]) and "at most" in str(errors[1])
    assert "无法达到" in localized(errors[1], "zh")


def test_out_of_reach_limits_are_in_the_users_units(eng: Any) -> None:
    # 13B on 1T tokens on 8 A800s in 30 days needs mfu = 6 · 13e9 · 1e12 / (8 · 312e12 · 30 · 86,400 s) = 12.06 (by
    # hand): out of reach, and even at mfu = 1 the run takes 362 days. In Chinese the limit is said in 天, not days.
    with pytest.raises(EvaluationError) as caught:
        eng.solve(["mfu"], {"params": 13e9, "tokens": 1e12, "gpu": "A800", "n_gpus": 8, "train_time": 30.0})
    assert "at least 362 days" in str(caught.value)
    zh = localized(caught.value, "zh")
    assert "至少为 362 天" in zh and "days" not in zh
