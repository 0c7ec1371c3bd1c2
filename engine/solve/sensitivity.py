"""How much each default moved an answer: the numeric defaults a question used, each raised by 10 %
(a plain zero set to 1: a switch turned on), the derivation evaluated forward again from the answer's
own closed forms, and the targets' largest relative change.

A step the engine solved numerically (n_gpus from a deadline under perf_model=analytic: no closed form)
is solved again the way the engine solved it: its closing rule with the definitions it was torn through
substituted, and the same root search (engine/solve/roots.find_root), for every nudged default at once
(one row each, beside a row of the answer's own values that must give the answer's root back).

What the brief answer lists as "assumptions that shaped the answer" is ranked by this (epochs = 1 moves
a time answer one for one; offload_grads = 0 does not move it at all), instead of by whether a value
looks like a do-nothing figure."""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EngineError
from .numeric import Compiled, Env, compile_tree, domain_mask
from .roots import find_root, guarded

if TYPE_CHECKING:
    from .solver import DerivationStep, Engine, Result

STEP = 1.1          # the relative change given to a nonzero default
NOISE = 1e-12       # relative changes below this are float noise, not an effect
ROOT_AGREES = 1e-6  # a numeric step solved again from the answer's own values gives its root back this closely


def nudged(value: float, domain: str) -> float:
    """The value a default is moved to: 10 % more; a plain zero set to 1 (a switch turned on); a whole
    number to the next whole number at or above 10 % more (grad_accum 1 -> 2: 1.1 micro-batches is
    no run anyone can start, and a 10 % step would rank grad_accum = 1 below figures it outweighs)."""
    if value == 0:
        return 1.0
    if domain == "integer":
        return float(max(value + 1, math.ceil(round(value * STEP, 9))))
    return value * STEP


def default_effects(result: "Result") -> dict[str, "float | None"]:
    """Per numeric default of the answer: the largest relative change of a target when the default is
    raised (0.0: the answer does not depend on it), or None where that cannot be said: a step with
    neither a closed form nor a residual this module can rebuild downstream of it, or a zero with a
    unit (0 GB of overhead: how much a "little more" is has no scale)."""
    base = dict(result.values)
    base.update(result.unrounded)   # the values before rounding: what the solve steps computed
    categorical = {n for n, v in result.rules.variables.items() if v.categorical}
    names = [name for name, _, _ in result.assumptions if name not in categorical and name in base]
    if not names:
        return {}
    rows = _Rows({name: nudged(base[name], result.rules.variables[name].domain) for name in names}, base)
    solving = [step for step in result.derivation if step.phase == "solve"]
    # (the steps to the answer only: a side value's step, the memory beside a time, cannot move it)
    for index, step in enumerate(solving):
        if step.needed:
            rows.apply(step, solving[index + 1:], result.rules.variables)
    effects: dict[str, float | None] = {}
    for row, name in enumerate(names):
        effect = rows.effect(row, result.targets)
        if effect and base[name] == 0 and result.rules.variables[name].unit:
            effect = None   # (it matters, by an amount one byte more cannot tell)
        effects[name] = effect
    return effects


class _Rows:
    """One row per nudged default (and a last row of the answer's own values): each variable's value
    per row, which rows the nudge reached, and the rows whose change cannot be said."""

    def __init__(self, changes: dict[str, float], base: dict[str, float]) -> None:
        self.base, self.count = base, len(changes) + 1
        self.values = {name: np.full(self.count, value) for name, value in base.items()}
        self.reached: dict[str, np.ndarray] = {}
        for row, (name, value) in enumerate(changes.items()):
            self.values[name][row] = value
            self.reached[name] = np.arange(self.count) == row
        self.failed = np.zeros(self.count, dtype=bool)

    def apply(self, step: "DerivationStep", later: list["DerivationStep"], variables: dict) -> None:
        """Evaluate `step` again for the rows a nudge reached (`later`: the steps after it, where a torn
        numeric step finds the closed forms of the definitions it went through)."""
        reads = {v for eq in step.equations for v in eq.variables} - set(step.unknowns)
        rows = np.zeros(self.count, dtype=bool)
        for name in reads & set(self.reached):
            rows |= self.reached[name]
        if not rows.any():
            return
        with np.errstate(all="ignore"):
            try:
                got = _numeric(step, later, self.values, variables) if step.numeric else \
                    {u: compile_tree(step.solved[u])(self.values) for u in step.unknowns}
            except KeyError:   # (a closed form that reads a value this row does not have)
                got = None
        if got is None or any(u not in self.base for u in step.unknowns):
            self.failed |= rows
            return
        for unknown in step.unknowns:
            column = np.broadcast_to(np.asarray(got[unknown], dtype=float), (self.count,))
            domain = variables[unknown].domain   # (a nudge the engine would refuse: dp below 1 is no answer)
            if domain_mask(domain, np.array([self.base[unknown]]))[0]:
                self.failed |= rows & ~domain_mask(domain, column)
            self.values[unknown] = np.where(rows, column, self.values[unknown])
            self.reached[unknown] = self.reached.get(unknown, np.zeros(self.count, dtype=bool)) | rows

    def effect(self, row: int, targets: tuple[str, ...]) -> "float | None":
        if self.failed[row]:
            return None
        largest = 0.0
        for target in targets:
            if target not in self.reached or not self.reached[target][row]:
                continue
            before, after = self.base.get(target), float(self.values[target][row])
            if before is None or not math.isfinite(after):
                return None
            largest = max(largest, abs(after - before) / abs(before) if before else abs(after))
        return largest if largest > NOISE else 0.0


def _numeric(step: "DerivationStep", later: list["DerivationStep"], values: dict[str, np.ndarray],
             variables: dict) -> "dict[str, np.ndarray] | None":
    """The unknown of a numerically solved step for every row, found as the engine found it; None where
    its residual cannot be rebuilt or the answer's own row does not give the answer's root back."""
    residual = _residual(step, later, variables)
    if residual is None:
        return None
    name = step.unknowns[0]
    rows = len(next(iter(values.values())))
    root = find_root(residual, name, values, rows, variables[name].domain)
    expected = values[name][-1]
    if not math.isclose(root[-1], expected, rel_tol=ROOT_AGREES):
        return None
    return {name: root}


def _residual(step: "DerivationStep", later: list["DerivationStep"], variables: dict) -> "Compiled | None":
    """lhs - rhs of the step's closing rule, with the definitions it was torn through evaluated first
    from the closed forms the later steps solved them with (a numeric step lists its closing rule and
    those definitions: performance.mfu through parallelism.dp, performance.step_time_links, ...)."""
    if len(step.unknowns) != 1:
        return None
    closing = {eq.id: eq for eq in step.equations}
    definitions: list[tuple[str, Compiled]] = []
    for other in later:
        eq_id = other.equations[0].id
        if len(other.equations) == 1 and len(other.unknowns) == 1 and eq_id in closing \
                and other.unknowns[0] in other.solved:
            definitions.append((other.unknowns[0], compile_tree(other.solved[other.unknowns[0]])))
            del closing[eq_id]
    if len(closing) != 1:
        return None
    eq = next(iter(closing.values()))
    lhs, rhs = compile_tree(eq.lhs), compile_tree(eq.rhs)

    def residual(env: Env) -> "np.ndarray | float":
        return lhs(env) - rhs(env)

    # (evaluated as the engine's own torn residual: the definitions first, no root outside their domains)
    return guarded(residual, [(name, closed, variables[name].domain) for name, closed in definitions])


SWITCH_SECONDS = 0.4   # the re-solves for the conventions stop after this (the brief answer waits for them)
SWITCH_VALUES = 4      # alternatives tried per convention (a catalog selector can have dozens)


def convention_effects(engine: "Engine", result: "Result", givens: dict[str, Any]) -> dict[str, "float | None"]:
    """Per default convention of the answer (recompute = none, attention_kernel = flash): the largest
    relative change of a target when the question is solved again under one of its other values (0.0: none
    moves it), or None where no alternative answers (it needs more givens) or time ran out."""
    started = time.monotonic()
    effects: dict[str, float | None] = {}
    # (a default that followed the question's other conventions first: recompute=full for a fine-tune)
    for name, value, _ in sorted(result.assumptions, key=lambda item: not result.rules.variables[item[0]].default_when):
        variable = result.rules.variables[name]
        if not variable.categorical or name in givens:
            continue
        changes = []
        for other in [v for v in variable.values if v != value][:SWITCH_VALUES]:
            if time.monotonic() - started > SWITCH_SECONDS:
                return effects
            try:
                again = engine.solve(list(result.targets), {**givens, name: other})
            except EngineError:
                continue
            changes.append(_largest_change(result, again))
        effects[name] = max(changes) if changes else None
    return effects


def _largest_change(result: "Result", again: "Result") -> float:
    largest = 0.0
    for target in result.targets:
        before = result.unrounded.get(target, result.values.get(target))
        after = again.unrounded.get(target, again.values.get(target))
        if before is None or after is None or not math.isfinite(after):
            return math.inf
        largest = max(largest, abs(after - before) / abs(before) if before else abs(after))
    return largest if largest > NOISE else 0.0
