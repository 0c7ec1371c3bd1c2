"""Fuzzing sheets (issue #18): any shape, any cell type, any CSV dialect -> exit 0, 1 or 2, never 3.

hypothesis draws tables (0-4 rows, 1-6 columns; headers from variable names, units, blanks,
duplicates, formula-like and odd text) and cells of every kind the readers meet: polars dtypes
for Parquet (ints, floats incl. NaN/inf, text, booleans, dates, datetimes, durations, binary,
lists, nulls), openpyxl cell types for .xlsx (numbers, strings, booleans, dates, times,
durations with [h]:mm:ss, errors, formulas without saved values), and CSV dialects (separator,
quoting, line endings, BOM, UTF-16). Each example is written and run through the CLI in-process.
"""
from __future__ import annotations

import csv
import datetime
import io
import sys
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.cli import main

HEADERS = st.sampled_from(["name", "solve", "params", "tokens", "gpu", "train_time [days]", "mfu", "n_gpus",
                           "train_time (h)", "params [B]", "", " ", "note", "=cmd|' /C calc'!A0", "$x$", "params",
                           "error", "warnings", "名称", "a" * 300, "__UNNAMED__1", "tokens [furlongs]"])
TEXT = st.one_of(st.sampled_from(["7B", "2T", "A800", "n_gpus", "train_time", "0.4", "40%", "30 days", "0012",
                                  "1e309", "NaN", "INF", "-0", "=1+1", "@x", "", " ", "true", "7B; rm -rf /",
                                  "n_gpus, train_time", "١٢", "７Ｂ"]),
                 st.text(max_size=20))
NUMBERS = st.one_of(st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True))
# 12 fixed examples a run keep the suite fast; the campaign (1,350 random examples, see the issue) ran the same
# tests with max_examples=150 and 300, derandomize=False, until nothing exited 3
FUZZ = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def run(tmp: Path, source: Path, output: str) -> int:
    try:
        code = main(["run", str(source), "-o", str(tmp / output)])
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code


def check(capsys: Any, code: int) -> None:
    err = capsys.readouterr().err
    assert code in (0, 1, 2), err
    assert "Traceback" not in err and "internal error" not in err, err


@st.composite
def shapes(draw: Any, cell: st.SearchStrategy[Any]) -> tuple[list[str], list[list[Any]]]:
    width = draw(st.integers(1, 6))
    headers = draw(st.lists(HEADERS, min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), max_size=4))
    return headers, rows


XLSX_CELLS = st.one_of(st.none(), TEXT, NUMBERS.filter(lambda v: v == v and abs(v) < 1e300), st.booleans(),
                       st.datetimes(min_value=datetime.datetime(1900, 3, 1), max_value=datetime.datetime(9999, 1, 1)),
                       st.times(), st.timedeltas(min_value=datetime.timedelta(0), max_value=datetime.timedelta(days=999)),
                       st.sampled_from(["#DIV/0!", "#N/A", "=1+1", "=A1"]).map(lambda t: ("formula", t)))


@FUZZ
@given(table=shapes(XLSX_CELLS), output=st.sampled_from(["out.xlsx", "out.csv"]))
def test_any_xlsx_sheet(capsys: Any, tmp_path_factory: Any, table: Any, output: str) -> None:
    tmp = tmp_path_factory.mktemp("x")
    headers, rows = table
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "scenarios"
    for c, header in enumerate(headers, start=1):
        ws.cell(1, c, ILLEGAL_CHARACTERS_RE.sub("", header) or None)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            if isinstance(value, tuple):
                ws.cell(r, c).value = value[1]      # a formula openpyxl saves without a cached value
            elif isinstance(value, datetime.timedelta):
                ws.cell(r, c, value).number_format = "[h]:mm:ss"
            elif isinstance(value, str) and value.startswith("#"):
                ws.cell(r, c, value).data_type = "e"
            elif isinstance(value, int) and abs(value) > 2**53:
                ws.cell(r, c, float(value))
            elif isinstance(value, str):
                ws.cell(r, c, ILLEGAL_CHARACTERS_RE.sub("", value))   # openpyxl cannot store these
            else:
                ws.cell(r, c, value)
    source = tmp / "in.xlsx"
    book.save(source)
    check(capsys, run(tmp, source, output))


PARQUET_COLUMNS = st.sampled_from([
    pl.Series([1, None, -3, 2**62], dtype=pl.Int64), pl.Series([0.4, float("nan"), float("inf"), None]),
    pl.Series(["7B", None, "=x", "0012"]), pl.Series([True, False, None, True]),
    pl.Series([datetime.date(2024, 1, 1), None, datetime.date(1, 1, 1), datetime.date(9999, 12, 31)]),
    pl.Series([datetime.datetime(2024, 1, 1), None, datetime.datetime(1970, 1, 1), datetime.datetime(2100, 1, 1)]),
    pl.Series([datetime.timedelta(days=30), None, datetime.timedelta(0), datetime.timedelta(hours=-1)]),
    pl.Series([b"\xff", b"7B", None, b""]), pl.Series([[1, 2], None, [], [3]]),
    pl.Series([None, None, None, None], dtype=pl.Null), pl.Series([1, 2, 3, 4], dtype=pl.UInt8),
    pl.Series([1.5, 2.5, None, 0.0], dtype=pl.Float32),
    pl.Series(["a", "b", None, "a"], dtype=pl.Categorical), pl.Series([{"a": 1}, None, {"a": 2}, {"a": None}]),
])


@FUZZ
@given(headers=st.lists(HEADERS, min_size=1, max_size=5, unique=True), data=st.data(),
       rows=st.integers(0, 4), output=st.sampled_from(["out.xlsx", "out.csv", "out.parquet"]))
def test_any_parquet_table(capsys: Any, tmp_path_factory: Any, headers: list[str], data: Any, rows: int,
                           output: str) -> None:
    tmp = tmp_path_factory.mktemp("p")
    columns = [data.draw(PARQUET_COLUMNS).head(rows).alias(h or f"c{i}") for i, h in enumerate(headers)]
    source = tmp / "in.parquet"
    pl.DataFrame(columns).write_parquet(source)
    check(capsys, run(tmp, source, output))


CSV_CELLS = st.one_of(TEXT, NUMBERS.map(str), st.just(""))


@FUZZ
@given(table=shapes(CSV_CELLS), separator=st.sampled_from([",", ";", "\t"]),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
       newline=st.sampled_from(["\n", "\r\n"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
       ragged=st.booleans(), output=st.sampled_from(["out.xlsx", "out.csv"]))
def test_any_csv_dialect(capsys: Any, tmp_path_factory: Any, table: Any, separator: str, quoting: int,
                         newline: str, encoding: str, ragged: bool, output: str) -> None:
    tmp = tmp_path_factory.mktemp("c")
    headers, rows = table
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, quoting=quoting, lineterminator=newline)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(row[:-1] if ragged and len(row) > 1 else row)
    source = tmp / "in.csv"
    source.write_bytes(buffer.getvalue().encode(encoding, "surrogatepass"))
    check(capsys, run(tmp, source, output))
