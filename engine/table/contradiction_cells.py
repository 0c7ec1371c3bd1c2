"""A contradiction in a scenario table names the cells involved (issue #15): the row's cells that
hold a value of the contradicted rule, or the catalog key that supplied one, each with its value in
display units — `scenarios!C3 params = 7B; scenarios!D3 tokens = 2T token`. Only a cell the user
filled is cited: a value in a column whose cell was left empty was derived, defaulted or filled from a
catalog entry or config file, and is named as such, without an address (`train_flops = 84e21 FLOP
(derived)`, `recompute = none (default)`).

The rule is found from the error (its `equation_id` when the solver attaches one, else the rule id
the message names: `rule scaling.tokens_per_param (...)`), then its variables from the rule set,
so the cells come from structure, not from the message's wording.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ..errors import ContradictionError
from ..messages import text
from ..solve.batch_result import CATALOG, DEFAULT, GIVEN, NONE
from ..text.formatting import format_quantity
from .shared_objects import distinct_objects, is_kind

if TYPE_CHECKING:
    from ..solve.batch import Batch
    from ..solve.planning import Plan
    from ..solve.solver import Engine
    from .columns import Column, Prepared

_RULE_ID = re.compile(r"\brule ([a-z][a-z0-9_]*\.[a-z0-9_]+)\b")


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


def named_cells(engine: Engine, prep: Prepared, batch: Batch, rows: np.ndarray, lang: str = "en") -> pl.Series:
    """Per row of `rows`: " — cells: sheet!C3 params = 7B; ..." for a contradiction, "" otherwise.
    Rows that share an error kind, message and plan share their cells, so the texts are made a set of
    rows at a time (a sweep may refuse 99,000 layouts of one rule): each address and value is formatted
    once per distinct value and joined column-wise."""
    signature = _signatures(batch, rows)
    out = pl.Series("cells", [""], dtype=pl.String).new_from_index(0, len(rows))
    head, tail = text("results.contradiction_cells", lang, cells="\0").split("\0")
    by_columns: dict[tuple[int, ...], list[np.ndarray]] = {}
    columns_of: dict[tuple[int, frozenset[str]], tuple[int, ...]] = {}   # (a thousand messages, one rule)
    for (kind, message, group), positions in signature.items():
        if not is_kind(kind, ContradictionError):
            continue
        rule = (group, _equation_variables(engine, kind, message))
        if rule not in columns_of:
            variables = _inputs_behind(batch, group, rule[1])
            columns_of[rule] = tuple(i for i, column in enumerate(prep.columns)
                                     if _involved(engine, column.variable, variables))
        involved = columns_of[rule]
        if involved:
            by_columns.setdefault(involved, []).append(positions)
    for involved, parts in by_columns.items():
        positions = np.sort(np.concatenate(parts))
        picked = rows[positions]
        pieces = [_cell_texts(engine, prep, batch, prep.columns[i], picked, lang) for i in involved]
        listed = pl.concat_str(pieces, separator="; ", ignore_nulls=True)   # (values not known: left out)
        joined = pl.select(pl.when(listed == "").then(pl.lit("")).otherwise(
            pl.concat_str([pl.lit(head), listed, pl.lit(tail)]))).to_series()
        out = out.scatter(positions, joined)
    return out


def _signatures(batch: Batch, rows: np.ndarray) -> dict[tuple[object, str, int], np.ndarray]:
    """(error kind, message, group position) -> positions in `rows` of the rows that share them (kinds
    and messages by identity: the rows one call refused share one object)."""
    _, _, kind_of = distinct_objects(batch.error_kinds[rows])
    messages, _, message_of = distinct_objects(batch.errors[rows])
    groups = batch.group_index()[rows]
    key = (kind_of * len(messages) + message_of) * (len(batch.groups) + 1) + (groups + 1)
    _, first, which = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(which.reshape(-1), kind="stable")
    bounds = np.flatnonzero(np.diff(which.reshape(-1)[order])) + 1
    out: dict[tuple[object, str, int], np.ndarray] = {}
    for position, positions in zip(first.tolist(), np.split(order, bounds)):
        # (two message objects of one text are one key here: their rows are gathered, not overwritten)
        key = (batch.error_kinds[rows[position]], batch.errors[rows[position]], int(groups[position]))
        found = out.get(key)
        out[key] = positions if found is None else np.concatenate([found, positions])
    return out


def _involved(engine: Engine, name: str | None, variables: frozenset[str]) -> bool:
    """A column is involved when its variable is, or it is the catalog key that supplied one."""
    if not name:
        return False
    table = engine.rules.tables.get(name)
    return name in variables or bool(table is not None and variables & set(table.fields))


def _cell_texts(engine: Engine, prep: Prepared, batch: Batch, column: Column, rows: np.ndarray,
                lang: str = "en") -> pl.Series:
    """"sheet!C3 params = 7B" for each row whose cell the user filled; a value of a cell left empty is
    named with where it came from and no address ("train_flops = 84e21 FLOP (derived)", "recompute =
    none (default)"), and left out (null) where it is not known. The address comes from the row number,
    the value is formatted once per distinct value."""
    prefix, offset, suffix = prep.locator.cell_parts(column.index, column.header)
    numbers = pl.Series(rows + offset, dtype=pl.Int64).cast(pl.String)
    name = column.variable
    raw = _raw(batch, name, rows)
    distinct, inverse = np.unique(raw, return_inverse=True)
    shown = pl.Series([_shown(engine, batch, name, value) for value in distinct.tolist()], dtype=pl.String)
    item = pl.concat_str([pl.lit(f"{name} = "), pl.lit(shown[inverse.reshape(-1)])])
    cited = pl.concat_str([pl.lit(prefix), pl.lit(numbers), pl.lit(f"{suffix} "), item])
    origin = _origins(prep, batch, name, rows, raw)
    if not origin.any():
        return pl.select(cited).to_series()
    said = [text(f"results.cell_origin.{kind}", lang, item="\0").split("\0") for kind in _ORIGINS]
    heads = pl.Series([None, *(head for head, _ in said), None], dtype=pl.String)[origin]
    tails = pl.Series([None, *(tail for _, tail in said), None], dtype=pl.String)[origin]
    return pl.select(pl.when(pl.lit(origin == 0)).then(cited)
                     .otherwise(pl.concat_str([pl.lit(heads), item, pl.lit(tails)]))).to_series()


_ORIGINS = ("derived", "default", "catalog", "config")   # codes 1..4 (0: the user's cell, 5: not known)


def _origins(prep: Prepared, batch: Batch, name: str, rows: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Per row: 0 where the user filled the cell, else where the value came from (1 derived, 2 default,
    3 catalog, 4 config file; 5: not known, nothing to name)."""
    written = _row_mask(prep.written, name, rows, prep.rows, True)
    if written.all():
        return np.zeros(len(rows), dtype=np.int64)
    if name in batch.keys:
        known = raw >= 0
        typed = _row_mask(batch.typed, name, rows, batch.rows, False)   # (a catalog entry's selector)
        origin = np.where(typed, 3, 2)
    else:
        known = ~np.isnan(raw)
        status = np.broadcast_to(batch.status.get(name, NONE), (batch.rows,))[rows]
        origin = np.select([status == DEFAULT, status == CATALOG, status == GIVEN], [2, 3, 4], 1)
    origin = np.where(_row_mask(prep.configured, name, rows, prep.rows, False), 4, origin)
    return np.where(written, 0, np.where(known, origin, 5)).astype(np.int64)


def _row_mask(masks: dict[str, np.ndarray] | None, name: str, rows: np.ndarray, size: int,
              otherwise: bool) -> np.ndarray:
    mask = masks.get(name) if masks is not None else None
    if mask is None:
        return np.full(len(rows), otherwise)
    return np.broadcast_to(np.asarray(mask, dtype=bool), (size,))[rows]


def _raw(batch: Batch, name: str, rows: np.ndarray) -> np.ndarray:
    """The row's code (a key column) or number (NaN: not known) of `name`."""
    if name in batch.keys:
        return np.asarray(batch.keys[name].codes)[rows]
    column = batch.values.get(name)
    if column is None:
        return np.full(len(rows), np.nan)
    return np.broadcast_to(np.asarray(column, dtype=float), (batch.rows,))[rows]


def _inputs_behind(batch: Batch, group: int, variables: frozenset[str]) -> frozenset[str]:
    """The rule's variables plus the inputs each derived one was computed from (gpu_seconds <- n_gpus,
    train_time), from the rows' plan and, when whole numbers were rounded, the plan that followed
    (grad_accum 42.67 -> 43 refused through dp = global_batch / (grad_accum · micro_batch))."""
    found = batch.groups[group] if group >= 0 else None
    out = set(variables)
    for plan in (getattr(found, "plan", None), getattr(found, "replan", None)):
        if plan is not None:
            out |= _behind(plan, variables)
    return frozenset(out)


def _behind(plan: Plan, variables: frozenset[str]) -> set[str]:
    producers = {u: step for step in plan.steps for u in step.unknowns}
    out, todo = set(variables), list(variables)
    while todo:
        step = producers.get(todo.pop())
        if step is None:
            continue
        for name in {v for eq in step.equations for v in eq.variables} - set(step.unknowns) - out:
            out.add(name)
            todo.append(name)
    return out


def _shown(engine: Engine, batch: Batch, name: str, raw: float) -> str:
    """A key's label from its code, a number in display units; "?" for what is not known."""
    if name in batch.keys:
        keys = batch.keys[name]
        return keys.labels[int(raw)] if raw >= 0 else "?"
    if np.isnan(raw):
        return "?"
    return format_quantity(engine.rules.variables[name], float(raw))
