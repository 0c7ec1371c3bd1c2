"""Bounds of the columns in one solve, found without a pass over the rows where possible.

The batch solver asks of many columns "is every row known?", "does every row lie in the domain?",
"can this check fire anywhere?": each answer needs only (low, high). They come from, cheapest first:
a broadcast column's one value, the table reader's remembered min/max (engine/solve/bounds.py),
bounds proven by interval arithmetic over a formula (`prove`), and last a min/max reduction that
is then kept for the rest of the solve. A base class of BatchSolver (engine/solve/batch.py).
"""
from __future__ import annotations

from typing import Mapping, Union

import numpy as np

from .batch_result import FloatColumn, Mask, Value
from .bounds import repeated_view
from .columns import Columns
from .numeric import remembered_bounds

Bounds = tuple[float, float]
Known = Union[Mask, bool]   # which rows are known; a plain bool when every row agrees


_SMALL = 65_536   # values in a grid-shaped array reduced for its bounds without asking


class ColumnBounds:
    """Per solve: column min/max reduced once, and bounds shown by numeric.interval."""

    def __init__(self) -> None:
        self._stats: dict[int, tuple[np.ndarray, float, float]] = {}    # this solve's column min/max
        self._proven: dict[int, tuple[np.ndarray, float, float]] = {}   # bounds shown by numeric.interval
        self._known_inputs: dict[str, tuple[np.ndarray, Known]] = {}   # input column -> its known rows

    def _forget_bounds(self) -> None:
        """Drop what one solve learnt (the caches hold its columns)."""
        self._stats, self._proven, self._known_inputs = {}, {}, {}

    def _finite_bounds(self, col: Value) -> Bounds | None:
        low, high = self._bounds(col)
        return None if np.isnan(low) or np.isnan(high) else (low, high)

    def _bounds(self, col: Value) -> Bounds:
        """(low, high) with every value of the column in between (NaN, NaN if a row is NaN): the
        bounds known without a pass (`_shown_bounds`), else the exact min/max, reduced once per
        column and solve."""
        shown = self._shown_bounds(col)
        return shown if shown is not None else self._exact_bounds(np.asarray(col))

    def _shown_bounds(self, col: Value) -> Bounds | None:
        """Bounds known without a pass over the rows (None: unknown): one value, the table reader's
        min/max, this solve's reduction, or bounds shown by numeric.interval (no NaN, maybe wider
        than min/max)."""
        if isinstance(col, (float, int)) or col.ndim == 0:
            return float(col), float(col)
        if repeated_view(col):
            return float(col[0]), float(col[0])
        known = remembered_bounds(col) or self._reduced_bounds(col)   # the table reader's, or this solve's
        if known is not None:
            return known
        hit = self._proven.get(id(col))
        return (hit[1], hit[2]) if hit is not None and hit[0] is col else None

    def _exact_bounds(self, col: np.ndarray) -> Bounds:
        known = remembered_bounds(col) or self._reduced_bounds(col)
        if known is not None:
            return known
        low, high = float(col.min()), float(col.max())
        self._stats[id(col)] = (col, low, high)
        return low, high

    def _reduced_bounds(self, col: Value) -> Bounds | None:
        """The exact min/max this solve reduced for the column, if it did (None otherwise)."""
        hit = self._stats.get(id(col))
        return (hit[1], hit[2]) if hit is not None and hit[0] is col else None

    def _prove(self, col: Value, bounds: Bounds | None) -> None:
        """Remember bounds shown for a column (a proof, maybe wider than its min/max)."""
        if bounds is not None and isinstance(col, np.ndarray) and col.ndim:
            self._proven[id(col)] = (col, bounds[0], bounds[1])

    def _env_bounds(self, env: Mapping[str, Value], name: str) -> Bounds | None:
        """Bounds of env[name] known without a pass over the rows (None: unknown)."""
        if isinstance(env, Columns):
            known = env.bounds_of(name)
            if known is not None:
                return known
            if env.is_deferred(name):
                return None
        value = env.get(name)
        if value is None:
            return None
        shown = self._shown_bounds(value)
        if shown is None and isinstance(value, np.ndarray) and value.ndim > 1 and value.size <= _SMALL:
            # a sweep's axis in grid shape (n_gpus as 1 x 1 x 1 x 1000): reduced once, a few µs, so the
            # full-size steps computed from it are proven in their domain by intervals, not reduced
            shown = self._exact_bounds(value)
        return shown

    def _known(self, values: Columns, name: str) -> Known:
        if values.is_deferred(name):
            return True   # a catalog figure every row has (see columns.Columns)
        col = values[name]
        cached = self._known_inputs.get(name)
        if cached is not None and cached[0] is col:
            return cached[1]
        return self._known_column(col)

    def _known_column(self, col: FloatColumn) -> Known:
        """Which rows are known; a plain bool when all rows agree (no mask when none is NaN)."""
        if not len(col):
            return True
        if not np.isnan(self._bounds(col)[0]):
            return True
        mask = ~np.isnan(col)
        return mask if mask.any() else False
