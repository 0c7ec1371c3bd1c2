"""Builders of hostile input files (issue #18): small on disk, each aimed at one reader.

Every builder writes into a folder it is given and returns the path. The .xlsx ones write the
package parts themselves (zipfile, streamed), so a part can decompress to far more than the file
holds, carry a DTD, or have 16,384 columns, without the test ever holding that much in memory.
"""
from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path
from typing import Callable, Iterable

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/>'
                 '<Override PartName="/xl/workbook.xml" '
                 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 '<Override PartName="/xl/worksheets/sheet1.xml" '
                 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                 '<Override PartName="/xl/sharedStrings.xml" '
                 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                 '</Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{dtd}'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="scenarios" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'worksheet" Target="worksheets/sheet1.xml"/>'
                 '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'sharedStrings" Target="sharedStrings.xml"/></Relationships>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
HEADER = ["name", "solve", "params", "tokens", "gpu", "train_time [days]", "mfu"]
GOOD_ROW = ["a", "n_gpus", "7B", "2T", "A800", 30, 0.4]


def letters(index: int) -> str:
    text, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(65 + rest) + text
    return text


def cell(col: int, row: int, value: object) -> str:
    ref = f"{letters(col)}{row}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def row_xml(row: int, values: list[object], first_col: int = 0) -> str:
    return f'<row r="{row}">' + "".join(cell(first_col + i, row, v) for i, v in enumerate(values)) + "</row>"


def package(path: Path, sheet: Iterable[str], shared: Iterable[str] = ("<sst/>",), dtd: str = "",
            level: int = 6) -> Path:
    """An .xlsx whose sheet1.xml and sharedStrings.xml are the concatenated pieces given (streamed)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK.format(dtd=dtd))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        for name, pieces in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", shared)):
            with archive.open(name, "w", force_zip64=True) as stream:
                for piece in pieces:
                    stream.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
    return path


def plain_sheet(rows: list[list[object]], tail: str = "") -> list[str]:
    return [SHEET_HEAD, *(row_xml(r, values) for r, values in enumerate(rows, start=1)), "</sheetData>", tail,
            "</worksheet>"]


# -- the bombs ------------------------------------------------------------------------------------
def merged_to_last_row(folder: Path) -> Path:
    """J2:K1048576 merged under a two-row table (1.7 KB; was 35 s and 2.4 GB)."""
    rows = [HEADER + ["note", "x"], GOOD_ROW + ["m", "n"], GOOD_ROW + [None, None]]
    rows = [[v for v in r if v is not None] for r in rows]
    return package(folder / "merged.xlsx", plain_sheet(rows, '<mergeCells count="1"><mergeCell ref="H2:I1048576"/>'
                                                             '</mergeCells>'))


def shared_string_bomb(folder: Path, megabytes: int = 300) -> Path:
    """One shared string of `megabytes` MB (deflated ~1000:1; the issue's was 2.5 GB in 2.5 MB)."""
    block = b"a" * 2**20
    shared = [b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
              b"<si><t>", *([block] * megabytes), b"</t></si></sst>"]
    sheet = [SHEET_HEAD, row_xml(1, HEADER), '<row r="2"><c r="A2" t="s"><v>0</v></c></row>', "</sheetData>",
             "</worksheet>"]
    return package(folder / "sst.xlsx", sheet, shared, level=1)


def whitespace_padded(folder: Path, megabytes: int = 300) -> Path:
    """Sheet XML with `megabytes` MB of spaces between two rows (the issue's: 1.5 MB on disk)."""
    pad = b" " * 2**20
    sheet = [SHEET_HEAD, row_xml(1, HEADER), *([pad] * megabytes), row_xml(2, GOOD_ROW), "</sheetData>",
             "</worksheet>"]
    return package(folder / "padded.xlsx", sheet, level=1)


def padded_in_small_runs(folder: Path, megabytes: int = 40) -> Path:
    """Whitespace in 64 KB runs between empty elements: no single long run, but a 1000:1 ratio."""
    piece = b"<x/>" + b" " * 65536
    sheet = [SHEET_HEAD, row_xml(1, HEADER), *([piece] * (megabytes * 16)), row_xml(2, GOOD_ROW),
             "</sheetData>", "</worksheet>"]
    return package(folder / "padded_runs.xlsx", sheet, level=1)


def cells_before_header(folder: Path, count: int = 16_384) -> Path:
    """16,384 empty styled cells in row 1, the header in row 2 (was over 60 s: a quadratic regex)."""
    empty = '<row r="1">' + "".join(f'<c r="{letters(i)}1" s="0"/>' for i in range(count)) + "</row>"
    rows = [row_xml(2, HEADER), row_xml(3, GOOD_ROW)]
    return package(folder / "before.xlsx", [SHEET_HEAD, empty, *rows, "</sheetData></worksheet>"])


def wide_sheet(folder: Path, columns: int = 16_384) -> Path:
    """Every column of a sheet used: a header of 16,384 names and one row (was 77 s)."""
    header = HEADER + [f"extra{i}" for i in range(columns - len(HEADER))]
    row = GOOD_ROW + [i for i in range(columns - len(GOOD_ROW))]
    return package(folder / "wide.xlsx", [SHEET_HEAD, row_xml(1, header), row_xml(2, row), "</sheetData>",
                                          "</worksheet>"])


def dtd_in_workbook(folder: Path) -> Path:
    """A DTD in workbook.xml (a parser refusing it used to switch the per-cell checks off)."""
    dtd = '<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa">]>'
    sheet = [SHEET_HEAD, row_xml(1, HEADER),
             '<row r="2"><c r="A2" t="inlineStr"><is><t>a</t></is></c><c r="B2" t="inlineStr"><is><t>n_gpus</t>'
             '</is></c><c r="C2"><f>1+1</f></c></row>', "</sheetData></worksheet>"]
    return package(folder / "dtd.xlsx", sheet, dtd=dtd)


def encrypted_xlsx(folder: Path) -> Path:
    """What Excel writes for a password-protected .xlsx: an OLE compound file with an EncryptedPackage
    stream (only the parts a reader looks at: the OLE signature and the directory entry's name)."""
    header = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)
    entry = "EncryptedPackage".encode("utf-16-le").ljust(64, b"\0") + bytes(64)
    path = folder / "locked.xlsx"
    path.write_bytes(header + bytes(512) + entry + bytes(4096))
    return path


def deep_json(depth: int = 200_000) -> str:
    return '{"model_type": "llama", "x": ' + "[" * depth + "]" * depth + "}"


def safetensors(path: Path, header: bytes, data: bytes = b"") -> Path:
    path.write_bytes(struct.pack("<Q", len(header)) + header + data)
    return path


def big_safetensors_header(folder: Path, megabytes: int = 20) -> Path:
    """A safetensors file whose header is `megabytes` MB of tensor entries (the issue's: 90 MB)."""
    entries, offset, size = {}, 0, 0
    while size < megabytes * 2**20:
        name = f"model.layers.{len(entries)}.mlp.weight"
        entries[name] = {"dtype": "F32", "shape": [1], "data_offsets": [offset, offset + 4]}
        offset += 4
        size += len(name) + 60
    header = json.dumps(entries).encode()
    return safetensors(folder / "model.safetensors", header + b" " * (-len(header) % 8), bytes(offset))


BOMBS: dict[str, Callable[[Path], Path]] = {
    "merged-to-last-row": merged_to_last_row,
    "shared-string-300MB": shared_string_bomb,
    "whitespace-300MB": whitespace_padded,
    "whitespace-small-runs": padded_in_small_runs,
    "16384-cells-before-header": cells_before_header,
    "16384-columns": wide_sheet,
}
