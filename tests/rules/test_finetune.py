"""Fine-tuning as practitioners run it (issue #14): one test per row of the issue's table, QLoRA bytes of
Llama-3-8B, samples -> steps -> time, MoE and expert parallelism, and advisories that fit fine-tunes.

Every expected number is a hand calculation written out next to it; the old (seed/paper) conventions
are still reachable by naming them, and the tests check that they give the issue's "llmplan now" column.
"""
from __future__ import annotations

import math

import pytest

from engine import Engine

LLAMA2_7B = 6_738_415_616                  # sum(p.numel()) of Llama-2-7B (catalog, exact)
LORA_QV_7B = 32 * 8 * 2 * (4096 + 4096)    # PEFT default r = 8 on q_proj, v_proj: 4,194,304


@pytest.fixture(scope="module")
def eng() -> Engine:
    return Engine.load()


def ids(result) -> set[str]:
    return {e.id for step in result.derivation for e in step.equations}


def assumed(result) -> dict[str, str]:
    return {name: text for name, text, _ in result.assumptions}


def codes(result) -> set[str]:
    return {w.code for w in result.warnings}


# -- row 1 and 2: frozen-weight FLOPs --------------------------------------------------------------

def test_lora_flops_are_about_four_n_d(eng):
    # frozen base: forward 2·N + activation gradients 2·N per token, no weight gradients; adapters 6 per
    # parameter-token: 1e9 · (4 · 6,738,415,616 + 6 · 4,194,304) = 2.6978828e19 (was 6·N·D = 4.043e19)
    # (recompute=none chosen: a LoRA's default is full, tests/rules/test_finetune_defaults.py)
    r = eng.solve(["train_flops"], {"model": "llama2-7b", "method": "lora", "tokens": "1B", "recompute": "none"})
    assert r.values["train_flops"] == pytest.approx(1e9 * (4 * LLAMA2_7B + 6 * LORA_QV_7B), rel=1e-12)
    assert r.values["train_flops"] / (6 * LLAMA2_7B * 1e9) == pytest.approx(0.6673, abs=1e-4)   # LitGPT: 0.658
    assert "compute.param_flops_lora" in ids(r)
    full = eng.solve(["train_flops"], {"model": "llama2-7b", "tokens": "1B"})
    assert full.values["train_flops"] == pytest.approx(6 * LLAMA2_7B * 1e9, rel=1e-12)        # 4.043e19, unchanged


def test_lora_flops_with_full_recomputation_are_about_six_n_d(eng):
    # recomputation adds a forward: 1e9 · (6 · 6,738,415,616 + 8 · 4,194,304) = 4.0464048e19 (was 8·N·D)
    r = eng.solve(["train_flops"], {"model": "llama2-7b", "method": "lora", "tokens": "1B", "recompute": "full"})
    assert r.values["train_flops"] == pytest.approx(1e9 * (6 * LLAMA2_7B + 8 * LORA_QV_7B), rel=1e-12)
    # the LoRA paper's 8:6 ratio between a full fine-tune with recomputation and LoRA
    full = eng.solve(["train_flops"], {"model": "llama2-7b", "tokens": "1B", "recompute": "full"})
    assert full.values["train_flops"] / r.values["train_flops"] == pytest.approx(8 / 6, rel=2e-3)


def test_freeze_flops_count_weight_gradients_of_the_trained_layers_only(eng):
    layer = 4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096               # 202,383,360; the last 2 layers train
    r = eng.solve(["train_flops"], {"model": "llama2-7b", "method": "freeze", "tokens": "1B", "recompute": "none"})
    assert r.values["train_flops"] == pytest.approx(1e9 * (4 * LLAMA2_7B + 2 * 2 * layer), rel=1e-12)


def test_attention_term_is_paid_in_full_by_frozen_weights(eng):
    # flops_model=attention: + flops_factor · D · 2 · L · heads · head_dim · s; the score matmuls have no
    # weights, so LoRA pays them like a full fine-tune: 6 · 1e9 · 2 · 32 · 4096 · 4096 = 6.442e18
    base = {"model": "llama2-7b", "tokens": "1B", "seq_len": 4096, "flops_model": "attention", "recompute": "none"}
    lora = eng.solve(["train_flops", "attention_flops_share"], {**base, "method": "lora"})
    attention = 6 * 1e9 * 2 * 32 * 4096 * 4096
    assert lora.values["train_flops"] == pytest.approx(1e9 * (4 * LLAMA2_7B + 6 * LORA_QV_7B) + attention, rel=1e-12)
    assert lora.values["attention_flops_share"] == pytest.approx(attention / lora.values["train_flops"], rel=1e-9)


# -- row 3 and 4: bytes of the weights ---------------------------------------------------------------

def test_lora_base_is_bf16_and_adapters_fp32(eng):
    # 2 B × 6,738,415,616 + 4 B × 4,194,304 = 13,493,608,448 B (was 27 GB with the seed's fp32 recipe)
    r = eng.solve(["weights_bytes", "grads_bytes", "optimizer_bytes"], {"model": "llama2-7b", "method": "lora"})
    assert r.values["weights_bytes"] == pytest.approx(2 * LLAMA2_7B + 4 * LORA_QV_7B, rel=1e-12)
    assert r.values["grads_bytes"] == pytest.approx(4 * LORA_QV_7B, rel=1e-12)
    assert r.values["optimizer_bytes"] == pytest.approx(8 * LORA_QV_7B, rel=1e-12)      # Adam fp32, no master copy
    assert assumed(r)["base_dtype"] == "bf16" and assumed(r)["trainable_dtype"] == "fp32"
    old = eng.solve(["weights_bytes"], {"model": "llama2-7b", "method": "lora", "base_dtype": "fp32"})
    assert old.values["weights_bytes"] == pytest.approx(4 * LLAMA2_7B + 4 * LORA_QV_7B, rel=1e-12)   # 26.97 GB


def test_qlora_bytes_of_llama3_8b(eng):
    # bitsandbytes: the blocks' Linear layers NF4 (4 bit) + constants per block of 64 with double
    # quantization (1 B + 4 B / 256 per block): 0.5 + 1.015625 / 64 = 0.515869140625 B per weight.
    #   linear weights 32 · ((2·32 + 2·8) · 128 · 4096 + 3 · 4096 · 14336) = 6,979,321,856
    #   the rest, bf16: embeddings + lm_head 2 · 128,256 · 4096 = 1,050,673,152, norms 65 · 4096 = 266,240
    #   adapters (q, v; r = 8) fp32: 32 · 8 · ((4096 + 4096) + (4096 + 1024)) = 3,407,872
    linear = 32 * ((2 * 32 + 2 * 8) * 128 * 4096 + 3 * 4096 * 14336)
    rest = 2 * 128256 * 4096 + 65 * 4096
    adapters = 32 * 8 * ((4096 + 4096) + (4096 + 1024))
    assert (linear, rest, adapters) == (6_979_321_856, 1_050_939_392, 3_407_872)
    expected = linear * (0.5 + (1 + 4 / 256) / 64) + 2 * rest + 4 * adapters
    assert expected == pytest.approx(5.7159e9, rel=1e-4)                  # was 4.14 GB (everything NF4)
    r = eng.solve(["weights_bytes"], {"model": "llama3-8b", "method": "qlora"})
    assert r.values["quantized_params"] == linear
    assert r.values["weights_bytes"] == pytest.approx(expected, rel=1e-12)
    assert {"finetune.weights_qlora", "finetune.quantized_params"} <= ids(r)


def test_paged_8bit_optimizer_is_a_choice(eng):
    r = eng.solve(["optimizer_bytes"], {"model": "llama3-8b", "method": "qlora", "optimizer": "paged_adamw_8bit"})
    assert r.values["optimizer_bytes"] == pytest.approx(2 * 3_407_872, rel=1e-12)


def test_full_fine_tune_keeps_the_seed_recipe_and_says_so(eng):
    # 20 B per parameter: fp32 weights 4 + gradients 4 + Adam 12 (seed §3)
    r = eng.solve(["model_state_bytes"], {"model": "llama2-7b", "method": "full"})
    assert r.values["model_state_bytes"] == pytest.approx(20 * LLAMA2_7B, rel=1e-12)
    assert assumed(r)["precision"] == "seed-fp32"
    (source,) = [s for n, _, s in r.assumptions if n == "precision"]
    assert "20 B" in source and "mixed-bf16" in source


# -- row 5: activations of a LLaMA block ---------------------------------------------------------------

def test_llama2_7b_activations_at_4k(eng):
    # SDPA/flash, generalised SwiGLU block, no dropout: per layer s·h·(16 + 8·11008/4096) = 629,145,600 B,
    # × 32 + output layer 4096 · (4 · 4096 + 4 · 32000) = 591,396,864 -> 20,724,056,064 B (issue: 20.7 GB)
    r = eng.solve(["activation_bytes"], {"model": "llama2-7b", "seq_len": 4096, "micro_batch": 1})
    assert r.values["activation_bytes"] == 32 * 4096 * 4096 * (16 + 8 * 11008 / 4096) + 591_396_864 \
        == 20_724_056_064
    assert assumed(r)["attention_kernel"] == "flash" and assumed(r)["activation_model"] == "generalised"
    assert "dropout" in assumed(r)
    # the old column: stored scores, dropout masks, 34·s·b·h — 4096 · 4096 · (34 + 5 · 32) · 32 + output
    old = eng.solve(["activation_bytes"], {"model": "llama2-7b", "seq_len": 4096, "micro_batch": 1,
                                           "attention_kernel": "eager", "activation_model": "korthikanti"})
    assert old.values["activation_bytes"] == pytest.approx(4096 * 4096 * 194 * 32 + 591_396_864, rel=1e-12)


def test_dropout_comes_from_the_model(eng):
    # GPT-3 sets dropout = 1 in the catalog: its generalised block is Korthikanti's 34·sbh (flash)
    r = eng.solve(["activation_bytes_per_layer"], {"model": "gpt3-175b", "seq_len": 2048})
    assert r.values["dropout"] == 1 and r.status["dropout"] == "catalog"
    assert r.values["activation_bytes_per_layer"] == pytest.approx(34 * 2048 * 12288, rel=1e-12)


def test_full_recompute_peak_includes_the_layer_being_recomputed(eng):
    # Llama-2-7B s = 4096, b = 1: checkpoints 32 · 2 · s · h = 1,073,741,824 B, one layer rebuilt
    # 629,145,600 B, output layer 591,396,864 B -> 2,294,284,288 B
    r = eng.solve(["activation_bytes"], {"model": "llama2-7b", "seq_len": 4096, "recompute": "full"})
    assert r.values["recompute_working_bytes"] == 629_145_600
    assert r.values["activation_bytes"] == 32 * 2 * 4096 * 4096 + 629_145_600 + 591_396_864 == 2_294_284_288


# -- row 6: MoE --------------------------------------------------------------------------------------------

def test_mixtral_flops_from_active_parameters(eng):
    # arch 46,702,792,704; active = arch − 32 · 6 · 3 · 4096 · 14336 = 12,879,925,248 (12.9B);
    # 6 · 46.7e9 · 12,879,925,248 / 46,702,792,704 · 1e12 = 7.7275e22 (was 6 · 46.7e9 · 1e12 = 2.80e23)
    r = eng.solve(["train_flops"], {"model": "mixtral-8x7b", "tokens": "1T"})
    share = 12_879_925_248 / 46_702_792_704
    assert r.values["active_share"] == pytest.approx(share, rel=1e-12)
    assert r.values["train_flops"] == pytest.approx(6 * 46.7e9 * share * 1e12, rel=1e-12)
    assert r.values["train_flops"] == pytest.approx(6 * 12.9e9 * 1e12, rel=2e-3)
    assert not [w for w in r.warnings if "active_share" in w.message]          # a fallback, not an override


def test_dense_model_without_architecture_is_assumed_dense(eng):
    r = eng.solve(["train_flops"], {"params": "7B", "tokens": "1T"})
    assert r.values["train_flops"] == 6 * 7e9 * 1e12
    assert assumed(r)["active_share"] == "1"


def test_expert_parallelism_splits_the_experts(eng):
    # experts 32 · 8 · 3 · 4096 · 14336 = 45,097,156,608 of 46,702,792,704 (96.56 %); ep = 8 keeps 1/8 of
    # them: 16 B · 46.7e9 · (1 − 0.96562 · 7/8) = 115.88 GB per GPU (747.2 GB without ep)
    share = 32 * 8 * 3 * 4096 * 14336 / 46_702_792_704
    base = {"model": "mixtral-8x7b", "precision": "mixed-bf16", "n_gpus": 8}
    r = eng.solve(["model_state_bytes_per_gpu"], {**base, "ep": 8})
    assert r.values["model_state_bytes_per_gpu"] == pytest.approx(16 * 46.7e9 * (1 - share * 7 / 8), rel=1e-9)
    plain = eng.solve(["model_state_bytes_per_gpu"], base)
    assert plain.values["model_state_bytes_per_gpu"] == pytest.approx(16 * 46.7e9, rel=1e-9)
    assert "parallelism.ep_not_dividing" in codes(eng.solve(["model_state_bytes_per_gpu"], {**base, "ep": 16}))


# -- row 7: full recomputation with sequence parallelism ----------------------------------------------

def test_sequence_parallel_checkpoints_are_split_over_tp(eng):
    # GPT-3 175B, t = 8: 2 · 2048 · 12288 · 96 / 8 = 603,979,776 B (was 4.83 GB, not divided by t)
    r = eng.solve(["activation_bytes_per_layer"], {"model": "gpt3-175b", "seq_len": 2048, "tp": 8,
                                                   "recompute": "full", "sequence_parallel": "on"})
    assert 96 * r.values["activation_bytes_per_layer"] == 2 * 2048 * 12288 * 96 / 8 == 603_979_776
    off = eng.solve(["activation_bytes_per_layer"], {"model": "gpt3-175b", "seq_len": 2048, "tp": 8,
                                                     "recompute": "full"})
    assert 96 * off.values["activation_bytes_per_layer"] == 2 * 2048 * 12288 * 96     # Korthikanti Table 2


# -- samples -> steps -> time ------------------------------------------------------------------------

def test_samples_to_steps_to_time(eng):
    # (packing=on and recompute=none chosen: a LoRA's defaults are off and full, test_finetune_defaults.py)
    # 50,000 samples of 1,024 tokens packed into 4,096 -> 12,500 sequences per epoch; 8 GPUs, micro_batch 2:
    # ceil(12,500 / 16) = 782 batches per rank; grad_accum 4: 782 // 4 = 195 steps per epoch (Transformers
    # Trainer); 3 epochs: 585 steps. Tokens 3 · 12,500 · 4,096 = 153.6M; LoRA FLOPs
    # 153.6e6 · (4 · 6,738,415,616 + 6 · 4,194,304) = 4.14395e18; A800 312 TFLOPS at mfu 0.4 on 8 GPUs:
    # 4150.6 s, 7.095 s per step; at 2 USD per GPU-hour 8 · 4150.6 / 3600 · 2 = 18.45 USD
    givens = {"model": "llama2-7b", "method": "lora", "samples": 50000, "tokens_per_sample": 1024,
              "seq_len": 4096, "epochs": 3, "n_gpus": 8, "micro_batch": 2, "grad_accum": 4, "gpu": "A800",
              "mfu": 0.4, "price_per_gpu_hour": 2, "packing": "on", "recompute": "none"}
    r = eng.solve(["steps", "step_time", "train_time", "train_cost"], givens)
    v = r.values
    flops = 153.6e6 * (4 * LLAMA2_7B + 6 * LORA_QV_7B)
    seconds = flops / (8 * 312e12 * 0.4)
    assert v["batches_per_epoch"] == math.ceil(12_500 / 16) == 782
    assert v["steps_per_epoch"] == 782 // 4 == 195 and v["steps"] == 585
    assert v["global_batch"] == 64 and v["tokens"] == 3 * 12_500 * 4096
    assert v["train_time"] == pytest.approx(seconds, rel=1e-9)
    assert v["step_time"] == pytest.approx(seconds / 585, rel=1e-9)
    assert v["train_cost"] == pytest.approx(8 * seconds / 3600 * 2, rel=1e-9)
    assert assumed(r)["steps_rounding"] == "trainer"


def test_packed_samples_give_a_lora_time_without_seq_len(eng):
    # Packed, the tokens are the samples' own: 10,000 samples × 1,000 tokens × 3 epochs = 30M whatever seq_len is.
    # A LoRA's FLOPs are a sum in tokens (4 · N + 6 · adapters per token), so this once asked for a seq_len that
    # cancels out. Llama-2-7B LoRA on q, v (r = 8): 30e6 · (4 · 6,738,415,616 + 6 · 4,194,304) FLOPs at 312 TFLOPS
    # × 0.4 on one A800: 30e6 · 26,978,828,288 / 124.8e12 = 6,485.3 s (by hand)
    # (packing=on and recompute=none chosen: a LoRA's defaults are off and full, test_finetune_defaults.py)
    givens = {"model": "llama2-7b", "method": "lora", "samples": "10k", "tokens_per_sample": 1000, "epochs": 3,
              "gpu": "A800", "n_gpus": 1, "mfu": 0.4, "packing": "on", "recompute": "none"}
    r = eng.solve(["train_time"], givens)
    assert r.values["tokens"] == 30e6
    assert r.values["train_time"] == pytest.approx(30e6 * (4 * LLAMA2_7B + 6 * LORA_QV_7B) / (312e12 * 0.4),
                                                   rel=1e-9)
    assert 30e6 * (4 * LLAMA2_7B + 6 * LORA_QV_7B) / (312e12 * 0.4) == pytest.approx(6485.3, abs=0.1)
    # and backwards: the samples 10 hours allow
    back = eng.solve(["samples"], {**{k: v for k, v in givens.items() if k != "samples"}, "train_time": "10h"})
    assert back.values["samples"] == pytest.approx(10_000 * 36_000 / r.values["train_time"], rel=1e-9)


def test_unpacked_samples_compute_their_padding(eng):
    # 50,000 samples of 600 tokens, each padded to 2,048 (pad_to=max_length: axolotl's pad_to_sequence_len; the
    # collators' default pads a micro-batch to its longest sample only): 102.4M tokens per epoch, 70.7 % padding
    r = eng.solve(["tokens", "padding_share"], {"samples": 50000, "tokens_per_sample": 600, "seq_len": 2048,
                                                "packing": "off", "pad_to": "max_length"})
    assert r.values["tokens"] == 50_000 * 2048
    assert r.values["padding_share"] == pytest.approx(1 - 600 / 2048, rel=1e-12)
    assert "batching.mostly_padding" in codes(r)


def test_exact_steps_solve_backwards(eng):
    # how many samples of 512 tokens fit 1,000 steps of 128 sequences of 4,096 tokens, packed:
    # 1000 · 128 · 4096 / 512 = 1,024,000
    r = eng.solve(["samples"], {"steps": 1000, "global_batch": 128, "seq_len": 4096, "tokens_per_sample": 512,
                                "steps_rounding": "exact"})
    assert r.values["samples"] == pytest.approx(1_024_000, rel=1e-12)


# -- advisories that fit fine-tuning --------------------------------------------------------------------

@pytest.mark.parametrize("givens, fires", [
    ({"params": "7B", "tokens": "1B"}, True),                                   # pretraining, 0.14 tokens/param
    ({"params": "7B", "tokens": "1B", "stage": "finetuning"}, False),           # a full fine-tune
    ({"model": "llama2-7b", "tokens": "1B", "method": "lora"}, False),          # LoRA is a fine-tune
    ({"model": "llama2-7b", "tokens": "1B", "method": "qlora", "stage": "pretraining"}, False),
])
def test_chinchilla_note_only_on_pretraining(eng, givens, fires):
    r = eng.solve(["train_flops"], givens)
    assert ("scaling.far_from_chinchilla" in codes(r)) is fires


def test_fine_tune_epochs_get_no_pretraining_notes(eng):
    base = {"model": "llama2-7b", "samples": 50000, "tokens_per_sample": 512, "seq_len": 4096, "epochs": 3}
    lora = eng.solve(["tokens"], {**base, "method": "lora"})
    assert not {"scaling.repeated_epochs", "data.repeated_data_value"} & codes(lora)
    pre = eng.solve(["tokens"], base)
    assert "scaling.repeated_epochs" in codes(pre)


def test_dropout_from_a_config_json(eng, tmp_path):
    # Transformers configs name the rates: LLaMA attention_dropout 0.0 -> 0; GPT-2 attn_pdrop 0.1 -> 1
    import json

    llama = {"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 256, "num_attention_heads": 4,
             "num_key_value_heads": 4, "intermediate_size": 688, "vocab_size": 1000, "attention_dropout": 0.0}
    gpt2 = {"model_type": "gpt2", "n_layer": 2, "n_embd": 256, "n_head": 4, "vocab_size": 1000, "n_positions": 512,
            "attn_pdrop": 0.1, "resid_pdrop": 0.1}
    for name, config, expected in (("llama", llama, 0), ("gpt2", gpt2, 1)):
        path = tmp_path / name / "config.json"
        path.parent.mkdir()
        path.write_text(json.dumps(config), encoding="utf-8")
        r = eng.solve(["activation_bytes_per_layer"], {"model": str(path), "seq_len": 128})
        assert r.values["dropout"] == expected
        # s·b·(8h + 2·dropout·h + 8h + 4·(mlp_matrices − 1)·ffn), flash
        ffn, k = (688, 8) if name == "llama" else (1024, 4)
        assert r.values["activation_bytes_per_layer"] == 128 * ((16 + 2 * expected) * 256 + k * ffn)


@pytest.mark.parametrize("rounding", ["trainer", "exact"])
def test_analytic_step_time_and_batching_agree(eng, rounding):
    # perf_model=analytic with the data in samples: one definition of the time. 50,000 × 1,024 packed into
    # 4,096 = 12,500 sequences per epoch, 3 epochs = 153.6M tokens; a step is 2 · 4 · 8 = 64 sequences =
    # 262,144 tokens, so the run is 153.6M / 262,144 = 585.9375 global batches × step_time, whatever whole
    # `steps` the Trainer reports (585: floor(ceil(12,500 / 16) / 4) = 195 per epoch)
    givens = {"model": "llama2-7b", "method": "lora", "gpu": "A800", "n_gpus": 8, "seq_len": 4096,
              "samples": "50k", "tokens_per_sample": 1024, "epochs": 3, "micro_batch": 2, "grad_accum": 4,
              "perf_model": "analytic", "steps_rounding": rounding, "packing": "on", "recompute": "none"}
    r = eng.solve(["train_time", "steps", "step_time", "mfu"], givens)
    v = r.values
    assert v["train_time"] == pytest.approx(153_600_000 / 262_144 * v["step_time"], rel=1e-9)
    assert v["steps"] == (585 if rounding == "trainer" else 585.9375)
    # mfu in the train_flops convention: LoRA's 4·N + 6·N_adapters per token (compute.param_flops_lora)
    flops_per_token = 4 * LLAMA2_7B + 6 * LORA_QV_7B
    assert v["mfu"] == pytest.approx(flops_per_token * 262_144 / (8 * 312e12 * v["step_time"]), rel=1e-9)
