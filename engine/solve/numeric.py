"""Numbers: evaluate expression trees over whole columns, and the domains values must lie in.

A tree is compiled once into nested closures over numpy ufuncs (no exec,
no lambdify): evaluating it on 1M rows costs a few numpy passes. Where a
rule has no closed-form inverse, engine/solve/roots.py finds x per row.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping, cast

import numpy as np

from ..rules.expr import Tree, variables
from ..rules.units import unit_info
from .bounds import interval, may_be_true, remember_bounds, remembered_bounds, repeated_view  # noqa: F401 (re-exported)

Env = Mapping[str, "np.ndarray | float"]
Compiled = Callable[[Env], "np.ndarray | float"]

_UNARY = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "ceil": np.ceil, "floor": np.floor, "abs": np.abs}


def compile_tree(tree: Tree) -> Compiled:
    """Closure that evaluates `tree` for an environment of arrays or floats."""
    kind = tree[0]
    if kind == "num":
        value = float(tree[1])
        return lambda env: value
    if kind == "unit":
        factor = unit_info(tree[1])[0]
        return lambda env: factor
    if kind == "var":
        name = tree[1]
        return lambda env: _one_value(env[name])
    if kind == "add":
        parts = [compile_tree(t) for t in tree[1]]
        return lambda env: _sum(parts, env)
    if kind == "mul":
        return _compile_product(tree)
    if kind == "pow":
        return _compile_power(tree)
    if kind == "call":
        args = [compile_tree(t) for t in tree[2]]
        if tree[1] in ("min", "max"):
            reduce = np.minimum if tree[1] == "min" else np.maximum
            return lambda env: _fold(reduce, args, env)
        fn = _UNARY[tree[1]]
        arg = args[0]
        return lambda env: fn(arg(env))
    if kind == "cmp":
        return _compile_compare(tree)
    if kind in ("and", "or"):
        return _compile_logic(tree)
    if kind == "not":
        inner = compile_tree(tree[1])
        return lambda env: np.logical_not(inner(env))
    raise ValueError(f"cannot evaluate node {kind!r}")


def _compile_logic(tree: Tree) -> Compiled:
    """and / or, the parts that read the fewest values first, stopping at one that decides every row:
    in a sweep, `step_time > 0 and bytes_per_grad >= 4 · byte` is false from its catalog figure alone,
    without comparing 100,000 step times (comparisons with NaN are false, so no row is decided
    differently)."""
    parts = [(compile_tree(t), sorted(variables(t))) for t in tree[1]]
    combine = np.logical_and if tree[0] == "and" else np.logical_or
    deciding = tree[0] == "or"   # the one value that decides every row

    def logic(env: Env) -> "np.ndarray | bool":
        ordered = sorted(parts, key=lambda part: max((_values_read(env, n) for n in part[1]), default=1))
        out: "np.ndarray | bool | None" = None
        for part, _ in ordered:
            value = part(env)
            if np.ndim(value) == 0:
                if bool(value) == deciding:
                    return deciding
                continue   # (true in an and, false in an or: leaves the rest to decide)
            out = cast(np.ndarray, value) if out is None else combine(out, value)
        return (not deciding) if out is None else out

    return logic


def _values_read(env: Env, name: str) -> int:
    """How many values reading `name` means (1 for a number or a broadcast column)."""
    value = env[name]
    if not isinstance(value, np.ndarray) or value.ndim == 0 or repeated_view(value):
        return 1
    return value.size


def _one_value(value: "np.ndarray | float") -> "np.ndarray | float":
    """A broadcast column (stride 0: a catalog figure, a default, a value derived from them) as its one
    number: arithmetic on it then costs nothing per row (a 100k-row layout sweep, issue #16)."""
    if type(value) is np.ndarray and repeated_view(value):
        return float(value[0])
    return value


def _sum(parts: list[Compiled], env: Env) -> "np.ndarray | float":
    # Numbers first (a catalog figure, a default: one value), then the columns; after the first new
    # temporary, add into it: one pass per column term, none per constant (issue #16's sweeps).
    constant, columns = _split([part(env) for part in parts], 0.0, float.__add__)
    if not columns:
        return constant
    if len(columns) > 1 and any(c.shape != columns[0].shape for c in columns):
        return _sum_on_grid(columns, constant)
    return _add_all(columns, constant)


def _add_all(columns: list[np.ndarray], constant: float) -> "np.ndarray":
    """constant + the columns (of one shape, or broadcasting to the first's), in the first temporary."""
    total, owned = columns[0], False
    if constant != 0.0:
        total, owned = total + constant, True
    for value in columns[1:]:
        if owned and _owned(total) and value.shape == total.shape:
            np.add(total, value, out=total, casting="unsafe")
        else:
            total, owned = total + value, True
    return total


def _sum_on_grid(columns: list[np.ndarray], constant: float) -> "np.ndarray":
    """Terms over different axes of a grid (engine/solve/factored.py): those over the same axes summed
    first, then the two sums whose sum is smallest, and so on (step_time's terms over tp × pp × n_gpus
    meet each other before the ones over micro_batch: one full-size pass, not one per term). The
    constant goes into the smallest sum."""
    groups: dict[tuple[int, ...], list[np.ndarray]] = {}
    for column in columns:
        groups.setdefault(column.shape, []).append(column)
    smallest = min(groups, key=math.prod)
    sums = [_add_all(terms, constant if shape == smallest else 0.0) for shape, terms in groups.items()]
    while len(sums) > 1:   # (a few distinct shapes: shapes compared, no values touched)
        pairs = [(math.prod(np.broadcast_shapes(a.shape, b.shape)), i, j)
                 for i, a in enumerate(sums) for j, b in enumerate(sums) if i < j]
        _, i, j = min(pairs)
        merged = sums[i] + sums[j]
        sums = [s for k, s in enumerate(sums) if k not in (i, j)] + [merged]
    return sums[0]


def _split(values: list, start: float, combine) -> "tuple[float, list[np.ndarray]]":
    """(the plain numbers combined, the columns): columns are arrays of one or more dimensions."""
    constant, columns = start, []
    for value in values:
        if type(value) is float or np.ndim(value) == 0:   # (a float first: most values of a sweep's steps)
            constant = combine(constant, float(value))
        else:
            columns.append(value)
    return constant, columns


def _owned(array: np.ndarray) -> bool:
    return isinstance(array, np.ndarray) and array.ndim > 0 and array.dtype == np.float64


def _fold(op: Callable, parts: list[Compiled], env: Env) -> "np.ndarray | float":
    out = parts[0](env)
    for part in parts[1:]:
        out = op(out, part(env))
    return out


def _compile_product(tree: Tree) -> Compiled:
    # x / y is stored as x * y**-1; evaluate it as a division (one pass, exact IEEE division).
    numerator, denominator = [], []
    constant = 1.0
    for child in tree[1]:
        if child[0] == "num":
            constant *= float(child[1])
        elif child[0] == "pow" and child[2] == ("num", -1.0):
            denominator.append(compile_tree(child[1]))
        else:
            numerator.append(compile_tree(child))

    def product(env: Env) -> "np.ndarray | float":
        # The first operation makes a fresh temporary; later ones write into it (one pass each,
        # no new allocation), and the division writes into whichever side is a temporary.
        # Inputs from env are never written into.
        out, owned = _chain(numerator, env, constant)
        if denominator:
            owned = owned or _fresh(out, env)
            below, below_owned = _chain(denominator, env, 1.0)
            # (owned: `out` is an array made here; below_owned: so is `below`)
            if owned and np.shape(below) in ((), np.shape(out)):
                np.divide(out, below, out=cast(np.ndarray, out), casting="unsafe")
            elif below_owned and np.shape(out) in ((), np.shape(below)):
                np.divide(out, below, out=cast(np.ndarray, below), casting="unsafe")
                out = below
            else:   # (numpy's division: 1/0 is inf, as for columns, not Python's ZeroDivisionError)
                out = np.true_divide(out, below)
        return out

    return product


def _chain(parts: list[Compiled], env: Env, constant: float) -> "tuple[np.ndarray | float, bool]":
    """Product of the parts (times a constant), reusing the first temporary array; and whether the
    result is a temporary made here (safe to write into) rather than a value from env. The plain
    numbers are multiplied first: one pass over the rows for them all, not one each."""
    constant, columns = _split([part(env) for part in parts], constant, float.__mul__)
    if not columns:
        return constant, False
    if len(columns) > 1:   # smallest first: a grid's factors of few axes meet before the full-size one
        columns.sort(key=np.size)
    out, owned = columns[0], False
    if constant != 1.0:
        out = out * constant
        owned = _owned(out)
    for value in columns[1:]:
        if owned and value.shape == out.shape:
            np.multiply(out, value, out=out, casting="unsafe")
        else:
            out = out * value
            owned = _owned(out)
    return out, owned


def _fresh(array: "np.ndarray | float", env: Env) -> bool:
    """A float array made by a sub-expression just now (not one of env's columns): safe to overwrite."""
    if not (isinstance(array, np.ndarray) and array.ndim and array.base is None and array.flags.writeable
            and array.dtype == np.float64):
        return False
    stored = dict.values(env) if isinstance(env, dict) else env.values()   # (dict.values: nothing computed)
    return all(array is not v for v in stored)


def _compile_power(tree: Tree) -> Compiled:
    base, exponent = compile_tree(tree[1]), tree[2]
    if exponent == ("num", 2.0):
        return lambda env: _square(base(env))
    if exponent == ("num", 0.5):
        return lambda env: np.sqrt(base(env))
    if exponent == ("num", -1.0):
        return lambda env: np.true_divide(1.0, base(env))
    power = compile_tree(exponent)
    return lambda env: np.power(base(env), power(env))


def _square(x: "np.ndarray | float") -> "np.ndarray | float":
    return x * x


def _compile_compare(tree: Tree) -> Compiled:
    op, left, right = tree[1], compile_tree(tree[2]), compile_tree(tree[3])
    ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
           "==": np.equal, "!=": np.not_equal}
    fn = ops[op]
    return lambda env: fn(left(env), right(env))


def evaluate_scalar(tree: Tree, env: Mapping[str, float]) -> float:
    """One value (used for constants and single questions)."""
    with np.errstate(all="ignore"):
        return float(compile_tree(tree)(env))


# -- domains -------------------------------------------------------------------
FRACTION_SLACK = 1e-12   # a solved fraction may overshoot 1 (a nonnegative value undershoot 0) by float noise;
                         # typed values get no slack


def within_domain(domain: str, low: float, high: float, slack: float = FRACTION_SLACK) -> bool:
    """Every value between low and high is in the domain (NaN bounds: no) — two numbers, no mask."""
    if domain in ("positive", "integer"):
        return bool(low > 0 and high < np.inf)
    if domain == "fraction":
        return bool(low > 0 and high <= 1 + slack)
    if domain == "nonnegative":
        return bool(low >= 0 and high < np.inf)
    return bool(np.isfinite(low) and np.isfinite(high))


def domain_mask(domain: str, values: np.ndarray, slack: float = FRACTION_SLACK) -> np.ndarray:
    """Per value: finite and in the domain (NaN: False)."""
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(values)
        if domain in ("positive", "integer", "fraction"):
            ok &= values > 0
        if domain == "nonnegative":
            ok &= values >= -slack   # (repetitions = epochs - 1 at one epoch can come out -3e-15)
        if domain == "fraction":
            ok &= values <= 1 + slack
    return ok
