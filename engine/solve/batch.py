"""The vectorized solving path: many rows in, values/errors/warnings out.

Rows are grouped by pattern (which variables are known, which conventions
are selected, what is asked); each group gets one plan from the Planner and
is evaluated with numpy over all its rows at once. A single question from
the command line is a batch of one row, so there is one code path.

    columns (base units, NaN = unknown; catalog keys as Categorical)
      -> expand catalog/convention keys (engine/solve/keys.py)
      -> group rows by pattern (row_groups.py) -> plan -> evaluate steps (evaluation.py)
      -> round integers (rounding.py) and recompute the budgets (recompute.py)
      -> consistency checks (errors) and advisory checks (warnings) (batch_checks.py)

The hot path avoids per-row Python: validity is checked with two reductions
(min/max) per column and masks are built only when something is wrong (column_bounds.py). It also
avoids per-row memory where a column has one value (broadcast views: constant
keys, their catalog figures, statuses), gathers a catalog figure of a varying
key column only when something reads it (columns.Columns), and keeps errors as a
bool mask (`failed`) with the message arrays made on first use (batch_result.py).
"""
from __future__ import annotations

import functools
import os
from typing import Iterator, Sequence

import numpy as np

from ..errors import EngineError, InternalSolveError, UnderdeterminedError, ValueParseError
from ..messages import text
from ..rules.model import RuleSet
from ..text.values import unknown_key_message
from .batch_checks import GroupChecks
from .batch_result import (
    CATALOG,
    DEFAULT,
    DERIVED,
    GIVEN,
    NONE,
    RECOMPUTED,
    SOLVED,
    STATUS_NAMES,
    Batch,
    Group,
    Mask,
    Rows,
    Value,
    has_error,
)
from .bounds import remember_bounds, remembered_bounds
from .columns import Columns
from .evaluation import Env, values_behind
from .factored import Factored
from .first_whole import unsettled
from .keys import Categorical, Soft, expand_keys, same, writable
from .planning import Plan, Planner
from .rounding import IntegerRounding
from .row_groups import asked_rows, constant_code, group_rows
from .rowset import Every, mask
from .several_limits import limit_trials, solve_by_each_limit
from .unused_givens import note_unused_givens

__all__ = ["CATALOG", "DEFAULT", "DERIVED", "GIVEN", "NONE", "RECOMPUTED", "SOLVED", "STATUS_NAMES",
           "Batch", "BatchSolver", "Categorical", "Columns", "Every", "Group"]

Pattern = tuple[Rows, frozenset[str], dict[str, str], tuple[str, ...]]   # rows, knowns, selectors, targets


class BatchSolver(IntegerRounding, GroupChecks):
    """Solves columns of scenarios against one rule set."""

    def __init__(self, rules: RuleSet, planner: Planner | None = None) -> None:
        super().__init__(rules, planner or Planner(rules))
        self._order = {name: i for i, name in enumerate(rules.variables)}
        self._answers: Soft = {}
        self._grid: Factored | None = None
        self._error_check_names = sorted({n for c in rules.checks if c.severity == "error" for n in c.variables})

    # -- entry point -------------------------------------------------------
    def solve(self, numbers: dict[str, np.ndarray], keys: dict[str, Categorical],
              targets: Sequence[tuple[str, ...]], row_targets: np.ndarray, rows: int,
              errors: np.ndarray | None = None, side_values: bool = True,
              failed: np.ndarray | None = None, grid: Factored | None = None) -> Batch:
        """Solve every row. side_values=False evaluates only the chain to the targets (big sweeps).
        grid: the rows are a cartesian product (a sweep): steps run once per combination of the axes
        they read where they can (engine/solve/factored.py).

        errors: per-row messages found before solving (those rows are skipped); failed: the same as
        a bool mask (errors != None), which saves a scan of the object array. Inputs are never
        written into."""
        self._side_values = side_values
        self._grid = grid
        self._forget_bounds()
        try:
            return self._solve(numbers, keys, targets, row_targets, rows, errors, failed)
        finally:
            self._forget_bounds()   # (the caches hold the columns)
            self._grid = None

    def _solve(self, numbers: dict[str, np.ndarray], keys: dict[str, Categorical],
               targets: Sequence[tuple[str, ...]], row_targets: np.ndarray, rows: int,
               errors: np.ndarray | None, failed: np.ndarray | None) -> Batch:
        values: Columns[np.ndarray] = Columns((name, np.asarray(col, dtype=float)) for name, col in numbers.items())
        status = self._input_status(values, rows)
        if errors is None:
            failed = same(rows, False, bool)   # (read-only: Batch.fail makes a new mask)
        elif failed is None:
            failed = has_error(errors) if rows else np.zeros(0, dtype=bool)
        else:
            failed = np.array(failed, dtype=bool)
        batch = Batch(rows, values, {}, status, [], [], list(targets), np.asarray(row_targets), failed=failed,
                      given_errors=errors if failed.any() else None)
        asked = asked_rows(targets, batch.row_targets)
        expansion = expand_keys(self.rules, values, status, keys, asked, rows,
                                lambda rows_, name, label: self._unknown_key(batch, rows_, name, label))
        batch.keys, batch.typed = expansion.keys, expansion.typed
        soft: Soft = dict(expansion.soft)
        for name, default in self._numeric_defaults.items():
            soft.setdefault(name, default)
        self._answers = expansion.answers
        for group_rows_, known, selectors, target in self._patterns(batch):
            self._solve_group_safely(batch, group_rows_, known, selectors, target, soft)
        self._advisories(batch)
        note_unused_givens(batch, numbers, self.rules)   # mfu typed beside a question no rule connects it to
        return batch

    def _input_status(self, values: Columns[np.ndarray], rows: int) -> dict[str, np.ndarray]:
        """GIVEN or NONE per row of every input column (one broadcast code where all rows agree)."""
        status = {}
        for name, col in dict.items(values):
            known = self._known_column(col)
            self._known_inputs[name] = (col, known)
            if known is True:
                status[name] = _same(rows, GIVEN)
            elif known is False:
                status[name] = _same(rows, NONE)
            else:   # True/False are exactly the codes GIVEN/NONE
                status[name] = known.astype(np.int8)
        return status

    def _unknown_key(self, batch: Batch, rows: Mask, name: str, label: str) -> None:
        message = unknown_key_message(self.rules.variables[name], self.rules.tables.get(name), label)
        self._row_error(batch, rows, message, ValueParseError)

    # -- grouping ----------------------------------------------------------
    def _patterns(self, batch: Batch) -> Iterator[Pattern]:
        names = sorted(batch.values)
        selectors = sorted(self.rules.selectors)
        rows = batch.rows
        if not rows:
            return
        known_cols = [self._known(batch.values, n) for n in names]   # a bool where every row agrees
        sel_keys = [batch.keys.get(s) for s in selectors]
        uniform = all(isinstance(c, bool) for c in known_cols) and \
            all(k is None or k.constant() is not None for k in sel_keys) and \
            constant_code(batch.row_targets) is not None
        sel_codes = [k.codes if k is not None else _same(rows, -1) for k in sel_keys]
        groups: list[tuple[int, Mask | None]] = [(0, None)]
        if not uniform:
            full = [np.broadcast_to(c, (rows,)) for c in known_cols]
            first, inverse = group_rows(full + sel_codes + [batch.row_targets])
            groups = [(int(row0), inverse == g) for g, row0 in enumerate(first)]
        ok = None if not batch.failed.any() else ~batch.failed
        for row0, member in groups:
            member_rows: Rows
            if member is None:
                member_rows = Every(rows) if ok is None else np.flatnonzero(ok)
            else:
                member_rows = np.flatnonzero(member if ok is None else member & ok)
            if not len(member_rows):
                continue
            known = frozenset(n for n, c in zip(names, known_cols) if (c if isinstance(c, bool) else c[row0]))
            chosen = {}
            for s, codes in zip(selectors, sel_codes):
                code = codes[row0]
                chosen[s] = batch.keys[s].labels[code] if code >= 0 else str(self.rules.variables[s].default)
            yield member_rows, known, chosen, batch.targets[int(batch.row_targets[row0])]

    # -- one group -----------------------------------------------------------
    def _solve_group_safely(self, batch: Batch, rows: Rows, known: frozenset[str],
                            selectors: dict[str, str], targets: tuple[str, ...], soft: Soft) -> None:
        """One group; a bug while solving it becomes those rows' error, never the other rows' loss."""
        try:
            self._solve_group(batch, rows, known, selectors, targets, soft)
        except EngineError as exc:
            self._row_error(batch, mask(rows, batch.rows), str(exc), exc)
        except Exception as exc:  # noqa: BLE001 - a bug must cost only its own rows (issue #18)
            if os.environ.get("LLMPLAN_DEBUG"):
                raise
            message = text("planner.internal_error", error=f"{type(exc).__name__}: {exc}"[:300],
                           knowns=", ".join(sorted(known)), targets=", ".join(targets))
            self._row_error(batch, mask(rows, batch.rows), message, InternalSolveError(message))

    def _solve_group(self, batch: Batch, rows: Rows, known: frozenset[str], selectors: dict[str, str],
                     targets: tuple[str, ...], soft: Soft) -> None:
        trials = limit_trials(self, batch, rows, known, selectors, targets, soft)
        if trials:   # (a count under a deadline and a GPU-day budget: engine/solve/several_limits.py)
            solve_by_each_limit(self, batch, rows, known, selectors, targets, soft, trials)
            return
        whole = len(rows) == batch.rows
        usable = {n: v for n, v in soft.items() if n not in known and _complete(v, rows, whole)}
        ordered = dict(sorted(usable.items(), key=lambda kv: self._order.get(kv[0], 0)))
        try:
            plan, catalog = self._plan_group(rows, known, selectors, targets, ordered, whole)
        except EngineError as exc:
            batch.groups.append(Group(rows, None, error=str(exc)))
            self._row_error(batch, mask(rows, batch.rows), str(exc), exc)
            return
        group = Group(rows, plan)
        batch.groups.append(group)
        env = self._env(batch, rows, plan, dict(ordered, **catalog), whole, set(catalog))
        codes: dict[str, int] = {n: DEFAULT for n in plan.defaults}
        codes.update({n: CATALOG for n in catalog})
        if self._side_values:
            steps = plan.steps
        else:
            path = self._path(plan)
            steps = [s for s in plan.steps if set(s.unknowns) & path]
        if whole and self._grid is not None and self._grid.rows == batch.rows:
            steps = self._run_factored(plan, env, targets, codes, steps, self._grid)
        self._run(batch, plan, env, rows, targets, codes, steps, group)
        # The givens among themselves, before any rounding: a replan frees and recomputes the budgets
        # (gpu_hours, gpu_days for the rounded n_gpus), and two of them that disagree must not pass unseen.
        self._consistency(batch, plan, env, rows, unsettled=unsettled(plan, group.below_first))
        # (the rounding replaces values: the layout as given, which an error check's refusal tells)
        before = env.subset([n for n in self._error_check_names if n in env])
        self._round(batch, group, plan, env, rows, known, selectors, targets, codes)
        if group.rounded:   # then what the whole numbers (and the values recomputed for them) must meet
            after = group.replan or plan
            changed = set(group.rounded) | (set(after.derived) if group.replan else set())
            done = {eq.id for eq in plan.checks}
            self._consistency(batch, after, env, rows, frozenset(group.rounded),
                              skip={eq.id for eq in after.checks if eq.id in done and not eq.variables & changed},
                              defaults=frozenset(plan.defaults), before=before)
        self._overridden_defaults(batch, plan, env, rows, ordered)
        for name in list(env):
            code = codes.get(name)
            if code is not None:   # (known inputs are already in batch.values)
                self._store(batch, name, rows, env[name], whole, code)

    def _path(self, plan: Plan) -> set[str]:
        """What a solve without side values derives: the targets' path, and what the warning checks on it
        read (memory_per_gpu asked: usable_gpu_memory too, so "does not fit" can fire in a sweep)."""
        derivable = (set(plan.knowns) | set(plan.derived)) - plan.watched   # (a lean sweep's fit: ask memory_fill)
        extra = [v for check in self.rules.checks if check.severity == "warning" and check.variables & plan.needed
                 and check.variables <= derivable for v in check.variables]
        return set(plan.needed) | (values_behind(plan, extra) if extra else set())

    def _plan_group(self, rows: Rows, known: frozenset[str], selectors: dict[str, str], targets: tuple[str, ...],
                    soft: Soft, whole: bool) -> tuple[Plan, Soft]:
        """The group's plan, and the catalog figures that answer what the rules cannot determine."""
        try:
            return self.planner.plan(known, targets, selectors, soft), {}
        except UnderdeterminedError as exc:
            # asked for a figure the typed key has (peak_flops gpu=H100-SXM): the catalog answers
            answers = {t: self._answers[t] for t in exc.missing
                       if t in self._answers and _complete(self._answers[t], rows, whole)}
            if not answers or set(exc.missing) - set(answers):
                raise
            catalog: Soft = {n: _rows_of(v, rows, whole) for n, v in answers.items()}
            return self.planner.plan(known | set(catalog), targets, selectors, soft), catalog

    def _env(self, batch: Batch, rows: Rows, plan: Plan, soft: Soft, whole: bool,
             from_soft: set[str] | frozenset[str] = frozenset()) -> Env:
        env: Env = Columns()
        values = batch.values
        for name in plan.knowns:
            if name in from_soft:
                env[name] = _rows_of(soft[name], rows, whole)
            elif name not in plan.defaults and values.is_deferred(name):
                # a catalog figure is gathered only if a step or check of this group reads it
                env.defer(name, functools.partial(_gather, values, name, rows, whole), values.bounds_of(name))
            else:
                env[name] = _rows_of(soft[name] if name in plan.defaults else values[name], rows, whole)
        return env

    def _store(self, batch: Batch, name: str, rows: Rows, col: Value, whole: bool, code: int) -> None:
        if whole:
            if not isinstance(col, np.ndarray) or col.ndim == 0:
                col = same(batch.rows, float(col), np.float64)   # one value: no per-row memory
            elif not col.flags.writeable or any(col is other for other in dict.values(batch.values)):
                # an identity (gpu_hours = gpu_seconds) or a read-only input: share the numbers
                # through a read-only view
                col = _read_only_view(col)
            else:
                batch.owned.add(name)
            batch.values[name] = np.asarray(col, dtype=float)
            batch.status[name] = _same(batch.rows, code)
            return
        target = batch.values.get(name)
        if target is None:
            target = batch.values[name] = np.full(batch.rows, np.nan)
        elif name not in batch.owned or not target.flags.writeable:
            target = batch.values[name] = target.copy()   # the caller's input array: never write into it
        batch.owned.add(name)
        target[rows] = col
        if batch.status.get(name) is None:
            batch.status[name] = np.zeros(batch.rows, dtype=np.int8)
        writable(batch.status, name)[rows] = code


def _same(rows: int, code: int) -> np.ndarray:
    """A read-only int8 status column with one code in every row (no per-row memory)."""
    return same(rows, int(code), np.int8)


def _read_only_view(col: np.ndarray) -> np.ndarray:
    view = col.view()
    view.flags.writeable = False
    known = remembered_bounds(col)
    if known is not None:   # (the same numbers: the same min/max)
        remember_bounds(view, *known)
    return view


def _gather(values: Columns[np.ndarray], name: str, rows: Rows, whole: bool) -> np.ndarray:
    """A group's rows of a catalog figure, gathered when a step or check first reads it."""
    return values[name] if whole else values[name][rows]


def _rows_of(value: Value, rows: Rows, whole: bool) -> Value:
    """A group's rows of a value (a single number stays one)."""
    if whole or not isinstance(value, np.ndarray) or value.ndim == 0:
        return value
    return value[rows]


def _complete(value: Value, rows: Rows, whole: bool = False) -> bool:
    """A soft value usable for every row of a group."""
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return not np.isnan(value)
    return not np.isnan(value if whole else value[rows]).any()

