"""The vectorized solving path: many rows in, values/errors/warnings out.

Rows are grouped by pattern (which variables are known, which conventions
are selected, what is asked); each group gets one plan from the Planner and
is evaluated with numpy over all its rows at once. A single question from
the command line is a batch of one row, so there is one code path.

    columns (base units, NaN = unknown; catalog keys as Categorical)
      -> expand catalog/convention tables (user keys: hard; default keys: soft)
      -> group rows by pattern -> plan -> evaluate steps -> round integers
      -> consistency checks (errors) and advisory checks (warnings)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from .errors import ContradictionError, EngineError, EvaluationError, ValueParseError
from .model import RuleSet
from .numeric import compile_tree, find_root
from .planning import Plan, Planner, Step

APPROXIMATE = 0.01   # equations with at least this tolerance only warn when given values disagree

# status codes per cell
NONE, GIVEN, CATALOG, DEFAULT, SOLVED, DERIVED, RECOMPUTED = range(7)
STATUS_NAMES = ("", "given", "catalog", "default", "solved", "derived", "recomputed")


@dataclass
class Categorical:
    """A dictionary-encoded column of keys: codes index labels; -1 = empty."""

    codes: np.ndarray
    labels: list[str]

    @classmethod
    def from_values(cls, values: Sequence[object]) -> "Categorical":
        labels: list[str] = []
        index: dict[str, int] = {}
        codes = np.empty(len(values), dtype=np.int64)
        for i, value in enumerate(values):
            if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
                codes[i] = -1
                continue
            text = str(value)
            if text not in index:
                index[text] = len(labels)
                labels.append(text)
            codes[i] = index[text]
        return cls(codes, labels)


@dataclass
class Group:
    """Rows sharing one plan."""

    rows: np.ndarray               # row indices
    plan: Plan | None
    rounded: list[str] = field(default_factory=list)
    replan: Plan | None = None     # plan after integer answers were rounded
    error: str = ""                # planning error shared by every row of the group


@dataclass
class Batch:
    rows: int
    values: dict[str, np.ndarray]
    keys: dict[str, Categorical]
    status: dict[str, np.ndarray]
    errors: np.ndarray                                  # object: str or None
    error_kinds: np.ndarray                             # object: EngineError subclass (or instance) or None
    warnings: list[tuple[str, np.ndarray]]              # (check id, row mask)
    groups: list[Group]
    targets: list[tuple[str, ...]]
    row_targets: np.ndarray                             # code into targets
    unrounded: dict[str, np.ndarray] = field(default_factory=dict)   # values before rounding/recomputing
    typed: dict[str, np.ndarray] = field(default_factory=dict)       # key columns: typed by the user (not default)
    mismatches: list[tuple[object, np.ndarray]] = field(default_factory=list)  # (approximate Equation, gap per row)

    def group_of(self, row: int) -> Group | None:
        for group in self.groups:
            if row in group.rows:
                return group
        return None


class BatchSolver:
    """Solves columns of scenarios against one rule set."""

    def __init__(self, rules: RuleSet, planner: Planner | None = None) -> None:
        self.rules = rules
        self.planner = planner or Planner(rules)
        self._order = {name: i for i, name in enumerate(rules.variables)}
        self._compiled: dict[int, object] = {}

    # -- entry point -------------------------------------------------------
    def solve(self, numbers: dict[str, np.ndarray], keys: dict[str, Categorical],
              targets: Sequence[tuple[str, ...]], row_targets: np.ndarray, rows: int,
              errors: np.ndarray | None = None) -> Batch:
        values = {name: np.asarray(col, dtype=float).copy() for name, col in numbers.items()}
        status = {name: np.where(np.isnan(col), NONE, GIVEN).astype(np.int8) for name, col in values.items()}
        errors = np.full(rows, None, dtype=object) if errors is None else errors.copy()
        kinds = np.where(errors == None, None, ValueParseError)  # noqa: E711 - elementwise
        self._errors = (errors, kinds)
        keys = dict(keys)
        soft = self._expand_tables(values, status, keys, errors, targets, row_targets, rows)
        for name, variable in self.rules.variables.items():
            if variable.default is not None and not variable.categorical and name not in soft:
                soft[name] = np.full(rows, variable.default)
        batch = Batch(rows, values, keys, status, errors, kinds, [], [], list(targets), row_targets,
                      typed=self._typed)
        for group_rows, known, selectors, target in self._patterns(values, keys, errors, targets, row_targets, rows):
            self._solve_group(batch, group_rows, known, selectors, target, soft)
        self._advisories(batch)
        return batch

    # -- tables ------------------------------------------------------------
    def _expand_tables(self, values: dict[str, np.ndarray], status: dict[str, np.ndarray],
                       keys: dict[str, Categorical], errors: np.ndarray,
                       targets: Sequence[tuple[str, ...]], row_targets: np.ndarray, rows: int
                       ) -> dict[str, np.ndarray]:
        """Resolve keys; fill table fields: from typed keys as knowns, from default keys as soft values."""
        soft: dict[str, np.ndarray] = {}
        self._typed: dict[str, np.ndarray] = {}
        asked = {t for ts in targets for t in ts}
        for name, variable in self.rules.variables.items():
            if not variable.categorical:
                continue
            column = keys.get(name)
            if column is None and variable.default is None:
                continue
            column = column or Categorical(np.full(rows, -1, dtype=np.int64), [])
            table = self.rules.tables.get(name)
            canonical = []
            for code, label in enumerate(column.labels):
                key = self._canonical(name, label)
                if key is None:
                    self._row_error(column.codes == code, self._unknown_key_message(name, label), ValueParseError)
                canonical.append(key or label)
            given = column.codes >= 0
            codes = column.codes
            if variable.default is not None and not given.all():
                canonical.append(str(variable.default))
                codes = np.where(given, codes, len(canonical) - 1)
            keys[name] = Categorical(codes, canonical)
            self._typed[name] = given
            if table is not None:
                self._fill_fields(table, canonical, codes, given, values, status, soft, asked)
        return soft

    def _canonical(self, name: str, label: str) -> str | None:
        table = self.rules.tables.get(name)
        if table is not None:
            entry = table.resolve(label)
            return entry.key if entry is not None else None
        allowed = self.rules.variables[name].values
        folded = {v.casefold(): v for v in allowed}
        return folded.get(label.strip().casefold())

    def _fill_fields(self, table, labels: list[str], codes: np.ndarray, given: np.ndarray,
                     values: dict[str, np.ndarray], status: dict[str, np.ndarray],
                     soft: dict[str, np.ndarray], asked: set[str]) -> None:
        rows = len(codes)
        entries = [table.entries.get(label) for label in labels]
        for field_name in table.fields:
            if field_name in asked:
                continue   # a question's answer is never filled from a catalog
            lookup = np.array([e.values.get(field_name, np.nan) if e is not None else np.nan
                               for e in entries] + [np.nan])
            filled = lookup[codes]  # code -1 picks the trailing NaN
            current = values.get(field_name)
            if current is None:
                current = values[field_name] = np.full(rows, np.nan)
                status[field_name] = np.zeros(rows, dtype=np.int8)
            hard = given & np.isnan(current) & ~np.isnan(filled)
            current[hard] = filled[hard]
            status[field_name][hard] = CATALOG
            soft_rows = ~given & ~np.isnan(filled)
            if soft_rows.any():
                soft.setdefault(field_name, np.full(rows, np.nan))[soft_rows] = filled[soft_rows]

    def _unknown_key_message(self, name: str, label: str) -> str:
        from .values import parse_key

        try:
            parse_key(self.rules.variables[name], self.rules.tables.get(name), label)
        except EngineError as exc:
            return str(exc)
        return f"{name}: unknown value {label!r}"

    def _row_error(self, mask: np.ndarray, message: str, kind: type | EngineError) -> None:
        """First error of a row wins: it is the cause, later ones are consequences."""
        errors, kinds = self._errors
        for i in np.flatnonzero(mask):
            if errors[i] is None:
                errors[i] = message
                kinds[i] = kind

    # -- grouping ----------------------------------------------------------
    def _patterns(self, values, keys, errors, targets, row_targets, rows):
        names = sorted(values)
        selectors = sorted(self.rules.selectors)
        ok = np.array([e is None for e in errors], dtype=bool) if rows else np.zeros(0, bool)
        columns = [~np.isnan(values[n]) for n in names]
        sel_codes = [keys[s].codes if s in keys else np.full(rows, -1) for s in selectors]
        if all(c.all() or not c.any() for c in columns) and all((c == c[0]).all() for c in sel_codes) \
                and (row_targets == row_targets[0]).all():
            inverse = np.zeros(rows, dtype=np.int64)
            uniques = np.zeros((1, 0))
            first = np.array([0])
        else:
            matrix = np.column_stack(columns + sel_codes + [row_targets]).astype(np.int64)
            uniques, first, inverse = np.unique(matrix, axis=0, return_index=True, return_inverse=True)
            inverse = inverse.reshape(-1)
        for g, row0 in enumerate(first):
            member = np.flatnonzero((inverse == g) & ok) if len(first) > 1 else np.flatnonzero(ok)
            if not len(member):
                continue
            known = frozenset(n for n, c in zip(names, columns) if c[row0])
            chosen = {}
            for s, codes in zip(selectors, sel_codes):
                code = codes[row0]
                chosen[s] = keys[s].labels[code] if code >= 0 else str(self.rules.variables[s].default)
            yield member, known, chosen, targets[row_targets[row0]]

    # -- evaluation ----------------------------------------------------------
    def _solve_group(self, batch: Batch, rows: np.ndarray, known: frozenset[str], selectors: dict[str, str],
                     targets: tuple[str, ...], soft: dict[str, np.ndarray]) -> None:
        soft_here = {n: col for n, col in soft.items() if n not in known and not np.isnan(col[rows]).any()}
        soft_ordered = dict(sorted(soft_here.items(), key=lambda kv: self._order.get(kv[0], 0)))
        try:
            plan = self.planner.plan(known, targets, selectors, soft_ordered)
        except EngineError as exc:
            batch.groups.append(Group(rows, None, error=str(exc)))
            self._row_error(_mask(rows, batch.rows), str(exc), exc)
            return
        group = Group(rows, plan)
        batch.groups.append(group)
        whole = len(rows) == batch.rows
        env = self._env(batch, rows, plan, soft_ordered, whole)
        self._run(batch, plan, env, rows, whole, targets)
        self._round(batch, group, env, rows, whole, known, selectors, targets)
        self._consistency(batch, group.replan or plan, env, rows)
        for name, col in env.items():
            self._store(batch, name, rows, col, whole)

    def _env(self, batch: Batch, rows, plan: Plan, soft: dict[str, np.ndarray], whole: bool) -> dict:
        env = {}
        for name in plan.knowns:
            source = batch.values.get(name)
            if name in plan.defaults:
                source = soft[name]
                status = batch.status.setdefault(name, np.zeros(batch.rows, dtype=np.int8))
                status[rows] = DEFAULT
                batch.values.setdefault(name, np.full(batch.rows, np.nan))
            env[name] = source if whole else source[rows]
        return env

    def _run(self, batch: Batch, plan: Plan, env: dict, rows, whole: bool, targets) -> None:
        n = len(rows)
        for step in plan.steps:
            results = self._step(step, env, n)
            for name, col in results.items():
                env[name] = col
                status = batch.status.setdefault(name, np.zeros(batch.rows, dtype=np.int8))
                status[rows] = SOLVED if name in targets else DERIVED
                batch.values.setdefault(name, np.full(batch.rows, np.nan))
            bad = np.zeros(n, dtype=bool)
            for col in results.values():
                bad |= ~np.isfinite(col)
            if bad.any() and set(step.unknowns) & plan.needed:   # side values may stay empty
                eq_ids = ", ".join(e.id for e in step.equations)
                names = ", ".join(step.unknowns)
                self._row_error(_mask(rows[bad], batch.rows),
                                f"no valid value for {names} from rule {eq_ids}: no real, finite answer in the "
                                f"variable's domain for these inputs", EvaluationError)

    def _step(self, step: Step, env: dict, n: int) -> dict[str, np.ndarray]:
        with np.errstate(all="ignore"):
            if step.numeric:
                if step.residual is None or len(step.unknowns) != 1:
                    return {u: np.full(n, np.nan) for u in step.unknowns}
                name = step.unknowns[0]
                residual = self._compile(step.residual)
                domain = self.rules.variables[name].domain
                return {name: find_root(residual, name, env, n, domain)}
            chosen = {u: np.full(n, np.nan) for u in step.unknowns}
            open_rows = np.ones(n, dtype=bool)
            for candidate in step.candidates:
                cols = {u: np.broadcast_to(np.asarray(self._compile(t)(env), dtype=float), (n,))
                        for u, t in candidate.items()}
                valid = open_rows.copy()
                for u, col in cols.items():
                    valid &= self._in_domain(u, col)
                if len(step.candidates) == 1 and valid.all():
                    return {u: np.array(col, dtype=float) for u, col in cols.items()}
                for u, col in cols.items():
                    chosen[u][valid] = col[valid]
                open_rows &= ~valid
                if not open_rows.any():
                    break
            return chosen

    def _in_domain(self, name: str, col: np.ndarray) -> np.ndarray:
        domain = self.rules.variables[name].domain
        ok = np.isfinite(col)
        if domain in ("positive", "integer", "fraction"):
            ok &= col > 0
        if domain == "nonnegative":
            ok &= col >= 0
        if domain == "fraction":
            ok &= col <= 1 + 1e-12
        return ok

    def _compile(self, tree):
        key = id(tree)
        hit = self._compiled.get(key)
        if hit is None:
            hit = (tree, compile_tree(tree))
            self._compiled[key] = hit
        return hit[1]

    # -- integers ------------------------------------------------------------
    def _round(self, batch, group: Group, env, rows, whole, known, selectors, targets) -> None:
        plan = group.plan
        integers = [u for u in plan.derived if self.rules.variables[u].domain == "integer"]
        if not integers:
            return
        for name in integers:
            raw = env[name]
            rounding = self.rules.variables[name].rounding
            fn = {"up": np.ceil, "down": np.floor, "nearest": np.round}[rounding]
            # 1e-9 slack: 64.0000000001 GPUs from float noise is 64, not 65
            rounded = fn(raw * (1 - 1e-12) if rounding == "up" else raw * (1 + 1e-12) if rounding == "down" else raw)
            if not np.array_equal(rounded, raw, equal_nan=True):
                batch.unrounded.setdefault(name, np.full(batch.rows, np.nan))[rows] = raw
                env[name] = rounded
                group.rounded.append(name)
        if group.rounded:
            self._recompute(batch, group, env, rows, whole, known, selectors, targets)

    def _recompute(self, batch, group: Group, env, rows, whole, known, selectors, targets) -> None:
        """Re-solve with the rounded integers known and the budgets (train_time, cost, ...) freed."""
        budgets = {n for n in known if self.rules.variables[n].role == "budget"}
        base = (known - budgets) | set(group.rounded) | set(group.plan.defaults)
        freed = set(budgets)
        replan = None
        while replan is None:
            try:
                replan = self.planner.plan(frozenset(base), tuple(sorted(freed & budgets)), selectors)
            except EngineError:
                if not freed:
                    return
                back = sorted(freed)[0]   # a budget nothing else determines stays as given
                freed.discard(back)
                base.add(back)
        group.replan = replan
        for name in freed:   # keep what the user asked for, to show it next to the recomputed value
            if name in env:
                batch.unrounded.setdefault(name, np.full(batch.rows, np.nan))[rows] = env[name]
        fresh = {n: env[n] for n in replan.knowns}
        self._run(batch, replan, fresh, rows, whole, targets)
        for name in replan.derived:
            if name in freed:
                status = batch.status[name]
                status[rows] = RECOMPUTED
            env[name] = fresh[name]

    # -- checks ----------------------------------------------------------------
    def _consistency(self, batch: Batch, plan: Plan, env: dict, rows) -> None:
        for eq in plan.checks:
            with np.errstate(all="ignore"):
                left = np.broadcast_to(np.asarray(self._compile(eq.lhs)(env), dtype=float), (len(rows),))
                right = np.broadcast_to(np.asarray(self._compile(eq.rhs)(env), dtype=float), (len(rows),))
                scale = np.maximum(np.abs(left), np.abs(right))
                gap = np.abs(left - right) / np.where(scale > 0, scale, 1.0)
            bad = ~(gap <= eq.tolerance)
            if eq.tolerance >= APPROXIMATE and bad.any():
                # an approximate relation (published count vs architecture): a modest miss warns,
                # a large one (beyond 5x the tolerance) is still a contradiction
                near = bad & (gap <= 5 * eq.tolerance)
                full = np.full(batch.rows, np.nan)
                full[rows[near]] = gap[near]
                batch.mismatches.append((eq, full))
                bad &= ~near
            for i in np.flatnonzero(bad):
                row = rows[i]
                if batch.errors[row] is None:
                    batch.errors[row] = self._contradiction(eq, plan, env, i, left[i], right[i], gap[i])
                    batch.error_kinds[row] = ContradictionError

    def _contradiction(self, eq, plan: Plan, env, i, left, right, gap) -> str:
        from .formatting import format_quantity

        parts = []
        for n in sorted(eq.variables):
            shown = f"{n}={format_quantity(self.rules.variables[n], _pick(env[n], i))}"
            origins = _origins(plan, n)
            parts.append(f"{shown} (from {', '.join(sorted(origins))})" if origins else shown)
        given = "; ".join(parts)
        return (f"given values contradict each other: rule {eq.id} ({eq.text}) has left side {left:.6g} "
                f"and right side {right:.6g} in base units, which differ by {gap:.2%} "
                f"(tolerance {eq.tolerance:.0e}); values: {given}. Remove or correct one of them")

    def _store(self, batch: Batch, name: str, rows, col, whole: bool) -> None:
        target = batch.values.setdefault(name, np.full(batch.rows, np.nan))
        if whole:
            if target is not col:
                np.copyto(target, np.broadcast_to(col, target.shape))
        else:
            target[rows] = col

    def _advisories(self, batch: Batch) -> None:
        env = batch.values
        for check in self.rules.checks:
            if not all(n in env for n in check.variables):
                continue
            with np.errstate(all="ignore"):
                fired = np.broadcast_to(np.asarray(self._compile(check.condition)(env), dtype=bool), (batch.rows,))
            known = np.ones(batch.rows, dtype=bool)
            for n in check.variables:
                known &= ~np.isnan(env[n])
            fired = fired & known
            if fired.any():
                batch.warnings.append((check.id, fired))


def _origins(plan: Plan, name: str) -> set[str]:
    """The known inputs a derived value was computed from ({} for an input)."""
    producers = {u: step for step in plan.steps for u in step.unknowns}
    if name not in producers:
        return set()
    out, todo, seen = set(), [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        step = producers.get(current)
        if step is None:
            out.add(current)
            continue
        todo += [v for eq in step.equations for v in eq.variables if v not in step.unknowns]
    return out


def _mask(rows: np.ndarray, total: int) -> np.ndarray:
    mask = np.zeros(total, dtype=bool)
    mask[rows] = True
    return mask


def _pick(col, i: int) -> float:
    return float(col[i]) if isinstance(col, np.ndarray) and col.ndim else float(col)


def targets_of(batch: Batch, row: int) -> tuple[str, ...]:
    return batch.targets[int(batch.row_targets[row])]


def iter_rows(batch: Batch) -> Iterable[int]:
    return range(batch.rows)
