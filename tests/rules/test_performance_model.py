"""perf_model=analytic (formulas/performance.yaml, issue #16): each term against a hand calculation on a
small layout, and inverse questions solved through the engine and checked by hand."""
from __future__ import annotations

import math

import pytest

from engine import Engine, UnderdeterminedError

ENGINE = Engine.load()
A = {"perf_model": "analytic"}


def solve(targets, givens):
    targets = [targets] if isinstance(targets, str) else targets
    return ENGINE.solve(list(targets), {**A, **givens}).values


# ------------------------------------------------------------------ terms, by hand
def test_tp_allreduce_bytes_per_step():
    """4 all-reduces per layer (2 forward, 2 backward; Shoeybi et al. 2019 §3) of b·s·h 16-bit values.
    Each GPU holds the whole b·s·h tensor and a ring all-reduce sends 2(t−1)/t of it per GPU (NCCL docs).
    Hand: 4 collectives × (8 layers / pp 2) × grad_accum 4 × 2(4−1)/4 × (2·1024·1024·2 B)
          = 4 · 4 · 4 · 1.5 · 4,194,304 = 402,653,184 B."""
    g = {"tp": 4, "pp": 2, "layers": 8, "grad_accum": 4, "micro_batch": 2, "seq_len": 1024, "hidden": 1024,
         "recompute": "none", "sequence_parallel": "off"}
    assert solve("tp_comm_bytes", g)["tp_comm_bytes"] == pytest.approx(402_653_184, rel=1e-12)
    # full recomputation repeats the forward's two all-reduces: 6 instead of 4 per layer
    full = solve("tp_comm_bytes", {**g, "recompute": "full"})["tp_comm_bytes"]
    assert full == pytest.approx(402_653_184 * 6 / 4, rel=1e-12)
    # sequence parallelism: all-gather + reduce-scatter, the same bytes (Korthikanti et al. 2022 §4.2.2)
    sp = solve("tp_comm_bytes", {**g, "sequence_parallel": "on"})["tp_comm_bytes"]
    assert sp == pytest.approx(402_653_184, rel=1e-12)


def test_tp_time_uses_nvlink_inside_a_node_and_the_network_across():
    """Same bytes; tp 4 ≤ 8 GPUs per node uses NVLink (450 GB/s), tp 16 the network (50 GB/s)."""
    g = {"gpu": "H100-SXM", "pp": 1, "layers": 2, "grad_accum": 1, "micro_batch": 1, "seq_len": 1024,
         "hidden": 1024}
    inside = solve("tp_comm_time", {**g, "tp": 4})
    # hand: 4 collectives · 2 layers · 1 micro-batch · 2·3/4 · (1·1024·1024·2 B) = 25,165,824 B; / 450e9 B/s
    assert inside["tp_comm_time"] == pytest.approx(25_165_824 / 450e9, rel=1e-9)
    across = solve("tp_comm_time", {**g, "tp": 16})
    # hand: 4 · 2 · 2·15/16 · (1·1024·1024·2 B) = 31,457,280 B; / 50e9 B/s
    assert across["tp_comm_time"] == pytest.approx(31_457_280 / 50e9, rel=1e-9)


def test_pipeline_bubble():
    """Narayanan et al. 2021 §2.2: (p−1)/(v·m + p − 1); pp 4, m 8: 3/11; interleaved v 2: 3/19."""
    assert solve("pp_bubble_fraction", {"pp": 4, "grad_accum": 8})["pp_bubble_fraction"] == pytest.approx(3 / 11)
    assert solve("pp_bubble_fraction", {"pp": 4, "grad_accum": 8, "vpp": 2})["pp_bubble_fraction"] == \
        pytest.approx(3 / 19)
    assert solve("pp_bubble_ratio", {"pp": 4, "grad_accum": 8})["pp_bubble_ratio"] == pytest.approx(3 / 8)


def test_ring_allreduce_volume():
    """2(d−1)/d · Ψ bytes per GPU: 1B params, bf16 gradients (2 B), dp 8, tp 2 → 2·7/8·2e9/2 = 1.75e9 B."""
    g = {"params": "1B", "precision": "mixed-bf16", "dp": 8, "tp": 2, "pp": 1, "zero_stage": 0}
    assert solve("dp_comm_bytes", g)["dp_comm_bytes"] == pytest.approx(1.75e9, rel=1e-12)
    # ZeRO-1/2 send the same (reduce-scatter + all-gather, Rajbhandari et al. 2020 §7.2.1)
    assert solve("dp_comm_bytes", {**g, "zero_stage": 2})["dp_comm_bytes"] == pytest.approx(1.75e9, rel=1e-12)


def test_zero3_gathers():
    """ZeRO-3: gradients reduce-scattered (7/8 · 2e9/2 = 0.875e9 B) and parameters gathered in every forward and
    backward of each micro-batch: 2 · grad_accum 3 · 7/8 · 2e9 / 2 = 5.25e9 B; 3Ψ in all for one micro-batch
    (Rajbhandari et al. 2020 §7.2.2)."""
    g = {"params": "1B", "precision": "mixed-bf16", "dp": 8, "tp": 2, "pp": 1, "zero_stage": 3, "grad_accum": 3}
    v = solve(["dp_comm_bytes", "zero3_gather_bytes"], g)
    assert v["dp_comm_bytes"] == pytest.approx(0.875e9, rel=1e-12)
    assert v["zero3_gather_bytes"] == pytest.approx(5.25e9, rel=1e-12)
    one = solve(["dp_comm_bytes", "zero3_gather_bytes"], {**g, "grad_accum": 1})
    assert one["dp_comm_bytes"] + one["zero3_gather_bytes"] == pytest.approx(3 * 7 / 8 * 2e9 / 2, rel=1e-12)
    full = solve("zero3_gather_bytes", {**g, "recompute": "full"})   # the recomputed forward gathers again
    assert full["zero3_gather_bytes"] == pytest.approx(5.25e9 * 3 / 2, rel=1e-12)


def test_matmul_time_counts_attention_and_recomputation():
    """Hand: flops_factor 8 × (flops_params 1e9 + 2·4·8·128·2048/token) = 8 · 1.0167772e9 FLOP/token;
    × 1024·2048 tokens / (8 GPUs · 312e12 · 0.859 · 0.68)."""
    g = {"gpu": "A100-80GB-SXM", "flops_params": "1B", "layers": 4, "heads": 8, "head_dim": 128, "seq_len": 2048,
         "global_batch": 1024, "n_gpus": 8, "recompute": "full"}
    per_token = 8 * (1e9 + 2 * 4 * 8 * 128 * 2048)
    v = solve(["hw_flops_per_token", "matmul_time"], g)
    assert v["hw_flops_per_token"] == pytest.approx(per_token, rel=1e-12)
    assert v["matmul_time"] == pytest.approx(per_token * 1024 * 2048 / (8 * 312e12 * 0.859 * 0.68), rel=1e-9)


# ------------------------------------------------------------------ inverse questions
LLAMA = {"gpu": "H100-SXM", "model": "llama2-7b", "n_gpus": 64, "tp": 1, "pp": 1, "global_batch": 128,
         "micro_batch": 2, "seq_len": 4096, "precision": "mixed-bf16", "zero_stage": 1, "attention_kernel": "flash"}


def test_network_bandwidth_for_a_target_mfu():
    """'Which network_bandwidth gives mfu 0.40' through the engine; checked by hand and by the forward question."""
    answer = solve("network_bandwidth", {**LLAMA, "mfu": 0.40})["network_bandwidth"]
    parts = solve(["node_local_time", "network_exposed_bytes", "params", "dp_comm_bytes"], LLAMA)
    n = parts["params"]
    # hand: gradients 2(dp−1)/dp · 2 B · N, dp 64, all of it over the network; 25 % exposed (comm_overlap=dp)
    assert parts["dp_comm_bytes"] == pytest.approx(2 * 63 / 64 * 2 * n, rel=1e-12)
    assert parts["network_exposed_bytes"] == pytest.approx(0.25 * parts["dp_comm_bytes"], rel=1e-12)
    # hand: step time for mfu 0.40 = 6·N·(128·4096) / (64 · 989e12 · 0.40); the network carries the rest
    step = 6 * n * 128 * 4096 / (64 * 989e12 * 0.40)
    hand = parts["network_exposed_bytes"] / (step - parts["node_local_time"])
    assert answer == pytest.approx(hand, rel=1e-9)
    forward = solve("mfu", {**LLAMA, "network_bandwidth": f"{answer * 8 / 1e9}Gbps"})["mfu"]
    assert forward == pytest.approx(0.40, rel=1e-9)
    # more bandwidth, more mfu (the answer is the least bandwidth that keeps mfu ≥ 0.40)
    assert solve("mfu", {**LLAMA, "network_bandwidth": answer * 1.1})["mfu"] > 0.40


def test_grad_accum_for_a_bubble_under_5_percent():
    """(p−1)/(m + p − 1) ≤ 0.05 ⇔ m ≥ 19 (p − 1): pp 8 → 133 micro-batches (pp 4 → 57)."""
    assert solve("grad_accum", {"pp": 8, "pp_bubble_fraction": 0.05})["grad_accum"] == 133
    assert solve("grad_accum", {"pp": 4, "pp_bubble_fraction": 0.05})["grad_accum"] == 57
    interleaved = solve("grad_accum", {"pp": 8, "vpp": 4, "pp_bubble_fraction": 0.05})
    # 133/4 = 33.25, rounded up to 34, and on to 40: the interleaved schedule runs groups of pp = 8 micro-batches
    assert interleaved["grad_accum"] == 40
    assert interleaved["pp_bubble_fraction"] == pytest.approx(7 / (4 * 40 + 7))   # recomputed: 4.2 %


def test_largest_dp_before_the_gradient_allreduce_dominates():
    """Fixed global batch 512, no overlap: compute per GPU falls as 1/dp while the all-reduce grows as 2(dp−1)/dp.
    The engine's dp_comm_ratio (exposed reduction / compute) crosses 1 between two powers of two."""
    base = {**LLAMA, "global_batch": 512, "micro_batch": 1, "comm_overlap": "none", "network_bandwidth": "100Gbps"}
    ratios = {}
    for dp in (16, 32, 64, 128, 256, 512):      # from 16 on the data-parallel group spans nodes (8 per node)
        v = solve(["dp_comm_ratio", "dp_comm_bytes", "compute_time"], {**base, "n_gpus": dp})
        ratios[dp] = v["dp_comm_ratio"]
        # hand: 2(dp−1)/dp · 2 B · N at 12.5 GB/s over the compute time
        n = solve("params", {**base, "n_gpus": dp})["params"]
        assert v["dp_comm_ratio"] == pytest.approx(2 * (dp - 1) / dp * 2 * n / 12.5e9 / v["compute_time"], rel=1e-9)
    assert all(ratios[a] < ratios[b] for a, b in zip(list(ratios), list(ratios)[1:]))
    largest = max(dp for dp, r in ratios.items() if r <= 1)
    assert ratios[largest] <= 1 < ratios[2 * largest]
    assert largest == 64          # 0.73 at dp 64, 1.48 at dp 128


# ------------------------------------------------------------------ conventions and values
def test_given_mode_is_untouched():
    """Without perf_model=analytic mfu stays an input (the seed's way)."""
    with pytest.raises(UnderdeterminedError):
        ENGINE.solve(["mfu"], {k: v for k, v in LLAMA.items()})
    seed = ENGINE.solve(["train_time"], {"params": "7B", "tokens": "1T", "gpu": "A800", "n_gpus": 64, "mfu": 0.4})
    assert seed.values["train_time"] == pytest.approx(6 * 7e9 * 1e12 / (64 * 312e12 * 0.4), rel=1e-12)


def test_analytic_mfu_and_hfu_agree_with_the_run_level_rules():
    """With tokens given, train_time from time.train_time (mfu) and from steps × step_time agree."""
    v = solve(["mfu", "hfu", "train_time", "throughput_per_gpu", "step_time", "achieved_flops_per_gpu"],
              {**LLAMA, "tokens": "100B"})
    assert v["train_time"] == pytest.approx(100e9 / (v["throughput_per_gpu"] * 64), rel=1e-9)
    assert v["hfu"] == pytest.approx(v["achieved_flops_per_gpu"] / 989e12, rel=1e-12)
    assert v["hfu"] > v["mfu"]          # the executed FLOPs include the attention scores
    assert v["step_time"] == pytest.approx(128 * 4096 / (64 * v["throughput_per_gpu"]), rel=1e-12)


@pytest.mark.parametrize("text, bytes_per_s", [("400Gbps", 50e9), ("400 Gb/s", 50e9), ("50GB/s", 50e9),
                                               ("6.25GB/s", 6.25e9), ("3.2Tbps", 400e9), ("50", 50e9)])
def test_bandwidth_values_parse_bits_and_bytes(text, bytes_per_s):
    values, _ = ENGINE.parse_givens({"network_bandwidth": text})
    assert values["network_bandwidth"] == pytest.approx(bytes_per_s, rel=1e-12)


@pytest.mark.parametrize("alias, key", [("NVIDIA H100 SXM5 80GB", "H100-SXM"), ("a100 80g", "A100-80GB-SXM"),
                                        ("4090", "RTX-4090"), ("RTX 4090", "RTX-4090"), ("RTX 3090", "RTX-3090"),
                                        ("MI325X", "MI325X"), ("H100 NVL", "H100-NVL"), ("L4", "L4")])
def test_gpu_aliases(alias, key):
    v = ENGINE.solve(["train_time"], {"gpu": alias, "params": "1B", "tokens": "1B", "n_gpus": 1, "mfu": 0.4})
    table = ENGINE.rules.tables["gpu"]
    assert v.values["peak_flops"] == pytest.approx(table.entries[key].values["peak_flops"])


def test_every_gpu_has_the_performance_fields():
    table = ENGINE.rules.tables["gpu"]
    fields = ("peak_flops", "gpu_memory", "gpu_power", "hbm_bandwidth", "nvlink_bandwidth", "network_bandwidth",
              "gpus_per_node", "matmul_efficiency")
    for key, entry in table.entries.items():
        for f in fields:
            assert f in entry.values and math.isfinite(entry.values[f]) and entry.values[f] > 0, (key, f)
        assert 0 < entry.values["matmul_efficiency"] <= 1
        assert entry.values["network_bandwidth"] <= entry.values["nvlink_bandwidth"], key
    required = {"RTX-3090", "RTX-4090", "RTX-5090", "RTX-A6000", "RTX-6000-Ada", "L4", "L20", "L40S", "A10", "A800",
                "H20", "H800-SXM", "H100-PCIe", "H100-SXM", "H100-NVL", "H200", "B200", "GB200", "MI250X", "MI300X",
                "MI325X", "Ascend-910B"}
    assert required <= set(table.entries)


def test_mfu_without_recompute_is_three_quarters_of_mfu_at_full_recompute():
    """Full recomputation executes 8 × (matmul params + attention scores) per token, of which the recomputed
    forward is 2 × the same (seed §4b): without it, as PaLM counts MFU, 6/8 of mfu. The README's GPT-3 175B
    layout on 1,024 A100s (tp 8, pp 16, global batch 1,536 of 2,048 tokens)."""
    gpt3 = {"model": "gpt3-175b", "gpu": "A100-80GB-SXM", "n_gpus": 1024, "tp": 8, "pp": 16, "global_batch": 1536,
            "seq_len": 2048, "precision": "mixed-bf16", "perf_model": "analytic"}
    full = solve(["mfu", "mfu_without_recompute"], {**gpt3, "recompute": "full"})
    assert full["mfu_without_recompute"] == pytest.approx(0.75 * full["mfu"], rel=1e-9)
    assert round(full["mfu"], 3) == 0.478 and round(full["mfu_without_recompute"], 3) == 0.358   # README
    plain = solve(["mfu", "mfu_without_recompute"], {**gpt3, "recompute": "none"})
    assert plain["mfu_without_recompute"] == pytest.approx(plain["mfu"], rel=1e-12)


def test_interleaved_micro_batches_come_in_groups_of_pp():
    """vpp = 2, pp = 8, bubble at most 5 %: (p − 1) / (v·m + p − 1) ≤ 0.05 ⇔ m ≥ 19·7/2 = 66.5; the interleaved
    schedule runs micro-batches in groups of pp (Megatron-LM refuses others), so 72, bubble 7 / 151 = 4.6 %."""
    got = solve("grad_accum", {"pp": 8, "vpp": 2, "pp_bubble_fraction": 0.05})
    assert got["grad_accum"] == 72 and got["pp_bubble_fraction"] == pytest.approx(7 / 151, rel=1e-12)
    # 19 × 7 = 133 (with float noise, rounded and recomputed like any other value)
    plain = ENGINE.solve(["grad_accum"], {"pp": 8, "pp_bubble_fraction": 0.05, "perf_model": "analytic"})
    assert plain.values["grad_accum"] == 133
