"""Evaluating a plan's steps over a group's rows, and the per-row errors they find.

Each step gives its unknowns a column: the first closed form that is real, finite and inside the
unknown's domain, or a numeric root. Rows where no value qualifies get an error that says which
value, how far outside its domain and from which givens, unless the step does not involve its
unknown there at all (under-determined) or the value is a side value (a note). A base class of
BatchSolver (engine/solve/batch.py).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from ..errors import EvaluationError, UnderdeterminedError
from ..messages import Both, Nested, said_text
from ..rules.expr import Tree
from ..rules.model import RuleSet
from ..text.formatting import format_quantity
from .batch_result import DERIVED, GIVEN, SOLVED, Batch, ErrorKind, FloatColumn, Group, Mask, Rows
from .check_causes import FiredChecks
from .column_bounds import ColumnBounds
from .columns import Columns
from .factored import Factored, ShapedEnv
from .first_whole import applies, kept_at_first, typed_limits
from .grid_forms import formula_on_grid
from .no_effect import independent_of
from .numeric import Compiled, compile_tree, domain_mask, interval, within_domain
from .planning import Plan, Step
from .roots import at_rows, find_roots, guarded, magnitude, snapped_to_whole
from .rowset import column, mask

DOMAIN_MESSAGES = 200   # rows with a value outside its domain told one by one (the rest: one text)
SEVERAL_ROOTS_NAMED = 20   # rows whose note names their other root (more: one note without the values)
SEVERAL_ROOTS = "several_roots."   # the code of that note (batch.notes)
Env = Columns   # a group's values: columns (or one number for every row), some gathered when first read


class StepEvaluation(ColumnBounds):
    """Runs plan steps over a group's rows (the evaluating part of BatchSolver)."""

    _grid: Factored | None = None   # this solve's rows as a grid (BatchSolver.solve sets it)

    def __init__(self, rules: RuleSet) -> None:
        super().__init__()
        self.rules = rules
        self._compiled: dict[int, tuple[Tree, Compiled]] = {}
        self._sizes: dict[int, tuple[Tree, Tree]] = {}   # a guard's formula -> its magnitude (roots.magnitude)

    def _row_error(self, batch: Batch, rows: Mask, message: str, kind: ErrorKind) -> None:
        """First error of a row wins: it is the cause, later ones are consequences."""
        batch.fail(rows, message, kind)

    def _residual(self, step: Step) -> Compiled:
        """The step's residual, guarded by the definitions it was torn through (engine/solve/planning.py)."""
        assert step.residual is not None
        domains = {n: self.rules.variables[n].domain for n, _ in step.guards}
        return guarded(self._compile(step.residual), [(n, self._compile(t), domains[n]) for n, t in step.guards],
                       {n: self._size(t) for n, t in step.guards if domains[n] == "nonnegative"})

    def _size(self, tree: Tree) -> Compiled:
        """The size of a guard's terms, compiled (its magnitude tree made once per formula)."""
        hit = self._sizes.get(id(tree))
        if hit is None or hit[0] is not tree:
            hit = self._sizes[id(tree)] = (tree, magnitude(tree))
        return self._compile(hit[1])

    def _compile(self, tree: Tree) -> Compiled:
        hit = self._compiled.get(id(tree))
        if hit is None or hit[0] is not tree:
            hit = (tree, compile_tree(tree))
            self._compiled[id(tree)] = hit
        return hit[1]

    def _run(self, batch: Batch, plan: Plan, env: Env, rows: Rows, targets: tuple[str, ...],
             codes: dict[str, int], steps: list[Step] | None = None, group: Group | None = None) -> None:
        n = len(rows)
        for step in plan.steps if steps is None else steps:
            results, bad = self._step(step, env, n, batch, rows)
            for name, col in results.items():
                env[name] = col
                codes[name] = SOLVED if name in targets else DERIVED
            if bad is None or not bad.any():
                continue
            eq_ids = _rule_ids(step)
            if set(step.unknowns) & plan.needed:   # (a side value without a root stays a note, below)
                bad = self._no_effect(batch, step, env, rows, bad, eq_ids)
                if group is not None and bad.any():
                    bad = self._below_first(group, plan, step, env, bad, eq_ids)
                if not bad.any():
                    continue
            self._no_value(batch, plan, step, env, rows, bad, eq_ids)

    def _below_first(self, group: Group, plan: Plan, step: Step, env: Env, bad: Mask, eq_ids: str) -> Mask:
        """Rows of `bad` whose count lies below 1 with the typed limits kept there: 1 for now, not an error
        (engine/solve/first_whole.py; the rounding recomputes the limits for it). The rest is returned."""
        if not applies(self.rules, plan, step) or not (limits := typed_limits(self.rules, plan, step)):
            return bad
        name, index = step.unknowns[0], np.flatnonzero(bad)
        part = at_rows(env, len(bad), index)
        found, first = kept_at_first(self.rules, self._residual(step), name, part, len(index), limits)
        if not found.any():
            return bad
        kept = index[found]
        env[name] = answer = np.array(np.broadcast_to(env[name], bad.shape), dtype=float)
        answer[kept] = first[found]
        group.below_first[name] = (kept, said_text("planner.domain.none", names=name, rules=eq_ids), limits)
        bad = bad.copy()
        bad[kept] = False
        return bad

    def _run_factored(self, plan: Plan, env: Env, targets: tuple[str, ...], codes: dict[str, int],
                      steps: list[Step], grid: Factored) -> list[Step]:
        """The steps that go through on the grid's shape (every row's value in the domain), run once per
        combination of the axes each reads (engine/solve/factored.py); their values go into env as
        columns. Returns the steps left from the first one that does not (a numeric root, a row outside
        the domain, a value the shape cannot hold): `_run` does those row by row, errors and all."""
        shaped = ShapedEnv(env, grid)
        done = 0
        for step in steps:
            values = self._factored_step(step, shaped, grid, plan)
            if values is None:
                break
            for name, value in values.items():
                shaped.put(name, value)
                codes[name] = SOLVED if name in targets else DERIVED
            done += 1
        flats = grid.flat_all([(shaped[name], self._reduced_bounds(shaped[name])) for name in shaped.computed])
        for name, flat in zip(shaped.computed, flats):
            env[name] = flat
        return steps[done:]

    def _factored_step(self, step: Step, env: ShapedEnv, grid: Factored, plan: Plan
                       ) -> "dict[str, float | np.ndarray] | None":
        """The step's values on the grid's shape from its first closed form, if every row's is in the
        domain (what `_step` picks then too); None otherwise."""
        if step.numeric or not step.candidates:
            return None
        values: dict[str, float | np.ndarray] = {}
        with np.errstate(all="ignore"):
            for name, tree in step.candidates[0].items():
                tree = self._grid_tree(plan, name, tree, env)
                value = self._compile(tree)(env)
                if not grid.fits(value):
                    return None
                if isinstance(value, np.ndarray) and value.ndim == 0:
                    value = float(value)
                if isinstance(value, np.ndarray):
                    value = np.asarray(value, dtype=float)
                    if not grid.few(value):
                        self._prove(value, interval(tree, lambda v: self._env_bounds(env, v)))
                    elif (bounds := self._exact_bounds(value))[0] == bounds[1]:   # (NaN: never)
                        # (a few values, reduced for their bounds at once; one value after all, as
                        # ZeRO-3's gathers at stage 1: 0 B over tp × pp × n_gpus, is one number)
                        value = float(value.flat[0])
                        grid.collapsed.add(name)
                if not self._all_in_domain(name, value if isinstance(value, np.ndarray) else np.array([value])):
                    return None
                values[name] = value
        return values

    def _grid_tree(self, plan: Plan, name: str, tree: Tree, env: ShapedEnv) -> Tree:
        """The formula of `name` as the grid computes it (engine/solve/grid_forms.py)."""
        if self.rules.variables[name].domain == "integer":
            return tree   # (a whole number is rounded: its value as written, to the last bit)
        return formula_on_grid(plan, tree, env, lambda n: self._env_bounds(env, n))

    def _on_grid(self, tree: Tree, batch: Batch, env: ShapedEnv | None) -> Tree:
        """A check's condition as the grid computes it, multiplied out through the one plan that solved
        every row, where no value was rounded since (a rounded grad_accum is not its formula's value)."""
        if env is None or len(batch.groups) != 1:
            return tree
        group = batch.groups[0]
        if group.plan is None or group.rounded or group.replan is not None:
            return tree
        return formula_on_grid(group.plan, tree, env, lambda n: self._env_bounds(env, n))

    def _no_value(self, batch: Batch, plan: Plan, step: Step, env: Env, rows: Rows, bad: Mask,
                  eq_ids: str) -> None:
        """Rows `bad` of a step have no value in the domain: errors, or a note for a side value."""
        n = len(rows)
        message = said_text("planner.domain.none", names=", ".join(step.unknowns), rules=eq_ids)
        # Every value the plan derives, side values included, must lie in its domain: mfu = 75
        # from the givens is a contradiction of the givens, not a value to leave out (#13 §4).
        bad_rows = np.flatnonzero(bad)
        needed = bool(set(step.unknowns) & plan.needed)
        causes = FiredChecks(self, env, n, values_behind(plan, [v for e in step.equations for v in e.variables]))
        for i in bad_rows[:DOMAIN_MESSAGES]:
            implied = self._outside_domain(step, env, int(i), n)
            # (a side value below 0 of a nonnegative excess, repetitions = epochs - 1 for half an
            # epoch, says the rule does not apply, not that the givens are wrong: it stays a note)
            if implied is not None and (needed or self.rules.variables[implied[0]].domain != "nonnegative"):
                self._row_error(batch, mask(rows[i:i + 1], batch.rows),
                                self._domain_message(plan, step, *implied, typed=typed_at(batch, int(rows[i])),
                                                     cause=causes.at(int(i))),
                                EvaluationError)
        if needed or len(bad_rows) > DOMAIN_MESSAGES:
            self._row_error(batch, mask(rows[bad], batch.rows), message, EvaluationError)
        else:   # a side value with no real root at all stays empty, and the row says why
            batch.notes.append((f"incomplete.{step.unknowns[0]}", message, mask(rows[bad], batch.rows)))

    def _no_effect(self, batch: Batch, step: Step, env: Env, rows: Rows, bad: Mask, eq_ids: str) -> Mask:
        """Rows whose numeric step does not depend on its unknown (QK-norm off: heads drops out of the
        count) are under-determined, not out of domain; the rest of `bad` is returned."""
        if step.residual is None or len(step.unknowns) != 1:   # (numeric and torn steps have one)
            return bad
        name = step.unknowns[0]
        index = np.flatnonzero(bad)
        part = at_rows(env, len(bad), index)
        flat = independent_of(self._compile(step.residual), name, part, len(index), self.rules.variables[name].domain)
        if flat.any():
            self._row_error(batch, mask(rows[index[flat]], batch.rows),
                            said_text("planner.no_effect", name=name, rules=eq_ids), UnderdeterminedError)
            bad = bad.copy()
            bad[index[flat]] = False
        return bad

    def _outside_domain(self, step: Step, env: Env, i: int, n: int) -> tuple[str, float] | None:
        """(unknown, value) of the first closed form that is real and finite in row i but outside
        the unknown's domain; None when no closed form gives a real value there."""
        for candidate in step.candidates:
            for name, tree in candidate.items():
                with np.errstate(all="ignore"):
                    value = float(np.broadcast_to(column(self._compile(tree)(env), n), (n,))[i])
                # (0 from an underflow, 1e-300 days, is no value the givens imply: the plain message)
                if np.isfinite(value) and abs(value) > 1e-290 \
                        and not domain_mask(self.rules.variables[name].domain, np.array([value]))[0]:
                    return name, value
        return None

    def _domain_message(self, plan: Plan, step: Step, name: str, value: float, typed: frozenset[str],
                        cause: tuple[Both, bool] | None = None) -> str:
        """The refusal of a value outside its domain; `cause`: a check that fires in the row (dp = 0.5:
        tp × pp needs more GPUs than n_gpus), which says why better than the value does. One that refuses
        the layout by itself leads; the value it makes impossible follows (dp_comm_bytes = -8.6 GB)."""
        variable = self.rules.variables[name]
        shown = value / variable.factor
        rules = ", ".join(e.id for e in step.equations)
        givens = givens_clause(_inputs_of(plan, step), typed)
        if cause is not None and cause[1]:
            requirement = Nested(f"planner.requirement.{variable.domain}") \
                if variable.domain in ("positive", "nonnegative", "fraction", "integer") else variable.domain
            unit = f" {variable.unit}" if variable.unit else ""
            return said_text("planner.domain.caused", check=cause[0], name=name, value=f"{shown:.4g}{unit}",
                             requirement=requirement, rule=rules, givens=givens)
        clause = Nested("planner.domain.cause", check=cause[0]) if cause is not None else Nested()
        if variable.domain == "fraction" and value > 1:
            return said_text("planner.domain.above", name=name, value=f"{shown:.4g}", limit="1", shown=" (100 %)",
                             rule=rules, givens=givens, cause=clause)
        requirement = Nested(f"planner.requirement.{variable.domain}") \
            if variable.domain in ("positive", "nonnegative", "fraction", "integer") else variable.domain
        unit = f" {variable.unit}" if variable.unit else ""   # (-69.21 GB of optimizer states, not -69.21)
        return said_text("planner.domain.below", name=name, value=f"{shown:.4g}{unit}",
                         limit="0", requirement=requirement, rule=rules, givens=givens, cause=clause)

    def _step(self, step: Step, env: Env, n: int, batch: Batch, rows: Rows
              ) -> tuple[dict[str, FloatColumn], Mask | None]:
        """Values of the step's unknowns, and the rows without a valid value (None: all valid)."""
        with np.errstate(all="ignore"):
            if step.numeric:
                if step.residual is None or len(step.unknowns) != 1:
                    return {u: np.full(n, np.nan) for u in step.unknowns}, np.ones(n, dtype=bool)
                root = self._root(step, env, n, batch, rows)
                return {step.unknowns[0]: root}, np.isnan(root)
            if len(step.candidates) == 1:
                cols = {}
                for u, t in step.candidates[0].items():
                    cols[u] = column(self._compile(t)(env), n)
                    self._prove(cols[u], interval(t, lambda v: self._env_bounds(env, v)))
                if all(self._all_in_domain(u, c) for u, c in cols.items()):
                    return cols, None
            chosen, open_rows = self._pick_candidates(step, env, n)
            return chosen, self._root_rest(step, env, chosen, open_rows, batch, rows)

    def _root(self, step: Step, env: Mapping[str, Any], n: int, batch: Batch, rows: Rows) -> FloatColumn:
        """The step's one unknown by root finding. Where the rules give it more than one value, the answer
        is the smallest, or the largest for a whole number rounded down (the longest seq_len, the largest
        micro_batch that keeps a limit: the far end of the values that keep it); a note names the other."""
        name = step.unknowns[0]
        variable = self.rules.variables[name]
        largest = variable.domain == "integer" and variable.rounding == "down"
        residual = self._residual(step)
        roots = find_roots(residual, name, env, n, variable.domain, largest)
        if variable.domain == "integer" and variable.rounding in ("up", "down"):
            roots = roots._replace(root=snapped_to_whole(residual, name, env, n, roots.root, variable.rounding))
        several = np.flatnonzero(~np.isnan(roots.other))
        if len(several):
            self._note_other_roots(batch, step, roots.other, several, rows, largest)
        return roots.root

    def _note_other_roots(self, batch: Batch, step: Step, other: FloatColumn, several: np.ndarray, rows: Rows,
                          largest: bool) -> None:
        """A note on the rows `several` (positions in `rows`) that their answer is one of several roots,
        naming each row's other one while they are few (SEVERAL_ROOTS_NAMED)."""
        name = step.unknowns[0]
        which = Nested("planner.several_roots.largest" if largest else "planner.several_roots.smallest")
        named = len(several) <= SEVERAL_ROOTS_NAMED
        shown = [format_quantity(self.rules.variables[name], float(v)) for v in other[several]] if named else []
        for text in dict.fromkeys(shown) if named else [None]:
            at = several if text is None else several[np.array([t == text for t in shown])]
            value = Nested("planner.several_roots.value", value=text) if text else Nested()
            batch.notes.append((f"{SEVERAL_ROOTS}{name}", said_text(
                "planner.several_roots", name=name, other=value, rules=_rule_ids(step), which=which),
                mask(np.asarray(rows)[at], batch.rows)))

    def _root_rest(self, step: Step, env: Env, chosen: dict[str, FloatColumn], open_rows: Mask, batch: Batch,
                   rows: Rows) -> Mask:
        """Rows no closed form answers, found by root finding where the step has a residual: a
        quadratic's formula divides by its s² coefficient, 0 with flash attention (seq_len from the
        memory), where the equation is linear. Returns the rows still without a value."""
        if not open_rows.any() or step.residual is None or len(step.unknowns) != 1:
            return open_rows
        name = step.unknowns[0]
        index = np.flatnonzero(open_rows)
        part = at_rows(env, len(open_rows), index)
        root = self._root(step, part, len(index), batch, rows[index])
        chosen[name][index] = root
        open_rows = open_rows.copy()
        open_rows[index] = np.isnan(root)
        return open_rows

    def _pick_candidates(self, step: Step, env: Env, n: int) -> tuple[dict[str, FloatColumn], Mask]:
        """Per row, the first closed-form root that is real, finite and in the domain."""
        chosen = {u: np.full(n, np.nan) for u in step.unknowns}
        open_rows = np.ones(n, dtype=bool)
        for candidate in step.candidates:
            cols = {u: column(self._compile(t)(env), n) for u, t in candidate.items()}
            valid = open_rows.copy()
            for u, col in cols.items():
                valid &= self._in_domain(u, col)
            for u, col in cols.items():
                chosen[u][valid] = col[valid]
            open_rows &= ~valid
            if not open_rows.any():
                break
        return chosen, open_rows

    def _all_in_domain(self, name: str, col: FloatColumn) -> bool:
        """Two reductions instead of several masks; NaN makes every comparison false."""
        if not len(col):
            return True
        domain = self.rules.variables[name].domain
        shown = self._shown_bounds(col)    # (bounds wider than min/max can only say yes)
        if shown is not None and within_domain(domain, *shown):
            return True
        return within_domain(domain, *self._exact_bounds(col))

    def _in_domain(self, name: str, col: FloatColumn) -> Mask:
        return domain_mask(self.rules.variables[name].domain, col)


def typed_at(batch: Batch, row: int) -> frozenset[str]:
    """The values the user gave in `row` (not catalog figures or defaults)."""
    return frozenset(n for n, codes in batch.status.items() if codes is not None and codes[row] == GIVEN)


def givens_clause(inputs: set[str], typed: frozenset[str]) -> Nested:
    """The inputs behind a refused value, the user's own first: "mfu, tp (and 48 catalog figures and
    defaults behind them)" rather than fifty names in alphabetical order."""
    own = sorted(inputs & typed)
    rest = len(inputs) - len(own)
    if not own:
        return Nested("planner.givens.only_assumed", names=", ".join(sorted(inputs)) or "-")
    return Nested("planner.givens.own", names=", ".join(own), more=Nested("planner.givens.more", count=rest)
                  if rest else Nested())


def _inputs_of(plan: Plan, step: Step) -> set[str]:
    """The known values (givens, catalog figures, defaults) a step's result is computed from."""
    start = [v for e in step.equations for v in e.variables if v not in step.unknowns]
    return {n for n in inputs_behind(plan, start) if n in plan.knowns}


def _rule_ids(step: Step, shown: int = 3) -> str:
    """The step's rules as an error names them: a chain torn through 25 definitions names its first few
    and how many more (`llmplan explain` lists them all), not a paragraph of ids."""
    ids = [e.id for e in step.equations]
    return ", ".join(ids) if len(ids) <= shown + 1 else f"{', '.join(ids[:shown])} … (+{len(ids) - shown})"


def values_behind(plan: Plan, names: Iterable[str]) -> set[str]:
    """`names` and every value the plan computes them from (derived ones and inputs alike)."""
    producers = {u: step for step in plan.steps for u in step.unknowns}
    seen: set[str] = set()
    todo = list(names)
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            step = producers.get(current)
            if step is not None:
                todo += [v for eq in step.equations for v in eq.variables]
    return seen


def inputs_behind(plan: Plan, names: Iterable[str]) -> set[str]:
    """The names no step of the plan produces (givens, catalog figures, defaults) that the values of
    `names` are computed from, walking back through the steps that produce them."""
    produced = {u for step in plan.steps for u in step.unknowns}
    return {n for n in values_behind(plan, names) if n not in produced}
