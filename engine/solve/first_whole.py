"""A whole-number answer below the first whole value: "fewest GPUs to finish in 3 days" when one GPU
takes 5 hours.

The fewest n_gpus that keep a deadline is a root of the chain torn through the layout (train_time(n)
= 3 days), rounded up. Under perf_model=analytic that chain has no value below one replica (dp < 1
makes the ring all-reduce's (dp - 1)/dp negative), so a job one replica finishes early has no root at
all, and was refused as "no real, finite answer". Yet its answer is plain: the first whole value the
layout allows (1 GPU, or 8 with tp = 8), with the time recomputed for it. This module finds those
rows: a whole number rounded up (the fewest that keep a limit), answered by a torn chain whose
residual reads a limit the user typed, is defined at that first value, and moves away from its root
as each typed limit gets more room (a later deadline, a lower floor): there the limits are kept,
not out of reach. Such rows get that value; the rounding step then recomputes the limits for it
(engine/solve/rounding.py) and refuses a row whose limits it does not keep after all.
"""
from __future__ import annotations

import numpy as np

from ..rules.expr import variables
from ..rules.model import RuleSet
from .batch_result import FloatColumn, Mask
from .numeric import Compiled
from .numeric import Env as Values
from .planning import Plan, Step, computed_from
from .roots import at_rows

# the whole values tried for the first at which a layout's chain is defined: every count up to 128 (tp · pp of
# any layout people run there), then powers of two (a replica of 256 or more GPUs)
LADDER = (*range(1, 129), *(2.0 ** k for k in range(8, 21)))
FIRST_WHOLE = "first_whole."   # the code of the note on rows answered so (batch.notes)
SLACK = 2.0   # a budget doubled, a floor halved: a limit given more room


def typed_limits(rules: RuleSet, plan: Plan, step: Step) -> tuple[str, ...]:
    """The limits the user gave (a deadline, a floor on mfu) that the step's residual reads itself."""
    assert step.residual is not None
    read = variables(step.residual)
    return tuple(sorted(n for n in read if rules.variables[n].limit and n in plan.knowns
                        and n not in plan.defaults))


def applies(rules: RuleSet, plan: Plan, step: Step) -> bool:
    """Whether the step answers a count rounded up (the fewest that keep a limit) by root finding."""
    if step.residual is None or len(step.unknowns) != 1 or step.unknowns[0] not in plan.needed:
        return False
    variable = rules.variables[step.unknowns[0]]
    return variable.domain == "integer" and variable.rounding == "up"


def first_defined(residual: Compiled, name: str, env: Values, n: int) -> FloatColumn:
    """Per row (of the n in `env`), the least whole value at which the residual is defined: 1, or the GPUs one
    replica needs (8 with tp = 8: fewer leave dp below 1); NaN where none of LADDER is."""
    first = np.full(n, np.nan)
    open_rows = np.arange(n)
    with np.errstate(all="ignore"):
        for value in LADDER:
            part = at_rows(env, n, open_rows)
            found = np.isfinite(_column(residual(dict(part, **{name: np.full(len(open_rows), value)})),
                                        len(open_rows)))
            first[open_rows[found]] = value
            open_rows = open_rows[~found]
            if not len(open_rows):
                break
    return first


def kept_at_first(rules: RuleSet, residual: Compiled, name: str, env: Values, n: int,
                  limits: tuple[str, ...]) -> tuple[Mask, FloatColumn]:
    """(rows of the n in `env` whose residual at their first whole value is nonzero and moves away from 0 as
    every limit gets more room: the limits hold there with room to spare, so no root lies above it; that value)."""
    first = first_defined(residual, name, env, n)
    at_first = dict(env, **{name: first})
    with np.errstate(all="ignore"):
        base = _column(residual(at_first), n)
        kept = np.isfinite(base) & (base != 0)
        for limit in limits:
            value = np.asarray(env[limit], dtype=float)
            roomier = value * SLACK if rules.variables[limit].role == "budget" else value / SLACK
            moved = _column(residual(dict(at_first, **{limit: roomier})), n)
            kept &= np.isfinite(moved) & (np.sign(moved) == np.sign(base)) & (np.abs(moved) > np.abs(base))
    return kept, first


def _column(value: object, n: int) -> FloatColumn:
    return np.broadcast_to(np.asarray(value, dtype=float), (n,))


def unsettled(plan: Plan, below_first: dict[str, tuple[np.ndarray, str, tuple[str, ...]]]
              ) -> tuple[np.ndarray, set[str]]:
    """(the group's rows taken at their first whole value, the values that disagree there until the recompute):
    the count, its limits as typed, and what the plan computes from either (checks on those wait for it)."""
    if not below_first:
        return np.zeros(0, dtype=np.intp), set()
    rows = np.unique(np.concatenate([at for at, _, _ in below_first.values()]))
    seeds = {n for name, (_, _, limits) in below_first.items() for n in (name, *limits)}
    return rows, seeds.union(*(computed_from(n, plan.steps) for n in seeds))


def broken_limits(rules: RuleSet, given: dict[str, FloatColumn], now: dict[str, FloatColumn], n: int) -> Mask:
    """Of n rows, those where a limit's value now (recomputed for a whole answer) is beyond the value typed for it
    (`given`, same rows): above a budget, below a floor, by more than float noise (1e-9). NaN breaks nothing."""
    broken = np.zeros(n, dtype=bool)
    for limit, typed in given.items():
        if rules.variables[limit].role == "floor":
            broken |= now[limit] < typed * (1 - 1e-9)
        else:
            broken |= now[limit] > typed * (1 + 1e-9)
    return broken
