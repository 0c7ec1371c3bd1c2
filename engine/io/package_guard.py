"""Check an .xlsx package before any reader opens it: bounded in memory and time.

A small .xlsx can decompress to gigabytes (a zip bomb: one 2.5 GB shared string, a sheet padded
with whitespace), carry a DTD (entity expansion; parsers that refuse it would silently skip our
per-cell checks), or be something else under an .xlsx name (an encrypted workbook is an OLE file).
Every entry is read once, in chunks, before calamine sees the file:

    inspect_package(path)      # ScenarioError naming the part and the limit, else None

Reading the entries through zipfile also checks each CRC (calamine does not), so a damaged
workbook is refused instead of read with wrong numbers.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import ScenarioError
from ..messages import Nested, keyed

MAX_ENTRIES = 10_000                 # parts in one package (a workbook has tens)
# one part, decompressed (~800,000 rows of 7 numbers; 10 MB of real xlsx is < 150 MB)
MAX_PART_BYTES = 256 * 2**20
MAX_TOTAL_BYTES = 512 * 2**20        # all parts together, decompressed
MAX_RATIO = 200                      # decompressed/compressed, for parts over RATIO_FLOOR bytes
RATIO_FLOOR = 16 * 2**20
MAX_RUN = 2**20                      # bytes between two XML tags (an Excel cell holds 32,767 characters)
CHUNK = 2**20
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


def inspect_package(path: Path) -> None:
    """Refuse a package that is not a sound, reasonably sized .xlsx (see the module notes)."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                raise _refuse(path, Nested("sheets.too_many_parts", count=len(entries), limit=MAX_ENTRIES))
            total = 0
            for info in entries:
                _check_declared(path, info)
                total += info.file_size
                if total > MAX_TOTAL_BYTES:
                    raise _refuse(path, Nested("sheets.too_large_total", limit=MAX_TOTAL_BYTES // 2**20))
            for info in entries:
                _scan_entry(path, archive, info)
    except ScenarioError:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile/zlib raise several kinds for a damaged archive
        raise keyed(ScenarioError, "sheets.damaged_zip", path=path, reason=first_line(exc)) from None


def _check_declared(path: Path, info: zipfile.ZipInfo) -> None:
    if info.file_size > MAX_PART_BYTES:
        raise _refuse(path, Nested("sheets.part_too_large", part=info.filename, size=info.file_size,
                                   limit=MAX_PART_BYTES // 2**20))
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        raise _refuse(path, Nested("sheets.part_ratio", part=info.filename, ratio=ratio, limit=MAX_RATIO,
                                   floor=RATIO_FLOOR // 2**20))


def _scan_entry(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Read the whole entry (CRC checked at its end); XML parts: no DTD, no giant runs of text."""
    name = info.filename
    xml = name.lower().endswith((".xml", ".rels", ".vml"))
    run = 0           # bytes since the last '<', carried across chunks
    tail = b""
    for chunk in _chunks(archive, info):
        if not xml:
            continue
        window = tail + chunk
        if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
            raise keyed(ScenarioError, "sheets.dtd", path=path, part=name)
        tail = chunk[-16:]
        run = _longest_run(path, name, chunk, run)


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    read = 0
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                return
            read += len(chunk)
            if read > MAX_PART_BYTES:   # a header that lies about the size
                raise keyed(ScenarioError, "sheets.part_over_limit", path=archive.filename, part=info.filename,
                            limit=MAX_PART_BYTES // 2**20)
            yield chunk


def _longest_run(path: Path, name: str, chunk: bytes, carried: int) -> int:
    """Bytes between '<'s: refuse a run over MAX_RUN; return the run still open at the chunk's end."""
    marks = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 0x3C)
    if not len(marks):
        run = longest = carried + len(chunk)
    else:
        run = len(chunk) - 1 - int(marks[-1])
        inner = int(np.diff(marks).max()) if len(marks) > 1 else 0
        longest = max(carried + int(marks[0]), inner, run)
    if longest > MAX_RUN:
        raise keyed(ScenarioError, "sheets.long_run", path=path, part=name, limit=MAX_RUN)
    return run


def check_not_encrypted(path: Path) -> None:
    """An OLE compound file: a password-protected .xlsx (EncryptedPackage) or an old .xls."""
    with open(path, "rb") as handle:
        data = handle.read(64 * 2**20)
    if ENCRYPTED_MARK in data:
        raise keyed(ScenarioError, "sheets.encrypted", path=path)


def _refuse(path: Path, why: Nested) -> ScenarioError:
    return keyed(ScenarioError, "sheets.refused_package", path=path, why=why)


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (a library's multi-line message kept to one line)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
