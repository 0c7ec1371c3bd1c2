"""README "Sweeps": the layout-search example says what `llmplan sweep` really answers (a docs check:
the figures are the README's, so a change in the performance model shows up here and in the README)."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from engine.cli import main

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
ARGS = ["sweep", "step_time", "mfu", "memory_fill", "perf_model=analytic", "model=llama2-13b", "gpu=H100-SXM",
        "n_gpus=64", "seq_len=4096", "global_batch=1024", "zero_stage=1", "tp=1,2,4,8", "pp=1,2,4",
        "micro_batch=1,2,4", "recompute=none,selective,full"]


def test_the_readme_layout_search_is_what_the_sweep_answers(tmp_path: Path) -> None:
    assert " ".join(ARGS[1:4]) in README and "recompute=none,selective,full -o layouts.parquet" in README
    out = tmp_path / "layouts.parquet"
    assert main([*ARGS, "-o", str(out)]) == 0
    frame = pl.read_parquet(out)
    assert frame.height == 4 * 3 * 3 * 3 and frame["error"].null_count() == frame.height
    best = frame.filter(pl.col("memory_fill") <= 1).sort("step_time [s]", "recompute").row(0, named=True)
    assert (best["tp"], best["pp"], best["micro_batch"], best["recompute"]) == (1, 4, 1, "none")
    assert best["step_time [s]"] == pytest.approx(11.54, abs=0.005)      # seed fp32: 11.54 s, mfu 0.448, 0.770
    # (0.770: with 16 micro-batches per step the loss's two fp32 logit-sized gradients come on top of the stored
    # logits, 2 · 4 B · 4,096 · 32,000 = 1.05 GB: activations.loss_backward_trained_base)
    assert best["mfu"] == pytest.approx(0.448, abs=0.0005) and best["memory_fill"] == pytest.approx(0.770, abs=5e-4)
    # "tp = pp = 1 would be 0.8 % faster but needs 139 GB per GPU: its row's warnings says so"
    plain = frame.filter((pl.col("tp") == 1) & (pl.col("pp") == 1) & (pl.col("micro_batch") == 1)
                         & (pl.col("recompute") == "none")).row(0, named=True)
    assert plain["memory_fill"] > 1 and plain["step_time [s]"] / best["step_time [s]"] == pytest.approx(0.992, abs=0.001)
    # what does not fit is the model states (precision left at the seed's fp32 recipe): weights and
    # gradients 4 B + 4 B × 13.0e9 = 104 GB, Adam's 12 B × 13.0e9 over 64 GPUs (ZeRO-1) = 2.44 GB: 106 GB
    assert "parallelism.states_do_not_fit: weights (52 GB), gradients and optimizer states take 106 GB per GPU" \
        in plain["warnings"]


def test_a_sweep_asking_memory_per_gpu_says_which_layouts_do_not_fit(tmp_path: Path) -> None:
    # The does_not_fit check compares memory_per_gpu with usable_gpu_memory; a sweep derives only the
    # targets' path, and now what the warning checks on it read too (engine/solve/batch.py `_path`).
    out = tmp_path / "fit.parquet"
    args = ["sweep", "step_time", "memory_per_gpu", *ARGS[4:11], "tp=1,2", "pp=1,4", "-o", str(out)]
    assert main(args) == 0
    frame = pl.read_parquet(out).sort("tp", "pp")
    over = frame["memory_per_gpu [GB]"] > 80            # an H100-SXM has 80 GB (datasheet)
    assert over.to_list() == [True, False, False, False]  # tp = pp = 1 needs 139 GB (the README example)
    fired = frame["warnings"].fill_null("").str.contains(r"parallelism\.(does_not_fit|\w+_do_not_fit)")
    assert fired.to_list() == over.to_list()
