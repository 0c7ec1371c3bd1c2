"""A whole number that float noise only seemed to move (132.99999999999997 -> 133) gets no rounding note in
the answer line, the warnings, --json, the report or the workbook's warnings column; the recompute after
the rounding still runs, and the raw value stays as data (`rounded` in --json, `name unrounded`)."""
from __future__ import annotations

import json

import polars as pl
import pytest

from engine.cli.app import main
from engine.cli.commands.solve import render_text
from engine.text.formatting import rounded_for_real

# 2.7 GPU-days over 0.9 days is 3 GPUs, and 399 sequences over 3 replicas of micro-batch 1 is grad_accum 133
# exactly; in floating point 2.7 · 86400 / (0.9 · 86400) makes it 132.99999999999997
NOISE = ["grad_accum", "global_batch=399", "micro_batch=1", "gpu_days=2.7", "train_time=0.9d"]


@pytest.mark.parametrize("raw, new, moved", [
    (133 * (1 - 1e-16), 133.0, False),
    (132.99999999999997, 133.0, False),
    (57.00000000000001, 57.0, False),
    (133 - 1e-7, 133.0, False),            # 1e-7 <= 1e-9 · 133 = 1.33e-7: noise
    (133 - 2e-7, 133.0, True),             # 2e-7 > 1.33e-7: a rounding
    (0.5e-9, 0.0, False),                  # max(1, |raw|): a small raw is judged against 1e-9
    (2e-9, 0.0, True),
    (346.23, 347.0, True),                 # the README's n_gpus
])
def test_rounding_beyond_noise(raw, new, moved):
    assert rounded_for_real(raw, new) is moved


def test_solve_answer_has_no_note_for_noise(eng, capsys):
    items = dict(item.split("=") for item in NOISE[1:])
    result = eng.solve(["grad_accum"], items)
    assert result.rounded["grad_accum"][0] == pytest.approx(133, rel=1e-12) and result.rounded["grad_accum"][0] != 133
    shown = render_text(result, "en", verbose=True)
    assert "  grad_accum = 133    #" in shown
    assert "rounded" not in shown                     # neither "(133 rounded up)" nor "[info] ... rounded up to 133"
    assert "recomputed for the rounded count" not in shown
    assert main(["solve", *NOISE, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [w for w in out["warnings"] if w["code"] == "rounded"] == []
    assert out["rounded"]["grad_accum"]["rounded"] == 133        # the data stays
    assert out["values"]["grad_accum"]["value"] == 133


def test_a_real_rounding_keeps_its_note(eng):
    # 6 · 7e9 · 2e12 · 8/6 (recompute=full) = 112e21 FLOP over 30 days at 0.4 of 312 TFLOPS: 346.23 GPUs -> 347
    result = eng.solve(["n_gpus"], {"params": "7B", "tokens": "2T", "gpu": "A800", "train_time": "30d", "mfu": "0.4",
                                    "recompute": "full"})
    shown = render_text(result, "en", verbose=True)
    assert "n_gpus = 347   (346.23 rounded up)" in shown
    assert "recomputed for the rounded count" in shown and "[info] n_gpus = 346.23 rounded up to 347" in shown


def test_report_has_no_rounding_text_for_noise(eng, tmp_path):
    from engine.report import write_solve_report

    result = eng.solve(["grad_accum"], dict(item.split("=") for item in NOISE[1:]))
    page = write_solve_report(eng, result, tmp_path / "r.md").read_text(encoding="utf-8")
    assert "rounded" not in page and "grad_accum" in page


def test_workbook_notes_only_real_roundings(eng):
    from engine.table.frames import run_frame

    frame = pl.DataFrame({"solve": ["grad_accum", "n_gpus"], "global_batch": [399, None], "micro_batch": [1, None],
                          "gpu_days": [2.7, None], "train_time [day]": [0.9, 30], "params": [None, 7e9],
                          "tokens": [None, 2e12], "gpu": [None, "A800"], "mfu": [None, 0.4],
                          "recompute": [None, "full"]})
    results = run_frame(frame, eng).results
    warnings = results["warnings"].to_list()
    assert "rounded" not in (warnings[0] or "")
    assert "rounded: n_gpus rounded up" in warnings[1]
    assert results["grad_accum unrounded"][0] == pytest.approx(133, rel=1e-12)   # the raw value is kept
