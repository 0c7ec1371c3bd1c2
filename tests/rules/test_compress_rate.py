"""The seed §8 table's tokenizer "Compress Rate" as a public variable, and a user's own ratio.

The table (Baichuan-7B README, copied into the seed) gives Baichuan-7B 0.737, LLaMA 1.312,
Falcon 1.049, mpt-7B 1.206, ChatGLM 0.631, moss-moon-003 0.659; llmplan reads the figure as
tokens per Chinese character (catalogs/tokenizers.yaml), so compress_rate = tokens_per_char_zh
(rule storage.compress_rate). Given, it replaces the default tokenizer's figure without a warning
(tests/rules/test_own_ratio_quiet.py); against a tokenizer the user named it is a contradiction.
"""
from __future__ import annotations

import pytest

from engine import ContradictionError

SEED_TABLE = {"baichuan-7b": 0.737, "llama": 1.312, "falcon": 1.049, "mpt-7b": 1.206, "chatglm": 0.631,
              "moss-moon-003": 0.659}
OVERRIDDEN = "default_overridden.tokens_per_char_zh"


@pytest.mark.parametrize("tokenizer,rate", sorted(SEED_TABLE.items()))
def test_compress_rate_of_each_seed_tokenizer(eng, tokenizer, rate):
    r = eng.solve(["compress_rate"], {"tokenizer": tokenizer})
    assert r.values["compress_rate"] == pytest.approx(rate, rel=1e-12)


def test_compress_rate_given_sets_the_chinese_ratio(eng):
    # 1e12 tokens / 0.737 tokens per character = 1.356852e12 characters × 3 bytes (UTF-8 CJK, RFC 3629)
    # = 4.070556e12 bytes, the same as tokenizer=baichuan-7b gives
    r = eng.solve(["corpus_bytes"], {"unique_tokens": "1T", "compress_rate": "0.737"})
    assert r.values["corpus_bytes"] == pytest.approx(1e12 / 0.737 * 3, rel=1e-12)
    assert r.values["tokens_per_char"] == pytest.approx(0.737, rel=1e-12)
    assert OVERRIDDEN not in {w.code for w in r.warnings}


def test_compress_rate_solved_backwards(eng):
    # 4,070.556 GB of UTF-8 Chinese at 3 bytes per character = 1.356852e12 characters;
    # 1e12 tokens / 1.356852e12 characters = 0.737 tokens per character (Baichuan-7B's figure)
    r = eng.solve(["compress_rate"], {"unique_tokens": "1T", "corpus_bytes": "4070.556GB"})
    assert r.values["compress_rate"] == pytest.approx(0.737, rel=1e-6)
    assert OVERRIDDEN not in {w.code for w in r.warnings}


def test_compress_rate_and_english_text(eng):
    # compress_rate is the Chinese figure: with English text it does not set the ratio, and the
    # English corpus still needs an English figure (Llama 2: 3.17 characters per token)
    r = eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "compress_rate": "1.312", "tokenizer": "llama",
                                     "text_language": "en"})
    assert r.values["corpus_bytes"] == pytest.approx(1e9 * 3.17 * 1, rel=1e-12)


def test_compress_rate_against_a_named_tokenizer_is_refused(eng):
    # LLaMA's Chinese figure is 1.312 tokens per character (seed §8), not Baichuan-7B's 0.737
    with pytest.raises(ContradictionError):
        eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "tokenizer": "llama", "compress_rate": "0.737"})
