"""Rules without a closed-form inverse are solved numerically, for whole columns at once."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.solve.solver import Engine

RULE = """
variables:
  demo_x: {unit: "", en: x, zh: x}
  demo_y: {unit: "", en: y, zh: y}
equations:
  - id: demo.transcendental
    eq: demo_y = demo_x + exp(demo_x / 10) + log(demo_x + 1)
    source: test rule with no closed-form inverse
"""


@pytest.fixture(scope="module")
def eng(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "demo.yaml"
    path.write_text(RULE, encoding="utf-8")
    return Engine.load([path])


def _forward(x: np.ndarray) -> np.ndarray:
    return x + np.exp(x / 10) + np.log(x + 1)


def test_planner_falls_back_to_root_finding(eng):
    plan = eng.planner.plan(frozenset({"demo_y"}), ("demo_x",), {})
    (step,) = [s for s in plan.steps if s.unknowns == ("demo_x",)]
    assert step.numeric and step.residual is not None


def test_whole_column_is_solved_in_one_pass(eng):
    x = np.geomspace(1e-3, 200, 10_000)
    batch = eng.solve_columns({"demo_y": _forward(x)}, {}, [("demo_x",)], np.zeros(len(x), dtype=np.int64), len(x))
    assert all(e is None for e in batch.errors)
    np.testing.assert_allclose(batch.values["demo_x"], x, rtol=1e-9)
    assert len(batch.groups) == 1          # one pattern, one plan, one vectorized evaluation


def test_no_root_in_domain_is_a_row_error_not_a_crash(eng):
    # y = x + e^(x/10) + ln(x+1) > 1 for every x > 0, so y = 0.5 has no positive solution
    batch = eng.solve_columns({"demo_y": np.array([0.5, _forward(np.array([3.0]))[0]])}, {}, [("demo_x",)],
                              np.zeros(2, dtype=np.int64), 2)
    assert "no valid value for demo_x" in batch.errors[0]
    assert batch.errors[1] is None and math.isclose(batch.values["demo_x"][1], 3.0, rel_tol=1e-9)


def test_single_question_uses_the_same_path(eng):
    result = eng.solve(["demo_x"], {"demo_y": float(_forward(np.array([42.0]))[0])})
    assert result.values["demo_x"] == pytest.approx(42.0, rel=1e-9)
    # (constant side values of the bundled rules, e.g. recompute_working_bytes = 0, may come first)
    assert next(step for step in result.derivation if "demo_x" in step.unknowns).numeric


# -- roots of a torn chain stay inside every definition's domain ---------------------------------------------
def _linear(a: float, b: float):
    """a · x + b, as a compiled tree would give it."""
    return lambda env: a * np.asarray(env["x"], dtype=float) + b


def test_a_sign_change_outside_a_definitions_domain_is_no_root():
    from engine.solve.roots import find_root, guarded
    # residual (x - 1) / x + 0.25: a root at x = 0.8, where the definition d = x - 1 (a count that must be
    # positive, as dp - 1 in the ring all-reduce's (dp - 1)/dp) is negative; none where d > 0
    residual = guarded(lambda env: (np.asarray(env["x"]) - 1) / np.asarray(env["x"]) + 0.25,
                       [("d", _linear(1.0, -1.0), "positive")])
    plain = find_root(lambda env: (np.asarray(env["x"]) - 1) / np.asarray(env["x"]) + 0.25, "x", {}, 1)
    assert plain[0] == pytest.approx(0.8)                          # unguarded: the spurious root
    assert np.isnan(find_root(residual, "x", {}, 1)[0])            # guarded: none


def test_a_root_between_the_domains_edge_and_the_next_scan_point_is_found():
    from engine.solve.roots import SCAN_POINTS, SCAN_RANGE, find_root, guarded
    # scan points are half a decade apart (1, 3.16, ...); with d = x - 1.2 positive the residual is NaN at 1 and
    # finite at 3.16: the root x = 1.5 lies between the edge 1.2 and 3.16, where no two finite points bracket it
    low, high = SCAN_RANGE["positive"]
    grid = np.geomspace(low, high, SCAN_POINTS)
    assert not ((grid > 1.2) & (grid < 1.5)).any()
    residual = guarded(_linear(1.0, -1.5), [("d", _linear(1.0, -1.2), "positive")])
    assert find_root(residual, "x", {}, 1)[0] == pytest.approx(1.5, rel=1e-12)
    # the definitions are evaluated in order, a later one reading an earlier one: e = d - 0.1 > 0 means x > 1.3
    chained = guarded(_linear(1.0, -1.25),
                      [("d", _linear(1.0, -1.2), "positive"), ("e", lambda env: env["d"] - 0.1, "positive")])
    assert np.isnan(find_root(chained, "x", {}, 1)[0])
