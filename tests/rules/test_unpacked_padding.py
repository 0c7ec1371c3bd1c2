"""Unpacked fine-tunes compute each micro-batch padded to its longest sample (formulas/batching.yaml: pad_to,
longest_sample_tokens), as the trainers' collators pad: Transformers' DataCollatorForSeq2Seq with padding=True
(LLaMA-Factory's SFT collator, axolotl without pad_to_sequence_len) and TRL's DataCollatorForLanguageModeling.

A user walk-through found packing=off timed as if every sample were padded to seq_len (cutoff_len): 0.75
padding and 1.3 days for 512-token samples at micro_batch 4, and the README's quick tour (micro_batch 1,
where nothing is padded) at twice its compute. Every expected number is a hand calculation beside it.
"""
from __future__ import annotations

import pytest

from engine import Engine

DAY = 86_400.0
# the walk-through: Qwen2.5-7B LoRA on one A100 80GB SXM, 50k samples of 512 tokens, 3 epochs, cutoff 2,048
WALK = {"model": "qwen2.5-7b", "method": "lora", "gpu": "A100-80GB-SXM", "n_gpus": "1", "seq_len": "2048",
        "samples": "50k", "tokens_per_sample": "512", "epochs": "3", "grad_accum": "4", "recompute": "full",
        "mfu": "0.4", "packing": "off"}
# 7B parameters (6·N·D), 8 A800s at 40 %: 8 × 312e12 × 0.4 × 86,400 s = 8.62618e19 FLOP a day
BUDGET = {"params": "7B", "gpu": "A800", "n_gpus": "8", "mfu": "0.4", "seq_len": "2048", "tokens_per_sample": "512",
          "packing": "off"}
DAY_TOKENS = 8 * 312e12 * 0.4 * DAY / (6 * 7e9)   # 2,053,851,428.6 tokens


@pytest.fixture(scope="module")
def eng() -> Engine:
    return Engine.load()


def codes(result) -> set[str]:
    return {w.code for w in result.warnings}


def test_micro_batch_one_computes_no_padding(eng):
    # a micro-batch of one sample is not padded: 50,000 × 512 × 3 = 76.8M tokens, padding 0;
    # steps still one sequence per example: 50,000 batches // 4 = 12,500 per epoch × 3 = 37,500
    r = eng.solve(["tokens", "padding_share", "steps", "train_time"], {**WALK, "micro_batch": "1"})
    assert r.values["tokens"] == pytest.approx(50_000 * 512 * 3, rel=1e-12)
    assert r.values["padding_share"] == 0
    assert r.values["steps"] == 37_500
    # the upper bound (each sample padded to 2,048, today's pad_to=max_length) takes 2,048 / 512 = 4× the time
    bound = eng.solve(["train_time"], {**WALK, "micro_batch": "1", "pad_to": "max_length"})
    assert r.values["train_time"] == pytest.approx(bound.values["train_time"] * 512 / 2048, rel=1e-9)
    assert "batching.mostly_padding" in codes(bound) and "batching.mostly_padding" not in codes(r)


def test_micro_batch_four_is_padded_to_its_longest_sample(eng):
    # micro-batches of 4 padded to their longest sample, 1,024: 50,000 × 1,024 × 3 = 153.6M tokens,
    # 1 - 512 / 1,024 = 0.5 padding; steps ceil(50,000 / 4) = 12,500 batches // 4 = 3,125 × 3 = 9,375
    r = eng.solve(["tokens", "padding_share", "steps", "train_time"],
                  {**WALK, "micro_batch": "4", "longest_sample_tokens": "1024"})
    assert r.values["tokens"] == pytest.approx(50_000 * 1024 * 3, rel=1e-12)
    assert r.values["padding_share"] == pytest.approx(0.5, rel=1e-12)
    assert r.values["steps"] == 9_375
    # without the longest sample, the upper bound: 50,000 × 2,048 × 3 = 307.2M tokens, 0.75 padding (the
    # walk-through's figures), said as an assumption to replace with longest_sample_tokens
    bound = eng.solve(["tokens", "padding_share", "train_time"], {**WALK, "micro_batch": "4"})
    assert bound.values["tokens"] == pytest.approx(50_000 * 2048 * 3, rel=1e-12)
    assert bound.values["padding_share"] == pytest.approx(0.75, rel=1e-12)
    assert r.values["train_time"] == pytest.approx(bound.values["train_time"] / 2, rel=1e-9)
    assert "batching.padding_upper_bound" in codes(bound)
    assert "batching.mostly_padding" not in codes(bound)   # (replaced by the more precise advice)
    assert "batching.padding_upper_bound" not in codes(r)


def test_readme_quick_tour_time(eng):
    # README "Fine-tuning quick tour": Qwen2.5-7B LoRA (q, v; r = 8) on one RTX 4090, 50k × 1,024 tokens, 3 epochs,
    # micro_batch 1: no padding, 153.6M tokens. LoRA with full recomputation: (8 - 2) FLOP per token and parameter
    # for the frozen base (7.61B) + 8 per adapter parameter (28 layers × 8 × ((3,584 + 3,584) + (3,584 + 512))
    # = 2,523,136): 153.6e6 × (6 × 7.61e9 + 8 × 2,523,136) = 7.01648e18 FLOP; / (165.2e12 × 0.4) = 106,181.5 s
    # = 1.229 days (it was 2.46 days with every sample padded to 2,048)
    r = eng.solve(["train_time"], {
        "model": "qwen2.5-7b", "method": "lora", "gpu": "RTX-4090", "n_gpus": "1", "seq_len": "2048",
        "samples": "50k", "tokens_per_sample": "1024", "epochs": "3", "micro_batch": "1", "grad_accum": "16",
        "packing": "off", "recompute": "full", "mfu": "0.4"})
    flops = 153.6e6 * (6 * 7.61e9 + 8 * 28 * 8 * ((3584 + 3584) + (3584 + 512)))
    assert r.values["train_time"] == pytest.approx(flops / (165.2e12 * 0.4), rel=1e-9)
    assert round(r.values["train_time"] / DAY, 2) == 1.23


@pytest.mark.parametrize(("extra", "per_sample"), [
    ({"micro_batch": "1"}, 512),                                     # no padding
    ({"micro_batch": "4", "longest_sample_tokens": "1024"}, 1024),   # padded to the longest, 1,024
    ({"micro_batch": "4"}, 2048),                                    # the upper bound, seq_len
])
def test_a_time_budget_solved_backwards_for_samples(eng, extra, per_sample):
    # one day of the budget: 2.05385e9 tokens / (per_sample × 3 epochs) samples, e.g. 1,337,143 at 512
    r = eng.solve(["samples"], {**BUDGET, **extra, "epochs": "3", "train_time": "1d"})
    assert r.values["samples"] == pytest.approx(DAY_TOKENS / (per_sample * 3), rel=1e-9)
    # and back: those samples take one day
    forward = eng.solve(["train_time"], {**BUDGET, **extra, "epochs": "3", "samples": str(r.values["samples"])})
    assert forward.values["train_time"] == pytest.approx(DAY, rel=1e-9)


def test_a_time_budget_solved_backwards_for_epochs(eng):
    # 50,000 samples of 512 at micro_batch 1: 25.6M tokens an epoch; 2.05385e9 / 25.6e6 = 80.23 epochs a day
    r = eng.solve(["epochs"], {**BUDGET, "micro_batch": "1", "samples": "50000", "train_time": "1d"})
    assert r.values["epochs"] == pytest.approx(DAY_TOKENS / (50_000 * 512), rel=1e-9)


def test_longest_sample_beyond_seq_len_is_cut(eng):
    # samples are cut at seq_len (cutoff_len): a longest of 3,000 pads the batch to 2,048, not 3,000
    r = eng.solve(["tokens_per_sequence", "padding_share"],
                  {"samples": "50000", "tokens_per_sample": "512", "seq_len": "2048", "packing": "off",
                   "micro_batch": "4", "longest_sample_tokens": "3000"})
    assert r.values["tokens_per_sequence"] == 2048
    assert r.values["padding_share"] == pytest.approx(1 - 512 / 2048, rel=1e-12)


def test_packed_runs_do_not_change(eng):
    # packing=on: 50,000 × 1,024 tokens fill 12,500 sequences of 4,096 = 51.2M tokens, whatever micro_batch
    for micro in ("1", "4"):
        r = eng.solve(["tokens", "padding_share"], {"samples": "50000", "tokens_per_sample": "1024", "seq_len": "4096",
                                                   "micro_batch": micro, "packing": "on"})
        assert r.values["tokens"] == 51_200_000 and r.values["padding_share"] == 0

