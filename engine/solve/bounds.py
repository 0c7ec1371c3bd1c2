"""Bounds without a pass over the rows: (min, max) remembered for read-only columns, and interval
arithmetic over a formula's tree (a proof that every row of a result lies in its domain). Split from
engine/solve/numeric.py, which re-exports these names."""
from __future__ import annotations

import functools
import weakref
from typing import Callable

import numpy as np

from ..errors import UnknownBounds as _Unknown
from ..rules.expr import Tree
from ..rules.units import unit_info

# -- column bounds ---------------------------------------------------------------
# (min, max) of a read-only column, remembered for as long as the column lives: the table reader
# (engine/table/columns.py) checks every number column's domain with these two reductions, and the batch
# solver reuses them (known rows, advisory checks) instead of reducing the same million rows again.
_REMEMBERED: dict[int, tuple["weakref.ref[np.ndarray]", float, float]] = {}


def remember_bounds(column: np.ndarray, low: float, high: float) -> None:
    """Record min/max of a column nobody writes into (ignored for a writable column)."""
    if not isinstance(column, np.ndarray) or column.flags.writeable or column.ndim != 1:
        return
    key = id(column)
    _REMEMBERED[key] = (weakref.ref(column, functools.partial(_forget, key)), float(low), float(high))


def _forget(key: int, _ref: "weakref.ref[np.ndarray]") -> None:
    """A remembered column is gone: drop its entry."""
    _REMEMBERED.pop(key, None)


def remembered_bounds(column: object) -> "tuple[float, float] | None":
    """(min, max) recorded for this very column (None if none, or if it has become writable)."""
    hit = _REMEMBERED.get(id(column))
    if hit is None:
        return None
    array = hit[0]()
    if array is not column or array is None or array.flags.writeable:
        return None
    return hit[1], hit[2]


def repeated_view(array: np.ndarray) -> bool:
    """One value in every row, held as a broadcast (stride-0) view of one number: read array[0] once
    instead of walking it (numpy walks such a view about ten times slower than a contiguous one)."""
    return array.ndim == 1 and array.shape[0] > 0 and array.strides[0] == 0


def has_nan(column: np.ndarray) -> bool:
    """Some value of the column is NaN: from its remembered min/max when it has them (no pass over
    the rows: a sweep's column from the grid's shape, engine/solve/factored.py), else one reduction."""
    if repeated_view(column):
        return bool(np.isnan(column[0]))
    known = remembered_bounds(column)
    return bool(np.isnan(known[0] if known is not None else column.min()))


def may_be_true(tree: Tree, bounds: Callable[[str], "tuple[float, float] | None"]) -> bool:
    """False when a condition (a check's `when`) is false in every row, judged from the bounds of
    the variables it compares with numbers; True when it may hold somewhere (or cannot be judged)."""
    return _interval(tree, bounds)[0]


def _interval(tree: Tree, bounds: Callable[[str], "tuple[float, float] | None"]) -> tuple[bool, bool]:
    """(may be true in some row, may be false in some row); bounds(name) is None where unknown or
    where a row is NaN (comparisons with NaN are false, which `not` would turn into true)."""
    kind = tree[0]
    if kind == "cmp":
        op, left, right = tree[1], tree[2], tree[3]
        if left[0] == "num" and right[0] == "var":
            op, left, right = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op), right, left
        if left[0] != "var" or right[0] != "num" or op not in ("<", "<=", ">", ">="):
            return True, True
        known = bounds(left[1])
        if known is None:
            return True, True
        low, high = known
        value = float(right[1])
        if op == "<":
            return low < value, high >= value
        if op == "<=":
            return low <= value, high > value
        if op == ">":
            return high > value, low <= value
        return high >= value, low < value
    if kind in ("and", "or"):
        parts = [_interval(t, bounds) for t in tree[1]]
        if kind == "and":
            return all(p[0] for p in parts), any(p[1] for p in parts)
        return any(p[0] for p in parts), all(p[1] for p in parts)
    if kind == "not":
        true, false = _interval(tree[1], bounds)
        return false, true
    return True, True


# -- value bounds of an expression ----------------------------------------------------------
SAFE_LOW, SAFE_HIGH = 1e-290, 1e290      # far from underflow and overflow
_SLACK = 1e-9                            # float rounding of a few dozen operations is below 1e-13


def interval(tree: Tree, bounds: Callable[[str], "tuple[float, float] | None"]) -> "tuple[float, float] | None":
    """(low, high) containing the value of `tree` in every row, from the bounds of its variables;
    None unless every value involved is positive. Every intermediate value of the evaluation
    (products, quotients, sums of positive values) is shown to lie within [SAFE_LOW, SAFE_HIGH], so
    the computed result is positive and finite in every row: a rule's answer is then known to be in
    a positive domain without looking at the million values (two reductions saved per step)."""
    try:
        found = _bounds_of(tree, bounds)
    except (_Unknown, ArithmeticError, ValueError, TypeError):
        return None
    return found[0] * (1 - _SLACK), found[1] * (1 + _SLACK)




def _safe(low: float, high: float) -> tuple[float, float]:
    if not (SAFE_LOW <= low * (1 - _SLACK) and high * (1 + _SLACK) <= SAFE_HIGH and low <= high):
        raise _Unknown
    return low, high


def _bounds_of(tree: Tree, bounds: Callable[[str], "tuple[float, float] | None"]) -> tuple[float, float]:
    kind = tree[0]
    if kind in ("num", "unit"):
        value = float(tree[1]) if kind == "num" else float(unit_info(tree[1])[0])
        return _safe(value, value)
    if kind == "var":
        found = bounds(tree[1])
        if found is None:
            raise _Unknown
        return _safe(float(found[0]), float(found[1]))
    if kind == "mul":   # in _compile_product's order: constant · numerator chain / denominator chain
        constant = 1.0
        numerator, denominator = [], []
        for child in tree[1]:
            if child[0] == "num":
                constant *= float(child[1])
            elif child[0] == "pow" and child[2] == ("num", -1.0):
                denominator.append(child[1])
            else:
                numerator.append(child)
        low, high = _safe(constant, constant)
        for child in numerator:
            part = _bounds_of(child, bounds)
            low, high = _safe(low * part[0], high * part[1])
        below_low = below_high = 1.0
        for child in denominator:
            part = _bounds_of(child, bounds)
            below_low, below_high = _safe(below_low * part[0], below_high * part[1])
        return _safe(low / below_high, high / below_low)
    if kind == "pow":
        low, high = _bounds_of(tree[1], bounds)
        if tree[2][0] != "num":
            raise _Unknown
        exponent = float(tree[2][1])
        if exponent == 0:
            raise _Unknown
        ends = (low ** exponent, high ** exponent)
        return _safe(min(ends), max(ends))
    if kind == "add":
        parts = [_bounds_of(t, bounds) for t in tree[1]]
        return _safe(sum(p[0] for p in parts), sum(p[1] for p in parts))
    if kind == "call" and tree[1] in ("sqrt", "min", "max", "ceil"):
        parts = [_bounds_of(t, bounds) for t in tree[2]]
        if tree[1] == "sqrt":
            return _safe(parts[0][0] ** 0.5, parts[0][1] ** 0.5)
        if tree[1] == "ceil":
            return _safe(parts[0][0], float(np.ceil(parts[0][1] * (1 + _SLACK))))
        pick = min if tree[1] == "min" else max
        return _safe(pick(p[0] for p in parts), pick(p[1] for p in parts))
    raise _Unknown
