"""Writing a sweep (engine.table.sweep's grid, solved chunk by chunk) to .parquet/.csv/.xlsx or stdout.

A grid that fits in one chunk is solved once and written as it is (its columns are the schema). A
bigger one is streamed after a probe of its columns, so memory stays flat however many rows there
are: Parquet through a polars IO source, CSV chunk by chunk into the file. An .xlsx sheet (at most
~1M rows) is one chunk written like `llmplan run` results.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import polars as pl
from polars.io.plugins import register_io_source

from ..errors import ScenarioError, ValueParseError
from ..messages import keyed
from ..table.sweep import (
    CHUNK_ROWS,
    Grid,
    SweepResult,
    conform,
    probe_schema,
    result_schema,
    solve_chunk,
    solved_chunks,
)
from .sheets import atomic_write, csv_safe_columns
from .workbook import write_results
from .xlsxdata import MAX_ROWS as SHEET_ROWS

if TYPE_CHECKING:
    from ..solve.solver import Engine


def run_sweep(engine: "Engine", grid: Grid, target: Path | None, chunk_rows: int = CHUNK_ROWS, lang: str = "en",
              progress: Callable[[int], None] | None = None, stdout: Any = None,
              side_values: bool = True) -> SweepResult:
    """Solve the grid and write it (.parquet/.csv streamed, .xlsx in one piece, None: CSV on stdout).

    side_values=False: only the targets and the values on their path (faster, fewer columns)."""
    if chunk_rows < 1:
        raise keyed(ValueParseError, "sheets.chunk_rows")
    suffix = target.suffix.lower() if target is not None else ".csv"
    if suffix == ".xlsx":
        assert target is not None   # an .xlsx suffix came from a target
        return _sheet(engine, grid, target, lang, progress, side_values)
    if suffix not in (".parquet", ".csv"):
        raise keyed(ScenarioError, "io.sweep_suffix", path=target)
    if grid.total <= chunk_rows:   # one chunk: its own columns are the schema (no probe solve)
        return _one_chunk(engine, grid, target, lang, progress, stdout, side_values)
    return _streamed(engine, grid, target, chunk_rows, lang, progress, stdout, side_values)


def _sheet(engine: "Engine", grid: Grid, target: Path, lang: str, progress: Callable[[int], None] | None,
           side_values: bool) -> SweepResult:
    """An .xlsx sweep: one chunk written like `llmplan run` results."""
    if grid.total >= SHEET_ROWS:
        raise keyed(ScenarioError, "sheets.sweep_rows_xlsx", path=target, rows=grid.total)
    outcome = solve_chunk(engine, grid, 0, grid.total, lang, side_values=side_values)
    result = SweepResult(outcome.rows, outcome.error_count, 1, list(outcome.results.columns))
    write_results(outcome, engine, target, progress=progress)
    return result


def _one_chunk(engine: "Engine", grid: Grid, target: Path | None, lang: str,
               progress: Callable[[int], None] | None, stdout: Any, side_values: bool) -> SweepResult:
    """A grid that fits in one chunk: solved once and written as it is."""
    outcome = solve_chunk(engine, grid, 0, grid.total, lang, side_values=side_values)
    frame = conform(outcome.results, result_schema(outcome.results))
    result = SweepResult(outcome.rows, outcome.error_count, 1, list(frame.columns))
    if progress:
        progress(grid.total)
    if target is None:
        (stdout or sys.stdout).write(csv_ready(frame, outcome.repeated).write_csv())
    elif target.suffix.lower() == ".parquet":
        atomic_write(target, lambda path: frame.write_parquet(path))
    else:
        atomic_write(target, lambda path: csv_ready(frame, outcome.repeated).write_csv(path))
    return result


def _streamed(engine: "Engine", grid: Grid, target: Path | None, chunk_rows: int, lang: str,
              progress: Callable[[int], None] | None, stdout: Any, side_values: bool) -> SweepResult:
    """Chunk by chunk, after a probe of the grid's columns: memory stays flat however many rows."""
    result = SweepResult()
    schema = probe_schema(engine, grid, lang, side_values)
    result.columns = list(schema)
    solved = solved_chunks(engine, grid, schema, chunk_rows, lang, result, progress, side_values)
    if target is None:
        stream = stdout or sys.stdout
        for number, (frame, repeated) in enumerate(solved):
            stream.write(csv_ready(frame, repeated).write_csv(include_header=number == 0))
        return result
    if target.suffix.lower() == ".csv":
        def write_csv(path: Path) -> None:
            with open(path, "wb") as out:
                for number, (frame, repeated) in enumerate(solved):
                    csv_ready(frame, repeated).write_csv(out, include_header=number == 0)
        atomic_write(target, write_csv)
        return result

    def source(with_columns: list[str] | None, predicate: Any, n_rows: int | None, batch_size: int | None
               ) -> Iterator[pl.DataFrame]:
        for frame, _ in solved:
            yield frame.select(with_columns) if with_columns is not None else frame

    atomic_write(target, lambda path: register_io_source(source, schema=schema).sink_parquet(path))
    return result


def csv_ready(frame: pl.DataFrame, repeated: frozenset[str] = frozenset()) -> pl.DataFrame:
    """The frame as it is written to CSV: safe to open in a spreadsheet (csv_safe_columns), and each
    number column of one value turned into its text once. Polars would format that value again in every
    row: half the time of writing a layout sweep (its 78 such columns: 269 of 600 ms per 100k rows). A
    float's text is the same either way (the cast and the CSV writer format it alike)."""
    safe = csv_safe_columns(frame.schema)
    once = [pl.col(name).cast(pl.String) for name in repeated
            if name in frame.schema and frame.schema[name].is_numeric()]
    for columns in (safe, once):
        if columns:
            frame = frame.with_columns(columns)
    return frame
