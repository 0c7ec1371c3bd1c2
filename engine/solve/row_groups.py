"""Which rows share a question: grouping a batch's rows by pattern without per-row Python."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import numpy.typing as npt

from .bounds import repeated_view
from .keys import Asked

Index = npt.NDArray[np.int64]


def asked_rows(targets: Sequence[tuple[str, ...]], row_targets: np.ndarray) -> Asked:
    """Per target, the rows asking for it (True: all rows — the usual single-question batch)."""
    if len(targets) == 1:
        return {t: True for t in targets[0]}
    if len(targets) and repeated_view(row_targets):
        return {t: True for t in targets[int(row_targets[0])]}   # one question for every row
    out: Asked = {}
    for code, names in enumerate(targets):
        rows = row_targets == code
        for name in names:
            previous = out.get(name, False)
            out[name] = rows if previous is False else previous | rows
    return {n: (True if bool(np.all(m)) else m) for n, m in out.items()}


def constant_code(col: np.ndarray) -> int | None:
    """The single value of an integer column, or None."""
    if not len(col):
        return None
    if repeated_view(col):
        return int(col[0])
    low, high = col.min(), col.max()
    return int(low) if low == high else None


def group_rows(columns: list[np.ndarray]) -> tuple[Index, Index]:
    """(first row of each distinct combination, combination index per row), in order of first row.

    The columns are packed into one int64 key (mixed radix over the columns that vary), so the
    grouping is a 1-D operation; np.unique(axis=0) on a rows x columns matrix sorts rows
    lexicographically and takes seconds for a million rows."""
    rows = len(columns[0])
    key = np.zeros(rows, dtype=np.int64)
    radix = 1
    for col in columns:
        low, high = int(col.min()), int(col.max())
        if low == high:
            continue
        span = high - low + 1
        if radix * span >= 2 ** 62:   # too many combinations to pack: fall back to row-wise unique
            return _group_matrix(columns)
        key += (col.astype(np.int64) - low) * radix
        radix *= span
    if radix <= 4 * rows + 1024:   # dense codes: a lookup table instead of a sort
        present = np.zeros(radix, dtype=bool)
        present[key] = True
        codes = np.flatnonzero(present)
        lookup = np.zeros(radix, dtype=np.int64)
        lookup[codes] = np.arange(len(codes))
        inverse = lookup[key]
    else:
        codes, inverse = np.unique(key, return_inverse=True)
        inverse = inverse.reshape(-1)
    first = np.full(len(codes), rows, dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(rows, dtype=np.int64))
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse]


def _group_matrix(columns: list[np.ndarray]) -> tuple[Index, Index]:
    """group_rows for combinations too many to pack into one key: np.unique over rows (slow)."""
    matrix = np.column_stack(columns).astype(np.int64)
    _, first, inverse = np.unique(matrix, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse.reshape(-1)]
