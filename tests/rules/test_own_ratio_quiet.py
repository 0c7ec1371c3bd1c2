"""A ratio the user types (tokens_per_char, chars_per_token) replaces the default tokenizer's figure quietly.

The default tokenizer (generic-zh, seed §8: 1 token ≈ 1.55 Chinese characters, 0.6452 tokens per
character) is a convention; a ratio the user gives is the same figure in another form, which the
planner lets replace the default (engine/solve/planning.py, _held_defaults), so "tokens_per_char_zh
follows from the values given, not from its default" said nothing the user did not know. A ratio that
disagrees with a tokenizer the user named, or counts that imply another ratio, are still refused.
"""
from __future__ import annotations

import pytest

from engine import ContradictionError
from engine.table.scope import shown_warnings

OVERRIDDEN = "default_overridden.tokens_per_char_zh"


@pytest.mark.parametrize("given", [{"tokens_per_char": "0.737"}, {"chars_per_token": "1.5"}])
def test_own_ratio_is_quiet(eng, given):
    # the user's ratio replaces the default tokenizer's (generic-zh, 1/1.55): nothing to warn about
    r = eng.solve(["corpus_bytes"], {"unique_tokens": "1B", **given})
    assert OVERRIDDEN not in {w.code for w in r.warnings}
    assert not [w for w in shown_warnings(r) if w.code.startswith("default_overridden.")]
    ratio = float(given.get("tokens_per_char", 0)) or 1 / float(given["chars_per_token"])
    assert r.values["corpus_bytes"] == pytest.approx(1e9 / ratio * 3, rel=1e-12)   # × 3 B per CJK char


@pytest.mark.parametrize("given", [{"tokens_per_char": "0.737"}, {"chars_per_token": "1.5"}])
def test_own_ratio_against_a_named_tokenizer_is_refused(eng, given):
    # LLaMA's Chinese figure is 1.312 tokens per character (seed §8): 0.737 or 1/1.5 contradict it
    with pytest.raises(ContradictionError):
        eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "tokenizer": "llama", **given})


def test_counts_that_imply_another_ratio_are_still_refused(eng):
    # 1e9 tokens over 2e9 characters is 2 characters per token, derived from counts, not a ratio the
    # user typed: the default tokenizer's 1.55 (generic-zh, seed §8 midpoint) is a convention that does
    # not bend, so the counts contradict it (22.5 % apart: |2 - 1.55| / 2), as before
    with pytest.raises(ContradictionError):
        eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "corpus_chars": "2e9"})
