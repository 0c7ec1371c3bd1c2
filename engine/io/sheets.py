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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ..errors import ScenarioError
from ..messages import Nested, keyed, said_text
from ..table.cells import Locator
from .mixed_kinds import MIXED_KINDS, exact_numbers, mixed_columns, read_mixed_kinds, renamed
from .package_guard import check_not_encrypted, first_line, inspect_package
from .sheet_writing import atomic_write, check_paths, csv_safe_columns, neutralise, write_table
from .xlsx_scan import Scan, merged_cells, scan_xml

if TYPE_CHECKING:
    from fastexcel import ExcelReader

SHEET = "scenarios"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
INPUT_SUFFIXES = WORKBOOK_SUFFIXES + (".csv", ".parquet")

# (writers live in sheet_writing.py; these names stay importable from here for existing callers)
__all__ = ["ScenarioError", "Sheet", "atomic_write", "check_paths", "csv_safe_columns", "neutralise",
           "read_scenarios", "read_sheet", "write_table"]


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
    # a CSV as spreadsheets write it (a UTF-8 byte-order mark, UTF-16 or GBK): written back with a BOM,
    # without which Excel reads UTF-8 as the system's ANSI code page and garbles Chinese
    excel_csv: bool = False


# -- reading ---------------------------------------------------------------------------------
def read_scenarios(path: Path | str, sheet: str = SHEET) -> Sheet:
    """The scenario table of a file; ScenarioError (naming file and sheet) if it cannot be used.

    `sheet`: the workbook sheet to read (`scenarios`; a results workbook's copy is `inputs`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in INPUT_SUFFIXES:
        raise keyed(ScenarioError, "io.unsupported_type", path=path, suffix=suffix or Nested("io.no_suffix"))
    if not path.is_file():
        raise keyed(ScenarioError, "io.no_such_file", path=path)
    if not os.access(path, os.R_OK):
        raise keyed(ScenarioError, "io.permission", path=path)
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
        raise keyed(ScenarioError, "io.empty_workbook", path=path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        check_not_encrypted(path)
        raise keyed(ScenarioError, "sheets.xls_renamed", path=path)
    if not head.startswith(b"PK"):
        raise keyed(ScenarioError, "sheets.csv_as_xlsx" if _looks_like_text(path) else "sheets.not_zip", path=path)
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
    notes: list[str] = []
    separator = _separator(data)
    if separator != ",":
        notes.append(said_text("sheets.read_as_separator", name=path.name,
                               separator=Nested("sheets.semicolon" if separator == ";" else "sheets.tab")))
    if encoding != "utf-8":
        notes.append(said_text("sheets.read_as_encoding", name=path.name, encoding=encoding))
    try:
        frame = pl.read_csv(data, infer_schema=False, separator=separator, encoding="utf8-lossy",
                            truncate_ragged_lines=False)
    except pl.exceptions.NoDataError:
        raise keyed(ScenarioError, "sheets.csv_empty", path=path) from None
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise keyed(ScenarioError, "sheets.csv_unreadable", path=path, reason=first_line(exc)) from None
    if frame.columns and frame.columns[0].startswith("\ufeff"):
        frame = frame.rename({frame.columns[0]: frame.columns[0][1:]})
    if not frame.height:
        raise keyed(ScenarioError, "sheets.csv_no_rows", path=path)
    longest = max(frame.select(pl.all().str.len_chars().max().fill_null(0)).row(0), default=0)
    if longest > MAX_CSV_FIELD:
        raise keyed(ScenarioError, "sheets.csv_long_field", path=path, longest=longest, limit=MAX_CSV_FIELD)
    headers = list(frame.columns)
    frame = _named_columns(frame)
    frame, numeric = _typed_columns(frame)
    return Sheet(frame, headers, path, _locator(path), numeric_cells=numeric, notes=notes,
                 excel_csv=encoding != "utf-8" or data.startswith(UTF8_BOM))


UTF8_BOM = b"\xef\xbb\xbf"


def _locator(path: Path) -> Locator:
    """Cells of a one-table file (CSV, Parquet): `name.csv!C7`; paths in them read from its folder."""
    return Locator(path.name, 1, 0, a1=True, folder=str(path.parent))


def _csv_bytes(path: Path) -> tuple[bytes, str]:
    """The file's bytes as UTF-8, and the encoding they were in."""
    data = path.read_bytes()
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[2:].decode(encoding).encode("utf-8"), "UTF-16"
            except UnicodeDecodeError:
                raise keyed(ScenarioError, "sheets.bad_utf16", path=path) from None
    head = data[:4096]
    if head and head.count(b"\x00") * 4 >= len(head):
        raise keyed(ScenarioError, "sheets.utf16_no_bom", path=path)
    try:
        data.decode("utf-8")
        return data, "utf-8"
    except UnicodeDecodeError as exc:
        wrong = exc.start
    if data.startswith(b"PK\x03\x04") or b"\x00" in head:   # a workbook or other binary file renamed .csv
        return data, "utf-8"                                  # (refused below as not a readable CSV file)
    # Excel on a Chinese Windows saves "CSV" in the ANSI code page, GBK (cp936): read as GB18030, its
    # superset, and said in a note, never decoded lossily (that replaced every Chinese character)
    try:
        return data.decode("gb18030").encode("utf-8"), "GBK (GB18030)"
    except UnicodeDecodeError:
        line = data.count(b"\n", 0, wrong) + 1
        raise keyed(ScenarioError, "sheets.not_utf8", path=path, line=line) from None


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
        raise keyed(ScenarioError, "sheets.parquet_unreadable", path=path, reason=first_line(exc)) from None
    if not frame.width:
        raise keyed(ScenarioError, "sheets.parquet_no_columns", path=path)
    if not frame.height:
        raise keyed(ScenarioError, "sheets.parquet_no_rows", path=path)
    return Sheet(_plain_columns(frame), list(frame.columns), path, _locator(path))


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
    import fastexcel  # not at module level: a cold `llmplan solve` never reads a workbook

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:   # noqa: BLE001 - fastexcel raises its own hierarchy
        raise keyed(ScenarioError, "io.not_a_workbook", path=path, reason=first_line(exc)) from None
    name = _sheet_name(path, list(reader.sheet_names), wanted)
    where = Nested("sheets.where_sheet", path=path, sheet=name)
    frame, headers, kinds = _load_sheet(reader, name, where)
    if not frame.width:
        raise keyed(ScenarioError, "io.empty_sheet", where=where)
    frame = _named_columns(frame)
    mixed = mixed_columns(frame)
    is_xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
    scan = scan_xml(path, name, frozenset(frame.columns.index(c) for c in mixed)) if is_xlsx else Scan()
    if is_xlsx:
        scan.problems.update(merged_cells(scan, frame.height, frame.width))
    header_row, first_col = scan.header_row, scan.first_col
    if not frame.height:
        raise keyed(ScenarioError, "sheets.sheet_no_rows", where=where, row=header_row)
    locator = Locator(name, header_row, first_col, a1=True, folder=str(path.parent))
    text_cells = {c: _row_mask(scan, header_row, first_col + frame.columns.index(c), frame.height)
                  for c in mixed} if is_xlsx else None
    frame, numeric = exact_numbers(reader, name, frame, mixed, text_cells)
    cells = {(row - header_row - 1, col - first_col): message for (row, col), message in scan.problems.items()
             if row > header_row and col >= first_col}
    for col, mask in kinds.items():
        for row in np.flatnonzero(mask.to_numpy()).tolist():
            cells.setdefault((row, col), MIXED_KINDS)
    messages = {key: f"{locator.cell(key[1], '', key[0])}: {text}" for key, text in cells.items()}
    return Sheet(frame, headers[:frame.width] + list(frame.columns[len(headers):]), path, locator, name,
                 numeric, messages)


def _sheet_name(path: Path, names: list[str], wanted: str) -> str:
    """The sheet called `wanted`, as written, else ignoring case and surrounding spaces."""
    name = next((n for n in names if n == wanted), None) or \
        next((n for n in names if n.strip().casefold() == wanted.casefold()), None)
    if name is None:
        raise keyed(ScenarioError, "io.no_sheet", path=path, sheet=wanted, wanted=wanted,
                    names=", ".join(names) or Nested("io.none"))
    return name


def _load_sheet(reader: ExcelReader, name: str, where: Nested) -> tuple[pl.DataFrame, list[str], dict[int, pl.Series]]:
    """The sheet as a frame, its header cells as written, and the columns whose cells mix kinds."""
    kinds: dict[int, pl.Series] = {}
    try:
        try:
            frame = reader.load_sheet_by_name(name, header_row=0, schema_sample_rows=None).to_polars()
        except Exception as exc:   # noqa: BLE001 - a column mixing durations or dates with other values
            if "type combination" not in str(exc):
                raise
            frame, kinds = read_mixed_kinds(reader, name)
        headers = list(frame.columns)
        if renamed(headers):   # fastexcel renames repeated/empty headers: read row 1 as written
            first = reader.load_sheet_by_name(name, header_row=None, n_rows=1, dtypes="string").to_polars()
            if first.height:
                headers = [v if v is not None else "" for v in first.row(0)]
    except Exception as exc:   # noqa: BLE001
        raise keyed(ScenarioError, "sheets.sheet_unreadable", where=where, reason=first_line(exc)) from None
    return frame, headers, kinds


def _row_mask(scan: Scan, header_row: int, col: int, height: int) -> pl.Series:
    """Per table row: whether the cell in sheet column `col` was typed as text in the file."""
    mask = np.zeros(height, dtype=bool)
    for row, c in scan.text_cells:
        index = row - header_row - 1
        if c == col and 0 <= index < height:
            mask[index] = True
    return pl.Series(mask)


