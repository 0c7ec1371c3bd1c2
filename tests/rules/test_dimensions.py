"""Every equation and check of the rule set is dimensionally consistent — checked here with pint itself.

The loader already refuses inconsistent equations using its own dimension algebra; this test
re-checks the loaded rule set independently by evaluating both sides on pint Quantities.
"""
from __future__ import annotations

import math

import pytest

from engine.rules.loading import load_rules
from engine.rules.units import registry

RULES = load_rules()
UREG = registry()


def _quantity(tree, env):
    kind = tree[0]
    if kind == "num":
        return UREG.Quantity(tree[1])
    if kind == "var":
        return env[tree[1]]
    if kind == "unit":
        return UREG.Quantity(1.0, tree[1])
    if kind == "add":
        parts = [_quantity(t, env) for t in tree[1]]
        total = parts[0]
        for part in parts[1:]:
            total = total + part          # pint raises DimensionalityError on a mismatch
        return total
    if kind == "mul":
        out = UREG.Quantity(1.0)
        for t in tree[1]:
            out = out * _quantity(t, env)
        return out
    if kind == "pow":
        base, exponent = _quantity(tree[1], env), _quantity(tree[2], env)
        return base ** exponent.to("dimensionless").magnitude
    if kind == "call":
        args = [_quantity(t, env) for t in tree[2]]
        name = tree[1]
        if name in ("exp", "log"):
            value = args[0].to("dimensionless").magnitude
            return UREG.Quantity(math.exp(value) if name == "exp" else math.log(value))
        if name == "sqrt":
            return args[0] ** 0.5
        if name in ("min", "max"):
            for other in args[1:]:
                other.to(args[0].units)
            return args[0]
        return args[0]
    raise AssertionError(kind)


def _env():
    # 1.3 of each declared unit: a non-trivial magnitude, so no side collapses to 0 or 1
    return {n: UREG.Quantity(1.3, v.unit or "dimensionless") for n, v in RULES.variables.items() if not v.categorical}


@pytest.mark.parametrize("eq_id", [eq.id for eq in RULES.equations])
def test_equation_sides_have_the_same_dimension(eq_id: str) -> None:
    eq = RULES.equation(eq_id)
    env = _env()
    left, right = _quantity(eq.lhs, env), _quantity(eq.rhs, env)
    assert left.dimensionality == right.dimensionality, f"{eq_id}: {left.units} vs {right.units}"


@pytest.mark.parametrize("check_id", [c.id for c in RULES.checks])
def test_check_conditions_compare_like_with_like(check_id: str) -> None:
    check = next(c for c in RULES.checks if c.id == check_id)
    env = _env()

    def visit(tree):
        if tree[0] == "cmp":
            a, b = _quantity(tree[2], env), _quantity(tree[3], env)
            assert a.dimensionality == b.dimensionality, f"{check_id}: {tree}"
        elif tree[0] in ("and", "or"):
            for t in tree[1]:
                visit(t)
        elif tree[0] == "not":
            visit(tree[1])

    visit(check.condition)


def test_an_inconsistent_equation_is_refused_at_load(tmp_path) -> None:
    from engine.errors import DefinitionError

    bad = tmp_path / "bad.yaml"
    bad.write_text("equations:\n  - id: bad.time\n    eq: train_time = train_flops / n_gpus\n"
                   "    source: test\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_rules([bad])
    assert f"{bad}:3: equation 'bad.time' is not dimensionally consistent" in str(info.value)
    assert "[time]" in str(info.value) and "[compute]" in str(info.value)
