"""Rows whose asked value left its domain because a typed given is out of reach say so (issue #16), and rows
refused as under-determined because a typed limit does not depend on the asked value say that.

The single-question path (Engine.solve) rephrases "network_bandwidth = -170, not above 0" as "mfu = 0.45
is out of reach: ... at most 0.4471", and "no valid value for tp" as "mfu = 0.4 is out of reach: whatever tp
is, mfu is at most 0.1087"; this does the same for the rows of a sheet. Each rephrased row
costs two small solves per typed value, so only the first ROWS_EXPLAINED such rows are looked at.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import UnderdeterminedError
from ..messages import said_text
from ..solve.batch import Batch
from ..solve.reach import DOMAIN_KEYS, NO_ROOT_KEY, unreachable
from ..solve.unmoved import unmoved
from .columns import Prepared

if TYPE_CHECKING:
    from ..solve.solver import Engine

ROWS_EXPLAINED = 20


def explain_unreachable_rows(engine: "Engine", prep: Prepared, batch: Batch) -> None:
    """Rephrase, in place, the errors of rows that refused an asked value a typed given put out of reach."""
    if not np.any(batch.failed):
        return
    rows = [r for r in np.flatnonzero(np.asarray(batch.failed)).tolist()
            if getattr(batch.errors[r], "message_key", None) in (*DOMAIN_KEYS, NO_ROOT_KEY)
            or isinstance(batch.error_kinds[r], UnderdeterminedError)][:ROWS_EXPLAINED]
    for row in rows:
        numbers = {n: float(col[row]) for n, col in prep.numbers.items() if not np.isnan(col[row])}
        keys = {n: cat.labels[cat.codes[row]] for n, cat in prep.keys.items() if cat.codes[row] >= 0}
        targets = prep.targets[int(prep.row_targets[row])]
        fields = unreachable(engine, numbers, keys, targets, batch.errors[row])
        if fields is not None:
            batch.errors[row] = said_text("planner.out_of_reach", **fields)
            continue
        kind = batch.error_kinds[row]   # (the exception itself, keyed: its clauses said in the run's language)
        fields = unmoved(engine, numbers, keys, targets, kind if isinstance(kind, BaseException) else batch.errors[row],
                         kind)
        if fields is not None:   # (a typed limit the asked value cannot move: memory_fill whatever n_gpus)
            batch.errors[row] = said_text("planner.unmoved", **fields)
