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
