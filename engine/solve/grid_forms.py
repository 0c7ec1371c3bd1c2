"""A formula with the products it reads multiplied out, so that factors which cancel are never computed.

In a layout sweep, step_tokens = global_batch · min(seq_len, tokens_per_sequence) grows with n_gpus
(global_batch = micro_batch · grad_accum · dp, dp = n_gpus / (tp · pp)), and matmul_time divides it
by n_gpus again: evaluated as written on the grid's shape (engine/solve/factored.py), each of 100,000
layouts gets its own matmul time, though it depends on tp, pp and micro_batch alone. Multiplied out
through the formulas the earlier steps were computed by, n_gpus, tp and pp cancel and the step costs
100 values (issue #16: a layout sweep with perf_model=analytic within 3× of the 6·N·D one).

A form equals the formula as a real number wherever each variable whose exponents combine is finite
and not zero (x · x⁻¹ is 1 only then): `GridForm.combined` names them, and the caller uses a form only
where their bounds show it. As floats the two agree within a few ulps (the factors meet in another
order), so forms are used for continuous values, never for whole numbers that get rounded.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np

from ..rules.expr import Tree, variables
from ..rules.units import unit_info

if TYPE_CHECKING:
    from .factored import ShapedEnv
    from .planning import Plan

Bounds = Callable[[str], "tuple[float, float] | None"]

_PRODUCTS = ("mul", "pow")


@dataclass(frozen=True)
class GridForm:
    tree: Tree                   # the formula multiplied out
    combined: frozenset[str]     # variables whose exponents met: each must be finite and not zero
    reads: frozenset[str]        # what the form reads
    written: frozenset[str]      # what the formula as written reads
    expanded: frozenset[str]     # the values it reads through their formulas


def grid_form(tree: Tree, defs: Mapping[str, Tree]) -> GridForm | None:
    """`tree` with each product in it multiplied out through `defs` (name -> the formula its value was
    computed by) and sums of sums as one sum (numeric._sum adds the terms over the fewest grid axes
    first: step_time's eight), or None where neither changes anything."""
    rewriter = _Rewriter(defs)
    form = rewriter.rewrite(tree)
    if not rewriter.changed:
        return None
    return GridForm(form, frozenset(rewriter.combined), frozenset(variables(form)), frozenset(variables(tree)),
                    frozenset(rewriter.expanded))


def formula_on_grid(plan: "Plan", tree: Tree, env: "ShapedEnv", bounds: Bounds) -> Tree:
    """`tree` as a grid computes it: its form through the plan's steps (kept with the plan) where that
    reads no more of the grid's values and each variable whose exponents meet is, by `bounds` (name ->
    its values' bounds), finite and not zero in every row; else `tree` as written."""
    forms = plan.memo.setdefault("grid_forms", {})   # id(tree) -> (tree, its form): trees live with the plan
    assert isinstance(forms, dict)
    hit = forms.get(id(tree))
    if hit is None or hit[0] is not tree:
        hit = forms[id(tree)] = (tree, grid_form(tree, _definitions(plan)))
    form = hit[1]
    if form is None or not form.expanded <= env.grid.by_formula:
        return tree   # (a value computed another way, row by row after a step the grid could not take)
    try:
        for factor in form.combined:
            env[factor]   # (read into the shaped env first: its bounds come from its value)
            known = bounds(factor)
            if known is None or not (0 < known[0] <= known[1] < math.inf or -math.inf < known[0] <= known[1] < 0):
                return tree
        # A value computed on the grid has the shape of what its formula reads, so its factors read no more,
        # unless it came out one number on a wider shape (ZeRO-3's 0 B of gathers over tp × pp × n_gpus)
        if form.expanded & env.grid.collapsed and _size(env, form.reads) > _size(env, form.written):
            return tree
    except KeyError:   # (a value the form reads that this solve does not have)
        return tree
    return form.tree


def _definitions(plan: "Plan") -> dict[str, Tree]:
    """Each derived value's formula on a grid (its step's first closed form), kept with the plan."""
    defs = plan.memo.get("grid_definitions")
    if defs is None:
        defs = plan.memo["grid_definitions"] = {name: tree for step in plan.steps if step.candidates
                                                for name, tree in step.candidates[0].items()}
    assert isinstance(defs, dict)
    return defs


def _size(env: "ShapedEnv", names: frozenset[str]) -> int:
    """How many values a formula reading `names` computes on the grid (their broadcast shape)."""
    widest: tuple[int, ...] = ()
    for name in names:   # (a grid's values all have its number of axes, or none: one number)
        shape = np.shape(env[name])
        if shape:
            widest = shape if not widest else tuple(max(a, b) for a, b in zip(widest, shape))
    return math.prod(widest)


class _Rewriter:
    """One formula's rewrite, and what it learnt: the variables whose exponents met, the values read
    through their formulas, whether anything changed."""

    def __init__(self, defs: Mapping[str, Tree]) -> None:
        self.defs = defs
        self.combined: set[str] = set()
        self.expanded: set[str] = set()
        self.changed = False

    def rewrite(self, tree: Tree) -> Tree:
        kind = tree[0]
        if kind in _PRODUCTS:
            product = _Product(self.defs)
            product.gather(tree, 1.0)
            if product.cancels():
                self.combined.update(product.combined())
                self.expanded.update(product.expanded)
                self.changed = True
                return product.tree(self)
        if kind == "add":
            terms: list[Tree] = []
            for child in tree[1]:
                child = self.rewrite(child)
                if child[0] == "add":
                    self.changed = True
                terms.extend(child[1] if child[0] == "add" else (child,))
            return (kind, tuple(terms))
        if kind in ("mul", "and", "or"):
            return (kind, tuple(self.rewrite(child) for child in tree[1]))
        if kind == "pow":
            return (kind, self.rewrite(tree[1]), tree[2])
        if kind == "call":
            return (kind, tree[1], tuple(self.rewrite(child) for child in tree[2]))
        if kind == "cmp":
            return (kind, tree[1], self.rewrite(tree[2]), self.rewrite(tree[3]))
        if kind == "not":
            return (kind, self.rewrite(tree[1]))
        return tree


class _Product:
    """A product as coefficient · Π factor^exponent, gathered through the definitions of its variables."""

    def __init__(self, defs: Mapping[str, Tree]) -> None:
        self.defs = defs
        self.coefficient = 1.0
        self.exponents: dict[Tree, float] = {}
        self.met: dict[Tree, int] = {}   # factor -> how many places it came from
        self.expanded: set[str] = set()   # the values read through their formulas

    def gather(self, tree: Tree, exponent: float) -> None:
        kind = tree[0]
        if kind == "num" and (float(tree[1]) > 0 or exponent == 1.0):
            self.coefficient *= float(tree[1]) ** exponent
        elif kind == "unit":
            self.coefficient *= unit_info(tree[1])[0] ** exponent
        elif kind == "mul":
            for child in tree[1]:
                self.gather(child, exponent)
        elif kind == "pow" and tree[2][0] == "num":
            self.gather(tree[1], exponent * float(tree[2][1]))
        elif kind == "var" and self.defs.get(tree[1], ("num",))[0] in (*_PRODUCTS, "var"):
            self.expanded.add(tree[1])
            self.gather(self.defs[tree[1]], exponent)   # (a value computed as a product: its factors)
        else:
            self.exponents[tree] = self.exponents.get(tree, 0.0) + exponent
            self.met[tree] = self.met.get(tree, 0) + 1

    def cancels(self) -> bool:
        """Some variable met more than once and its exponents cancel; none of the factors that met is a
        subtree (whose bounds nobody knows)."""
        met = [factor for factor, count in self.met.items() if count > 1]
        return all(factor[0] == "var" for factor in met) and any(self.exponents[f] == 0.0 for f in met)

    def combined(self) -> set[str]:
        return {factor[1] for factor, count in self.met.items() if count > 1}

    def tree(self, rewriter: _Rewriter) -> Tree:
        parts: list[Tree] = [] if self.coefficient == 1.0 else [("num", self.coefficient)]
        for factor, exponent in self.exponents.items():
            if exponent == 0.0:
                continue
            factor = rewriter.rewrite(factor) if factor[0] != "var" else factor
            parts.append(factor if exponent == 1.0 else ("pow", factor, ("num", exponent)))
        if not parts:
            return ("num", 1.0)
        return parts[0] if len(parts) == 1 else ("mul", tuple(parts))
