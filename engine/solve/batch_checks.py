"""Checks on solved rows: rules that must hold (contradictions are row errors), defaults the rules
contradicted (warnings), and the rule files' advisory checks (warnings).

A base class of BatchSolver (engine/solve/batch.py), beside the rounding: both build on the step evaluation.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np

from ..errors import ContradictionError, EngineError, EvaluationError
from ..messages import Both, Nested, said_text
from ..rules.model import Check, Equation, RuleSet, Variable
from ..rules.units import unit_info
from ..text.formatting import PLACEHOLDER, fill_values, format_quantity, in_language
from .batch_result import CATALOG, GIVEN, Batch, Rows, Value
from .check_causes import fired_checks, said_check
from .conventions import same_figure
from .elimination import monomial
from .evaluation import Env, StepEvaluation, inputs_behind
from .factored import ShapedEnv
from .float_noise import within_noise
from .keys import Soft
from .mismatch import RuleMismatch
from .numeric import may_be_true
from .planning import Plan
from .rowset import Every, column, mask, pick

APPROXIMATE = 0.01   # equations with at least this tolerance only warn when given values disagree
ROUNDED_FIGURES = 0.005   # an exact rule missed by at most this is figures rounded to 3 digits: a warning
ROW_MESSAGES = 1000  # refused rows of one rule told one by one (a sweep's rest: one text, values in the row)


class GroupChecks(StepEvaluation):
    """Consistency, overridden defaults and advisories (the checking part of BatchSolver)."""

    def _consistency(self, batch: Batch, plan: Plan, env: Env, rows: Rows,
                     rounded: frozenset[str] = frozenset(), skip: set[str] | frozenset[str] = frozenset(),
                     defaults: frozenset[str] = frozenset(), before: Env | None = None,
                     unsettled: tuple[np.ndarray, set[str]] = (np.zeros(0, dtype=np.intp), set())) -> None:
        """Rules with no unknown left must hold. `rounded`: whole-number answers (grad_accum = 3.9 -> 4)
        that a rule with only givens besides them cannot follow: not a contradiction of the givens
        but no admissible whole value (global_batch 1,000 is no multiple of micro_batch x dp = 256).
        `skip`: checks already made on the same values. `defaults`: inputs the user did not give (a
        replan holds them as knowns), said so in the message. `before`: the values before the rounding,
        where a layout that cannot run (an error check) is told as it was given (dp = 7.5, not 7.474).
        `unsettled`: (rows, names) whose values await the recompute (solve/first_whole.py)."""
        n = len(rows)
        shaped = self._shaped(env, n)
        for eq in plan.checks:
            if eq.id in skip or not eq.variables <= env.keys():
                continue   # a side value not evaluated (side_values=False)
            with np.errstate(all="ignore"):
                if shaped is not None and _agree(np.atleast_1d(self._compile(eq.lhs)(shaped)),
                                                 np.atleast_1d(self._compile(eq.rhs)(shaped)), eq.tolerance):
                    continue   # every row agrees, seen on the grid's shape
                left = column(self._compile(eq.lhs)(env), n)
                right = column(self._compile(eq.rhs)(env), n)
                if _agree(left, right, eq.tolerance):
                    continue   # every row agrees (the usual case): no per-row work
                scale = np.maximum(np.abs(left), np.abs(right))
                gap = np.abs(left - right) / np.where(scale > 0, scale, 1.0)
            # a side that could not be computed (overflow: already noted) cannot be checked
            bad = ~(gap <= eq.tolerance) & np.isfinite(left) & np.isfinite(right)
            if len(unsettled[0]) and eq.variables & unsettled[1]:
                bad[unsettled[0]] = False
            if bad.any():   # (a value solved by subtraction, −4e-16 s against its rule's 0 s, is no contradiction)
                bad &= ~within_noise(eq, self.rules.variables, env, left, right)
            if eq.tolerance >= APPROXIMATE and bad.any():
                # an approximate relation (published count vs architecture): a modest miss warns,
                # a large one (beyond 5x the tolerance) is still a contradiction
                bad = self._near_miss(batch, eq, rows, gap, bad, 5 * eq.tolerance, False)
            elif bad.any() and not (inputs_behind(plan, eq.variables) | eq.variables) & rounded:
                # figures typed as printed (28.3 days for 28.2552): a miss a 3-significant-figure
                # rounding explains warns; a whole-number answer's rule stays exact (global_batch)
                bad = self._near_miss(batch, eq, rows, gap, bad, ROUNDED_FIGURES, True)
            if bad.any():
                whole_numbers = (rounded, defaults | frozenset(plan.defaults))
                self._refuse(batch, eq, plan, env if before is None else before, rows, np.flatnonzero(bad),
                             whole_numbers, (left, right, gap), env)

    def _near_miss(self, batch: Batch, eq: Equation, rows: Rows, gap: np.ndarray, bad: np.ndarray, within: float,
                   rounded_figures: bool) -> np.ndarray:
        """Rows of `bad` whose gap is at most `within` are kept with a warning; returns the rest."""
        near = bad & (gap <= within)
        if near.any():
            full = np.full(batch.rows, np.nan)
            full[rows[near]] = gap[near]
            batch.mismatches.append(RuleMismatch(eq, full, rounded_figures))
        return bad & ~near

    def _overridden_defaults(self, batch: Batch, plan: Plan, env: Env, rows: Rows, soft: Soft) -> None:
        """A value the rules derived that differs from its default (recompute=none's 6 FLOP/token when
        train_flops was given): not an error — the default is only an assumption — but worth a warning.
        A fallback (a default on a value some rule defines: activation_bytes = 0, active_share = 1) is
        meant to give way to the rule, so deriving it is no news; so is a figure the user gave or asked
        for in another form (tokens_per_char=0.737 is the tokenizer's tokens_per_char_zh: it replaces
        the default tokenizer's figure, as the planner's _held_defaults says)."""
        fallbacks = {eq.lhs[1] for eq in self.rules.equations if eq.lhs[0] == "var"}
        forms = same_figure([eq for step in plan.steps for eq in step.equations],
                            set(plan.targets) | (set(plan.knowns) - set(plan.defaults)))
        for name in plan.derived:
            if name not in soft or name not in env or name in fallbacks or name in plan.targets or name in forms:
                continue   # (an answer asked for is not a default bent: tp = 8 is what was asked)
            soft_value = soft[name]
            default = soft_value if isinstance(soft_value, float) or np.ndim(soft_value) == 0 \
                or isinstance(rows, Every) else soft_value[rows]
            with np.errstate(all="ignore"):
                differs = ~np.isclose(env[name], default, rtol=1e-6, atol=0.0) & np.isfinite(env[name])
            differs = np.broadcast_to(differs, (len(rows),))
            if differs.any():
                first = int(np.flatnonzero(differs)[0])
                variable = self.rules.variables[name]
                shown = format_quantity(variable, float(np.broadcast_to(default, (len(rows),))[first]))
                got = format_quantity(variable, float(np.broadcast_to(env[name], (len(rows),))[first]))
                batch.notes.append((f"default_overridden.{name}",
                                    f"{name} follows from the values given ({got}), not from its default ({shown}); "
                                    "the derived value is used — check the inputs if the default was meant",
                                    mask(rows[differs], batch.rows)))

    def _refuse(self, batch: Batch, eq: Equation, plan: Plan, env: Env, rows: Rows, bad: np.ndarray,
                whole_numbers: tuple[frozenset[str], frozenset[str]],
                sides: tuple[np.ndarray, np.ndarray, np.ndarray], after: Env) -> None:
        """Rows `bad` (positions in `rows`) break rule `eq`: each its own message, up to ROW_MESSAGES of
        them; the rest one text naming the values (each row's own are in its columns). `env`: the values
        before any rounding, `after` those the rule was checked on."""
        # a rounded answer behind the rule (grad_accum = 42.67 -> 43 makes dp = 4,096 / 43 = 95.26 beside
        # n_gpus / (tp · pp) = 96): no whole value fits, the givens themselves do not contradict
        rounded, defaults = whole_numbers
        behind = inputs_behind(plan, eq.variables) | eq.variables
        whole = sorted(behind & rounded)
        todo = bad[~batch.failed[np.asarray(rows)[bad]]]
        if whole:   # a layout that cannot run (dp = 7.5) is why no whole value exists: told as that
            todo = self._refuse_by_cause(batch, self._error_checks(env, len(rows), behind), env, rows, todo)
        told = todo[:ROW_MESSAGES]
        left, right, gap = sides
        inputs = sorted((behind & set(plan.knowns)) - set(whole[:1]))
        messages = [self._not_whole(eq, whole[0], inputs, after, i, batch, int(rows[i]), defaults) if whole else
                    self._contradiction(eq, plan, after, i, left[i], right[i], gap[i],
                                        _catalog_keys(self.rules, batch, int(rows[i]))) for i in told.tolist()]
        batch.fail_each(np.asarray(rows)[told], messages, ContradictionError)
        rest = todo[ROW_MESSAGES:]
        if len(rest):
            names = ", ".join(inputs) if whole else ", ".join(sorted(eq.variables))
            message = said_text("planner.not_whole.row", name=whole[0], rule=eq.id, formula=eq.text, names=names) \
                if whole else said_text("planner.contradiction.row", rule=eq.id, formula=eq.text, names=names)
            batch.fail(mask(np.asarray(rows)[rest], batch.rows), message, ContradictionError)

    def _error_checks(self, env: Env, n: int, names: set[str] | frozenset[str]) -> list[tuple[Check, np.ndarray]]:
        """The error checks on `names` that fire in some of the n rows: a layout that cannot run (dp = 7.5)
        is why no whole grad_accum exists, and says so better than the rounding does."""
        return fired_checks(self, env, n, lambda check: check.severity == "error" and check.variables <= names)

    def _refuse_by_cause(self, batch: Batch, causes: list[tuple[Check, np.ndarray]], env: Env, rows: Rows,
                         todo: np.ndarray) -> np.ndarray:
        """Rows of `todo` (positions in `rows`) where one of `causes` fires are refused with its text;
        returns the others."""
        for check, fired in causes:
            caused, todo = todo[fired[todo]], todo[~fired[todo]]
            self._refuse_by_check(batch, check, np.asarray(rows)[caused],
                                  lambda row: _env_value(env, int(np.searchsorted(np.asarray(rows), row)),
                                                         _row_value(batch, row)))
        return todo

    def _not_whole(self, eq: Equation, name: str, inputs: list[str], env: Mapping[str, Value], i: int, batch: Batch,
                   row: int, defaults: frozenset[str]) -> str:
        """The rounded answer `name` breaks rule `eq`: the `inputs` it and the rule's other values come
        from, all given (or defaults, said so), as the user can change them."""
        kept = batch.unrounded.get(name)
        raw = float(np.broadcast_to(kept, (batch.rows,))[row]) if kept is not None else None
        if raw is not None and np.isfinite(raw):
            batch.not_whole[row] = (name, raw, tuple(inputs))
        others = "; ".join(f"{n} = {format_quantity(self.rules.variables[n], float(pick(env[n], i)))}"
                           + (" (default)" if n in defaults else "") for n in inputs)
        return said_text("planner.not_whole", name=name, raw=f"{raw:.4g}" if raw is not None else "?",
                         rule=eq.id, formula=eq.text, values=others)

    def _contradiction(self, eq: Equation, plan: Plan, env: Mapping[str, Value], i: int, left: float, right: float,
                       gap: float, keys: Mapping[str, str] | None = None) -> str:
        """Which rule, both sides in display units (a given's value and the value the other values
        imply for it), the gap, and which givens to drop (issue #13 §3); `keys`: the catalog key that
        supplied a figure (peak_flops -> gpu=A800), named beside it, since that is what the user typed."""
        parts = []
        for n in sorted(eq.variables):
            shown = f"{n}={format_quantity(self.rules.variables[n], pick(env[n], i))}"
            origins = _origins(plan, n)
            parts.append(f"{shown} (from {', '.join(sorted(origins))})" if origins else shown)
        name, stated, implied = self._sides(eq, plan, env, i, left, right)
        variable = self.rules.variables[name]
        inputs = set()
        for n in eq.variables:
            inputs |= _origins(plan, n) or {n}
        defaults = sorted(n for n in inputs if n in plan.defaults)
        keys = keys or {}
        givens = [f"{n} ({keys[n]})" if n in keys else n for n in sorted(n for n in inputs if n not in plan.defaults)]
        if defaults:
            shown = ", ".join(f"{n} (default {format_quantity(self.rules.variables[n], float(pick(env[n], i)))})"
                              for n in defaults if n in env)
            drop = Nested("planner.contradiction.drop_default", names=", ".join(givens), defaults=shown)
        else:
            drop = Nested("planner.contradiction.drop", names=", ".join(givens))
        # the band applied (an exact rule takes figures rounded to 3 digits: 0.5 %), and sides told apart
        # (30.27 days against 30.43, not 30.3 against 30.4)
        tolerance = eq.tolerance if eq.tolerance >= APPROXIMATE else max(eq.tolerance, ROUNDED_FIGURES)
        left_text, right_text = _apart(variable, stated, implied)
        return said_text("planner.contradiction", rule=eq.id, formula=eq.text, left_name=name,
                    left=left_text, right=right_text, gap=f"{gap:.2%}", tolerance=f"{tolerance:.2%}",
                    values="; ".join(parts), drop=drop)

    def _sides(self, eq: Equation, plan: Plan, env: Mapping[str, Value], i: int, left: float, right: float
               ) -> tuple[str, float, float]:
        """(variable, its value, the value the rule's other values imply for it): a given of the rule
        (a budget first) when the rule is a product of powers, else the left-hand side's variable."""
        form = monomial(eq, {n: v.domain for n, v in self.rules.variables.items()})
        if form is not None and left > 0 and right > 0:
            powers = form.powers
            given = [n for n in powers if not _origins(plan, n) and n not in plan.defaults]
            given.sort(key=lambda n: (self.rules.variables[n].role != "budget", n))
            if given:
                name = given[0]
                value = float(pick(env[name], i))
                with np.errstate(over="ignore"):   # (a side already overflowing says inf, as its value does)
                    return name, value, value * (left / right) ** (-1.0 / float(powers[name]))
        if eq.lhs[0] == "var":
            return eq.lhs[1], left, right
        name = sorted(eq.variables)[0]
        value = float(pick(env[name], i))
        return name, value, value   # (no closed form per variable: the values listed say the rest)

    def _advisories(self, batch: Batch) -> None:
        env = batch.values
        shaped = self._shaped(env, batch.rows)   # (a grid's checks read each value on its axes)
        for check in self.rules.checks:
            if not all(n in env for n in check.variables):
                continue
            if not may_be_true(check.condition, lambda n: self._finite_bounds(env[n])):
                continue   # from the bounds of its values, the check fires in no row (no masks)
            with np.errstate(all="ignore"):
                condition = self._on_grid(check.condition, batch, shaped)
                fired = np.asarray(self._compile(condition)(env if shaped is None else shaped), dtype=bool)
            if not fired.any():
                continue   # comparisons with NaN are false, so unknown values rarely fire
            for n in check.variables:
                fired = fired & ~np.isnan(env[n] if shaped is None else shaped[n])
            if shaped is not None:
                fired = np.broadcast_to(fired, shaped.grid.shape).reshape(-1)
            fired = np.array(np.broadcast_to(fired, (batch.rows,)))
            for name in check.unless_given:   # advice about a default: not where the user chose it
                fired &= ~_given(batch, name)
            if check.severity == "error":
                # an asked value is a requirement, not a layout given (dp = 15.22 replicas fill the memory):
                # said as a warning there; a layout given that cannot run is refused
                asked = _asking(batch, check.variables)
                self._refuse_by_check(batch, check, np.flatnonzero(fired & ~asked & ~batch.failed))
                fired = fired & asked
            if fired.any():
                batch.warnings.append((check.id, fired))
        _drop_replaced(self.rules.checks, batch)

    def _refuse_by_check(self, batch: Batch, check: Check, where: np.ndarray,
                         values: "Callable[[int], Callable[[str], float | None]] | None" = None) -> None:
        """Rows `where` (indices), where an error check fires (n_gpus not a multiple of tp × pp: a layout
        that cannot run), are refused with its message, its values filled per row for the first
        ROW_MESSAGES of them; `values`: row -> each value in it (the batch's values by default)."""
        if not len(where):
            return
        value_of = values or (lambda row: _row_value(batch, row))
        told = where[:ROW_MESSAGES]
        messages: list[str] = [said_text("planner.check_refused", check=said_check(check, self.rules.variables,
                                                                                  value_of(int(r)))) for r in told]
        batch.fail_each(told, messages, EvaluationError)
        if len(where) > len(told):   # (one text for the rest: the values they share filled, the others named)
            rest = where[len(told):]
            shared = _shared_value(batch, rest)
            said = [PLACEHOLDER.sub(r"\1", fill_values(check.message(lang), self.rules.variables, shared))
                    for lang in ("en", "zh")]
            batch.fail(mask(rest, batch.rows), said_text("planner.check_refused", check=Both(
                f"{check.id}: {said[0]}", f"{check.id}：{said[1]}")), EvaluationError)

    def _shaped(self, env: Mapping[str, Value], rows: int) -> ShapedEnv | None:
        """env on the grid's shape, when this solve's rows are a grid (a sweep) and env covers them all."""
        grid = self._grid
        return ShapedEnv(env, grid) if grid is not None and grid.rows == rows else None


def _apart(variable: Variable, stated: float, implied: float) -> tuple[Both, Both]:
    """Both sides as people read them, in both languages, with more digits where the usual ones make them look
    alike (28.3 days against 28.3)."""
    def said(value: float, digits: int) -> Both:
        text = format_quantity(variable, value)
        head, space, unit = text.partition(" ")
        try:
            float(head.replace(",", ""))   # (a plain number before the unit shown: days, hours, GB, ...)
            scale = unit_info(unit)[0] if unit else 1.0
        except (ValueError, EngineError):
            scale = 0.0
        if digits and scale and math.isfinite(scale):
            text = f"{value / scale:,.{digits}g}{space}{unit}"
        return Both(text, in_language(text, "zh"))
    close = abs(stated - implied) <= 0.05 * max(abs(stated), abs(implied))
    for digits in ((4, 6) if close else (0, 4, 6)):   # (a gap of a few % reads better at 4 digits)
        left, right = said(stated, digits), said(implied, digits)
        if left.english != right.english:
            return left, right
    return left, right


def _row_value(batch: Batch, row: int):
    """name -> its value in `row` (None where the batch has none), for a check's message."""
    def value(name: str) -> float | None:
        column = batch.values.get(name)
        return None if column is None else float(np.broadcast_to(np.asarray(column, dtype=float), (batch.rows,))[row])
    return value


def _shared_value(batch: Batch, rows: np.ndarray):
    """name -> its value where every one of `rows` has the same (global_batch = 4,096 across a sweep), else None."""
    def value(name: str) -> float | None:
        column = batch.values.get(name)
        if column is None:
            return None
        at = np.broadcast_to(np.asarray(column, dtype=float), (batch.rows,))[rows]
        return float(at[0]) if len(at) and np.all(at == at[0]) else None
    return value


def _env_value(env: Env, i: int, otherwise: "Callable[[str], float | None]" = lambda name: None):
    """name -> its value at position i of a group's values (`otherwise` where there is none: a given the
    message names beside the check's own values, global_batch beside grad_accum < 1)."""
    return lambda name: pick(env[name], i) if name in env else otherwise(name)


def _asking(batch: Batch, names: frozenset[str]) -> np.ndarray:
    """Per row: the row's question asks one of `names`."""
    codes = [code for code, targets in enumerate(batch.targets) if names & set(targets)]
    if not codes:
        return np.zeros(batch.rows, dtype=bool)
    return np.isin(np.broadcast_to(batch.row_targets, (batch.rows,)), codes)


def _given(batch: Batch, name: str) -> np.ndarray:
    """Per row: the user (or a training config) gave `name` (a key typed, or a number given)."""
    typed = batch.typed.get(name)
    if typed is not None:
        return np.broadcast_to(typed, (batch.rows,))
    status = batch.status.get(name)
    return np.zeros(batch.rows, dtype=bool) if status is None else np.broadcast_to(status, (batch.rows,)) == GIVEN


def _drop_replaced(checks: list[Check], batch: Batch) -> None:
    """A check that says more precisely what a broader one says (`replaces:`) stands in its place in the
    rows where both fired: the weights alone not fitting, not "does not fit" beside it."""
    by_id = {c.id: c for c in checks}
    fired = dict(batch.warnings)
    hidden: dict[str, np.ndarray] = {}
    for code, rows in fired.items():
        for replaced in by_id[code].replaces if code in by_id else ():
            if replaced in fired:
                hidden[replaced] = hidden.get(replaced, False) | rows
    if hidden:
        kept = [(code, rows & ~hidden[code]) if code in hidden else (code, rows) for code, rows in batch.warnings]
        batch.warnings[:] = [(code, rows) for code, rows in kept if rows.any()]


def _catalog_keys(rules: RuleSet, batch: Batch, row: int) -> dict[str, str]:
    """name -> "gpu=A800" for each figure a catalog key of this row supplied (its keys typed or defaulted)."""
    out: dict[str, str] = {}
    for key, table in rules.tables.items():
        column = batch.keys.get(key)
        if column is None or column.codes[row] < 0:
            continue
        for name in table.fields:
            status = batch.status.get(name)
            if status is not None and int(np.broadcast_to(status, (batch.rows,))[row]) == CATALOG:
                out.setdefault(name, f"{key}={column.labels[column.codes[row]]}")
    return out


def _agree(left: np.ndarray, right: np.ndarray, tolerance: float) -> bool:
    """Every row has |left - right| <= tolerance * min over rows of min(|left|, |right|): a sufficient
    condition for every row to pass the relative check (NaN: False, look closer)."""
    if not len(left):
        return True
    gap = np.subtract(left, right)
    np.abs(gap, out=gap)
    worst = gap.max()
    low = min(left.min(), right.min())
    if low >= 0:   # all positive (the usual case): no absolute values needed
        return bool(worst <= tolerance * low)
    return bool(worst <= tolerance * min(np.abs(left).min(), np.abs(right).min()))


def _origins(plan: Plan, name: str) -> set[str]:
    """The known inputs a derived value was computed from ({} for an input)."""
    if not any(name in step.unknowns for step in plan.steps):
        return set()
    return inputs_behind(plan, [name])
