"""`llmplan measure`: tokens, characters and bytes of a corpus with a tokenizer trained here."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

tokenizers = pytest.importorskip("tokenizers")

from engine.tools import measure as measure_module
from engine.tools.measure import MeasureError, measure, solve_line

ZH = "大模型训练需要大量的计算资源和高质量的数据。每个参数大约需要二十个文本词元。\n"
EN = "Large language models need compute and data. Chinchilla uses about twenty tokens per parameter.\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "zh.txt").write_text(ZH * 40, encoding="utf-8")
    (folder / "en.txt").write_text(EN * 40, encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "mixed.txt").write_text((ZH + EN) * 10, encoding="utf-8")
    (folder / ".hidden").write_text("skipped", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def tokenizer_file(tmp_path_factory, corpus):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["[UNK]"], show_progress=False)
    tok.train([str(corpus / "zh.txt"), str(corpus / "en.txt")], trainer)
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    tok.save(str(path))
    return path


def _tokens(tokenizer_file, text: str) -> int:
    from tokenizers import Tokenizer

    return len(Tokenizer.from_file(str(tokenizer_file)).encode(text, add_special_tokens=False).ids)


def test_counts_per_file_and_total(corpus, tokenizer_file):
    result = measure([corpus], tokenizer_file)
    names = [c.path.replace(str(corpus), "") for c in result.files]
    assert names == ["/en.txt", "/zh.txt", "/sub/mixed.txt"]   # sorted, a folder's files first, hidden skipped
    zh = result.files[1]
    assert zh.chars == len(ZH) * 40
    assert zh.bytes == len((ZH * 40).encode("utf-8"))
    assert zh.tokens == _tokens(tokenizer_file, ZH * 40)
    assert zh.bytes_per_char == pytest.approx(zh.bytes / zh.chars)
    assert zh.tokens_per_char * zh.chars_per_token == pytest.approx(1)
    assert zh.bytes_per_token == pytest.approx(zh.bytes / zh.tokens)
    # a CJK character is 3 bytes in UTF-8 (RFC 3629); the only 1-byte characters here are the newlines
    assert zh.bytes_per_char == pytest.approx((3 * (len(ZH) - 1) + 1) / len(ZH))
    total = result.total
    assert total.files == 3
    assert (total.chars, total.bytes, total.tokens) == tuple(sum(getattr(c, k) for c in result.files)
                                                             for k in ("chars", "bytes", "tokens"))


def test_chunked_reading_counts_the_same(corpus, tokenizer_file, monkeypatch):
    whole = measure([corpus / "sub" / "mixed.txt"], tokenizer_file).total
    monkeypatch.setattr(measure_module, "CHUNK_CHARS", 17)
    monkeypatch.setattr(measure_module, "BATCH", 3)
    chunked = measure([corpus / "sub" / "mixed.txt"], tokenizer_file).total
    assert (chunked.chars, chunked.bytes, chunked.tokens) == (whole.chars, whole.bytes, whole.tokens)


def test_solve_line_feeds_the_storage_rules(corpus, tokenizer_file):
    import engine

    total = measure([corpus], tokenizer_file).total
    line = solve_line(total, unique_tokens=str(total.tokens))
    assert line.startswith("llmplan solve corpus_bytes unique_tokens=")
    givens = dict(item.split("=", 1) for item in line.split()[3:])
    r = engine.Engine.load().solve(["corpus_bytes"], givens)
    assert r.values["corpus_bytes"] == pytest.approx(total.bytes, rel=1e-5)   # 6 significant digits printed


def test_gbk_files_need_their_encoding(tmp_path, tokenizer_file):
    path = tmp_path / "gbk.txt"
    path.write_bytes((ZH * 5).encode("gbk"))
    with pytest.raises(MeasureError, match="give --encoding"):
        measure([path], tokenizer_file)
    counts = measure([path], tokenizer_file, encoding="gbk").total
    assert counts.chars == len(ZH) * 5
    assert counts.bytes_per_char == pytest.approx((2 * (len(ZH) - 1) + 1) / len(ZH))   # 2 bytes per CJK char in GBK


def test_missing_inputs_are_clear_errors(tmp_path, tokenizer_file):
    with pytest.raises(MeasureError, match="no such file or folder"):
        measure([tmp_path / "nothing"], tokenizer_file)
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(MeasureError, match="nothing is downloaded"):
        measure([tmp_path / "a.txt"], tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(MeasureError, match="not a Hugging Face tokenizer.json"):
        measure([tmp_path / "a.txt"], tmp_path / "bad.json")


def test_empty_file_has_no_ratios(tmp_path, tokenizer_file):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    counts = measure([tmp_path / "empty.txt"], tokenizer_file).total
    assert counts.tokens == 0 and counts.chars_per_token is None and solve_line(counts) == ""


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", "measure", *args], check=False, capture_output=True, text=True,
                          timeout=120)


def test_cli_text_and_json(corpus, tokenizer_file):
    out = _cli(str(corpus), "--tokenizer", str(tokenizer_file))
    assert out.returncode == 0, out.stderr
    assert "tokens/char" in out.stdout and "total (3 files)" in out.stdout
    assert "llmplan solve corpus_bytes unique_tokens=1T chars_per_token=" in out.stdout
    data = json.loads(_cli(str(corpus / "zh.txt"), "--tokenizer", str(tokenizer_file.parent), "--json").stdout)
    assert data["total"]["chars"] == len(ZH) * 40 and data["files"][0]["tokens"] == data["total"]["tokens"]
    assert data["solve"].startswith("llmplan solve corpus_bytes")
    bad = _cli(str(corpus), "--tokenizer", str(corpus / "none.json"))
    assert bad.returncode == 2 and "none.json" in bad.stderr and "Traceback" not in bad.stderr
