"""Writing result tables: atomic writes beside the target (temporary file, then os.replace), stale
temporary files of killed runs removed, CSV cells that a spreadsheet would run as formulas neutralised,
and the check that an output path is never the input."""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any, Callable

import polars as pl

from ..errors import ScenarioError
from ..messages import Nested, keyed
from ..tempfiles import remove_stale
from .package_guard import first_line

OUTPUT_SUFFIXES = (".xlsx", ".csv", ".parquet")


# -- paths -----------------------------------------------------------------------------------
def check_paths(source: Path, target: Path, suffixes: tuple[str, ...] = OUTPUT_SUFFIXES) -> None:
    """Refuse writing over the input, and formats we cannot write."""
    if target.suffix.lower() not in suffixes:
        raise keyed(ScenarioError, "sheets.cannot_write_suffix", path=target, suffixes=", ".join(suffixes),
                    suffix=target.suffix or Nested("sheets.no_extension"))
    same = source.resolve() == target.resolve()
    if not same and target.exists():
        try:
            same = os.path.samefile(source, target)
        except OSError:
            same = False
    if same:
        raise keyed(ScenarioError, "io.would_overwrite", path=target)


def atomic_write(target: Path, write: Callable[[Path], Any]) -> None:
    """write(temporary path beside target), then rename over target; no partial file on failure."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise keyed(ScenarioError, "io.no_folder", path=target, folder=folder)
    remove_stale_temps(folder)
    temp = folder / f".{target.stem}.llmplan-{secrets.token_hex(4)}.tmp{target.suffix}"
    try:
        write(temp)
        os.replace(temp, target)
    except Exception as exc:
        cause = _os_error(exc)   # xlsxwriter wraps the OSError in its own FileCreateError
        if cause is None:
            raise
        raise keyed(ScenarioError, "io.cannot_write", path=target, reason=cause.strerror or cause) from None
    finally:
        if temp.exists():
            try:
                temp.unlink()
            except OSError:
                pass


_OUR_TEMP = re.compile(r"^\..*\.llmplan-[0-9a-f]{8}\.tmp(\.[A-Za-z0-9]+)?$")


def remove_stale_temps(folder: Path) -> None:
    """Temporaries of our own naming (`.NAME.llmplan-XXXXXXXX.tmp.xlsx`) that a killed run left."""
    remove_stale(folder, lambda name: bool(_OUR_TEMP.match(name)))


def _os_error(exc: BaseException | None) -> OSError | None:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError):
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def write_table(frame: pl.DataFrame, target: Path, headers: dict[str, str] | None = None,
                bom: bool = False) -> None:
    """A plain table as .csv or .parquet, atomically. `headers`: column -> header as written in the input.

    CSV is opened by spreadsheets, which run text starting with = + - @ (or tab/CR) as a formula:
    such text cells and headers get a leading apostrophe (OWASP, "CSV injection"); numbers, and text
    that is a plain number ('-5', '+0.4'), are written as they are. bom: a CSV starts with the UTF-8
    byte-order mark (Excel then reads it as UTF-8: the input came from a spreadsheet)."""
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise keyed(ScenarioError, "sheets.write_table_kinds", path=target)
    try:
        if suffix == ".csv":
            atomic_write(target, lambda p: _write_csv(frame, p, headers or {}, bom))
        else:
            atomic_write(target, lambda p: frame.write_parquet(p))
    except pl.exceptions.PolarsError as exc:
        raise keyed(ScenarioError, "io.cannot_write", path=target, reason=first_line(exc)) from None


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
            columns.append(duration_text(column).alias(name))
        elif isinstance(dtype, (pl.List, pl.Array, pl.Struct)) or dtype in (pl.Binary, pl.Object):
            columns.append(column.map_batches(lambda s: pl.Series(s.name, [None if v is None else str(v)
                                                                            for v in s.to_list()], dtype=pl.String),
                                              return_dtype=pl.String).alias(name))
    return columns


def _write_csv(frame: pl.DataFrame, path: Path, headers: dict[str, str], bom: bool = False) -> None:
    import csv

    columns = csv_safe_columns(frame.schema)
    out = frame.with_columns(columns) if columns else frame
    with open(path, "w", encoding="utf-8", newline="") as handle:
        if bom:   # (polars writes only to a handle whose encoding is exactly utf-8: the mark by hand)
            handle.write("\ufeff")
        csv.writer(handle, lineterminator="\n").writerow([neutralise(headers.get(c, c)) for c in frame.columns])
        handle.flush()
        out.write_csv(handle, include_header=False)


def duration_text(column: pl.Expr) -> pl.Expr:
    """A duration as Excel's [h]:mm:ss text (what the cell showed)."""
    seconds = column.dt.total_seconds()
    sign = pl.when(seconds < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    total = seconds.abs()
    return pl.concat_str([sign, (total // 3600).cast(pl.String), pl.lit(":"),
                          ((total % 3600) // 60).cast(pl.String).str.zfill(2), pl.lit(":"),
                          (total % 60).cast(pl.String).str.zfill(2)])
