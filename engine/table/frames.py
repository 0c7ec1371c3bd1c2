"""Scenario tables <-> the batch solver: a polars DataFrame in, a results DataFrame out.

    frame: one column per header cell (`params`, `train_time [days]`, `gpu`, `solve`, `notes` ...)
      -> Prepared  numbers (float64, base units, NaN = empty), keys (batch.Categorical),
                   targets per row (from `solve`), per-row errors naming sheet!cell
      -> Engine.solve_columns -> Batch
      -> Outcome   the results table: every input column untouched, empty variable cells filled
                   with solved/derived values, new columns `name [unit]`, then `assumptions`,
                   `warnings`, `error`; plus what writers and reports need (statuses, rules used)

No per-row Python on the way: numeric columns convert as whole arrays, text cells are parsed
once per distinct text, keys are dictionary-encoded by polars, messages are built per check
(or per group) over the rows it concerns. Column naming and parsing: engine/table/columns.py;
result columns: result_columns.py, note_columns.py, value_texts.py, row_masks.py.
Python API: `run_frame(df)` -> Outcome, `solve_frame(df)` -> results DataFrame.
"""
from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import numpy as np
import polars as pl

from ..errors import EngineError, InternalSolveError
from ..rules.model import Check, Equation
from ..solve.batch import CATALOG, DERIVED, RECOMPUTED, SOLVED, Batch
from ..solve.solver import Engine
from ..text.formatting import kind as shown_as
from .cells import as_text
from .columns import Column, Locator, Prepared, prepare
from .error_column import error_texts
from .note_columns import (
    Assumed,
    assumption_rows,
    assumptions_column,
    format_values,
    group_assumptions,
    warning_column,
)
from .result_columns import (
    Cells,
    Repeated,
    column_order,
    filled_series,
    header_text,
    results_frame,
    scatter,
    text_cells,
    value_series,
    visible_values,
)
from .row_masks import any_set, both, compare_status, fill_mask, negate, not_nan
from .unreachable_rows import explain_unreachable_rows

OUTPUT_COLUMNS = ("assumptions", "warnings", "error")


@dataclass
class Outcome:
    """A solved scenario table.

    batch    the engine's Batch (row i of the batch is row i of `frame`)
    frame    the scenarios as read (input columns, untouched)
    results  the output table (see the module docstring)
    fills    results column -> int8 status per row (batch status codes: 2 catalog, 3 default,
             4 solved, 5 derived, 6 recomputed; 0 = a value as read / nothing added)
    units    results column -> (variable, unit text, factor from that unit to base units)
    blank    rows that ask nothing (no values, no `solve`): no answer and no error
    source   the file (or "frame"); label: the sheet/file name used in cell references
    notes    file-level warnings (unknown columns, formulas ...)
    numeric_cells  text columns: mask of cells that were numbers in the file (for writers)
    names / targets (properties): one row name (`name` column, else "row N") / target tuple per row
    """

    batch: Batch
    frame: pl.DataFrame
    results: pl.DataFrame
    fills: dict[str, np.ndarray]
    units: dict[str, tuple[str, str, float]]
    blank: np.ndarray
    prepared: Prepared
    source: str = "frame"
    label: str = "frame"
    notes: list[str] = field(default_factory=list)
    numeric_cells: dict[str, pl.Series] = field(default_factory=dict)
    rules_used: list[tuple[Equation, int]] = field(default_factory=list)
    checks_fired: list[tuple[Check, int]] = field(default_factory=list)
    assumptions: list[tuple[str, str, str, int]] = field(default_factory=list)   # name, value, source, rows
    lang: str = "en"
    repeated: frozenset[str] = frozenset()   # results columns of one value in every row (polars scalar columns)

    @property
    def rows(self) -> int:
        return self.batch.rows

    @cached_property
    def error_mask(self) -> np.ndarray:
        return self.batch.failed & ~self.blank

    @property
    def error_count(self) -> int:
        return int(self.error_mask.sum())

    @property
    def hit_a_bug(self) -> bool:
        """Some row failed on a bug in llmplan (an internal error), not on its values."""
        kinds = self.batch.error_kinds
        return any(k is InternalSolveError or isinstance(k, InternalSolveError) for k in kinds[self.error_mask])

    @property
    def answered_count(self) -> int:
        return int((~self.error_mask & ~self.blank).sum())

    @cached_property
    def names(self) -> list[str]:
        column = self.prepared.name_column
        fallback = [f"row {self.prepared.locator.row_number(i)}" for i in range(self.rows)]
        if column is None:
            return fallback
        given = as_text(self.frame.get_column(column)).to_list()
        return [g if g not in (None, "") else f for g, f in zip(given, fallback)]

    @cached_property
    def targets(self) -> list[tuple[str, ...]]:
        table = self.batch.targets
        return [table[i] for i in self.batch.row_targets.tolist()]


# -- the API ----------------------------------------------------------------------------
def run_frame(frame: pl.DataFrame, engine: "Engine | None" = None, lang: str = "en", *,
              locator: Locator | None = None, source: str = "frame", headers: list[str] | None = None,
              problems: dict[tuple[int, int], str] | None = None,
              numeric_cells: dict[str, pl.Series] | None = None, notes: list[str] | None = None,
              progress: Callable[[str], None] | None = None) -> Outcome:
    """Solve every row of a scenario DataFrame; see Outcome. Never raises for a bad row."""
    if engine is None:
        engine = Engine.load()
    locator = locator or Locator(source)
    if progress:
        progress("reading values")
    prep = prepare(engine, frame, locator, problems or {}, headers)
    if progress:
        progress("solving")
    batch = _solve_isolated(engine, prep)
    explain_unreachable_rows(engine, prep, batch)   # "mfu = 0.45 is out of reach", not "bandwidth < 0"
    if progress:
        progress("collecting results")
    return collect(engine, frame, prep, batch, lang, source=source, notes=[*(notes or []), *prep.notes], shown=True,
                   numeric_cells=numeric_cells or {})


ROW_BUG = ("internal error while solving this row ({error}); this is a bug in llmplan, please report it "
           "with the row's values. The other rows are answered")


def _solve_isolated(engine: "Engine", prep: Prepared) -> Batch:
    """Solve the table; if the batch solver raises something other than an EngineError (a bug), find
    the rows that raise it by halving and mark only those as errors, so one bad row never costs the
    others their answers (issue #18). The halving only runs on that failure path."""
    def solve(skip: np.ndarray | None, errors: np.ndarray | None) -> Batch:
        return engine.solve_columns(prep.numbers, prep.keys, prep.targets, prep.row_targets, prep.rows,
                                    errors, failed=skip)

    base = np.asarray(prep.failed, dtype=bool)
    try:
        return solve(prep.failed, prep.errors)
    except EngineError:
        raise
    except Exception as first:   # noqa: BLE001 - a bug in the solver: isolate its rows
        culprits: dict[int, str] = {}

        def search(rows: np.ndarray) -> None:
            skip = np.ones(prep.rows, dtype=bool)
            skip[rows] = False
            skip |= base
            placeholders = np.where(skip, "skipped", None).astype(object)  # type: ignore[call-overload]  # numpy stubs: None is a valid object value   # `failed` goes with its errors
            try:
                solve(skip, placeholders)
            except EngineError:
                raise
            except Exception as exc:   # noqa: BLE001
                if len(rows) == 1:
                    culprits[int(rows[0])] = f"{type(exc).__name__}: {exc}"
                    return
                half = len(rows) // 2
                search(rows[:half])
                search(rows[half:])

        candidates = np.flatnonzero(~base)
        if len(candidates):
            search(candidates)
        if not culprits:
            raise first
        errors = np.full(prep.rows, None, dtype=object) if prep.errors is None else prep.errors.copy()
        failed = base.copy()
        for row, text in culprits.items():
            errors[row] = ROW_BUG.format(error=text)
            failed[row] = True
        prep.errors, prep.failed = errors, failed
        batch = solve(failed, errors)
        batch.error_kinds[list(culprits)] = InternalSolveError   # (a bug, not a bad value: exit 3)
        return batch


def solve_frame(frame: pl.DataFrame, engine: "Engine | None" = None, lang: str = "en") -> pl.DataFrame:
    """Scenarios in, results out (input columns untouched + solved/derived columns + warnings/error)."""
    outcome = run_frame(frame, engine, lang)
    for note in outcome.notes:
        _warnings.warn(note, UserWarning, stacklevel=2)
    return outcome.results


# -- results ------------------------------------------------------------------------------
def collect(engine: "Engine", frame: pl.DataFrame, prep: Prepared, batch: Batch, lang: str = "en", *,
            source: str = "frame", notes: list[str] | None = None,
            numeric_cells: dict[str, pl.Series] | None = None, shown: bool = False) -> Outcome:
    """shown=True adds the `name (shown)` text columns people read (workbooks; sweeps are data)."""
    ok = both(batch.rows, negate(batch.failed), negate(prep.blank))
    table = _ResultColumns({c.field: frame.get_column(c.field) for c in prep.columns if c.role != "output"})
    # (`warnings`/`error` columns of an earlier run are replaced below)
    _value_columns(table, engine, prep, batch, ok)
    _unrounded_columns(table, engine, prep, batch, ok)
    if shown:
        table.added.update(_shown_columns(engine, batch, ok))
    columns = table.columns
    for header, cells in table.added.items():
        if header in columns:   # a pass-through column of the same name: keep the input's
            header = f"{header} (llmplan)"
        columns[header] = cells
    assumed = group_assumptions(engine, batch, ok)
    used, fired = _note_columns(columns, engine, prep, batch, ok, lang, assumed)
    results = results_frame(columns, batch.rows)
    outcome = Outcome(batch, frame, results, table.fills, table.units, prep.blank, prep, source=source,
                      label=prep.locator.label, notes=list(notes or []), numeric_cells=numeric_cells or {},
                      rules_used=used, checks_fired=fired, lang=lang,
                      repeated=frozenset(name for name, cells in columns.items() if isinstance(cells, Repeated)))
    outcome.assumptions = assumption_rows(assumed)
    return outcome


@dataclass
class _ResultColumns:
    """The results table as it is built: input columns (filled where solved), added columns, and per
    column the status codes of its cells and its (variable, unit, factor)."""

    columns: dict[str, Cells]
    added: dict[str, Cells] = field(default_factory=dict)
    fills: dict[str, np.ndarray] = field(default_factory=dict)
    units: dict[str, tuple[str, str, float]] = field(default_factory=dict)

    def add(self, header: str, series: Cells, fill: np.ndarray, unit: tuple[str, str, float]) -> None:
        self.added[header], self.fills[header], self.units[header] = series, fill, unit


def _value_columns(table: _ResultColumns, engine: "Engine", prep: Prepared, batch: Batch, ok: np.ndarray) -> None:
    """Solved values into the input columns that were empty (recomputed ones beside them), derived
    values the batch shows as new `name [unit]` columns."""
    rules, rows = engine.rules, batch.rows
    visible = visible_values(batch)
    inputs = {c.variable: c for c in prep.columns if c.role == "number"}
    for name in column_order(batch, rules):
        status = batch.status.get(name)
        column = inputs.get(name)
        if status is None or (column is None and name not in visible):
            continue   # not shown (and a catalog figure nothing read is never gathered: columns.Columns)
        base = batch.values[name]
        variable = rules.variables[name]
        known = both(rows, ok, not_nan(base))
        if not any_set(known):
            continue
        if column is None:
            show = both(rows, known, visible.get(name, False), compare_status(np.greater_equal, status, CATALOG))
            if any_set(show):
                header = header_text(name, variable.unit)
                table.add(header, value_series(header, base, show, variable.factor), fill_mask(show, status),
                          (name, variable.unit, variable.factor))
            continue
        unit = column.unit_text(variable)
        fill = both(rows, known, prep.empty[name], compare_status(np.greater_equal, status, CATALOG),
                    compare_status(np.not_equal, status, RECOMPUTED))
        if any_set(fill):
            given = table.columns[column.field]
            assert isinstance(given, pl.Series)   # an input column as read (each is filled once)
            table.columns[column.field] = filled_series(given, fill, base / column.factor)
            table.fills[column.field] = fill_mask(fill, status)
        table.units[column.field] = (name, unit, column.factor)
        again = both(rows, known, compare_status(np.equal, status, RECOMPUTED))
        if any_set(again):
            header = header_text(f"{name} recomputed", unit)
            table.add(header, value_series(header, base, again, column.factor), fill_mask(again, status),
                      (name, unit, column.factor))


def _unrounded_columns(table: _ResultColumns, engine: "Engine", prep: Prepared, batch: Batch,
                       ok: np.ndarray) -> None:
    """`name unrounded` beside each whole-number answer that was rounded (the exact value kept)."""
    inputs = {c.variable: c for c in prep.columns if c.role == "number"}
    for name, raw in batch.unrounded.items():
        variable = engine.rules.variables[name]
        if variable.domain != "integer":
            continue   # budgets as given: already in the input column
        again = both(batch.rows, ok, not_nan(raw))
        if any_set(again):
            unit = inputs[name].unit_text(variable) if name in inputs else variable.unit
            factor = inputs[name].factor if name in inputs else variable.factor
            header = header_text(f"{name} unrounded", unit)
            table.add(header, value_series(header, raw, again, factor),
                      fill_mask(again, np.broadcast_to(np.int8(DERIVED), (batch.rows,))), (name, unit, factor))


def _note_columns(columns: dict[str, Cells], engine: "Engine", prep: Prepared, batch: Batch,
                  ok: np.ndarray, lang: str, assumed: Assumed) -> tuple[Any, Any]:
    """assumptions, config origins, warnings and error; returns (rules used, checks fired)."""
    rows = batch.rows
    assumptions, used, fired = assumptions_column(engine, batch, ok, assumed)
    columns["assumptions"] = text_cells(rows, assumptions)
    if prep.origins is not None:   # a `config` column: what each row's training config filled (issue #17)
        columns["config origins"] = pl.Series("config origins", prep.origins, dtype=pl.String)
    columns["warnings"] = warning_column(engine, batch, ok, lang)
    erred = np.flatnonzero(batch.failed & ~prep.blank)
    columns["error"] = text_cells(rows, [(erred, error_texts(engine, prep, batch, erred, lang))] if len(erred) else [])
    return used, fired


SHOWN_KINDS = ("time", "bytes", "flop")   # answers whose declared unit reads badly (0.4869 day, 3,000 GB)


def _shown_columns(engine: "Engine", batch: Batch, ok: np.ndarray) -> dict[str, pl.Series]:
    """`name (shown)`: a variable some row asks for (time, bytes, FLOPs), wherever llmplan computed it,
    as a person reads it (11.7 h, 3 TB), beside the number in the declared unit that formulas use."""
    out: dict[str, pl.Series] = {}
    asked = dict.fromkeys(name for targets in batch.targets for name in targets)
    for name in asked:
        variable = engine.rules.variables.get(name)
        if variable is None or shown_as(variable) not in SHOWN_KINDS or name not in batch.values:
            continue
        status = batch.status.get(name)
        if status is None:
            continue
        base = np.broadcast_to(batch.values[name], (batch.rows,))
        solved = np.flatnonzero(both(batch.rows, ok, not_nan(base), compare_status(np.greater_equal, status, SOLVED)))
        if len(solved):
            header = f"{name} (shown)"
            out[header] = scatter(batch.rows, [(solved, format_values(variable, base[solved]))]).alias(header)
    return out


__all__ = ["Column", "Locator", "Outcome", "Prepared", "collect", "format_values", "run_frame", "solve_frame"]
