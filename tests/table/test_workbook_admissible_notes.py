"""The workbook's warnings column says an admissible move as `solve` does (engine/table/rounding_notes.py): the
plain rounding, the value it moved on to and the checks that ruled the plain value out, per row."""
from __future__ import annotations

import polars as pl
import pytest

from engine.table.frames import run_frame

LORA = {"model": "qwen2.5-7b", "method": "lora", "gpu": "A100-80GB-SXM", "n_gpus": 8, "seq_len": 2048,
        "recompute": "full"}


def _rows(*rows: dict) -> pl.DataFrame:
    names = list(dict.fromkeys(k for row in rows for k in row))
    return pl.DataFrame({k: [row.get(k) for row in rows] for k in names})


@pytest.fixture(scope="module")
def results(bundled_engine):
    frame = _rows(
        # the largest micro-batch that fits is 14.06 (tests/cli/test_admissible_rounding_note.py); with dp = 8 it
        # must divide global_batch / 8: 40 / 8 = 5 -> 5, 16 / 8 = 2 -> 2
        {"solve": "micro_batch", "memory_fill": 1, **LORA, "global_batch": 40},
        {"solve": "micro_batch", "memory_fill": 1, **LORA, "global_batch": 16},
        # 3 / (m + 3) <= 0.05 needs m >= 57; 1,024 sequences over 64 / 4 = 16 replicas are 64 each: m = 64
        {"solve": "grad_accum", "perf_model": "analytic", "model": "llama2-13b", "gpu": "A100-80GB", "n_gpus": 64,
         "pp": 4, "global_batch": 1024, "pp_bubble_fraction": 0.05},
        # 6 · 7e9 · 2e12 / (0.4 · 312e12 · 30 · 86,400) = 259.67 GPUs -> 260; 1,024 sequences over 260 replicas
        # are not whole, and the next count that divides 1,024 is 512 (256 is too few to finish in time)
        {"solve": "n_gpus", "params": 7e9, "tokens": 2e12, "gpu": "A800", "mfu": 0.4, "train_time [day]": 30,
         "global_batch": 1024},
        # a plain rounding, no move: the short note
        {"solve": "n_gpus", "params": 7e9, "tokens": 2e12, "gpu": "A800", "mfu": 0.4, "train_time [day]": 30},
    )
    return run_frame(frame, bundled_engine).results


def test_a_move_says_the_plain_rounding_and_the_value_it_moved_to(results):
    notes = results["warnings"].to_list()
    checks = "batching.admissible_global_batch"
    assert notes[0].startswith(f"rounded: micro_batch = 14.06 rounded down to 14, then 5: the largest admissible "
                               f"value by {checks} (the exact value is in `micro_batch unrounded`)")
    assert notes[1].startswith("rounded: micro_batch = 14.06 rounded down to 14, then 2: the largest admissible")
    assert results["micro_batch"].to_list()[:2] == [5, 2]
    assert results["micro_batch unrounded"][0] == pytest.approx(14.06, abs=0.005)
    assert "memory_fill recomputed for the rounded count" in notes[0]


def test_a_whole_raw_value_that_moved_is_said_as_not_admissible(results):
    note = results["warnings"][2]
    assert note.startswith("rounded: grad_accum = 57 is not admissible; 64 is the smallest admissible value by "
                           "batching.admissible_grad_accum")
    assert results["grad_accum"][2] == 64


def test_a_gpu_count_moved_for_the_global_batch(results):
    assert results["n_gpus unrounded"][3] == pytest.approx(6 * 7e9 * 2e12 / (0.4 * 312e12 * 30 * 86_400))
    assert results["n_gpus"][3] == 512
    assert results["warnings"][3].startswith("rounded: n_gpus = 259.67 rounded up to 260, then 512: the smallest "
                                             "admissible value by batching.admissible_global_batch")
    plain = results["warnings"][4]
    assert plain.startswith("rounded: n_gpus rounded up (the exact value is in `n_gpus unrounded`)")
    assert results["n_gpus"][4] == 260


def test_the_notes_in_chinese(bundled_engine):
    frame = _rows({"solve": "micro_batch", "memory_fill": 1, **LORA, "global_batch": 40})
    note = run_frame(frame, bundled_engine, lang="zh").results["warnings"][0]
    assert note.startswith("已取整：micro_batch = 14.06 向下取整为 14，再取 5：按 batching.admissible_global_batch 最大的可取值")
