"""A contradiction in a scenario table names the cells involved (issue #15): the row's cells that
hold a value of the contradicted rule, or the catalog key that supplied one, each with its value in
display units — `scenarios!C3 params = 7B; scenarios!D3 tokens = 2T token`.

The rule is found from the error (its `equation_id` when the solver attaches one, else the rule id
the message names: `rule scaling.tokens_per_param (...)`), then its variables from the rule set,
so the cells come from structure, not from the message's wording.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ContradictionError
from ..messages import text
from ..text.formatting import format_quantity

if TYPE_CHECKING:
    from ..solve.batch import Batch
    from ..solve.solver import Engine
    from .columns import Prepared

_RULE_ID = re.compile(r"\brule ([a-z][a-z0-9_]*\.[a-z0-9_]+)\b")


def _is_contradiction(kind: object) -> bool:
    return isinstance(kind, ContradictionError) or (isinstance(kind, type) and issubclass(kind, ContradictionError))


def _equation_variables(engine: Engine, kind: object, message: str) -> frozenset[str]:
    eq_id = getattr(kind, "equation_id", None) if isinstance(kind, ContradictionError) else None
    if eq_id is None:
        match = _RULE_ID.search(message or "")
        eq_id = match.group(1) if match else None
    if eq_id is None:
        return frozenset()
    try:
        return engine.rules.equation(eq_id).variables
    except KeyError:
        return frozenset()


def named_cells(engine: Engine, prep: Prepared, batch: Batch, rows: np.ndarray, lang: str = "en") -> dict[int, str]:
    """row -> "cells: sheet!C3 params = 7B; ..." for the contradiction rows among `rows`."""
    out: dict[int, str] = {}
    kinds = batch.error_kinds
    tables = engine.rules.tables
    for row in rows.tolist():
        kind = kinds[row]
        if not _is_contradiction(kind):
            continue
        variables = _inputs_behind(batch, row, _equation_variables(engine, kind, batch.errors[row]))
        parts = []
        for column in prep.columns:
            name = column.variable
            if not name:
                continue
            table = tables.get(name)
            involved = name in variables or (table is not None and variables & set(table.fields))
            if not involved:
                continue
            where = prep.locator.cell(column.index, column.header, row)
            parts.append(f"{where} {name} = {_shown(engine, batch, name, row)}")
        if parts:
            out[row] = text("results.contradiction_cells", lang, cells="; ".join(parts))
    return out


def _inputs_behind(batch: Batch, row: int, variables: frozenset[str]) -> frozenset[str]:
    """The rule's variables plus the inputs each derived one was computed from (gpu_seconds <- n_gpus,
    train_time), from the row's plan."""
    group = batch.group_of(row)
    plan = getattr(group, "plan", None) if group is not None else None
    if plan is None:
        return variables
    producers = {u: step for step in plan.steps for u in step.unknowns}
    out, todo = set(variables), list(variables)
    while todo:
        step = producers.get(todo.pop())
        if step is None:
            continue
        for name in {v for eq in step.equations for v in eq.variables} - set(step.unknowns) - out:
            out.add(name)
            todo.append(name)
    return frozenset(out)


def _shown(engine: Engine, batch: Batch, name: str, row: int) -> str:
    if name in batch.keys:
        keys = batch.keys[name]
        code = keys.codes[row]
        return keys.labels[code] if code >= 0 else "?"
    column = batch.values.get(name)
    if column is None or np.isnan(column[row]):
        return "?"
    return format_quantity(engine.rules.variables[name], float(column[row]))
