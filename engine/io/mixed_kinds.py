"""Columns that mix kinds of values (numbers and text, dates among numbers): read so that no digit is
lost and a value of the wrong kind is reported by cell, never silently converted."""
from __future__ import annotations

import re
from typing import Any, Callable

import polars as pl

from .sheet_writing import duration_text

MIXED_KINDS = ("a date or duration in a column that also holds other kinds of values (numbers, text, dates, "
               "durations); llmplan cannot tell which this cell means: type it as text with a unit (e.g. 36 h, "
               "1.5 days), or keep one kind of value per column")


def read_mixed_kinds(reader: Any, name: str) -> tuple[pl.DataFrame, dict[int, pl.Series]]:
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
        shown = pl.select(pl.when(pl.lit(early)).then(duration_text(pl.lit(spans)))
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


def renamed(columns: list[str]) -> bool:
    """Whether fastexcel renamed a header (empty -> __UNNAMED__n, repeated x -> x_1)."""
    names = set(columns)
    for column in columns:
        repeated = re.fullmatch(r"(.*)_\d+", column)
        if column.startswith("__UNNAMED__") or (repeated and repeated.group(1) in names):
            return True
    return False


def mixed_columns(frame: pl.DataFrame) -> list[str]:
    """Text columns holding cells that look like numbers (numbers, or text typed like one)."""
    mixed = []
    for column in frame.columns:
        series = frame.get_column(column)
        if series.dtype == pl.String:
            if series.str.strip_chars().cast(pl.Float64, strict=False).is_not_null().any():
                mixed.append(column)
    return mixed


def exact_numbers(reader: Any, name: str, frame: pl.DataFrame, mixed: list[str],
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
