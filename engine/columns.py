"""Reading a scenario table's columns: headers -> variables and units, cells -> batch inputs.

A header is a variable name, optionally with a unit: `train_time [days]`, `params [B]`,
`mfu [%]`. Plain numbers in that column are in the header's unit (else the variable's
declared unit); a text cell with its own unit or suffix (`30d`, `7B`, `40%`) is read on its
own. `solve` names the targets of a row (comma/space separated), `name` names the row;
other columns pass through untouched (with a note when the name looks like a typo).

Every problem with a cell becomes that row's error, naming the cell (`scenarios!C7: ...`);
problems with the table as a whole (a bad header unit, a variable given twice) raise
ScenarioError.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable

import numpy as np
import polars as pl

from .batch import Categorical
from .errors import EngineError, ValueParseError
from .model import Variable
from .numeric import domain_mask, remember_bounds, within_domain
from .values import check_domain, parse_key, parse_number

if TYPE_CHECKING:
    from .solver import Engine

RESERVED = {"solve": "solve", "name": "name", "assumptions": "output", "warnings": "output", "error": "output",
            "config": "config", "config_origins": "output"}   # config: a training config per row (issue #17)
QUIET = {"notes", "note", "comment", "comments", "description", "id", "scenario", "group", "owner", "source", "area",
         "category", "tag", "tags"}
_HEADER = re.compile(r"^\s*(.*?)\s*(?:\[\s*([^\]]*?)\s*\])?\s*$", re.S)
_PAREN = re.compile(r"^(.*?)\s*\(\s*([^()]*?)\s*\)$")
_TARGET_SPLIT = re.compile(r"[\s,;，；]+")


class ScenarioError(ValueParseError):
    """A scenario file or table that cannot be used as a whole (names the file/sheet/cell)."""


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(65 + rest) + text
    return text


@dataclass(frozen=True)
class Locator:
    """Names cells in messages: `scenarios!C7` (sheets, CSV) or `frame row 7, column 'params'`."""

    label: str = "frame"
    header_row: int = 1          # sheet row number of the header
    first_col: int = 0           # sheet column (0-based) of the table's first column
    a1: bool = False

    def row_number(self, row: int) -> int:
        return self.header_row + 1 + row if self.a1 else row + 1

    def cell(self, col: int, header: str, row: int) -> str:
        if self.a1:
            return f"{self.label}!{column_letter(self.first_col + col)}{self.row_number(row)}"
        return f"{self.label} row {row + 1}, column {header!r}"

    def header_cell(self, col: int, header: str) -> str:
        if self.a1:
            return f"{self.label}!{column_letter(self.first_col + col)}{self.header_row}"
        return f"{self.label} column {header!r}"


@dataclass
class Column:
    index: int
    header: str                  # the header cell as written
    role: str                    # number | key | solve | name | text | output
    variable: str = ""
    unit: str = ""               # unit written in the header ("" = none)
    factor: float = 1.0          # header unit -> base units
    field: str = ""              # the DataFrame column (unique; a repeated header gets a suffix)

    def unit_text(self, variable: Variable) -> str:
        return self.unit or variable.unit


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

    def __post_init__(self) -> None:
        if self.failed is None:
            self.failed = np.zeros(self.rows, dtype=bool) if self.errors is None else \
                np.not_equal(self.errors, None).astype(bool)


Report = Callable[[np.ndarray, "list[str] | str"], None]


def classify(engine: "Engine", headers: list[str], locator: Locator, fields: list[str] | None = None
             ) -> tuple[list[Column], list[str]]:
    """One Column per header; `fields` are the DataFrame's column names when they differ from the headers."""
    columns, notes = _classify(engine, [("" if h is None else str(h)) for h in headers], locator)
    for column, name in zip(columns, fields or list(headers)):
        column.field = name
    return columns, notes


def _classify(engine: "Engine", headers: list[str], locator: Locator) -> tuple[list[Column], list[str]]:
    variables = engine.rules.variables
    columns: list[Column] = []
    notes: list[str] = []
    seen: dict[str, Column] = {}
    for index, header in enumerate(headers):
        match = _HEADER.match(str(header))
        name, unit = (match.group(1), match.group(2) or "") if match else (str(header), "")
        paren = _PAREN.match(name) if not unit else None
        if paren and (paren.group(1) in variables or paren.group(1).casefold() in variables):
            name, unit = paren.group(1), paren.group(2)      # `train_time (days)` reads like [days]
        key = name.casefold().replace(" ", "_")
        where = locator.header_cell(index, header)
        if key in RESERVED and not unit:
            role = RESERVED[key]
            if role in ("solve", "name") and role in seen:
                raise ScenarioError(f"{where}: a second {role!r} column (first: "
                                    f"{locator.header_cell(seen[role].index, seen[role].header)}); keep one")
            column = Column(index, header, role)
            seen.setdefault(role, column)
            if role == "output":
                notes.append(f"{where}: column {header!r} from an earlier run is replaced by this run's {key}")
            columns.append(column)
            continue
        variable = variables.get(name) or variables.get(key)
        if variable is None:
            columns.append(Column(index, header, "text"))
            if key not in QUIET and not str(header).startswith("__UNNAMED__"):
                close = difflib.get_close_matches(key, list(variables), n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                notes.append(f"{where}: column {header!r} is not a variable llmplan knows{hint}; "
                             "passed through unchanged")
            continue
        if variable.name in seen:
            first = seen[variable.name]
            raise ScenarioError(f"{where}: {variable.name} is given by two columns ({first.header!r} at "
                                f"{locator.header_cell(first.index, first.header)} and {header!r}); keep one")
        if variable.categorical:
            if unit:
                notes.append(f"{where}: {variable.name} is a catalog key or convention; unit [{unit}] ignored")
            column = Column(index, header, "key", variable.name)
        else:
            column = Column(index, header, "number", variable.name, unit, _unit_factor(variable, unit, where))
        seen[variable.name] = column
        columns.append(column)
    return columns, notes


def _unit_factor(variable: Variable, unit: str, where: str) -> float:
    if not unit:
        return variable.factor
    try:
        return parse_number(variable, f"1 {unit}")
    except ValueParseError as exc:
        raise ScenarioError(f"{where}: header unit [{unit}]: {exc}") from None


def prepare(engine: "Engine", frame: pl.DataFrame, locator: Locator,
            problems: dict[tuple[int, int], str] | None = None, headers: list[str] | None = None) -> Prepared:
    """Convert a scenario table into batch inputs; cell problems become row errors.

    `headers` are the header cells as written when the frame's column names differ (repeated names).
    """
    columns, notes = classify(engine, headers or list(frame.columns), locator, list(frame.columns))
    rows = frame.height
    errors: np.ndarray | None = None      # made at the first problem: most tables have none
    failed = np.broadcast_to(False, (rows,))

    def report(index: np.ndarray, messages: "list[str] | str") -> None:
        nonlocal errors, failed
        if errors is None:
            errors = np.full(rows, None, dtype=object)
            failed = np.zeros(rows, dtype=bool)
        for row, message in zip(index.tolist(), [messages] * len(index) if isinstance(messages, str) else messages):
            if errors[row] is None:
                errors[row] = message
        failed[index] = True

    problems = problems or {}
    by_column: dict[int, list[tuple[int, str]]] = {}
    for (row, col), message in sorted(problems.items()):
        by_column.setdefault(col, []).append((row, message))
    numbers: dict[str, np.ndarray] = {}
    keys: dict[str, Categorical] = {}
    empty: dict[str, np.ndarray] = {}
    asked = np.broadcast_to(False, (rows,))                      # (no `solve` column: nothing asked)
    targets: list[tuple[str, ...]] = [()]
    row_targets = np.broadcast_to(np.int64(0), (rows,))
    solve_column: Column | None = None
    stray = []
    for column in columns:
        series = frame.get_column(column.field)
        flagged = by_column.get(column.index, [])
        if flagged and column.role in ("number", "key", "solve", "config"):
            report(np.array([r for r, _ in flagged], dtype=np.int64), [m for _, m in flagged])
        elif flagged:
            stray += [m for _, m in flagged]
        if column.role == "number":
            variable = engine.rules.variables[column.variable]
            numbers[variable.name], empty[variable.name] = _numbers(variable, column, series, locator, report)
        elif column.role == "key":
            variable = engine.rules.variables[column.variable]
            keys[variable.name] = _keys(engine, variable, column, series, locator, report)
            bounds = keys[variable.name].bounds()
            empty[variable.name] = keys[variable.name].codes < 0 if bounds is None or bounds[0] < 0 else \
                np.broadcast_to(False, (rows,))
        elif column.role == "solve":
            solve_column = column
            targets, row_targets, asked = _solve(engine, column, series, locator, report)
    if stray:
        notes.append(f"{stray[0]}" + (f" (and {len(stray) - 1} more cells in pass-through columns)"
                                      if len(stray) > 1 else ""))
    if solve_column is None and rows:
        notes.append("no `solve` column: each row derives what follows from its values")
    origins = _config_column(engine, frame, columns, locator, numbers, keys, empty, report)
    _asked_and_given(columns, numbers, targets, row_targets, locator, report)
    if _every(asked, True) or any(_every(mask, False) for mask in empty.values()):
        blank = np.broadcast_to(False, (rows,))   # every row asks something or has a value
    else:
        has_value = np.array(asked, dtype=bool)
        for mask in empty.values():
            has_value |= ~mask
        blank = ~has_value & ~failed
    name_column = next((c.field for c in columns if c.role == "name"), None)
    return Prepared(rows, columns, numbers, keys, targets, row_targets, errors, blank, empty, locator,
                    notes, name_column, failed, origins)


def _config_column(engine: "Engine", frame: pl.DataFrame, columns: list[Column], locator: Locator,
                   numbers: dict[str, np.ndarray], keys: dict[str, Categorical], empty: dict[str, np.ndarray],
                   report: Report) -> list | None:
    """A `config` column: each row's training config fills that row's empty inputs (engine/io/training_config)."""
    column = next((c for c in columns if c.role == "config"), None)
    if column is None:
        return None
    from engine.io.training_config.table import fill_from_configs

    cells = frame.get_column(column.field).cast(pl.String).to_list()
    return fill_from_configs(engine, cells, lambda r: locator.cell(column.index, column.header, r),
                             numbers, keys, empty, report)


def _every(mask: np.ndarray, value: bool) -> bool:
    """A broadcast mask (one value for every row) that holds `value`; False when unsure."""
    mask = np.asarray(mask)
    if mask.ndim == 0:
        return bool(mask) == value
    return bool(mask.ndim == 1 and mask.strides[0] == 0 and len(mask) and bool(mask[0]) == value)


# -- numbers --------------------------------------------------------------------------------
def _numbers(variable: Variable, column: Column, series: pl.Series, locator: Locator, report: Report
             ) -> tuple[np.ndarray, np.ndarray]:
    rows = len(series)
    dtype = series.dtype
    shadow = replace(variable, unit=column.unit_text(variable), factor=column.factor)
    cell = lambda r: locator.cell(column.index, column.header, r)  # noqa: E731
    if dtype == pl.Null:
        return np.full(rows, np.nan), np.ones(rows, dtype=bool)
    if dtype.is_numeric():
        # no copy for a Float64 column without nulls (the batch never writes into it)
        raw = (series if dtype == pl.Float64 else series.cast(pl.Float64)).to_numpy()
        values = raw if column.factor == 1.0 else raw * column.factor
        values.flags.writeable = False                # nobody writes into an input column
        bounds = (values.min(), values.max()) if rows else (0.0, 0.0)
        empty = np.isnan(values) if np.isnan(bounds[0]) else np.broadcast_to(False, (rows,))
        checked = _domain(shadow, values, cell, report, bounds)
        if checked is values and rows:
            remember_bounds(values, *bounds)            # the batch solver reuses them
        return checked, empty
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        text = series.cast(pl.String).str.strip_chars()
        empty = (text.is_null() | (text == "")).to_numpy()
        plain = text.cast(pl.Float64, strict=False)
        is_plain = (plain.is_not_null() & ~plain.is_nan()).to_numpy()
        values = np.where(is_plain, plain.fill_null(np.nan).to_numpy() * column.factor, np.nan)
        values = _domain(shadow, values, cell, report)
        rest = ~empty & ~is_plain
        if rest.any():
            index = np.flatnonzero(rest)
            texts = text.gather(index)
            parsed: dict[str, float | str] = {}
            for raw_text in texts.unique().to_list():
                try:
                    parsed[raw_text] = parse_number(variable, raw_text)   # its own unit/suffix
                except EngineError as exc:
                    parsed[raw_text] = str(exc)
            good = {t: v for t, v in parsed.items() if isinstance(v, float)}
            got = texts.replace_strict(list(good), list(good.values()), default=None,
                                       return_dtype=pl.Float64).fill_null(np.nan).to_numpy()
            values = np.array(values)
            values[index] = got
            bad = np.isnan(got)
            if bad.any():
                report(index[bad], [f"{cell(r)}: {parsed[t]}" for r, t in
                                    zip(index[bad].tolist(), texts.filter(pl.Series(bad)).to_list())])
        return values, empty
    empty = series.is_null().to_numpy()
    if dtype == pl.Duration and variable.dims == (("[time]", 1.0),):
        return series.dt.total_microseconds().cast(pl.Float64).fill_null(np.nan).to_numpy() / 1e6, empty
    index = np.flatnonzero(~empty)
    kind = "TRUE/FALSE" if dtype == pl.Boolean else f"a {dtype} value"
    report(index, [f"{cell(r)}: {variable.name}: expected a number, got {kind} ({v})"
                   for r, v in zip(index.tolist(), series.gather(index).to_list())])
    return np.full(rows, np.nan), empty


def _domain(shadow: Variable, values: np.ndarray, cell: Callable[[int], str], report: Report,
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
    messages = []
    for row in index.tolist():
        try:
            check_domain(shadow, float(values[row]))
            messages.append(f"{cell(row)}: {shadow.name}: value out of range")
        except ValueParseError as exc:
            messages.append(f"{cell(row)}: {exc}")
    report(index, messages)
    values = np.array(values)
    values[index] = np.nan
    return values


# -- keys -----------------------------------------------------------------------------------
def _key_text(series: pl.Series) -> pl.Series:
    """Text of key/solve cells (3.0 -> "3"), trimmed, "" -> null; an Enum column stays as it is."""
    dtype = series.dtype
    if isinstance(dtype, pl.Enum):
        return series
    if dtype == pl.Categorical:
        series = series.cast(pl.String)
    if dtype.is_float():
        whole = series == series.floor()
        text = pl.select(pl.when(pl.lit(whole)).then(pl.lit(series).cast(pl.Int64, strict=False).cast(pl.String))
                         .otherwise(pl.lit(series).cast(pl.String))).to_series()
    else:
        text = series.cast(pl.String)
    text = text.str.strip_chars()
    return pl.select(pl.when(pl.lit(text) == "").then(None).otherwise(pl.lit(text))).to_series()


def codes_of(text: pl.Series) -> tuple[np.ndarray, list[str]]:
    """Dictionary-encode a text column: codes (the smallest signed integer type that holds them,
    -1 = empty; read-only) and labels (first-seen order)."""
    if isinstance(text.dtype, pl.Enum):
        labels = text.dtype.categories.to_list()
        return _signed_codes(text.to_physical(), len(labels)), labels
    labels = text.drop_nulls().unique(maintain_order=True).to_list()
    if not labels:
        return np.full(len(text), -1, dtype=np.int64), []
    return _signed_codes(text.cast(pl.Enum(labels)).to_physical(), len(labels)), labels


def _signed_codes(physical: pl.Series, count: int) -> np.ndarray:
    """An Enum's physical codes as signed integers with -1 for null: without a copy (an unsigned
    -> signed view of polars' own buffer) when no cell is null and the labels fit."""
    if physical.null_count() == 0 and physical.dtype in (pl.UInt8, pl.UInt16, pl.UInt32):
        codes = physical.to_numpy()
        signed = np.dtype(f"i{codes.dtype.itemsize}")
        if codes.dtype.kind == "u" and count <= np.iinfo(signed).max:
            return codes.view(signed)
    dtype = pl.Int8 if count < 2 ** 7 else pl.Int16 if count < 2 ** 15 else pl.Int32 if count < 2 ** 31 else pl.Int64
    return physical.cast(dtype).fill_null(-1).to_numpy()


def canonical_key(engine: "Engine", variable: Variable, label: str) -> str:
    """The canonical catalog key / convention value for what a user typed (ValueParseError if none)."""
    table = engine.rules.tables.get(variable.name)
    try:
        return parse_key(variable, table, label)
    except ValueParseError:
        if table is None:
            folded = {v.casefold(): v for v in variable.values}
            if label.strip().casefold() in folded:
                return folded[label.strip().casefold()]
        raise


def _keys(engine: "Engine", variable: Variable, column: Column, series: pl.Series, locator: Locator,
          report: Report) -> Categorical:
    if series.dtype == pl.Null:
        return Categorical(np.full(len(series), -1, dtype=np.int64), [])
    codes, labels = codes_of(_key_text(series))
    canonical = []
    for code, label in enumerate(labels):
        text = label.strip()
        if not text:
            codes = np.where(codes == code, -1, codes)
            canonical.append(label)
            continue
        try:
            canonical.append(canonical_key(engine, variable, text))
        except EngineError as exc:
            canonical.append(label)
            index = np.flatnonzero(codes == code)
            if len(index):
                report(index, [f"{locator.cell(column.index, column.header, r)}: {exc}" for r in index.tolist()])
    return Categorical(codes, canonical)


# -- targets --------------------------------------------------------------------------------
def parse_targets(engine: "Engine", text: str) -> tuple[str, ...]:
    """`n_gpus, train_cost` -> ("n_gpus", "train_cost"); ValueParseError naming a bad name."""
    names = [n for n in _TARGET_SPLIT.split(text.strip()) if n]
    out = []
    for name in names:
        variable = engine.variable(name)
        if variable.categorical:
            raise ValueParseError(f"{name} is a catalog key or convention; it is given, not solved")
        out.append(variable.name)
    return tuple(dict.fromkeys(out))


def _solve(engine: "Engine", column: Column, series: pl.Series, locator: Locator, report: Report
           ) -> tuple[list[tuple[str, ...]], np.ndarray, np.ndarray]:
    rows = len(series)
    if series.dtype == pl.Null:
        return [()], np.zeros(rows, dtype=np.int64), np.zeros(rows, dtype=bool)
    codes, labels = codes_of(_key_text(series))
    targets: list[tuple[str, ...]] = [()]
    lookup = np.zeros(len(labels) + 1, dtype=np.int64)   # code -1 -> the empty target set
    blank = np.zeros(len(labels) + 1, dtype=bool)
    blank[-1] = True
    for code, label in enumerate(labels):
        if not label.strip():
            blank[code] = True
            continue
        try:
            wanted = parse_targets(engine, label)
        except EngineError as exc:
            index = np.flatnonzero(codes == code)
            report(index, [f"{locator.cell(column.index, column.header, r)}: solve: {exc}" for r in index.tolist()])
            continue
        if wanted not in targets:
            targets.append(wanted)
        lookup[code] = targets.index(wanted)
    if len(codes) and codes.min() == codes.max():   # one `solve` for every row: no per-row arrays
        rows = len(codes)
        return targets, np.broadcast_to(lookup[codes[0]], (rows,)), np.broadcast_to(~blank[codes[0]], (rows,))
    return targets, lookup[codes], ~blank[codes]


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
                report(index, [f"{locator.cell(column.index, column.header, r)}: {name} is asked for in `solve` "
                               f"and also given; clear the cell or remove {name} from solve" for r in index.tolist()])
