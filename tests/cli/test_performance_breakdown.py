"""The step's breakdown (issue #16: compute, exposed communication by kind, bubble) in every output: the
terminal's Breakdown line, `--json`, the results workbook's columns and the report's stacked bar.

Layout: LLaMA 2 7B on 64 A800, tp 2, pp 2 (dp 16), global_batch 1024, seq_len 4096: every part is non-zero
except ZeRO-3's gathers. The parts must add up to step_time (performance.step_time) and the bubble must be
(pp − 1) / (vpp · grad_accum) of the pipelined work: grad_accum = 1024 / (1 · 16) = 64, ratio 1/64
(Narayanan et al. 2021 §2.2.1)."""
from __future__ import annotations

import json

import polars as pl
import pytest

from engine.cli.app import main

GIVENS = ["model=llama2-7b", "tokens=2T", "gpu=A800", "n_gpus=64", "perf_model=analytic", "seq_len=4096",
          "global_batch=1024", "tp=2", "pp=2"]
PARTS = ["compute_time", "tp_comm_exposed_time", "pp_p2p_time", "pp_bubble_time", "dp_comm_exposed_time",
         "optimizer_step_time"]


def _json(capsys) -> dict:
    assert main(["solve", "train_time", "mfu", *GIVENS, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_carries_the_step_breakdown(capsys):
    out = _json(capsys)
    (step,) = [b for b in out["breakdown"] if b["total"] == "step_time"]
    assert step["rule"] == "performance.step_time" and step["unit"] == "s"
    names = [p["name"] for p in step["parts"]]
    assert names == PARTS          # the rule's order; zero3_exposed_time is 0 at ZeRO stage 0 and left out
    assert sum(p["value"] for p in step["parts"]) == pytest.approx(step["value"], rel=1e-9)
    assert sum(p["share"] for p in step["parts"]) == pytest.approx(1.0, rel=1e-9)
    values = {n: out["values"][n]["value"] for n in PARTS}
    pipelined = values["compute_time"] + values["tp_comm_exposed_time"] + values["pp_p2p_time"]
    assert values["pp_bubble_time"] == pytest.approx(pipelined / 64, rel=1e-9)   # hand: (2 − 1) / (1 · 64)
    assert step["value"] == pytest.approx(out["values"]["step_time"]["value"], rel=1e-12)


def test_terminal_brief_shows_the_breakdown_line(capsys):
    assert main(["solve", "train_time", "mfu", *GIVENS]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Breakdown:" in lines
    (line,) = [x for x in lines if x.startswith("  step_time = ")]
    for name in PARTS:
        assert f" {name} " in line
    assert main(["solve", "train_time", "mfu", *GIVENS, "--lang", "zh"]) == 0
    assert "构成:" in capsys.readouterr().out


def test_workbook_rows_have_a_column_per_part(bundled_engine):
    from engine.table.frames import solve_frame

    frame = pl.DataFrame({"solve": ["train_time, mfu", "train_time, mfu"], "model": ["llama2-7b"] * 2,
                          "tokens": ["2T", "2T"], "gpu": ["A800", "H100-SXM"], "n_gpus": [64, 64],
                          "perf_model": ["analytic"] * 2, "seq_len": [4096, 4096], "global_batch": [1024, 1024],
                          "tp": [2, 2], "pp": [2, 2]})
    out = solve_frame(frame, bundled_engine)
    assert out["error"].to_list() == [None, None]
    headers = {c.split(" [")[0]: c for c in out.columns}
    for name in [*PARTS, "step_time"]:
        assert name in headers, name
    total = sum(out[headers[n]] for n in PARTS)
    assert (total - out[headers["step_time"]]).abs().max() <= 1e-9 * out[headers["step_time"]].max()


def test_report_draws_the_step_time_as_a_stacked_bar(tmp_path, capsys):
    report = tmp_path / "r.html"
    assert main(["solve", "train_time", "mfu", *GIVENS, "--report", str(report)]) == 0
    html = report.read_text(encoding="utf-8")
    assert "Breakdown: step_time" in html
    for name in PARTS:
        assert name in html
