"""A grid's rows as a shape: values computed once per combination of the axes they depend on.

A sweep's rows are the cartesian product of its axes (tp × pp × micro_batch × n_gpus), first axis
outermost, so row r is the C-order position of (code_0, code_1, ...). Given as arrays shaped for
broadcasting (tp as (4, 1, 1, 1), n_gpus as (1, 1, 1, 1000)), numpy computes each rule's value at
the size of the axes it reads: the per-layer matmul time of 4 tp × 5 micro_batch values is 20
numbers, not 100,000 (issue #16: a layout sweep with perf_model=analytic within 3× of 6·N·D).
Flattening a value back (C order) gives exactly the column the row-by-row path computes.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Mapping, cast

import numpy as np

from .bounds import remember_bounds, repeated_view
from .two_threads import in_two_threads

Shaped = "float | np.ndarray"   # one number, or an array of ndim == len(shape) that broadcasts to shape


@dataclass(frozen=True)
class Factored:
    """The rows of a solve as a grid: `shape` (its product is the row count) and, per input column the
    caller passed, the same numbers shaped for broadcasting (`columns[name]` flattened is that column)."""

    shape: tuple[int, ...]
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    sources: dict[str, np.ndarray] = field(default_factory=dict)   # name -> the flat column it stands for
    # columns made by `flat` (by their memory) -> the shaped value they came from: the checks after the
    # steps read those. The columns are read-only, so no write can leave the two different.
    made: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # values computed on the grid by their step's first closed form (put by ShapedEnv.put), and those of
    # them computed over some axes that came out one number: engine/solve/grid_forms.py reads both
    by_formula: set[str] = field(default_factory=set)
    collapsed: set[str] = field(default_factory=set)

    @functools.cached_property
    def rows(self) -> int:   # (read for every value a step reads: computed once)
        return int(np.prod(self.shape))

    def shaped(self, name: str, flat: Any) -> "float | np.ndarray":
        """A flat value of the solve (one number, a broadcast column or one value per row) in grid shape."""
        given = self.columns.get(name)
        if given is not None and flat is self.sources.get(name):
            return given
        if isinstance(flat, np.ndarray) and flat.shape == (self.rows,) and flat.strides == (flat.itemsize,):
            made = self.made.get(_address(flat))
            if made is not None and made[0].dtype == flat.dtype:
                return made[1]
        if not isinstance(flat, np.ndarray) or flat.ndim == 0:
            return float(flat)
        if repeated_view(flat):
            return float(flat[0])
        return flat.reshape(self.shape)

    def flat(self, value: "float | np.ndarray", bounds: "tuple[float, float] | None" = None) -> np.ndarray:
        """A grid-shaped value as the solve's column: one value per row in row order (a single number
        stays one: a read-only broadcast view). `bounds`: its exact min/max when the solver has
        reduced them already (kept with the column, so nobody reduces the rows again)."""
        return self.flat_all([(value, bounds)])[0]

    def flat_all(self, values: "list[tuple[float | np.ndarray, tuple[float, float] | None]]") -> list[np.ndarray]:
        """flat() of each (value, bounds). The copies (a value over some of the grid's axes spread to
        every row) of a large grid are made in two threads (engine/solve/two_threads.py)."""
        copies = [i for i, (value, _) in enumerate(values) if isinstance(value, np.ndarray) and value.ndim
                  and not (value.shape == self.shape and value.flags.c_contiguous)]
        tasks = [functools.partial(_spread, cast(np.ndarray, values[i][0]), self.shape) for i in copies]
        spread = dict(zip(copies, in_two_threads(tasks) if self.rows >= _PARALLEL_ROWS else [t() for t in tasks]))
        out = []
        for i, (value, bounds) in enumerate(values):
            if not isinstance(value, np.ndarray) or value.ndim == 0:
                out.append(np.broadcast_to(np.float64(value), (self.rows,)))
            else:
                out.append(self._made(spread[i] if i in spread else value.reshape(-1), value, bounds))
        return out

    def few(self, value: np.ndarray) -> bool:
        """A value over so few of the grid's axes that reducing it for its bounds costs next to nothing."""
        return value.size * 4 <= self.rows

    def _made(self, flat: np.ndarray, value: np.ndarray, bounds: "tuple[float, float] | None") -> np.ndarray:
        flat.flags.writeable = False
        self.made[_address(flat)] = (flat, value)
        if bounds is not None:
            remember_bounds(flat, *bounds)
        elif self.few(value):
            # its min/max from the shaped value (a few numbers): whoever asks "any NaN? in the domain?"
            # later (checks, the results table) needs no pass over the rows
            remember_bounds(flat, float(np.min(value)), float(np.max(value)))
        return flat

    def fits(self, value: Any) -> bool:
        """value is one number or broadcasts to the grid along its own axes (never a flat column)."""
        if not isinstance(value, np.ndarray) or value.ndim == 0:
            return True
        return value.ndim == len(self.shape) and all(v in (1, s) for v, s in zip(value.shape, self.shape))


_PARALLEL_ROWS = 50_000   # (each copy ~100 µs at 100,000 rows: worth a second thread)


def _spread(value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """value over some of the grid's axes, at every row (C order)."""
    out = np.empty(shape)
    np.copyto(out, value)
    return out.reshape(-1)


def _address(array: np.ndarray) -> int:
    return int(array.__array_interface__["data"][0])


class ShapedEnv(dict):
    """The grid-shaped values of a solve's environment, converted from the flat one when first read."""

    def __init__(self, flat: Mapping[str, Any], grid: Factored) -> None:
        super().__init__()
        self.flat_env = flat
        self.grid = grid
        self.computed: list[str] = []

    def __missing__(self, name: str) -> "float | np.ndarray":
        value = self.grid.shaped(name, self.flat_env[name])
        self[name] = value
        return value

    def put(self, name: str, value: "float | np.ndarray") -> None:
        """A value computed by its step's first closed form (engine/solve/evaluation._run_factored)."""
        self[name] = value
        self.computed.append(name)
        self.grid.by_formula.add(name)


def grid_columns(shape: tuple[int, ...], axes: Mapping[str, tuple[int, np.ndarray]],
                 flat: Mapping[str, np.ndarray]) -> Factored:
    """A Factored for input columns that each vary along one dimension: axes[name] = (dimension,
    values along it); flat[name] is the column as the caller passes it to the solver."""
    columns = {}
    for name, (dim, values) in axes.items():
        view = [1] * len(shape)
        view[dim] = len(values)
        columns[name] = np.asarray(values, dtype=float).reshape(view)
    return Factored(tuple(shape), columns, {n: flat[n] for n in axes})
