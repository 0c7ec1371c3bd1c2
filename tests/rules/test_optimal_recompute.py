"""The compute-optimal split spends the FLOPs the run actually executes (chinchilla.optimal_budget).

Chinchilla's allocation is in model FLOPs, C = 6·N·D (Hoffmann et al. 2022 §3). A hardware budget
n_gpus · peak_flops · mfu · train_time is spent as 8·N·D with full recomputation (seed §4b), so it
buys 6/8 of the model FLOPs and a smaller optimum. Hand calculation for 1,024 A800s (312 TFLOPS,
seed §5) at mfu 0.4 for 30 days:
    C = 1024 × 312e12 × 0.4 × 30 × 86,400 s = 3.312451584e23 FLOP
    recompute=full: N = sqrt(C / (8 × 20)) = 45.50e9, D = 20 N = 910.0e9
    recompute=none: N = sqrt(C / (6 × 20)) = 52.54e9, D = 1.0508e12
"""
from __future__ import annotations

import math

import pytest

HARDWARE = {"gpu": "A800", "n_gpus": "1024", "train_time": "30d", "mfu": "0.4"}
BUDGET = 1024 * 312e12 * 0.4 * 30 * 86400     # 3.312451584e23 FLOP


def test_full_recompute_shrinks_the_optimum(eng):
    r = eng.solve(["optimal_params", "optimal_tokens"], {**HARDWARE, "recompute": "full"})
    n = math.sqrt(BUDGET / 160)                   # 4.5500354e10
    assert r.values["optimal_params"] == pytest.approx(n, rel=1e-9)
    assert r.values["optimal_params"] == pytest.approx(45.5e9, rel=1e-3)
    assert r.values["optimal_tokens"] == pytest.approx(20 * n, rel=1e-9)
    assert "given.unused" not in {w.code for w in r.warnings}   # (before: "recompute: given but not used")


def test_without_recompute_it_is_chinchilla(eng):
    r = eng.solve(["optimal_params", "optimal_tokens"], HARDWARE)
    assert r.values["optimal_params"] == pytest.approx(math.sqrt(BUDGET / 120), rel=1e-9)   # 52.54e9


def test_optimum_agrees_with_the_params_tokens_route(eng):
    # `solve params tokens ... recompute=full tokens_per_param=20` spends the same budget as 8·N·D
    route = eng.solve(["params", "tokens"], {**HARDWARE, "recompute": "full", "tokens_per_param": "20"})
    optimum = eng.solve(["optimal_params", "optimal_tokens"], {**HARDWARE, "recompute": "full"})
    assert optimum.values["optimal_params"] == pytest.approx(route.values["params"], rel=1e-9)
    assert optimum.values["optimal_tokens"] == pytest.approx(route.values["tokens"], rel=1e-9)


def test_round_trip_runs_in_the_time_given(eng):
    optimum = eng.solve(["optimal_params", "optimal_tokens"], {**HARDWARE, "recompute": "full"}).values
    back = eng.solve(["train_time"], {"gpu": "A800", "n_gpus": "1024", "mfu": "0.4", "recompute": "full",
                                      "params": repr(optimum["optimal_params"]),
                                      "tokens": repr(optimum["optimal_tokens"])})
    assert back.values["train_time"] == pytest.approx(30 * 86400, rel=1e-9)   # 30 days, not 39.9


def test_flop_budget_alone_answers_as_chinchilla(eng):
    # Hoffmann et al. 2022 §3, Gopher's budget 5.76e23: N = sqrt(5.76e23 / 120) = 6.9282e10, D = 1.38564e12
    r = eng.solve(["optimal_params", "optimal_tokens"], {"train_flops": "5.76e23"})
    assert r.values["optimal_params"] == pytest.approx(6.9282032e10, rel=1e-7)
    assert r.values["optimal_tokens"] == pytest.approx(1.38564065e12, rel=1e-7)


def test_loss_minimum_uses_the_model_flops(eng):
    # Hoffmann et al. eq. (4): N_opt = G · (C_model / 6)^a with C_model = 6/8 of the budget, so
    # C_model / 6 = C / 8 = 4.1406e22; G = 1.344711, a = 0.28 / 0.62 -> N = 2.2018e10
    r = eng.solve(["optimal_params"], {**HARDWARE, "recompute": "full", "optimal_allocation": "loss_minimum"})
    assert r.values["optimal_params"] == pytest.approx(1.344711 * (BUDGET / 8) ** (0.28 / 0.62), rel=1e-6)
    assert r.values["optimal_params"] == pytest.approx(22.018e9, rel=1e-4)
