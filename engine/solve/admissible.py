"""Whole numbers that must also divide (issue #13 §5): the admissible values of an integer answer.

Rule files declare admissibility as checks whose id starts with `admissible_` (formulas/
parallelism.yaml: tp divides the heads and the GPUs of a node, tp × pp divides n_gpus, ...): a
check fires for a value that cannot be used. When the planner solves such an integer (the
smallest tp that fits, from memory_fill = 1), the rounded answer moves on in its rounding
direction (up: the smallest admissible value at least the raw one; down: the largest at most
it) until no admissibility check on it fires. Only checks whose other values are known
independently of the answer take part (heads from the model, n_gpus given, gpus_per_node or its
default); the batch solver then recomputes the budgets for the moved value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..rules.model import Check, RuleSet
from .evaluation import inputs_behind
from .planning import Plan, computed_from

MAX_STEPS = 4096   # values tried per row before saying that none is admissible
MARK = ".admissible_"
_BLOCK_VALUES = 65_536   # candidate values judged in one evaluation (rows × values per row)


@dataclass
class Admissible:
    values: np.ndarray        # the admissible value per row (NaN where none was found)
    moved: np.ndarray         # rows whose value moved past the plain rounding
    none: np.ndarray          # rows with no admissible value within MAX_STEPS
    checks: list[Check]       # the checks that ruled out the plain rounding (all that took part if none did)
    used: list[Check]         # the checks that took part


def admissibility_checks(rules: RuleSet, name: str) -> list[Check]:
    return [c for c in rules.checks if MARK in c.id and name in c.variables]


def downstream(plan: Plan, name: str) -> set[str]:
    """`name` and the values the plan computes from it."""
    return computed_from(name, plan.steps) | {name}


def admissible(rules: RuleSet, plan: Plan, name: str, rounded: np.ndarray, rounding: str, env: dict,
               defaults: dict[str, float], compile_tree: Callable) -> Admissible | None:
    """The admissible values of `name` from the plainly rounded ones; None when no check applies."""
    if not _from_a_budget(rules, plan, name):
        return None
    n = len(rounded)
    usable = _usable_checks(rules, plan, name, n, env, defaults)
    if not usable:
        return None

    conditions = [(compile_tree(check.condition), values) for check, values in usable]
    start = np.array(np.broadcast_to(rounded, (n,)), dtype=float)
    candidate = start.copy()
    unsettled = ~(_fits(conditions, name, None, candidate) | np.isnan(candidate))
    step = -1.0 if rounding == "down" else 1.0
    tried = 0
    while tried < MAX_STEPS and unsettled.any():
        # the next values for every unsettled row at once, a block of them per row: a row with no
        # admissible value (tp where none divides) costs MAX_STEPS / block evaluations, not MAX_STEPS
        todo = np.flatnonzero(unsettled)
        block = min(MAX_STEPS - tried, max(1, _BLOCK_VALUES // len(todo)), 256)
        trial = start[todo, None] + step * np.arange(tried + 1, tried + block + 1, dtype=float)[None, :]
        below = trial < 1
        hit = below | _fits(conditions, name, todo.repeat(block), trial.reshape(-1)).reshape(trial.shape)
        found = hit.any(axis=1)
        first = hit.argmax(axis=1)[found]
        rows = todo[found]
        candidate[rows] = np.where(below[found, first], np.nan, trial[found, first])
        unsettled[rows] = False
        tried += block
    none = unsettled | (np.isnan(candidate) & ~np.isnan(start))
    candidate[none] = np.nan
    moved = ~none & (candidate != start)
    return Admissible(candidate, moved, none, _ruling_out(usable, conditions, name, start, moved | none),
                      [c for c, _ in usable])


def _usable_checks(rules: RuleSet, plan: Plan, name: str, n: int, env: dict,
                   defaults: dict[str, float]) -> list[tuple[Check, dict]]:
    """The admissibility checks on `name` whose other values are known apart from it, with those values."""
    later = computed_from(name, plan.steps)
    # a default fills a pure context value (gpus_per_node: in no rule), and a value the plan does not
    # compute beside one the user typed (micro_batch's 1 beside global_batch = 1,024 for n_gpus: the
    # replicas must divide the batch); a check on tp · pp alone is not asked when the question is not
    # about tp and pp (the 6·N·D n_gpus question: no cost there)
    in_rules = {v for eq in rules.equations for v in eq.variables}
    typed = set(plan.knowns) - set(plan.defaults)
    usable: list[tuple[Check, dict]] = []
    for check in admissibility_checks(rules, name):
        others = check.variables - {name}
        if others & later:
            continue
        values = {}
        beside_typed = bool(others & typed & set(env))
        for other in others:
            if other in env:
                values[other] = np.broadcast_to(np.asarray(env[other], dtype=float), (n,))
            elif other in defaults and (other not in in_rules or beside_typed):
                values[other] = np.full(n, float(defaults[other]))
            else:
                break
        else:
            usable.append((check, values))
    return usable


def _from_a_budget(rules: RuleSet, plan: Plan, name: str) -> bool:
    """Whether `name` is computed from a budget (a bubble of at most 5 %, the fit, a deadline), which the
    recompute frees for the admissible value. Computed from exact givens alone (grad_accum = global_batch /
    (micro_batch · dp) with all three given), another value would contradict them: the row is refused as
    not whole, with the givens that would work (engine/solve/whole_options.py), not moved."""
    return any(rules.variables[v].limit for v in inputs_behind(plan, {name})
               if v in rules.variables)


def _ruling_out(usable: list[tuple[Check, dict]], conditions: list[tuple[Callable, dict]], name: str,
                start: np.ndarray, changed: np.ndarray) -> list[Check]:
    """The checks that rule out the plain rounding in the rows it did not stand (the interleaved schedule's
    check is no reason at vpp = 1); all of them where none fires there (no row changed)."""
    rows = np.flatnonzero(changed)
    if not len(rows):
        return [c for c, _ in usable]
    fired = [check for (check, _), condition in zip(usable, conditions)
             if not _fits([condition], name, rows, start[rows]).all()]
    return fired or [c for c, _ in usable]


def _fits(conditions: list[tuple[Callable, dict]], name: str, rows: "np.ndarray | None", values: np.ndarray
          ) -> np.ndarray:
    """Whether each candidate value of `name` (for the row at the same position of `rows`; None: one per
    row, in order) passes every admissibility check: no check's condition fires."""
    good = np.ones(len(values), dtype=bool)
    for condition, others in conditions:
        with np.errstate(all="ignore"):
            fired = condition({**(others if rows is None else {k: v[rows] for k, v in others.items()}), name: values})
        good &= ~np.broadcast_to(np.asarray(fired, dtype=bool), (len(values),))
    return good
