"""The vectorized solving path: many rows in, values/errors/warnings out.

Rows are grouped by pattern (which variables are known, which conventions
are selected, what is asked); each group gets one plan from the Planner and
is evaluated with numpy over all its rows at once. A single question from
the command line is a batch of one row, so there is one code path.

    columns (base units, NaN = unknown; catalog keys as Categorical)
      -> expand catalog/convention keys (engine/solve/keys.py)
      -> group rows by pattern -> plan -> evaluate steps -> round integers
      -> consistency checks (errors) and advisory checks (warnings)

The hot path avoids per-row Python: validity is checked with two reductions
(min/max) per column and masks are built only when something is wrong. It also
avoids per-row memory where a column has one value (broadcast views: constant
keys, their catalog figures, statuses), gathers a catalog figure of a varying
key column only when something reads it (keys.Columns), and keeps errors as a
bool mask (`failed`) with the message arrays made on first use.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np

from ..errors import EngineError, EvaluationError, InternalSolveError, UnderdeterminedError, ValueParseError
from ..rules.model import RuleSet
from ..text.messages import Nested, said_text, text
from ..text.values import unknown_key_message
from .admissible import admissible
from .batch_checks import GroupChecks, inputs_behind
from .keys import CATALOG, GIVEN, NONE, Categorical, Columns, Soft, expand_keys, same, writable
from .mismatch import RuleMismatch
from .no_effect import independent_of
from .numeric import compile_tree, domain_mask, find_root, interval, remembered_bounds, within_domain
from .planning import Plan, Planner, Step
from .rowset import Every
from .rowset import column as _column
from .rowset import mask as _mask

__all__ = ["Batch", "BatchSolver", "Categorical", "Columns", "Group", "STATUS_NAMES"]


_DOMAIN_MESSAGES = 200   # rows with a value outside its domain told one by one (the rest: one text)

# status codes per cell
DEFAULT, SOLVED, DERIVED, RECOMPUTED = 3, 4, 5, 6
STATUS_NAMES = ("", "given", "catalog", "default", "solved", "derived", "recomputed")
_ = (NONE, GIVEN, CATALOG)  # re-exported codes 0..2 live in engine/solve/keys.py


@dataclass
class Group:
    """Rows sharing one plan. `rows`: their indices (for a group of every row, made when first read)."""

    index: "np.ndarray | Every"
    plan: Plan | None
    rounded: list[str] = field(default_factory=list)
    replan: Plan | None = None     # plan after integer answers were rounded
    error: str = ""                # planning error shared by every row of the group

    @property
    def rows(self) -> np.ndarray:
        if isinstance(self.index, Every):
            self.index = np.asarray(self.index)
        return self.index


@dataclass
class Batch:
    """Solved columns. `errors` (object: str or None) and `error_kinds` (object: EngineError subclass
    or instance, or None) are made on first use; `failed` (bool per row) says the same at once.
    Columns may be read-only (broadcast views, the caller's arrays): copy before writing."""

    rows: int
    values: dict[str, np.ndarray]
    keys: dict[str, Categorical]
    status: dict[str, np.ndarray]
    warnings: list[tuple[str, np.ndarray]]              # (check id, row mask)
    groups: list[Group]
    targets: list[tuple[str, ...]]
    row_targets: np.ndarray                             # code into targets
    unrounded: dict[str, np.ndarray] = field(default_factory=dict)   # values before rounding/recomputing
    typed: dict[str, np.ndarray] = field(default_factory=dict)       # key columns: typed by the user (not default)
    mismatches: list[RuleMismatch] = field(default_factory=list)  # approximate eq, gap per row
    notes: list[tuple[str, str, np.ndarray]] = field(default_factory=list)   # (code, message, row mask)
    failed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))   # bool per row: has an error
    owned: set[str] = field(default_factory=set)        # value arrays allocated here (safe to write into)
    row_group: np.ndarray | None = field(default=None, repr=False)   # row -> position in groups (group_of)
    given_errors: np.ndarray | None = field(default=None, repr=False)   # the caller's (never written into)
    _errors: np.ndarray | None = field(default=None, init=False, repr=False)
    _kinds: np.ndarray | None = field(default=None, init=False, repr=False)

    @property
    def errors(self) -> np.ndarray:
        """Per row: the error message, or None."""
        if self._errors is None:
            self._errors = np.full(self.rows, None, dtype=object) if self.given_errors is None else \
                np.array(self.given_errors, dtype=object)
        return self._errors

    @property
    def error_kinds(self) -> np.ndarray:
        """Per row: the EngineError subclass (or instance) of the error, or None."""
        if self._kinds is None:
            self._kinds = np.full(self.rows, None, dtype=object)
            if self.given_errors is not None:
                self._kinds[np.not_equal(self.given_errors, None)] = ValueParseError
        return self._kinds

    def fail(self, mask: np.ndarray, message: str, kind: "type | EngineError") -> None:
        """Rows of `mask` get this error unless they already have one (the first error is the cause)."""
        fresh = mask & ~self.failed
        if not fresh.any():
            return
        errors, kinds = self.errors, self.error_kinds
        errors[fresh] = message
        kinds[fresh] = kind
        self.failed = self.failed | fresh

    def group_of(self, row: int) -> Group | None:
        """The group a row was planned in (None: it failed before planning). One index for all rows,
        built on first use, so asking for many rows costs no scan per row."""
        if self.row_group is None:
            index = np.full(self.rows, -1, dtype=np.int64)
            for position, group in enumerate(self.groups):
                index[group.rows] = position
            self.row_group = index
        position = int(self.row_group[row])
        return self.groups[position] if position >= 0 else None


class BatchSolver(GroupChecks):
    """Solves columns of scenarios against one rule set."""

    def __init__(self, rules: RuleSet, planner: Planner | None = None) -> None:
        self.rules = rules
        self.planner = planner or Planner(rules)
        self._order = {name: i for i, name in enumerate(rules.variables)}
        self._compiled: dict[int, tuple] = {}
        self._side_values = True
        self._known_inputs: dict[str, tuple[np.ndarray, "np.ndarray | bool"]] = {}
        self._stats: dict[int, tuple[np.ndarray, float, float]] = {}   # this solve's column min/max
        self._proven: dict[int, tuple[np.ndarray, float, float]] = {}  # bounds shown by numeric.interval
        self._answers: Soft = {}
        self._numeric_defaults = {n: v.default for n, v in rules.variables.items()
                                  if v.default is not None and not v.categorical}

    # -- entry point -------------------------------------------------------
    def solve(self, numbers: dict[str, np.ndarray], keys: dict[str, Categorical],
              targets: Sequence[tuple[str, ...]], row_targets: np.ndarray, rows: int,
              errors: np.ndarray | None = None, side_values: bool = True,
              failed: np.ndarray | None = None) -> Batch:
        """Solve every row. side_values=False evaluates only the chain to the targets (big sweeps).

        errors: per-row messages found before solving (those rows are skipped); failed: the same as
        a bool mask (errors != None), which saves a scan of the object array. Inputs are never
        written into."""
        self._side_values = side_values
        self._stats, self._proven = {}, {}
        try:
            return self._solve(numbers, keys, targets, row_targets, rows, errors, failed)
        finally:
            self._stats, self._proven, self._known_inputs = {}, {}, {}   # (they hold the columns)

    def _solve(self, numbers: dict[str, np.ndarray], keys: dict[str, Categorical],
               targets: Sequence[tuple[str, ...]], row_targets: np.ndarray, rows: int,
               errors: np.ndarray | None, failed: np.ndarray | None) -> Batch:
        values = Columns((name, np.asarray(col, dtype=float)) for name, col in numbers.items())
        status = {}
        self._known_inputs = {}
        for name, col in dict.items(values):
            known = self._known_column(col)
            self._known_inputs[name] = (col, known)
            if known is True:
                status[name] = _same(rows, GIVEN)
            elif known is False:
                status[name] = _same(rows, NONE)
            else:   # True/False are exactly the codes GIVEN/NONE
                status[name] = known.astype(np.int8)
        if errors is None:
            failed = same(rows, False, bool)   # (read-only: Batch.fail makes a new mask)
        elif failed is None:
            failed = np.not_equal(errors, None).astype(bool) if rows else np.zeros(0, dtype=bool)
        else:
            failed = np.array(failed, dtype=bool)
        batch = Batch(rows, values, {}, status, [], [], list(targets), np.asarray(row_targets), failed=failed,
                      given_errors=errors if failed.any() else None)
        asked = _asked(targets, batch.row_targets)
        expansion = expand_keys(self.rules, values, status, keys, asked, rows,
                                lambda mask, name, label: self._unknown_key(batch, mask, name, label))
        batch.keys, batch.typed = expansion.keys, expansion.typed
        soft: Soft = dict(expansion.soft)
        for name, default in self._numeric_defaults.items():
            soft.setdefault(name, default)
        self._answers = expansion.answers
        for group_rows, known, selectors, target in self._patterns(batch):
            self._solve_group_safely(batch, group_rows, known, selectors, target, soft)
        self._advisories(batch)
        return batch

    def _finite_bounds(self, col: "np.ndarray | float") -> "tuple[float, float] | None":
        low, high = self._bounds(col)
        return None if np.isnan(low) or np.isnan(high) else (low, high)

    def _unknown_key(self, batch: Batch, mask: np.ndarray, name: str, label: str) -> None:
        message = unknown_key_message(self.rules.variables[name], self.rules.tables.get(name), label)
        self._row_error(batch, mask, message, ValueParseError)

    def _row_error(self, batch: Batch, mask: np.ndarray, message: str, kind: type | EngineError) -> None:
        """First error of a row wins: it is the cause, later ones are consequences."""
        batch.fail(mask, message, kind)

    # -- grouping ----------------------------------------------------------
    def _patterns(self, batch: Batch) -> Iterator[tuple[np.ndarray, frozenset[str], dict[str, str], tuple]]:
        names = sorted(batch.values)
        selectors = sorted(self.rules.selectors)
        rows = batch.rows
        if not rows:
            return
        known_cols = [self._known(batch.values, n) for n in names]   # a bool where every row agrees
        sel_keys = [batch.keys.get(s) for s in selectors]
        uniform = all(np.ndim(c) == 0 for c in known_cols) and \
            all(k is None or k.constant() is not None for k in sel_keys) and _constant(batch.row_targets) is not None
        sel_codes = [k.codes if k is not None else _same(rows, -1) for k in sel_keys]
        if uniform:
            groups = [(0, None)]
        else:
            full = [np.broadcast_to(c, (rows,)) for c in known_cols]
            first, inverse = _group_rows(full + sel_codes + [batch.row_targets])
            groups = [(row0, inverse == g) for g, row0 in enumerate(first)]
        clean = not batch.failed.any()
        ok = None if clean else ~batch.failed
        for row0, member in groups:
            if member is None:
                member_rows = Every(rows) if clean else np.flatnonzero(ok)
            else:
                member_rows = np.flatnonzero(member if clean else member & ok)
            if not len(member_rows):
                continue
            known = frozenset(n for n, c in zip(names, known_cols) if (c if np.ndim(c) == 0 else c[row0]))
            chosen = {}
            for s, codes in zip(selectors, sel_codes):
                code = codes[row0]
                chosen[s] = batch.keys[s].labels[code] if code >= 0 else str(self.rules.variables[s].default)
            yield member_rows, known, chosen, batch.targets[int(batch.row_targets[row0])]

    def _known(self, values: Columns, name: str) -> "np.ndarray | bool":
        if values.is_deferred(name):
            return True   # a catalog figure every row has (see keys.Columns)
        col = values[name]
        cached = self._known_inputs.get(name)
        if cached is not None and cached[0] is col:
            return cached[1]
        return self._known_column(col)

    def _known_column(self, col: np.ndarray) -> "np.ndarray | bool":
        """Which rows are known; a plain bool when all rows agree (no mask when none is NaN)."""
        if not len(col):
            return True
        if not np.isnan(self._bounds(col)[0]):
            return True
        mask = ~np.isnan(col)
        return mask if mask.any() else False

    def _bounds(self, col: "np.ndarray | float", reduce: bool = True) -> "tuple[float, float] | None":
        """(low, high) with every value of the column in between (NaN, NaN if a row is NaN): the
        exact min/max (reduced once per column and solve, or the table reader's), or bounds shown
        by numeric.interval (no NaN, maybe wider than min/max). None when unknown and not `reduce`."""
        if np.ndim(col) == 0:
            return float(col), float(col)
        if col.ndim == 1 and col.strides[0] == 0 and len(col):   # a broadcast column: one value
            return float(col[0]), float(col[0])
        known = remembered_bounds(col)        # the table reader's (engine/table/columns.py)
        if known is not None:
            return known
        for cache in (self._stats, self._proven):
            hit = cache.get(id(col))
            if hit is not None and hit[0] is col:
                return hit[1], hit[2]
        if not reduce:
            return None
        return self._exact_bounds(col)

    def _exact_bounds(self, col: np.ndarray) -> tuple[float, float]:
        known = remembered_bounds(col)
        if known is not None:
            return known
        hit = self._stats.get(id(col))
        if hit is not None and hit[0] is col:
            return hit[1], hit[2]
        low, high = float(col.min()), float(col.max())
        self._stats[id(col)] = (col, low, high)
        return low, high

    def _prove(self, col: np.ndarray, bounds: "tuple[float, float] | None") -> None:
        if bounds is not None and isinstance(col, np.ndarray) and col.ndim == 1:
            self._proven[id(col)] = (col, bounds[0], bounds[1])

    def _env_bounds(self, env: dict, name: str) -> "tuple[float, float] | None":
        """Bounds of env[name] known without a pass over the rows (None: unknown)."""
        if isinstance(env, Columns):
            known = env.bounds_of(name)
            if known is not None:
                return known
            if env.is_deferred(name):
                return None
        value = env.get(name)
        return None if value is None else self._bounds(value, reduce=False)

    # -- evaluation ----------------------------------------------------------
    def _solve_group_safely(self, batch: Batch, rows: np.ndarray, known: frozenset[str],
                            selectors: dict[str, str], targets: tuple[str, ...], soft: Soft) -> None:
        """One group; a bug while solving it becomes those rows' error, never the other rows' loss."""
        try:
            self._solve_group(batch, rows, known, selectors, targets, soft)
        except EngineError as exc:
            self._row_error(batch, _mask(rows, batch.rows), str(exc), exc)
        except Exception as exc:  # noqa: BLE001 - a bug must cost only its own rows (issue #18)
            if os.environ.get("LLMPLAN_DEBUG"):
                raise
            message = text("planner.internal_error", error=f"{type(exc).__name__}: {exc}"[:300],
                           knowns=", ".join(sorted(known)), targets=", ".join(targets))
            self._row_error(batch, _mask(rows, batch.rows), message, InternalSolveError(message))

    def _solve_group(self, batch: Batch, rows: np.ndarray, known: frozenset[str], selectors: dict[str, str],
                     targets: tuple[str, ...], soft: Soft) -> None:
        whole = len(rows) == batch.rows
        usable = {n: v for n, v in soft.items() if n not in known and _complete(v, rows, whole)}
        ordered = dict(sorted(usable.items(), key=lambda kv: self._order.get(kv[0], 0)))
        catalog: dict[str, "np.ndarray | float"] = {}
        try:
            try:
                plan = self.planner.plan(known, targets, selectors, ordered)
            except UnderdeterminedError as exc:
                # asked for a figure the typed key has (peak_flops gpu=H100-SXM): the catalog answers
                answers = {t: self._answers[t] for t in exc.missing
                           if t in self._answers and _complete(self._answers[t], rows, whole)}
                if not answers or set(exc.missing) - set(answers):
                    raise
                catalog = {n: (v if np.ndim(v) == 0 or whole else v[rows]) for n, v in answers.items()}
                plan = self.planner.plan(known | set(catalog), targets, selectors, ordered)
        except EngineError as exc:
            batch.groups.append(Group(rows, None, error=str(exc)))
            self._row_error(batch, _mask(rows, batch.rows), str(exc), exc)
            return
        group = Group(rows, plan)
        batch.groups.append(group)
        env = self._env(batch, rows, plan, dict(ordered, **catalog), whole, set(catalog))
        codes: dict[str, int] = {n: DEFAULT for n in plan.defaults}
        codes.update({n: CATALOG for n in catalog})
        steps = None if self._side_values else [s for s in plan.steps if set(s.unknowns) & plan.needed]
        self._run(batch, plan, env, rows, targets, codes, steps)
        self._round(batch, group, env, rows, known, selectors, targets, codes)
        self._consistency(batch, group.replan or plan, env, rows, frozenset(group.rounded))
        self._overridden_defaults(batch, plan, env, rows, ordered)
        for name in list(env):
            code = codes.get(name)
            if code is not None:   # (known inputs are already in batch.values)
                self._store(batch, name, rows, env[name], whole, code)

    def _env(self, batch: Batch, rows: np.ndarray, plan: Plan, soft: Soft, whole: bool,
             from_soft: "set[str] | frozenset[str]" = frozenset()) -> Columns:
        env = Columns()
        values = batch.values
        for name in plan.knowns:
            if name in from_soft:
                source = soft[name]
                env[name] = source if whole or np.ndim(source) == 0 else source[rows]
                continue
            if name not in plan.defaults and values.is_deferred(name):
                # a catalog figure is gathered only if a step or check of this group reads it
                env.defer(name, (lambda name=name: values[name]) if whole else
                          (lambda name=name: values[name][rows]), values.bounds_of(name))
                continue
            source = soft[name] if name in plan.defaults else values[name]
            env[name] = source if whole or np.ndim(source) == 0 else source[rows]
        return env

    def _run(self, batch: Batch, plan: Plan, env: dict, rows: np.ndarray, targets: tuple,
             codes: dict[str, int], steps: list[Step] | None = None) -> None:
        n = len(rows)
        for step in plan.steps if steps is None else steps:
            results, bad = self._step(step, env, n)
            for name, col in results.items():
                env[name] = col
                codes[name] = SOLVED if name in targets else DERIVED
            if bad is None or not bad.any():
                continue
            eq_ids = ", ".join(e.id for e in step.equations)
            message = said_text("planner.domain.none", names=", ".join(step.unknowns), rules=eq_ids)
            if set(step.unknowns) & plan.needed:   # (a side value without a root stays a note, below)
                bad = self._no_effect(batch, step, env, rows, bad, eq_ids)
                if not bad.any():
                    continue
            # Every value the plan derives, side values included, must lie in its domain: mfu = 75
            # from the givens is a contradiction of the givens, not a value to leave out (#13 §4).
            bad_rows = np.flatnonzero(bad)
            needed = bool(set(step.unknowns) & plan.needed)
            for i in bad_rows[:_DOMAIN_MESSAGES]:
                implied = self._outside_domain(step, env, int(i), n)
                # (a side value below 0 of a nonnegative excess, repetitions = epochs - 1 for half an
                # epoch, says the rule does not apply, not that the givens are wrong: it stays a note)
                if implied is not None and (needed or self.rules.variables[implied[0]].domain != "nonnegative"):
                    self._row_error(batch, _mask(rows[i:i + 1], batch.rows),
                                    self._domain_message(plan, step, *implied), EvaluationError)
            if needed or len(bad_rows) > _DOMAIN_MESSAGES:
                self._row_error(batch, _mask(rows[bad], batch.rows), message, EvaluationError)
            else:   # a side value with no real root at all stays empty, and the row says why
                batch.notes.append((f"incomplete.{step.unknowns[0]}", message, _mask(rows[bad], batch.rows)))

    def _no_effect(self, batch: Batch, step: Step, env: dict, rows: np.ndarray, bad: np.ndarray,
                   eq_ids: str) -> np.ndarray:
        """Rows whose numeric step does not depend on its unknown (QK-norm off: heads drops out of the
        count) are under-determined, not out of domain; the rest of `bad` is returned."""
        if step.residual is None or len(step.unknowns) != 1:   # (numeric and torn steps have one)
            return bad
        name = step.unknowns[0]
        index = np.flatnonzero(bad)
        part = {k: (v[index] if isinstance(v, np.ndarray) and v.shape == bad.shape else v) for k, v in env.items()}
        flat = independent_of(self._compile(step.residual), name, part, len(index), self.rules.variables[name].domain)
        if flat.any():
            self._row_error(batch, _mask(rows[index[flat]], batch.rows),
                            said_text("planner.no_effect", name=name, rules=eq_ids), UnderdeterminedError)
            bad = bad.copy()
            bad[index[flat]] = False
        return bad

    def _outside_domain(self, step: Step, env: dict, i: int, n: int) -> "tuple[str, float] | None":
        """(unknown, value) of the first closed form that is real and finite in row i but outside
        the unknown's domain; None when no closed form gives a real value there."""
        for candidate in step.candidates:
            for name, tree in candidate.items():
                with np.errstate(all="ignore"):
                    value = float(np.broadcast_to(_column(self._compile(tree)(env), n), (n,))[i])
                # (0 from an underflow, 1e-300 days, is no value the givens imply: the plain message)
                if np.isfinite(value) and abs(value) > 1e-290 \
                        and not domain_mask(self.rules.variables[name].domain, np.array([value]))[0]:
                    return name, value
        return None

    def _domain_message(self, plan: Plan, step: Step, name: str, value: float) -> str:
        variable = self.rules.variables[name]
        shown = value / variable.factor
        rules = ", ".join(e.id for e in step.equations)
        givens = ", ".join(sorted(_inputs_of(plan, step))) or "-"
        if variable.domain == "fraction" and value > 1:
            return said_text("planner.domain.above", name=name, value=f"{shown:.4g}", limit="1", shown=" (100 %)",
                        rule=rules, givens=givens)
        requirement = Nested(f"planner.requirement.{variable.domain}") \
            if variable.domain in ("positive", "nonnegative", "fraction", "integer") else variable.domain
        return said_text("planner.domain.below", name=name, value=f"{shown:.4g}",
                    limit="0" if variable.domain != "integer" else "0", requirement=requirement,
                    rule=rules, givens=givens)

    def _step(self, step: Step, env: dict, n: int) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        """Values of the step's unknowns, and the rows without a valid value (None: all valid)."""
        with np.errstate(all="ignore"):
            if step.numeric:
                if step.residual is None or len(step.unknowns) != 1:
                    return {u: np.full(n, np.nan) for u in step.unknowns}, np.ones(n, dtype=bool)
                name = step.unknowns[0]
                root = find_root(self._compile(step.residual), name, env, n, self.rules.variables[name].domain)
                return {name: root}, np.isnan(root)
            if len(step.candidates) == 1:
                cols = {}
                for u, t in step.candidates[0].items():
                    cols[u] = _column(self._compile(t)(env), n)
                    self._prove(cols[u], interval(t, lambda v: self._env_bounds(env, v)))
                if all(self._all_in_domain(u, c) for u, c in cols.items()):
                    return cols, None
            return self._pick_candidates(step, env, n)

    def _pick_candidates(self, step: Step, env: dict, n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Per row, the first closed-form root that is real, finite and in the domain."""
        chosen = {u: np.full(n, np.nan) for u in step.unknowns}
        open_rows = np.ones(n, dtype=bool)
        for candidate in step.candidates:
            cols = {u: _column(self._compile(t)(env), n) for u, t in candidate.items()}
            valid = open_rows.copy()
            for u, col in cols.items():
                valid &= self._in_domain(u, col)
            for u, col in cols.items():
                chosen[u][valid] = col[valid]
            open_rows &= ~valid
            if not open_rows.any():
                break
        return chosen, open_rows

    def _all_in_domain(self, name: str, col: np.ndarray) -> bool:
        """Two reductions instead of several masks; NaN makes every comparison false."""
        if not len(col):
            return True
        domain = self.rules.variables[name].domain
        shown = self._bounds(col, reduce=False)    # (bounds wider than min/max can only say yes)
        if shown is not None and within_domain(domain, *shown):
            return True
        return within_domain(domain, *self._exact_bounds(col))

    def _in_domain(self, name: str, col: np.ndarray) -> np.ndarray:
        return domain_mask(self.rules.variables[name].domain, col)

    def _compile(self, tree: tuple):
        hit = self._compiled.get(id(tree))
        if hit is None or hit[0] is not tree:
            hit = (tree, compile_tree(tree))
            self._compiled[id(tree)] = hit
        return hit[1]

    # -- integers ------------------------------------------------------------
    def _round(self, batch: Batch, group: Group, env: dict, rows: np.ndarray, known: frozenset[str],
               selectors: dict[str, str], targets: tuple, codes: dict[str, int]) -> None:
        plan = group.plan
        for name in [u for u in plan.derived if self.rules.variables[u].domain == "integer"]:
            raw = env[name]
            rounding = self.rules.variables[name].rounding
            # relative slack of 1e-12: 64.0000000001 GPUs from float noise is 64, not 65
            if rounding == "up":
                rounded = _in_place(np.ceil, np.multiply(raw, 1 - 1e-12))
            elif rounding == "down":
                rounded = _in_place(np.floor, np.multiply(raw, 1 + 1e-12))
            else:
                rounded = np.round(raw)
            if not self._at_least_one(raw, rounding):
                below = np.broadcast_to((rounded < 1) & (np.asarray(raw) > 0), (len(rows),))
                for i in np.flatnonzero(below):   # e.g. the largest micro_batch that fits is 0.6: nothing fits
                    self._row_error(batch, _mask(rows[i:i + 1], batch.rows),
                                    f"{name} = {np.broadcast_to(raw, (len(rows),))[i]:.4g} rounds {rounding} "
                                    f"to 0: no whole {name} of at least 1 meets the given values", EvaluationError)
            moved = self._admissible(batch, plan, name, raw, rounded, rounding, env, rows)
            if moved is not None:
                rounded = moved
            shown = self._bounds(raw, reduce=False)
            if moved is None and shown is not None and shown[0] > 0 and (rounding == "up" or shown[0] >= 1):
                # a rounded count lies within a step of the raw bounds (and is at least 1)
                self._prove(rounded, (max(1.0, np.floor(shown[0]) - 1.0), np.ceil(shown[1]) + 1.0))
            if not _same_values(rounded, raw):   # (NaN rows also land here: harmless)
                _keep(batch.unrounded, name, rows, raw, batch.rows)
                env[name] = rounded
                group.rounded.append(name)
        if group.rounded:
            self._recompute(batch, group, env, rows, known, selectors, targets, codes)

    def _admissible(self, batch: Batch, plan: Plan, name: str, raw, rounded, rounding: str, env: dict,
                    rows: np.ndarray) -> "np.ndarray | None":
        """The admissible values (tp divides heads, ...) where they differ from the plain rounding;
        rows with none get an error; None when nothing moved (engine/solve/admissible.py)."""
        found = admissible(self.rules, plan, name, np.asarray(rounded, dtype=float), rounding, env,
                           self._numeric_defaults, self._compile)
        if found is None or not (found.moved.any() or found.none.any()):
            return None
        n = len(rows)
        raw_rows = np.broadcast_to(np.asarray(raw, dtype=float), (n,))
        direction = text("planner.admissible.largest" if rounding == "down" else "planner.admissible.smallest")
        reason = ", ".join(sorted(c.id for c in found.checks))
        if found.moved.any():
            first = int(np.flatnonzero(found.moved)[0])
            batch.notes.append((f"admissible.{name}",
                                text("planner.admissible", name=name, raw=f"{raw_rows[first]:.4g}", direction=direction,
                                     value=f"{found.values[first]:g}", reason=reason),
                                _mask(rows[found.moved], batch.rows)))
        side = Nested("planner.admissible.below" if rounding == "down" else "planner.admissible.above")
        for i in np.flatnonzero(found.none)[:1000]:
            self._row_error(batch, _mask(rows[i:i + 1], batch.rows),
                            said_text("planner.admissible.none", name=name, raw=f"{raw_rows[i]:.4g}", reason=reason,
                                      side=side),
                            EvaluationError)
        if found.none.sum() > 1000:
            self._row_error(batch, _mask(rows[found.none], batch.rows),
                            said_text("planner.admissible.none", name=name, raw="-", reason=reason,
                                      side=side), EvaluationError)
        return found.values

    def _at_least_one(self, raw: "np.ndarray | float", rounding: str) -> bool:
        """Every row of raw rounds to at least 1 (judged from raw's bounds; False: look closer)."""
        if not np.ndim(raw) or not len(raw):
            return False
        low = self._bounds(raw)[0]   # (NaN: False)
        return bool(low > 1e-300) if rounding == "up" else bool(low >= 1)

    def _recompute(self, batch: Batch, group: Group, env: dict, rows: np.ndarray, known: frozenset[str],
                   selectors: dict[str, str], targets: tuple, codes: dict[str, int]) -> None:
        """Re-solve with the rounded integers known and the budgets (train_time, cost, ...) freed."""
        budgets = {n for n in known if self.rules.variables[n].role == "budget"}
        # Conventions stay fixed; plain defaults stay soft: a shape sketched from params through
        # width_per_layer = 128 gives layers 32.9 -> 33, and the replan derives 127.6 rather than
        # calling the rounded value a contradiction of the default that produced it.
        soft = {n: 0.0 for n in group.plan.defaults if n not in self.planner.fixed}
        base = set(known - budgets) | set(group.rounded) | (set(group.plan.defaults) - set(soft))
        freed = set(budgets)
        replan = None
        while replan is None:
            try:
                replan = self.planner.plan(frozenset(base), tuple(sorted(freed)), selectors, soft)
            except EngineError:
                if not freed:
                    return
                back = sorted(freed)[0]   # a budget nothing else determines stays as given
                freed.discard(back)
                base.add(back)
        group.replan = replan
        for name in freed:   # keep what the user asked for, to show it next to the recomputed value
            _keep(batch.unrounded, name, rows, env[name], batch.rows)
        fresh = env.subset(replan.knowns)
        # only steps that the rounded integers change are evaluated again
        affected = set(group.rounded) | freed
        steps = []
        for step in replan.steps:
            if not self._side_values and not set(step.unknowns) & replan.needed:
                continue
            if affected & {v for e in step.equations for v in e.variables} - set(step.unknowns) \
                    or not all(u in env for u in step.unknowns):
                affected |= set(step.unknowns)
                steps.append(step)
            else:
                fresh.update({u: env[u] for u in step.unknowns})
        self._run(batch, replan, fresh, rows, targets, {}, steps)
        for name in replan.derived:
            if name not in fresh:
                continue
            env[name] = fresh[name]
            if name in freed:
                codes[name] = RECOMPUTED

    def _store(self, batch: Batch, name: str, rows: np.ndarray, col, whole: bool, code: int | None) -> None:
        if code is None:
            return   # a known input: already in batch.values
        if whole:
            if np.ndim(col) == 0:
                col = same(batch.rows, float(col), np.float64)   # one value: no per-row memory
            elif not col.flags.writeable or any(col is other for other in dict.values(batch.values)):
                # an identity (gpu_hours = gpu_seconds) or a read-only input: share the numbers
                # through a read-only view
                col = col.view()
                col.flags.writeable = False
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


def _inputs_of(plan: Plan, step: Step) -> set[str]:
    """The known values (givens, catalog figures, defaults) a step's result is computed from."""
    start = [v for e in step.equations for v in e.variables if v not in step.unknowns]
    return {n for n in inputs_behind(plan, start) if n in plan.knowns}


def _keep(store: dict[str, np.ndarray], name: str, rows: np.ndarray, col, total: int) -> None:
    """Record a group's values of `name` (the whole column at once when the group is every row)."""
    if len(rows) == total and name not in store:
        store[name] = np.broadcast_to(col, (total,)) if np.ndim(col) == 0 else col
        return
    rows = np.asarray(rows)
    target = store.get(name)
    if target is None or not target.flags.writeable:
        target = store[name] = np.full(total, np.nan) if target is None else target.copy()
    target[rows] = col


def _asked(targets: Sequence[tuple[str, ...]], row_targets: np.ndarray) -> dict[str, "np.ndarray | bool"]:
    """Per target, the rows asking for it (True: all rows — the usual single-question batch)."""
    if len(targets) == 1:
        return {t: True for t in targets[0]}
    if len(targets) and len(row_targets) and row_targets.ndim == 1 and row_targets.strides[0] == 0:
        return {t: True for t in targets[int(row_targets[0])]}   # one question for every row
    out: dict[str, "np.ndarray | bool"] = {}
    for code, names in enumerate(targets):
        rows = row_targets == code
        for name in names:
            previous = out.get(name, False)
            out[name] = rows if previous is False else previous | rows
    return {n: (True if bool(np.all(m)) else m) for n, m in out.items()}


def _constant(col: np.ndarray) -> "int | None":
    """The single value of an integer column, or None."""
    if not len(col):
        return None
    if col.ndim == 1 and col.strides[0] == 0:
        return int(col[0])
    low, high = col.min(), col.max()
    return int(low) if low == high else None


def _same(rows: int, code: int) -> np.ndarray:
    """A read-only int8 status column with one code in every row (no per-row memory)."""
    return same(rows, int(code), np.int8)


def _in_place(fn, array: "np.ndarray | float") -> "np.ndarray | float":
    """fn(array) written into the (fresh) array itself."""
    if isinstance(array, np.ndarray) and array.ndim:
        return fn(array, out=array)
    return fn(array)


def _same_values(rounded: "np.ndarray | float", raw: "np.ndarray | float") -> bool:
    """np.array_equal(rounded, raw), deciding from the first row when it already differs."""
    if np.ndim(rounded) and np.ndim(raw) and len(rounded) and rounded[0] != raw[0]:
        return False
    return bool(np.array_equal(rounded, raw))


def _group_rows(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct combination, combination index per row), in order of first row.

    The columns are packed into one int64 key (mixed radix over the columns that vary), so the
    grouping is a 1-D operation; np.unique(axis=0) on a rows x columns matrix sorts rows
    lexicographically and takes seconds for a million rows."""
    rows = len(columns[0])
    key = np.zeros(rows, dtype=np.int64)
    radix = 1
    for col in columns:
        low, high = int(col.min()), int(col.max())
        if low == high:
            continue
        span = high - low + 1
        if radix * span >= 2 ** 62:   # too many combinations to pack: fall back to row-wise unique
            matrix = np.column_stack(columns).astype(np.int64)
            _, first, inverse = np.unique(matrix, axis=0, return_index=True, return_inverse=True)
            order = np.argsort(first, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            return first[order], rank[inverse.reshape(-1)]
        key += (col.astype(np.int64) - low) * radix
        radix *= span
    if radix <= 4 * rows + 1024:   # dense codes: a lookup table instead of a sort
        present = np.zeros(radix, dtype=bool)
        present[key] = True
        codes = np.flatnonzero(present)
        lookup = np.zeros(radix, dtype=np.int64)
        lookup[codes] = np.arange(len(codes))
        inverse = lookup[key]
    else:
        codes, inverse = np.unique(key, return_inverse=True)
        inverse = inverse.reshape(-1)
    first = np.full(len(codes), rows, dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(rows, dtype=np.int64))
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse]


def _complete(value, rows: np.ndarray, whole: bool = False) -> bool:
    """A soft value usable for every row of a group."""
    if np.ndim(value) == 0:
        return not np.isnan(value)
    return not np.isnan(value if whole else value[rows]).any()
