"""Texts of many numbers at once, as engine.text.formatting.format_quantity shows one.

A sweep's warning can name a value that differs on every row; formatting 100,000 floats one by one
in Python costs ~100 ms, so distinct values are formatted once each, and past
FORMAT_ONE_BY_ONE distinct values a polars expression (or a table of bucketed texts) does it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ..rules.model import Variable
from ..solve.bounds import remembered_bounds, repeated_view
from ..text.formatting import format_quantity

FORMAT_ONE_BY_ONE = 20_000   # distinct values formatted one by one (about 20 ms)


@dataclass(frozen=True)
class Coded:
    """Texts by code: row i reads table[codes[i]] (a value formatted once per distinct text)."""

    codes: np.ndarray   # int64, one per row of the column (-1 on rows the text is not for)
    table: pl.Series    # String


def format_values(variable: Variable, base: np.ndarray, digits: int = 4) -> pl.Series:
    """Readable texts for many values at once, as engine.text.formatting.format_quantity shows them.

    Few distinct values (the usual case): each formatted once by format_quantity; many (a big sweep):
    a vectorized approximation in the declared unit."""
    values = np.asarray(base, dtype=float)
    if not more_distinct(values, FORMAT_ONE_BY_ONE):
        distinct, inverse = np.unique(values, return_inverse=True)
        texts = pl.Series([format_quantity(variable, float(v)) or "?" for v in distinct], dtype=pl.String)
        return texts.gather(inverse.reshape(-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pl.DataFrame({"v": values / variable.factor})
    return frame.select(format_expr(variable, pl.col("v"), largest(values, variable), digits)).to_series()


def one_value(column: "np.ndarray | float", shown: np.ndarray) -> bool:
    """Every row shows the same finite value: a scalar or broadcast column, else all of `shown` equal."""
    if not len(shown) or not np.isfinite(shown[0]):
        return False
    if not isinstance(column, np.ndarray) or column.ndim == 0 or repeated_view(column):
        return True
    return bool(shown.min() == shown.max() == shown[0])


def more_distinct(values: np.ndarray, limit: int) -> bool:
    """More than `limit` distinct values; the first 2·limit often tell already (a sweep's column)."""
    if len(values) <= limit:
        return False
    # (numpy's sort-based count: measured ~2.5x faster than polars' hashed n_unique at these sizes)
    if len(values) > 2 * limit and len(np.unique(values[:2 * limit])) > limit:
        return True
    return len(np.unique(values)) > limit


_MAX_BUCKETS = 2_000_000


def bucketed_texts(variable: Variable, values: np.ndarray, index: np.ndarray) -> "Coded | None":
    """format_values' vectorized texts for the rows at `index` (a column over every row; other rows
    get some text), formatting each 4-significant-figure bucket of values once, not every row.

    Rows are bucketed by their value rounded to 4 figures (decade, mantissa 1000..10000) through an
    array indexed by bucket: no sort. Each bucket's text is made from one of its values (rounded to 4
    figures, what the text is made of): every value of a bucket rounds alike unless it lies at a tie
    (x.5 in the 4th figure, or a hair either side), where numpy's rounding here and polars' may differ:
    such rows (rare) are rounded by polars too and must agree with their bucket, else None (format every
    row). None too for integers (a whole value reads differently from its neighbours), for values shown
    with a K/M/B/T suffix, and for zero, negative or non-finite values."""
    shown = values[index]
    if variable.domain == "integer" or not len(shown) or largest(values, variable) >= 1e4:
        return None
    with np.errstate(all="ignore"):
        low_value, high_value = float(shown.min()), float(shown.max())
        if not (low_value > 0 and np.isfinite(high_value)):   # (a NaN makes both NaN)
            return None
        low, high = int(np.floor(np.log10(low_value))), int(np.floor(np.log10(high_value)))
        span = high - low + 1
        if span * 10_001 > _MAX_BUCKETS:
            return None
        key, tie = _bucket_keys(shown, low, high)
    one_of = np.empty(span * 10_001)
    one_of[key] = shown   # (some value of each bucket: the last written)
    present = np.zeros(span * 10_001, dtype=bool)
    present[key] = True
    buckets = np.flatnonzero(present)
    position = np.zeros(span * 10_001, dtype=np.int64)
    position[buckets] = np.arange(len(buckets))
    code = position[key]
    ends = pl.Series(one_of[buckets] / variable.factor)
    if tie.any():
        at_tie = pl.Series(shown[tie] / variable.factor).round_sig_figs(4)
        if not bool((at_tie == ends.round_sig_figs(4).gather(code[tie])).all()):
            return None
    first = pl.DataFrame({"v": ends}).select(format_expr(variable, pl.col("v"), 0.0)).to_series()
    codes = np.full(len(values), -1, dtype=np.int64)   # (-1: a row it is not on; a gather takes the last text)
    codes[index] = code
    return Coded(codes, first)


def _bucket_keys(shown: np.ndarray, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    """Per value (all > 0, decades low..high): its bucket, decade · 10,001 + mantissa rounded to 4
    figures (1000..10000), and whether it lies at a rounding tie, on either side (|scaled - mantissa|
    within _TIE of one half), where numpy's rounding here and the formatter's may differ."""
    if low == high:   # one decade (an mfu band): no logarithm per row, the mantissas as they are
        scaled = shown * 10.0 ** (3 - low)
        mantissa = np.floor(scaled + 0.5)
        key = mantissa.astype(np.int64)
    else:
        decade = np.clip(np.floor(np.log10(shown)).astype(np.int64), low, high) - low
        scaled = shown * (10.0 ** (3 - np.arange(low, high + 1)))[decade]
        mantissa = np.floor(scaled + 0.5)
        key = decade * 10_001 + np.clip(mantissa, 0, 10_000).astype(np.int64)
    np.subtract(scaled, mantissa, out=scaled)
    np.abs(scaled, out=scaled)
    return key, scaled > 0.5 - _TIE


_TIE = 1e-7   # |scaled - m| within this of 0.5: at a rounding tie (scaled ~1e3..1e4, float error ~1e-12)


def largest(values: np.ndarray, variable: Variable) -> float:
    """The largest magnitude in the declared unit (0 when there is none): which suffixes can show."""
    if variable.unit not in ("", "token", "char"):
        return 0.0
    known = remembered_bounds(values)   # (a sweep's column from the grid's shape: no pass over the rows)
    if known is not None and np.isfinite(known).all():
        return max(abs(known[0]), abs(known[1])) / variable.factor
    with np.errstate(invalid="ignore"):
        return float(np.nanmax(np.abs(values))) / variable.factor if np.isfinite(values).any() else 0.0


def format_expr(variable: Variable, v: pl.Expr, top: float, digits: int = 4,
                 shown: "np.ndarray | None" = None) -> pl.Expr:
    """format_values' vectorized form: values in the declared unit -> texts (NaN: "?"). `shown`: the
    base values the texts are read for, when known: passes that cannot change them are left out."""
    expr = v.round_sig_figs(digits).cast(pl.String)
    with np.errstate(invalid="ignore"):
        below_one = shown is not None and bool(np.all((np.abs(shown) < 0.9 * variable.factor) & (shown != 0)))
    if not below_one:   # (0 < |v| < 0.9 rounds to 4 figures below 1: never a whole number, no ".0")
        expr = expr.str.strip_suffix(".0")
    if variable.unit in ("", "token", "char"):
        for step, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if max(step, 1e4) > top:
                continue   # no value that large: a branch less over every row (mfu of a sweep)
            scaled = (v / step).round_sig_figs(3).cast(pl.String).str.strip_suffix(".0") + suffix
            expr = pl.when(v.abs() >= max(step, 1e4)).then(scaled).otherwise(expr)
    if variable.domain == "integer":
        expr = pl.when(v == v.round(0)).then(v.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(expr)
    if shown is None or np.isnan(shown).any():
        expr = pl.when(v.is_nan()).then(pl.lit("?")).otherwise(expr)
    if variable.unit:
        expr = expr + f" {variable.unit}"
    return expr
