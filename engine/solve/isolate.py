"""Closed forms without sympy: an unknown that appears once is isolated by undoing what wraps it.

`loss = E + A/N^α + B/(D/token)^β` solved for D is peeled layer by layer: subtract the other
terms, divide by the other factors, take the 1/β power, and so on down to D. Each step is a
bijection on the values it sees, so the one form found is the one solution there is. It is the
fallback when sympy gives nothing (engine/solve/symbolic.solve_block): sympy needs ~1 s for that
loss formula, and on a slow machine with an empty cache the plan's sympy budget ran out there, so
whether params was found from a loss and a budget depended on the machine (CI, stop 25).

A power is undone only where that is unique: its base is provably nonnegative (a product or sum
of nonnegative variables, positive constants, units), or its exponent is ±1. Anything else (the
unknown twice, inside min/max/floor, under an even power of a signed base) returns None: the
planner then finds the value by root finding, as before.
"""
from __future__ import annotations

from typing import Mapping

from ..rules.expr import Tree, walk

_NONNEGATIVE_DOMAINS = frozenset({"positive", "fraction", "integer", "nonnegative"})
_MINUS_ONE: Tree = ("num", -1.0)


def isolate(lhs: Tree, rhs: Tree, unknown: str, domains: Mapping[str, str]) -> Tree | None:
    """`unknown` as a tree of the other names, from `lhs = rhs`; None when it is not isolable here."""
    in_lhs, in_rhs = _count(lhs, unknown), _count(rhs, unknown)
    if in_lhs + in_rhs != 1:
        return None
    side, other = (lhs, rhs) if in_lhs else (rhs, lhs)
    while side != ("var", unknown):
        step = _undo(side, other, unknown, domains)
        if step is None:
            return None
        side, other = step
    return other


def _undo(side: Tree, other: Tree, unknown: str, domains: Mapping[str, str]) -> tuple[Tree, Tree] | None:
    """One layer peeled off `side = other`: (the part holding the unknown, what it equals)."""
    kind = side[0]
    if kind in ("add", "mul"):
        terms = _flattened(side)   # (a * b * c parses as (a * b) * c: one division by the rest reads better)
        inner = next(t for t in terms if _count(t, unknown))
        rest = tuple(t for t in terms if t is not inner)
        if not rest:
            return inner, other
        rest_tree = rest[0] if len(rest) == 1 else (kind, rest)
        if kind == "add":
            return inner, ("add", (other, ("mul", (_MINUS_ONE, rest_tree))))
        return inner, ("mul", (other, _reciprocal(rest_tree)))
    if kind == "pow":
        base, exponent = side[1], side[2]
        if _count(base, unknown):
            if not (_nonnegative(base, domains) or exponent in (("num", 1.0), _MINUS_ONE)):
                return None
            return base, ("pow", other, _one_over(exponent)) if exponent != _MINUS_ONE else _reciprocal(other)
        if base[0] == "num" and base[1] > 0 and base[1] != 1.0:   # b^x = y: x = log y / log b
            return exponent, ("mul", (("call", "log", (other,)), ("pow", ("call", "log", (base,)), _MINUS_ONE)))
        return None
    if kind == "call" and side[1] == "exp":
        return side[2][0], ("call", "log", (other,))
    if kind == "call" and side[1] == "log":
        return side[2][0], ("call", "exp", (other,))
    return None


def _reciprocal(tree: Tree) -> Tree:
    """1 / tree, written without a power of a power where that is plain (1/x^a = x^-a, 1/2 = 0.5)."""
    if tree[0] == "num" and tree[1] != 0:
        return ("num", 1.0 / tree[1])
    if tree[0] == "pow" and tree[2][0] == "num":
        return tree[1] if tree[2][1] == -1.0 else ("pow", tree[1], ("num", -tree[2][1]))
    if tree[0] == "mul" and any(f[0] == "pow" and f[2] == _MINUS_ONE for f in tree[1]):
        return ("mul", tuple(_reciprocal(f) for f in tree[1]))   # 1 / (a / b) = b / a
    return ("pow", tree, _MINUS_ONE)


def _one_over(exponent: Tree) -> Tree:
    """1 / exponent, written to read `x**(1 / b)` rather than `x**(b**(-1))`."""
    if exponent[0] == "var":
        return ("mul", (("num", 1.0), ("pow", exponent, _MINUS_ONE)))
    return _reciprocal(exponent)


def _flattened(tree: Tree) -> tuple[Tree, ...]:
    """The terms of a sum (factors of a product) with nested sums (products) opened."""
    return tuple(t for child in tree[1] for t in (_flattened(child) if child[0] == tree[0] else (child,)))


def _count(tree: Tree, name: str) -> int:
    return sum(1 for node in walk(tree) if node == ("var", name))


def _nonnegative(tree: Tree, domains: Mapping[str, str]) -> bool:
    """Whether a tree is ≥ 0 for every value its names' domains allow (a sufficient test)."""
    kind = tree[0]
    if kind == "var":
        return domains.get(tree[1], "positive") in _NONNEGATIVE_DOMAINS
    if kind == "num":
        return bool(tree[1] >= 0)
    if kind == "unit":
        return True
    if kind in ("add", "mul"):
        return all(_nonnegative(t, domains) for t in tree[1])
    if kind == "pow":
        return _nonnegative(tree[1], domains)
    if kind == "call":
        return tree[1] in ("exp", "sqrt", "abs") or (
            tree[1] in ("min", "max", "ceil", "floor") and all(_nonnegative(t, domains) for t in tree[2]))
    return False

