"""Text columns of a scenario table: catalog keys and `solve` targets, dictionary-encoded."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np
import polars as pl

from ..errors import EngineError, ValueParseError
from ..messages import said
from ..rules.hf_config import is_config_path
from ..rules.model import Variable
from ..solve.batch import Categorical
from ..text.values import parse_key
from .cells import Locator, as_text
from .headers import Column, parse_targets

if TYPE_CHECKING:
    from ..solve.solver import Engine

Report = Callable[[np.ndarray, "list[str] | str"], None]


def _key_text(series: pl.Series) -> pl.Series:
    """Text of key/solve cells (3.0 -> "3"), trimmed, "" -> null; an Enum column stays as it is."""
    dtype = series.dtype
    if isinstance(dtype, pl.Enum):
        return series
    if dtype == pl.Categorical:
        series = series.cast(pl.String)
    if dtype.is_float():
        whole = series == series.floor()
        text = pl.select(pl.when(pl.lit(whole)).then(pl.lit(series).cast(pl.Int64, strict=False).cast(pl.String))
                         .otherwise(pl.lit(series).cast(pl.String))).to_series()
    else:
        text = as_text(series)
    text = text.str.strip_chars()
    return pl.select(pl.when(pl.lit(text) == "").then(None).otherwise(pl.lit(text))).to_series()


def codes_of(text: pl.Series) -> tuple[np.ndarray, list[str]]:
    """Dictionary-encode a text column: codes (the smallest signed integer type that holds them,
    -1 = empty; read-only) and labels (first-seen order)."""
    if isinstance(text.dtype, pl.Enum):
        labels = text.dtype.categories.to_list()
        return _signed_codes(text.to_physical(), len(labels)), labels
    labels = text.drop_nulls().unique(maintain_order=True).to_list()
    if not labels:
        return np.full(len(text), -1, dtype=np.int64), []
    return _signed_codes(text.cast(pl.Enum(labels)).to_physical(), len(labels)), labels


def _signed_codes(physical: pl.Series, count: int) -> np.ndarray:
    """An Enum's physical codes as signed integers with -1 for null: without a copy (an unsigned
    -> signed view of polars' own buffer) when no cell is null and the labels fit."""
    if physical.null_count() == 0 and physical.dtype in (pl.UInt8, pl.UInt16, pl.UInt32):
        codes = physical.to_numpy()
        signed = np.dtype(f"i{codes.dtype.itemsize}")
        if codes.dtype.kind == "u" and count <= np.iinfo(signed).max:
            return codes.view(signed)
    dtype = pl.Int8 if count < 2 ** 7 else pl.Int16 if count < 2 ** 15 else pl.Int32 if count < 2 ** 31 else pl.Int64
    return physical.cast(dtype).fill_null(-1).to_numpy()


def canonical_key(engine: "Engine", variable: Variable, label: str) -> str:
    """The canonical catalog key / convention value for what a user typed (ValueParseError if none)."""
    table = engine.rules.tables.get(variable.name)
    try:
        return parse_key(variable, table, label)
    except ValueParseError:
        if table is None:
            folded = {v.casefold(): v for v in variable.values}
            if label.strip().casefold() in folded:
                return folded[label.strip().casefold()]
        raise


def key_column(engine: "Engine", variable: Variable, column: Column, series: pl.Series, locator: Locator,
          report: Report) -> Categorical:
    if series.dtype == pl.Null:
        return Categorical(np.full(len(series), -1, dtype=np.int64), [])
    codes, labels = codes_of(_key_text(series))
    canonical = []
    for code, label in enumerate(labels):
        text = label.strip()
        if not text:
            codes = np.where(codes == code, -1, codes)
            canonical.append(label)
            continue
        if variable.name == "model" and is_config_path(text):
            canonical.append(label)   # a config.json: read by engine/table/model_config_cells.py
            continue
        try:
            canonical.append(canonical_key(engine, variable, text))
        except EngineError as exc:
            canonical.append(label)
            index = np.flatnonzero(codes == code)
            if len(index):
                report(index, [said(f"{locator.cell(column.index, column.header, r)}: ", exc) for r in index.tolist()])
    return Categorical(codes, canonical)


def target_column(engine: "Engine", column: Column, series: pl.Series, locator: Locator, report: Report
           ) -> tuple[list[tuple[str, ...]], np.ndarray, np.ndarray]:
    rows = len(series)
    if series.dtype == pl.Null:
        return [()], np.zeros(rows, dtype=np.int64), np.zeros(rows, dtype=bool)
    codes, labels = codes_of(_key_text(series))
    targets: list[tuple[str, ...]] = [()]
    lookup = np.zeros(len(labels) + 1, dtype=np.int64)   # code -1 -> the empty target set
    blank = np.zeros(len(labels) + 1, dtype=bool)
    blank[-1] = True
    for code, label in enumerate(labels):
        if not label.strip():
            blank[code] = True
            continue
        try:
            wanted = parse_targets(engine, label)
        except EngineError as exc:
            index = np.flatnonzero(codes == code)
            report(index, [said(f"{locator.cell(column.index, column.header, r)}: solve: ", exc)
                           for r in index.tolist()])
            continue
        if wanted not in targets:
            targets.append(wanted)
        lookup[code] = targets.index(wanted)
    if len(codes) and codes.min() == codes.max():   # one `solve` for every row: no per-row arrays
        rows = len(codes)
        return targets, np.broadcast_to(lookup[codes[0]], (rows,)), np.broadcast_to(~blank[codes[0]], (rows,))
    return targets, lookup[codes], ~blank[codes]
