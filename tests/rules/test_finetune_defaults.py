"""A fine-tune's defaults are its frameworks' defaults (formulas' `default_when`, engine/rules/conditional_defaults.py).

LLaMA-Factory, TRL's SFTTrainer and PEFT's k-bit preparation turn gradient checkpointing on, and none of them (nor
axolotl) packs unless asked, so recompute=full and packing=off for method=lora/qlora/freeze or stage=finetuning; a
pretraining run keeps the seed's recompute=none (Megatron-LM recomputes only when asked) and packed sequences. A
value the user types always wins.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import polars as pl
import pytest

from engine import DefinitionError, Engine, UnderdeterminedError, load_rules, solve_frame
from engine.solve.explain import explain

LLAMA2_7B = 6_738_415_616       # catalog params (Touvron et al. 2023)
LORA_QV_7B = 32 * 2 * 8 * (4096 + 4096)   # r = 8 on q and v in 32 layers: 4,194,304 (Hu et al. 2021 §4.1)


@pytest.fixture(scope="module")
def eng() -> Engine:
    return Engine.load()


def _assumed(result) -> dict[str, tuple[str, str]]:
    return {name: (value, source) for name, value, source in result.assumptions}


def test_a_lora_recomputes_by_default_as_its_frameworks_do(eng):
    # frozen base: forward 2 + activation gradients 2 + recomputed forward 2 per base parameter-token, adapters
    # 6 + 2: 1e9 · (6 · 6,738,415,616 + 8 · 4,194,304) = 4.0464048e19 (by hand; 1.5× the 4 · N · D without it)
    r = eng.solve(["train_flops"], {"model": "llama2-7b", "method": "lora", "tokens": "1B"})
    assert r.values["train_flops"] == pytest.approx(1e9 * (6 * LLAMA2_7B + 8 * LORA_QV_7B), rel=1e-12)
    assert r.default_keys["recompute"] == "full"
    value, source = _assumed(r)["flops_factor"]
    assert source.startswith("recompute=full (default for a LoRA, QLoRA or freeze fine-tune)")
    typed = eng.solve(["train_flops"], {"model": "llama2-7b", "method": "lora", "tokens": "1B", "recompute": "none"})
    assert typed.values["train_flops"] == pytest.approx(1e9 * (4 * LLAMA2_7B + 6 * LORA_QV_7B), rel=1e-12)


def test_the_recompute_default_names_the_frameworks_that_set_it(eng):
    r = eng.solve(["activation_bytes_per_layer"], {"model": "llama2-7b", "method": "qlora", "seq_len": 2048})
    value, source = _assumed(r)["recompute"]
    assert value == "full" and source.startswith("default for a LoRA, QLoRA or freeze fine-tune")
    assert "LLaMA-Factory" in source and "prepare_model_for_kbit_training" in source
    # full recomputation keeps each layer's 16-bit input: 2 · s · b · h bytes (Korthikanti et al. 2022 Table 2)
    assert r.values["activation_bytes_per_layer"] == 2 * 2048 * 1 * 4096


def test_pretraining_keeps_the_seeds_six_n_d_and_a_full_fine_tune_recomputes(eng):
    base = {"model": "llama2-7b", "tokens": "1B"}
    pretraining = eng.solve(["train_flops"], base)
    assert pretraining.values["train_flops"] == pytest.approx(6 * LLAMA2_7B * 1e9, rel=1e-12)   # seed §2
    assert pretraining.default_keys["recompute"] == "none"
    finetune = eng.solve(["train_flops"], {**base, "stage": "finetuning"})
    assert finetune.values["train_flops"] == pytest.approx(8 * LLAMA2_7B * 1e9, rel=1e-12)     # seed §4b, 8·N·D
    assert _assumed(finetune)["flops_factor"][1].startswith("recompute=full (default for a fine-tune)")


def test_a_fine_tune_counts_one_sequence_per_sample(eng):
    # LLaMA-Factory's SFT (packing off): 50,000 samples, global batch 1 · 8 · 1 = 8: 6,250 steps per epoch, 3 epochs
    # 18,750 (by hand); packed into 4,096 they would be 50,000 · 1,024 / 4,096 / 8 · 3 -> 4,686 (Trainer rounding)
    givens = {"model": "qwen2.5-7b", "method": "lora", "seq_len": 4096, "samples": "50k", "tokens_per_sample": 1024,
              "epochs": 3, "micro_batch": 1, "grad_accum": 8, "n_gpus": 1}
    unpacked = eng.solve(["steps", "tokens"], givens)
    assert unpacked.values["steps"] == 50_000 / 8 * 3 == 18_750
    value, source = _assumed(unpacked)["packing"]
    assert value == "off" and source.startswith("default for a LoRA, QLoRA or freeze fine-tune") and "TRL" in source
    assert eng.solve(["steps"], {**givens, "packing": "on"}).values["steps"] == 4686
    pretraining = eng.solve(["steps"], {k: v for k, v in givens.items() if k != "method"})
    assert pretraining.values["steps"] == 4686          # a pretraining corpus is packed (seed §2)
    # a micro-batch of one sample is computed at its own length: 3 × 50,000 × 1,024 tokens, no padding
    assert unpacked.values["tokens"] == 3 * 50_000 * 1024


def test_a_global_batch_is_reached_by_accumulation_not_by_a_padded_micro_batch(eng):
    # 64 sequences per step on 8 GPUs: grad_accum gives way before micro_batch (default_rank), so micro_batch = 1,
    # grad_accum = 8, and each sample is computed at its own 800 tokens: 3 × 50,000 × 800 = 120M tokens. Once the
    # global batch was reached by micro_batch = 8 instead, each micro-batch padded to seq_len: 2.56× the time.
    # Steps as Transformers' Trainer counts them: ceil(50,000 / 8) = 6,250 batches per rank, 6,250 // 8 = 781 per
    # epoch, 3 epochs: 2,343 (by hand)
    question = {"model": "qwen2.5-7b", "method": "lora", "samples": "50k", "tokens_per_sample": 800, "epochs": 3,
                "gpu": "A100-80GB", "n_gpus": 8, "seq_len": 2048, "global_batch": 64, "mfu": 0.35}
    r = eng.solve(["train_time", "steps", "tokens"], question)
    assert r.values["micro_batch"] == 1 and r.values["grad_accum"] == 8
    assert r.values["tokens"] == 3 * 50_000 * 800 and r.values["steps"] == 2343
    typed = eng.solve(["train_time"], {**question, "micro_batch": 1, "grad_accum": 8})
    assert r.values["train_time"] == pytest.approx(typed.values["train_time"], rel=1e-12)


def test_an_unpacked_time_without_seq_len_asks_for_seq_len_first(eng):
    # unpacked, a sample is cut at seq_len (and padded to its micro-batch's longest), so its tokens need it
    with pytest.raises(UnderdeterminedError) as missing:
        eng.solve(["train_time"], {"model": "qwen2.5-7b", "method": "lora", "samples": "10k", "tokens_per_sample": 1000,
                                   "epochs": 3, "gpu": "RTX-4090", "n_gpus": 1, "mfu": 0.35})
    assert missing.value.suggestions[0] == "seq_len"
    assert "packing=on" in str(missing.value)


def test_qlora_fits_a_65b_model_on_one_48_gb_gpu(eng):
    # Dettmers et al. 2023 (QLoRA), abstract: "finetune a 65B parameter model on a single 48GB GPU", with gradient
    # checkpointing (their qlora.py default). Without it, 1,024-token sequences would not fit.
    question = {"model": "llama-65b", "method": "qlora", "gpu": "RTX-A6000", "n_gpus": 1, "seq_len": 1024}
    assert eng.solve(["memory_fill"], question).values["memory_fill"] < 1
    assert eng.solve(["memory_fill"], {**question, "recompute": "none"}).values["memory_fill"] > 1


def test_rows_of_a_sheet_each_take_their_own_default(eng):
    # one frame, a LoRA row and a pretraining row: each row's recompute follows its method (a column of keys)
    frame = pl.DataFrame({"solve": ["train_flops"] * 3, "model": ["llama2-7b"] * 3,
                          "method": ["lora", "full", "lora"], "recompute": [None, None, "none"], "tokens": ["1B"] * 3})
    out = solve_frame(frame)
    flops = out["train_flops [FLOP]"].to_list()
    assert flops[0] == pytest.approx(1e9 * (6 * LLAMA2_7B + 8 * LORA_QV_7B), rel=1e-9)
    assert flops[1] == pytest.approx(6 * LLAMA2_7B * 1e9, rel=1e-9)
    assert flops[2] == pytest.approx(1e9 * (4 * LLAMA2_7B + 6 * LORA_QV_7B), rel=1e-9)
    assumptions = out["assumptions"].to_list()
    # the figure says which convention's default it is: why 8 FLOP/token and not the seed's 6
    assert "flops_factor=8 FLOP/token (recompute=full)" in assumptions[0]
    assert "flops_factor=6 FLOP/token (recompute=none)" in assumptions[1]
    assert "lora_on_q=1;" in assumptions[0] + ";"   # (lora_targets=qv is listed itself: not said again)
    assert "flops_factor" not in assumptions[2]   # (typed recompute=none: its figure is no assumption)


def test_explain_lists_the_conditional_defaults(eng):
    said = explain(eng, "recompute")
    assert "default: none" in said
    assert "default for a LoRA, QLoRA or freeze fine-tune (method = freeze, lora" in said and "): full" in said
    assert "default for a fine-tune (stage = finetuning): full" in said


@pytest.mark.parametrize("entry, problem", [
    ("{when: {methd: lora}, value: b, case: x, source: y}", "'methd', which is not a categorical variable"),
    ("{when: {method: lora}, value: c, case: x, source: y}", "gives 'c', which is not one of its values"),
    ("{when: {method: sgd}, value: b, case: x, source: y}", "method has no value sgd"),
    ("{when: {method: lora}, value: b, case: x}", "needs `source:`"),
    ("{when: {method: lora}, value: b, source: y}", "needs `case:`"),
    ("{when: {user_knob: b}, value: b, case: x, source: y}", "whose own default is conditional"),
])
def test_a_malformed_default_when_is_refused_with_its_line(tmp_path: Path, entry: str, problem: str):
    path = tmp_path / "user.yaml"
    path.write_text(textwrap.dedent(f"""\
        variables:
          user_knob:
            domain: categorical
            values: [a, b]
            default: a
            default_source: test
            default_when:
              - {entry}
            en: A knob
            zh: 旋钮
        """), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_rules([path])
    said = str(caught.value)
    assert problem in said and f"{path}:8" in said
