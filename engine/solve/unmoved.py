"""A question refused as under-determined because a given it is asked from does not depend on it.

"How many RTX 4090s for a QLoRA of Llama-3-70B within the memory (memory_fill=1)?" has no answer at
zero_stage 0: every GPU holds the whole model, so the count changes nothing about the memory, and the
planner, finding no rule that links them, lists values that would (dp, global_batch). True, but the
user needs to hear why: memory_fill does not depend on n_gpus here, the other givens make it 1.65
whatever the count, and the weights alone (39.6 GB) exceed the 24 GB card: split them (zero_stage=3,
tp or pp). This module finds that: each typed given that the other givens determine on their own,
without the asked value, is solved forwards from them, and said with its value and the warnings that
fire there. Like engine/solve/reach.py it runs only after a single question was refused (one small
solve per typed given), never per row of a batch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import UnderdeterminedError
from ..messages import Caught, Joined, Nested
from ..text.formatting import said_quantity
from .check_causes import said_check
from .reach import solved_alone

if TYPE_CHECKING:
    from .batch_result import Batch
    from .solver import Engine


def unmoved(engine: "Engine", numbers: dict[str, float], keys: dict[str, str], targets: Sequence[str],
            error: BaseException | str, kind: object) -> dict[str, object] | None:
    """The fields of message planner.unmoved when `error` (of `kind`: an exception, or its class for a row of a
    batch) is an under-determined refusal of one asked value and some typed limit follows from the other givens
    alone; None otherwise."""
    underdetermined = isinstance(kind, UnderdeterminedError) or kind is UnderdeterminedError
    if not underdetermined or len(targets) != 1:
        return None
    target = targets[0]
    clauses: list[Nested] = []
    for name, typed in numbers.items():
        variable = engine.rules.variables[name]
        if name == target or variable.domain in ("integer", "categorical") or not variable.limit:
            continue
        others = {n: v for n, v in numbers.items() if n != name}
        batch = solved_alone(engine, others, keys, name)
        if batch is None:
            continue
        now = _first(batch, name)
        if not np.isfinite(now):
            continue
        clauses.append(Nested("planner.unmoved.clause", name=name, target=target,
                              value=said_quantity(variable, typed), now=said_quantity(variable, now),
                              cause=_cause(engine, batch, name)))
    if not clauses:
        return None
    return {"clauses": Joined(*clauses, separator="; "), "target": target,
            "detail": _checked_detail(engine, numbers, keys, target, error)}


def _checked_detail(engine: "Engine", numbers: dict[str, float], keys: dict[str, str], target: str,
                    error: BaseException | str) -> Nested:
    """The refusal's own message, less a plain "or choose X=Y" that is refused too once solved: a plan exists at
    zero_stage=1 for the GPUs within the memory, but the 4-bit base still does not fit (the clause above says
    what would)."""
    parts = getattr(error, "message_fields", {}).get("parts")
    if not isinstance(parts, Joined):
        return Caught(error)
    kept = []
    for part in parts.parts:
        if part.key == "planner.suggestion.selector":
            trial = {**keys, str(part.fields["selector"]): str(part.fields["value"])}
            if solved_alone(engine, numbers, trial, target) is None:
                continue
        kept.append(part)
    return Joined(*kept)


def _cause(engine: "Engine", batch: "Batch", name: str) -> Nested:
    """The first warning (not a note) of the forward solve, as the likely cause: the weights alone do not fit."""
    checks = {c.id: c for c in engine.rules.checks}
    for check_id, rows in batch.warnings:
        check = checks.get(check_id)
        if check is None or check.severity == "info" or not rows[0]:
            continue
        return Nested("planner.domain.cause", check=said_check(check, engine.rules.variables, lambda name: None
                                                               if name not in batch.values else _first(batch, name)))
    return Nested()


def _first(batch: "Batch", name: str) -> float:
    """A one-row solve's value of `name`."""
    return float(np.asarray(batch.values[name], dtype=float).reshape(-1)[0])
