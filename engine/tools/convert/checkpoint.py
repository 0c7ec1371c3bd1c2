"""A checkpoint folder to convert: which format, which files, where the LM head is; refused early when odd."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ConversionError
from ...messages import Nested, keyed
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
        raise keyed(ConversionError, "convert.source_not_dir", path=src)
    src_r, dst_r = src.resolve(), dst.resolve()
    if dst_r == src_r:
        raise keyed(ConversionError, "convert.dst_is_src", dst=dst)
    if dst_r.is_relative_to(src_r):
        raise keyed(ConversionError, "convert.dst_in_src", dst=dst, src=src)
    if src_r.is_relative_to(dst_r):
        raise keyed(ConversionError, "convert.dst_contains_src", dst=dst, src=src)
    if dst_r.exists() or dst_r.is_symlink():
        if not dst_r.is_dir():
            raise keyed(ConversionError, "convert.dst_not_dir", dst=dst)
        if any(dst_r.iterdir()):
            raise keyed(ConversionError, "convert.dst_not_empty", dst=dst)
    return src_r, dst_r


def inspect_checkpoint(src: Path) -> Checkpoint:
    """Work out the weight layout and which file holds lm_head.weight."""
    present = {name for name in (ST_SINGLE, ST_INDEX, PT_SINGLE, PT_INDEX) if (src / name).is_file()}
    has_st, has_pt = bool(present & {ST_SINGLE, ST_INDEX}), bool(present & {PT_SINGLE, PT_INDEX})
    if not present:
        others = sorted(p.name for p in src.iterdir() if p.suffix in (".safetensors", ".bin", ".pt", ".pth"))
        hint = Nested("convert.no_index_hint", files=", ".join(others[:5])) if others else Nested()
        raise keyed(ConversionError, "convert.no_weights", path=src, hint=hint,
                    names=f"{ST_SINGLE}, {ST_INDEX}, {PT_SINGLE} or {PT_INDEX}")
    if has_st and has_pt:
        # Converting one format would leave a stale, unnormalised head in the other.
        raise keyed(ConversionError, "convert.two_formats", path=src)
    single, index = (ST_SINGLE, ST_INDEX) if has_st else (PT_SINGLE, PT_INDEX)
    if single in present and index in present:
        raise keyed(ConversionError, "convert.two_layouts", path=src, single=single, index=index)
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
            raise keyed(ConversionError, "convert.index_too_large", path=path, size=size, limit=MAX_INDEX_BYTES)
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise keyed(ConversionError, "convert.index_unreadable", path=path, reason=exc) from None
    except RecursionError:
        raise keyed(ConversionError, "convert.index_too_deep", path=path,
                    shape='{"metadata": ..., "weight_map": {...}}') from None
    weight_map = data.get("weight_map") if isinstance(data, dict) else None
    if (not isinstance(weight_map, dict) or not weight_map
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in weight_map.items())):
        raise keyed(ConversionError, "convert.no_weight_map", path=path)
    for shard in set(weight_map.values()):
        shard_path = (src / shard).resolve()
        if not shard_path.is_relative_to(src) or shard_path == src:
            raise keyed(ConversionError, "convert.shard_outside", path=path, shard=shard)
        if not shard_path.is_file():
            raise keyed(ConversionError, "convert.shard_missing", path=path, shard=shard)
    return weight_map


def check_index_against_shards(root: Path, index: str, weight_map: dict[str, str]) -> None:
    """Validate every shard header and that each indexed tensor is really in its shard."""
    headers = {shard: st.read_header(root / shard) for shard in sorted(set(weight_map.values()))}
    for name, shard in weight_map.items():
        if name not in headers[shard].tensors:
            raise keyed(ConversionError, "convert.tensor_not_in_shard", path=root / index, name=name, shard=shard)


def missing_head(where: Path, names: list[str]) -> ConversionError:
    keys = ("lm_head", "head", "embed", "wte", "output", "logits")
    looks_like = [n for n in names if any(k in n.lower() for k in keys)]
    shown = looks_like[:6] or names[:6]
    label = Nested("convert.head_like" if looks_like else "convert.tensors")
    return keyed(ConversionError, "convert.no_head", path=where, head=HEAD, count=len(names), label=label,
                 names=", ".join(shown) or Nested("io.none"))


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
                raise keyed(ConversionError, "convert.link_outside", path=path, target=target, root=root)
        for name in filenames:
            path = Path(dirpath, name)
            if not path.is_file():
                raise keyed(ConversionError, "convert.not_regular", path=path)
            found.append(os.path.relpath(path, root))
    return sorted(found)


def import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ConversionError(TORCH_HINT) from exc
    return torch
