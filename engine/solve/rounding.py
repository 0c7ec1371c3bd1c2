"""Whole-number answers: round them in their declared direction and move them on to admissible values.

An integer the rules solve (n_gpus, grad_accum, tp) comes out as a real number; it is rounded as
its variable says (`rounding: up | down | nearest`), with a relative slack of 1e-12 so that float
noise does not add a GPU. Where admissibility checks apply (tp divides the heads, engine/solve/
admissible.py) the value moves on to the next admissible one; a value that rounds to 0 or has no
admissible value is that row's error. A group with rounded values is then recomputed
(engine/solve/recompute.py). A base class of BatchSolver (engine/solve/batch.py).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import EvaluationError
from ..messages import Nested, said_text
from ..rules.model import RuleSet
from ..rules.schema import Rounding
from ..text.formatting import format_quantity
from .admissible import admissible, downstream
from .batch_result import Batch, FloatColumn, Group, Rows, Value, keep
from .below_one import BelowOne, BelowOneRefusal, below_one_rows
from .evaluation import Env
from .first_whole import FIRST_WHOLE, broken_limits
from .planning import Plan, Planner
from .recompute import Recompute
from .rowset import mask

ADMISSIBLE_MESSAGES = 1000   # rows without an admissible value told one by one (the rest: one text)


class IntegerRounding(Recompute, BelowOneRefusal):
    """The rounding part of BatchSolver."""

    def __init__(self, rules: RuleSet, planner: Planner) -> None:
        super().__init__(rules, planner)
        # plain numeric defaults (gpus_per_node): admissibility checks may read them
        self._numeric_defaults = {n: float(v.default) for n, v in rules.variables.items()
                                  if v.default is not None and not v.categorical}

    def _round(self, batch: Batch, group: Group, plan: Plan, env: Env, rows: Rows, known: frozenset[str],
               selectors: dict[str, str], targets: tuple[str, ...], codes: dict[str, int]) -> None:
        after: set[str] = set()   # values computed from an integer already rounded: the recompute gives them
        pending: list[tuple[np.ndarray, str]] = []   # rows with no admissible value this way, and what to say
        under_one: BelowOne = {}   # answers below 1: taken at 1 for the recompute, then refused with what 1 takes
        integers = [u for u in plan.derived if self.rules.variables[u].domain == "integer"]
        for name in integers:
            if name in after or name not in plan.needed or _answer_below(plan, name, integers, targets):
                # (dp and grad_accum from a rounded n_gpus follow it, not their own rounding; a side value
                # is not rounded at the answer's cost: grad_accum = 1,000 / 64 = 15.625 beside dp = 64 asked
                # stays as it is, and batching.admissible_global_batch says why, instead of moving dp to 62.5)
                continue
            raw = env[name]
            rounding = self.rules.variables[name].rounding
            rounded = rounded_whole(raw, rounding)
            if not self._at_least_one(raw, rounding) and (zero := below_one_rows(raw, rounded, len(rows))).any():
                rounded = np.where(zero, 1.0, np.broadcast_to(np.asarray(rounded, dtype=float), zero.shape))
                under_one[name] = (zero, raw, rounding)
            moved = self._admissible(batch, group, plan, name, raw, rounded, rounding, env, rows, pending)
            if moved is not None:
                rounded = moved
            shown = self._shown_bounds(raw)
            if moved is None and shown is not None and shown[0] > 0 and (rounding == "up" or shown[0] >= 1):
                # a rounded count lies within a step of the raw bounds (and is at least 1)
                self._prove(rounded, (max(1.0, np.floor(shown[0]) - 1.0), np.ceil(shown[1]) + 1.0))
            below = group.below_first.get(name)   # (rows taken as their first whole value: no value before)
            if not _same_values(rounded, raw) or below is not None:   # (a row with NaN among changed rows too)
                keep(batch.unrounded, name, rows, raw if below is None else _without(raw, below[0], len(rows)),
                     batch.rows)
                env[name] = rounded
                group.rounded.append(name)
                after |= downstream(plan, name) - {name}
        turned = np.zeros(len(rows), dtype=bool)
        if group.rounded:
            self._recompute(batch, group, plan, env, rows, known, selectors, targets, codes)
            self._refuse_below_one(batch, plan, group.replan, env, rows, under_one)
            turned = self._keep_budgets(batch, group, plan, env, rows, known, (selectors, targets, codes))
            self._below_first_kept(batch, group, env, rows)
        for at, message in pending:   # (a row the budget turned the other way found its value there)
            at = at[~turned[at]]
            if len(at):
                self._row_error(batch, mask(rows[at], batch.rows), message, EvaluationError)

    def _keep_budgets(self, batch: Batch, group: Group, plan: Plan, env: Env, rows: Rows, known: frozenset[str],
                      question: tuple[dict[str, str], tuple[str, ...], dict[str, int]]) -> np.ndarray:
        """A whole-number answer keeps the budgets the user gave: pp for a bubble of at most 5 % is 4
        (4.37 rounded down, bubble 4.5 %), not 5 (5.9 %) as pp's declared rounding (up: the fewest stages
        that fit the memory) would make it. Rows where the declared direction breaks a budget take the
        other one; a budget is an upper limit, so with one rounded value the other direction keeps it.
        The budgets the recompute freed are the user's values it kept in batch.unrounded. Returns the rows
        turned."""
        name = group.rounded[0]
        rounding = self.rules.variables[name].rounding
        n = len(rows)
        if len(group.rounded) != 1 or rounding not in ("up", "down"):
            return np.zeros(n, dtype=bool)
        index = np.asarray(rows)
        given = {b: np.broadcast_to(batch.unrounded[b], (batch.rows,))[index] for b in known
                 if self.rules.variables[b].limit and b in batch.unrounded}
        given = {b: limit for b, limit in given.items() if not np.isnan(limit).all()}   # (freed in this group)
        now = {budget: np.broadcast_to(np.asarray(env[budget], dtype=float), (n,)) for budget in given}
        broken = broken_limits(self.rules, given, now, n) & ~batch.failed[index]   # (a floor: mfu at least 0.4)
        if not broken.any():
            return broken
        raw = np.broadcast_to(np.asarray(batch.unrounded[name], dtype=float)[np.asarray(rows)], (n,))
        other_way: Rounding = "down" if rounding == "up" else "up"
        other = np.asarray(rounded_whole(raw.copy(), other_way), dtype=float)
        found = admissible(self.rules, plan, name, other, other_way, env, self._numeric_defaults, self._compile)
        if found is not None:
            broken &= ~found.none
            other = found.values
        broken &= other >= 1
        if not broken.any():
            return broken
        env[name] = np.where(broken, other, np.broadcast_to(np.asarray(env[name], dtype=float), (n,)))
        for budget, limit in given.items():   # (the recompute keeps these as the values the user asked for)
            env[budget] = limit
        self._recompute(batch, group, plan, env, rows, known, *question)
        return broken

    def _below_first_kept(self, batch: Batch, group: Group, env: Env, rows: Rows) -> None:
        """Rows whose count was taken as its first whole value (engine/solve/first_whole.py): a note where the
        limits recomputed for it hold as typed, the refusal they would have had where not."""
        index = np.asarray(rows)
        for name, (at, message, limits) in group.below_first.items():
            given = {n: np.broadcast_to(batch.unrounded[n], (batch.rows,))[index[at]] for n in limits
                     if n in batch.unrounded}   # (the limits the recompute freed, as typed)
            now = {n: np.broadcast_to(np.asarray(env[n], dtype=float), (len(rows),))[at] for n in given}
            broken = broken_limits(self.rules, given, now, len(at))
            if broken.any():
                self._row_error(batch, mask(index[at[broken]], batch.rows), message, EvaluationError)
            values = np.broadcast_to(np.asarray(env[name], dtype=float), (len(rows),))[at]
            for value in np.unique(values[~broken]):   # (a note per value: 1, or 8 GPUs for tp = 8)
                said = said_text("planner.first_whole", name=name, value=f"{value:g}", limits=", ".join(limits))
                batch.notes.append((f"{FIRST_WHOLE}{name}", said, mask(index[at[~broken & (values == value)]],
                                                                     batch.rows)))

    def _admissible(self, batch: Batch, group: Group, plan: Plan, name: str, raw: Value, rounded: Value,
                    rounding: Rounding, env: Env, rows: Rows, pending: list[tuple[np.ndarray, str]]
                    ) -> FloatColumn | None:
        """The admissible values (tp divides heads, ...) where they differ from the plain rounding; None
        when nothing moved (engine/solve/admissible.py). Rows with none this way keep the plain rounding
        and their error goes to `pending`: a budget may turn them the other way (the most GPUs that keep
        the all-reduce under the compute, 670.4 with a global batch of 512, is 512, below the raw value)."""
        found = admissible(self.rules, plan, name, np.asarray(rounded, dtype=float), rounding, env,
                           self._numeric_defaults, self._compile)
        if found is None:
            return None
        group.admitted |= {v for c in found.used for v in c.variables}
        if not (found.moved.any() or found.none.any()):
            return None
        raw_rows = np.broadcast_to(np.asarray(raw, dtype=float), (len(rows),))
        direction = Nested("planner.admissible.largest" if rounding == "down" else "planner.admissible.smallest")
        reason = ", ".join(sorted(c.id for c in found.checks))
        if found.moved.any():
            first = int(np.flatnonzero(found.moved)[0])
            batch.notes.append((f"admissible.{name}",
                                said_text("planner.admissible", name=name, raw=f"{raw_rows[first]:.4g}",
                                          direction=direction, value=f"{found.values[first]:g}", reason=reason),
                                mask(rows[found.moved], batch.rows)))
        side = Nested("planner.admissible.below" if rounding == "down" else "planner.admissible.above")
        uses = sorted({v for c in found.checks for v in c.variables} - {name})
        none = np.flatnonzero(found.none)
        for i in none[:ADMISSIBLE_MESSAGES]:
            pending.append((np.array([i]), said_text("planner.admissible.none", name=name, raw=f"{raw_rows[i]:.4g}",
                                                     reason=reason, side=side,
                                                     uses=self._said_values(uses, env, i, len(rows)))))
        if len(none) > ADMISSIBLE_MESSAGES:
            pending.append((none[ADMISSIBLE_MESSAGES:], said_text("planner.admissible.none", name=name, raw="-",
                                                                  reason=reason, side=side, uses=", ".join(uses))))
        return np.where(found.none, np.broadcast_to(np.asarray(rounded, dtype=float), (len(rows),)), found.values)

    def _said_values(self, names: list[str], env: Env, row: int, n: int) -> str:
        """"global_batch = 512, n_gpus = 64, pp = 4": the values of row `row` (a default not in the
        plan's values: its default)."""
        said = []
        for name in names:
            value = env[name] if name in env else self._numeric_defaults.get(name)
            if value is None:
                said.append(name)
                continue
            shown = format_quantity(self.rules.variables[name], float(np.broadcast_to(value, (n,))[row]))
            said.append(f"{name} = {shown}")
        return ", ".join(said)

    def _at_least_one(self, raw: Value, rounding: Rounding) -> bool:
        """Every row of raw rounds to at least 1 (judged from raw's bounds; False: look closer)."""
        if isinstance(raw, (float, int)) or not raw.ndim or not len(raw):
            return False
        low = self._bounds(raw)[0]   # (NaN: False)
        return bool(low > 1e-300) if rounding == "up" else bool(low >= 1)


def rounded_whole(raw: Value, rounding: Rounding) -> Value:
    """raw rounded in its direction; relative slack of 1e-12: 64.0000000001 GPUs from float noise is
    64, not 65."""
    if rounding == "up":
        return _in_place(np.ceil, np.multiply(raw, 1 - 1e-12))
    if rounding == "down":
        return _in_place(np.floor, np.multiply(raw, 1 + 1e-12))
    return np.round(raw)


def _in_place(fn: Callable[..., FloatColumn], array: Value) -> Value:
    """fn(array) written into the (fresh) array itself."""
    if isinstance(array, np.ndarray) and array.ndim:
        return fn(array, out=array)
    return fn(array)


def _same_values(rounded: Value, raw: Value) -> bool:
    """np.array_equal(rounded, raw), deciding from the first row when it already differs. (Float noise
    on a whole value, 133.00000000000003, is rounded and recomputed like any other: snapping it without
    the recompute left the values after it noisy, dp = 0.9999999999999 refused as below 1.)"""
    if isinstance(rounded, np.ndarray) and isinstance(raw, np.ndarray) and rounded.ndim and raw.ndim \
            and len(rounded) and rounded[0] != raw[0]:
        return False
    return bool(np.array_equal(rounded, raw, equal_nan=True))


def _without(raw: Value, at: np.ndarray, n: int) -> FloatColumn:
    """raw with no value (NaN) at positions `at`."""
    out = np.array(np.broadcast_to(raw, (n,)), dtype=float)
    out[at] = np.nan
    return out


def _answer_below(plan: Plan, name: str, integers: list[str], targets: tuple[str, ...]) -> bool:
    """A whole-number step on the way to a whole-number answer (grad_accum = 57 on the way to micro_batch,
    from a 5 % bubble and a global batch of 1,024): the answer is rounded, and the recompute gives the
    step for it (64 at micro_batch 1). Rounding the step instead left the answer 1.123."""
    return name not in targets and any(t in integers for t in downstream(plan, name) & set(targets))
