"""Tokens -> characters -> bytes by language (issue #14, "Tokenizers by language").

A tokenizer's ratio and an encoding's bytes per character belong to the language of the text
they were measured on; text_language (formulas/storage.yaml) picks both, and an encoding made
for one language sets it. Numbers: hand calculations written out in each test, from the
figures cited in catalogs/tokenizers.yaml and catalogs/encodings.yaml.
"""
from __future__ import annotations

import pytest

import engine
from engine import EngineError
from engine.errors import CatalogSelectorError
from engine.errors import UnderdeterminedError

GB = 1e9


@pytest.fixture(scope="module")
def eng():
    return engine.Engine.load()


def test_llama3_english_corpus_is_about_60_tb(eng):
    # Llama 3 Herd §3.2: 3.94 characters per English token; RFC 3629: ASCII is 1 byte.
    # 15e12 × 3.94 × 1 = 5.91e13 bytes = 59.1 TB (before the language split: 23 TB, a Chinese ratio)
    r = eng.solve(["corpus_bytes"], {"unique_tokens": "15T", "tokenizer": "llama3", "encoding": "utf-8-en"})
    assert r.values["corpus_bytes"] == pytest.approx(15e12 * 3.94 * 1, rel=1e-12)
    assert r.values["chars_per_token"] == 3.94 and r.values["bytes_per_char"] == 1


def test_the_language_picks_both_figures_of_a_shared_encoding(eng):
    # utf-8 serves both languages: English text 1 byte per character, Chinese 3 (RFC 3629 §3)
    en = eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "tokenizer": "llama", "encoding": "utf-8",
                                      "text_language": "en"})
    assert en.values["corpus_bytes"] == pytest.approx(1e9 * 3.17 * 1, rel=1e-12)   # Llama 2: 3.17 chars/token
    zh = eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "tokenizer": "llama", "encoding": "utf-8",
                                      "text_language": "zh"})
    assert zh.values["corpus_bytes"] == pytest.approx(1e9 / 1.312 * 3, rel=1e-12)  # seed §8: 1.312 tokens/char


def test_default_stays_chinese(eng):
    # text_language defaults to zh (seed §8): 1e12 tokens / 0.737 tokens per character × 3 bytes (UTF-8)
    r = eng.solve(["corpus_bytes"], {"unique_tokens": "1T", "tokenizer": "baichuan-7b"})
    assert r.values["corpus_bytes"] == pytest.approx(1e12 / 0.737 * 3, rel=1e-12)
    assert ("text_language", "zh") in {(name, str(value)) for name, value, *_ in r.assumptions}


def test_seed_figure_still_reproduced(eng):
    # seed §8: 1B tokens × 1.55 characters × 2 bytes = 3.1 GB ("约 3G")
    r = eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "encoding": "seed-2byte"})
    assert r.values["corpus_bytes"] == pytest.approx(1e9 * 1.55 * 2, rel=1e-5)


def test_english_encoding_with_chinese_text_is_refused(eng):
    with pytest.raises(CatalogSelectorError) as info:
        eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "tokenizer": "baichuan-7b", "encoding": "utf-8-en",
                                     "text_language": "zh"})
    assert "utf-8-en" in str(info.value) and "text_language" in str(info.value)


def test_no_figure_for_the_language_asks_instead_of_borrowing(eng):
    # baichuan-7b has only a Chinese figure: with English text (utf-8-en) nothing is borrowed
    with pytest.raises(UnderdeterminedError, match="chars_per_token"):
        eng.solve(["corpus_bytes"], {"unique_tokens": "15T", "tokenizer": "baichuan-7b", "encoding": "utf-8-en"})
    # llama3 has only an English figure: Chinese text needs the user's own measurement
    with pytest.raises(UnderdeterminedError, match="chars_per_token"):
        eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "tokenizer": "llama3", "encoding": "utf-8-zh"})
    # ... which it then uses: 1e9 × 1.5 chars × 3 bytes = 4.5 GB
    r = eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "tokenizer": "llama3", "encoding": "utf-8-zh",
                                     "chars_per_token": 1.5})
    assert r.values["corpus_bytes"] == pytest.approx(4.5 * GB, rel=1e-12)


def test_two_catalog_keys_that_disagree_are_refused(eng):
    with pytest.raises(EngineError, match="text_language"):
        eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "encoding": "utf-8-en", "text_language": "zh"})


def test_every_tokenizer_figure_names_its_language():
    import yaml
    from pathlib import Path

    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "catalogs" / "tokenizers.yaml").read_text("utf-8"))
    assert set(data["fields"]) == {"tokens_per_char_zh", "chars_per_token_en"}
    for key, entry in data["entries"].items():
        assert "tokens_per_char" not in entry and "chars_per_token" not in entry, key


def test_qwen_measured_figures_by_language(eng):
    # catalogs/tokenizers.yaml, measured with llmplan measure: English 465,126 chars / 106,296 tokens = 4.376
    # chars per token; Chinese 3,027 tokens / 4,497 chars = 0.6731 tokens per character
    assert 465_126 / 106_296 == pytest.approx(4.376, abs=5e-4) and 3_027 / 4_497 == pytest.approx(0.6731, abs=5e-5)
    en = eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "tokenizer": "qwen2.5", "encoding": "utf-8-en"})
    assert en.values["corpus_bytes"] == pytest.approx(1e9 * 4.376 * 1, rel=1e-12)
    zh = eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "tokenizer": "qwen3", "encoding": "utf-8-zh"})
    assert zh.values["corpus_bytes"] == pytest.approx(1e9 / 0.6731 * 3, rel=1e-12)


def test_issue_example_english_tokens_never_take_the_chinese_default(llmplan):
    # issue #14: `corpus_bytes unique_tokens=15T encoding=utf-8-en` gave 15e12 × 1.55 (generic-zh, a Chinese
    # ratio) × 1 B = 23.25 TB. English text now never borrows the Chinese figure: without a tokenizer that
    # has an English figure the question asks for one ...
    asked = llmplan("solve", "corpus_bytes", "unique_tokens=15T", "encoding=utf-8-en")
    assert asked.returncode != 0 and "chars_per_token" in asked.stderr
    assert "23" not in asked.stdout
    # ... and with Llama 3's (Llama 3 Herd §3.2: 3.94 chars/token) it is 15e12 × 3.94 × 1 B = 59.1 TB (≈ 60 TB)
    done = llmplan("solve", "corpus_bytes", "unique_tokens=15T", "tokenizer=llama3", "encoding=utf-8-en", "--json")
    assert done.returncode == 0, done.stderr
    import json

    value = json.loads(done.stdout)["values"]["corpus_bytes"]["value"]
    assert value == pytest.approx(15e12 * 3.94, rel=1e-12)
    assert 55e12 < value < 65e12
