"""Row sets of a batch: positions of a group's rows, masks over the batch, one value per row."""
from __future__ import annotations

import numpy as np

from .bounds import repeated_view


class Every:
    """The indices 0..n-1 of a group of every row, without the array: the solve path needs
    positions only for rows with an error (`every[mask]`, `every[i]`, `every[i:j]`)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, key):
        if isinstance(key, np.ndarray) and key.dtype == bool and key.shape == (self.n,):
            return np.flatnonzero(key)
        if isinstance(key, slice):
            return np.arange(*key.indices(self.n))
        if isinstance(key, (int, np.integer)):
            return int(range(self.n)[key])
        return np.arange(self.n)[key]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.arange(self.n, dtype=dtype)


def column(value, n: int) -> np.ndarray:
    """One value per row; a single value stays one (a read-only broadcast view, stride 0), so the
    steps after it keep computing with a number, not with n copies of it (issue #16's sweeps)."""
    array = np.asarray(value, dtype=float)
    return array if array.shape == (n,) else np.broadcast_to(array, (n,))


def mask(rows: "np.ndarray | Every", total: int) -> np.ndarray:
    if isinstance(rows, Every):
        return np.ones(total, dtype=bool)
    mask = np.zeros(total, dtype=bool)
    mask[rows] = True
    return mask


def any_at(flags: np.ndarray, rows: "np.ndarray | Every") -> bool:
    """Whether any of `rows` is flagged (a group of every row reads the flags in place, not gathered;
    one flag for every row, a broadcast view, is read once)."""
    if repeated_view(flags):
        return bool(flags[0])
    return bool(flags.any() if isinstance(rows, Every) else flags[rows].any())


def pick(col, i: int) -> float:
    return float(col[i]) if isinstance(col, np.ndarray) and col.ndim else float(col)
