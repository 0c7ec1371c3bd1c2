"""Questions that put an upper limit on a time or a share and ask for a whole number (GPUs, micro-batches,
sequence length), with perf_model=analytic: each is answered with its whole value rounded in its declared
direction and the limit recomputed, never refused for want of an exact whole answer.

The answers are checked by round trips (the answer keeps the limit, one step further does not) and, where
the rule is a plain count, by hand: the bubble ratio (pp − 1) / (vpp · m) of Narayanan et al. 2021 §2.2.
"""
from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.rules.expr import parse_expression
from engine.rules.model import Equation
from engine.solve.ordering import Link
from engine.solve.tearing import informative, informative_after

DAY = 86400.0
H100_7B = {"model": "llama2-7b", "gpu": "H100", "precision": "mixed-bf16", "seq_len": 4096,
           "perf_model": "analytic"}


def test_gpus_to_finish_in_30_days_with_a_fixed_accumulation(eng: Any) -> None:
    # The headline question, with the analytic step time: the global batch grows with the GPUs (grad_accum 8,
    # micro_batch 1 per replica). It was refused ("no real, finite answer"): the planner tore n_gpus through
    # mfu's two definitions (from train_time, and from step_time), an identity once train_flops =
    # model_flops_per_token · tokens, and never reached the step time's own rule.
    givens = {**H100_7B, "micro_batch": 1, "grad_accum": 8, "tokens": "1T"}
    result = eng.solve(["n_gpus"], {**givens, "train_time": "30d"})
    n_gpus = result.values["n_gpus"]
    assert n_gpus == int(n_gpus) and result.values["train_time"] <= 30 * DAY
    # the round trip: the answer finishes within 30 days, one GPU fewer does not
    at = eng.solve(["train_time"], {**givens, "n_gpus": n_gpus}).values["train_time"]
    fewer = eng.solve(["train_time"], {**givens, "n_gpus": n_gpus - 1}).values["train_time"]
    assert at == pytest.approx(result.values["train_time"], rel=1e-9)
    assert at <= 30 * DAY < fewer
    # and it is the step time's rule that was solved: the breakdown's terms are there
    assert result.values["compute_time"] > 0 and result.values["dp_comm_time"] > 0


@pytest.mark.parametrize("limit", ["mfu", "throughput_per_gpu", "train_time", "gpu_days"])
def test_gpus_and_accumulation_back_from_each_figure_of_a_run(eng: Any, limit: str) -> None:
    # Round trips on one analytic run (64 H100, tp 2, micro_batch 2, grad_accum 8, 1T tokens): each figure the run
    # gives, handed back with the layout less one whole number, gives that number back. With tokens given, mfu
    # and throughput_per_gpu have a second definition through the training time (tokens / (throughput ·
    # n_gpus)); tearing through both was an identity, and the question was refused ("no real, finite answer").
    run = {**H100_7B, "n_gpus": 64, "micro_batch": 2, "grad_accum": 8, "tokens": "1T", "zero_stage": 1, "tp": 2}
    figure = eng.solve([limit], run).values[limit] / eng.rules.variables[limit].factor   # (in its declared unit)
    for whole in ("n_gpus", "grad_accum"):
        asked = {k: v for k, v in run.items() if k != whole}
        assert eng.solve([whole], {**asked, limit: repr(figure)}).values[whole] == run[whole]


def test_largest_micro_batch_for_a_step_time(eng: Any) -> None:
    # step_time is a limit like train_time (role: budget): the largest micro-batch whose step takes at most
    # 10 s is the exact 3.43 rounded down, with the step recomputed (it was refused: "no whole micro_batch").
    givens = {**H100_7B, "n_gpus": 8, "grad_accum": 8}
    result = eng.solve(["micro_batch"], {**givens, "step_time": "10s"})
    micro_batch = result.values["micro_batch"]
    assert micro_batch == 3 and result.values["step_time"] < 10
    assert eng.solve(["step_time"], {**givens, "micro_batch": micro_batch + 1}).values["step_time"] > 10


def test_grad_accum_for_a_bubble_ratio(eng: Any) -> None:
    # Hand: at pp = 4, vpp = 1 the bubble over the ideal time is (pp − 1) / m = 3 / m; at most 0.07 needs
    # m >= 42.86, so 43 micro-batches, and the ratio recomputed is 3 / 43 (it was refused: no whole m gives 0.07).
    result = eng.solve(["grad_accum"], {**H100_7B, "n_gpus": 64, "pp": 4, "micro_batch": 1,
                                         "pp_bubble_ratio": 0.07})
    assert result.values["grad_accum"] == math.ceil(3 / 0.07) == 43
    assert result.values["pp_bubble_ratio"] == pytest.approx(3 / 43, rel=1e-12)


def test_longest_sequence_is_a_whole_number_of_tokens(eng: Any) -> None:
    # seq_len is a count of tokens (domain integer, rounded down: the longest that keeps the limit): the
    # longest sequence for 90 % of an A100's memory, and for an 8 s analytic step; one token more breaks each.
    memory = {"model": "llama2-7b", "gpu": "A100-80G", "precision": "mixed-bf16", "n_gpus": 8,
              "micro_batch": 1, "zero_stage": 3}
    result = eng.solve(["seq_len"], {**memory, "memory_fill": 0.9})
    seq_len = result.values["seq_len"]
    assert seq_len == int(seq_len) and result.values["memory_fill"] <= 0.9
    assert eng.solve(["memory_fill"], {**memory, "seq_len": seq_len + 1}).values["memory_fill"] > 0.9

    step = {k: v for k, v in H100_7B.items() if k != "seq_len"} | {"n_gpus": 8, "micro_batch": 1, "grad_accum": 8}
    result = eng.solve(["seq_len"], {**step, "step_time": "8s"})
    seq_len = result.values["seq_len"]
    assert seq_len == int(seq_len) and result.values["step_time"] <= 8
    assert eng.solve(["step_time"], {**step, "seq_len": seq_len + 1}).values["step_time"] > 8


DOMAINS = {name: "positive" for name in "abfgx"}


def _rule(left: str, right: str, names: set[str]) -> Equation:
    lhs, rhs = parse_expression(left, names), parse_expression(right, names)
    return Equation(id=f"test.{left}", text=f"{left} = {right}", lhs=lhs, rhs=rhs, variables=frozenset(names),
                    source="test", where="test")


def _definition(name: str, formula: str, names: set[str]) -> Equation:
    return _rule(name, formula, names | {name})


def test_a_torn_residual_is_judged_with_the_formulas_of_derived_knowns() -> None:
    # x · a · b / f = x: alone it depends on x (f, a, b taken as free knowns); with f = a · b derived by an
    # earlier link it holds for every x, so it says nothing about x.
    lhs = parse_expression("x * a * b / f", {"x", "a", "b", "f"})
    rhs = ("var", "x")
    residual = ("add", (lhs, ("mul", (("num", -1.0), rhs))))
    assert informative(lhs, rhs, "x")
    assert informative_after(residual, "x", (), DOMAINS)
    f_is_ab = Link((_definition("f", "a * b", {"a", "b"}),), ("f",))
    assert not informative_after(residual, "x", (f_is_ab,), DOMAINS)
    # a derived known that is not tied to the others leaves the residual informative
    f_is_2a = Link((_definition("f", "2 * a", {"a"}),), ("f",))
    assert informative_after(residual, "x", (f_is_2a,), DOMAINS)
    # a chain of definitions is written out in full: f = g · b, g = a
    g_is_a = Link((_definition("g", "a", {"a"}),), ("g",))
    f_is_gb = Link((_definition("f", "g * b", {"g", "b"}),), ("f",))
    assert not informative_after(residual, "x", (g_is_a, f_is_gb), DOMAINS)
    # a known derived from a rule it is not the left side of is isolated in it: a = f / b gives f = a · b
    f_from_a = Link((_rule("a", "f / b", {"a", "b", "f"}),), ("f",))
    assert not informative_after(residual, "x", (f_from_a,), DOMAINS)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(tp=st.sampled_from([1, 2, 4, 8]), pp=st.sampled_from([1, 2, 4]), micro_batch=st.sampled_from([1, 2, 4]),
       grad_accum=st.sampled_from([4, 8, 16]), replicas=st.integers(1, 16), zero_stage=st.sampled_from([1, 2, 3]),
       question=st.sampled_from([("n_gpus", "train_time"), ("micro_batch", "step_time"),
                                 ("grad_accum", "step_time")]))
def test_a_whole_number_comes_back_from_the_limit_it_sets(eng: Any, tp: int, pp: int, micro_batch: int,
                                                          grad_accum: int, replicas: int, zero_stage: int,
                                                          question: tuple[str, str]) -> None:
    # Property over layouts of Llama-2-13B on H100s: a whole number and a limit it sets strictly (more GPUs, a
    # shorter training; a bigger micro-batch or more accumulation, a longer step), the limit handed back as
    # the run gives it, gives the number back.
    whole, limit = question
    run = {**H100_7B, "model": "llama2-13b", "tp": tp, "pp": pp, "n_gpus": tp * pp * replicas,
           "micro_batch": micro_batch, "grad_accum": grad_accum, "zero_stage": zero_stage, "tokens": "1T"}
    figure = eng.solve([limit], run).values[limit] / eng.rules.variables[limit].factor
    asked = {k: v for k, v in run.items() if k != whole}
    assert eng.solve([whole], {**asked, limit: repr(figure)}).values[whole] == run[whole]
