"""Grid questions without a sheet: `llmplan sweep TARGET NAME=SPEC ... -o out.parquet|csv|xlsx`.

A SPEC is one value (`params=7B`), a list (`gpu=A800,H100-SXM`, `train_time=30d,60d`), a
geometric range (`n_gpus=8..1024*2`: 8, 16, ..., 1024) or an arithmetic one
(`mfu=0.3..0.55+0.05`, `train_time=10d..60d+10d`). The grid is the cartesian product, first
axis outermost. It is never built whole: rows are generated chunk by chunk from their index
(mixed-radix digits), each chunk is solved by the batch engine and turned into result columns
(engine/table/frames.py); engine/io/sweep_output.py writes them (streamed chunk by chunk when the
grid is bigger than one chunk, so memory stays flat however many rows there are). side_values=False
solves only the rules on the path to the targets (no gpu_hours, throughput, ... beside a train_time
question): what a big grid needs.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np
import polars as pl

from ..errors import EngineError, ValueParseError
from ..messages import Caught, keyed
from ..rules.model import Variable
from ..solve.batch import Categorical
from ..solve.factored import Factored, grid_columns
from ..text.values import parse_number
from .columns import Column, Locator, Prepared, canonical_key
from .frames import Outcome, collect

if TYPE_CHECKING:
    from ..solve.solver import Engine

CHUNK_ROWS = 250_000
MAX_ROWS = 2_000_000_000
PROBE_ROWS = 4096
_STEP = re.compile(r"[*+×]")


@dataclass
class Axis:
    name: str
    header: str
    categorical: bool
    values: np.ndarray | None = None     # numbers: base units
    labels: list[str] = field(default_factory=list)   # keys: canonical keys
    factor: float = 1.0                  # declared unit -> base

    def __len__(self) -> int:
        return len(self.labels) if self.categorical else len(self.numbers)

    @property
    def numbers(self) -> np.ndarray:
        """A numeric axis's values (base units)."""
        assert self.values is not None, "a numeric axis has values"
        return self.values


@dataclass
class Grid:
    axes: list[Axis]
    targets: tuple[str, ...]

    @property
    def total(self) -> int:
        return math.prod(len(a) for a in self.axes) if self.axes else 1

    def codes(self, start: int, stop: int) -> list[np.ndarray]:
        """Per axis, the value index of rows start..stop-1 (last axis varies fastest)."""
        out = []
        stride = self.total
        for axis in self.axes:
            stride //= len(axis)
            # an axis of one value (seq_len=4096 beside the swept layout) is the same code in every
            # row: a broadcast view, so the solver computes with its one value (engine/solve/numeric.py)
            out.append(np.broadcast_to(np.int64(0), (stop - start,)) if len(axis) == 1
                       else _axis_codes(start, stop, stride, len(axis)))
        return out

    def codes_at(self, rows: np.ndarray) -> list[np.ndarray]:
        """Per axis, the value index of the rows at indices `rows` (any order)."""
        out = []
        stride = self.total
        for axis in self.axes:
            stride //= len(axis)
            out.append((rows // stride) % len(axis))
        return out

    def aligned_chunk(self, chunk_rows: int) -> int:
        """chunk_rows rounded down to whole blocks of the inner axes, so that every chunk is solved on
        its grid shape (`factored`); unchanged when not even the innermost axis fits in a chunk."""
        if chunk_rows >= self.total:
            return chunk_rows
        block = 1
        for axis in reversed(self.axes):
            if block * len(axis) > chunk_rows:
                break
            block *= len(axis)
        return max(1, chunk_rows - chunk_rows % block) if block > 1 else chunk_rows

    def factored(self, start: int, stop: int, numbers: dict[str, np.ndarray]) -> Factored | None:
        """Rows start..stop-1 as a grid shape for the solver (engine/solve/factored.py), when they are
        whole blocks of the inner axes: (blocks, *inner axis lengths), the outer axes folded into the
        first dimension. None where there is nothing to share (one dimension, or a ragged chunk)."""
        lengths = [len(a) for a in self.axes]
        for first in range(len(lengths)):   # the most inner axes whose blocks the chunk is made of
            block = math.prod(lengths[first:])
            if start % block == 0 and (stop - start) % block == 0:
                break
        else:
            return None
        # dimensions of one value are left out: the blocks (if more than one), then each inner axis
        dims = [(stop - start) // block] + lengths[first:]
        position = {i: n for n, i in enumerate(i for i, size in enumerate(dims) if size > 1)}
        if len(position) < 2:
            return None
        shape = tuple(size for size in dims if size > 1)
        axes: dict[str, tuple[int, np.ndarray]] = {}
        outer = self.codes_at(np.arange(start, stop, block))   # each axis's code in each block
        for index, axis in enumerate(self.axes):
            if axis.categorical or len(axis) == 1:
                continue   # (keys: their catalog figures are gathered per row; one value stays a number)
            if index >= first:
                axes[axis.name] = (position[1 + index - first], axis.numbers)
            elif 0 in position:   # an outer axis: its value in each block
                axes[axis.name] = (position[0], axis.numbers[outer[index]])
        return grid_columns(shape, axes, numbers) if axes else None


def _axis_codes(start: int, stop: int, stride: int, size: int) -> np.ndarray:
    """(row // stride) % size for rows start..stop-1, as runs of equal codes (np.repeat), not a
    division and a remainder per row."""
    if stride == 1:   # the innermost axis: 0..size-1 over and over
        offset, count = start % size, stop - start
        return np.tile(np.arange(size, dtype=np.int64), (offset + count) // size + 1)[offset:offset + count]
    first, last = start // stride, (stop - 1) // stride
    bounds = np.arange(first, last + 2, dtype=np.int64) * stride
    bounds[0], bounds[-1] = start, stop
    return np.repeat(np.arange(first, last + 1, dtype=np.int64) % size, np.diff(bounds))


def parse_grid(engine: "Engine", targets: list[str], specs: dict[str, str]) -> Grid:
    if not targets:
        raise keyed(ValueParseError, "sweep.no_target")
    wanted = tuple(dict.fromkeys(engine.variable(t).name for t in targets))
    for name in wanted:
        if engine.rules.variables[name].categorical:
            raise keyed(ValueParseError, "values.categorical_given", name=name)
    axes = [parse_axis(engine, name, spec) for name, spec in specs.items()]
    for axis in axes:
        if axis.name in wanted:
            raise keyed(ValueParseError, "sweep.swept_and_asked", name=axis.name)
    grid = Grid(axes, wanted)
    if grid.total > MAX_ROWS:
        raise keyed(ValueParseError, "sweep.too_many_rows", rows=grid.total, limit=MAX_ROWS)
    return grid


def parse_axis(engine: "Engine", name: str, spec: str) -> Axis:
    variable = engine.variable(name)
    spec = spec.strip()
    if ".." not in spec and "," in spec and any(not item.strip() for item in spec.split(",")):
        raise keyed(ValueParseError, "sweep.empty_item", name=name, spec=spec)
    if variable.categorical:
        labels = [canonical_key(engine, variable, item.strip()) for item in spec.split(",") if item.strip()]
        if not labels:
            raise keyed(ValueParseError, "sweep.no_values", name=name)
        return Axis(variable.name, variable.name, True, labels=list(dict.fromkeys(labels)))
    header = f"{variable.name} [{variable.unit}]" if variable.unit else variable.name
    if ".." in spec:
        values = _range(variable, spec)
    else:
        values = np.array([_number(variable, item) for item in spec.split(",") if item.strip()])
        if not len(values):
            raise keyed(ValueParseError, "sweep.no_values", name=name)
    return Axis(variable.name, header, False, values=values, factor=variable.factor)


def _number(variable: Variable, text: str) -> float:
    return parse_number(variable, text.strip())


def _range(variable: Variable, spec: str) -> np.ndarray:
    low_text, _, rest = spec.partition("..")
    name = variable.name
    problem: EngineError | None = None
    for match in reversed(list(_STEP.finditer(rest))):
        if match.start() and rest[match.start() - 1] in "eE" and match.group() == "+":
            continue   # 1e+5: an exponent, not a step
        high_text, op, step_text = rest[:match.start()], match.group(), rest[match.end():]
        try:
            low, high = _number(variable, low_text), _number(variable, high_text)
        except EngineError as exc:
            problem = problem or exc
            continue
        break
    else:
        if problem is not None:
            raise keyed(ValueParseError, "sweep.bad_bound", spec=spec, problem=Caught(problem)) from None
        raise keyed(ValueParseError, "sweep.range_syntax", name=name, spec=spec)
    if high < low:
        raise keyed(ValueParseError, "sweep.range_backwards", name=name, spec=spec)
    if op in "*×":
        try:
            factor = float(step_text)
        except ValueError:
            raise keyed(ValueParseError, "sweep.factor_not_number", name=name, spec=spec) from None
        if not factor > 1 or not math.isfinite(factor):
            raise keyed(ValueParseError, "sweep.factor_too_small", name=name, spec=spec)
        count = int(math.floor(math.log(high / low) / math.log(factor) + 1e-6)) + 1
        values = low * factor ** np.arange(count, dtype=float)
    else:
        step = _number(variable, step_text)
        if not step > 0:
            raise keyed(ValueParseError, "sweep.step_not_positive", name=name, spec=spec)
        count = int(math.floor((high - low) / step + 1e-6)) + 1
        values = low + step * np.arange(count, dtype=float)
    if count > 100_000_000:
        raise keyed(ValueParseError, "sweep.too_many_values", name=name, spec=spec, count=count)
    return np.array([float(f"{v:.12g}") for v in values]) if count <= 100_000 else values


# -- solving chunks ----------------------------------------------------------------------------
def solve_chunk(engine: "Engine", grid: Grid, start: int, stop: int, lang: str = "en",
                source: str = "sweep", side_values: bool = True) -> Outcome:
    """Rows start..stop-1 of the grid, solved: an Outcome like `llmplan run` produces."""
    return _solve_rows(engine, grid, grid.codes(start, stop), stop - start, lang, source, side_values,
                       lambda numbers: grid.factored(start, stop, numbers), np.arange(start, stop))


def solve_picked(engine: "Engine", grid: Grid, rows: np.ndarray, lang: str = "en", source: str = "sweep",
                 side_values: bool = True) -> Outcome:
    """The grid's rows at the (sorted) indices `rows`, solved together in one batch."""
    return _solve_rows(engine, grid, grid.codes_at(rows), len(rows), lang, source, side_values,
                       lambda numbers: None, rows)


def _solve_rows(engine: "Engine", grid: Grid, codes: list[np.ndarray], rows: int, lang: str, source: str,
                side_values: bool, shape: Callable[[dict[str, np.ndarray]], "Factored | None"],
                index: np.ndarray) -> Outcome:
    numbers, keys, columns = {}, {}, {}
    specs = []
    for position, (axis, code) in enumerate(zip(grid.axes, codes)):
        if axis.categorical:
            keys[axis.name] = Categorical(code, list(axis.labels))
            labels = pl.Series(axis.labels, dtype=pl.Enum(axis.labels))
            # (one label: repeated without a gather, which polars runs as a query)
            columns[axis.header] = labels.new_from_index(0, rows) if len(axis) == 1 else labels.gather(code)
            specs.append(Column(position, axis.header, "key", axis.name, field=axis.header))
        else:
            numbers[axis.name] = np.broadcast_to(axis.numbers[0], (rows,)) if len(axis) == 1 else axis.numbers[code]
            whole = _whole_values(engine, axis)
            if whole is not None:   # (tp, micro_batch, lora_rank: written 8, not 8.0)
                shown = np.broadcast_to(whole[0], (rows,)) if len(axis) == 1 else whole[code]
            else:
                shown = numbers[axis.name] / axis.factor if axis.factor != 1.0 else numbers[axis.name]
            columns[axis.header] = pl.Series(shown)
            specs.append(Column(position, axis.header, "number", axis.name, factor=axis.factor, field=axis.header))
    frame = pl.DataFrame(columns) if columns else pl.DataFrame({"row": index})
    row_targets = np.broadcast_to(np.int64(0), (rows,))          # one question for every row
    batch = engine.solve_columns(numbers, keys, [grid.targets], row_targets, rows, None,
                                 side_values=side_values, grid=shape(numbers))
    nothing = np.broadcast_to(False, (rows,))                      # no cell is empty, no row blank
    prep = Prepared(rows, specs, numbers, keys, [grid.targets], row_targets, None, nothing,
                    {n: nothing for n in [*numbers, *keys]}, Locator(source))
    return collect(engine, frame, prep, batch, lang, source=source)


def _whole_values(engine: "Engine", axis: Axis) -> np.ndarray | None:
    """An integer variable's axis of whole numbers in its declared unit, as int64; None otherwise."""
    variable = engine.rules.variables.get(axis.name)
    if variable is None or variable.domain != "integer" or axis.factor != 1.0:
        return None
    values = axis.numbers
    if not (np.all(np.isfinite(values)) and np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53)):
        return None
    return values.astype(np.int64)


def probe_schema(engine: "Engine", grid: Grid, lang: str = "en", side_values: bool = True
                 ) -> dict[str, pl.DataType]:
    """Result columns of the whole grid, from up to PROBE_ROWS rows in 64 contiguous runs spread evenly
    over it, solved together in one batch."""
    total = grid.total
    picks = np.unique(np.linspace(0, total - 1, min(total, PROBE_ROWS)).astype(np.int64))
    rows = np.unique(np.concatenate([np.arange(start, min(total, stop)) for start, stop in _runs(picks)]))
    return result_schema(solve_picked(engine, grid, rows, lang, side_values=side_values).results)


def result_schema(frame: pl.DataFrame) -> dict[str, pl.DataType]:
    """A sweep's columns: the chunk's, with its text columns last (in every chunk, the same order)."""
    ordered = {k: v for k, v in frame.schema.items() if k not in ("assumptions", "warnings", "error")}
    ordered.update({k: pl.String() for k in ("assumptions", "warnings", "error")})
    return ordered


def _runs(picks: np.ndarray) -> list[tuple[int, int]]:
    """Indices -> at most 64 contiguous (start, stop) runs covering about as many rows."""
    if len(picks) <= 64:
        return [(int(p), int(p) + 1) for p in picks]
    groups = np.array_split(picks, 64)
    return [(int(g[0]), int(g[0]) + max(1, len(g))) for g in groups if len(g)]


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A chunk's results with exactly the schema's columns (missing ones empty). One select: a column
    of one value stays a polars scalar column until it is written."""
    present = set(frame.columns) & set(schema)
    if not present:   # (literals alone would make one row)
        return pl.DataFrame([pl.Series(name, [None] * frame.height, dtype=dtype) for name, dtype in schema.items()])
    return frame.select([pl.col(name).cast(dtype) if name in present else pl.lit(None, dtype=dtype).alias(name)
                         for name, dtype in schema.items()])


@dataclass
class SweepResult:
    rows: int = 0
    errors: int = 0
    chunks: int = 0
    columns: list[str] = field(default_factory=list)
    dropped: set[str] = field(default_factory=set)


def solved_chunks(engine: "Engine", grid: Grid, schema: dict[str, pl.DataType], chunk_rows: int, lang: str,
                  result: SweepResult, progress: Callable[[int], None] | None = None, side_values: bool = True
                  ) -> Iterator[tuple[pl.DataFrame, frozenset[str]]]:
    """Each chunk's results in the schema's columns, and which of them hold one value throughout it."""
    chunk_rows = grid.aligned_chunk(chunk_rows)
    for start in range(0, grid.total, chunk_rows):
        stop = min(grid.total, start + chunk_rows)
        outcome = solve_chunk(engine, grid, start, stop, lang, side_values=side_values)
        result.dropped |= set(outcome.results.columns) - set(schema)
        result.rows += outcome.rows
        result.errors += outcome.error_count
        result.chunks += 1
        yield conform(outcome.results, schema), outcome.repeated
        if progress:
            progress(stop)
