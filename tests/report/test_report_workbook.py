"""Reports from scenario files: `llmplan run ... --report` and `llmplan report RESULTS.xlsx`.

The example workbook (examples/scenarios.xlsx) is used when it exists; a small CSV sheet
stands in for it otherwise, so the command is tested either way.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import EXAMPLE

SHEET = """\
name,solve,params,tokens,gpu,train_time [days],mfu,n_gpus,recompute,price_per_gpu_hour
7B on A800 in 30 days,n_gpus,7B,2T,A800,30,0.4,,full,2
13B on 256 H100,train_time,13B,1T,H100-SXM,,0.45,256,,
7B training memory,train_memory,7B,,A800,,,,,
bad GPU,n_gpus,7B,1T,NoSuchGPU,30,0.4,,,
"""


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if EXAMPLE.is_file():
        return EXAMPLE
    path = tmp_path_factory.mktemp("sheet") / "scenarios.csv"
    path.write_text(SHEET, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def results(scenarios: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from conftest import run_llmplan

    folder = tmp_path_factory.mktemp("run")
    out = {"results": folder / "results.xlsx", "run": folder / "run.html"}
    done = run_llmplan("run", str(scenarios), "-o", str(out["results"]), "--report", str(out["run"]))
    assert done.returncode in (0, 1), done.stderr          # 1: some rows have errors (the bad row)
    for name, lang in (("report.html", "en"), ("report-zh.md", "zh")):
        target = folder / name
        done = run_llmplan("report", str(out["results"]), "-o", str(target), "--lang", lang)
        assert done.returncode == 0, done.stderr
        out[name] = target
    return out


class _Values(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if attr.get("data-name") and attr.get("data-value") is not None:
            self.found.append((attr["data-name"], attr["data-value"] or ""))


def _values(path: Path) -> list[tuple[str, str]]:
    parser = _Values()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.found


def _names(scenarios: Path) -> list[str]:
    from engine.io.sheets import read_scenarios

    frame = read_scenarios(scenarios).frame
    return [str(n) for n in frame.get_column("name").to_list() if n] if "name" in frame.columns else []


def test_report_command_reproduces_the_run(results: dict[str, Path]) -> None:
    """`llmplan report` re-solves the `inputs` sheet: every number equals the one `run --report` showed."""
    ran, again = _values(results["run"]), _values(results["report.html"])
    assert ran and ran == again


def test_every_row_is_in_the_reports(results: dict[str, Path], scenarios: Path) -> None:
    import html

    names = _names(scenarios)
    assert names
    for key in ("run", "report.html", "report-zh.md"):
        text = results[key].read_text(encoding="utf-8")
        text = html.unescape(text) if key.endswith("html") or key == "run" else text.replace("\\", "")
        for name in names:
            assert name in text, (key, name)


def test_answers_match_the_results_workbook(results: dict[str, Path]) -> None:
    """Scenario k of the report is row k of the results sheet: its answers are the workbook's cells."""
    import openpyxl

    book = openpyxl.load_workbook(results["results"], read_only=True)
    rows = [r for r in book["results"].iter_rows(values_only=True)]
    header, body = rows[0], [r for r in rows[1:] if any(c not in (None, "") for c in r)]
    solve = header.index("solve")
    text = results["report.html"].read_text(encoding="utf-8")
    sections = re.split(r'<section class="scenario" id="s\d+">', text)[1:]
    assert len(sections) == len(body)
    checked = 0
    for section, row in zip(sections, body, strict=True):
        for name, value in re.findall(r'<span class="value" data-name="([^"]+)" data-value="([^"]+)"', section):
            if name not in re.split(r"[\s,;]+", str(row[solve])):
                continue          # a budget recomputed for a rounded count has its own column
            column = next(i for i, h in enumerate(header) if h == name or str(h).startswith(name + " ["))
            cell = row[column]
            # the workbook holds the value in its column's unit; the report in base units
            assert float(value) / _factor(header[column]) == pytest.approx(cell, rel=1e-9), (row[0], name)
            checked += 1
    assert checked >= 2


def _factor(header: str) -> float:
    from engine.rules.units import unit_info

    unit = re.search(r"\[(.+)\]", header)
    return unit_info(unit.group(1))[0] if unit else 1.0


def test_report_command_errors(tmp_path: Path, llmplan: Any) -> None:
    missing = llmplan("report", str(tmp_path / "nope.xlsx"), "-o", str(tmp_path / "r.html"))
    assert missing.returncode == 2 and "no such results workbook" in missing.stderr
    plain = tmp_path / "plain.csv"
    plain.write_text("solve,params,tokens\ntrain_flops,7B,1T\n", encoding="utf-8")
    odd = llmplan("report", str(plain), "-o", str(tmp_path / "r.pdf"))
    assert odd.returncode == 2 and ".html or .md" in odd.stderr
