"""Rule refinements from the validation suite (validation/README.md), each with its hand calculation.

1. which N the FLOPs rules multiply: flops_params and the flops_params_basis convention
2. optimizer states in the parameter dtype: adam-bf16, sgd-momentum-bf16
3. activation_model=generalised: per stored tensor, any MLP, with or without dropout
4. the output layer's activations (logits and loss) in activation_bytes / memory_per_gpu
5. decoupled head width: head_dim_rule=free (Gemma-7B)

Every expected value is written out from the paper or the shape; the engine must reproduce it from the
rule files alone.
"""
from __future__ import annotations

import pytest

from conftest import rule_ids as ids
from engine import ContradictionError, UnderdeterminedError

GB = 1e9


def assumed(result) -> dict[str, str]:
    return {name: value for name, value, _ in result.assumptions}


# -- 1. which N: flops_params, flops_params_basis ------------------------------------------------

LLAMA7B_PARAMS = 6_738_415_616
LLAMA7B_EMBEDDING = 2 * 32000 * 4096                              # untied: embed_tokens + lm_head = 262,144,000
LLAMA7B_MATMUL = LLAMA7B_PARAMS - LLAMA7B_EMBEDDING + 32000 * 4096  # 6,607,343,616


def test_flops_params_is_non_embedding_plus_the_output_projection(eng):
    assert LLAMA7B_MATMUL == 6_607_343_616
    r = eng.solve(["flops_params"], {"model": "llama2-7b"})
    assert r.values["flops_params"] == LLAMA7B_MATMUL
    assert "architecture.flops_params" in ids(r)
    # GPT-2 (tied, learned positions): 124,439,808 − (50257·768 + 1024·768) + 50257·768 = 123,653,376:
    # the tied lm_head still multiplies, only the position table (a lookup) leaves
    gpt2 = eng.solve(["flops_params"], {"model": "gpt2"})
    assert gpt2.values["arch_params"] == 124_439_808
    assert gpt2.values["flops_params"] == 124_439_808 - 1024 * 768 == 123_653_376


def test_flops_params_counts_only_the_routed_experts(eng):
    # Mixtral-8x7B: 46,702,792,704 total; active = total − 32 layers · (8 − 2) experts · 3 · 4096 · 14336
    # = 12,879,925,248; flops_params = active − 2 · 32000 · 4096 + 32000 · 4096 = 12,748,853,248
    r = eng.solve(["flops_params"], {"model": "mixtral-8x7b"})
    active = 46_702_792_704 - 32 * 6 * 3 * 4096 * 14336
    assert r.values["active_params"] == active == 12_879_925_248
    assert r.values["flops_params"] == active - 32000 * 4096 == 12_748_853_248


@pytest.mark.parametrize("flops_model, attention", [("six_nd", 0), ("attention", 2), ("attention_causal", 1)])
def test_matmul_basis_in_every_flops_rule(eng, flops_model, attention):
    # Llama-2-7B, 1T tokens, s = 4096: per token 6 · (N + attention · L · a · d · s),
    # L · a · d · s = 32 · 32 · 128 · 4096 = 536,870,912
    per_token_attention = attention * 32 * 32 * 128 * 4096
    givens = {"model": "llama2-7b", "tokens": "1T", "seq_len": 4096, "flops_model": flops_model}
    default = eng.solve(["train_flops"], givens)
    matmul = eng.solve(["train_flops", "attention_flops_share"], {**givens, "flops_params_basis": "matmul_params"})
    assert default.values["train_flops"] == pytest.approx(6e12 * (LLAMA7B_PARAMS + per_token_attention), rel=1e-12)
    assert matmul.values["train_flops"] == pytest.approx(6e12 * (LLAMA7B_MATMUL + per_token_attention), rel=1e-12)
    # the attention share is measured against the same N
    assert matmul.values["attention_flops_share"] == pytest.approx(
        per_token_attention / (LLAMA7B_MATMUL + per_token_attention), abs=1e-12)
    assert "architecture.flops_params" in ids(matmul)
    assert assumed(default)["flops_params_basis"] == "all_params"       # the seed's N, shown as an assumption


def test_attention_with_matmul_n_example(eng):
    # the number written out: 6 · 1e12 · (6,607,343,616 + 2 · 536,870,912) = 4.608651264e22 FLOPs
    r = eng.solve(["train_flops"], {"model": "llama2-7b", "tokens": "1T", "seq_len": 4096, "flops_model": "attention",
                                    "flops_params_basis": "matmul"})
    assert r.values["train_flops"] == pytest.approx(4.608651264e22, rel=1e-12)
    assert "architecture.train_flops_attention_matmul" in ids(r)


def test_matmul_basis_solves_backwards(eng):
    # tokens from a FLOP budget: 4.608651264e22 / (6 · 7,681,085,440) = 1e12
    r = eng.solve(["tokens"], {"model": "llama2-7b", "train_flops": 4.608651264e22, "seq_len": 4096,
                               "flops_model": "attention", "flops_params_basis": "matmul_params"})
    assert r.values["tokens"] == pytest.approx(1e12, rel=1e-12)
    # the matmul N from a FLOP count (six_nd): 6 · N · 1e12 = 3.9644061696e22 -> N = 6,607,343,616
    n = eng.solve(["flops_params"], {"train_flops": 3.9644061696e22, "tokens": "1T",
                                     "flops_params_basis": "matmul_params"})
    assert n.values["flops_params"] == pytest.approx(LLAMA7B_MATMUL, rel=1e-12)


def test_matmul_basis_needs_the_architecture(eng):
    with pytest.raises(UnderdeterminedError):
        eng.solve(["train_flops"], {"params": "7B", "tokens": "1T", "flops_params_basis": "matmul_params"})


# -- 2. optimizer states in the parameter dtype -------------------------------------------------

@pytest.mark.parametrize("optimizer, per_param", [("adam-bf16", 2 + 2 + 4), ("sgd-momentum-bf16", 2 + 2 + 2),
                                                  ("adam", 2 + 2 + 4), ("sgd-momentum", 2 + 2 + 2),
                                                  ("adam-8bit", 2 + 2 + 2), ("paged-adamw", 2 + 2 + 8)])
def test_pure_bf16_optimizer_states(eng, optimizer, per_param):
    # pure bf16: 2 B weights + 2 B grads, no master copy; torch.optim.Adam keeps exp_avg and exp_avg_sq
    # like the parameter it steps (2 + 2 B), SGD its momentum buffer (2 B), so plain adam / sgd-momentum are
    # the bf16 keys here (LLaMA-Factory's pure_bf16 table: 60 GB for 7B full, 8 B per parameter); 8-bit states
    # are 1 B each whatever the dtype, and bitsandbytes' 32-bit paged AdamW keeps fp32 states (8 B)
    r = eng.solve(["model_state_bytes", "model_state_bytes_per_param"],
                  {"params": "7B", "precision": "pure-bf16", "optimizer": optimizer})
    assert r.values["model_state_bytes_per_param"] == per_param
    assert r.values["model_state_bytes"] == pytest.approx(per_param * 7e9)


# -- 3. activation_model=generalised --------------------------------------------------------------

S7, H7, A7, F7 = 4096, 4096, 32, 11008            # Llama-2-7B layer, s = 4096, b = 1
SBH7 = S7 * H7                                     # 16,777,216
LLAMA_LAYER = SBH7 * (16 + 8 * F7 / H7)            # sbh · (16 + 8 · 11008/4096) = sbh · 37.5 = 629,145,600
LLAMA_SCORES = 2 * A7 * S7 * S7                    # no dropout: softmax output only, 2·a·s²·b = 1,073,741,824


@pytest.mark.parametrize("givens, expected", [
    ({}, LLAMA_LAYER + LLAMA_SCORES),                                          # 1,702,887,424 B
    ({"attention_kernel": "flash"}, LLAMA_LAYER),                               # 629,145,600 B
    ({"recompute": "selective"}, LLAMA_LAYER),
    ({"recompute": "full"}, 2 * SBH7),                                          # only the layer input: 33,554,432
    # t = 8: un-split 8·sbh (norm, attention and MLP inputs), split (8·h + 8·ffn)/8 per token, scores / 8:
    # 4096 · (32,768 + (32,768 + 88,064)/8) + 1,073,741,824/8 = 196,083,712 + 134,217,728 = 330,301,440
    ({"tp": 8}, S7 * (8 * H7 + (8 * H7 + 8 * F7) / 8) + LLAMA_SCORES / 8),
    ({"tp": 8, "sequence_parallel": "on"}, (LLAMA_LAYER + LLAMA_SCORES) / 8),  # 212,860,928
    ({"tp": 8, "recompute": "selective"}, S7 * (8 * H7 + (8 * H7 + 8 * F7) / 8)),
    ({"tp": 8, "recompute": "selective", "sequence_parallel": "on"}, LLAMA_LAYER / 8),   # 78,643,200
])
def test_generalised_llama_layer(eng, givens, expected):
    assert LLAMA_LAYER == 629_145_600 and LLAMA_LAYER + LLAMA_SCORES == 1_702_887_424
    r = eng.solve(["activation_bytes_per_layer"], {"model": "llama2-7b", "seq_len": S7,
                                                   "activation_model": "generalised", "attention_kernel": "standard",
                                                   **givens})
    assert r.values["activation_bytes_per_layer"] == pytest.approx(expected, rel=1e-12)
    if givens.get("recompute") != "full":      # full recomputation keeps only the layer input, in every model
        assert assumed(r)["dropout"] == "0"                                   # LLaMA-style: no dropout


S3, H3, A3 = 2048, 12288, 96      # a GPT-3 175B layer (Korthikanti et al. 2022 Table 3)
SBH3 = S3 * H3


@pytest.mark.parametrize("givens", [{}, {"recompute": "selective"}, {"recompute": "full"}, {"tp": 8},
                                    {"tp": 8, "sequence_parallel": "on"}, {"tp": 8, "recompute": "selective"},
                                    {"tp": 8, "recompute": "selective", "sequence_parallel": "on"},
                                    {"attention_kernel": "flash"}])
def test_generalised_reduces_to_korthikanti_for_their_block(eng, givens):
    # GELU (k = 4), ffn = 4h, dropout = 1: 16 + 4 · 4 + 2 = 34 and 2 + 3 = 5 — Table 2 in every mode
    base = {"model": "gpt3-175b", "seq_len": S3, "micro_batch": 1, "attention_kernel": "standard", **givens}
    paper = eng.solve(["activation_bytes_per_layer"], {**base, "activation_model": "korthikanti"}
                      ).values["activation_bytes_per_layer"]
    general = eng.solve(["activation_bytes_per_layer"], {**base, "activation_model": "generalised", "dropout": 1})
    assert general.values["activation_bytes_per_layer"] == pytest.approx(paper, rel=1e-12)
    if not givens:
        assert paper == SBH3 * (34 + 5 * A3 * S3 / H3) == 2_868_903_936
        assert "activations.per_layer_generalised" in ids(general)


def test_generalised_gpt_block_without_dropout(eng):
    # the H200 shape of validation/gpu_activations.json: h 2048, a 16, ffn 8192 (4h), GELU, no dropout,
    # s 2048, b 2: sbh · (16 + 4 · 4) + 2 · a · s² · b = 8,388,608 · 32 + 268,435,456 = 536,870,912
    # (measured 536,936,448: −0.01 %); Korthikanti's constants give 956,301,312 (+78 %)
    r = eng.solve(["activation_bytes_per_layer"], {"hidden": 2048, "heads": 16, "ffn_hidden": 8192, "mlp_matrices": 2,
                                                   "seq_len": 2048, "micro_batch": 2, "attention_kernel": "standard",
                                                   "activation_model": "generalised"})
    assert r.values["activation_bytes_per_layer"] == 2048 * 2 * 2048 * 32 + 2 * 16 * 2048**2 * 2 == 536_870_912
    assert r.values["attention_score_bytes"] == 2


def test_generalised_uses_the_attention_width(eng):
    # Gemma-7B-like layer (head_dim 256 ≠ 3072/16), FlashAttention, s = 2048, b = 1:
    # s · (8 · 3072 + 8 · 16 · 256 + 8 · 24576) = 2048 · (24,576 + 32,768 + 196,608) = 520,093,696
    r = eng.solve(["activation_bytes_per_layer"], {**GEMMA_7B, "head_dim_rule": "free", "seq_len": 2048,
                                                   "attention_kernel": "flash", "activation_model": "generalised"})
    assert r.values["activation_bytes_per_layer"] == 2048 * (8 * 3072 + 8 * 16 * 256 + 8 * 24576) == 520_093_696


def test_generalised_solves_backwards(eng):
    # micro_batch from a per-layer budget: 3 · 629,145,600 B (flash) -> b = 3
    r = eng.solve(["micro_batch"], {"model": "llama2-7b", "seq_len": S7, "attention_kernel": "flash",
                                    "activation_model": "generalised",
                                    "activation_bytes_per_layer": f"{3 * LLAMA_LAYER} B"})
    assert r.values["micro_batch"] == 3


def test_generalised_and_flash_are_the_defaults(eng):
    # issue #14: SDPA/FlashAttention (Transformers' default since 4.36) and the per-tensor count for SwiGLU
    r = eng.solve(["activation_bytes_per_layer"], {"model": "llama2-7b", "seq_len": S7})
    assert r.values["activation_bytes_per_layer"] == pytest.approx(LLAMA_LAYER)
    assert assumed(r)["activation_model"] == "generalised" and assumed(r)["attention_kernel"] == "flash"
    assert r.values["attention_score_bytes"] == 0
    paper = eng.solve(["activation_bytes_per_layer"], {"model": "llama2-7b", "seq_len": S7,
                                                       "activation_model": "korthikanti", "attention_kernel": "eager"})
    assert paper.values["activation_bytes_per_layer"] == pytest.approx(SBH7 * (34 + 5 * A7 * S7 / H7))


# -- 4. the output layer (Korthikanti et al. 2022 §4.3) -----------------------------------------

OUT7 = S7 * (4 * H7 + 4 * 32000)      # 4sbh + 4sbv: 4096 · (16,384 + 128,000) = 591,396,864 B


def test_output_layer_of_llama2_7b(eng):
    assert OUT7 == 591_396_864
    r = eng.solve(["activation_bytes_per_gpu", "memory_per_gpu"],
                  {"model": "llama2-7b", "seq_len": S7, "precision": "bf16", "attention_kernel": "flash"})
    v = r.values
    assert v["output_activation_bytes"] == OUT7
    assert v["activation_bytes"] == v["activation_bytes_per_gpu"] == pytest.approx(32 * LLAMA_LAYER + OUT7)
    assert v["memory_per_gpu"] == pytest.approx(16 * LLAMA7B_PARAMS + 32 * LLAMA_LAYER + OUT7)
    assert {"activations.output_layer", "activations.logits_per_token"} <= ids(r)
    assert assumed(r)["logit_bytes"] == "4 B"       # fp32 logits, Korthikanti §4.3 (bytes shown as B, issue #15)


@pytest.mark.parametrize("givens, expected", [
    # t = 8 without sequence parallelism: the norm and lm_head inputs are full size, the logits split:
    # 4096 · (4 · 4096 + 4 · 32000 / 8) = 4096 · 32,384 = 132,644,864
    ({"tp": 8}, S7 * (4 * H7 + 4 * 32000 / 8)),
    # with sequence parallelism everything is split: 591,396,864 / 8 = 73,924,608 (4sbh/t · (1 + v/h))
    ({"tp": 8, "sequence_parallel": "on"}, OUT7 / 8),
    # a fused cross entropy that never materializes the logits: 4sbh only = 67,108,864
    ({"logit_bytes": "0 B"}, 4 * S7 * H7),
    # b = 4: four times as much
    ({"micro_batch": 4}, 4 * OUT7),
])
def test_output_layer_splits(eng, givens, expected):
    r = eng.solve(["output_activation_bytes"], {"model": "llama2-7b", "seq_len": S7, **givens})
    assert r.values["output_activation_bytes"] == pytest.approx(expected, rel=1e-12)


def test_output_layer_is_there_with_full_recomputation(eng):
    # Llama-3-8B-like: 128,256 tokens of vocabulary, s = 8192, full recomputation: the layers keep
    # 32 · 2 · s · h = 2,147,483,648 B, the layer being recomputed 34 · s · h (Korthikanti, flash)
    # = 1,140,850,688 B, the output layer 8192 · (4 · 4096 + 4 · 128,256) = 4,336,910,336 B
    givens = {"layers": 32, "hidden": 4096, "heads": 32, "vocab_size": 128256, "seq_len": 8192, "recompute": "full",
              "activation_model": "korthikanti"}
    r = eng.solve(["activation_bytes_per_gpu"], givens)
    assert r.values["output_activation_bytes"] == 8192 * (4 * 4096 + 4 * 128256) == 4_336_910_336
    assert r.values["activation_bytes_per_gpu"] == 32 * 2 * 8192 * 4096 + 34 * 8192 * 4096 + 4_336_910_336


def test_memory_without_sequence_length_keeps_the_seed_fallback(eng):
    # no seq_len: activation_bytes = 0 (seed §3d), with no error and no warning
    r = eng.solve(["memory_per_gpu"], {"model": "llama2-7b", "precision": "bf16"})
    assert r.values["activation_bytes_per_gpu"] == 0
    assert r.values["memory_per_gpu"] == pytest.approx(16 * LLAMA7B_PARAMS, rel=1e-12)   # ep_memory_factor = 1
    assert "activation_bytes" in assumed(r)
    assert not [w for w in r.warnings if w.code == "activations.not_sized"]


def test_memory_without_vocabulary_warns(eng):
    # the layers can be sized but not the output layer: the seed's fallback 0 is used, and said so
    r = eng.solve(["memory_per_gpu"], {"params": "7B", "seq_len": 4096, "hidden": 4096, "layers": 32, "heads": 32,
                                       "activation_model": "korthikanti", "attention_kernel": "standard"})
    assert r.values["activation_bytes_per_gpu"] == 0
    (w,) = [w for w in r.warnings if w.code == "activations.not_sized"]
    assert "vocab_size" in w.message
    with_vocab = eng.solve(["memory_per_gpu"], {"params": "7B", "seq_len": 4096, "hidden": 4096, "layers": 32,
                                                "heads": 32, "vocab_size": 32000, "activation_model": "korthikanti",
                                                "attention_kernel": "standard"})
    assert with_vocab.values["activation_bytes_per_gpu"] == pytest.approx(32 * SBH7 * (34 + 5 * 32) + OUT7)


def test_underdetermined_architecture_is_not_hidden_by_the_fallback(eng):
    # activation_bytes' fallback sits on a rule with two unknowns (layers and output layer): it cannot be
    # turned back into a value of seq_len or hidden
    with pytest.raises(UnderdeterminedError, match="hidden"):
        eng.solve(["arch_params"], {"layers": 2, "heads": 8, "ffn_hidden": 512, "vocab_size": 1000})


def test_largest_micro_batch_with_the_output_layer(eng):
    # Llama-2-7B on one H200 (141 GB), ZeRO-3 over 8 GPUs, flash, s = 4096. ZeRO-3's sharded gradients do not
    # offset the loss's two fp32 logit-sized gradients (activations.loss_backward_sharded_grads): the output layer
    # holds 4096 · (4 · 4096 + 3 · 4 · 32000) = 1,639,972,864 B per sequence, not OUT7 (one copy); ZeRO-3 also holds
    # the embedding it gathers whole with its gradient (DeepSpeed largest_layer_memory, 4 B × 32,000 × 4,096):
    # (141e9 − 16 · 6,738,415,616 / 8 − 524,288,000) / (32 · 34 · 4096 · 4096 + 1,639,972,864) = 6.384 -> 6
    states = 16 * LLAMA7B_PARAMS / 8 + 4 * 32000 * 4096
    out_sharded = S7 * (4 * H7 + 3 * 4 * 32000)
    assert out_sharded == 1_639_972_864
    raw = (141e9 - states) / (32 * 34 * SBH7 + out_sharded)
    r = eng.solve(["micro_batch"], {"model": "llama2-7b", "precision": "bf16", "seq_len": S7, "gpu": "H200",
                                    "memory_fill": 1, "zero_stage": 3, "n_gpus": 8, "attention_kernel": "flash",
                                    "activation_model": "korthikanti"})
    assert r.rounded["micro_batch"][0] == pytest.approx(raw, rel=1e-9) and r.values["micro_batch"] == 6


# -- 5. decoupled head width: head_dim_rule=free ----------------------------------------------------

GEMMA_7B = {"layers": 28, "hidden": 3072, "heads": 16, "kv_heads": 16, "head_dim": 256, "ffn_hidden": 24576,
            "vocab_size": 256000, "embedding_copies": 1}   # Gemma Team 2024 Table 1; HF GemmaConfig (GeGLU: 3 matrices)


def test_gemma_7b_parameters(eng):
    # per layer: q, k, v, o = 4 · 3072 · (16 · 256) = 50,331,648; GeGLU 3 · 3072 · 24576 = 226,492,416;
    # two RMSNorms 2 · 3072 -> 276,830,208; × 28 = 7,751,245,824; + tied embedding 256000 · 3072 = 786,432,000
    # + final norm 3072 = 8,537,680,896 (sum(p.numel()) of HF GemmaForCausalLM, "8.54B")
    layer = 4 * 3072 * 16 * 256 + 3 * 3072 * 24576 + 2 * 3072
    assert layer == 276_830_208
    expected = 28 * layer + 256000 * 3072 + 3072
    assert expected == 8_537_680_896
    r = eng.solve(["arch_params"], {**GEMMA_7B, "head_dim_rule": "free"})
    assert r.values["arch_params"] == expected
    assert "architecture.head_dim" not in ids(r)


def test_tied_head_dim_stays_the_default(eng):
    # without head_dim_rule=free the seed's tie holds: 256 ≠ 3072 / 16 = 192 is a contradiction
    with pytest.raises(ContradictionError, match="architecture.head_dim"):
        eng.solve(["arch_params"], GEMMA_7B)
    tied = eng.solve(["head_dim"], {"hidden": 3072, "heads": 16})
    assert tied.values["head_dim"] == 192 and assumed(tied)["head_dim_rule"] == "tied"


def test_free_head_dim_must_be_given_or_solved(eng):
    without = {k: v for k, v in GEMMA_7B.items() if k != "head_dim"}
    with pytest.raises(UnderdeterminedError, match="head_dim"):
        eng.solve(["arch_params"], {**without, "head_dim_rule": "free"})
    # any direction: head_dim from the attention parameters, 50,331,648 / (4 · 16 · 3072) = 256
    r = eng.solve(["head_dim"], {"hidden": 3072, "heads": 16, "kv_heads": 16, "attn_params_per_layer": 50_331_648,
                                 "head_dim_rule": "free"})
    assert r.values["head_dim"] == 256


def test_gemma_attention_flops_use_heads_times_head_dim(eng):
    # attention term per token 2 · L · a · d · s = 2 · 28 · 16 · 256 · 8192 = 1,879,048,192 (a · d = 4096, not 3072)
    # flops_params = 8,537,680,896 − 786,432,000 + 786,432,000 (tied: the lm_head still multiplies)
    r = eng.solve(["train_flops"], {**GEMMA_7B, "head_dim_rule": "free", "tokens": "6T", "seq_len": 8192,
                                    "flops_model": "attention", "flops_params_basis": "matmul_params"})
    assert r.values["flops_params"] == 8_537_680_896
    assert r.values["train_flops"] == pytest.approx(6 * 6e12 * (8_537_680_896 + 2 * 28 * 16 * 256 * 8192), rel=1e-12)


# -- the new conventions are named, documented and explained --------------------------------------

@pytest.mark.parametrize("selector", ["flops_params_basis", "activation_model", "head_dim_rule"])
def test_new_conventions_are_documented(eng, selector):
    from engine.solve.explain import explain

    rules = eng.rules
    variable = rules.variables[selector]
    assert variable.default is not None and variable.default_source and variable.en and variable.zh
    table = rules.tables[selector]
    for value in variable.values:
        entry = table.entries[value]
        assert entry.source and entry.name
        selected = [e for e in rules.equations for sel, allowed in e.variant if sel == selector and value in allowed]
        for eq in selected:
            assert eq.source and eq.en and eq.zh
    assert all(value in explain(eng, selector) for value in variable.values)


@pytest.mark.parametrize("key, states", [("adam-bf16", 4), ("sgd-momentum-bf16", 2)])
def test_new_optimizer_entries_are_sourced(eng, key, states):
    entry = eng.rules.tables["optimizer"].entries[key]
    assert entry.values["optimizer_fixed_state_bytes"] == states and entry.values["optimizer_state_values"] == 0
    assert "torch.optim" in entry.source


@pytest.mark.parametrize("precision, per_param", [("seed-fp32", 4 + 4 + 12), ("mixed-bf16", 2 + 2 + 12),
                                                  ("fp32", 4 + 4 + 8)])
def test_adam_states_follow_the_dtype_the_optimizer_steps(eng, precision, per_param):
    # seed §3c: Adam 12 B = 4 B fp32 copy + 4 B momentum + 4 B variance (seed-fp32: 20 B in all); mixed bf16 keeps
    # the fp32 copy and steps it, so fp32 states: 2 + 2 + 12 = 16 B (ZeRO §3.1, K = 12); fp32 without a copy steps
    # the fp32 weights themselves: 4 + 4 + 8 = 16 B (Megatron-LM README's distributed-optimizer table)
    r = eng.solve(["model_state_bytes_per_param"], {"params": "7B", "precision": precision})
    assert r.values["model_state_bytes_per_param"] == per_param
