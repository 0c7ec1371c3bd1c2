"""The results' `error` column: each refused row's message (in the run's language) and, for a
contradiction, the cells involved (contradiction_cells.py); for a row with too little to solve from,
the cell of its question.

A sweep may refuse most of its rows with a few messages (99,000 layouts whose global batch no whole
grad_accum fits share one text past the first thousand), so each distinct message is said once and
gathered, never formatted row by row.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ..errors import UnderdeterminedError
from ..messages import localized, text
from .contradiction_cells import named_cells
from .shared_objects import distinct_objects, is_kind

if TYPE_CHECKING:
    from ..solve.batch import Batch
    from ..solve.solver import Engine
    from .columns import Prepared


def error_texts(engine: Engine, prep: Prepared, batch: Batch, rows: np.ndarray, lang: str) -> pl.Series:
    """The error text of each row of `rows` (rows that have one)."""
    messages, first, which = distinct_objects(batch.errors[rows])
    kinds = batch.error_kinds[rows[first]]   # (one message object is one fail call: one kind)
    said = [said_error(kind, message, lang) for kind, message in zip(kinds.tolist(), messages)] \
        if lang != "en" else [str(message) for message in messages]
    texts = pl.Series("error", said, dtype=pl.String)[which]
    cells = named_cells(engine, prep, batch, rows, lang)
    asked = question_cells(prep, batch, rows, [i for i, kind in enumerate(kinds.tolist())
                                               if is_kind(kind, UnderdeterminedError)], which, lang)
    return pl.select(pl.concat_str([pl.lit(texts), pl.lit(cells), pl.lit(asked)])).to_series()


def question_cells(prep: Prepared, batch: Batch, rows: np.ndarray, under: list[int], which: np.ndarray,
                   lang: str) -> pl.Series:
    """Per row of `rows`: " — question: sheet!B7 solve = n_gpus" where the row is refused as under-determined
    (no cell holds a wrong value: the cell of the question it cannot answer), "" otherwise (and in a
    table without a `solve` column, a sweep). `which`: each row's message among the distinct ones,
    `under`: the messages that are under-determined refusals (as error_texts groups them)."""
    out = pl.Series("question", [""], dtype=pl.String).new_from_index(0, len(rows))
    column = next((c for c in prep.columns if c.role == "solve"), None)
    if column is None or not under:
        return out
    positions = np.flatnonzero(np.isin(which, under))
    prefix, offset, suffix = prep.locator.cell_parts(column.index, column.header)
    picked = rows[positions]
    asked = [", ".join(batch.targets[int(t)]) for t in np.asarray(batch.row_targets)[picked]]
    head, tail = text("results.question_cell", lang, cell="\0").split("\0")
    texts = [f"{head}{prefix}{row + offset}{suffix} solve = {targets}{tail}" for row, targets in zip(picked, asked)]
    return out.scatter(positions, pl.Series(texts, dtype=pl.String))


def said_error(kind: object, message: object, lang: str) -> str:
    """A row's error in `lang` when the solver raised it with a message key (keyed). The text first: a row's
    error rephrased after the solve (engine/table/unreachable_rows.py) keeps the kind it was raised with."""
    for source in (message, kind):   # its text (Said), or a keyed error
        if getattr(source, "message_key", None):
            return localized(source, lang)   # type: ignore[arg-type]  # a keyed exception or Said text
    return str(message)
