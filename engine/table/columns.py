"""Reading a scenario table's columns: headers -> variables and units, cells -> batch inputs.

Headers are read by engine.table.headers (the header grammar), text columns (catalog keys,
`solve`) by engine.table.key_cells; cell addresses come from engine.table.cells. Plain numbers
in a column are in the header's unit (else the variable's declared unit); a text cell with its
own unit or suffix (`30d`, `7B`, `40%`) is read on its own.

Every problem with a cell becomes that row's error, naming the cell (`scenarios!C7: ...`);
problems with the table as a whole (a bad header unit, a variable given twice) raise
ScenarioError.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable

import numpy as np
import polars as pl

from .. import hooks
from ..errors import EngineError, ScenarioError, ValueParseError
from ..messages import Caught, Nested, keyed, said, said_text
from ..rules.model import Variable
from ..solve.batch import Categorical
from ..solve.bounds import repeated_view
from ..solve.numeric import domain_mask, remember_bounds, within_domain
from ..text.values import check_domain, parse_number
from .cells import Locator, as_text, column_letter
from .headers import QUIET, RESERVED, Column, classify, parse_targets
from .key_cells import Report, canonical_key, codes_of, key_column, target_column
from .model_config_cells import fill_model_configs
from .selector_cells import fill_selectors

if TYPE_CHECKING:
    from ..solve.solver import Engine

__all__ = ["QUIET", "RESERVED", "Column", "Locator", "Prepared", "ScenarioError", "canonical_key", "classify",
           "codes_of", "column_letter", "parse_targets", "prepare"]


@dataclass
class Prepared:
    """Batch inputs for a table (see docs/ENGINE.md) plus what the results need."""

    rows: int
    columns: list[Column]
    numbers: dict[str, np.ndarray]
    keys: dict[str, Categorical]
    targets: list[tuple[str, ...]]
    row_targets: np.ndarray
    errors: np.ndarray | None                # object: message or None; None: no row has a problem
    blank: np.ndarray                        # rows that ask nothing
    empty: dict[str, np.ndarray]             # variable -> its input cell is empty
    locator: Locator
    notes: list[str] = field(default_factory=list)
    name_column: str | None = None
    failed: np.ndarray | None = None         # bool per row: errors[row] is not None (None: no row)
    origins: list | None = None              # per row: what its `config` file filled, with file:line
    # variable -> the row's own cell holds a value the user wrote (before config files and catalog
    # selectors filled the empty ones); None: every value is as written (a sweep's axes)
    written: dict[str, np.ndarray] | None = None
    configured: dict[str, np.ndarray] = field(default_factory=dict)   # variable -> filled by a config file

    def __post_init__(self) -> None:
        if self.failed is None:
            self.failed = np.zeros(self.rows, dtype=bool) if self.errors is None else \
                np.not_equal(self.errors, None).astype(bool)  # type: ignore[call-overload]  # numpy stubs: object arrays hold None


def prepare(engine: "Engine", frame: pl.DataFrame, locator: Locator,
            problems: dict[tuple[int, int], str] | None = None, headers: list[str] | None = None) -> Prepared:
    """Convert a scenario table into batch inputs; cell problems become row errors.

    `headers` are the header cells as written when the frame's column names differ (repeated names).
    """
    columns, notes = classify(engine, headers or list(frame.columns), locator, list(frame.columns))
    rows = frame.height
    report = RowErrors(rows)
    read = _read_columns(engine, frame, columns, locator, problems or {}, report)
    if read.stray:
        notes.append(said_text("table.stray_more", first=Caught(read.stray[0]), more=len(read.stray) - 1)
                     if len(read.stray) > 1 else read.stray[0])
    if read.solve_column is None and rows:
        notes.append(said_text("table.no_solve_column"))
    numbers, keys, empty = read.numbers, read.keys, read.empty
    written = {name: ~mask for name, mask in empty.items()}   # (the fills below replace masks, never write)
    fill_model_configs(engine, columns, numbers, keys, empty, locator, report, rows)   # model=.../config.json
    origins = _config_column(engine, frame, columns, locator, numbers, keys, empty, report)
    configured = {name: ~mask & ~written.get(name, False) for name, mask in empty.items()}
    fill_selectors(engine, columns, keys, empty, locator, report, rows)   # model=qwen3-4b -> head_dim_rule=free
    _asked_and_given(columns, numbers, read.targets, read.row_targets, locator, report)
    blank = _blank_rows(read.asked, empty, report.failed, rows)
    name_column = next((c.field for c in columns if c.role == "name"), None)
    return Prepared(rows, columns, numbers, keys, read.targets, read.row_targets, report.errors, blank, empty,
                    locator, notes, name_column, report.failed, origins, written, configured)


class RowErrors:
    """The rows' errors (a Report): the first message a row gets is the one it keeps.

    The arrays are made at the first problem: most tables have none."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.errors: np.ndarray | None = None            # object: message or None
        self.failed: np.ndarray = np.broadcast_to(False, (rows,))

    def __call__(self, index: np.ndarray, messages: "list[str] | str") -> None:
        if self.errors is None:
            self.errors = np.full(self.rows, None, dtype=object)
            self.failed = np.zeros(self.rows, dtype=bool)
        errors = self.errors
        for row, message in zip(index.tolist(), [messages] * len(index) if isinstance(messages, str) else messages):
            if errors[row] is None:
                errors[row] = message
        self.failed[index] = True


class _ReadColumns:
    """What the number, key and `solve` columns hold, before configs and selectors fill the gaps."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.numbers: dict[str, np.ndarray] = {}
        self.keys: dict[str, Categorical] = {}
        self.empty: dict[str, np.ndarray] = {}
        self.targets: list[tuple[str, ...]] = [()]
        self.row_targets: np.ndarray = np.broadcast_to(np.int64(0), (rows,))
        self.asked: np.ndarray = np.broadcast_to(False, (rows,))     # (no `solve` column: nothing asked)
        self.solve_column: Column | None = None
        self.stray: list[str] = []                   # problems in columns that feed no input


def _read_columns(engine: "Engine", frame: pl.DataFrame, columns: list[Column], locator: Locator,
                  problems: dict[tuple[int, int], str], report: Report) -> _ReadColumns:
    by_column: dict[int, list[tuple[int, str]]] = {}
    for (row, col), message in sorted(problems.items()):
        by_column.setdefault(col, []).append((row, message))
    read = _ReadColumns(frame.height)
    for column in columns:
        series = frame.get_column(column.field)
        flagged = by_column.get(column.index, [])
        if flagged and column.role in ("number", "key", "solve", "config"):
            report(np.array([r for r, _ in flagged], dtype=np.int64), [m for _, m in flagged])
        elif flagged:
            read.stray += [m for _, m in flagged]
        if column.role == "number":
            variable = engine.rules.variables[column.variable]
            read.numbers[variable.name], read.empty[variable.name] = _numbers(variable, column, series, locator,
                                                                              report)
        elif column.role == "key":
            variable = engine.rules.variables[column.variable]
            key = read.keys[variable.name] = key_column(engine, variable, column, series, locator, report)
            bounds = key.bounds()
            read.empty[variable.name] = key.codes < 0 if bounds is None or bounds[0] < 0 else \
                np.broadcast_to(False, (read.rows,))
        elif column.role == "solve":
            read.solve_column = column
            read.targets, read.row_targets, read.asked = target_column(engine, column, series, locator, report)
    return read


def _blank_rows(asked: np.ndarray, empty: dict[str, np.ndarray], failed: np.ndarray, rows: int) -> np.ndarray:
    """Rows that ask nothing and have no value (and no error): skipped, not failed."""
    if _every(asked, True) or any(_every(mask, False) for mask in empty.values()):
        return np.broadcast_to(False, (rows,))   # every row asks something or has a value
    has_value = np.array(asked, dtype=bool)
    for mask in empty.values():
        has_value |= ~mask
    return ~has_value & ~failed


def _every(mask: np.ndarray, value: bool) -> bool:
    """A broadcast mask (one value for every row) that holds `value`; False when unsure."""
    mask = np.asarray(mask)
    if mask.ndim == 0:
        return bool(mask) == value
    return repeated_view(mask) and bool(mask[0]) == value


# -- numbers --------------------------------------------------------------------------------
Cell = Callable[[int], str]


def _numbers(variable: Variable, column: Column, series: pl.Series, locator: Locator, report: Report
             ) -> tuple[np.ndarray, np.ndarray]:
    """A number column's values in the variable's unit, and which of its cells are empty."""
    rows = len(series)
    dtype = series.dtype
    shadow = replace(variable, unit=column.unit_text(variable), factor=column.factor)
    cell: Cell = lambda r: locator.cell(column.index, column.header, r)  # noqa: E731
    if dtype == pl.Null:
        return np.full(rows, np.nan), np.ones(rows, dtype=bool)
    if dtype.is_numeric():
        return _numeric_cells(shadow, column, series, cell, report)
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return _text_cells(variable, shadow, column, series, cell, report)
    empty = series.is_null().to_numpy()
    if dtype == pl.Duration and variable.dims == (("[time]", 1.0),):
        return series.dt.total_microseconds().cast(pl.Float64).fill_null(np.nan).to_numpy() / 1e6, empty
    index = np.flatnonzero(~empty)
    kind = Nested("table.a_boolean") if dtype == pl.Boolean else Nested("table.a_kind_value", kind=dtype)
    report(index, [said(f"{cell(r)}: ", keyed(ValueParseError, "table.expected_number", name=variable.name, kind=kind,
                                              value=v))
                   for r, v in zip(index.tolist(), series.gather(index).to_list())])
    return np.full(rows, np.nan), empty


def _numeric_cells(shadow: Variable, column: Column, series: pl.Series, cell: Cell, report: Report
                   ) -> tuple[np.ndarray, np.ndarray]:
    rows = len(series)
    # no copy for a Float64 column without nulls (the batch never writes into it)
    raw = (series if series.dtype == pl.Float64 else series.cast(pl.Float64)).to_numpy()
    values = raw if column.factor == 1.0 else raw * column.factor
    values.flags.writeable = False                # nobody writes into an input column
    bounds = (values.min(), values.max()) if rows else (0.0, 0.0)
    empty = np.isnan(values) if np.isnan(bounds[0]) else np.broadcast_to(False, (rows,))
    checked = _domain(shadow, values, cell, report, bounds)
    if checked is values and rows:
        remember_bounds(values, *bounds)            # the batch solver reuses them
    return checked, empty


def _text_cells(variable: Variable, shadow: Variable, column: Column, series: pl.Series, cell: Cell,
                report: Report) -> tuple[np.ndarray, np.ndarray]:
    """Text cells: a plain number is in the header's unit; one with its own unit or suffix is read alone."""
    text = as_text(series).str.strip_chars()
    empty = (text.is_null() | (text == "")).to_numpy()
    plain = text.cast(pl.Float64, strict=False)
    is_plain = (plain.is_not_null() & ~plain.is_nan()).to_numpy()
    values = np.where(is_plain, plain.fill_null(np.nan).to_numpy() * column.factor, np.nan)
    values = _domain(shadow, values, cell, report)
    rest = ~empty & ~is_plain
    if not rest.any():
        return values, empty
    index = np.flatnonzero(rest)
    texts = text.gather(index)
    parsed: dict[str, float] = {}
    failures: dict[str, EngineError] = {}
    for raw_text in texts.unique().to_list():
        try:
            parsed[raw_text] = parse_number(variable, raw_text)   # its own unit/suffix
        except EngineError as exc:
            failures[raw_text] = exc
    got = texts.replace_strict(list(parsed), list(parsed.values()), default=None,
                               return_dtype=pl.Float64).fill_null(np.nan).to_numpy()
    values = np.array(values)
    values[index] = got
    bad = np.isnan(got)
    if bad.any():
        report(index[bad], [said(f"{cell(r)}: ", failures[t]) for r, t in
                            zip(index[bad].tolist(), texts.filter(pl.Series(bad)).to_list())])
    return values, empty


def _domain(shadow: Variable, values: np.ndarray, cell: Cell, report: Report,
            bounds: tuple[float, float] | None = None) -> np.ndarray:
    """Values outside the variable's domain become errors (and unknowns); two reductions when all is well
    (none when the caller has them: `bounds`)."""
    domain = shadow.domain
    if len(values):
        low, high = bounds or (values.min(), values.max())   # NaN (an empty cell) makes both NaN
        if within_domain(domain, low, high, slack=0.0):
            return values
    bad = ~domain_mask(domain, values, slack=0.0) & ~np.isnan(values)   # NaN is an empty cell, not bad
    if not bad.any():
        return values
    index = np.flatnonzero(bad)
    messages: list[str] = []
    for row in index.tolist():
        try:
            check_domain(shadow, float(values[row]))
            messages.append(said_text("table.out_of_range", name=f"{cell(row)}: {shadow.name}"))
        except ValueParseError as exc:
            messages.append(said(f"{cell(row)}: ", exc))
    report(index, messages)
    values = np.array(values)
    values[index] = np.nan
    return values



def _config_column(engine: "Engine", frame: pl.DataFrame, columns: list[Column], locator: Locator,
                   numbers: dict[str, np.ndarray], keys: dict[str, Categorical], empty: dict[str, np.ndarray],
                   report: Report) -> list | None:
    """A `config` column: each row's training config fills that row's empty inputs."""
    column = next((c for c in columns if c.role == "config"), None)
    if column is None or not hooks.CONFIG_COLUMN_READERS:   # registered by engine/__init__.py
        return None
    written = as_text(frame.get_column(column.field)).to_list()
    # (a file lookup per distinct path, not per row)
    paths = {cell: locator.path(cell) for cell in set(written) if cell is not None}
    cells = [cell if cell is None else paths[cell] for cell in written]
    return hooks.CONFIG_COLUMN_READERS[0](engine, cells, lambda r: locator.cell(column.index, column.header, r),
                                    numbers, keys, empty, report)


def _asked_and_given(columns: list[Column], numbers: dict[str, np.ndarray], targets: list[tuple[str, ...]],
                     row_targets: np.ndarray, locator: Locator, report: Report) -> None:
    by_variable = {c.variable: c for c in columns if c.role == "number"}
    for code, wanted in enumerate(targets):
        for name in wanted:
            if name not in numbers:
                continue
            index = np.flatnonzero((row_targets == code) & ~np.isnan(numbers[name]))
            if len(index):
                column = by_variable[name]
                given_too = keyed(ValueParseError, "table.asked_and_given", name=name)
                report(index, [said(f"{locator.cell(column.index, column.header, r)}: ", given_too)
                               for r in index.tolist()])
