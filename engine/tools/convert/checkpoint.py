"""A checkpoint folder to convert: which format, which files, where the LM head is; refused early when odd."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ConversionError
from . import safetensors_io as st

HEAD = "lm_head.weight"
MAX_INDEX_BYTES = 16 * 1024 * 1024   # an index maps tensor names to shard files: a few hundred KB
ST_SINGLE, ST_INDEX = "model.safetensors", "model.safetensors.index.json"
PT_SINGLE, PT_INDEX = "pytorch_model.bin", "pytorch_model.bin.index.json"
TORCH_HINT = ("Reading PyTorch .bin checkpoints needs PyTorch: install it with `pip install torch` "
              "(or the optional extra `pip install llmplan[torch]`), or save the checkpoint as safetensors.")


@dataclass(frozen=True)
class Checkpoint:
    root: Path
    format: str
    index_file: str | None
    weight_map: dict[str, str] | None
    weight_files: list[str]
    head_file: str


def check_paths(src: Path, dst: Path) -> tuple[Path, Path]:
    """Refuse anything that could write into the source or over existing data."""
    if not src.is_dir():
        raise ConversionError(f"source {src} is not a directory")
    src_r, dst_r = src.resolve(), dst.resolve()
    if dst_r == src_r:
        raise ConversionError(f"destination {dst} is the source directory; refusing to write into the source")
    if dst_r.is_relative_to(src_r):
        raise ConversionError(f"destination {dst} is inside the source {src}; refusing to write into the source")
    if src_r.is_relative_to(dst_r):
        raise ConversionError(f"destination {dst} contains the source {src}; choose a new directory")
    if dst_r.exists() or dst_r.is_symlink():
        if not dst_r.is_dir():
            raise ConversionError(f"destination {dst} exists and is not a directory")
        if any(dst_r.iterdir()):
            raise ConversionError(f"destination {dst} already exists and is not empty; refusing to overwrite")
    return src_r, dst_r


def inspect_checkpoint(src: Path) -> Checkpoint:
    """Work out the weight layout and which file holds lm_head.weight."""
    present = {name for name in (ST_SINGLE, ST_INDEX, PT_SINGLE, PT_INDEX) if (src / name).is_file()}
    has_st, has_pt = bool(present & {ST_SINGLE, ST_INDEX}), bool(present & {PT_SINGLE, PT_INDEX})
    if not present:
        others = sorted(p.name for p in src.iterdir() if p.suffix in (".safetensors", ".bin", ".pt", ".pth"))
        hint = f" (found {', '.join(others[:5])} but no index naming them)" if others else ""
        raise ConversionError(f"{src}: no {ST_SINGLE}, {ST_INDEX}, {PT_SINGLE} or {PT_INDEX} found{hint}")
    if has_st and has_pt:
        # Converting one format would leave a stale, unnormalised head in the other.
        raise ConversionError(f"{src} holds both safetensors and PyTorch .bin weights; keep only one "
                              "format in a copy of the checkpoint and convert that")
    single, index = (ST_SINGLE, ST_INDEX) if has_st else (PT_SINGLE, PT_INDEX)
    if single in present and index in present:
        raise ConversionError(f"{src} holds both {single} and {index}; it is unclear which weights are current")
    fmt = "safetensors" if has_st else "pytorch"
    if fmt == "pytorch":
        import_torch()  # fail early, before any work, with the install hint

    if single in present:
        if fmt == "safetensors":
            names = list(st.read_header(src / single).tensors)
            if HEAD not in names:
                raise missing_head(src / single, names)
        return Checkpoint(src, fmt, None, None, [single], single)

    weight_map = read_index(src, index)
    files = sorted(set(weight_map.values()))
    if fmt == "safetensors":
        check_index_against_shards(src, index, weight_map)
    if HEAD not in weight_map:
        raise missing_head(src / index, list(weight_map))
    return Checkpoint(src, fmt, index, weight_map, files, weight_map[HEAD])


def read_index(src: Path, index: str) -> dict[str, str]:
    path = src / index
    try:
        size = path.stat().st_size
        if size > MAX_INDEX_BYTES:
            raise ConversionError(f"{path}: {size:,} bytes is too large for an index JSON (at most "
                                  f"{MAX_INDEX_BYTES:,})")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConversionError(f"{path}: cannot read index JSON ({exc})") from None
    except RecursionError:
        raise ConversionError(f"{path}: cannot read index JSON (nested too deeply; an index is "
                              "{\"metadata\": ..., \"weight_map\": {...}})") from None
    weight_map = data.get("weight_map") if isinstance(data, dict) else None
    if (not isinstance(weight_map, dict) or not weight_map
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in weight_map.items())):
        raise ConversionError(f"{path}: no \"weight_map\" object mapping tensor names to shard files")
    for shard in set(weight_map.values()):
        shard_path = (src / shard).resolve()
        if not shard_path.is_relative_to(src) or shard_path == src:
            raise ConversionError(f"{path}: shard name {shard!r} points outside the checkpoint directory")
        if not shard_path.is_file():
            raise ConversionError(f"{path}: names shard {shard!r}, which does not exist")
    return weight_map


def check_index_against_shards(root: Path, index: str, weight_map: dict[str, str]) -> None:
    """Validate every shard header and that each indexed tensor is really in its shard."""
    headers = {shard: st.read_header(root / shard) for shard in sorted(set(weight_map.values()))}
    for name, shard in weight_map.items():
        if name not in headers[shard].tensors:
            raise ConversionError(f"{root / index}: says {name!r} is in {shard}, but that shard has no such tensor")


def missing_head(where: Path, names: list[str]) -> ConversionError:
    keys = ("lm_head", "head", "embed", "wte", "output", "logits")
    looks_like = [n for n in names if any(k in n.lower() for k in keys)]
    shown = looks_like[:6] or names[:6]
    label = "head/embedding-like tensors" if looks_like else "tensors"
    return ConversionError(
        f"{where}: no tensor named {HEAD!r}, so this is not a Baichuan 2 checkpoint with a separate head "
        f"({len(names)} tensors; {label}: {', '.join(shown) or 'none'})")


def list_files(root: Path) -> list[str]:
    """All files under root (relative, sorted). Links are followed only while they stay inside root
    (a link out of the checkpoint would copy outside files into DST, or walk the whole disk), and
    only regular files are copied (a FIFO would block, a device never ends): both refused."""
    found: list[str] = []
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:  # a directory link looping back: do not walk it twice
            dirnames[:] = []
            continue
        seen.add(real)
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            target = Path(os.path.realpath(path))
            if path.is_symlink() and not target.is_relative_to(root):
                raise ConversionError(f"{path}: a symbolic link to {target}, outside the checkpoint {root}; "
                                      "llmplan copies only what is inside SRC (a Hugging Face cache snapshot links to ../../blobs: "
                                      "copy it with `cp -rL SNAPSHOT SRC` and convert the copy)")
        for name in filenames:
            path = Path(dirpath, name)
            if not path.is_file():
                raise ConversionError(f"{path}: not a regular file (a pipe, socket or device, or a broken link); "
                                      "remove it from the checkpoint folder")
            found.append(os.path.relpath(path, root))
    return sorted(found)


def import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ConversionError(TORCH_HINT) from exc
    return torch
