"""The rounding notes of the workbook's `warnings` column, saying what `solve` and the report say.

A whole-number answer rounded plainly gets one note for its rows ("rounded: n_gpus rounded up (the exact
value is in `n_gpus unrounded`)"). One that an admissibility check then moved on (249.97 GPUs -> 250 ->
256: 250 replicas do not divide a global batch of 1,024) says both steps and the checks, as the answer
line of `solve` does (engine/table/scope.admissible_move): "rounded: n_gpus = 249.97 rounded up to 250,
then 256: the smallest admissible value by batching.admissible_global_batch (...)". Those texts differ
per row; each distinct value is formatted once (a sweep's rows share few), past FORMAT_ONE_BY_ONE by a
polars expression.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import cast

import numpy as np
import polars as pl

from ..messages import template
from ..messages import text as message
from ..rules.schema import Rounding
from ..solve.batch import RECOMPUTED, Batch, Group
from ..solve.planning import computed_from
from ..solve.rounding import rounded_whole
from ..solve.solver import Engine
from ..text.formatting import PLACEHOLDER, rounded_note, rounded_way
from .row_masks import any_code
from .scope import checks_said, moved_rows, ruled_out
from .value_texts import FORMAT_ONE_BY_ONE, more_distinct

Note = tuple[np.ndarray, "str | pl.Series"]   # (the rows, one text for all of them or one per row)


def rounding_notes(engine: Engine, batch: Batch, group: Group, index: np.ndarray, lang: str) -> list[Note]:
    """The notes of the group's answered rows (`index`) whose whole-number answers were rounded for real
    (132.99999999999997 -> 133 gets none)."""
    out: list[Note] = []
    for name in group.rounded:
        variable = engine.rules.variables[name]
        raw, new = (np.broadcast_to(batch.unrounded[name], (batch.rows,)),
                    np.broadcast_to(batch.values[name], (batch.rows,)))
        moved = index[moved_rows(raw[index], new[index])]
        if not len(moved):
            continue
        recomputed = ", ".join(n for n, s in batch.status.items() if any_code(s, moved, RECOMPUTED))
        tail = message("results.recomputed_column", lang, names=recomputed) if recomputed else ""
        first = int(moved[0])   # (the way of the group's first row: budgets may turn it, engine/solve/rounding.py)
        way = rounded_way(variable.rounding, float(raw[first]), float(new[first]))
        plain = np.asarray(rounded_whole(raw[moved], cast(Rounding, way)), dtype=float)   # (the plain rounding)
        on = plain != new[moved]   # moved on past the plain rounding by an admissibility check
        if not on.all():
            out.append((moved[~on], message("results.rounded_column", lang, name=name,
                                            how=message(f"results.how.{way}", lang)) + tail))
        if on.any():
            at = moved[on]
            texts = _admissible_texts(engine, batch, group, name, at, plain[on], way, lang)
            out.append((at, texts + tail if tail else texts))
    return out


def _admissible_texts(engine: Engine, batch: Batch, group: Group, name: str, at: np.ndarray, plain: np.ndarray,
                      way: str, lang: str) -> pl.Series:
    raw = np.broadcast_to(batch.unrounded[name], (batch.rows,))[at]
    new = np.broadcast_to(batch.values[name], (batch.rows,))[at]
    later = computed_from(name, group.plan.steps if group.plan is not None else [])
    ids, fired = ruled_out(engine.rules, name, plain, _RowsOf(batch, at), later)
    codes, said = _checks(ids, fired)
    smallest = message("results.admissible.smallest", lang)
    largest = message("results.admissible.largest", lang)
    columns = {
        "raw": _texts(raw, rounded_note, pl.col("raw").round(2).cast(pl.String)),
        "plain": _texts(plain, lambda v: f"{v:,.0f}", pl.col("plain").cast(pl.Int64).cast(pl.String)),
        "new": _texts(new, lambda v: f"{v:,.0f}", pl.col("new").cast(pl.Int64).cast(pl.String)),
        "extreme": pl.Series(np.where(new < plain, largest, smallest), dtype=pl.String),
        "checks": pl.Series(said, dtype=pl.String).gather(codes),
    }
    frame = pl.DataFrame(columns)
    fixed = {"name": name, "how": message(f"results.how.{way}", lang)}
    rounded = _pieces(template("results.rounded_admissible_column", lang), fixed)
    whole = _pieces(template("results.whole_admissible_column", lang), fixed)
    # a raw value shown whole needed no rounding, only the move ("57, then 64"): said as such
    return frame.select(pl.when(pl.col("raw").str.contains(".", literal=True)).then(rounded).otherwise(whole)
                        .alias("note")).to_series()


def _checks(ids: list[str], fired: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(per row a code, per code the checks said): rows share few combinations of checks."""
    if not ids:
        return np.zeros(len(fired), dtype=np.int64), [""]
    distinct, codes = np.unique(np.packbits(fired, axis=1), axis=0, return_inverse=True)
    return codes.reshape(-1), checks_said(ids, np.unpackbits(distinct, axis=1, count=len(ids)).astype(bool))


def _pieces(template: str, fixed: dict[str, str]) -> pl.Expr:
    """The template as one polars expression: fields in `fixed` as literals, the others as columns."""
    parts: list[pl.Expr] = []
    last = 0
    for match in PLACEHOLDER.finditer(template):
        parts.append(pl.lit(template[last:match.start()]))
        field = match.group(1)
        parts.append(pl.lit(fixed[field]) if field in fixed else pl.col(field))
        last = match.end()
    parts.append(pl.lit(template[last:]))
    return pl.concat_str(parts)


def _texts(values: np.ndarray, say, fallback: pl.Expr) -> pl.Series:
    """One text per value: each distinct value said once; past FORMAT_ONE_BY_ONE, `fallback` (a polars
    expression over the values, without thousands separators)."""
    if more_distinct(values, FORMAT_ONE_BY_ONE):
        name = fallback.meta.root_names()[0]
        return pl.DataFrame({name: values}).select(fallback).to_series()
    distinct, inverse = np.unique(values, return_inverse=True)
    return pl.Series([say(float(v)) for v in distinct], dtype=pl.String).gather(inverse.reshape(-1))


class _RowsOf(Mapping):
    """The batch's values at some rows, read as they are asked for (a value no row of them has is absent:
    its default takes part)."""

    def __init__(self, batch: Batch, at: np.ndarray) -> None:
        self.batch, self.at = batch, at

    def __getitem__(self, name: str) -> np.ndarray:
        return np.broadcast_to(self.batch.values[name], (self.batch.rows,))[self.at]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.batch.values and not np.isnan(self[name]).all()

    def __iter__(self) -> Iterator[str]:
        return iter(n for n in self.batch.values if n in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)
