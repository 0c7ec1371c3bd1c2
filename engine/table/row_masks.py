"""Row masks over a results table: a broadcast view (one value for every row) costs no pass."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..solve.batch import Every, Group
from ..solve.bounds import has_nan, repeated_view


@lru_cache(maxsize=64)
def flag(value: bool, rows: int) -> np.ndarray:
    """One bool in every row: a read-only broadcast view, made once per (value, rows) — a results table
    asks for hundreds of them (issue #16's sweeps)."""
    return np.broadcast_to(bool(value), (rows,))


def const_value(mask: "np.ndarray | bool") -> "bool | None":
    """The value of a mask that has one value in every row (a bool, a broadcast view), else None."""
    if type(mask) is bool:   # (called ~1,000 times per results table: the common cases first)
        return mask
    array = mask if type(mask) is np.ndarray else np.asarray(mask)
    if array.ndim == 0:
        return bool(array)
    if repeated_view(array):
        return bool(array[0])
    return None


def both(rows: int, *masks: "np.ndarray | bool") -> np.ndarray:
    """Row-wise AND (read only: may be one of the masks, or a broadcast view)."""
    rest: list[np.ndarray] = []
    for mask in masks:
        value = const_value(mask)
        if value is False:
            return flag(False, rows)
        if value is None:
            rest.append(np.asarray(mask))
    if not rest:
        return flag(True, rows)
    out = rest[0]
    for mask in rest[1:]:
        out = np.logical_and(out, mask)
    return out


def negate(mask: np.ndarray) -> np.ndarray:
    value = const_value(mask)
    return ~mask if value is None else flag(not value, len(mask))


def any_set(mask: np.ndarray) -> bool:
    value = const_value(mask)
    return bool(mask.any()) if value is None else value and len(mask) > 0


def not_nan(column: np.ndarray) -> np.ndarray:
    """Rows with a value: one reduction when none is NaN (the usual case)."""
    value = const_value(column)
    if value is not None or not len(column):
        return flag(not len(column) or not np.isnan(column[0]), len(column))
    return flag(True, len(column)) if not has_nan(column) else ~np.isnan(column)


def compare_status(op, status: np.ndarray, code: int) -> np.ndarray:
    if const_value(status) is not None or repeated_view(status):
        return flag(bool(op(status[0], code)), len(status))
    return op(status, code)


def fill_mask(mask: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Per row the status code where mask, else 0 (int8; read only)."""
    if const_value(mask) is True:
        return status
    return np.where(mask, status, 0).astype(np.int8)


def ok_rows(group: Group, ok: np.ndarray) -> "np.ndarray | Every":
    """The group's rows that have an answer (no error, not blank)."""
    if isinstance(group.index, Every) and const_value(ok) is True:
        return group.index
    return group.rows[ok[group.rows]]


def any_code(status: np.ndarray, index: "np.ndarray | Every", code: int) -> bool:
    if not len(index):
        return False
    if repeated_view(status):
        return bool(status[0] == code)
    if isinstance(index, Every):
        return bool((status == code).any())
    return bool((status[index] == code).any())
