"""The results workbook: what `llmplan run` writes for a .xlsx output.

    results  every input row in order, every input column as read; empty variable cells filled
             (fill colour = how the value was found), derived columns `name [unit]`, then
             assumptions, warnings, error; frozen header, filters, readable number formats
    legend   what the colours mean, row counts, notes about the file
    rules    llmplan version and rule digest; equations used (id, equation, source, rows),
             advisories that fired, defaults/assumptions used
    inputs   an exact copy of the input's scenarios sheet (values), so the results can be re-run

.csv/.parquet outputs get the results table alone (engine/io/sheets.py write_table).
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import polars as pl

from ..errors import ScenarioError
from ..messages import keyed, localized, text
from ..solve.batch import CATALOG, DEFAULT, DERIVED, RECOMPUTED, SOLVED
from ..version import __version__
from .sheets import atomic_write, write_table
from .xlsxdata import MAX_COLUMNS, Book, Cells, DataSheet

if TYPE_CHECKING:
    from ..rules.model import Variable
    from ..solve.solver import Engine
    from ..table.frames import Outcome

STATUS_FILLS = {   # status code -> (name, fill colour, meaning)
    SOLVED: ("solved", "#C6EFCE", "asked for in `solve` and solved"),
    DERIVED: ("derived", "#DDEBF7", "derived from the row's values on the way (or alongside)"),
    RECOMPUTED: ("recomputed", "#FCE4D6", "a budget recomputed after an integer answer was rounded"),
    CATALOG: ("catalog", "#EDEDED", "filled from a catalog entry the row names (gpu, model, ...)"),
    DEFAULT: ("default", "#FFF2CC", "a default the rules assume where nothing else determines it"),
}
ERROR_FILL = "#FFC7CE"
EXCEL_EPOCH = datetime(1899, 12, 30)


def write_results(outcome: "Outcome", engine: "Engine", target: Path, headers: list[str] | None = None,
                  progress: Callable[[int], None] | None = None, bom: bool = False) -> None:
    """Write the results of a run to .xlsx/.csv/.parquet, atomically (bom: a CSV for spreadsheets)."""
    target = Path(target)
    if target.suffix.lower() != ".xlsx":
        written = {c.field: c.header for c in outcome.prepared.columns}
        if headers:
            written.update(dict(zip(outcome.frame.columns, headers)))
        write_table(outcome.results, target, written, bom)
        return
    if outcome.results.width > MAX_COLUMNS:
        raise keyed(ScenarioError, "sheets.too_many_columns", path=target, columns=outcome.results.width,
                    limit=MAX_COLUMNS)
    atomic_write(target, lambda path: _write_xlsx(outcome, engine, path, headers, progress))


def _write_xlsx(outcome: "Outcome", engine: "Engine", path: Path, headers: list[str] | None,
                progress: Callable[[int], None] | None) -> None:
    book = Book()
    styles = _Styles(book)
    results = book.data_sheet("results")
    legend = book.sheet("legend")
    rules = book.sheet("rules")
    inputs = book.data_sheet("inputs")
    written = {c.field: c.header for c in outcome.prepared.columns}
    if headers:
        written.update(dict(zip(outcome.frame.columns, headers)))
    _results_sheet(outcome, engine, results, styles, written)
    _legend_sheet(outcome, legend, styles)
    _rules_sheet(outcome, engine, rules, styles)
    _inputs_sheet(outcome, inputs, styles, written)
    book.save(path, progress)


class _Styles:
    def __init__(self, book: Book) -> None:
        self.book = book
        self.header = book.format(bold=True, bg_color="#D9D9D9", bottom=1, text_wrap=True, valign="top")
        self.added_header = book.format(bold=True, bg_color="#E2EFDA", bottom=1, text_wrap=True, valign="top")
        self.title = book.format(bold=True, font_size=13)
        self.bold = book.format(bold=True)
        self.error = book.format(bg_color=ERROR_FILL, font_color="#9C0006")
        self.date = book.format(num_format="yyyy-mm-dd hh:mm")
        self.duration = book.format(num_format="[h]:mm:ss")

    def number(self, num_format: str, status: int = 0) -> Any:
        props: dict[str, Any] = {"num_format": num_format}
        if status in STATUS_FILLS:
            props["bg_color"] = STATUS_FILLS[status][1]
        return self.book.format(**props)

    def fill(self, status: int) -> Any:
        return self.book.format(bg_color=STATUS_FILLS[status][1])


def number_format(values: np.ndarray, integer: bool = False) -> str:
    """A readable Excel number format for a column: thousands separators, scientific when huge/tiny."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return "General"
    magnitude = np.abs(finite)
    largest = magnitude.max()
    nonzero = magnitude[magnitude > 0]
    smallest = nonzero.min() if len(nonzero) else 0.0
    if largest >= 1e9 or (0 < smallest < 1e-3):
        return "0.00E+00"
    if integer or np.all(finite == np.round(finite)):
        return "#,##0"
    if smallest >= 1000:
        return "#,##0"
    if smallest >= 1:
        return "#,##0.00"
    return "#,##0.000" if smallest >= 0.01 else "#,##0.0000"


# -- sheets ------------------------------------------------------------------------------------
def _results_sheet(outcome: "Outcome", engine: "Engine", sheet: DataSheet, styles: _Styles, written: dict[str, str]
                   ) -> None:
    ws = sheet.worksheet
    results = outcome.results
    sheet.rows = results.height
    input_fields = set(outcome.frame.columns)
    variables = engine.rules.variables
    for col, name in enumerate(results.columns):
        series = results.get_column(name)
        is_input = name in input_fields
        header = written.get(name, name) if is_input else name
        ws.write_string(0, col, header, styles.header if is_input else styles.added_header)
        fills = outcome.fills.get(name)
        unit = outcome.units.get(name)
        if unit is not None and unit[0] in variables:
            variable = variables[unit[0]]
            note = f"{variable.en}\n{variable.zh}".strip()
            if note:
                ws.write_comment(0, col, note, {"x_scale": 2, "y_scale": 1.2})
        if not is_input and (name in ("assumptions", "warnings", "error") or series.dtype == pl.String):
            style = styles.error if name == "error" else None
            sheet.columns.append(Cells(text=series, styles=[style]))
            ws.set_column(col, col, 60 if name in ("warnings", "error") else 36 if name == "assumptions" else 14)
            continue
        if is_input:
            cells = _input_cells(outcome.frame.get_column(name), outcome.numeric_cells.get(name), styles)
            if fills is not None:
                cells = _with_fills(cells, series, fills, styles, unit, variables)
        else:
            values = series.cast(pl.Float64).fill_null(np.nan).to_numpy()
            integer = unit is not None and unit[0] in variables and variables[unit[0]].domain == "integer"
            fmt = number_format(values, integer)
            codes = np.asarray(fills if fills is not None else np.zeros(len(values), np.int8), dtype=np.int64)
            cells = Cells(number=series.cast(pl.Float64), styles=[styles.number(fmt, s) for s in range(7)],
                          style_codes=codes)
        sheet.columns.append(cells)
        ws.set_column(col, col, min(max(len(header) + 2, 11), 28))
    ws.freeze_panes(1, 1 if outcome.prepared.name_column == results.columns[0] else 0)
    if results.width:
        ws.autofilter(0, 0, max(results.height, 1), results.width - 1)
    ws.set_row(0, 30)


def _input_cells(series: pl.Series, numeric: pl.Series | None, styles: _Styles) -> Cells:
    """Cells exactly as read: numbers as numbers, text as text, booleans, dates."""
    dtype = series.dtype
    if dtype == pl.Null:
        return Cells()
    if dtype.is_numeric():
        return Cells(number=series.cast(pl.Float64), styles=[None])
    if dtype == pl.Boolean:
        return Cells(boolean=series, styles=[None])
    if dtype in (pl.Datetime, pl.Date) or isinstance(dtype, (pl.Datetime, pl.Date)):
        return Cells(number=_excel_days(series), styles=[styles.date])
    if dtype == pl.Duration or isinstance(dtype, pl.Duration):
        return Cells(number=series.dt.total_microseconds().cast(pl.Float64) / 86_400e6, styles=[styles.duration])
    text = series.cast(pl.String)
    if numeric is None or not numeric.any():
        return Cells(text=text, styles=[None])
    number = pl.select(pl.when(pl.lit(numeric)).then(pl.lit(text).cast(pl.Float64, strict=False))).to_series()
    rest = pl.select(pl.when(~pl.lit(numeric)).then(pl.lit(text))).to_series()
    return Cells(number=number, text=rest, styles=[None])


def _excel_days(series: pl.Series) -> pl.Series:
    frame = pl.DataFrame({"d": series.cast(pl.Datetime("us"))})
    return frame.select((pl.col("d") - pl.lit(EXCEL_EPOCH)).dt.total_microseconds().cast(pl.Float64)
                        / 86_400e6).to_series()


def _with_fills(cells: Cells, filled: pl.Series, fills: np.ndarray, styles: _Styles,
                unit: tuple[str, str, float] | None, variables: dict[str, Variable]) -> Cells:
    """An input column whose empty cells received values: those cells become numbers with a fill."""
    mask = pl.Series(fills > 0)
    values = filled.cast(pl.Float64, strict=False)
    integer = unit is not None and unit[0] in variables and variables[unit[0]].domain == "integer"
    fmt = number_format(values.filter(mask).fill_null(np.nan).to_numpy(), integer)
    base = cells.number if cells.number is not None else pl.Series([None] * len(values), dtype=pl.Float64)
    number = pl.select(pl.when(pl.lit(mask)).then(pl.lit(values)).otherwise(pl.lit(base))).to_series()
    text = None
    if cells.text is not None:
        text = pl.select(pl.when(~pl.lit(mask)).then(pl.lit(cells.text))).to_series()
    first = cells.styles[0] if cells.styles else None
    return Cells(number=number, text=text, boolean=cells.boolean,
                 styles=[first] + [styles.number(fmt, s) for s in range(1, 7)],
                 style_codes=np.asarray(fills, dtype=np.int64))


def _inputs_sheet(outcome: "Outcome", sheet: DataSheet, styles: _Styles, written: dict[str, str]) -> None:
    ws = sheet.worksheet
    frame = outcome.frame
    sheet.rows = frame.height
    for col, name in enumerate(frame.columns):
        ws.write_string(0, col, written.get(name, name), styles.bold)
        sheet.columns.append(_input_cells(frame.get_column(name), outcome.numeric_cells.get(name), styles))
        ws.set_column(col, col, min(max(len(written.get(name, name)) + 2, 10), 28))
    ws.freeze_panes(1, 0)


def _legend_sheet(outcome: "Outcome", ws: Any, styles: _Styles) -> None:
    lang = outcome.lang
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 90)
    ws.write(0, 0, text("workbook.legend", lang), styles.title)
    row = 2
    for status, (name, _, _) in STATUS_FILLS.items():
        ws.write(row, 0, name, styles.fill(status))
        ws.write(row, 1, text(f"workbook.status.{name}", lang))
        row += 1
    ws.write(row, 0, "error", styles.error)
    ws.write(row, 1, text("workbook.status.error", lang))
    row += 1
    ws.write(row, 0, text("workbook.no_fill", lang))
    ws.write(row, 1, text("workbook.status.as_read", lang))
    row += 2
    ws.write(row, 0, text("workbook.columns", lang), styles.bold)
    for key in ("inputs", "added", "recomputed", "notes", "sheets"):
        row += 1
        ws.write(row, 1, text(f"workbook.columns.{key}", lang))
    row += 2
    ws.write(row, 0, text("workbook.rows", lang), styles.bold)
    counts = (("rows", outcome.rows), ("answered", outcome.answered_count), ("errors", outcome.error_count),
              ("blank", int(outcome.blank.sum())))
    for label, value in counts:
        row += 1
        ws.write(row, 0, text(f"workbook.rows.{label}", lang))
        ws.write_number(row, 1, value)
    if outcome.notes:
        row += 2
        ws.write(row, 0, text("workbook.notes", lang), styles.bold)
        for note in outcome.notes:
            row += 1
            ws.write_string(row, 1, localized(note, lang))


def _rules_sheet(outcome: "Outcome", engine: "Engine", ws: Any, styles: _Styles) -> None:
    lang = outcome.lang
    words = lambda key: text(f"workbook.{key}", lang)  # noqa: E731
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 60)
    ws.set_column(3, 3, 10)
    ws.write(0, 0, words("rules_used"), styles.title)
    meta = ((words("meta.version"), __version__), (words("meta.digest"), engine.rules.digest or ""),
            (words("meta.input"), outcome.source),
            (words("meta.files"), "; ".join(Path(f).name for f in engine.rules.files)))
    row = 2
    for label, value in meta:
        ws.write(row, 0, label, styles.bold)
        ws.write_string(row, 1, str(value))
        row += 1
    row += 1
    header = lambda *keys: tuple(words(f"header.{k}") for k in keys)  # noqa: E731
    row = _table(ws, row, styles, words("equations"), header("id", "equation", "source", "rows"),
                 [(e.id, e.text, e.source, n) for e, n in outcome.rules_used], lang)
    row = _table(ws, row, styles, words("advisories"), header("id", "condition", "message", "rows"),
                 [(c.id, c.text, f"{c.message(lang)} ({c.source})", n) for c, n in outcome.checks_fired], lang)
    _table(ws, row, styles, words("defaults"), header("name", "value", "source", "rows"),
           [(n, v, s, c) for n, v, s, c in outcome.assumptions], lang)
    ws.freeze_panes(1, 0)


def _table(ws: Any, row: int, styles: _Styles, title: str, header: tuple[str, ...], rows: list[tuple],
           lang: str = "en") -> int:
    ws.write(row, 0, title, styles.title)
    row += 1
    for col, heading in enumerate(header):
        ws.write(row, col, heading, styles.header)
    for values in rows:
        row += 1
        for col, value in enumerate(values):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(row, col, value)
            else:
                ws.write_string(row, col, str(value))
    if not rows:
        row += 1
        ws.write(row, 0, text("workbook.none", lang))
    return row + 2

