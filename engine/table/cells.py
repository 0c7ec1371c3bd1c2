"""Cell addresses for messages: `scenarios!C7` in a sheet or CSV, `frame row 7, column 'params'` in a frame.

Shared by the table reader (engine.table.columns) and the file readers and writers (engine.io).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


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
    folder: str = ""             # the table file's folder: relative paths in its cells are read from there

    def path(self, written: str) -> str:
        """A file path typed in a cell (a config, a model's config.json; several comma-separated), each
        relative one read from the table's folder when it is there, as a spreadsheet's links are, so the
        workbook answers the same from any working directory; else as written (from the current one)."""
        if not self.folder:
            return written
        parts = []
        for part in written.split(","):
            name = part.strip()
            beside = Path(self.folder) / name
            parts.append(str(beside) if name and not Path(name).is_absolute() and beside.exists() else name)
        return ",".join(parts)

    def row_number(self, row: int) -> int:
        return self.header_row + 1 + row if self.a1 else row + 1

    def cell(self, col: int, header: str, row: int) -> str:
        prefix, offset, suffix = self.cell_parts(col, header)
        return f"{prefix}{row + offset}{suffix}"

    def cell_parts(self, col: int, header: str) -> tuple[str, int, str]:
        """(prefix, offset, suffix): the cell of row r reads prefix + str(r + offset) + suffix, so many
        rows' addresses can be made column-wise."""
        if self.a1:
            return f"{self.label}!{column_letter(self.first_col + col)}", self.header_row + 1, ""
        return f"{self.label} row ", 1, f", column {header!r}"

    def header_cell(self, col: int, header: str) -> str:
        if self.a1:
            return f"{self.label}!{column_letter(self.first_col + col)}{self.header_row}"
        return f"{self.label} column {header!r}"


def as_text(series: "pl.Series") -> "pl.Series":
    """A column as text: a plain cast where polars has one; durations, binary and nested values
    (a Parquet column, a duration-formatted sheet column) by their Python text, never an error."""
    import polars as pl

    dtype = series.dtype
    castable = not (dtype == pl.Duration or isinstance(dtype, (pl.Duration, pl.List, pl.Array, pl.Struct))
                    or dtype in (pl.Binary, pl.Object))
    if castable:
        return series.cast(pl.String)
    return pl.Series(series.name, [None if v is None else str(v) for v in series.to_list()], dtype=pl.String)
