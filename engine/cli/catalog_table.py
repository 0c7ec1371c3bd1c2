"""A catalog as a terminal table that fits the terminal (issue #15: `llmplan catalog models` in 120
columns): the key, then the columns whose values differ between entries, then constant ones, as
many as fit; the source takes what width is left. --wide shows every column."""
from __future__ import annotations

from typing import Any

from ..messages import text
from ..rules.model import Table

TERMINAL_WIDTH = 120
GAP = "  "
SOURCE_MIN = 24     # narrower than this, the source column is left out


def catalog_text(table: Table, width: int | None = TERMINAL_WIDTH, lang: str = "en") -> str:
    """The table in `width` columns (None: every column, whole sources)."""
    fields = list(table.fields)
    entries = list(table.entries.items())
    headers = {f: f"{f} [{table.fields[f]}]" if table.fields[f] else f for f in fields}
    cells = {f: [cell(e.written.get(f)) for _, e in entries] for f in fields}
    keys = [key for key, _ in entries]
    sources = [e.source for _, e in entries]
    if width is None:
        return _layout(["key", *[headers[f] for f in fields], "source"],
                       [keys, *[cells[f] for f in fields], sources])
    varying = [f for f in fields if len(set(cells[f])) > 1]
    ordered = varying + [f for f in fields if f not in varying]
    used = _width([["key"], keys])
    chosen = []
    for name in ordered:
        column_width = _width([[headers[name]], cells[name]])
        if used + len(GAP) + column_width > width:
            continue
        chosen.append(name)
        used += len(GAP) + column_width
    chosen.sort(key=fields.index)                 # shown in the catalog's own order
    left = width - used - len(GAP)
    columns = [keys, *[cells[f] for f in chosen]]
    header = ["key", *[headers[f] for f in chosen]]
    if left >= SOURCE_MIN:
        header.append("source")
        columns.append([s if len(s) <= left else s[:left - 1] + "…" for s in sources])
    out = _layout(header, columns)
    hidden = len(fields) - len(chosen)
    if hidden:
        out += "\n" + text("cli.catalog_wide", lang, hidden=hidden)
    return out


def _width(parts: list[list[str]]) -> int:
    return max(len(c) for part in parts for c in part)


def _layout(header: list[str], columns: list[list[str]]) -> str:
    widths = [max(len(h), *(len(c) for c in col)) if col else len(h) for h, col in zip(header, columns)]
    rows = list(zip(*columns))
    lines = [GAP.join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines.append(GAP.join("-" * w for w in widths))
    lines += [GAP.join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value >= 1e6:
        return f"{value:.4g}"
    return f"{value:,}" if isinstance(value, int) else str(value)
