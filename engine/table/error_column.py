"""The results' `error` column: each refused row's message (in the run's language) and, for a
contradiction, the cells involved (contradiction_cells.py).

A sweep may refuse most of its rows with a few messages (99,000 layouts whose global batch no whole
grad_accum fits share one text past the first thousand), so each distinct message is said once and
gathered, never formatted row by row.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ..messages import localized
from .contradiction_cells import named_cells
from .shared_objects import distinct_objects

if TYPE_CHECKING:
    from ..solve.batch import Batch
    from ..solve.solver import Engine
    from .columns import Prepared


def error_texts(engine: Engine, prep: Prepared, batch: Batch, rows: np.ndarray, lang: str) -> pl.Series:
    """The error text of each row of `rows` (rows that have one)."""
    messages, first, which = distinct_objects(batch.errors[rows])
    kinds = batch.error_kinds[rows[first]]   # (one message object is one fail call: one kind)
    said = [_said(kind, message, lang) for kind, message in zip(kinds.tolist(), messages)] \
        if lang != "en" else [str(message) for message in messages]
    texts = pl.Series("error", said, dtype=pl.String)[which]
    return pl.select(pl.concat_str([pl.lit(texts), pl.lit(named_cells(engine, prep, batch, rows, lang))])
                     ).to_series()


def _said(kind: object, message: object, lang: str) -> str:
    """A row's error in `lang` when the solver raised it with a message key (keyed)."""
    for source in (kind, message):   # a keyed error, or its text (Said)
        if getattr(source, "message_key", None):
            return localized(source, lang)   # type: ignore[arg-type]  # a keyed exception or Said text
    return str(message)
