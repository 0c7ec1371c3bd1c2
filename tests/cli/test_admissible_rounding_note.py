"""A whole-number answer moved past its plain rounding to an admissible value says both steps: "14.06 rounded
down to 14, then 5: the largest admissible value by batching.admissible_global_batch", on solve's answer
line, in the -v rounding note and in the report, in English and Chinese."""
from __future__ import annotations

import pytest

from engine.cli.commands.solve import render_text
from engine.text.formatting import plain_rounded

# The largest micro-batch of Qwen2.5-7B LoRA that fits an A100-80GB at 2k is a little over 14 (the memory
# model's figure; only that it is at least 6 matters). With 8 GPUs (dp = 8) and global_batch = 40,
# micro_batch · 8 must divide 40, so micro_batch divides 5: the plain rounding 14 fails (14 · 8 = 112 > 40)
# and the largest admissible value at most 14 is 5.
GIVENS = {"memory_fill": "1", "model": "qwen2.5-7b", "method": "lora", "gpu": "A100-80GB-SXM", "n_gpus": "8",
          "seq_len": "2048", "recompute": "full", "global_batch": "40"}
CHECK = "batching.admissible_global_batch"


@pytest.mark.parametrize("rounding, raw, new, plain", [
    ("down", 14.06, 5.0, 14.0),        # moved on from 14
    ("down", 14.06, 14.0, 14.0),       # the plain rounding itself
    ("up", 346.23, 347.0, 347.0),
    ("up", 64.0000000001, 64.0, 64.0),  # float noise above a whole count is that count (1e-12 slack)
    ("up", 4.37, 4.0, 4.0),            # a budget turned the way down: the plain value follows the answer's way
    ("nearest", 2.5, 2.0, 2.0),        # round half to even, as numpy rounds
])
def test_plain_rounding(rounding, raw, new, plain):
    assert plain_rounded(rounding, raw, new) == plain


@pytest.fixture(scope="module")
def moved(bundled_engine):
    return bundled_engine.solve(["micro_batch"], GIVENS)


def test_answer_line_says_both_steps(moved):
    raw, new = moved.rounded["micro_batch"]
    assert 14 <= raw < 15 and new == 5
    shown = render_text(moved, "en")
    line = next(x for x in shown.splitlines() if x.startswith("  micro_batch = "))
    assert f"micro_batch = 5   ({raw:.2f} rounded down to 14, then 5: the largest admissible value by {CHECK})" in line
    verbose = render_text(moved, "en", verbose=True)
    assert f"[info] micro_batch = {raw:.2f} rounded down to 14, then 5: the largest admissible value by {CHECK}" \
        in verbose


def test_answer_line_in_chinese(moved):
    raw = moved.rounded["micro_batch"][0]
    shown = render_text(moved, "zh")
    assert f"micro_batch = 5   (由 {raw:.2f} 向下取整为 14，再取 5：按 {CHECK} 最大的可取值)" in shown


def test_report_says_both_steps(bundled_engine, moved, tmp_path):
    from engine.report import write_solve_report

    raw = moved.rounded["micro_batch"][0]
    page = write_solve_report(bundled_engine, moved, tmp_path / "r.md").read_text(encoding="utf-8")
    said = f"micro\\_batch = {raw:.2f} rounded down to 14, then 5: the largest admissible value by"
    assert said in page
    assert "rounded down to 14, then the largest admissible value" in page   # the derivation's last line
    page = write_solve_report(bundled_engine, moved, tmp_path / "z.md", lang="zh").read_text(encoding="utf-8")
    assert f"micro\\_batch = {raw:.2f} 向下取整为 14，再取 5：按" in page


def test_a_plain_rounding_that_is_admissible_says_only_the_rounding(bundled_engine):
    # global_batch = 8 · 14 = 112: micro_batch 14 (the plain rounding) divides 112 / 8 = 14
    result = bundled_engine.solve(["micro_batch"], dict(GIVENS, global_batch="112"))
    raw, new = result.rounded["micro_batch"]
    assert new == 14
    assert f"micro_batch = 14   ({raw:.2f} rounded down)    #" in render_text(result, "en")


def test_an_answer_that_follows_a_rounded_count_says_which(bundled_engine):
    """The global batch for an mfu of at least 0.4 is found through grad_accum (Llama-2-70B, 512 H100, tp 8, pp 4:
    dp = 16); grad_accum is rounded up, so the batch is 16 × that whole count, and the answer line says so."""
    result = bundled_engine.solve(["global_batch"], {"model": "llama2-70b", "gpu": "H100-SXM", "perf_model": "analytic",
                                                     "seq_len": "4096", "n_gpus": "512", "tp": "8", "pp": "4",
                                                     "precision": "mixed-bf16", "mfu": "0.40"})
    raw, new = result.rounded["grad_accum"]
    assert new == int(raw) + 1 and result.values["global_batch"] == 16 * new
    line = next(x for x in render_text(result, "en").splitlines() if x.startswith("  global_batch = "))
    assert f"(grad_accum = {new:.0f}: {raw:.2f} rounded up)" in line
    zh = next(x for x in render_text(result, "zh").splitlines() if x.startswith("  global_batch = "))
    assert f"(grad_accum = {new:.0f}：由 {raw:.2f} 向上取整)" in zh


def test_the_brief_answer_says_a_move_once(moved):
    # the answer line says "14.06 rounded down to 14, then 5: ..."; the warning saying the same waits for -v
    note = "micro_batch = 14.06 rounded to a whole number is not admissible"
    assert any(w.code == "admissible.micro_batch" and w.message.startswith(note) for w in moved.warnings)
    assert note not in render_text(moved, "en")
    assert note in render_text(moved, "en", verbose=True)
