"""A typed catalog key whose entry has no figure for the convention in force (issue: tokenizer=llama3
on Chinese text) is named as the cause of an under-determined question, with both ways out.

catalogs/tokenizers.yaml: llama3 has chars_per_token_en = 3.94 (Llama 3 Herd §3.2) and no Chinese
figure; baichuan-7b has tokens_per_char_zh = 0.737 (seed §8) and no English one. text_language
(formulas/storage.yaml) defaults to zh and picks which figure the rules read.
"""
from __future__ import annotations

import pytest

from engine import UnderdeterminedError
from engine.messages import localized

LLAMA3_ZH = {"tokens": "15T", "corpus_bytes": "20TB", "tokenizer": "llama3"}


def refusal(eng, targets, givens):
    with pytest.raises(UnderdeterminedError) as info:
        eng.solve(targets, givens)
    return info.value


def test_llama3_on_chinese_text_names_the_missing_figure_and_the_ways_out(eng):
    message = str(refusal(eng, ["epochs"], LLAMA3_ZH))
    cause, _, rest = message.partition("Otherwise")
    assert "tokens_per_char_zh" in cause and "tokenizer" in cause and "chars_per_token_en" in cause
    assert "text_language=en" in cause                            # the convention its figure is for
    assert "chars_per_token" in cause.replace("chars_per_token_en", "") and "tokens_per_char," in cause
    assert "to solve epochs" in rest                               # the usual list still follows
    assert "activation_model" not in message                       # (a convention unrelated to the cause)


def test_llama3_refusal_in_chinese(eng):
    chinese = localized(refusal(eng, ["epochs"], LLAMA3_ZH), "zh")
    assert "缺少 tokens_per_char_zh" in chinese and "text_language=en" in chinese and "要求解 epochs" in chinese


def test_following_the_advice_answers(eng):
    # 20e12 bytes / 1 byte per ASCII character (RFC 3629) / 3.94 characters per token = 5.0761e12 tokens;
    # 15e12 / 5.0761e12 = 2.955 epochs
    english = eng.solve(["epochs"], {**LLAMA3_ZH, "text_language": "en"})
    assert english.values["epochs"] == pytest.approx(15e12 / (20e12 / 3.94), rel=1e-9)
    # or the ratio yourself: 20e12 bytes / 3 bytes per CJK character × 0.7 tokens per character
    # = 4.6667e12 tokens; 15e12 / 4.6667e12 = 3.214 epochs
    own = eng.solve(["epochs"], {**LLAMA3_ZH, "tokens_per_char": "0.7"})
    assert own.values["epochs"] == pytest.approx(15e12 / (20e12 / 3 * 0.7), rel=1e-9)


def test_chinese_tokenizer_on_english_text(eng):
    message = str(refusal(eng, ["corpus_bytes"], {"unique_tokens": "1B", "tokenizer": "baichuan",
                                                  "text_language": "en"}))
    cause = message.partition("Otherwise")[0]
    assert "chars_per_token_en" in cause and "tokens_per_char_zh" in cause and "text_language=zh" in cause


def test_no_way_out_through_the_language_says_only_the_figure(eng):
    # compress_rate is the Chinese figure itself: English text does not answer it
    cause = str(refusal(eng, ["compress_rate"], {"tokenizer": "llama3"})).partition("Otherwise")[0]
    assert "tokens_per_char_zh is missing" in cause and "text_language=en" in cause
    assert "does not answer" in cause and "Give text_language" not in cause


def test_default_tokenizer_is_not_called_given(eng):
    # no tokenizer typed: the default (generic-zh) has no English figure, but nothing was given to blame
    message = str(refusal(eng, ["corpus_bytes"], {"unique_tokens": "1B", "text_language": "en"}))
    assert "tokenizer given" not in message and "to solve corpus_bytes" in message
