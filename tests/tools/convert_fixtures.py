"""Synthetic checkpoints for tests/tools/test_convert.py.

The safetensors writer/reader here is written independently of
engine.tools.convert.safetensors_io so a bug shared by both sides cannot hide.
"""
from __future__ import annotations

import json
import os
import pickle
import struct
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HEAD = "lm_head.weight"
OTHER_FILES = {
    "config.json": b'{"architectures": ["BaichuanForCausalLM"], "vocab_size": 50}\n',
    "tokenizer_config.json": b'{"tokenizer_class": "BaichuanTokenizer"}\n',
    "generation_config.json": b'{"do_sample": true}\n',
    "README.md": "# tiny baichuan 2 / 小模型\n".encode(),
    ".gitattributes": b"*.safetensors filter=lfs\n",
    "extra/notes.txt": b"nested file\n",
}
_NP = {"F32": "<f4", "F16": "<f2"}


def to_stored(values: np.ndarray, dtype: str) -> tuple[bytes, np.ndarray]:
    """Encode float values in dtype; return (bytes, the stored values as float32)."""
    values = np.asarray(values, dtype=np.float32)
    if dtype == "BF16":  # truncation: keeps fixtures exactly representable in bf16
        bits = (values.view(np.uint32) >> 16).astype("<u2")
        return bits.tobytes(), decode(bits.tobytes(), "BF16", values.shape)
    if dtype in _NP:
        arr = values.astype(_NP[dtype])
        return arr.tobytes(), arr.astype(np.float32)
    raise ValueError(dtype)


def decode(data: bytes, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    if dtype == "BF16":
        bits = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    return np.frombuffer(data, dtype=_NP[dtype]).astype(np.float32).reshape(shape)


def write_safetensors(path: Path, tensors: list[tuple[str, str, tuple[int, ...], bytes]],
                      metadata: dict[str, str] | None = None) -> None:
    header: dict = {"__metadata__": metadata} if metadata is not None else {}
    offset = 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(t[3] for t in tensors))


def read_safetensors(path: Path) -> tuple[dict, dict[str, bytes]]:
    """(header dict, name -> raw bytes) read by plain slicing."""
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = {k: blob[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]
            for k, v in header.items() if k != "__metadata__"}
    return header, data


@dataclass
class Fixture:
    src: Path
    dtype: str
    sharded: bool
    head_file: str
    head: np.ndarray                    # stored head values as float32
    tensors: dict[str, tuple[str, str, tuple[int, ...], bytes]] = field(default_factory=dict)  # name -> (file, dtype, shape, bytes)

    @property
    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.src)) for p in self.src.rglob("*") if p.is_file())


def head_values(vocab: int, hidden: int, seed: int = 0) -> np.ndarray:
    """Random head whose rows have clearly non-unit norms (0.3 .. 3)."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((vocab, hidden)).astype(np.float32)
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    return w * rng.uniform(0.3, 3.0, size=(vocab, 1)).astype(np.float32)


def make_checkpoint(root: Path, dtype: str = "BF16", sharded: bool = False, vocab: int = 50, hidden: int = 16,
                    seed: int = 0, head: np.ndarray | None = None, head_name: str = HEAD,
                    fmt: str = "safetensors") -> Fixture:
    """Build a tiny Baichuan-2-shaped checkpoint. fmt='bin' pickles via the fake torch below."""
    rng = np.random.default_rng(seed + 1)
    head = head_values(vocab, hidden, seed) if head is None else head
    specs: list[tuple[str, str, np.ndarray | bytes]] = [
        ("model.embed_tokens.weight", dtype, rng.standard_normal((vocab, hidden))),
        ("model.layers.0.self_attn.W_pack.weight", dtype, rng.standard_normal((3 * hidden, hidden))),
        ("model.layers.0.mlp.down_proj.weight", dtype, rng.standard_normal((hidden, 2 * hidden))),
        (head_name, dtype, head),
        ("model.norm.weight", dtype, rng.uniform(0.5, 1.5, hidden)),
        ("model.position_ids", "I64", np.arange(8, dtype="<i8").tobytes()),  # non-float: pass-through
    ]
    root.mkdir(parents=True, exist_ok=True)
    fx = Fixture(root, dtype, sharded, "", np.empty(0))
    encoded: list[tuple[str, str, tuple[int, ...], bytes]] = []
    for name, dt, value in specs:
        if isinstance(value, bytes):
            encoded.append((name, dt, (len(value) // 8,), value))
            continue
        data, stored = to_stored(value, dt)
        encoded.append((name, dt, tuple(np.shape(value)), data))
        if name == head_name:
            fx.head = stored
    if fmt == "bin":
        return _write_bin(fx, encoded, head_name)
    # Sharded: the head sits in the middle of shard 2, with tensors before and after it.
    groups = ({"model-00001-of-00002.safetensors": encoded[:2], "model-00002-of-00002.safetensors": encoded[2:]}
              if sharded else {"model.safetensors": [encoded[0], encoded[1], encoded[3], encoded[2], *encoded[4:]]})
    for fname, items in groups.items():
        write_safetensors(root / fname, items, {"format": "pt"})
        for name, dt, shape, data in items:
            fx.tensors[name] = (fname, dt, shape, data)
    fx.head_file = fx.tensors[head_name][0] if head_name in fx.tensors else ""
    if sharded:
        index = {"metadata": {"total_size": sum(len(t[3]) for t in encoded)},
                 "weight_map": {name: fname for name, (fname, *_rest) in fx.tensors.items()}}
        (root / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    _write_other_files(root, seed)
    return fx


def _write_other_files(root: Path, seed: int) -> None:
    for rel, data in OTHER_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / "tokenizer.model").write_bytes(np.random.default_rng(seed + 7).bytes(300))


# ------------------------------------------------- fake torch for .bin paths ---
class FakeDtype:
    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return f"torch.{self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FakeDtype) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


class FakeTensor:
    """Just enough of torch.Tensor for engine.tools.convert.baichuan: values kept as float32."""

    def __init__(self, values: np.ndarray, dtype: FakeDtype) -> None:
        self.values, self.dtype = _round(np.asarray(values, dtype=np.float32), dtype), dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    def detach(self) -> FakeTensor:
        return self

    def to(self, dtype: FakeDtype) -> FakeTensor:
        return FakeTensor(self.values, dtype)

    def numpy(self) -> np.ndarray:
        assert self.dtype.name == "float32", "torch only converts float32 here"
        return self.values.copy()


def _round(values: np.ndarray, dtype: FakeDtype) -> np.ndarray:
    if dtype.name == "float16":
        return values.astype(np.float16).astype(np.float32)
    if dtype.name == "bfloat16":
        from engine.tools.convert.safetensors_io import bf16_bits_to_f32, f32_to_bf16_bits
        return bf16_bits_to_f32(f32_to_bf16_bits(values))
    return values


def fake_torch() -> Any:
    """Stand-in for the torch module: pickled dicts of FakeTensor instead of torch's zip format."""
    float32 = FakeDtype("float32")

    def load(path: os.PathLike, map_location: str = "cpu", weights_only: bool = False, mmap: bool = False) -> Any:
        with open(path, "rb") as fh:
            return pickle.load(fh)

    def save(obj: object, path: os.PathLike) -> None:
        with open(path, "wb") as fh:
            pickle.dump(obj, fh)

    return types.SimpleNamespace(
        float32=float32, float16=FakeDtype("float16"), bfloat16=FakeDtype("bfloat16"), load=load, save=save,
        from_numpy=lambda arr: FakeTensor(arr, float32),
        equal=lambda a, b: a.dtype == b.dtype and np.array_equal(a.values, b.values))


_TORCH_DTYPE = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}


def _write_bin(fx: Fixture, encoded: list, head_name: str) -> Fixture:
    state = {}
    for name, dt, shape, data in encoded:
        if dt == "I64":
            continue
        state[name] = FakeTensor(decode(data, dt, shape), FakeDtype(_TORCH_DTYPE[dt]))
    with open(fx.src / "pytorch_model.bin", "wb") as fh:
        pickle.dump(state, fh)
    fx.head_file = "pytorch_model.bin"
    _write_other_files(fx.src, 0)
    return fx
