"""Parameter counts of the catalog models (catalogs/models.yaml).

Three independent views are compared:

* hand calculations for a few models, written out term by term below;
* `reference_params`, a plain-Python transcription of the counting rule that
  reads catalogs/models.yaml directly (no engine, no rule files);
* the engine solving `arch_params` from formulas/architecture.yaml.

Every model with a published `params` must agree with its architecture
within 2% (the tolerance of architecture.params); the counts that were
measured on the real Hugging Face models (sum(p.numel())) must agree exactly.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CATALOG = yaml.safe_load((ROOT / "catalogs" / "models.yaml").read_text(encoding="utf-8"))
ENTRIES: dict[str, dict[str, Any]] = CATALOG["entries"]
PUBLISHED = sorted(key for key, entry in ENTRIES.items() if entry.get("params") is not None)

# sum(p.numel()) of the released Hugging Face models, as published:
# calflops README (github.com/MrYxJ/calculate-flops.pytorch, the seed §2 link),
# table "Large Language Model"; Baichuan-7B / Baichuan-13B README model tables;
# Mistral AI (Mixtral 46.7B total); GPT-2 small as counted by HF GPT2LMHeadModel.
MEASURED = {
    "llama-7b": 6_738_415_616,       # calflops README
    "llama2-7b": 6_738_415_616,      # calflops README
    "baichuan-7b": 7_000_559_616,    # Baichuan-7B README
    "baichuan-13b": 13_264_901_120,  # Baichuan-13B README
    "chatglm-6b": 6_173_286_400,     # calflops README
    "qwen-7b": 7_721_324_544,        # calflops README
    "moss-moon-003": 16_717_980_160,  # calflops README (moss-moon-003-sft)
    "gpt2": 124_439_808,             # HF GPT2LMHeadModel, tied lm_head
    "mixtral-8x7b": 46_702_792_704,  # hand calculation below
}

SIZE_LABEL_TOLERANCE = 0.10  # "7B" in a model's name is only its size class


def reference_params(e: dict[str, Any]) -> tuple[int, int]:
    """(total, active) parameters from one catalog entry, in exact integers."""
    embed = e["embedding_copies"] * e["vocab_size"] * e["hidden"] + e["lm_head_bias"] * e["vocab_size"] \
        + e["learned_positions"] * e["hidden"]
    qkv_heads = e["heads"] + 2 * e["kv_heads"]
    attention = qkv_heads * e["head_dim"] * (e["hidden"] + e["qkv_bias"]) \
        + e["heads"] * e["head_dim"] * e["hidden"] + e["attn_out_bias"] * e["hidden"]
    mlp = e["mlp_matrices"] * e["hidden"] * e["ffn_hidden"] \
        + e["mlp_bias"] * ((e["mlp_matrices"] - 1) * e["ffn_hidden"] + e["hidden"])
    router = e["moe_router"] * e["n_experts"] * e["hidden"]
    norms = e["norms_per_layer"] * e["norm_vectors_per_norm"] * e["hidden"]
    final_norm = e["norm_vectors_per_norm"] * e["hidden"]
    layer = attention + e["n_experts"] * mlp + router + norms
    total = embed + e["layers"] * layer + final_norm
    active = total - e["layers"] * (e["n_experts"] - e["experts_per_token"]) * mlp
    return int(total), int(active)


# -- hand calculations ------------------------------------------------------

def test_llama_7b_by_hand() -> None:
    # per layer: q,k,v,o 4·4096² + SwiGLU 3·4096·11008 + two RMSNorms 2·4096;
    # then the final RMSNorm 4096 and untied embedding + lm_head 2·32000·4096
    by_hand = 32 * (4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096) + 4096 + 2 * 32000 * 4096
    assert by_hand == 6_738_415_616
    assert reference_params(ENTRIES["llama-7b"])[0] == by_hand


def test_llama2_70b_grouped_query_by_hand() -> None:
    # q and o 8192², k and v 8192 · (8 kv heads · 128) each
    attention = 2 * 8192**2 + 2 * 8192 * 8 * 128
    by_hand = 80 * (attention + 3 * 8192 * 28672 + 2 * 8192) + 8192 + 2 * 32000 * 8192
    assert by_hand == 68_976_648_192
    assert reference_params(ENTRIES["llama2-70b"])[0] == by_hand


def test_gpt2_by_hand() -> None:
    # tied wte 50257·768 + wpe 1024·768; per layer c_attn 768·2304+2304,
    # c_proj 768²+768, c_fc 768·3072+3072, mlp c_proj 3072·768+768, 2 LayerNorms 4·768
    layer = (768 * 2304 + 2304) + (768 * 768 + 768) + (768 * 3072 + 3072) + (3072 * 768 + 768) + 4 * 768
    by_hand = 50257 * 768 + 1024 * 768 + 12 * layer + 2 * 768
    assert by_hand == 124_439_808
    assert reference_params(ENTRIES["gpt2"])[0] == by_hand


def test_mixtral_total_and_active_by_hand() -> None:
    attention = 2 * 4096**2 + 2 * 4096 * 8 * 128
    expert = 3 * 4096 * 14336
    router = 4096 * 8
    total = 32 * (attention + 8 * expert + router + 2 * 4096) + 4096 + 2 * 32000 * 4096
    active = total - 32 * 6 * expert
    assert (total, active) == (46_702_792_704, 12_879_925_248)
    assert reference_params(ENTRIES["mixtral-8x7b"]) == (total, active)
    # Mistral AI: "46.7B total parameters ... 12.9B parameters per token"
    assert active == pytest.approx(ENTRIES["mixtral-8x7b"]["info"]["active_params"], rel=0.01)


# -- every catalog model ----------------------------------------------------

@pytest.mark.parametrize("key", PUBLISHED)
def test_published_count_within_2_percent(key: str) -> None:
    total, _ = reference_params(ENTRIES[key])
    assert total == pytest.approx(ENTRIES[key]["params"], rel=0.02)


@pytest.mark.parametrize("key", sorted(MEASURED))
def test_measured_count_exact(key: str) -> None:
    assert reference_params(ENTRIES[key])[0] == MEASURED[key]


@pytest.mark.parametrize("key", sorted(set(ENTRIES) - set(PUBLISHED)))
def test_size_label_when_no_count_is_published(key: str) -> None:
    label = str(ENTRIES[key]["info"]["size_label"])
    assert label.endswith("B")
    assert reference_params(ENTRIES[key])[0] == pytest.approx(float(label[:-1]) * 1e9, rel=SIZE_LABEL_TOLERANCE)


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_shapes_are_consistent(key: str) -> None:
    e = ENTRIES[key]
    assert e["heads"] * e["head_dim"] == e["hidden"]
    assert e["heads"] % e["kv_heads"] == 0
    assert e["experts_per_token"] <= e["n_experts"]
    assert e["mlp_matrices"] in (2, 3) and e["embedding_copies"] in (1, 2)
    assert e["norm_vectors_per_norm"] in (1, 2) and e["norms_per_layer"] in (1, 2)


# -- the same numbers through the engine and the YAML rules -------------------


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_engine_arch_params_matches_reference(eng: Any, key: str) -> None:
    total, active = reference_params(ENTRIES[key])
    result = eng.solve(["arch_params", "active_params"], {"model": key})
    assert result.values["arch_params"] == total
    assert result.values["active_params"] == active


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_engine_params_published_or_from_architecture(eng: Any, key: str) -> None:
    # a published count fills `params`; without one, params = arch_params supplies it
    result = eng.solve(["train_flops"], {"model": key, "tokens": "1T"})
    assert result.values["params"] == ENTRIES[key].get("params", reference_params(ENTRIES[key])[0])


def test_engine_params_from_shapes_uses_llama_defaults(eng: Any) -> None:
    shapes = {"layers": 32, "hidden": 4096, "heads": 32, "ffn_hidden": 11008, "vocab_size": 32000}
    result = eng.solve(["params"], shapes)
    assert result.values["params"] == 6_738_415_616
    assumed = {name for name, _, _ in result.assumptions}
    assert {"mlp_matrices", "embedding_copies", "queries_per_kv"} <= assumed


def test_engine_rejects_params_far_from_architecture(eng: Any) -> None:
    from engine import EngineError

    with pytest.raises(EngineError):
        eng.solve(["arch_params"], {"model": "llama-7b", "params": "8B"})


@pytest.mark.parametrize(("flops_model", "attention_share"), [("attention", 2.0), ("attention_causal", 1.0)])
def test_attention_flops_variants(eng: Any, flops_model: str, attention_share: float) -> None:
    # full score matrix (Hoffmann et al. 2022 App. F; PaLM App. B: 6N + 12·L·H·Q·T per token);
    # halved for the causal mask = Kaplan et al. 2020 Table 1: C ≈ 6·(N + n_layer·n_ctx·d_attn)
    givens = {"model": "llama-7b", "tokens": "1T", "seq_len": 2048, "flops_model": flops_model}
    result = eng.solve(["train_flops"], givens)
    per_token = result.values["params"] + attention_share * 32 * 2048 * 4096
    assert result.values["train_flops"] == pytest.approx(6 * 1e12 * per_token, rel=1e-12)


def test_attention_flops_scale_with_recompute(eng: Any) -> None:
    givens = {"model": "llama-7b", "tokens": "1T", "seq_len": 2048, "flops_model": "attention"}
    plain = eng.solve(["train_flops"], givens).values["train_flops"]
    full = eng.solve(["train_flops"], {**givens, "recompute": "full"}).values["train_flops"]
    assert full == pytest.approx(plain * 8 / 6, rel=1e-12)
