"""A streaming scan of a sheet's XML inside the .xlsx package: where the header is, formula cells
without cached values or with error values, merged cells, text cells. Read in chunks with a cap on one
row's size, so a hostile file cannot exhaust memory."""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from ..errors import ScenarioError
from ..messages import Nested, keyed
from .package_guard import first_line

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}


_CELL = re.compile(rb'<c\b([^>]*?)(/>|>)')


_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')


_VALUE = re.compile(rb'<(?:v|is)\b')


_FORMULA = re.compile(rb'<c r="([A-Z]+)(\d+)"([^>]*)>\s*<f\b[^>]*?(?:/>|>([^<]*)</f>)\s*(?:<v\s*/>|<v>([^<]*)</v>)?')


_TEXT_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?\bt="(?:s|inlineStr|str)"')


_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


SCAN_CHUNK = 4 * 2**20


MAX_ROW_XML = 64 * 2**20     # one <row> element (16,384 cells of long text is ~20 MB)


@dataclass
class Scan:
    """What the sheet XML says that calamine does not: where the table starts, formula problems,
    merged ranges, and which cells of some columns were typed as text."""

    header_row: int = 1
    first_col: int = 0
    found: bool = False
    problems: dict[tuple[int, int], str] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    text_cells: set[tuple[int, int]] = field(default_factory=set)


def scan_xml(path: Path, sheet: str, text_columns: frozenset[int] = frozenset()) -> Scan:
    """The sheet's XML read in chunks cut at `</row>` (memory bounded, every pattern linear)."""
    scan = Scan()
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
                        raise keyed(ScenarioError, "sheets.row_xml_too_large", limit=MAX_ROW_XML // 2**20,
                                                    where=Nested("sheets.where_sheet", path=path, sheet=sheet))
                    if not chunk:
                        return scan
    except ElementTree.ParseError as exc:
        raise keyed(ScenarioError, "sheets.workbook_xml", path=path, reason=first_line(exc)) from None
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise keyed(ScenarioError, "sheets.sheet_unreadable", reason=first_line(exc),
                    where=Nested("sheets.where_sheet", path=path, sheet=sheet)) from None


def _scan_piece(data: bytes, scan: Scan, text_columns: frozenset[int]) -> None:
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


def merged_cells(scan: Scan, rows: int, width: int) -> dict[tuple[int, int], str]:
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
