"""Minimal safetensors reader/writer on numpy (no torch, no ml_dtypes).

File layout: 8-byte little-endian u64 N, then N bytes of UTF-8 JSON
``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}``,
then the raw byte buffer; offsets are relative to the start of that buffer.

Tensors are read lazily through ``np.memmap`` so that only the slice a caller
asks for is materialised; a multi-GB shard is never loaded whole.
"""
from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ConversionError, SafetensorsFormatError
from ...messages import keyed

# Bytes per element for every dtype the safetensors spec names. Unknown dtypes
# are still accepted (their bytes are only ever copied), just not size-checked.
DTYPE_SIZES: dict[str, int] = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}
# Floating dtypes this module can decode to / encode from float32 values.
FLOAT_DTYPES = ("F32", "F16", "BF16", "F64")
# Same cap as the reference implementation: a larger header means a corrupt length.
MAX_HEADER_BYTES = 100 * 1024 * 1024
# What llmplan reads: parsing costs ~0.2 s per MB of header (every tensor entry is checked), and a
# shard's header is tens of KB (Llama-2-70B: 723 tensors in 15 shards), so 16 MB bounds a run in seconds.
READ_HEADER_BYTES = 16 * 1024 * 1024
_METADATA_KEY = "__metadata__"


@dataclass(frozen=True)
class TensorEntry:
    """One tensor's header entry; begin/end are offsets into the data buffer."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.begin


@dataclass(frozen=True)
class SafetensorsHeader:
    """Parsed, validated header of one file (tensors kept in file order)."""

    path: Path
    header_size: int
    file_size: int
    tensors: dict[str, TensorEntry]
    metadata: dict[str, str] | None

    @property
    def data_start(self) -> int:
        return 8 + self.header_size

    def absolute_range(self, name: str) -> tuple[int, int]:
        """Byte range of a tensor counted from the start of the file."""
        entry = self.tensors[name]
        return self.data_start + entry.begin, self.data_start + entry.end


# ---------------------------------------------------------------- bfloat16 ---
def bf16_bits_to_f32(bits: np.ndarray) -> np.ndarray:
    """bfloat16 is the top half of a float32, so widening is a 16-bit shift (exact)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)


def f32_to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """Round float32 to bfloat16 bit patterns, round-to-nearest-even; NaN stays NaN."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    # RNE: add 0x7FFF plus the lowest kept bit, then truncate. Cannot overflow
    # uint32 for non-NaN input (largest is -inf 0xFF800000); finite values near
    # the top correctly round up to inf.
    lsb = (bits >> np.uint32(16)) & np.uint32(1)
    rounded = ((bits + np.uint32(0x7FFF) + lsb) >> np.uint32(16)).astype(np.uint16)
    # NaN: plain truncation keeps sign and payload; if the payload sat only in
    # the dropped low bits the result would read as inf, so set the quiet bit.
    is_nan = (bits & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000)
    truncated = (bits >> np.uint32(16)).astype(np.uint16)
    nan_bits = np.where((truncated & np.uint16(0x7F)) == 0, truncated | np.uint16(0x40), truncated)
    return np.where(is_nan, nan_bits, rounded).astype(np.uint16)


# ------------------------------------------------------------ dtype coding ---
def decode_float32(raw: np.ndarray, dtype: str, shape: Sequence[int]) -> np.ndarray:
    """Interpret little-endian raw bytes of a floating dtype as a float32 array."""
    raw = np.asarray(raw, dtype=np.uint8)
    if dtype == "BF16":
        out = bf16_bits_to_f32(raw.view("<u2"))
    elif dtype == "F16":
        out = raw.view("<f2").astype(np.float32)
    elif dtype == "F32":
        out = raw.view("<f4").astype(np.float32)
    elif dtype == "F64":
        out = raw.view("<f8").astype(np.float32)
    else:
        raise keyed(ConversionError, "convert.cannot_decode", dtype=dtype, supported=", ".join(FLOAT_DTYPES))
    return out.reshape(tuple(shape))


def encode_float(values: np.ndarray, dtype: str) -> bytes:
    """Round float values to a floating dtype and return little-endian bytes."""
    if dtype == "BF16":
        return f32_to_bf16_bits(np.asarray(values, dtype=np.float32)).astype("<u2").tobytes()
    np_dtype = {"F16": "<f2", "F32": "<f4", "F64": "<f8"}.get(dtype)
    if np_dtype is None:
        raise keyed(ConversionError, "convert.cannot_encode", dtype=dtype, supported=", ".join(FLOAT_DTYPES))
    # numpy's float casts round to nearest even, like the hardware does.
    return np.ascontiguousarray(values).astype(np_dtype).tobytes()


# ------------------------------------------------------------------ reading ---
def read_header(path: str | os.PathLike[str]) -> SafetensorsHeader:
    """Read and validate the header; raises SafetensorsFormatError naming the problem."""
    path = Path(path)
    try:
        file_size = path.stat().st_size
        with open(path, "rb") as fh:
            prefix = fh.read(8)
            if len(prefix) < 8:
                raise SafetensorsFormatError(path, f"file is only {file_size} bytes, too short for the 8-byte "
                                                   "header length (truncated?)")
            (header_size,) = struct.unpack("<Q", prefix)
            if header_size < 2 or header_size > MAX_HEADER_BYTES:
                raise SafetensorsFormatError(path, f"header length {header_size} is implausible (corrupt file?)")
            if header_size > READ_HEADER_BYTES:
                raise SafetensorsFormatError(
                    path, f"header of {header_size:,} bytes is larger than llmplan reads ({READ_HEADER_BYTES:,}; "
                          "a shard of a real checkpoint has a header well under 1 MB)")
            if 8 + header_size > file_size:
                raise SafetensorsFormatError(
                    path, f"header length {header_size} exceeds the file size {file_size} (truncated or corrupt)")
            header_bytes = fh.read(header_size)
    except OSError as exc:
        raise keyed(ConversionError, "convert.cannot_read", path=path, reason=exc.strerror or exc) from exc
    try:
        parsed = json.loads(header_bytes.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SafetensorsFormatError(path, f"header is not valid UTF-8 JSON ({exc})") from None
    except RecursionError:
        raise SafetensorsFormatError(path, "header JSON is nested too deeply (a header is a flat object of "
                                           "tensor entries)") from None
    if not isinstance(parsed, dict):
        raise SafetensorsFormatError(path, "header JSON is not an object")
    buffer_size = file_size - 8 - header_size
    metadata = _parse_metadata(path, parsed.pop(_METADATA_KEY, None))
    tensors = {name: _parse_entry(path, name, spec) for name, spec in parsed.items()}
    _check_layout(path, tensors, buffer_size)
    return SafetensorsHeader(path, header_size, file_size, tensors, metadata)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads would silently keep the last duplicate; a repeated tensor name is corruption.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _parse_metadata(path: Path, metadata: Any) -> dict[str, str] | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise SafetensorsFormatError(path, f"{_METADATA_KEY} must map strings to strings")
    return metadata


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_entry(path: Path, name: str, spec: Any) -> TensorEntry:
    def bad(what: str) -> SafetensorsFormatError:
        return SafetensorsFormatError(path, f"tensor {name!r}: {what}")

    if not isinstance(spec, dict):
        raise bad("entry is not an object")
    dtype, shape, offsets = spec.get("dtype"), spec.get("shape"), spec.get("data_offsets")
    if not isinstance(dtype, str) or not dtype:
        raise bad(f"missing or invalid dtype {dtype!r}")
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        raise bad(f"invalid shape {shape!r}")
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_int(o) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1]):
        raise bad(f"invalid data_offsets {offsets!r}")
    itemsize = DTYPE_SIZES.get(dtype)
    if itemsize is not None:
        expected = math.prod(shape) * itemsize
        if offsets[1] - offsets[0] != expected:
            raise bad(f"dtype {dtype} with shape {shape} needs {expected} bytes "
                      f"but data_offsets {offsets} span {offsets[1] - offsets[0]}")
    return TensorEntry(name, dtype, tuple(shape), offsets[0], offsets[1])


def _check_layout(path: Path, tensors: dict[str, TensorEntry], buffer_size: int) -> None:
    """Offsets must lie inside the buffer and tile it exactly: no gap, no overlap."""
    for entry in tensors.values():
        if entry.end > buffer_size:
            raise SafetensorsFormatError(
                path, f"tensor {entry.name!r} data_offsets [{entry.begin}, {entry.end}] run past the end of "
                      f"the {buffer_size}-byte data buffer (file truncated or offsets corrupt)")
    position, previous = 0, None
    for entry in sorted(tensors.values(), key=lambda e: (e.begin, e.end)):
        if entry.begin < position:
            raise SafetensorsFormatError(path, f"tensors {previous!r} and {entry.name!r} overlap")
        if entry.begin > position:
            raise SafetensorsFormatError(path, f"gap of {entry.begin - position} bytes before tensor {entry.name!r}")
        position, previous = entry.end, entry.name
    if position != buffer_size:
        raise SafetensorsFormatError(
            path, f"tensors cover {position} bytes but the data buffer holds {buffer_size} (trailing garbage?)")


def read_raw(header: SafetensorsHeader, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Memory-map bytes [start, stop) of one tensor's data as uint8 (nothing read until used)."""
    entry = header.tensors[name]
    stop = entry.nbytes if stop is None else stop
    if not 0 <= start <= stop <= entry.nbytes:
        raise ValueError(f"byte range [{start}, {stop}) outside tensor {name!r} ({entry.nbytes} bytes)")
    if stop == start:  # np.memmap refuses empty maps
        return np.empty(0, dtype=np.uint8)
    return np.memmap(header.path, dtype=np.uint8, mode="r",
                     offset=header.data_start + entry.begin + start, shape=(stop - start,))


def read_rows_float32(header: SafetensorsHeader, name: str, row_start: int, row_stop: int) -> np.ndarray:
    """Rows [row_start, row_stop) of a 2-D floating tensor as float32, read lazily."""
    entry = header.tensors[name]
    if len(entry.shape) != 2:
        raise ValueError(f"tensor {name!r} is not 2-D: shape {list(entry.shape)}")
    row_bytes = entry.shape[1] * DTYPE_SIZES[entry.dtype]
    raw = read_raw(header, name, row_start * row_bytes, row_stop * row_bytes)
    return decode_float32(raw, entry.dtype, (row_stop - row_start, entry.shape[1]))


# ------------------------------------------------------------------ writing ---
def write_file(path: str | os.PathLike[str],
               tensors: Iterable[tuple[str, str, Sequence[int], bytes]],
               metadata: dict[str, str] | None = None) -> None:
    """Write (name, dtype, shape, raw little-endian bytes) tensors in the given order."""
    header: dict[str, Any] = {}
    if metadata is not None:
        header[_METADATA_KEY] = dict(metadata)
    blobs: list[bytes] = []
    offset = 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # Pad with spaces to 8 bytes so the data buffer starts aligned, as the reference writer does.
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(encoded)))
        fh.write(encoded)
        fh.writelines(blobs)


def overwrite_range(path: str | os.PathLike[str], offset: int, data: bytes) -> None:
    """Overwrite bytes in place; used to replace one tensor without re-serialising its file."""
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)
