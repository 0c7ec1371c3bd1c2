"""Writing a sweep (engine.table.sweep's grid, solved chunk by chunk) to .parquet/.csv/.xlsx or stdout.

Parquet and CSV are streamed through a polars IO source, so memory stays flat however many rows
there are; an .xlsx sheet (at most ~1M rows) is one chunk written like `llmplan run` results.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import polars as pl
from polars.io.plugins import register_io_source

from ..errors import ScenarioError, ValueParseError
from ..messages import keyed
from ..table.sweep import CHUNK_ROWS, Grid, SweepResult, chunks, conform, probe_schema, result_schema, solve_chunk
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
    safe = csv_safe_columns(frame.schema)
    if target is None:
        (stdout or sys.stdout).write((frame.with_columns(safe) if safe else frame).write_csv())
    elif target.suffix.lower() == ".parquet":
        atomic_write(target, lambda path: frame.write_parquet(path))
    else:
        atomic_write(target, lambda path: (frame.with_columns(safe) if safe else frame).write_csv(path))
    return result


def _streamed(engine: "Engine", grid: Grid, target: Path | None, chunk_rows: int, lang: str,
              progress: Callable[[int], None] | None, stdout: Any, side_values: bool) -> SweepResult:
    """Chunk by chunk, after a probe of the grid's columns: memory stays flat however many rows."""
    result = SweepResult()
    schema = probe_schema(engine, grid, lang, side_values)
    result.columns = list(schema)
    if target is None:
        stream = stdout or sys.stdout
        for number, frame in enumerate(chunks(engine, grid, schema, chunk_rows, lang, result, progress,
                                              side_values)):
            safe = csv_safe_columns(frame.schema)
            stream.write((frame.with_columns(safe) if safe else frame).write_csv(include_header=number == 0))
        return result

    def source(with_columns: list[str] | None, predicate: Any, n_rows: int | None, batch_size: int | None
               ) -> Iterator[pl.DataFrame]:
        for frame in chunks(engine, grid, schema, chunk_rows, lang, result, progress, side_values):
            yield frame.select(with_columns) if with_columns is not None else frame

    lazy = register_io_source(source, schema=schema)
    if target.suffix.lower() == ".parquet":
        atomic_write(target, lambda path: lazy.sink_parquet(path))
    else:
        safe = csv_safe_columns(schema)
        atomic_write(target, lambda path: (lazy.with_columns(safe) if safe else lazy).sink_csv(path))
    return result
