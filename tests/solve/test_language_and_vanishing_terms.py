"""Two planner behaviours the catalog branch needs (issue #14 merged onto #13's planner semantics).

1. A measured figure given in another form replaces a default convention, through a chain of
   renaming rules: chars_per_token given -> tokens_per_char = 1 / chars_per_token ->
   tokens_per_char = tokens_per_char_zh (the default tokenizer generic-zh's Chinese figure).
2. A term that vanishes for the given inputs (QK-norm off) leaves its variable undetermined:
   heads from a parameter count is a missing value, not a contradiction.
"""
from __future__ import annotations

from typing import Any

import pytest

from engine.errors import UnderdeterminedError

GB = 1e9


def test_a_measured_chars_per_token_replaces_the_default_tokenizer(eng: Any) -> None:
    # hand: 1e9 tokens × 1.5 chars/token (given) × 3 B/char (UTF-8 CJK, RFC 3629 §3; default encoding utf-8,
    # text_language zh) = 4.5e9 B; generic-zh's own figure (1 / 0.6452 = 1.55 chars/token) is not used
    r = eng.solve(["corpus_bytes"], {"unique_tokens": "1B", "chars_per_token": 1.5})
    assert r.values["corpus_bytes"] == pytest.approx(4.5 * GB, rel=1e-12)


def test_heads_from_a_count_without_qk_norm_is_missing(eng: Any) -> None:
    # hand: with head_dim = hidden / heads and kv_heads = heads, attention is 4·hidden² whatever heads is:
    # embeddings 2·1000·256 + 2·(4·256² + 3·256·512 + 2·256) + 256 = 1,824,000 for every heads
    shapes = {"layers": 2, "hidden": 256, "ffn_hidden": 512, "vocab_size": 1000}
    with pytest.raises(UnderdeterminedError, match="heads"):
        eng.solve(["heads"], {**shapes, "arch_params": 1_318_144})


def test_heads_from_a_count_with_qk_norm(eng: Any) -> None:
    # hand: QK-norm adds 2·head_dim = 2·256/heads per layer; 8 heads: 1,824,000 + 2 layers·64 = 1,824,128
    shapes = {"layers": 2, "hidden": 256, "ffn_hidden": 512, "vocab_size": 1000, "qk_norm": 1}
    r = eng.solve(["heads"], {**shapes, "arch_params": 1_824_128})
    assert r.values["heads"] == pytest.approx(8, rel=1e-9)
