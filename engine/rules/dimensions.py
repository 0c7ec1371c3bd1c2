"""Dimensional analysis of expression trees, from the declared units.

Used at load time (every equation and check must be consistent) and by the
tests. Exponents on a dimensioned base must be constant; exp/log take plain
numbers; sums, min/max and comparisons need equal dimensions.
"""
from __future__ import annotations

from typing import Callable

from ..errors import DimensionMismatch
from ..messages import keyed
from .expr import Tree, constant_value, render, walk
from .units import DIMENSIONLESS, Dims, dims_text, mul_dims, pow_dims


def tree_dims(tree: Tree, var_dims: Callable[[str], Dims], unit_dims: Callable[[str], Dims]) -> Dims:
    """Dimension of a tree; raises DimensionMismatch explaining the first inconsistency."""
    kind = tree[0]
    if kind == "num":
        return DIMENSIONLESS
    if kind == "var":
        return var_dims(tree[1])
    if kind == "unit":
        return unit_dims(tree[1])
    if kind == "mul":
        out = DIMENSIONLESS
        for child in tree[1]:
            out = mul_dims(out, tree_dims(child, var_dims, unit_dims))
        return out
    if kind == "pow":
        base = tree_dims(tree[1], var_dims, unit_dims)
        exponent = tree_dims(tree[2], var_dims, unit_dims)
        if exponent:
            raise keyed(DimensionMismatch, "rules.dimensioned_exponent", exponent=render(tree[2]),
                        dims=dims_text(exponent))
        if not base:
            return DIMENSIONLESS
        constant = _constant(tree[2])
        if constant is None:
            raise keyed(DimensionMismatch, "rules.variable_power", base=render(tree[1]), dims=dims_text(base))
        return pow_dims(base, constant)
    if kind in ("add", "cmp") or (kind == "call" and tree[1] in ("min", "max")):
        parts = tree[1] if kind == "add" else (tree[2:] if kind == "cmp" else tree[2])
        dims = [tree_dims(p, var_dims, unit_dims) for p in parts]
        for part, d in zip(parts[1:], dims[1:]):
            if d != dims[0]:
                raise keyed(DimensionMismatch, "rules.added_or_compared", first=render(parts[0]),
                            first_dims=dims_text(dims[0]), other=render(part), other_dims=dims_text(d))
        return dims[0] if kind != "cmp" else DIMENSIONLESS
    if kind == "call":
        arg = tree_dims(tree[2][0], var_dims, unit_dims)
        name = tree[1]
        if name == "sqrt":
            return pow_dims(arg, 0.5)
        if name in ("exp", "log") and arg:
            raise keyed(DimensionMismatch, "rules.dimensioned_argument", name=name, argument=render(tree[2][0]),
                        dims=dims_text(arg))
        return arg if name in ("abs", "ceil", "floor") else DIMENSIONLESS
    if kind in ("and", "or", "not"):
        for child in (tree[1] if kind != "not" else (tree[1],)):
            tree_dims(child, var_dims, unit_dims)
        return DIMENSIONLESS
    raise keyed(DimensionMismatch, "rules.unknown_node", kind=kind)


def _constant(tree: Tree) -> float | None:
    if any(n[0] in ("var", "unit") for n in walk(tree)):
        return None
    return constant_value(tree)
