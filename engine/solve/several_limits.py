"""A count asked under several limits at once: "the fewest H100s to train 7B on 1B tokens within 30 days and
100 GPU-days".

Each limit is an inequality (role budget: at most; floor: at least), but the planner reads every given as an
exact value. With two limits typed it took them as two equations: n_gpus = gpu_days / train_time = 3.33 (rounded
to 4 GPUs, the time recomputed as 25 days from the GPU-days), the performance model never asked, and 1B tokens
take 6 hours on those GPUs. Or, at a given mfu, it called the limits a contradiction where both were kept (1,183
GPU-days used of 2,000).

Here the group is solved once per budget, that budget given and the other budgets asked (computed for the
answer); a budget that does not set the count by itself is no trial (two budgets as the question, 600 GPU-days
in 30 days, stay two equations), and floors (mfu) stay given (limit_trials says why). Each budget bounds the
count from one side: a deadline from below (its trial gives the fewest GPUs that meet it), a GPU-day budget from
above (its trial, turned by the budget, gives the most within it). Per row the answer is the fewest count among
the trials' answers that keeps every other budget (the largest, for a count rounded down): the largest lower
bound, where any count keeps them all. The rows are then solved for real that way; the other budgets are shown
as typed beside their recomputed values, and a note says which one sets the answer. A row whose answers each
break another budget is refused, with the numbers. Only a whole-number answer rounded up or down gets this (a
count has a direction; the most tokens within two budgets would need one too).
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from ..errors import EngineError, EvaluationError
from ..messages import said_text
from ..text.formatting import format_quantity
from .batch_result import GIVEN, RECOMPUTED, Batch, Rows, keep
from .columns import Columns
from .evaluation import inputs_behind
from .first_whole import broken_limits
from .keys import Soft, writable
from .rowset import mask

if TYPE_CHECKING:
    from .batch import BatchSolver

NOTE = "limits."   # the code of the note naming the limit that sets the answer (batch.notes)
CONFLICTS_TOLD = 200   # refused rows told their own numbers (the rest: one text)


def limit_trials(solver: "BatchSolver", batch: Batch, rows: Rows, known: frozenset[str], selectors: dict[str, str],
                 targets: tuple[str, ...], soft: Soft) -> list[tuple[str, tuple[str, ...]]]:
    """(the budget a trial keeps given; the budgets it asks instead) for each budget that sets the count alone,
    when a count rounded up or down is asked under two or more typed budgets; [] otherwise. Floors (mfu) stay
    given in every trial: at perf_model=given mfu is how the run is assumed to go, and the mfu two budgets would
    need (0.47 where 0.4 was typed) is no answer. A trial counts only where its count is computed from its one
    budget: not from two of them as equations (600 GPU-days in 30 days is 20 GPUs: there the budgets are the
    question, and two that disagree stay a contradiction), nor from defaults alone (the batch's micro-batches)."""
    variables = solver.rules.variables
    counts = [t for t in targets if variables[t].domain == "integer" and variables[t].rounding in ("up", "down")]
    budgets = sorted(n for n in known if variables[n].role == "budget" and n not in targets)
    if len(counts) != 1 or len(budgets) < 2:   # (most groups: no work below, not even a sweep's row positions)
        return []
    index = np.asarray(rows)
    budgets = [n for n in budgets if (np.broadcast_to(batch.status[n], (batch.rows,))[index] == GIVEN).all()]
    if len(budgets) < 2:
        return []
    names = [n for n in soft if n not in known]
    trials = []
    for budget in budgets:
        dropped = tuple(n for n in budgets if n != budget)
        try:
            plan = solver.planner.plan(known - set(dropped), (*targets, *dropped), selectors, names)
        except EngineError:
            continue
        if inputs_behind(plan, counts) & set(budgets) == {budget}:
            trials.append((budget, dropped))
    return trials


def solve_by_each_limit(solver: "BatchSolver", batch: Batch, rows: Rows, known: frozenset[str],
                        selectors: dict[str, str], targets: tuple[str, ...], soft: Soft,
                        trials: list[tuple[str, tuple[str, ...]]]) -> None:
    """Solve the group's rows the way that gives each row's answer within every limit (module docstring)."""
    variables = solver.rules.variables
    count = next(t for t in targets if variables[t].domain == "integer" and variables[t].rounding in ("up", "down"))
    index = np.asarray(rows)
    asked = sorted({n for _, dropped in trials for n in dropped})
    typed = {n: np.array(np.broadcast_to(batch.values[n], (batch.rows,))[index], dtype=float) for n in asked}
    answers, kept, values = [], [], []
    for _, dropped in trials:   # each on a copy of the batch
        trial = _scratch(batch)
        solver._solve_group(trial, rows, known - set(dropped), selectors, (*targets, *dropped), soft)
        answer = _column(trial, count, index)   # (NaN: no plan this way)
        answer[trial.failed[index]] = np.nan
        ok = ~np.isnan(answer)
        now = {other: _column(trial, other, index) for other in dropped}
        for other in dropped:
            ok &= _kept(solver, other, now[other], typed[other])
        answers.append(answer)
        kept.append(ok)
        values.append(now)
    chosen = _best_kept(np.array(answers), np.array(kept), variables[count].rounding)
    # a row no answer keeps every limit for is solved the first way that gives an answer, then refused
    fallback = np.where(np.isnan(np.array(answers)).all(axis=0), 0, np.argmax(~np.isnan(np.array(answers)), axis=0))
    for which, trial_limits in enumerate(trials):
        at = np.flatnonzero(chosen == which)
        if len(at):
            _solve_for_real(solver, batch, (index[at], at), (known, selectors, targets, soft), trial_limits, typed)
        refused = np.flatnonzero((chosen < 0) & (fallback == which))
        if len(refused):
            _solve_for_real(solver, batch, (index[refused], refused), (known, selectors, targets, soft),
                            trial_limits, typed)
            _refuse(solver, batch, count, trial_limits[0], answers[which], values[which], typed,
                    (index, refused))


def _refuse(solver: "BatchSolver", batch: Batch, count: str, limit: str, answers: np.ndarray,
            values: dict[str, np.ndarray], typed: dict[str, np.ndarray], where: tuple[np.ndarray, np.ndarray]) -> None:
    """Rows whose answers each break another limit: told their own numbers (the first CONFLICTS_TOLD)."""
    index, refused = where
    for row in refused[:CONFLICTS_TOLD]:   # (the first error of a row stands: its own, if it had one)
        solver._row_error(batch, mask(index[row:row + 1], batch.rows), _conflict(
            solver, count, limit, answers[row], {o: (v[row], typed[o][row]) for o, v in values.items()}),
            EvaluationError)
    if len(refused) > CONFLICTS_TOLD:
        solver._row_error(batch, mask(index[refused[CONFLICTS_TOLD:]], batch.rows), said_text(
            "planner.limits.conflict", name=count, limits=", ".join([limit, *values])), EvaluationError)


def _conflict(solver: "BatchSolver", count: str, limit: str, answer: float,
              others: dict[str, tuple[float, float]]) -> str:
    """"n_gpus = 36 meets train_time but gives gpu_days = 1,060 days, beyond the 1,000 given"."""
    variables = solver.rules.variables
    broken = [(name, now, typed) for name, (now, typed) in others.items()
              if not _kept(solver, name, np.array([now]), np.array([typed]))[0]]
    if np.isnan(answer) or not broken:
        return said_text("planner.limits.conflict", name=count, limits=", ".join([limit, *others]))
    name, now, typed = broken[0]
    return said_text("planner.limits.conflict_at", name=count, value=format_quantity(variables[count], answer),
                     limit=limit, other=name, now=format_quantity(variables[name], float(now)),
                     typed=format_quantity(variables[name], float(typed)))


def _solve_for_real(solver: "BatchSolver", batch: Batch, where: tuple[np.ndarray, np.ndarray],
                    question: tuple[frozenset[str], dict[str, str], tuple[str, ...], Soft],
                    trial: tuple[str, tuple[str, ...]], typed: dict[str, np.ndarray]) -> None:
    """Rows `where` (batch rows, positions in the group) solved the trial's way: its dropped limits asked, then
    shown as typed beside their values for the answer (status recomputed); the note names what set it."""
    rows, at = where
    known, selectors, targets, soft = question
    kept_given, dropped = trial
    solver._solve_group(batch, rows, known - set(dropped), selectors, (*targets, *dropped), soft)
    for other in dropped:
        keep(batch.unrounded, other, rows, typed[other][at], batch.rows)
        if batch.status.get(other) is not None:
            writable(batch.status, other)[rows] = RECOMPUTED
    said = said_text("planner.limits.set_by", limit=kept_given, others=", ".join(dropped))
    batch.notes.append((f"{NOTE}{kept_given}", said, mask(rows, batch.rows)))


def _column(batch: Batch, name: str, index: np.ndarray) -> np.ndarray:
    """The rows `index` of a column (a copy), NaN where the batch has none."""
    if name not in batch.values:
        return np.full(len(index), np.nan)
    return np.array(np.broadcast_to(batch.values[name], (batch.rows,))[index], dtype=float)


def _kept(solver: "BatchSolver", name: str, now: np.ndarray, typed: np.ndarray) -> np.ndarray:
    """Rows where the limit `name` holds: not broken (first_whole.broken_limits), and computed at all."""
    return ~broken_limits(solver.rules, {name: typed}, {name: now}, len(now)) & np.isfinite(now)


def _best_kept(answers: np.ndarray, kept: np.ndarray, rounding: str) -> np.ndarray:
    """Per row, the trial whose answer keeps the other limits and is the fewest (a count rounded up), or the
    largest (rounded down); -1 where none keeps them. A limit bounds the count from one side: a deadline from
    below (its trial gives the fewest GPUs that meet it), a GPU-day budget from above (its trial, turned by the
    budget, the most GPUs within it). The fewest within every limit is the largest lower bound, which is a
    trial's answer and keeps the others where any count does; every other answer that keeps them is larger."""
    usable = np.where(kept, answers, np.nan)
    none = np.isnan(usable).all(axis=0)
    filled = np.where(np.isnan(usable), np.inf if rounding == "up" else -np.inf, usable)
    chosen = np.argmin(filled, axis=0) if rounding == "up" else np.argmax(filled, axis=0)
    return np.where(none, -1, chosen)


def _scratch(batch: Batch) -> Batch:
    """A copy of the batch a trial may write into: its own columns, statuses and findings."""
    values: Columns[np.ndarray] = Columns()
    for name in list(dict.keys(batch.values)):
        values[name] = batch.values[name]
    return dataclasses.replace(batch, values=values, status=dict(batch.status), warnings=[], groups=[],
                               unrounded={}, mismatches=[], notes=[], not_whole={}, failed=batch.failed.copy(),
                               owned=set(), row_group=None, given_errors=None)
