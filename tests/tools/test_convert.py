"""Tests for `llmplan convert baichuan2-to-baichuan1` (engine/tools/convert/)."""
from __future__ import annotations

import argparse
import hashlib
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli.commands import convert as convert_cli
from engine.tools.convert import ConversionError, baichuan
from engine.tools.convert import safetensors_io as st

try:
    from tests.tools.convert_fixtures import (
        HEAD,
        decode,
        fake_torch,
        head_values,
        make_checkpoint,
        read_safetensors,
        to_stored,
        write_safetensors,
    )
except ImportError:  # tests/ is not a package: pytest put tests/tools/ itself on sys.path
    from convert_fixtures import (  # type: ignore
        HEAD,
        decode,
        fake_torch,
        head_values,
        make_checkpoint,
        read_safetensors,
        to_stored,
        write_safetensors,
    )

REPO = Path(__file__).resolve().parents[2]
LOGIT_TOL = {"BF16": 1e-2, "F16": 1e-3, "F32": 1e-6}
DTYPES = ["BF16", "F16", "F32"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def convert(src: Path, dst: Path, dry_run: bool = False) -> baichuan.ConversionReport:
    return baichuan.convert_baichuan2_to_baichuan1(src, dst, dry_run=dry_run)


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="llmplan")
    convert_cli.add_parser(parser.add_subparsers(dest="command"))
    return convert_cli.run(parser.parse_args(argv))


def no_leftovers(dst: Path) -> None:
    """DST absent and no temp dir left beside it."""
    assert not dst.exists()
    assert not list(dst.parent.glob(f".{dst.name}.tmp-*"))


def norm_head_logits(h: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Baichuan 2 NormHead: logits = h @ normalize(W, dim=1).T (float32)."""
    return h @ (w / np.linalg.norm(w, axis=1, keepdims=True)).T


# ------------------------------------------------------------------ bfloat16 ---
def test_bf16_roundtrip_is_bit_exact_for_every_pattern() -> None:
    bits = np.arange(1 << 16, dtype=np.uint16)
    assert np.array_equal(st.f32_to_bf16_bits(st.bf16_bits_to_f32(bits)), bits)


@pytest.mark.parametrize("f32_bits, bf16_bits", [
    # 1.0 is 0x3F800000; one bf16 step at 1.0 is 2^-7, so 1 + 2^-8 = 0x3F808000 lies exactly halfway
    # between 0x3F80 (1.0) and 0x3F81 (1.0078125): tie -> even mantissa -> 0x3F80.
    (0x3F808000, 0x3F80),
    # 1 + 3*2^-8 = 0x3F818000 is halfway between 0x3F81 and 0x3F82: tie -> even -> 0x3F82 (rounds up).
    (0x3F818000, 0x3F82),
    # One ulp above the 1 + 2^-8 tie is past halfway -> up to 0x3F81; one ulp below -> down to 0x3F80.
    (0x3F808001, 0x3F81),
    (0x3F807FFF, 0x3F80),
    # Same tie with the sign set: -(1 + 2^-8) -> 0xBF80.
    (0xBF808000, 0xBF80),
    # Largest finite float32 0x7F7FFFFF: low half 0xFFFF > 0x8000 -> rounds up into the exponent -> +inf 0x7F80.
    (0x7F7FFFFF, 0x7F80),
    # inf stays inf.
    (0x7F800000, 0x7F80),
    # Subnormal ties: 0x00008000 -> halfway between 0x0000 and 0x0001 -> even 0x0000; 0x00018000 -> 0x0002.
    (0x00008000, 0x0000),
    (0x00018000, 0x0002),
    # NaN stays NaN: a quiet NaN truncates; a NaN whose payload is only in the low 16 bits
    # (0x7F800001) would truncate to inf, so the quiet bit is set -> 0x7FC0.
    (0x7FC00000, 0x7FC0),
    (0x7F800001, 0x7FC0),
    (0xFFC12345, 0xFFC1),
])
def test_bf16_round_to_nearest_even(f32_bits: int, bf16_bits: int) -> None:
    value = np.array([f32_bits], dtype=np.uint32).view(np.float32)
    assert int(st.f32_to_bf16_bits(value)[0]) == bf16_bits


# ----------------------------------------------------------- safetensors I/O ---
def test_reader_reads_independently_written_file(tmp_path: Path) -> None:
    data, stored = to_stored(np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5, "BF16")
    half = np.array([1.5, -2.0], dtype="<f2").tobytes()
    write_safetensors(tmp_path / "a.safetensors",
                      [("x", "BF16", (2, 3), data), ("y", "F16", (2,), half), ("z", "U8", (0,), b"")],
                      {"format": "pt"})
    header = st.read_header(tmp_path / "a.safetensors")
    assert list(header.tensors) == ["x", "y", "z"] and header.metadata == {"format": "pt"}
    assert np.array_equal(st.read_rows_float32(header, "x", 0, 2), stored)
    assert np.array_equal(st.read_rows_float32(header, "x", 1, 2), stored[1:])
    assert np.array_equal(st.decode_float32(st.read_raw(header, "y"), "F16", (2,)), [1.5, -2.0])
    assert st.read_raw(header, "z").size == 0


def test_writer_output_is_read_by_independent_reader(tmp_path: Path) -> None:
    values = np.array([[1.0, -0.5], [3.25, 0.0]], dtype=np.float32)
    st.write_file(tmp_path / "b.safetensors",
                  [("w", "F32", (2, 2), st.encode_float(values, "F32")),
                   ("b", "BF16", (2,), st.encode_float(values[0], "BF16"))], {"k": "v"})
    raw = (tmp_path / "b.safetensors").read_bytes()
    assert struct.unpack("<Q", raw[:8])[0] % 8 == 0  # header padded so data is 8-byte aligned
    header, data = read_safetensors(tmp_path / "b.safetensors")
    assert header["__metadata__"] == {"k": "v"}
    assert np.array_equal(decode(data["w"], "F32", (2, 2)), values)
    assert np.array_equal(decode(data["b"], "BF16", (2,)), values[0])


def _corrupt(path: Path, kind: str) -> None:
    """Damage a safetensors file in one specific way."""
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    first = next(k for k in header if k != "__metadata__")
    if kind == "bad_json":
        bad = blob[8:8 + n].replace(b'"dtype"', b'"dtype', 1)
        path.write_bytes(blob[:8] + bad + blob[8 + n:])
        return
    if kind == "truncated":
        path.write_bytes(blob[:-7])
        return
    if kind == "truncated_to_4_bytes":
        path.write_bytes(blob[:4])
        return
    if kind == "header_length_too_big":
        path.write_bytes(struct.pack("<Q", len(blob)) + blob[8:])
        return
    if kind == "offsets_out_of_range":  # last tensor moved 1 MiB on: byte count still right, range not
        last = max((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][1])
        header[last]["data_offsets"] = [o + (1 << 20) for o in header[last]["data_offsets"]]
    elif kind == "overlap":
        second = [k for k in header if k != "__metadata__"][1]
        header[second]["data_offsets"] = list(header[first]["data_offsets"])
        header[second]["shape"] = list(header[first]["shape"])
        header[second]["dtype"] = header[first]["dtype"]
    elif kind == "shape_mismatch":
        header[first]["shape"][0] += 1
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + blob[8 + n:])


CORRUPTIONS = {
    "bad_json": "not valid UTF-8 JSON",
    "truncated": "past the end",
    "truncated_to_4_bytes": "too short",
    "header_length_too_big": "exceeds the file size",
    "offsets_out_of_range": "past the end",
    "overlap": "overlap",
    "shape_mismatch": "needs",
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_read_header_rejects_corruption(tmp_path: Path, kind: str) -> None:
    fx = make_checkpoint(tmp_path / "src", "F16")
    _corrupt(fx.src / "model.safetensors", kind)
    with pytest.raises(st.SafetensorsFormatError, match=CORRUPTIONS[kind]) as info:
        st.read_header(fx.src / "model.safetensors")
    assert isinstance(info.value, ConversionError) and "model.safetensors" in str(info.value)


# --------------------------------------------------------------- conversion ---
@pytest.mark.parametrize("sharded", [False, True], ids=["single", "sharded"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_converted_plain_head_matches_normhead(tmp_path: Path, dtype: str, sharded: bool) -> None:
    fx = make_checkpoint(tmp_path / "src", dtype, sharded)
    src_hashes = {rel: sha(fx.src / rel) for rel in fx.files}
    dst = tmp_path / "out" / "baichuan1"
    report = convert(fx.src, dst)

    assert report.status == "converted" and report.verified
    assert (report.head_file, report.dtype, report.shape) == (fx.head_file, dtype, (50, 16))
    assert report.before.min < 0.9 and report.before.max > 1.1
    assert report.after is not None and abs(report.after.mean - 1) < LOGIT_TOL[dtype] * 2
    assert sorted(p.name for p in dst.parent.iterdir()) == ["baichuan1"]  # temp dir renamed away
    assert {rel: sha(fx.src / rel) for rel in fx.files} == src_hashes  # source untouched

    # Logits: NormHead on the original weights == plain linear head on the converted ones.
    header, data = read_safetensors(dst / fx.head_file)
    new_head = decode(data[HEAD], dtype, (50, 16))
    h = np.random.default_rng(42).standard_normal((8, 16)).astype(np.float32)
    expected, got = norm_head_logits(h, fx.head), h @ new_head.T
    assert np.max(np.abs(got - expected)) <= LOGIT_TOL[dtype] * np.max(np.abs(expected))

    # Every other file byte-identical; in the rewritten file only the head bytes differ.
    assert sorted(p for p in fx.files) == sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file())
    for rel in fx.files:
        if rel != fx.head_file:
            assert sha(dst / rel) == src_hashes[rel], rel
    old_header, old_data = read_safetensors(fx.src / fx.head_file)
    assert header == old_header  # same order, offsets, dtypes, __metadata__
    for name in old_data:
        if name != HEAD:
            assert data[name] == old_data[name], name
    assert data[HEAD] != old_data[HEAD]

    if sharded:  # index still valid: every tensor it names is in its shard
        weight_map = json.loads((dst / "model.safetensors.index.json").read_text())["weight_map"]
        for name, shard in weight_map.items():
            assert name in read_safetensors(dst / shard)[0]


def test_existing_empty_destination_is_used(tmp_path: Path) -> None:
    fx = make_checkpoint(tmp_path / "src", "F32")
    (tmp_path / "dst").mkdir()
    assert convert(fx.src, tmp_path / "dst").status == "converted"
    assert (tmp_path / "dst" / "config.json").is_file()


def test_zero_row_stays_zero_and_is_reported(tmp_path: Path) -> None:
    head = head_values(50, 16)
    head[[3, 7]] = 0.0
    fx = make_checkpoint(tmp_path / "src", "BF16", head=head)
    report = convert(fx.src, tmp_path / "dst")
    assert report.before.zero_rows == 2 and any("2 row(s)" in n for n in report.notes)
    new_head = decode(read_safetensors(tmp_path / "dst" / "model.safetensors")[1][HEAD], "BF16", (50, 16))
    assert not new_head[[3, 7]].any()
    norms = np.linalg.norm(np.delete(new_head, [3, 7], axis=0), axis=1)
    assert np.allclose(norms, 1.0, atol=baichuan.TOLERANCE["BF16"])


def test_already_normalised_head_is_detected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fx = make_checkpoint(tmp_path / "src", "BF16", sharded=True)
    convert(fx.src, tmp_path / "once")
    report = convert(tmp_path / "once", tmp_path / "twice")
    assert report.status == "already_normalised" and not report.verified
    no_leftovers(tmp_path / "twice")
    assert run_cli(["convert", "baichuan2-to-baichuan1", str(tmp_path / "once"), str(tmp_path / "twice")]) == 0
    assert "already normalised" in capsys.readouterr().out
    no_leftovers(tmp_path / "twice")


def test_missing_lm_head_is_refused_with_names(tmp_path: Path) -> None:
    fx = make_checkpoint(tmp_path / "src", "F16", sharded=True, head_name="output.weight")
    with pytest.raises(ConversionError, match="no tensor named 'lm_head.weight'") as info:
        convert(fx.src, tmp_path / "dst")
    assert "output.weight" in str(info.value) and "model.embed_tokens.weight" in str(info.value)
    no_leftovers(tmp_path / "dst")


def test_dry_run_reports_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fx = make_checkpoint(tmp_path / "src", "BF16", sharded=True)
    before = {rel: sha(fx.src / rel) for rel in fx.files}
    code = run_cli(["convert", "baichuan2-to-baichuan1", str(fx.src), str(tmp_path / "dst"), "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Dry run" in out and "model-00002-of-00002.safetensors" in out
    assert "[50, 16]" in out and "BF16" in out and all(k in out for k in ("min ", "mean ", "max "))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]
    assert {rel: sha(fx.src / rel) for rel in fx.files} == before
    report = convert(fx.src, tmp_path / "dst", dry_run=True)
    assert report.status == "dry_run" and "config.json" in report.copied_files
    assert fx.head_file not in report.copied_files


@pytest.mark.parametrize("where", ["same", "inside", "nested_deep", "non_empty", "is_file", "parent_of_src"])
def test_refuses_unsafe_destination(tmp_path: Path, where: str) -> None:
    fx = make_checkpoint(tmp_path / "ckpt" / "src", "F32")
    dst = {"same": fx.src, "inside": fx.src / "out", "nested_deep": fx.src / "extra" / "out",
           "non_empty": tmp_path / "full", "is_file": tmp_path / "file", "parent_of_src": tmp_path / "ckpt"}[where]
    if where == "non_empty":
        dst.mkdir()
        (dst / "keep.txt").write_text("mine")
    if where == "is_file":
        dst.write_text("mine")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(ConversionError):
        convert(fx.src, dst)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_refuses_missing_source(tmp_path: Path) -> None:
    with pytest.raises(ConversionError, match="not a directory"):
        convert(tmp_path / "nope", tmp_path / "dst")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConversionError, match="no model.safetensors"):
        convert(tmp_path / "empty", tmp_path / "dst")


@pytest.mark.parametrize("kind", ["bad_json", "offsets_out_of_range", "truncated"])
@pytest.mark.parametrize("which", ["head_shard", "other_shard", "single"])
def test_corrupt_input_gives_clear_error_and_no_output(tmp_path: Path, kind: str, which: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    fx = make_checkpoint(tmp_path / "src", "BF16", sharded=which != "single")
    victim = {"head_shard": "model-00002-of-00002.safetensors", "other_shard": "model-00001-of-00002.safetensors",
              "single": "model.safetensors"}[which]
    _corrupt(fx.src / victim, kind)
    with pytest.raises(ConversionError, match=CORRUPTIONS[kind]) as info:
        convert(fx.src, tmp_path / "dst")
    assert victim in str(info.value)
    no_leftovers(tmp_path / "dst")
    assert run_cli(["convert", "baichuan2-to-baichuan1", str(fx.src), str(tmp_path / "dst")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and victim in err and "Traceback" not in err
    no_leftovers(tmp_path / "dst")


@pytest.mark.parametrize("problem", ["missing_shard", "wrong_shard", "no_weight_map", "not_json"])
def test_bad_index_is_refused(tmp_path: Path, problem: str) -> None:
    fx = make_checkpoint(tmp_path / "src", "F16", sharded=True)
    index_path = fx.src / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    if problem == "missing_shard":
        (fx.src / "model-00001-of-00002.safetensors").unlink()
    elif problem == "wrong_shard":
        index["weight_map"]["model.norm.weight"] = "model-00001-of-00002.safetensors"
    elif problem == "no_weight_map":
        del index["weight_map"]
    index_path.write_text("{oops" if problem == "not_json" else json.dumps(index))
    with pytest.raises(ConversionError, match="model.safetensors.index.json"):
        convert(fx.src, tmp_path / "dst")
    no_leftovers(tmp_path / "dst")


def test_failure_while_copying_removes_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_checkpoint(tmp_path / "src", "F16", sharded=True)
    real_copy, calls = baichuan.shutil.copyfile, []

    def flaky_copy(a: Path, b: Path) -> object:
        calls.append(a)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_copy(a, b)

    monkeypatch.setattr(baichuan.shutil, "copyfile", flaky_copy)
    with pytest.raises(OSError):
        convert(fx.src, tmp_path / "dst")
    no_leftovers(tmp_path / "dst")


def test_failed_verification_removes_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_checkpoint(tmp_path / "src", "BF16")
    # Simulate a writer bug: the head shard is copied but never normalised.
    monkeypatch.setattr(baichuan._SafetensorsBackend, "write_normalised",
                        lambda self, src, dst, norms: baichuan.shutil.copyfile(src, dst))
    with pytest.raises(ConversionError, match="verification failed"):
        convert(fx.src, tmp_path / "dst")
    no_leftovers(tmp_path / "dst")


def test_both_weight_formats_refused(tmp_path: Path) -> None:
    fx = make_checkpoint(tmp_path / "src", "F32")
    (fx.src / "pytorch_model.bin").write_bytes(b"stale")
    with pytest.raises(ConversionError, match="both safetensors and PyTorch"):
        convert(fx.src, tmp_path / "dst")


def test_non_float_head_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_safetensors(src / "model.safetensors", [(HEAD, "I32", (2, 2), bytes(16))])
    with pytest.raises(ConversionError, match="dtype I32"):
        convert(src, tmp_path / "dst")


# ------------------------------------------------------------ PyTorch .bin ---
def test_bin_without_torch_explains_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "pytorch_model.bin").write_bytes(b"not read")
    (src / "config.json").write_text("{}")
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(ConversionError, match=r"pip install torch.*llmplan\[torch\]"):
        convert(src, tmp_path / "dst")
    assert run_cli(["convert", "baichuan2-to-baichuan1", str(src), str(tmp_path / "dst")]) == 2
    err = capsys.readouterr().err
    assert "pip install torch" in err and "Traceback" not in err
    no_leftovers(tmp_path / "dst")


@pytest.mark.parametrize("dtype", DTYPES)
def test_bin_checkpoint_with_fake_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dtype: str) -> None:
    """Exercises the .bin code path with a numpy stand-in for torch (the real one is optional)."""
    torch = fake_torch()
    monkeypatch.setitem(sys.modules, "torch", torch)
    fx = make_checkpoint(tmp_path / "src", dtype, fmt="bin")
    report = convert(fx.src, tmp_path / "dst")
    assert report.status == "converted" and report.format == "pytorch" and report.dtype == dtype
    state = torch.load(tmp_path / "dst" / "pytorch_model.bin")
    h = np.random.default_rng(3).standard_normal((8, 16)).astype(np.float32)
    expected, got = norm_head_logits(h, fx.head), h @ state[HEAD].values.T
    assert np.max(np.abs(got - expected)) <= LOGIT_TOL[dtype] * np.max(np.abs(expected))
    assert sha(tmp_path / "dst" / "tokenizer.model") == sha(fx.src / "tokenizer.model")
    assert convert(tmp_path / "dst", tmp_path / "again").status == "already_normalised"


def test_bin_checkpoint_with_real_torch(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    src = tmp_path / "src"
    src.mkdir()
    head = torch.from_numpy(head_values(50, 16)).to(torch.bfloat16)
    other = torch.randn(50, 16, dtype=torch.bfloat16)
    shards = {"pytorch_model-00001-of-00002.bin": {"model.embed_tokens.weight": other},
              "pytorch_model-00002-of-00002.bin": {HEAD: head, "model.norm.weight": torch.ones(16)}}
    for name, state in shards.items():
        torch.save(state, src / name)
    weight_map = {t: name for name, state in shards.items() for t in state}
    (src / "pytorch_model.bin.index.json").write_text(json.dumps({"weight_map": weight_map}))
    report = convert(src, tmp_path / "dst")
    assert report.status == "converted" and report.head_file == "pytorch_model-00002-of-00002.bin"
    new = torch.load(tmp_path / "dst" / report.head_file, weights_only=True)
    assert new[HEAD].dtype == torch.bfloat16
    h = torch.randn(8, 16)
    expected = h @ torch.nn.functional.normalize(head.float(), dim=1).T
    got = h @ new[HEAD].float().T
    assert (got - expected).abs().max() <= 1e-2 * expected.abs().max()
    assert sha(tmp_path / "dst" / "pytorch_model-00001-of-00002.bin") == sha(src / "pytorch_model-00001-of-00002.bin")


# --------------------------------------------------------------------- CLI ---
def test_cli_convert_prints_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fx = make_checkpoint(tmp_path / "src", "F16", sharded=True)
    assert run_cli(["convert", "baichuan2-to-baichuan1", str(fx.src), str(tmp_path / "dst")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Converted") and "verified" in out and "model-00002-of-00002.safetensors" in out


def test_cli_refusal_exit_code_and_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fx = make_checkpoint(tmp_path / "src", "F16")
    assert run_cli(["convert", "baichuan2-to-baichuan1", str(fx.src), str(fx.src)]) == 2
    err = capsys.readouterr().err
    assert "source" in err and "Traceback" not in err


def test_cli_requires_conversion_name() -> None:
    parser = argparse.ArgumentParser(prog="llmplan")
    convert_cli.add_parser(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit) as info:
        parser.parse_args(["convert"])
    assert info.value.code == 2


def test_cli_module_import_does_not_load_numpy() -> None:
    code = ("import sys, importlib.util; import engine; before = 'numpy' in sys.modules; "
            "import engine.cli.commands.convert; sys.exit(0 if before or 'numpy' not in sys.modules else 1)")
    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_small_chunks_give_identical_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The head is processed in row blocks; block boundaries must not change a single byte."""
    fx = make_checkpoint(tmp_path / "src", "BF16", sharded=True)
    convert(fx.src, tmp_path / "whole")
    monkeypatch.setattr(baichuan, "_CHUNK_BYTES", 7 * 16 * 8)  # 7 rows of float64 per block: 8 blocks
    convert(fx.src, tmp_path / "blocks")
    assert sha(tmp_path / "whole" / fx.head_file) == sha(tmp_path / "blocks" / fx.head_file)
