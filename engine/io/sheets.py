"""Scenario files in, results files out: .xlsx (in: also .xlsm .xls .xlsb .ods), .csv, .parquet.

Reading a workbook (polars/fastexcel, calamine): the `scenarios` sheet, header in its first
non-empty row. Every cell is read as written: a column mixing numbers and text is read twice
(as text, and as numbers for the numeric cells, so no digit is lost), formula cells by their
cached values; a formula without a cached value (a file written by a program that does not
compute formulas) or with an error value is reported by cell, found by a scan of the sheet's
XML that only runs when the sheet has formulas at all.

Writing is atomic: into a temporary file beside the target, then os.replace; the input is only
ever opened for reading, and an output path that is the input is refused.
"""
from __future__ import annotations

import math
import os
import re
import secrets
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from xml.etree import ElementTree

import numpy as np
import polars as pl

from ..errors import ScenarioError
from ..table.cells import Locator
from .package_guard import check_not_encrypted, inspect_package

SHEET = "scenarios"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
INPUT_SUFFIXES = WORKBOOK_SUFFIXES + (".csv", ".parquet")
OUTPUT_SUFFIXES = (".xlsx", ".csv", ".parquet")
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}

__all__ = ["ScenarioError", "Sheet", "atomic_write", "check_paths", "csv_safe_columns", "neutralise", "read_scenarios", "read_sheet", "write_table"]


@dataclass
class Sheet:
    """A scenario table as read from a file."""

    frame: pl.DataFrame                      # one column per header cell (unique names)
    headers: list[str]                       # the header cells as written
    path: Path
    locator: Locator                         # names cells in messages
    sheet_name: str | None = None            # workbook sheet (None for .csv/.parquet)
    numeric_cells: dict[str, pl.Series] = field(default_factory=dict)   # text columns: cell was a number
    problems: dict[tuple[int, int], str] = field(default_factory=dict)   # (row, col) -> message
    notes: list[str] = field(default_factory=list)


# -- paths -----------------------------------------------------------------------------------
def check_paths(source: Path, target: Path, suffixes: tuple[str, ...] = OUTPUT_SUFFIXES) -> None:
    """Refuse writing over the input, and formats we cannot write."""
    if target.suffix.lower() not in suffixes:
        raise ScenarioError(f"{target}: cannot write {target.suffix or 'files without an extension'}; "
                            f"use one of {', '.join(suffixes)}")
    same = source.resolve() == target.resolve()
    if not same and target.exists():
        try:
            same = os.path.samefile(source, target)
        except OSError:
            same = False
    if same:
        raise ScenarioError(f"{target}: the output would overwrite the input file; choose another -o path "
                            "(llmplan never modifies its input)")


def atomic_write(target: Path, write: Callable[[Path], Any]) -> None:
    """write(temporary path beside target), then rename over target; no partial file on failure."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ScenarioError(f"{target}: folder {folder} does not exist")
    remove_stale_temps(folder)
    temp = folder / f".{target.stem}.llmplan-{secrets.token_hex(4)}.tmp{target.suffix}"
    try:
        write(temp)
        os.replace(temp, target)
    except Exception as exc:
        cause = _os_error(exc)   # xlsxwriter wraps the OSError in its own FileCreateError
        if cause is None:
            raise
        raise ScenarioError(f"{target}: cannot write ({cause.strerror or cause})") from None
    finally:
        if temp.exists():
            try:
                temp.unlink()
            except OSError:
                pass


STALE_SECONDS = 24 * 3600
_OUR_TEMP = re.compile(r"^\..*\.llmplan-[0-9a-f]{8}\.tmp(\.[A-Za-z0-9]+)?$")


def remove_stale_temps(folder: Path) -> None:
    """Temporaries of our own naming (`.NAME.llmplan-XXXXXXXX.tmp.xlsx`) that a killed run left
    (SIGKILL cannot be caught) and that are over a day old: removed on the next write there."""
    now = time.time()
    try:
        entries = [e for e in folder.iterdir() if _OUR_TEMP.match(e.name)]
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_file() and not entry.is_symlink() and now - entry.stat().st_mtime > STALE_SECONDS:
                entry.unlink()
        except OSError:
            pass


def _os_error(exc: BaseException | None) -> OSError | None:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError):
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def write_table(frame: pl.DataFrame, target: Path, headers: dict[str, str] | None = None) -> None:
    """A plain table as .csv or .parquet, atomically. `headers`: column -> header as written in the input.

    CSV is opened by spreadsheets, which run text starting with = + - @ (or tab/CR) as a formula:
    such text cells and headers get a leading apostrophe (OWASP, "CSV injection"); numbers, and text
    that is a plain number ('-5', '+0.4'), are written as they are."""
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ScenarioError(f"{target}: write_table handles .csv and .parquet")
    try:
        if suffix == ".csv":
            atomic_write(target, lambda p: _write_csv(frame, p, headers or {}))
        else:
            atomic_write(target, lambda p: frame.write_parquet(p))
    except pl.exceptions.PolarsError as exc:
        raise ScenarioError(f"{target}: cannot write ({_first_line(exc)})") from None


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def neutralise(text: str) -> str:
    """One text cell or header for CSV: a leading apostrophe if a spreadsheet would run it as a formula."""
    if text.startswith(FORMULA_START) and not re.match(_PLAIN_NUMBER, text):
        return "'" + text
    return text


def csv_safe_columns(schema: Any) -> list[pl.Expr]:
    """Expressions that make the columns of `schema` safe and writable as CSV (see write_table)."""
    columns = []
    for name, dtype in schema.items():
        column = pl.col(name)
        if dtype == pl.String:
            columns.append(pl.when(column.str.contains(r"^[=+\-@\t\r]") & ~column.str.contains(_PLAIN_NUMBER))
                           .then(pl.lit("'") + column).otherwise(column).alias(name))
        elif dtype == pl.Duration or isinstance(dtype, pl.Duration):
            columns.append(_duration_text(column).alias(name))
        elif isinstance(dtype, (pl.List, pl.Array, pl.Struct)) or dtype in (pl.Binary, pl.Object):
            columns.append(column.map_batches(lambda s: pl.Series(s.name, [None if v is None else str(v)
                                                                            for v in s.to_list()], dtype=pl.String),
                                              return_dtype=pl.String).alias(name))
    return columns


def _write_csv(frame: pl.DataFrame, path: Path, headers: dict[str, str]) -> None:
    import csv

    columns = csv_safe_columns(frame.schema)
    out = frame.with_columns(columns) if columns else frame
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow([neutralise(headers.get(c, c)) for c in frame.columns])
        handle.flush()
        out.write_csv(handle, include_header=False)


def _duration_text(column: pl.Expr) -> pl.Expr:
    """A duration as Excel's [h]:mm:ss text (what the cell showed)."""
    seconds = column.dt.total_seconds()
    sign = pl.when(seconds < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    total = seconds.abs()
    return pl.concat_str([sign, (total // 3600).cast(pl.String), pl.lit(":"),
                          ((total % 3600) // 60).cast(pl.String).str.zfill(2), pl.lit(":"),
                          (total % 60).cast(pl.String).str.zfill(2)])


# -- reading ---------------------------------------------------------------------------------
def read_scenarios(path: Path | str, sheet: str = SHEET) -> Sheet:
    """The scenario table of a file; ScenarioError (naming file and sheet) if it cannot be used.

    `sheet`: the workbook sheet to read (`scenarios`; a results workbook's copy is `inputs`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in INPUT_SUFFIXES:
        raise ScenarioError(f"{path}: unsupported file type {suffix or '(none)'}; use .xlsx, .csv or .parquet")
    if not path.is_file():
        raise ScenarioError(f"{path}: no such file")
    if not os.access(path, os.R_OK):
        raise ScenarioError(f"{path}: not readable (permission denied)")
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix in (".xlsx", ".xlsm"):
        _check_zip(path)
    return _read_workbook(path, sheet)


def _check_zip(path: Path) -> None:
    """An .xlsx is a zip archive: say what the file really is, refuse damaged entries and bombs.

    calamine does not verify the entries' checksums, so a damaged workbook could be read with
    silently wrong numbers; package_guard reads every entry once (CRC checked, sizes capped)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise ScenarioError(f"{path}: not a readable workbook: the file is empty (0 bytes)")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        check_not_encrypted(path)
        raise ScenarioError(f"{path}: not a readable workbook: this is an old-format .xls workbook saved with an "
                            ".xlsx name; rename it "
                            "to .xls, or open it and save it as .xlsx")
    if not head.startswith(b"PK"):
        kind = "CSV text" if _looks_like_text(path) else "not an .xlsx workbook (no zip header)"
        raise ScenarioError(f"{path}: not a readable workbook: this is {kind}; an .xlsx file is a zip archive. "
                            + ("Rename it to .csv." if kind == "CSV text" else "Was it renamed or damaged?"))
    inspect_package(path)


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as handle:
        sample = handle.read(4096)
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text and ("," in text or "\t" in text or ";" in text)


read_sheet = read_scenarios


MAX_CSV_FIELD = 1_000_000     # characters in one CSV field (an Excel cell holds 32,767)
_CANONICAL_INT = re.compile(r"0|-?[1-9][0-9]{0,14}")      # exact in a float64 (< 2**53); never '-0'
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")


def _read_csv(path: Path) -> Sheet:
    """Every field read as text; a column is a number column only when each of its cells is a number
    written the way it would be written back ('30', '0.4'), so '0012', '9007199254740993', 'NaN'
    and '1e309' stay exactly as typed. UTF-16 (with a BOM) is read; `;` or tab separators are found."""
    data, encoding = _csv_bytes(path)
    notes = []
    separator = _separator(data)
    if separator != ",":
        notes.append(f"{path.name}: read as {'semicolon' if separator == ';' else 'tab'}-separated values")
    if encoding != "utf-8":
        notes.append(f"{path.name}: read as {encoding} text")
    try:
        frame = pl.read_csv(data, infer_schema=False, separator=separator, encoding="utf8-lossy",
                            truncate_ragged_lines=False)
    except pl.exceptions.NoDataError:
        raise ScenarioError(f"{path}: the file is empty; row 1 must hold the column names") from None
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: not a readable CSV file ({_first_line(exc)})") from None
    if frame.columns and frame.columns[0].startswith("\ufeff"):
        frame = frame.rename({frame.columns[0]: frame.columns[0][1:]})
    if not frame.height:
        raise ScenarioError(f"{path}: the header (row 1) has no scenario rows under it; put one scenario per "
                            "line below the column names (see `llmplan template`)")
    longest = max((frame.get_column(c).str.len_chars().max() or 0 for c in frame.columns), default=0)
    if longest > MAX_CSV_FIELD:
        raise ScenarioError(f"{path}: a field holds {longest:,} characters (llmplan reads fields up to "
                            f"{MAX_CSV_FIELD:,}); is this a scenario table?")
    headers = list(frame.columns)
    frame = _named_columns(frame)
    frame, numeric = _typed_columns(frame)
    return Sheet(frame, headers, path, Locator(path.name, 1, 0, a1=True), numeric_cells=numeric,
                 notes=notes)


def _csv_bytes(path: Path) -> tuple[bytes, str]:
    """The file's bytes as UTF-8, and the encoding they were in."""
    data = path.read_bytes()
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[2:].decode(encoding).encode("utf-8"), "UTF-16"
            except UnicodeDecodeError:
                raise ScenarioError(f"{path}: starts like UTF-16 text but cannot be decoded as UTF-16; save it "
                                    "as UTF-8 CSV") from None
    head = data[:4096]
    if head and head.count(b"\x00") * 4 >= len(head):
        raise ScenarioError(f"{path}: this looks like UTF-16 text without a byte-order mark (every other byte is "
                            "0); save it as \"CSV UTF-8\"")
    return data, "utf-8"


def _separator(data: bytes) -> str:
    """`,` unless the header line has none and has `;` or tab (Excel in many locales writes `;`)."""
    line = data.split(b"\n", 1)[0]
    if b"," in line:
        return ","
    counts = {";": line.count(b";"), "\t": line.count(b"\t")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def _named_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Blank header cells get a field name (`__UNNAMED__3`); the header as written is kept in Sheet.headers
    (a blank DataFrame column name is renamed `column_3` by polars later, losing the column)."""
    blank = {c: f"__UNNAMED__{i}" for i, c in enumerate(frame.columns) if not c.strip()}
    return frame.rename(blank) if blank else frame


def _canonical(text: str) -> bool:
    """A number written exactly as it would be written back: int up to 15 digits, or plain decimal
    equal to Python's shortest repr ('0.4', not '0.40', '1e5' or '.5')."""
    if _CANONICAL_INT.fullmatch(text):
        return True
    if _PLAIN_DECIMAL.fullmatch(text):
        value = float(text)
        negative_zero = value == 0.0 and text.startswith("-")   # Excel would show -0.0 as 0
        return math.isfinite(value) and repr(value) == text and not negative_zero
    return False


def _typed_columns(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, pl.Series]]:
    """Columns of canonical ints -> Int64, of canonical decimals -> Float64; a mix of numbers and
    other text stays text, with a mask of its number cells (the .xlsx writer writes those as numbers)."""
    numeric: dict[str, pl.Series] = {}
    cast = []
    for column in frame.columns:
        series = frame.get_column(column)
        present = series.drop_nulls()
        if not len(present):
            continue
        uniques = present.unique()
        verdict = {text: _canonical(text) for text in uniques.to_list()}
        if all(verdict.values()):
            if all(_CANONICAL_INT.fullmatch(t) for t in verdict):
                cast.append(pl.col(column).cast(pl.Int64))
            elif not any(_CANONICAL_INT.fullmatch(t) for t in verdict):
                cast.append(pl.col(column).cast(pl.Float64))
            else:
                numeric[column] = series.is_in([t for t, ok in verdict.items() if ok]).fill_null(False)
        elif any(verdict.values()):
            numeric[column] = series.is_in([t for t, ok in verdict.items() if ok]).fill_null(False)
    return (frame.with_columns(cast) if cast else frame), numeric


def _read_parquet(path: Path) -> Sheet:
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: not a readable Parquet file ({_first_line(exc)})") from None
    if not frame.width:
        raise ScenarioError(f"{path}: the Parquet file has no columns")
    if not frame.height:
        raise ScenarioError(f"{path}: the Parquet file has columns but no rows; put one scenario per row")
    return Sheet(_plain_columns(frame), list(frame.columns), path, Locator(path.name, 1, 0, a1=True))


def _plain_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Column types a scenario table can hold: binary -> text (invalid UTF-8 replaced), lists/structs/
    arrays/objects -> their text; numbers, text, booleans, dates and durations stay as they are."""
    fixed = []
    for column, dtype in frame.schema.items():
        if dtype == pl.Binary:
            fixed.append(pl.col(column).map_batches(_binary_text, return_dtype=pl.String))
        elif isinstance(dtype, (pl.List, pl.Array, pl.Struct)) or dtype == pl.Object:
            fixed.append(pl.col(column).map_batches(_nested_text, return_dtype=pl.String))
        elif dtype == pl.Categorical or isinstance(dtype, (pl.Categorical, pl.Enum)):
            fixed.append(pl.col(column).cast(pl.String))
        elif dtype == pl.Decimal or isinstance(dtype, pl.Decimal):
            fixed.append(pl.col(column).cast(pl.Float64))
        elif dtype == pl.Time:
            fixed.append(pl.col(column).cast(pl.String))
    return frame.with_columns(fixed) if fixed else frame


def _binary_text(series: pl.Series) -> pl.Series:
    return pl.Series(series.name, [None if v is None else v.decode("utf-8", "replace") for v in series.to_list()],
                     dtype=pl.String)


def _nested_text(series: pl.Series) -> pl.Series:
    return pl.Series(series.name, [None if v is None else str(v) for v in series.to_list()], dtype=pl.String)


def _read_workbook(path: Path, wanted: str = SHEET) -> Sheet:
    import logging

    log = logging.getLogger("fastexcel")   # "could not determine dtype" for empty columns: not news
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        return _read_workbook_quietly(path, wanted)
    finally:
        log.setLevel(level)


def _read_workbook_quietly(path: Path, wanted: str) -> Sheet:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:   # noqa: BLE001 - fastexcel raises its own hierarchy
        raise ScenarioError(f"{path}: not a readable workbook ({_first_line(exc)})") from None
    names = list(reader.sheet_names)
    name = next((n for n in names if n == wanted), None) or \
        next((n for n in names if n.strip().casefold() == wanted.casefold()), None)
    if name is None:
        raise ScenarioError(f"{path}: no sheet named {wanted!r} (sheets: {', '.join(names) or 'none'}); put the "
                            f"scenario table on a sheet named {wanted} (see `llmplan template`)")
    where = f"{path} sheet {name!r}"
    kinds: dict[int, pl.Series] = {}
    try:
        try:
            frame = reader.load_sheet_by_name(name, header_row=0, schema_sample_rows=None).to_polars()
        except Exception as exc:   # noqa: BLE001 - a column mixing durations or dates with other values
            if "type combination" not in str(exc):
                raise
            frame, kinds = _read_mixed_kinds(reader, name)
        headers = list(frame.columns)
        if _renamed(headers):   # fastexcel renames repeated/empty headers: read row 1 as written
            first = reader.load_sheet_by_name(name, header_row=None, n_rows=1, dtypes="string").to_polars()
            if first.height:
                headers = [v if v is not None else "" for v in first.row(0)]
    except Exception as exc:   # noqa: BLE001
        raise ScenarioError(f"{where}: cannot be read ({_first_line(exc)})") from None
    if not frame.width:
        raise ScenarioError(f"{where} is empty: row 1 must hold variable names (see `llmplan template`)")
    frame = _named_columns(frame)
    mixed = _mixed_columns(frame)
    scan = _Scan()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        scan = _scan_xml(path, name, frozenset(frame.columns.index(c) for c in mixed))
        scan.problems.update(_merged(scan, frame.height, frame.width))
    header_row, first_col = scan.header_row, scan.first_col
    if not frame.height:
        raise ScenarioError(f"{where}: the header (row {header_row}) has no scenario rows under it; put one "
                            "scenario per row below the variable names (see `llmplan template`)")
    locator = Locator(name, header_row, first_col, a1=True)
    text_cells = None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        text_cells = {c: _row_mask(scan, header_row, first_col + frame.columns.index(c), frame.height)
                      for c in mixed}
    frame, numeric = _exact_numbers(reader, name, frame, mixed, text_cells)
    cells = {(row - header_row - 1, col - first_col): message for (row, col), message in scan.problems.items()
             if row > header_row and col >= first_col}
    for col, mask in kinds.items():
        for row in np.flatnonzero(mask.to_numpy()).tolist():
            cells.setdefault((row, col), MIXED_KINDS)
    messages = {key: f"{locator.cell(key[1], '', key[0])}: {text}" for key, text in cells.items()}
    return Sheet(frame, headers[:frame.width] + list(frame.columns[len(headers):]), path, locator, name,
                 numeric, messages)


def _row_mask(scan: _Scan, header_row: int, col: int, height: int) -> pl.Series:
    """Per table row: whether the cell in sheet column `col` was typed as text in the file."""
    mask = np.zeros(height, dtype=bool)
    for row, c in scan.text_cells:
        index = row - header_row - 1
        if c == col and 0 <= index < height:
            mask[index] = True
    return pl.Series(mask)


MIXED_KINDS = ("a date or duration in a column that also holds other kinds of values (numbers, text, dates, "
               "durations); llmplan cannot tell which this cell means: type it as text with a unit (e.g. 36 h, "
               "1.5 days), or keep one kind of value per column")


def _read_mixed_kinds(reader: Any, name: str) -> tuple[pl.DataFrame, dict[int, pl.Series]]:
    """A sheet whose columns mix durations/dates with other cells (calamine refuses the sheet): those
    columns are read as text, a duration written as Excel shows it ([h]:mm:ss), and each date or
    duration cell in them is returned as a mask by column index (the cell is named in the row's error)."""
    def load(**options: Any) -> pl.DataFrame:
        return reader.load_sheet_by_name(name, header_row=0, schema_sample_rows=None, **options).to_polars()

    text = load(dtypes="string")
    bad = _unreadable_columns(load, list(range(text.width)))
    good = [i for i in range(text.width) if i not in bad]
    typed = load(use_columns=good) if good else pl.DataFrame()
    columns, kinds = [], {}
    for index, column in enumerate(text.columns):
        if index not in bad:
            columns.append(typed.to_series(good.index(index)).alias(column))
            continue
        as_text = text.to_series(index)
        spans = load(use_columns=[index], dtypes={index: "duration"}).to_series(0)
        numbers = load(use_columns=[index], dtypes={index: "float"}).to_series(0)
        timed = (spans.is_not_null() & numbers.is_null()).fill_null(False)
        # Excel counts days from 1900-01-00: a "date" in 1899/1900 is a duration ([h]:mm:ss) shown as a date
        early = as_text.str.slice(0, 4).is_in(["1899", "1900"]).fill_null(False) & timed
        shown = pl.select(pl.when(pl.lit(early)).then(_duration_text(pl.lit(spans)))
                          .otherwise(pl.lit(as_text))).to_series()
        columns.append(shown.alias(column))
        kinds[index] = timed
    return pl.DataFrame(columns), kinds


def _unreadable_columns(load: Callable[..., pl.DataFrame], columns: list[int]) -> set[int]:
    """Columns calamine cannot type, found by halving (a few loads, also for 16,384 columns)."""
    try:
        load(use_columns=columns)
        return set()
    except Exception:   # noqa: BLE001
        if len(columns) == 1:
            return set(columns)
    half = len(columns) // 2
    return _unreadable_columns(load, columns[:half]) | _unreadable_columns(load, columns[half:])


def _renamed(columns: list[str]) -> bool:
    """Whether fastexcel renamed a header (empty -> __UNNAMED__n, repeated x -> x_1)."""
    names = set(columns)
    for column in columns:
        repeated = re.fullmatch(r"(.*)_\d+", column)
        if column.startswith("__UNNAMED__") or (repeated and repeated.group(1) in names):
            return True
    return False


def _mixed_columns(frame: pl.DataFrame) -> list[str]:
    """Text columns holding cells that look like numbers (numbers, or text typed like one)."""
    mixed = []
    for column in frame.columns:
        series = frame.get_column(column)
        if series.dtype == pl.String:
            if series.str.strip_chars().cast(pl.Float64, strict=False).is_not_null().any():
                mixed.append(column)
    return mixed


def _exact_numbers(reader: Any, name: str, frame: pl.DataFrame, mixed: list[str],
                   text_cells: dict[str, pl.Series] | None) -> tuple[pl.DataFrame, dict[str, pl.Series]]:
    """Text columns holding some numbers: calamine prints numbers in text columns with 9 digits,
    so read those columns again as numbers and keep each numeric cell exactly. A cell typed as
    text in the file ('0012', '9007199254740993', 'NaN') stays text, exactly as written
    (`text_cells`, from the sheet XML; other workbook formats: a cell that reads as a number is one)."""
    if not mixed:
        return frame, {}
    indexes = [frame.columns.index(c) for c in mixed]   # by index: field names may differ from the file's
    numbers = reader.load_sheet_by_name(name, header_row=0, schema_sample_rows=None, use_columns=indexes,
                                        dtypes={i: "float" for i in indexes}).to_polars()
    numeric: dict[str, pl.Series] = {}
    replaced = []
    for column in mixed:
        text = frame.get_column(column)
        value = numbers.to_series(mixed.index(column))
        is_number = (text.str.strip_chars().cast(pl.Float64, strict=False).is_not_null()
                     & value.is_not_null() & ~text.is_in(["true", "false"])).fill_null(False)
        if text_cells is not None:
            is_number = is_number & ~text_cells[column]
        numeric[column] = is_number
        exact = pl.select(pl.when(pl.lit(is_number)).then(pl.lit(value).cast(pl.String))
                          .otherwise(pl.lit(text))).to_series().alias(column)
        replaced.append(exact)
    return frame.with_columns(replaced), numeric


_CELL = re.compile(rb'<c\b([^>]*?)(/>|>)')
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_VALUE = re.compile(rb'<(?:v|is)\b')
_FORMULA = re.compile(rb'<c r="([A-Z]+)(\d+)"([^>]*)>\s*<f\b[^>]*?(?:/>|>([^<]*)</f>)\s*(?:<v\s*/>|<v>([^<]*)</v>)?')
_TEXT_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?\bt="(?:s|inlineStr|str)"')
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
SCAN_CHUNK = 4 * 2**20
MAX_ROW_XML = 64 * 2**20     # one <row> element (16,384 cells of long text is ~20 MB)


@dataclass
class _Scan:
    """What the sheet XML says that calamine does not: where the table starts, formula problems,
    merged ranges, and which cells of some columns were typed as text."""

    header_row: int = 1
    first_col: int = 0
    found: bool = False
    problems: dict[tuple[int, int], str] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    text_cells: set[tuple[int, int]] = field(default_factory=set)


def _scan_xml(path: Path, sheet: str, text_columns: frozenset[int] = frozenset()) -> _Scan:
    """The sheet's XML read in chunks cut at `</row>` (memory bounded, every pattern linear)."""
    scan = _Scan()
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, sheet)
            if part is None:
                return scan
            with archive.open(part) as stream:
                buffer = b""
                while True:
                    chunk = stream.read(SCAN_CHUNK)
                    buffer += chunk
                    cut = buffer.rfind(b"</row>") + 6 if chunk else len(buffer)
                    if cut < 6:
                        cut = buffer.rfind(b"/>") + 2   # after the rows: mergeCells and the like
                    if cut >= 2:
                        _scan_piece(buffer[:cut], scan, text_columns)
                        buffer = buffer[cut:]
                    if len(buffer) > MAX_ROW_XML:
                        raise ScenarioError(f"{path} sheet {sheet!r}: one row of the sheet's XML is larger than "
                                            f"{MAX_ROW_XML // 2**20} MB; llmplan reads rows up to that size")
                    if not chunk:
                        return scan
    except ElementTree.ParseError as exc:
        raise ScenarioError(f"{path}: not a readable workbook: xl/workbook.xml cannot be parsed "
                            f"({_first_line(exc)}), so its cells cannot be checked") from None
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise ScenarioError(f"{path} sheet {sheet!r}: cannot be read ({_first_line(exc)})") from None


def _scan_piece(data: bytes, scan: _Scan, text_columns: frozenset[int]) -> None:
    if not scan.found:
        for cell in _CELL.finditer(data):   # the first cell holding a value: the header
            if cell.group(2) == b"/>":
                continue
            end = data.find(b"</c>", cell.end())
            if end < 0 or not _VALUE.search(data, cell.end(), end):
                continue
            ref = _CELL_REF.search(cell.group(1))
            if ref:
                scan.header_row, scan.first_col = int(ref.group(2)), _column_index(ref.group(1).decode())
            scan.found = True
            break
    if b"<f" in data:
        for match in _FORMULA.finditer(data):
            col, row = _column_index(match.group(1).decode()), int(match.group(2))
            formula = _unescape(match.group(4) or b"")
            cached = match.group(5)
            if not cached:
                scan.problems[(row, col)] = (f"formula ={formula} has no saved value (the file was written by a "
                                             "program that does not calculate); open and save it in Excel or "
                                             "LibreOffice, or type the value")
            elif b't="e"' in match.group(3):
                scan.problems[(row, col)] = f"formula ={formula} gives the error {_unescape(cached)}"
    if text_columns and scan.found:
        wanted = {scan.first_col + c for c in text_columns}
        for match in _TEXT_CELL.finditer(data):
            col = _column_index(match.group(1).decode())
            if col in wanted:
                scan.text_cells.add((int(match.group(2)), col))
    if b"<mergeCell " in data:
        for match in _MERGE.finditer(data):
            scan.merges.append((_column_index(match.group(1).decode()), int(match.group(2)),
                                _column_index(match.group(3).decode()), int(match.group(4))))


def _merged(scan: _Scan, rows: int, width: int) -> dict[tuple[int, int], str]:
    """Cells of the table under a merged range (only its first cell holds the value) -> one message per
    range, shared by its cells; a range is clipped to the table (a merge to row 1,048,576 costs nothing)."""
    problems: dict[tuple[int, int], str] = {}
    last_row, last_col = scan.header_row + rows, scan.first_col + width - 1
    for c1, r1, c2, r2 in scan.merges:
        ref = f"{_letters(c1)}{r1}:{_letters(c2)}{r2}"
        first = f"{_letters(c1)}{r1}"
        message = (f"this cell is inside the merged range {ref}, whose value is in {first} "
                   "only; unmerge the cells and type the value in each row")
        for row in range(max(r1, scan.header_row + 1), min(r2, last_row) + 1):
            for col in range(max(c1, scan.first_col), min(c2, last_col) + 1):
                if (row, col) != (r1, c1):
                    problems[(row, col)] = message
    return problems


def _letters(index: int) -> str:
    from ..table.cells import column_letter

    return column_letter(index)


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rel_id = None
    for node in workbook.iter(f"{{{_NS['m']}}}sheet"):
        if node.get("name") == sheet:
            rel_id = node.get(f"{{{_NS['r']}}}id")
    if rel_id is None:
        return None
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for node in rels.iter(f"{{{_NS['rel']}}}Relationship"):
        if node.get("Id") == rel_id:
            target = node.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _unescape(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

