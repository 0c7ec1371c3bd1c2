"""The rule library beyond the seed (issue #3), against numbers from the cited papers.

Every expected value below is written out by hand from the paper it comes from; the engine
must reproduce it from the rule files alone (formulas/*.yaml, catalogs/*.yaml).
"""
from __future__ import annotations

import math

import pytest

from conftest import rule_ids as ids
from engine import UnderdeterminedError
from engine.errors import EvaluationError

GB = 1e9


# -- ZeRO (Rajbhandari et al. 2020) ------------------------------------------------------------

def test_zero_model_states_of_a_7_5b_model(eng):
    # §3.1: mixed-precision Adam keeps 2Ψ + 2Ψ + KΨ bytes with K = 12 -> 16 · 7.5e9 = 120 GB
    r = eng.solve(["model_state_bytes"], {"params": "7.5B", "precision": "mixed-fp16", "optimizer": "adam"})
    assert r.values["model_state_bytes"] == pytest.approx(120 * GB, rel=1e-12)


@pytest.mark.parametrize("stage, paper_gb, exact", [
    ("0", 120.0, (2 + 2 + 12) * 7.5e9),            # Baseline: (2 + 2 + K)Ψ
    ("1", 31.4, (2 + 2) * 7.5e9 + 12 * 7.5e9 / 64),  # P_os: 2Ψ + 2Ψ + KΨ/Nd = 31.40625 GB
    ("2", 16.6, 2 * 7.5e9 + (2 + 12) * 7.5e9 / 64),  # P_os+g: 2Ψ + (2 + K)Ψ/Nd = 16.640625 GB
    ("3", 1.9, (2 + 2 + 12) * 7.5e9 / 64),           # P_os+g+p: (2 + 2 + K)Ψ/Nd = 1.875 GB
])
def test_zero_figure_1_per_gpu_at_dp_64(eng, stage, paper_gb, exact):
    r = eng.solve(["model_state_bytes_per_gpu"], {"params": "7.5B", "precision": "mixed-fp16", "optimizer": "adam",
                                                  "zero_stage": stage, "n_gpus": 64})
    assert r.values["model_state_bytes_per_gpu"] == pytest.approx(exact, rel=1e-12)
    assert round(r.values["model_state_bytes_per_gpu"] / GB, 1) == pytest.approx(paper_gb, abs=0.051)
    assert r.values["dp"] == 64


def test_zero_stage_rules_are_visible_in_the_derivation(eng):
    r = eng.solve(["model_state_bytes_per_gpu"], {"params": "7.5B", "precision": "bf16", "zero_stage": "zero3",
                                                  "n_gpus": 64})
    assert {"parallelism.params_partitioned", "parallelism.grads_partitioned",
            "parallelism.optimizer_partitioned"} <= ids(r)
    r0 = eng.solve(["model_state_bytes_per_gpu"], {"params": "7.5B", "precision": "bf16"})
    assert "parallelism.params_replicated" in ids(r0) and "dp" not in r0.values   # stage 0 needs no GPU count
    assert ("zero_stage", "0") in {(n, v) for n, v, _ in r0.assumptions}


def test_sixteen_vs_eighteen_bytes_per_parameter(eng):
    # ZeRO §3.1: 2 + 2 + 12 = 16 B; Megatron-LM distributed-optimizer table: bf16 params + fp32 grads = 18 B
    sixteen = eng.solve(["model_state_bytes_per_param"], {"precision": "mixed-bf16", "optimizer": "adam"})
    eighteen = eng.solve(["model_state_bytes_per_param"], {"precision": "mixed-bf16-fp32grad", "optimizer": "adam"})
    seed = eng.solve(["model_state_bytes_per_param"], {})
    assert (sixteen.values["model_state_bytes_per_param"], eighteen.values["model_state_bytes_per_param"],
            seed.values["model_state_bytes_per_param"]) == (16, 18, 20)


def test_zero_offload_keeps_only_fp16_weights_on_the_gpu(eng):
    # Ren et al. 2021 §4.1: fp16 parameters (2Ψ) on the GPU; fp16 gradients and fp32 optimizer states
    # (2Ψ + 12Ψ) in CPU memory. 13B on one GPU: 26 GB on the GPU, 182 GB of host memory.
    r = eng.solve(["weights_bytes_per_gpu", "grads_bytes_per_gpu", "optimizer_bytes_per_gpu", "host_memory_per_gpu"],
                  {"params": "13B", "precision": "mixed-fp16", "offload": "zero-offload", "zero_stage": "2",
                   "n_gpus": 1})
    v = r.values
    assert v["weights_bytes_per_gpu"] == pytest.approx(26 * GB)
    assert v["grads_bytes_per_gpu"] == 0 and v["optimizer_bytes_per_gpu"] == 0
    assert v["host_memory_per_gpu"] == pytest.approx((2 + 12) * 13 * GB)


# -- activations (Korthikanti et al. 2022, Table 2) -------------------------------------------

S, B, H, A = 2048, 1, 12288, 96      # a GPT-3 175B layer (Table 3 of the paper: s, b, h, a)
# The paper's constants and its stored-scores kernel, named: since issue #14 the defaults are
# activation_model=generalised and attention_kernel=flash (SDPA), which practitioners use.
KORTHIKANTI = {"activation_model": "korthikanti", "attention_kernel": "standard"}
SBH = S * B * H                        # 25,165,824


@pytest.mark.parametrize("givens, expected", [
    # no parallelism, no recomputation: sbh(34 + 5as/h) = 25,165,824 · (34 + 80) = 2,868,903,936 B
    ({}, SBH * (34 + 5 * A * S / H)),
    # selective recomputation (attention core recomputed): 34·sbh = 855,638,016 B
    ({"recompute": "selective"}, 34 * SBH),
    # full recomputation, only the layer input: 2·sbh = 50,331,648 B
    ({"recompute": "full"}, 2 * SBH),
    # tensor parallel t = 8: sbh(10 + 24/8 + 5as/(8h)) = sbh(10 + 3 + 10) = 578,813,952 B
    ({"tp": 8}, SBH * (10 + 24 / 8 + 5 * A * S / (H * 8))),
    # t = 8 with sequence parallelism: sbh/8 · (34 + 80) = 358,612,992 B
    ({"tp": 8, "sequence_parallel": "on"}, SBH / 8 * (34 + 5 * A * S / H)),
    # t = 8 with selective recomputation: sbh(10 + 24/8) = 327,155,712 B
    ({"tp": 8, "recompute": "selective"}, SBH * (10 + 24 / 8)),
    # t = 8, sequence parallel and selective: 34·sbh/8 = 106,954,752 B
    ({"tp": 8, "recompute": "selective", "sequence_parallel": "on"}, 34 * SBH / 8),
    # FlashAttention stores no s×s scores: 34·sbh even without recomputation
    ({"attention_kernel": "flash"}, 34 * SBH),
])
def test_korthikanti_gpt3_layer(eng, givens, expected):
    assert SBH * (34 + 5 * A * S / H) == 2_868_903_936
    r = eng.solve(["activation_bytes_per_layer"], {"model": "gpt3-175b", "seq_len": S, "micro_batch": B,
                                                   **KORTHIKANTI, **givens})
    assert r.values["activation_bytes_per_layer"] == pytest.approx(expected, rel=1e-12)


def test_checkpointing_conventions_are_named_rules(eng):
    base = {"model": "gpt3-175b", "seq_len": S, "micro_batch": 1, **KORTHIKANTI}
    assert "activations.per_layer_selective" in ids(eng.solve(["activation_bytes_per_layer"],
                                                              {**base, "recompute": "selective"}))
    full = eng.solve(["activation_bytes_per_layer"], {**base, "recompute": "full"})
    assert "activations.per_layer_full" in ids(full)
    # the same selector sets the FLOPs convention: 8 FLOPs per parameter-token with full recomputation
    flops = eng.solve(["train_flops"], {"params": "7B", "tokens": "1T", "recompute": "full"})
    assert flops.values["flops_factor"] == 8 and flops.values["train_flops"] == pytest.approx(8 * 7e9 * 1e12)


def test_activations_are_derived_when_the_dimensions_are_known(eng):
    # memory.yaml's fallback activation_bytes = 0 (seed §3d) is used only without seq_len
    with_len = eng.solve(["memory_per_gpu"], {"model": "llama2-7b", "precision": "bf16", "seq_len": 4096, **KORTHIKANTI})
    without = eng.solve(["memory_per_gpu"], {"model": "llama2-7b", "precision": "bf16"})
    per_layer = 4096 * 1 * 4096 * (34 + 5 * 32 * 4096 / 4096)      # sbh(34 + 5as/h), b = 1 by default
    output = 4096 * 1 * (4 * 4096 + 4 * 32000)                      # Korthikanti §4.3: 4sbh + 4sbv (fp32 logits)
    assert with_len.values["activation_bytes_per_gpu"] == pytest.approx(32 * per_layer + output)
    assert without.values["activation_bytes_per_gpu"] == 0
    assert "activation_bytes" in {n for n, _, _ in without.assumptions}
    assert "activation_bytes" not in {n for n, _, _ in with_len.assumptions}


# -- memory per GPU, fit check, inverse questions ------------------------------------------------

def test_memory_per_gpu_and_the_fit_warning(eng):
    # Llama-2-7B full fine-tuning, bf16 mixed precision: 16 B × 6,738,415,616 = 107.8 GB of model states
    r = eng.solve(["memory_per_gpu"], {"model": "llama2-7b", "precision": "bf16", "gpu": "A100-80GB-SXM"})
    assert r.values["memory_per_gpu"] == pytest.approx(16 * 6_738_415_616)
    # the weights (2 B × 6.74e9 = 13.5 GB) fit; with gradients and Adam's states they do not: that is said
    (warning,) = [w for w in r.warnings if w.code == "parallelism.states_do_not_fit"]
    assert warning.severity == "warning"
    assert "108 GB" in warning.message and "80 GB" in warning.message   # 107.8 GB, three digits (issue #15)
    assert "13.5 GB" in warning.message and "zero_stage" in warning.message
    zh = eng.solve(["memory_per_gpu"], {"model": "llama2-7b", "precision": "bf16", "gpu": "A100"}, lang="zh")
    assert any("每卡共需" in w.message for w in zh.warnings)


def test_largest_micro_batch_that_fits(eng):
    # Llama-2-7B, ZeRO-3 over 8 GPUs (16 B × 6.738e9 / 8 = 13.48 GB of states per GPU), FlashAttention,
    # s = 4096: 34·s·h = 570,425,344 B per layer per sequence, × 32 layers = 18.25 GB per sequence, plus the
    # output layer s·(4h + 4v) (Korthikanti §4.3) and the loss's two fp32 logit-sized gradients, which ZeRO-3's
    # sharded gradients do not offset: 4096 · (16,384 + 3 · 128,000) = 1,639,972,864 B: 19.894 GB.
    # ZeRO-3 also gathers the largest module whole, weights and gradient (DeepSpeed stage3.py
    # estimate_zero3_model_states_mem_needs, largest_layer_memory = 4 B × 32,000 × 4,096 = 524,288,000 B).
    # An H200 has 141 GB: (141e9 − 13.4768e9 − 0.5243e9) / 19.8935e9 = 6.384 -> 6 sequences.
    states = 16 * 6_738_415_616 / 8 + 4 * 32000 * 4096
    per_sequence = 32 * 34 * 4096 * 4096 + 4096 * (4 * 4096 + 3 * 4 * 32000)
    raw = (141e9 - states) / per_sequence
    assert raw == pytest.approx(6.384, abs=1e-3)
    r = eng.solve(["micro_batch"], {"model": "llama2-7b", "precision": "bf16", "seq_len": 4096, "gpu": "H200",
                                    "memory_fill": 1, "zero_stage": 3, "n_gpus": 8, "attention_kernel": "flash",
                                    "activation_model": "korthikanti"})
    assert r.values["micro_batch"] == 6
    assert r.rounded["micro_batch"][0] == pytest.approx(raw, rel=1e-9)
    assert r.values["memory_per_gpu"] == pytest.approx(states + 6 * per_sequence)   # recomputed for b = 6
    assert r.status["memory_fill"] == "recomputed" and r.values["memory_fill"] < 1


LLAMA2_70B = 80 * (2 * 8192**2 + 2 * 8192 * 8 * 128 + 3 * 8192 * 28672 + 2 * 8192) + 8192 + 2 * 32000 * 8192


def test_smallest_tensor_parallel_size_that_fits(eng):
    # Llama-2-70B (N = 68,976,648,192 counted from its shapes, tests/rules/test_catalog_models.py), bf16 + Adam:
    # 16 B × N = 1,103.6 GB of states, split over tp;
    # selective recomputation with sequence parallelism: 34·s·b·h/t per layer, 80 layers, s = 4096, and the
    # output layer 4sbh/t·(1 + v/h) = 4096 · (4 · 8192 + 4 · 32000) / t (Korthikanti §4.3, all split with SP).
    # 80 GB = (16 N + 80 · 34 · 4096 · 8192 + 4096 · 160,768) / t  ->  t = 14.944  ->  16 (15 does not divide 64 heads)
    raw = (16 * LLAMA2_70B + 80 * 34 * 4096 * 8192 + 4096 * (4 * 8192 + 4 * 32000)) / 80e9
    assert raw == pytest.approx(14.944, abs=1e-3)
    givens = {"model": "llama2-70b", "precision": "bf16", "seq_len": 4096, "gpu": "A100",
              "memory_fill": 1, "recompute": "selective", "sequence_parallel": "on",
              "activation_model": "korthikanti"}
    # issue #13 §5: tp must divide the GPUs of a node (default 8): 16 is not admissible there, and no
    # larger tp is either; with 16 GPUs per node (DGX-2: 16 V100 on NVSwitch) tp = 16 is the answer
    with pytest.raises(EvaluationError) as info:
        eng.solve(["tp"], givens)
    assert "parallelism.admissible_tp_node" in str(info.value)
    r = eng.solve(["tp"], dict(givens, gpus_per_node=16))
    assert r.rounded["tp"][0] == pytest.approx(raw, rel=1e-9)
    assert r.values["tp"] == 16
    assert r.values["memory_per_gpu"] == pytest.approx(raw * 80e9 / 16)
    (torn,) = [s for s in r.derivation if s.unknowns == ("tp",) and s.phase == "solve"]
    assert {"parallelism.memory_per_gpu", "parallelism.weights_per_gpu",
            "activations.per_layer_selective_sequence_parallel"} <= {e.id for e in torn.equations}


def test_gpus_needed_with_zero3(eng):
    # Llama-2-70B, ZeRO-3, full recomputation, s = 4096: 16 N / n + 80 · 2 · 4096 · 8192 B (checkpoints)
    # + the one layer being recomputed (issue #14; generalised, flash: s · (8h + 8·heads·head_dim + 8·ffn)
    #   = 4096 · (65,536 + 65,536 + 229,376) = 1,476,395,008 B)
    # + output layer 4096 · (4 · 8192 + 3 · 4 · 32000) B (final norm, lm_head input, fp32 logits and the loss's two
    #   logit-sized gradients, which ZeRO-3's sharded gradients do not offset)
    # + the largest module ZeRO-3 gathers whole with its gradient (DeepSpeed stage3.py
    #   estimate_zero3_model_states_mem_needs: 4 B × the embedding 32,000 × 8,192 = 1,048,576,000 B, above one MLP
    #   projection 8,192 × 28,672) ≤ 80 GB -> n = 15.68
    acts = 80 * 2 * 4096 * 8192 + 4096 * (8 * 8192 + 8 * 8192 + 8 * 28672) + 4096 * (4 * 8192 + 3 * 4 * 32000)
    gathered = 4 * 32000 * 8192
    raw = 16 * LLAMA2_70B / (80e9 - acts - gathered)
    r = eng.solve(["n_gpus"], {"model": "llama2-70b", "precision": "bf16", "seq_len": 4096, "gpu": "A100",
                               "memory_fill": 1, "recompute": "full", "zero_stage": 3})
    assert raw == pytest.approx(15.677, abs=1e-3)
    assert r.rounded["n_gpus"][0] == pytest.approx(raw, rel=1e-9)
    assert r.values["n_gpus"] == math.ceil(raw) == 16


def test_gb_or_gib_reading_of_gpu_memory(eng):
    gb = eng.solve(["usable_gpu_memory"], {"gpu": "A100"})
    gib = eng.solve(["usable_gpu_memory"], {"gpu": "A100", "memory_unit_convention": "gib"})
    assert gb.values["usable_gpu_memory"] == 80e9
    assert gib.values["usable_gpu_memory"] == pytest.approx(80 * 2**30)           # 85.9e9 bytes
    assert "parallelism.usable_memory_gib" in ids(gib)


# -- fine-tuning methods -------------------------------------------------------------------

def test_lora_trainable_parameters(eng):
    # Hu et al. 2021 §4.1: r·(d_in + d_out) per adapted matrix. Llama-2-7B, r = 8:
    #   q, v: 32 layers · 8 · 2 · (4096 + 4096)                              = 4,194,304 (PEFT's count)
    #   all linear: 32 · 8 · (4 · 8192 + 3 · (4096 + 11008))                 = 19,988,480
    qv = eng.solve(["lora_params"], {"model": "llama2-7b", "lora_rank": 8})
    assert qv.values["lora_params"] == 32 * 8 * 2 * (4096 + 4096) == 4_194_304
    every = eng.solve(["lora_params"], {"model": "llama2-7b", "lora_rank": 8, "lora_targets": "all-linear"})
    assert every.values["lora_params"] == 32 * 8 * (4 * 8192 + 3 * (4096 + 11008)) == 19_988_480
    # grouped-query attention: Llama-2-70B k and v map 8192 -> 8 · 128 = 1024
    gqa = eng.solve(["lora_params_per_layer"], {"model": "llama2-70b", "lora_rank": 64, "lora_targets": "qkvo"})
    assert gqa.values["lora_params_per_layer"] == 64 * (2 * (8192 + 8192) + 2 * (8192 + 1024))


def test_lora_memory_breakdown_for_llama2_7b(eng):
    # issue #14: bf16 base 2 B × 6,738,415,616; PEFT's fp32 adapters 4,194,304 × (4 B weight + 4 B grad + 8 B Adam,
    # no master copy) whatever precision= says (it is the full-training recipe).
    # s = 2048, b = 4, FlashAttention, generalised SwiGLU block (no dropout): 32 layers × s·b·(16h + 8·ffn)
    # = 32 × 8192 · (65,536 + 88,064) B + output layer 2048 · 4 · (4 · 4096 + 3 · 4 · 32000): with a frozen base
    # the loss's backward holds the fp32 logits and two logit-sized gradients (validation/gpu_activations.json)
    r = eng.solve(["memory_per_gpu", "weights_bytes_per_gpu", "grads_bytes_per_gpu", "optimizer_bytes_per_gpu",
                   "activation_bytes_per_gpu"],
                  {"model": "llama2-7b", "method": "lora", "precision": "bf16", "seq_len": 2048, "micro_batch": 4,
                   "attention_kernel": "flash", "gpu": "A100", "recompute": "none"})   # (a LoRA's default: full)
    v, lora = r.values, 4_194_304
    assert v["weights_bytes_per_gpu"] == pytest.approx(2 * 6_738_415_616 + 4 * lora)
    assert v["grads_bytes_per_gpu"] == pytest.approx(4 * lora)
    assert v["optimizer_bytes_per_gpu"] == pytest.approx(8 * lora)
    assert v["activation_bytes_per_gpu"] == pytest.approx(32 * 2048 * 4 * (16 * 4096 + 8 * 11008)
                                                          + 2048 * 4 * (4 * 4096 + 3 * 4 * 32000))
    assert v["memory_per_gpu"] == pytest.approx(sum(v[k] for k in ("weights_bytes_per_gpu", "grads_bytes_per_gpu",
                                                                    "optimizer_bytes_per_gpu",
                                                                    "activation_bytes_per_gpu")))
    assert v["trainable_params"] == lora
    assert {"finetune.weights", "finetune.grads", "finetune.optimizer", "finetune.frozen_bytes_lora"} <= ids(r)


def test_qlora_70b_breakdown(eng):
    # Dettmers et al. 2023 §3: NF4 4 bit + double-quantized constants 8/64 + 32/(64·256) bit
    # = 0.5 + 0.015869 B per base weight. r = 64 on every linear layer of Llama-2-70B:
    # per layer 64 · (2·(8192 + 8192) + 2·(8192 + 1024) + 3·(8192 + 28672)) = 10,354,688; × 80 = 828,375,040.
    # issue #14: only the blocks' linear layers are NF4: 80 · ((2·64 + 2·8) · 128 · 8192 + 3 · 8192 · 28672)
    # = 68,451,041,280; the rest (embeddings 2 · 32000 · 8192, norms 161 · 8192 = 525,606,912) stays bf16;
    # adapters fp32 (4 + 4 + 8 B with Adam).
    quant = 4 / 8 + (1 + 4 / 256) / 64
    assert quant * 8 == pytest.approx(4 + 0.127, abs=1e-3)          # the paper's 0.127 bit per parameter
    lora = 80 * 64 * (2 * (8192 + 8192) + 2 * (8192 + 1024) + 3 * (8192 + 28672))
    assert lora == 828_375_040
    r = eng.solve(["memory_per_gpu", "weights_bytes_per_gpu", "grads_bytes_per_gpu", "optimizer_bytes_per_gpu",
                   "activation_bytes_per_gpu"],
                  {"model": "llama2-70b", "method": "qlora", "lora_rank": 64, "lora_targets": "all-linear",
                   "precision": "bf16", "seq_len": 512, "recompute": "full", "gpu": "H100"})
    v = r.values
    linear = 80 * ((2 * 64 + 2 * 8) * 128 * 8192 + 3 * 8192 * 28672)
    assert linear == 68_451_041_280
    rest = 2 * 32000 * 8192 + (2 * 80 + 1) * 8192
    assert v["quant_bytes_per_param"] == pytest.approx(quant)
    assert v["quantized_params"] == linear
    assert v["weights_bytes_per_gpu"] == pytest.approx(linear * quant + 2 * rest + 4 * lora)
    assert v["grads_bytes_per_gpu"] == pytest.approx(4 * lora)
    assert v["optimizer_bytes_per_gpu"] == pytest.approx(8 * lora)
    # checkpoints 80 · 2·s·h, the layer being recomputed s·(8h + 8·heads·head_dim + 8·ffn), the output layer
    # with the loss's backward of a frozen base (fp32 logits and two logit-sized gradients, 3 · 4 B per logit)
    acts = 80 * 2 * 512 * 8192 + 512 * (8 * 8192 + 8 * 8192 + 8 * 28672) + 512 * (4 * 8192 + 3 * 4 * 32000)
    assert v["activation_bytes_per_gpu"] == pytest.approx(acts)
    total = linear * quant + 2 * rest + 16 * lora + acts
    assert total == pytest.approx(50.68e9, rel=1e-3)                      # fits one 80 GB GPU
    assert v["memory_per_gpu"] == pytest.approx(total)
    assert not any(w.code == "parallelism.does_not_fit" for w in r.warnings)


def test_qlora_without_double_quantization_and_8bit_base(eng):
    plain = eng.solve(["quant_bytes_per_param"], {"method": "qlora", "double_quant": "off"})
    assert plain.values["quant_bytes_per_param"] == pytest.approx(0.5 + 4 / 64)      # 0.5 bit of constants
    eight = eng.solve(["frozen_bytes_per_param"], {"method": "qlora-8bit"})
    assert eight.values["frozen_bytes_per_param"] == pytest.approx(1 + (1 + 4 / 256) / 64)


def test_freeze_tuning_trains_the_last_layers(eng):
    # Llama-2-7B layer: 4 · 4096² + 3 · 4096 · 11008 + 2 · 4096 = 202,383,360; two layers trained
    layer = 4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096
    # issue #14 (as LLaMA-Factory does): frozen layers bf16, the trained ones fp32 with fp32 gradients
    r = eng.solve(["grads_bytes", "weights_bytes"], {"model": "llama2-7b", "method": "freeze", "precision": "bf16"})
    assert r.values["trainable_params"] == 2 * layer
    assert r.values["grads_bytes"] == pytest.approx(4 * 2 * layer)
    assert r.values["weights_bytes"] == pytest.approx(2 * (6_738_415_616 - 2 * layer) + 4 * 2 * layer)


# -- FLOPs conventions --------------------------------------------------------------------------

@pytest.mark.parametrize("flops_model, extra", [("six_nd", 0.0), ("attention", 2.0), ("attention_causal", 1.0)])
def test_flops_against_6nd_for_gpt3(eng, flops_model, extra):
    # per token: 6N (six_nd), 6N + 12·L·s·d (full scores: Chinchilla App. F, PaLM App. B),
    # 6N + 6·L·s·d (Kaplan et al. 2020 Table 1: C_forward = 2N + 2·n_layer·n_ctx·d_attn)
    r = eng.solve(["flops_vs_6nd", "attention_flops_share"],
                  {"model": "gpt3-175b", "tokens": "300B", "seq_len": 2048, "flops_model": flops_model})
    attention = extra * 96 * 2048 * 12288          # per parameter-FLOP unit: 2.416e9 × extra
    assert r.values["flops_vs_6nd"] == pytest.approx(1 + attention / 175e9, rel=1e-12)
    assert r.values["attention_flops_share"] == pytest.approx(attention / (175e9 + attention), abs=1e-12)
    if flops_model != "six_nd":
        assert f"architecture.train_flops_{flops_model}" in ids(r)


# -- Chinchilla (Hoffmann et al. 2022) ----------------------------------------------------------

@pytest.mark.parametrize("params, paper_flops, paper_tokens", [("1B", 1.21e20, 20.2e9), ("10B", 1.23e22, 205.1e9)])
def test_chinchilla_table_3(eng, params, paper_flops, paper_tokens):
    r = eng.solve(["optimal_tokens", "train_flops"], {"optimal_params": params})
    assert r.values["optimal_tokens"] == pytest.approx(paper_tokens, rel=0.03)
    assert r.values["train_flops"] == pytest.approx(paper_flops, rel=0.03)
    back = eng.solve(["optimal_params", "optimal_tokens"], {"train_flops": paper_flops})
    assert back.values["optimal_params"] == pytest.approx(float(params[:-1]) * 1e9, rel=0.03)


def test_chinchilla_loss_and_its_inverse(eng):
    # eq. (10): L(70B, 1.4T) = 1.69 + 406.4/70e9^0.34 + 410.7/1.4e12^0.28 = 1.9366
    expected = 1.69 + 406.4 / 70e9**0.34 + 410.7 / 1.4e12**0.28
    r = eng.solve(["loss"], {"params": "70B", "tokens": "1.4T"})
    assert r.values["loss"] == pytest.approx(expected, rel=1e-12)
    assert r.values["loss"] == pytest.approx(1.937, abs=1e-3)
    # tokens needed for a loss at N params, closed form D = (B / (L − E − A/N^α))^(1/β)
    tokens = (410.7 / (1.95 - 1.69 - 406.4 / 70e9**0.34)) ** (1 / 0.28)
    inv = eng.solve(["tokens"], {"params": "70B", "loss": 1.95})
    assert inv.values["tokens"] == pytest.approx(tokens, rel=1e-9)
    assert not inv.derivation[-1].numeric
    refit = eng.solve(["loss"], {"params": "70B", "tokens": "1.4T", "loss_fit": "besiroglu2024"})
    assert refit.values["loss"] == pytest.approx(1.8172 + 482.01 / 70e9**0.3478 + 2085.43 / 1.4e12**0.3658)


@pytest.mark.parametrize("fit, constants", [("hoffmann2022", (406.4, 410.7, 0.34, 0.28)),
                                            ("besiroglu2024", (482.01, 2085.43, 0.3478, 0.3658))])
def test_loss_minimising_allocation(eng, fit, constants):
    a_, b_, alpha, beta = constants
    g = (alpha * a_ / (beta * b_)) ** (1 / (alpha + beta))                  # eq. (4)
    budget = 5.76e23                                                        # Gopher's and Chinchilla's budget
    r = eng.solve(["optimal_params", "optimal_tokens", "optimal_loss"],
                  {"train_flops": budget, "optimal_allocation": "loss_minimum", "loss_fit": fit})
    n_opt = g * (budget / 6) ** (beta / (alpha + beta))
    assert r.values["loss_fit_g"] == pytest.approx(g, rel=1e-6)
    assert r.values["optimal_params"] == pytest.approx(n_opt, rel=1e-6)
    # it is the minimum of L(N, C / 6N): a nudge either way raises the loss
    for factor in (0.9, 1.1):
        other = eng.solve(["loss"], {"params": n_opt * factor, "tokens": budget / (6 * n_opt * factor),
                                     "loss_fit": fit})
        assert other.values["loss"] > r.values["optimal_loss"]


def test_params_for_a_loss_within_a_budget_are_found_numerically(eng):
    r = eng.solve(["params"], {"train_flops": "5.76e23", "loss": 1.95})
    n = r.values["params"]
    loss = 1.69 + 406.4 / n**0.34 + 410.7 / (5.76e23 / (6 * n)) ** 0.28
    assert loss == pytest.approx(1.95, rel=1e-9)
    assert any(s.numeric and s.unknowns == ("params",) for s in r.derivation)


# -- data repetition (Muennighoff et al. 2023) ------------------------------------------------

def test_effective_tokens_of_repeated_data(eng):
    # eq. (5): 4 epochs over 100B unique tokens, R_D = 3, R_D* = 15.39:
    # D' = 100B · (1 + 15.39 · (1 − e^(−3/15.39))) = 372.57B, 93.1% of the 400B processed
    expected = 100e9 * (1 + 15.39 * (1 - math.exp(-3 / 15.39)))
    r = eng.solve(["effective_tokens"], {"unique_tokens": "100B", "epochs": 4})
    assert r.values["effective_tokens"] == pytest.approx(expected, rel=1e-12)
    assert r.values["effective_data_fraction"] == pytest.approx(expected / 400e9)
    (info,) = [w for w in r.warnings if w.code == "data.repeated_data_value"]
    assert "373B" in info.message and "0.9314" in info.message
    epochs = eng.solve(["epochs"], {"unique_tokens": "100B", "effective_tokens": expected})
    assert epochs.values["epochs"] == pytest.approx(4)


def test_repetition_explained_in_any_question_with_epochs(eng):
    r = eng.solve(["train_flops"], {"params": "7B", "unique_tokens": "500B", "tokens": "2T"})
    assert any(w.code == "data.repeated_data_value" for w in r.warnings)
    assert any(w.code == "scaling.repeated_epochs" for w in r.warnings)


# -- energy and carbon (Touvron et al. 2023, Table 15) ------------------------------------------

def test_llama_65b_energy_and_carbon(eng):
    # 1,022,362 GPU-hours × 400 W × 1.1 = 449,839 kWh ≈ 449 MWh; × 0.385 kg/kWh = 173 tCO2eq
    r = eng.solve(["energy_kwh", "co2_kg"], {"gpu": "A100-80GB-SXM", "gpu_hours": 1_022_362})
    assert r.values["energy_kwh"] / 3.6e6 == pytest.approx(1_022_362 * 400 * 1.1 / 1000)
    assert round(r.values["energy_kwh"] / 3.6e9) == 450 and r.values["energy_kwh"] / 3.6e9 == pytest.approx(449.8, abs=0.1)
    assert r.values["co2_kg"] / 1e6 == pytest.approx(173.2, abs=0.1)      # base unit gram -> tonnes
    assert {"pue", "carbon_intensity"} <= {n for n, _, _ in r.assumptions}


def test_energy_from_a_planned_run(eng):
    r = eng.solve(["energy_kwh"], {"params": "7B", "tokens": "2T", "gpu": "A800", "mfu": 0.4, "pue": 1.2})
    gpu_hours = 6 * 7e9 * 2e12 / (312e12 * 0.4) / 3600
    assert r.values["energy_kwh"] / 3.6e6 == pytest.approx(gpu_hours * 300 * 1.2 / 1000)


# -- conventions are named, selectable and explained -------------------------------------------

@pytest.mark.parametrize("selector", ["recompute", "sequence_parallel", "attention_kernel", "zero_stage", "offload",
                                      "method", "lora_targets", "double_quant", "memory_unit_convention",
                                      "loss_fit", "optimal_allocation", "flops_model", "precision"])
def test_every_variant_is_documented(eng, selector):
    from engine.solve.explain import explain

    rules = eng.rules
    variable = rules.variables[selector]
    assert variable.default is not None and variable.default_source and variable.en and variable.zh
    table = rules.tables.get(selector)
    for value in variable.values:
        eqs = [eq for eq in rules.equations for sel, allowed in eq.variant if sel == selector and value in allowed]
        entry = table.entries.get(value) if table else None
        assert eqs or entry, f"{selector}={value} selects nothing"
        for eq in eqs:
            assert eq.source and eq.en and eq.zh
        if entry is not None:
            assert entry.source
    text = explain(eng, selector)
    assert all(value in text for value in variable.values)


def test_underdetermined_memory_question_names_what_is_missing(eng):
    with pytest.raises(UnderdeterminedError) as info:
        eng.solve(["memory_per_gpu"], {"params": "7B", "precision": "bf16", "zero_stage": "3"})
    assert "n_gpus" in str(info.value) or "dp" in str(info.value)


def test_nothing_fits_is_a_clear_error(eng):
    # s = 8192 on an H200, generalised SwiGLU block: (141e9 − 16 · 6.738e9)
    # / (32 · 8192 · (16 · 4096 + 8 · 11008) + 8192 · (4 · 4096 + 4 · 32000)) = 33.185e9 / 41.448e9 = 0.8006
    # -> not even one sequence
    from engine import EvaluationError

    assert (141e9 - 16 * 6_738_415_616) / (32 * 8192 * (16 * 4096 + 8 * 11008) + 8192 * (4 * 4096 + 4 * 32000)) \
        == pytest.approx(0.8006, abs=1e-4)
    with pytest.raises(EvaluationError, match="micro_batch = 0.8006 rounds down to 0"):
        eng.solve(["micro_batch"], {"model": "llama2-7b", "precision": "bf16", "seq_len": 8192, "gpu": "H200",
                                    "memory_fill": 1, "attention_kernel": "flash"})


def test_cli_memory_breakdown_for_a_report():
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "engine", "solve", "memory_per_gpu", "model=llama2-7b", "method=lora",
                          "precision=bf16", "seq_len=2048", "gpu=A100", "--json"],
                         check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    values = json.loads(out.stdout)["values"]
    parts = ["weights_bytes_per_gpu", "grads_bytes_per_gpu", "optimizer_bytes_per_gpu", "activation_bytes_per_gpu",
             "memory_overhead"]
    assert all(values[p]["unit"] == "byte" for p in parts)
    assert sum(values[p]["value"] for p in parts) == pytest.approx(values["memory_per_gpu"]["value"])
    assert values["memory_fill"]["value"] == pytest.approx(values["memory_per_gpu"]["value"] / 80e9)
