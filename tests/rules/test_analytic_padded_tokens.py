"""perf_model=analytic times an unpacked run on the tokens each sequence is computed at (batching.yaml
tokens_per_sequence), not on seq_len: the step's tokens, the s of the s×s attention scores, the element-wise
bytes and the b·s·h tensors sent between tensor-parallel GPUs and pipeline stages. Packed (the default),
tokens_per_sequence = seq_len and the numbers are those of global_batch × seq_len. Every expected number is
worked out by hand from the rules of formulas/performance.yaml."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from engine import Engine, UnderdeterminedError
from engine.messages import localized

ENGINE = Engine.load()

# Llama 3 8B's shape (catalog, from its config.json): 32 layers, hidden 4,096, 32 heads of 128 (8 KV heads), MLP
# 14,336, vocabulary 128,256, untied lm_head: 8,030,261,248 parameters, counted from the shape (the catalog's
# rounded params = 8e9 is left out, so that every term counts the same N); the matmul parameters leave out the
# input embedding.
ARCH = {k: v for k, v in ENGINE.rules.tables["model"].entries["llama3-8b"].values.items() if k != "params"}
N = 8_030_261_248
FLOPS_PARAMS = N - 128_256 * 4_096                 # 7,504,924,672
SCORES = 2 * 32 * 32 * 128                         # 2 · layers · heads · head_dim: attention FLOPs per token and s
# A100 80GB SXM (catalog): 312 TFLOPS, best GEMM 0.859, HBM 2.039 TB/s, NVLink 300 GB/s, 8 GPUs per node
PEAK, GEMM, SHAPE, HBM, NVLINK = 312e12, 0.859, 0.68, 2.039e12, 300e9
GPUS = 8
RUN = {"perf_model": "analytic", **ARCH, "gpu": "A100-80GB", "n_gpus": GPUS, "seq_len": 4096,
       "global_batch": 64, "micro_batch": 1, "precision": "mixed-bf16", "zero_stage": 0}
SFT = {"packing": "off", "tokens_per_sample": 600}


def hand_step_time(s: float, global_batch: int = 64) -> float:
    """One optimizer step of RUN (tp = pp = 1, dp = 8, one node) for sequences computed at s tokens, term by term:
    performance.matmul_time: 6 · (flops_params + 2·l·a·d·s) FLOP per token × global_batch · s tokens
        / (8 GPUs · peak · matmul_efficiency · matmul_shape_factor);
    performance.memory_bound_time: 2 · 34 · hidden bytes per token and layer (flash: no stored scores)
        × tokens × 32 layers / (dp 8 · HBM);
    performance.dp_exposed: 1 − 0.75 (comm_overlap=dp) of a ring all-reduce of 2-byte gradients, 2 · 7/8 · 2 B · N,
        over NVLink (the 8 GPUs are one node);
    performance.optimizer_step: reads and writes the model states, 16 B · N at ZeRO-0 (2 weights + 2 gradients
        + 4 master + 8 Adam), at HBM bandwidth."""
    tokens = global_batch * s
    matmul = 6 * (FLOPS_PARAMS + SCORES * s) * tokens / (GPUS * PEAK * GEMM * SHAPE)
    memory_bound = 2 * 34 * 4096 * tokens * 32 / (8 * HBM)
    gradients = 0.25 * 2 * 7 / 8 * 2 * N / NVLINK
    optimizer = 2 * 16 * N / HBM
    return matmul + memory_bound + gradients + optimizer


def solve(targets, givens):
    return ENGINE.solve(list(targets), givens).values


# ------------------------------------------------------------------ the step, by hand
def test_packed_step_is_timed_on_global_batch_times_seq_len_as_before():
    """Packed: 64 × 4,096 = 262,144 tokens, attention over s = 4,096: 6 · (7,504,924,672 + 262,144 · 4,096)
    = 51,471,998,976 FLOP per token; the step 9.547 s, as before step_tokens followed tokens_per_sequence."""
    v = solve(["step_time", "step_tokens", "hw_flops_per_token", "tokens_per_sequence"], RUN)
    assert v["tokens_per_sequence"] == 4096
    assert v["step_tokens"] == 262_144
    assert v["hw_flops_per_token"] == pytest.approx(51_471_998_976, rel=1e-12)
    assert v["step_time"] == pytest.approx(hand_step_time(4096), rel=1e-9)
    assert round(v["step_time"], 3) == 9.547
    # padded to max_length is timed as packed: every sequence is computed at seq_len
    padded = solve(["step_time"], {**RUN, **SFT, "pad_to": "max_length"})
    assert padded["step_time"] == pytest.approx(hand_step_time(4096), rel=1e-9)


def test_unpacked_one_sample_per_micro_batch_is_timed_on_its_own_tokens():
    """Unpacked, micro_batch 1, pad_to=longest (the collators' default): each sequence is its sample, 600 tokens.
    step_tokens = 64 × 600 = 38,400; attention over s = 600: 6 · (7,504,924,672 + 262,144 · 600)
    = 45,973,266,432 FLOP per token; the step 1.381 s, not the 9.547 s of 4,096-token sequences."""
    v = solve(["step_time", "step_tokens", "hw_flops_per_token", "mfu", "throughput_per_gpu"], {**RUN, **SFT})
    assert v["step_tokens"] == 38_400
    assert v["hw_flops_per_token"] == pytest.approx(45_973_266_432, rel=1e-12)
    step = hand_step_time(600)
    assert v["step_time"] == pytest.approx(step, rel=1e-9)
    assert round(v["step_time"], 3) == 1.381
    assert hand_step_time(4096) / step > 6.9          # what the step was timed at before: 6.9 × too slow
    # mfu (six_nd: 6·N per token, performance.mfu) and the throughput follow the 38,400 tokens
    assert v["mfu"] == pytest.approx(6 * N * 38_400 / (GPUS * PEAK * step), rel=1e-9)
    assert v["throughput_per_gpu"] == pytest.approx(38_400 / (GPUS * step), rel=1e-9)


def test_unpacked_micro_batches_are_timed_at_their_longest_sample():
    """micro_batch 4 pads each micro-batch to its longest sample: longest_sample_tokens = 1,500 gives
    tokens_per_sequence = min(4,096, 600 + 1 · (1,500 − 600)) = 1,500 and 64 × 1,500 = 96,000 tokens per step;
    without it the longest is taken as seq_len (the upper bound), and the step is the packed one."""
    given = {**RUN, **SFT, "micro_batch": 4}
    v = solve(["step_time", "step_tokens"], {**given, "longest_sample_tokens": 1500})
    assert v["step_tokens"] == 96_000
    assert v["step_time"] == pytest.approx(hand_step_time(1500), rel=1e-9)
    bound = solve(["step_time", "step_tokens"], given)
    assert bound["step_tokens"] == 262_144
    assert bound["step_time"] == pytest.approx(hand_step_time(4096), rel=1e-9)


def test_an_unpacked_runs_time_is_its_steps_times_the_step():
    """100,000 samples, one epoch: 100,000 × 600 tokens at 38,400 per step = 1,562.5 steps of 1.381 s
    (time.train_time at the predicted mfu, i.e. tokens / step_tokens × step_time)."""
    v = solve(["train_time", "step_time"], {**RUN, **SFT, "samples": 100_000, "epochs": 1})
    assert v["train_time"] == pytest.approx(100_000 / 64 * hand_step_time(600), rel=1e-9)


def test_recomputation_repeats_the_forward_at_the_computed_length():
    """recompute=full: flops_factor 8, and the recomputed forward is 2 · (flops_params + 262,144 · 600) per token
    (performance.recompute_flops), a quarter of 8 · (…)."""
    v = solve(["hw_flops_per_token", "recompute_flops_per_token"], {**RUN, **SFT, "recompute": "full"})
    assert v["hw_flops_per_token"] == pytest.approx(8 * (FLOPS_PARAMS + SCORES * 600), rel=1e-12)
    assert v["recompute_flops_per_token"] == pytest.approx(2 * (FLOPS_PARAMS + SCORES * 600), rel=1e-12)


# ------------------------------------------------------------------ the tensors a micro-batch sends
SMALL = {"perf_model": "analytic", "tp": 4, "pp": 2, "layers": 8, "grad_accum": 4, "micro_batch": 2,
         "seq_len": 1024, "hidden": 1024, "recompute": "none", "sequence_parallel": "off"}
LONGEST = {"packing": "off", "tokens_per_sample": 300, "longest_sample_tokens": 700}


@pytest.mark.parametrize("sequence_parallel", ["off", "on"])
def test_tensor_parallel_and_pipeline_bytes_follow_the_padded_micro_batch(sequence_parallel):
    """A micro-batch of 2 samples padded to its longest, 700 tokens: b·s·h = 2 · 700 · 1,024 16-bit values.
    tp: 4 collectives per layer (2 forward, 2 backward) × 8/2 layers × 4 micro-batches × 2·3/4 of 2 · 700 · 1,024
        · 2 B = 4 · 4 · 4 · 1.5 · 2,867,200 = 275,251,200 B (sequence parallelism: the same volume);
    pp: activations forward and gradients backward, 2 × 4 micro-batches × 2,867,200 B / tp 4 = 5,734,400 B.
    Packed, s = 1,024: 402,653,184 B (as in tests/rules/test_performance_model.py) and 2 · 4 · 4,194,304 / 4
    = 8,388,608 B."""
    g = {**SMALL, "sequence_parallel": sequence_parallel}
    v = solve(["tp_comm_bytes", "pp_p2p_bytes", "tokens_per_sequence"], {**g, **LONGEST})
    assert v["tokens_per_sequence"] == 700
    assert v["tp_comm_bytes"] == pytest.approx(275_251_200, rel=1e-12)
    assert v["pp_p2p_bytes"] == pytest.approx(5_734_400, rel=1e-12)
    packed = solve(["tp_comm_bytes", "pp_p2p_bytes"], g)
    assert packed["tp_comm_bytes"] == pytest.approx(402_653_184, rel=1e-12)
    assert packed["pp_p2p_bytes"] == pytest.approx(8_388_608, rel=1e-12)


def test_stored_scores_bytes_follow_the_computed_length():
    """attention_kernel=standard stores the s×s scores, (2 + 3 · dropout) bytes per element (activations.yaml),
    2 B at dropout 0: per token and layer 2 · (34 · 1,024 + 2 · 8 heads · s) B (performance.layer_traffic);
    s = 600 for a lone 600-token sample: 2 · (34,816 + 9,600) = 88,832 B, against 2 · (34,816 + 65,536)
    = 200,704 B at seq_len 4,096."""
    g = {"perf_model": "analytic", "tp": 1, "hidden": 1024, "heads": 8, "seq_len": 4096, "micro_batch": 1,
         "attention_kernel": "standard", "sequence_parallel": "off"}
    unpacked = solve(["layer_traffic_bytes"], {**g, **SFT})
    assert unpacked["layer_traffic_bytes"] == pytest.approx(88_832, rel=1e-12)
    assert solve(["layer_traffic_bytes"], g)["layer_traffic_bytes"] == pytest.approx(200_704, rel=1e-12)


# ------------------------------------------------------------------ questions backwards
def test_packed_inverse_questions_still_answer():
    """The planner solves for any unknown: packed, the largest seq_len for an 8 s step, and the global_batch
    an 8 s step allows, both checked against the hand step time."""
    seq_len = solve(["seq_len"], {**{k: v for k, v in RUN.items() if k != "seq_len"}, "step_time": "8s"})["seq_len"]
    assert hand_step_time(seq_len) == pytest.approx(8, rel=1e-6) or \
        hand_step_time(seq_len) <= 8 < hand_step_time(seq_len + 1)
    assert 3_400 < seq_len < 3_500
    batch = solve(["global_batch"], {**{k: v for k, v in RUN.items() if k != "global_batch"},
                                     "step_time": "8s"})["global_batch"]
    # the step is linear in the batch: 8 s holds 53.5 sequences of 4,096 tokens, 6.7 micro-batches per GPU; the
    # step time is a limit (role: budget, as train_time), so grad_accum is rounded to keep it: 6 × 8 GPUs = 48
    # (7 × 8 = 56 would take more than 8 s)
    fixed, per_sequence = hand_step_time(4096, 0), hand_step_time(4096, 1) - hand_step_time(4096, 0)
    exact = (8 - fixed) / per_sequence
    assert 53 < exact < 54 and batch == 8 * math.floor(exact / 8) == 48
    assert hand_step_time(4096, 48) <= 8 < hand_step_time(4096, 56)


def test_unpacked_inverse_questions_answer_on_the_computed_tokens():
    """Unpacked: the step of 128 samples of 600 tokens (by hand) gives back global_batch 128; a 2 s step
    gives back the mean sample length whose step is 2 s (the hand step is quadratic in s)."""
    given = {**{k: v for k, v in RUN.items() if k != "global_batch"}, **SFT}
    target = hand_step_time(600, 128)
    got = solve(["global_batch"], {**given, "step_time": target})
    assert got["global_batch"] == 128
    length = solve(["tokens_per_sample"], {**RUN, "packing": "off", "step_time": "2s"})["tokens_per_sample"]
    assert hand_step_time(length) == pytest.approx(2, rel=1e-9)


def test_unpacked_without_the_sample_length_names_it():
    """packing=off without tokens_per_sample: the step's tokens are unknown, and the refusal names
    tokens_per_sample first (what perf_model=given asks for too), with pad_to=max_length as the other way out;
    packing=on is not offered, since the user chose packing=off (a convention set is never suggested away)."""
    for target in ("step_time", "mfu"):
        with pytest.raises(UnderdeterminedError) as caught:
            ENGINE.solve([target], {**RUN, "packing": "off"})
        assert caught.value.suggestions[0] == "tokens_per_sample", caught.value.suggestions
        en, zh = localized(caught.value, "en"), localized(caught.value, "zh")
        assert "tokens_per_sample" in en and "pad_to=max_length" in en and "packing=on" not in en
        assert "tokens_per_sample" in zh and "pad_to=max_length" in zh
    # with it the question answers
    assert solve(["step_time"], {**RUN, **SFT})["step_time"] == pytest.approx(hand_step_time(600), rel=1e-9)


# ------------------------------------------------------------------ preflight
LF = Path(__file__).resolve().parents[1] / "fixtures" / "training_configs" / "llamafactory"


def test_an_analytic_preflight_times_an_unpacked_epoch_on_its_samples(monkeypatch):
    """LLaMA-Factory's llama3_lora_sft.yaml (sft: unpacked, per_device_train_batch_size 1, 8 accumulation steps,
    cutoff_len 2,048) on one A100, 10,000 samples of 512 tokens: a step is 8 sequences of 512 tokens, so the
    epoch is 10,000 / 8 = 1,250 such steps — the step the same layout gives as a question of its own, not one of
    2,048-token sequences. Without tokens_per_sample, the epoch is timed at cutoff_len, its upper bound."""
    from engine.cli.preflight import preflight
    monkeypatch.chdir(LF)
    config = "examples/train_lora/llama3_lora_sft.yaml"
    typed = {"gpu": "A100-80GB", "samples": "10000", "tokens_per_sample": "512", "perf_model": "analytic"}
    check = preflight(ENGINE, [config], typed)
    assert check.sequences_per_epoch == 10_000 and check.mfu_predicted
    question = {"config": config, "gpu": "A100-80GB", "n_gpus": 1, "perf_model": "analytic"}
    alone = ENGINE.solve(["step_time", "mfu", "step_tokens"], {**question, "packing": "off",
                                                               "tokens_per_sample": 512}).values
    assert alone["step_tokens"] == 8 * 512
    assert check.epoch_time == pytest.approx(10_000 / 8 * alone["step_time"], rel=1e-9)
    assert check.mfu == pytest.approx(alone["mfu"], rel=1e-9)
    # the 2,048-token step (packed, what the epoch was timed on before) is slower per token
    packed = ENGINE.solve(["step_time"], {**question, "packing": "on"}).values
    assert packed["step_time"] / 2048 > alone["step_time"] / 512 * 1.01
    # without the samples' length every sequence is taken at cutoff_len (the upper bound, as perf_model=given's
    # preflight says), and so is the step: 1,250 steps of 8 × 2,048 tokens
    bound = preflight(ENGINE, [config], {k: v for k, v in typed.items() if k != "tokens_per_sample"})
    assert bound.epoch_time == pytest.approx(10_000 / 8 * packed["step_time"], rel=1e-9)
    assert "upper bound" in bound.time_note
