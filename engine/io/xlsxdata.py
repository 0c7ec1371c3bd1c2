"""Big worksheets, fast: xlsxwriter builds the workbook, polars builds the rows.

xlsxwriter writes about 150,000 cells a second; a 200,000-row results sheet has millions.
So xlsxwriter writes everything small (styles, header rows, column widths, frozen panes,
other sheets) into memory, and the rows of the big sheets are generated as worksheet XML by
polars string expressions, chunk by chunk, and spliced into the package when it is zipped:

    book = Book()                        # an in-memory xlsxwriter Workbook
    sheet = book.data_sheet("results", header=[...], header_format=...)
    sheet.columns = [Cells(number=..., text=..., styles=[fmt_a, fmt_b], style_codes=codes), ...]
    book.save(path, progress=...)

Cell XML follows ECMA-376: inline strings (`t="inlineStr"`), booleans (`t="b"`), numbers as
shortest round-trip decimals; style ids are the xf indexes xlsxwriter gave the formats.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import polars as pl

from ..messages import keyed
from ..table.cells import column_letter

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384     # Excel's sheet limits (XFD1048576)
MAX_TEXT = 32_767
CHUNK = 50_000
# characters XML forbids, and CR (an XML reader turns a raw CR into LF: written as _x000D_ it survives)
_ILLEGAL = r"[\x00-\x08\x0B\x0C\x0D\x0E-\x1F\uFFFE\uFFFF]"
_ILLEGAL_CODES = [*range(0x00, 0x09), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]


@dataclass
class Cells:
    """One column of a data sheet. Per row: a number, else a text, else a boolean, else nothing."""

    number: pl.Series | None = None          # Float64 (null/NaN/inf = no number)
    text: pl.Series | None = None            # String (null = no text)
    boolean: pl.Series | None = None         # Boolean
    styles: list[Any] = field(default_factory=list)   # xlsxwriter Formats (None = default style)
    style_codes: np.ndarray | None = None    # per row: index into styles (default: styles[0] everywhere)


@dataclass
class DataSheet:
    name: str
    index: int
    worksheet: Any
    rows: int = 0
    columns: list[Cells] = field(default_factory=list)


class Book:
    """An xlsxwriter workbook in memory plus data sheets whose rows are spliced in on save."""

    def __init__(self) -> None:
        import xlsxwriter

        self.buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(self.buffer, {"in_memory": True, "strings_to_numbers": False,
                                                          "strings_to_formulas": False, "strings_to_urls": False})
        self.data: list[DataSheet] = []
        self._formats: dict[tuple, Any] = {}
        self._sheets = 0

    def format(self, **props: Any) -> Any:
        """One Format per distinct set of properties (xlsxwriter dedupes by index, not by object)."""
        key = tuple(sorted(props.items()))
        fmt = self._formats.get(key)
        if fmt is None:
            fmt = self._formats[key] = self.workbook.add_format(props)
        return fmt

    def sheet(self, name: str) -> Any:
        self._sheets += 1
        return self.workbook.add_worksheet(name)

    def data_sheet(self, name: str) -> DataSheet:
        """A worksheet whose row 1 xlsxwriter writes and whose other rows come from `columns`."""
        worksheet = self.sheet(name)
        sheet = DataSheet(name, self._sheets, worksheet)
        self.data.append(sheet)
        return sheet

    def save(self, path: Path, progress: Callable[[int], None] | None = None) -> None:
        for sheet in self.data:
            if sheet.rows + 1 > MAX_ROWS:
                raise keyed(ValueError, "sheets.too_many_rows", rows=sheet.rows, limit=MAX_ROWS - 1)
            for col, cells in enumerate(sheet.columns):   # register every style: xf index assigned on use
                for row, style in enumerate(cells.styles, start=1):   # (these rows are replaced on save)
                    if style is not None:
                        sheet.worksheet.write_blank(row, col, None, style)
        self.workbook.close()
        styles = {id(s): s for sheet in self.data for c in sheet.columns for s in c.styles if s is not None}
        xf = {key: (fmt.xf_index or 0) for key, fmt in styles.items()}
        parts = {f"xl/worksheets/sheet{sheet.index}.xml": sheet for sheet in self.data}
        done = 0
        with zipfile.ZipFile(io.BytesIO(self.buffer.getvalue())) as source, \
                zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1,
                                allowZip64=True) as target:
            for info in source.infolist():
                data = source.read(info.filename)
                part = parts.get(info.filename)
                if part is None:
                    target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
                    continue
                head, first_row, tail = _split_sheet(data.decode("utf-8"), part)
                with target.open(info.filename, "w", force_zip64=True) as stream:   # deflate, level 1
                    stream.write(head.encode("utf-8"))
                    stream.write(first_row.encode("utf-8"))
                    for start in range(0, part.rows, CHUNK):
                        stop = min(part.rows, start + CHUNK)
                        stream.write(rows_xml(part.columns, xf, start, stop).encode("utf-8"))
                        done += stop - start
                        if progress:
                            progress(done)
                    stream.write(tail.encode("utf-8"))


def _split_sheet(xml: str, sheet: DataSheet) -> tuple[str, str, str]:
    """(everything up to <sheetData>, the header row xlsxwriter wrote, </sheetData> and the rest)."""
    start = xml.index("<sheetData")
    if xml.startswith("<sheetData/>", start):
        head, tail, body = xml[:start] + "<sheetData>", "</sheetData>" + xml[start + 12:], ""
    else:
        open_end = xml.index(">", start) + 1
        close = xml.index("</sheetData>", open_end)
        head, body, tail = xml[:open_end], xml[open_end:close], xml[close:]
    match = re.match(r'<row r="1"[ >].*?</row>', body, re.S)
    first_row = match.group(0) if match else ""
    last_col = column_letter(max(len(sheet.columns), 1) - 1)
    head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last_col}{sheet.rows + 1}"/>', head, count=1)
    return head, first_row, tail


def rows_xml(columns: list[Cells], xf: dict[int, int], start: int, stop: int) -> str:
    """`<row>` elements for rows start..stop-1 (sheet rows start+2 ..), built by polars."""
    n = stop - start
    if n <= 0:
        return ""
    frame: dict[str, pl.Series] = {"r": pl.int_range(start + 2, stop + 2, eager=True).cast(pl.String)}
    cells = []
    for col, column in enumerate(columns):
        ref = pl.lit(f'<c r="{column_letter(col)}') + pl.col("r")
        style = _style(column, xf, start, stop, frame, col)
        options = []
        if column.number is not None:
            number = column.number.slice(start, n).cast(pl.Float64)
            frame[f"n{col}"] = pl.select(pl.when(pl.lit(number).is_finite()).then(pl.lit(number))).to_series()
            options.append((pl.col(f"n{col}").is_not_null(),
                            pl.concat_str([ref, style, pl.lit('"><v>'), pl.col(f"n{col}").cast(pl.String),
                                           pl.lit("</v></c>")])))
        if column.text is not None:
            frame[f"t{col}"] = escape(column.text.slice(start, n))
            options.append((pl.col(f"t{col}").is_not_null(),
                            pl.concat_str([ref, style, pl.lit('" t="inlineStr"><is><t xml:space="preserve">'),
                                           pl.col(f"t{col}"), pl.lit("</t></is></c>")])))
        if column.boolean is not None:
            frame[f"b{col}"] = column.boolean.slice(start, n)
            options.append((pl.col(f"b{col}").is_not_null(),
                            pl.concat_str([ref, style, pl.lit('" t="b"><v>'),
                                           pl.col(f"b{col}").cast(pl.Int8).cast(pl.String), pl.lit("</v></c>")])))
        if not options:
            continue
        expr: Any = pl.when(options[0][0]).then(options[0][1])   # When -> Then -> ChainedThen
        for condition, value in options[1:]:
            expr = expr.when(condition).then(value)
        cells.append(expr.otherwise(pl.lit("")))
    table = pl.DataFrame(frame)
    row = pl.concat_str([pl.lit('<row r="'), pl.col("r"), pl.lit('">'), *cells, pl.lit("</row>")])
    return table.select(row.str.join("")).item() or ""


def _style(column: Cells, xf: dict[int, int], start: int, stop: int, frame: dict[str, pl.Series],
           col: int) -> pl.Expr:
    ids = [xf.get(id(s), 0) if s is not None else 0 for s in column.styles] or [0]
    if column.style_codes is None or len(set(ids)) == 1:
        return pl.lit(f'" s="{ids[0]}')
    lookup = np.asarray(ids, dtype=np.int64)
    frame[f"s{col}"] = pl.Series(lookup[column.style_codes[start:stop]]).cast(pl.String)
    return pl.lit('" s="') + pl.col(f"s{col}")


def escape(text: pl.Series) -> pl.Series:
    """Text safe inside <t>: XML escapes; characters XML forbids written as Excel's _xHHHH_ escapes
    (so a pass-through cell keeps them); a literal _xHHHH_ in the text kept literal (_x005F_)."""
    out = text.cast(pl.String).str.slice(0, MAX_TEXT)
    out = out.str.replace_all(r"_(x[0-9A-Fa-f]{4}_)", "_x005F_$1")
    if out.str.contains(_ILLEGAL).any():   # rare: pay for the per-character passes only then
        for code in _ILLEGAL_CODES:
            out = out.str.replace_all(chr(code), f"_x{code:04X}_", literal=True)
    return out.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True) \
        .str.replace_all(">", "&gt;", literal=True)
