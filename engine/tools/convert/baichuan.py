"""Baichuan 2 -> Baichuan 1 checkpoint conversion.

Baichuan 2 applies NormHead at inference: logits = h @ normalize(W, dim=1).T.
Storing W with each row already L2-normalised makes a plain linear head (as
Baichuan 1 tooling assumes) produce the same logits. Only ``lm_head.weight``
changes; every other byte of the checkpoint is copied unchanged.

Safety properties: the source is never written; the output is built in a temp
dir beside DST and renamed into place only after it has been verified, so DST
never holds a half-written checkpoint; at most one weight shard (for .bin) or
one bounded chunk of the head (for safetensors) is held in memory.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ...errors import ConversionError
from ...messages import keyed, said_text
from ...tempfiles import remove_stale
from . import safetensors_io as st
from .checkpoint import (
    HEAD,
    Checkpoint,
    check_index_against_shards,
    check_paths,
    import_torch,
    inspect_checkpoint,
    list_files,
    missing_head,
    read_index,
)

HEAD_DTYPES = ("F32", "F16", "BF16")
# A stored unit row deviates from norm 1 by about one unit roundoff of its dtype
# (bf16 2^-8, fp16 2^-11); allow 4x that. fp32 gets 1e-4 so heads normalised by
# other tools with float32 accumulation are still recognised.
TEMP_MARK = ".llmplan-convert-tmp-"  # DST's temporary twin: `.DST.llmplan-convert-tmp-XXXXXXXX`
TOLERANCE = {"BF16": 4 * 2.0**-8, "F16": 4 * 2.0**-11, "F32": 1e-4}
# Work on the head in float64 blocks of about this size, whatever the vocab.
_CHUNK_BYTES = 64 << 20
_HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class NormStats:
    """Row-norm summary of a head matrix."""

    rows: int
    min: float
    mean: float
    max: float
    zero_rows: int
    unit_rows: int       # rows whose norm is within tolerance of 1
    nonfinite_rows: int

    @classmethod
    def from_norms(cls, norms: np.ndarray, tolerance: float) -> NormStats:
        finite = norms[np.isfinite(norms)]
        return cls(
            rows=int(norms.size),
            min=float(finite.min()) if finite.size else float("nan"),
            mean=float(finite.mean()) if finite.size else float("nan"),
            max=float(finite.max()) if finite.size else float("nan"),
            zero_rows=int(np.count_nonzero(norms == 0)),
            unit_rows=int(np.count_nonzero(np.abs(norms - 1.0) <= tolerance)),
            nonfinite_rows=int(norms.size - finite.size),
        )

    @property
    def already_normalised(self) -> bool:
        return self.unit_rows > 0 and self.unit_rows + self.zero_rows == self.rows


@dataclass
class ConversionReport:
    """What was (or, for a dry run, would be) done. status: converted | already_normalised | dry_run."""

    status: str
    src: Path
    dst: Path
    format: str                      # "safetensors" or "pytorch"
    weight_files: list[str]          # relative paths of all weight files
    head_file: str                   # the one file that is rewritten
    shape: tuple[int, ...]
    dtype: str
    tolerance: float
    before: NormStats
    after: NormStats | None = None
    copied_files: list[str] = field(default_factory=list)
    verified: bool = False
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------- public API ---
def convert_baichuan2_to_baichuan1(src: str | os.PathLike[str], dst: str | os.PathLike[str],
                                   dry_run: bool = False) -> ConversionReport:
    """Copy the checkpoint SRC to DST with every row of lm_head.weight L2-normalised."""
    src_dir, dst_dir = check_paths(Path(src), Path(dst))
    files = list_files(src_dir)   # first: refuse links out of SRC before reading anything
    ckpt = inspect_checkpoint(src_dir)
    backend: _Backend = _SafetensorsBackend() if ckpt.format == "safetensors" else _TorchBackend()
    head_path = src_dir / ckpt.head_file
    dtype, shape, norms = backend.head_norms(head_path)
    tolerance = TOLERANCE[dtype]
    before = NormStats.from_norms(norms, tolerance)
    _check_head_values(head_path, before)
    report = ConversionReport(
        status="dry_run", src=src_dir, dst=dst_dir, format=ckpt.format, weight_files=ckpt.weight_files,
        head_file=ckpt.head_file, shape=shape, dtype=dtype, tolerance=tolerance, before=before,
        copied_files=[f for f in files if f != ckpt.head_file])
    if before.zero_rows:
        report.notes.append(said_text("convert.zero_rows", rows=before.zero_rows, head=HEAD))
    if before.already_normalised:
        report.status = "already_normalised"
        return report
    if dry_run:
        return report

    dst_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(dst_dir.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst_dir.name}{TEMP_MARK}", dir=dst_dir.parent))
    try:
        shutil.copymode(src_dir, tmp)  # mkdtemp makes it 0700; mirror the source instead
        for rel in report.copied_files:
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_dir / rel, target)
        backend.write_normalised(head_path, tmp / ckpt.head_file, norms)
        report.after = _verify(src_dir, tmp, ckpt, backend, norms, tolerance, report.copied_files)
        os.rename(tmp, dst_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.status, report.verified = "converted", True
    return report


def _remove_stale_temps(folder: Path) -> None:
    """Temporary copies (`.DST.llmplan-convert-tmp-XXXXXXXX/`) left by a run that was killed."""
    remove_stale(folder, lambda name: name.startswith(".") and TEMP_MARK in name, directories=True)


def _check_head_values(path: Path, stats: NormStats) -> None:
    if stats.nonfinite_rows:
        raise keyed(ConversionError, "convert.nonfinite", path=path, head=HEAD, rows=stats.nonfinite_rows)
    if stats.zero_rows == stats.rows:
        raise keyed(ConversionError, "convert.all_zero", path=path, head=HEAD)


# -------------------------------------------------------------- head maths ---
def _row_norms(block: np.ndarray) -> np.ndarray:
    # float64 so neither squares overflow nor long rows lose precision.
    block = block.astype(np.float64, copy=False)
    return np.sqrt(np.einsum("ij,ij->i", block, block))


def _normalise_rows(block: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """Divide each row by its norm (zero rows stay zero); float32 result for encoding."""
    safe = np.where(norms > 0, norms, 1.0)
    return (block.astype(np.float64, copy=False) / safe[:, None]).astype(np.float32)


def _row_ranges(rows: int, cols: int) -> Iterator[tuple[int, int]]:
    step = max(1, _CHUNK_BYTES // max(1, cols * 8))
    for start in range(0, rows, step):
        yield start, min(rows, start + step)


# ---------------------------------------------------------------- backends ---
class _Backend:
    """Reads and rewrites the head in one weight file format."""

    def head_norms(self, path: Path) -> tuple[str, tuple[int, ...], np.ndarray]:
        raise NotImplementedError

    def write_normalised(self, src: Path, dst: Path, norms: np.ndarray) -> None:
        raise NotImplementedError

    def verify_file(self, src: Path, dst: Path) -> None:
        """Check that everything except the head is unchanged in the rewritten file."""
        raise NotImplementedError


def _check_head_entry(path: Path, dtype: str, shape: tuple[int, ...]) -> None:
    if dtype not in HEAD_DTYPES:
        raise keyed(ConversionError, "convert.head_dtype", path=path, head=HEAD, dtype=dtype,
                    supported=", ".join(HEAD_DTYPES))
    if len(shape) != 2 or 0 in shape:
        raise keyed(ConversionError, "convert.head_shape", path=path, head=HEAD, shape=list(shape))


class _SafetensorsBackend(_Backend):
    def head_norms(self, path: Path) -> tuple[str, tuple[int, ...], np.ndarray]:
        header = st.read_header(path)
        entry = header.tensors[HEAD]
        _check_head_entry(path, entry.dtype, entry.shape)
        rows, cols = entry.shape
        norms = np.empty(rows, dtype=np.float64)
        for a, b in _row_ranges(rows, cols):
            norms[a:b] = _row_norms(st.read_rows_float32(header, HEAD, a, b))
        return entry.dtype, entry.shape, norms

    def write_normalised(self, src: Path, dst: Path, norms: np.ndarray) -> None:
        # Same dtype and shape, so the header and every offset stay valid: copy the
        # file, then overwrite just the head's byte range, one row block at a time.
        header = st.read_header(src)
        entry = header.tensors[HEAD]
        rows, cols = entry.shape
        row_bytes = cols * st.DTYPE_SIZES[entry.dtype]
        start, _ = header.absolute_range(HEAD)
        shutil.copyfile(src, dst)
        with open(dst, "r+b") as fh:
            for a, b in _row_ranges(rows, cols):
                block = st.read_rows_float32(header, HEAD, a, b)
                fh.seek(start + a * row_bytes)
                fh.write(st.encode_float(_normalise_rows(block, norms[a:b]), entry.dtype))

    def verify_file(self, src: Path, dst: Path) -> None:
        old, new = st.read_header(src), st.read_header(dst)
        if (old.header_size, old.tensors, old.metadata) != (new.header_size, new.tensors, new.metadata):
            raise keyed(ConversionError, "convert.verify_header", dst=dst)
        begin, end = old.absolute_range(HEAD)
        outside = [(0, begin), (end, old.file_size)]
        if old.file_size != new.file_size or _hash(src, outside) != _hash(dst, outside):
            raise keyed(ConversionError, "convert.verify_outside_head", head=HEAD, dst=dst)


def _torch_load(torch: Any, path: Path, mmap: bool = False) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"map_location": "cpu", "weights_only": True}
    if mmap:  # file-backed tensors, so a second shard need not sit in RAM (torch >= 2.1, zip format)
        kwargs["mmap"] = True
    try:
        try:
            state = torch.load(path, **kwargs)
        except (TypeError, RuntimeError):
            if not mmap:
                raise
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or non-state-dict files
        raise keyed(ConversionError, "convert.cannot_load", path=path, reason=exc) from exc
    if not isinstance(state, dict):
        raise keyed(ConversionError, "convert.not_state_dict", path=path, found=type(state).__name__)
    return state


class _TorchBackend(_Backend):
    """PyTorch .bin shards: the shard holding the head is loaded whole (one shard at most)."""

    _DTYPES: ClassVar[dict[str, str]] = {"torch.float32": "F32", "torch.float16": "F16", "torch.bfloat16": "BF16"}

    def head_norms(self, path: Path) -> tuple[str, tuple[int, ...], np.ndarray]:
        torch = import_torch()
        state = _torch_load(torch, path)
        if HEAD not in state:
            raise missing_head(path, list(state))
        weight = state[HEAD]
        dtype = self._DTYPES.get(str(weight.dtype), str(weight.dtype))
        shape = tuple(int(d) for d in weight.shape)
        _check_head_entry(path, dtype, shape)
        return dtype, shape, _row_norms(weight.detach().to(torch.float32).numpy())

    def write_normalised(self, src: Path, dst: Path, norms: np.ndarray) -> None:
        torch = import_torch()
        state = _torch_load(torch, src)
        weight = state[HEAD]
        values = _normalise_rows(weight.detach().to(torch.float32).numpy(), norms)
        state[HEAD] = torch.from_numpy(values).to(weight.dtype)
        torch.save(state, dst)

    def verify_file(self, src: Path, dst: Path) -> None:
        torch = import_torch()
        old = _torch_load(torch, src)
        new = _torch_load(torch, dst, mmap=True)
        if list(old) != list(new):
            raise keyed(ConversionError, "convert.verify_names", dst=dst)
        for name, tensor in old.items():
            if name != HEAD and not torch.equal(tensor, new[name]):
                raise keyed(ConversionError, "convert.verify_tensor", name=name, dst=dst)
            if new[name].dtype != tensor.dtype or tuple(new[name].shape) != tuple(tensor.shape):
                raise keyed(ConversionError, "convert.verify_dtype_shape", name=name, dst=dst)


# ------------------------------------------------------------ verification ---
def _hash(path: Path, ranges: list[tuple[int, int]] | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for begin, end in ranges or [(0, os.fstat(fh.fileno()).st_size)]:
            fh.seek(begin)
            left = end - begin
            while left > 0:
                chunk = fh.read(min(_HASH_BLOCK, left))
                if not chunk:
                    break
                digest.update(chunk)
                left -= len(chunk)
    return digest.hexdigest()


def _verify(src: Path, out: Path, ckpt: Checkpoint, backend: _Backend, norms_before: np.ndarray,
            tolerance: float, copied: list[str]) -> NormStats:
    """Re-read the output: copies byte-identical, head rows unit norm, index consistent."""
    for rel in copied:
        a, b = src / rel, out / rel
        if a.stat().st_size != b.stat().st_size or _hash(a) != _hash(b):
            raise keyed(ConversionError, "convert.verify_copy", path=rel)
    head_out = out / ckpt.head_file
    backend.verify_file(src / ckpt.head_file, head_out)
    _, _, norms = backend.head_norms(head_out)
    zero_before, zero_after = norms_before == 0, norms == 0
    if not np.array_equal(zero_before, zero_after):
        raise keyed(ConversionError, "convert.verify_no_change", head=HEAD)
    deviation = np.abs(norms[~zero_after] - 1.0)
    if deviation.size and not deviation.max() <= tolerance:
        raise keyed(ConversionError, "convert.verify_norm", head=HEAD, deviation=f"{deviation.max():.3g}",
                    tolerance=f"{tolerance:.3g}")
    if ckpt.index_file is not None and ckpt.format == "safetensors":
        check_index_against_shards(out, ckpt.index_file, read_index(out, ckpt.index_file))
    return NormStats.from_norms(norms, tolerance)
