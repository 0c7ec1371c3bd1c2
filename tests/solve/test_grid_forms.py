"""Grid forms (engine/solve/grid_forms.py): on a sweep's shape, a step's products are multiplied out
through the formulas of the steps before it, so a factor that cancels is never computed.

What must hold: the values are the row-by-row path's (within float rounding), a step like matmul_time
is computed once per combination of the axes it really depends on (not per layout), and a form is
not used where a factor that cancels could be 0 (x · x⁻¹ is not 1 there).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine.rules.expr import parse_expression, render
from engine.solve import numeric
from engine.solve.factored import ShapedEnv, grid_columns
from engine.solve.grid_forms import formula_on_grid, grid_form
from engine.solve.planning import Plan
from tests.solve.test_factored_grid import _assert_same, _both

# every layout of the grid answers: grad_accum given, so global_batch = micro_batch · grad_accum · dp
LAYOUTS = {"tp": "1,2,4", "pp": "1,2", "micro_batch": "1,2,4,8", "n_gpus": "64..512+64",
           "perf_model": "analytic", "model": "llama2-7b", "gpu": "H100-SXM", "seq_len": "4096",
           "grad_accum": "8", "precision": "mixed-bf16", "zero_stage": "1"}


def _tree(text: str) -> Any:
    return parse_expression(text, lambda name: True, condition=any(op in text for op in "<>"))


def test_a_product_that_divides_out_a_value_is_written_without_it() -> None:
    # dp = n_gpus / (tp · pp); global_batch = micro_batch · grad_accum · dp; step_tokens = global_batch · seq_len
    defs = {"dp": _tree("n_gpus / (tp * pp)"), "global_batch": _tree("micro_batch * grad_accum * dp"),
            "step_tokens": _tree("global_batch * seq_len")}
    form = grid_form(_tree("flops * step_tokens / (n_gpus * peak)"), defs)
    assert form is not None
    assert "n_gpus" not in form.reads and {"tp", "pp", "micro_batch"} <= form.reads
    assert form.combined == {"n_gpus"}                           # n_gpus · n_gpus⁻¹: must not be 0
    assert form.expanded == {"dp", "global_batch", "step_tokens"}
    # the same number (hand values: 4 · 8 · 512 / (2 · 4) · 4096 tokens · 6e9 / (512 · 1e15))
    env = {"flops": 6e9, "seq_len": 4096.0, "peak": 1e15, "n_gpus": 512.0, "tp": 2.0, "pp": 4.0,
           "micro_batch": 4.0, "grad_accum": 8.0}
    expected = 6e9 * (4 * 8 * (512 / 8) * 4096) / (512 * 1e15)
    assert numeric.compile_tree(form.tree)(env) == pytest.approx(expected, rel=1e-14)


def test_nothing_to_gain_gives_no_form() -> None:
    defs = {"dp": _tree("n_gpus / (tp * pp)")}
    assert grid_form(_tree("dp * micro_batch"), defs) is None          # nothing cancels
    assert grid_form(_tree("a + b * c"), defs) is None                 # one sum, no product to multiply out
    flattened = grid_form(_tree("(a + b) + (c + d)"), defs)            # a sum of sums: one sum
    assert flattened is not None and render(flattened.tree) == "a + b + c + d"


def _plan(defs: dict[str, str]) -> Plan:
    from engine.solve.planning import Step
    steps = [Step((name,), (), ({name: _tree(text)},)) for name, text in defs.items()]
    return Plan(frozenset(), (), (), steps, [])


def test_a_form_is_not_used_where_the_factor_it_cancels_may_be_zero() -> None:
    plan = _plan({"share": "a / n"})
    tree = _tree("share * n")                                          # = a, where n is not 0
    shape = (2, 3)
    a = np.array([1.0, 2.0])
    for n_values, expect_form in (([1.0, 2.0, 3.0], True), ([0.0, 1.0, 2.0], False)):
        n = np.array(n_values)
        grid = grid_columns(shape, {"a": (0, a), "n": (1, n)},
                            {"a": np.repeat(a, 3), "n": np.tile(n, 2)})
        env = ShapedEnv({"a": np.repeat(a, 3), "n": np.tile(n, 2)}, grid)
        with np.errstate(divide="ignore"):
            env.put("share", env["a"] / env["n"])

        def bounds(name: str, env: ShapedEnv = env) -> tuple[float, float]:
            return float(np.min(env[name])), float(np.max(env[name]))
        chosen = formula_on_grid(plan, tree, env, bounds)
        assert (chosen != tree) is expect_form, n_values
    # share given, or computed row by row by another formula (not put by the grid's steps): as written
    grid = grid_columns(shape, {"a": (0, a)}, {"a": np.repeat(a, 3)})
    other = ShapedEnv({"a": np.repeat(a, 3), "n": np.tile([1.0, 2.0, 3.0], 2), "share": np.ones(6)}, grid)
    assert formula_on_grid(plan, tree, other, lambda name: (1.0, 3.0)) is tree


def test_a_layout_sweep_computes_matmul_time_per_tp_pp_micro_batch(eng: Any, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    shapes: dict[str, tuple[int, ...]] = {}
    put = ShapedEnv.put

    def recorded(self: ShapedEnv, name: str, value: Any) -> None:
        shapes[name] = np.shape(value)
        put(self, name, value)

    monkeypatch.setattr(ShapedEnv, "put", recorded)
    shaped, flat, hint = _both(eng, ["mfu", "step_time"], LAYOUTS)
    assert hint is not None and hint.shape == (3, 2, 4, 8)
    # matmul_time = hw_flops_per_token · step_tokens / (matmul_efficiency · matmul_shape_factor · n_gpus · peak):
    # step_tokens grows with n_gpus and is divided by it again, so it reads tp, pp and micro_batch alone
    for name in ("matmul_time", "memory_bound_time", "compute_time", "pp_bubble_time"):
        assert shapes[name] == (3, 2, 4, 1), name
    assert shapes["step_time"] == (3, 2, 4, 8)                        # the data-parallel all-reduce reads n_gpus
    # ZeRO-1 gathers no parameters: 0 B over tp × pp × n_gpus comes out one number, and stays one
    assert shapes["zero3_gather_bytes"] == () and shapes["zero3_exposed_time"] == ()
    assert not shaped.failed.any()
    _assert_same(shaped, flat)                                        # values, statuses, errors and warnings


def test_sums_over_different_axes_are_the_plain_sum() -> None:
    rng = np.random.default_rng(7)
    terms = [rng.random((4, 1, 1)), rng.random((4, 5, 1)), rng.random((1, 1, 6)), rng.random((4, 5, 1))]
    env = {f"t{i}": t for i, t in enumerate(terms)}
    tree = _tree("t0 + t1 + t2 + t3 + 2")
    expected = terms[0] + terms[1] + terms[2] + terms[3] + 2
    np.testing.assert_allclose(numeric.compile_tree(tree)(env), expected, rtol=1e-15)


def test_and_or_decided_by_a_one_value_part_give_what_every_row_would() -> None:
    column = np.array([0.2, np.nan, 0.7])
    env = {"mfu": column, "bytes": 2.0, "n": 5.0}
    for text in ("mfu > 0.5 and bytes >= 4", "mfu > 0.5 and bytes < 4", "mfu > 0.5 or n > 1",
                 "mfu > 0.5 or n < 1", "bytes < 4 and n > 1"):
        got = np.broadcast_to(numeric.compile_tree(_tree(text))(env), (3,))
        left, _, right = text.partition(" and ") if " and " in text else text.partition(" or ")
        a = np.broadcast_to(numeric.compile_tree(_tree(left))(env), (3,))
        b = np.broadcast_to(numeric.compile_tree(_tree(right))(env), (3,))
        expected = (a & b) if " and " in text else (a | b)
        assert got.tolist() == expected.tolist(), text
