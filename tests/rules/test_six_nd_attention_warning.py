"""The seed's 6·N·D at long context (flops_breakdown.six_nd_leaves_out_attention): the default flops_model
leaves out the attention scores, which causal attention makes 6·layers·seq_len·(heads·head_dim) FLOPs per
token (Kaplan et al. 2020 §2.1: C_forward ≈ 2N + 2·n_layer·n_ctx·d_attn, training 3× the forward).

Walk-through: Qwen2.5-7B (catalog: 28 layers, 28 heads × 128, params 7.61e9), full fine-tune, 8 H100 SXM,
mfu 0.4, 100k packed samples of 8,192 tokens = 819.2M tokens.
  six_nd: 6 · 7.61e9 · 819.2e6 / (8 · 989e12 · 0.4) = 11,819 s = 3.283 h
  attention per token at 32,768: 6 · 28 · 32,768 · 3,584 = 19.73 GFLOP against 6N = 45.66 GFLOP
  factor 1 + 28 · 28 · 128 · 32,768 / 7.61e9 = 1.432107 (the warning fires above 10/9: attention > 10 % of all)
  at 2,048: 1 + 28 · 28 · 128 · 2,048 / 7.61e9 = 1.027  (quiet)
  at 8,192: 1.108 (quiet, just under 10/9 = 1.111); at 16,384: 1.216 (fires)
"""
from __future__ import annotations

import pytest

from engine import Engine

ENGINE = Engine.load()
CODE = "flops_breakdown.six_nd_leaves_out_attention"
WALK = {"model": "qwen2.5-7b", "method": "full", "precision": "mixed-bf16", "zero_stage": "3", "gpu": "H100-SXM",
        "n_gpus": "8", "seq_len": "32768", "samples": "100k", "tokens_per_sample": "8192", "packing": "on",
        "mfu": "0.4"}
SIX_ND_HOURS = 6 * 7.61e9 * 819.2e6 / (8 * 989e12 * 0.4) / 3600      # 3.283 h
FACTOR = 1 + 28 * 28 * 128 * 32768 / 7.61e9                          # 1.432107


def solve(lang: str = "en", **more: str):
    return ENGINE.solve(["train_time"], {**WALK, **more}, lang=lang)


def messages(result) -> list[str]:
    return [w.message for w in result.warnings if w.code == CODE]


def test_long_context_six_nd_warns_by_how_much_the_time_is_short():
    result = solve()
    assert result.values["train_time"] == pytest.approx(SIX_ND_HOURS * 3600, rel=1e-9)
    (text,) = messages(result)
    assert "1.432 ×" in text and "flops_model=attention_causal" in text and "understated" in text
    (zh,) = messages(solve("zh"))
    assert "1.432 倍" in zh and "flops_model=attention_causal" in zh


def test_the_attention_aware_model_it_names_gives_that_factor_and_is_quiet():
    result = solve(flops_model="attention_causal")
    assert result.values["train_time"] == pytest.approx(SIX_ND_HOURS * 3600 * FACTOR, rel=1e-9)   # 4.702 h
    assert not messages(result)


@pytest.mark.parametrize("more", [
    {"flops_model": "six_nd"},          # chosen, not a default: quiet (unless_given)
    {"seq_len": "2048"},                # factor 1.027: attention is 2.6 % of the FLOPs
    {"seq_len": "8192"},                # factor 1.108, just under 10/9
    {"perf_model": "analytic"},         # the analytic step time counts the scores whatever flops_model says
])
def test_quiet(more):
    assert not messages(solve(**more))


def test_fires_at_16k():
    (text,) = messages(solve(seq_len="16384"))
    assert "1.216 ×" in text      # hand: 1 + 28 · 28 · 128 · 16,384 / 7.61e9 = 1.2160534
