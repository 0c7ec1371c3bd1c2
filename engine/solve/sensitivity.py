"""How much each default moved an answer: the numeric defaults a question used, each raised by 10 %
(a plain zero set to 1: a switch turned on), the derivation evaluated forward again from the answer's
own closed forms, and the targets' largest relative change.

What the brief answer lists as "assumptions that shaped the answer" is ranked by this (epochs = 1 moves
a time answer one for one; offload_grads = 0 does not move it at all), instead of by whether a value
looks like a do-nothing figure."""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from ..errors import EngineError
from ..rules.expr import variables
from .numeric import evaluate_scalar

if TYPE_CHECKING:
    from .solver import Engine, Result

STEP = 1.1          # the relative change given to a nonzero default
NOISE = 1e-12       # relative changes below this are float noise, not an effect


def default_effects(result: "Result") -> dict[str, "float | None"]:
    """Per numeric default of the answer: the largest relative change of a target when the default is
    raised (0.0: the answer does not depend on it), or None where that cannot be said: a step solved
    numerically (no closed form to re-evaluate) downstream of it, or a zero with a unit (0 GB of
    overhead: how much a "little more" is has no scale)."""
    base = dict(result.values)
    base.update(result.unrounded)   # the values before rounding: what the solve steps computed
    # (the steps to the answer only: a side value's step, the memory beside a time, cannot move it)
    steps = [step for step in result.derivation if step.phase == "solve" and step.needed]
    categorical = {n for n, v in result.rules.variables.items() if v.categorical}
    effects: dict[str, float | None] = {}
    for name, _, _ in result.assumptions:
        if name in categorical or name not in base:
            continue
        effect = _effect(name, base, steps, result.targets)
        if effect and base[name] == 0 and result.rules.variables[name].unit:
            effect = None   # (it matters, by an amount one byte more cannot tell)
        effects[name] = effect
    return effects


def _effect(name: str, base: dict[str, float], steps: list, targets: tuple[str, ...]) -> "float | None":
    values = dict(base)
    values[name] = base[name] * STEP if base[name] != 0 else 1.0
    changed = {name}
    for step in steps:
        reads = {v for eq in step.equations for v in eq.variables} - set(step.unknowns)
        if not reads & changed:
            continue
        if step.numeric:
            return None
        for unknown in step.unknowns:
            tree = step.solved[unknown]
            if not variables(tree) <= set(values):
                return None
            values[unknown] = evaluate_scalar(tree, values)
        changed |= set(step.unknowns)
    largest = 0.0
    for target in targets:
        if target not in changed:
            continue
        before, after = base.get(target), values.get(target)
        if before is None or after is None or not math.isfinite(after):
            return None
        change = abs(after - before) / abs(before) if before else abs(after)
        largest = max(largest, change)
    return largest if largest > NOISE else 0.0


SWITCH_SECONDS = 0.4   # the re-solves for the conventions stop after this (the brief answer waits for them)
SWITCH_VALUES = 4      # alternatives tried per convention (a catalog selector can have dozens)


def convention_effects(engine: "Engine", result: "Result", givens: dict[str, Any]) -> dict[str, "float | None"]:
    """Per default convention of the answer (recompute = none, attention_kernel = flash): the largest
    relative change of a target when the question is solved again under one of its other values (0.0: none
    moves it), or None where no alternative answers (it needs more givens) or time ran out."""
    started = time.monotonic()
    effects: dict[str, float | None] = {}
    for name, value, _ in result.assumptions:
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
