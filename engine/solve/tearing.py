"""Whether a torn chain says anything about its unknown (engine/solve/planning.py's tearing).

Tearing expresses other unknowns through one unknown x until a rule closes on x and knowns; the
closing rule, with the definitions substituted, is then an equation in x. It determines x only if it
changes with x and is not true for every x. Both are judged at random points, as sympy cannot always
simplify the substituted rule in its time budget.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..rules.expr import Tree, variables
from .isolate import isolate
from .numeric import compile_tree
from .ordering import Link


def written_out(tree: Tree, formulas: Mapping[str, Tree | None], written: dict[str, Tree] | None = None) -> Tree:
    """`tree` with each variable that has a formula replaced by it, the formula written out in turn (names
    with None stay). `written` keeps each formula written out once: a value many rules read is not
    expanded again for each (pass the same dict for both sides of an equation)."""
    written = {} if written is None else written
    kind = tree[0]
    if kind == "var":
        name = tree[1]
        formula = formulas.get(name)
        if formula is None:
            return tree
        if name not in written:
            written[name] = written_out(formula, formulas, written)
        return written[name]
    if kind in ("add", "mul"):
        return (kind, tuple(written_out(t, formulas, written) for t in tree[1]))
    if kind == "pow":
        return ("pow", written_out(tree[1], formulas, written), written_out(tree[2], formulas, written))
    if kind == "call":
        return ("call", tree[1], tuple(written_out(t, formulas, written) for t in tree[2]))
    return tree


def informative(lhs: Tree, rhs: Tree, x: str, tries: int = 6) -> bool:
    """Whether lhs = rhs constrains x: at random points it changes with x and is not always true."""
    left, right = compile_tree(lhs), compile_tree(rhs)
    names = variables(lhs) | variables(rhs)
    rng = np.random.default_rng(0)
    for _ in range(tries):
        env = {n: float(v) for n, v in zip(sorted(names), rng.uniform(0.5, 2.0, len(names)))}
        moved = dict(env, **{x: env[x] * 1.7})
        with np.errstate(all="ignore"):
            a, b = float(left(env)), float(right(env))
            c, d = float(left(moved)), float(right(moved))
        if not all(np.isfinite(v) for v in (a, b, c, d)):
            continue
        scale = max(abs(a), abs(b), abs(c), abs(d), 1e-300)
        if abs((a - b) - (c - d)) > 1e-9 * scale:
            return True          # depends on x
        if abs(a - b) > 1e-9 * scale:
            return False         # does not depend on x and is not an identity: says nothing about x
    return False


def informative_after(residual: Tree, x: str, before: tuple[Link, ...], domains: Mapping[str, str]) -> bool:
    """Whether a torn residual (lhs − rhs) that `informative` accepted with its knowns free still says
    something about x once each known that the links `before` derived from one rule (isolated in it: a
    definition `name = formula`, or tokens = throughput_per_gpu · gpu_seconds for throughput_per_gpu) or
    by a closed form is written as that formula: False where it then holds at every point tried, for
    either value of x (a derived known is not free to take any value). Only an identity is refused
    here: at one point a min() or floor() may hide x, which says nothing of other values."""
    formulas = {link.names[0]: _formula(link, domains) for link in before if len(link.names) == 1}
    written: dict[str, Tree] = {}
    lhs, rhs = (written_out(side, formulas, written) for side in _sides(residual))
    return not _identity(lhs, rhs, x)


def _identity(lhs: Tree, rhs: Tree, x: str, tries: int = 6) -> bool:
    """lhs = rhs at every random point where both are finite (at least one), x moved or not."""
    left, right = compile_tree(lhs), compile_tree(rhs)
    names = sorted(variables(lhs) | variables(rhs) | {x})
    rng = np.random.default_rng(0)
    finite = 0
    for _ in range(tries):
        env = {n: float(v) for n, v in zip(names, rng.uniform(0.5, 2.0, len(names)))}
        for point in (env, dict(env, **{x: env[x] * 1.7})):
            with np.errstate(all="ignore"):
                a, b = float(left(point)), float(right(point))
            if not (np.isfinite(a) and np.isfinite(b)):
                continue
            finite += 1
            if abs(a - b) > 1e-9 * max(abs(a), abs(b), 1e-300):
                return False
    return finite > 0


def _formula(link: Link, domains: Mapping[str, str]) -> Tree | None:
    """The formula a one-name link computes its value by, where one can be written without sympy: a
    combined closed form, or the name isolated in the link's one rule (engine/solve/isolate.py)."""
    if link.closed is not None:
        return link.closed
    if len(link.eqs) != 1 or link.via:
        return None
    eq = link.eqs[0]
    return isolate(eq.lhs, eq.rhs, link.names[0], domains)


def _sides(residual: Tree) -> tuple[Tree, Tree]:
    """(lhs, rhs) of a residual built as lhs + (−1)·rhs."""
    lhs, negated = residual[1]
    return lhs, negated[1][1]
