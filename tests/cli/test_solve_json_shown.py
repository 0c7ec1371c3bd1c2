"""`solve --json` keeps every warning with `shown` (whether the terminal and the report say it) and each numeric
default's `effect` with `effect_at`, the value it was moved to; the effects reach through a step solved
numerically (n_gpus from a deadline under perf_model=analytic), as solving again with the value typed says."""
from __future__ import annotations

import json

import pytest

from engine.cli.app import main
from engine.cli.commands.solve import render_text
from engine.solve.sensitivity import default_effects

DEADLINE = {"model": "llama2-13b", "gpu": "H100-SXM", "tokens": "1T", "perf_model": "analytic", "seq_len": "4096",
            "train_time": "30d"}


@pytest.fixture(scope="module")
def answer(bundled_engine):
    return bundled_engine.solve(["n_gpus"], DEADLINE)


@pytest.fixture(scope="module")
def out():
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["solve", "n_gpus", *(f"{k}={v}" for k, v in DEADLINE.items()), "--json"]) == 0
    return json.loads(buffer.getvalue())


def test_every_warning_says_whether_the_terminal_shows_it(out, answer):
    terminal = render_text(answer, "en", verbose=True)
    assert out["warnings"] and all(isinstance(w["shown"], bool) for w in out["warnings"])
    for warning in out["warnings"]:
        said = warning["message"] in terminal
        assert said == warning["shown"], warning["code"]
        if not warning["shown"]:
            assert warning["severity"] == "info"
    # a GQA-free 13B's shape coefficient follows from its architecture, not its default: kept, not shown
    hidden = {w["code"] for w in out["warnings"] if not w["shown"]}
    assert "default_overridden.params_shape_coefficient" in hidden


def test_effects_come_with_the_value_they_were_measured_at(out):
    at = {a["name"]: a for a in out["assumptions"] if "effect" in a}
    assert at["dp_overlap"]["effect_at"] == pytest.approx(0.75 * 1.1)        # 10 % more
    assert at["micro_batch"]["effect_at"] == 2                                  # a whole number: the next one
    assert at["offload_optimizer"]["effect_at"] == 1                            # a zero switch: turned on


def test_effects_reach_through_a_numeric_step(bundled_engine, answer):
    # n_gpus from 30 days has no closed form under perf_model=analytic: it is solved again by the same root
    # search with the nudged default, which must agree with solving the question with that value typed
    effects = default_effects(answer)
    raw = answer.unrounded["n_gpus"]
    for name, typed in (("matmul_shape_factor", 0.68 * 1.1), ("dp_overlap", 0.75 * 1.1)):
        again = bundled_engine.solve(["n_gpus"], dict(DEADLINE, **{name: str(typed)}))
        assert effects[name] == pytest.approx(abs(again.unrounded["n_gpus"] / raw - 1), rel=1e-6), name
