"""Result columns: which variables show, their headers `name [unit]`, values scattered into rows."""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import polars as pl

from ..rules.model import RuleSet
from ..solve.batch import Batch, Every
from ..solve.bounds import has_nan, repeated_view
from ..solve.planning import Plan
from ..solve.two_threads import in_two_threads
from .cells import as_text
from .row_masks import const_value, flag


def column_order(batch: Batch, rules: RuleSet) -> list[str]:
    """Targets first (in the order they are asked), then the rule files' declaration order."""
    asked = [t for ts in batch.targets for t in ts]
    order = {name: i for i, name in enumerate(rules.variables)}
    rest = sorted((n for n in batch.values if n not in asked), key=lambda n: order.get(n, len(order)))
    return [n for n in dict.fromkeys(asked) if n in batch.values] + rest


def visible_values(batch: Batch) -> dict[str, np.ndarray]:
    """Per variable, the rows where an added column shows it: what the targets need, and values
    derived on the side from the row's own inputs (not those that follow from constants alone)."""
    out: dict[str, np.ndarray] = {}
    for group in batch.groups:
        names: set[str] = set()
        for plan in (group.plan, group.replan):
            if plan is not None:
                names |= _shown_by(plan)
        everywhere = len(group.index) == batch.rows
        for name in names:
            if everywhere:
                out[name] = flag(True, batch.rows)
                continue
            mask = out.get(name)
            if mask is None:
                mask = out[name] = np.zeros(batch.rows, dtype=bool)
            mask[group.rows] = True
    return out


def _shown_by(plan: Plan) -> frozenset[str]:
    """What a plan's rows show: what its targets need, and the values derived from its own inputs."""
    found = plan.memo.get("shown")
    if found is None:
        inputs = set(plan.knowns) - set(plan.defaults)
        grounded = set(inputs)
        for step in plan.steps:
            sources = {v for eq in step.equations for v in eq.variables} - set(step.unknowns)
            if sources & grounded:
                grounded |= set(step.unknowns)
        found = plan.memo["shown"] = frozenset(plan.needed) | (grounded - inputs)
    return found   # type: ignore[return-value]  # (memo holds what this function stored)


def header_text(name: str, unit: str) -> str:
    return f"{name} [{unit}]" if unit else name


@dataclass(frozen=True)
class Repeated:
    """One value in every row of a results column, kept as that one value until the table is built:
    polars then holds it as a scalar column (no n-row copy; a 100k-row sweep has dozens, issue #16)."""

    value: "float | str | None"
    dtype: Any   # a polars data type (pl.Float64, pl.String)
    rows: int

    def series(self, name: str) -> pl.Series:
        return pl.Series(name, [self.value], dtype=self.dtype).new_from_index(0, self.rows)


@dataclass(frozen=True)
class Scaled:
    """A results column of every row shown in another unit than its values (bytes shown in GB), divided
    when the table is built, with the others: a sweep has a dozen such columns of 100,000 rows, divided
    in two threads (engine/solve/two_threads.py). numpy's division: polars' multiplies by the reciprocal,
    a last-bit difference from the same rows divided in a table where some row is left out."""

    values: np.ndarray   # in the variable's base unit
    factor: float

    def series(self, name: str) -> pl.Series:
        with np.errstate(invalid="ignore"):
            shown = pl.Series(name, self.values / self.factor)
        return shown.fill_nan(None) if has_nan(self.values) else shown   # (dividing makes no NaN)


Cells = Union[pl.Series, Repeated, Scaled]   # a results column as it is built


def results_frame(columns: dict[str, Cells], rows: int) -> pl.DataFrame:
    """The results table: the columns in order, each Repeated one a polars scalar column."""
    scaled = [(name, c) for name, c in columns.items() if isinstance(c, Scaled)]
    divided = dict(zip((name for name, _ in scaled),
                       in_two_threads([functools.partial(c.series, name) for name, c in scaled])))
    built = {name: divided[name] if isinstance(c, Scaled) else c for name, c in columns.items()}
    series = [c.alias(name) for name, c in built.items() if isinstance(c, pl.Series)]
    if not series or not rows:
        return pl.DataFrame([c.alias(n) if isinstance(c, pl.Series) else c.series(n) for n, c in built.items()])
    return pl.DataFrame(series).select(
        [pl.col(name) if isinstance(c, pl.Series) else _literal(c).alias(name) for name, c in built.items()])


def _literal(column: "Repeated") -> pl.Expr:
    """A one-value column as a literal: a Python float is a Float64 literal and a str a String one as
    they are (~2 µs each, against ~10 µs with the dtype spelled out: ~80 such columns per sweep)."""
    if (column.dtype == pl.Float64 and type(column.value) is float) or \
            (column.dtype == pl.String and type(column.value) is str):
        return pl.lit(column.value)
    return pl.lit(column.value, dtype=column.dtype)


def value_series(header: str, base: np.ndarray, mask: np.ndarray, factor: float) -> Cells:
    if isinstance(base, np.ndarray) and repeated_view(base) \
            and (const_value(mask) is True or mask.all()):
        # one value in every row (a catalog figure, a value derived from constants): no division and
        # copy per row
        value = float(base[0]) / factor
        return Repeated(None if np.isnan(value) else value, pl.Float64, len(base))
    every = const_value(mask) is True or mask.all()
    if every and factor != 1.0:
        return Scaled(base, factor)
    with np.errstate(invalid="ignore"):
        shown = base / factor if factor != 1.0 else base
        if not every:
            shown = np.where(mask, shown, np.nan)
        elif not has_nan(base):   # (dividing by the factor makes no NaN)
            return pl.Series(header, shown)
    return pl.Series(header, shown).fill_nan(None)


def filled_series(series: pl.Series, mask: np.ndarray, values: np.ndarray) -> pl.Series:
    """An input column with its empty cells filled (values already in the column's unit)."""
    fill = pl.Series(np.where(mask, values, np.nan)).fill_nan(None)
    dtype = series.dtype
    if dtype == pl.Null or dtype.is_numeric():
        base = series.cast(pl.Float64)
    else:
        base = as_text(series)
        fill = fill.cast(pl.String)
    return pl.select(pl.when(pl.lit(pl.Series(mask))).then(fill).otherwise(base)).to_series().alias(series.name)


def text_cells(rows: int, parts: Sequence[tuple["np.ndarray | Every", "pl.Series | list[str] | str"]]) -> Cells:
    """scatter, but nothing, or one text at every row, stays one value (Repeated)."""
    filled = [(index, texts) for index, texts in parts if len(index)]
    if not filled:
        return Repeated(None, pl.String, rows)
    if len(filled) == 1 and isinstance(filled[0][1], str) and len(filled[0][0]) == rows:
        return Repeated(filled[0][1], pl.String, rows)
    return scatter(rows, parts)


def scatter(rows: int, parts: Sequence[tuple["np.ndarray | Every", "pl.Series | list[str] | str"]]) -> pl.Series:
    """A text column: each part puts one text, or a column of texts, at some row indices."""
    out = pl.Series([None], dtype=pl.String).new_from_index(0, rows)   # (eager: no lazy query per column)
    for index, texts in parts:
        if not len(index):
            continue
        if isinstance(texts, str):
            values = pl.Series([texts], dtype=pl.String).new_from_index(0, len(index))
        else:
            values = texts if isinstance(texts, pl.Series) else pl.Series(texts, dtype=pl.String)
        if len(index) == rows:     # every row, in order (index is sorted and unique)
            out = values.cast(pl.String)
        else:
            out = out.scatter(np.asarray(index), values)   # (index is an array here: Every covers every row)
    return out
