"""Totals built from named parts (issue #15 item 6): found from the rules (`total = a + b + c`),
shown as one terminal line with shares and as a stacked bar in the report. A small rule file stands
in for formulas/performance.yaml's step_time = compute_time + ... (issue #16)."""
from __future__ import annotations

import pytest

from engine.cli.app import main
from engine.solve.solver import Engine
from engine.table.breakdown import breakdowns

RULES = """
variables:
  part_a_time: {unit: s, en: Part A, zh: 甲部分}
  part_b_time: {unit: s, en: Part B, zh: 乙部分}
  part_c_time: {unit: s, domain: nonnegative, en: Part C, zh: 丙部分}
  whole_time: {unit: s, en: Whole, zh: 总和}
equations:
  - id: bd.whole
    eq: whole_time = part_a_time + part_b_time + part_c_time
    source: a sum, for the test
    en: whole is the sum of its parts
    zh: 总和为各部分之和
"""


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bd") / "bd.yaml"
    path.write_text(RULES, encoding="utf-8")
    return path


def test_breakdown_found_from_the_rules(rules_file):
    engine = Engine.load([rules_file])
    result = engine.solve(["whole_time"], {"part_a_time": "1h", "part_b_time": "30min", "part_c_time": 0})
    found = [b for b in breakdowns(result) if b.rule == "bd.whole"]
    # 3,600 s + 1,800 s + 0 s = 5,400 s; the zero part is left out
    assert len(found) == 1 and found[0].value == 5400.0
    assert found[0].parts == (("part_a_time", 3600.0), ("part_b_time", 1800.0))


def test_breakdown_line_and_chart(rules_file, tmp_path, capsys):
    report = tmp_path / "r.html"
    assert main(["solve", "whole_time", "part_a_time=1h", "part_b_time=30min", "part_c_time=0",
                 "--rules", str(rules_file), "--report", str(report)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Breakdown:" in lines
    # 1 h of 1.5 h = 67%, 30 min = 33%
    assert "  whole_time = 1.5 h = part_a_time 1 h (67%) + part_b_time 30 min (33%)" in lines
    html = report.read_text(encoding="utf-8")
    assert "Breakdown: whole_time" in html and "part_a_time 1 h" in html and "part_b_time 0.5 h" in html


def test_sums_of_different_dimensions_are_not_breakdowns(bundled_engine):
    # time.gpu_hours (gpu_hours = gpu_seconds) has one part; params sums mix nothing: only true sums count
    from engine.table.breakdown import sum_parts

    found = {eq.id for eq in bundled_engine.rules.equations if sum_parts(eq, bundled_engine.rules)}
    assert "time.gpu_hours" not in found and "time.train_time" not in found
