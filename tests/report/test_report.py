"""Reports: a multi-scenario report in HTML and Markdown, English and Chinese, checked for content.

Every scenario present; the numbers in each derivation equal the solved values; sources listed;
Chinese labels, rule and warning texts with --lang zh; no network request in the HTML; the
Markdown renders as tables and images with a CommonMark/GFM renderer (markdown-it-py).
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from report_fixtures import BAD_ROWS, INVERSE_MFU, SCENARIOS, SWEEP, load_engine, solve_scenarios

FORMATS = ("html", "md")
LANGS = ("en", "zh")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return load_engine(tmp_path_factory.mktemp("rules"))


@pytest.fixture(scope="module")
def outcome(engine: Any) -> Any:
    return solve_scenarios(engine)


@pytest.fixture(scope="module")
def reports(engine: Any, outcome: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """The same batch written four times: {html, md} × {en, zh}."""
    from engine.report import write_batch_report

    folder = tmp_path_factory.mktemp("reports")
    return {(fmt, lang): write_batch_report(engine, outcome, folder / f"report-{lang}.{fmt}", lang)
            for fmt in FORMATS for lang in LANGS}


class _Collect(HTMLParser):
    """Elements with data-value, per scenario section, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.values: dict[str, list[tuple[str, str, float]]] = {}
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        attr = dict(attrs)
        if tag == "section" and (attr.get("class") or "") == "scenario":
            self.section = attr.get("id")
        if self.section and attr.get("data-name") and attr.get("data-value"):
            kind = (attr.get("class") or "").split()[0] if attr.get("class") else tag
            self.values.setdefault(self.section, []).append((kind, attr["data-name"], float(attr["data-value"])))
            if attr.get("data-raw"):
                self.values[self.section].append(("raw", attr["data-name"], float(attr["data-raw"])))


def _parse(text: str) -> _Collect:
    parser = _Collect()
    parser.feed(text)
    return parser


# -- content ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LANGS)
def test_every_scenario_is_in_the_report(reports: dict[tuple[str, str], Path], fmt: str, lang: str) -> None:
    text = reports[(fmt, lang)].read_text(encoding="utf-8")
    from engine.report.render import md_text

    for index, (name, _, _) in enumerate(SCENARIOS, start=1):
        shown = html.escape(name) if fmt == "html" else md_text(name)
        assert shown in text, f"scenario {index} ({name}) missing from the {lang} {fmt} report"
        assert f'id="s{index}"' in text


def test_derivation_numbers_equal_the_results(reports: dict[tuple[str, str], Path], outcome: Any) -> None:
    """Each chain's result (data-value, base units) is the solved value; a rounded answer shows its raw value."""
    batch = outcome.batch
    sections = _parse(reports[("html", "en")].read_text(encoding="utf-8")).values
    checked = 0
    for row in range(batch.rows):
        if row in BAD_ROWS:
            continue
        found = sections[f"s{row + 1}"]
        chains = [(name, value) for kind, name, value in found if kind == "chain"]
        assert chains, f"row {row}: no derivation"
        last = {name: value for name, value in chains}
        for name, value in last.items():
            assert value == pytest.approx(batch.values[name][row], rel=1e-12), (row, name)
            checked += 1
        for kind, name, value in found:
            if kind == "raw":       # an integer answer before rounding (n_gpus 346.2 -> 347)
                assert value == pytest.approx(batch.unrounded[name][row], rel=1e-12), (row, name)
                assert last[name] == pytest.approx(np.ceil(value))
        for kind, name, value in found:
            if kind == "value":     # the answer box
                assert value == pytest.approx(batch.values[name][row], rel=1e-12)
    assert checked >= 2 * (batch.rows - len(BAD_ROWS))


def test_substituted_numbers_carry_units(reports: dict[tuple[str, str], Path]) -> None:
    text = reports[("html", "en")].read_text(encoding="utf-8")
    section = text[text.index('id="s1"'):text.index('id="s2"')]
    # n_gpus = train_flops / (mfu · peak_flops · train_time) with 8·7e9·2e12 FLOP, 312 TFLOPS, 30 day
    for piece in ("<mn>1.12</mn>", "FLOP</mi>", "<mn>312</mn>", "TFLOPS</mi>", "<mn>30</mn>", "day</mi>",
                  "<mn>346.2</mn>"):
        assert piece in section, piece
    md = reports[("md", "en")].read_text(encoding="utf-8")
    # (the denominator's factor order is sympy's, or the rule's as written where sympy had no time)
    assert any(r"\frac{1.12 \times 10^{23}\,\mathrm{FLOP}}{" + denominator + r" \cdot 30\,\mathrm{day}}" in md
               for denominator in (r"0.4 \cdot 312\,\mathrm{TFLOPS}", r"312\,\mathrm{TFLOPS} \cdot 0.4"))


def test_answers_in_the_summary_in_human_units(reports: dict[tuple[str, str], Path], engine: Any,
                                               outcome: Any) -> None:
    from engine.text.formatting import format_quantity
    from engine.report.render import md_text

    batch = outcome.batch
    text = reports[("md", "en")].read_text(encoding="utf-8")
    summary = text[:text.index('<a id="s1">')]
    for row in range(batch.rows):
        if row in BAD_ROWS:
            continue
        for name in batch.targets[int(batch.row_targets[row])]:
            shown = format_quantity(engine.rules.variables[name], batch.values[name][row])
            assert f"**{md_text(shown)}**" in summary, (row, name, shown)
    assert "days**" in summary and "USD**" in summary   # human units (issue #15): "29.9 days"


@pytest.mark.parametrize("fmt", FORMATS)
def test_sources_and_version_listed(reports: dict[tuple[str, str], Path], engine: Any, outcome: Any, fmt: str) -> None:
    import engine as package
    from engine.report.render import md_text

    text = reports[(fmt, "en")].read_text(encoding="utf-8")
    plain = html.unescape(text) if fmt == "html" else text
    for row in range(outcome.batch.rows):
        if row in BAD_ROWS:
            continue
        result = engine.result_for_row(outcome.batch, row)
        for step in result.derivation:
            for eq in step.equations:
                assert (eq.source if fmt == "html" else md_text(eq.source)) in plain, eq.id
        for name, _, source in result.assumptions:
            assert (source if fmt == "html" else md_text(source)) in plain, name
    assert "NVIDIA A800 80GB PCIe" in plain          # the catalog entry behind gpu=A800
    assert package.__version__ in plain


def test_bad_row_shows_its_error_and_others_still_answer(reports: dict[tuple[str, str], Path]) -> None:
    text = html.unescape(reports[("html", "en")].read_text(encoding="utf-8"))
    bad = text[text.index(f'id="s{BAD_ROWS[0] + 1}"'):]
    assert "unknown value 'NoSuchGPU-9000'" in bad


def test_utilization_band_when_mfu_was_assumed(reports: dict[tuple[str, str], Path], outcome: Any) -> None:
    text = reports[("html", "en")].read_text(encoding="utf-8")
    sections = {m.group(1): m.start() for m in re.finditer(r'<section class="scenario" id="(s\d+)"', text)}
    assumed = text[sections["s3"]:sections["s4"]]
    given = text[sections["s1"]:sections["s2"]]
    assert "Answer across the utilization band" in assumed and "Answer across" not in given
    counts = [float(v) for v in re.findall(r'<td class="num" data-value="([^"]+)"', assumed)]
    assert len(counts) == 6 and counts == sorted(counts, reverse=True)   # more utilization, fewer GPUs
    assert counts[2] == outcome.batch.values["n_gpus"][2]                 # 0.4 is the assumed value


def test_charts_memory_time_and_sweep(reports: dict[tuple[str, str], Path]) -> None:
    text = reports[("html", "en")].read_text(encoding="utf-8")
    assert 'id="s2-memory"' in text and 'id="s1-time"' in text
    sweep = text[text.index('id="sweeps"'):]
    assert 'data-variable="n_gpus"' in sweep and 'data-target="train_time"' in sweep
    assert all(f"{n} →" in sweep for n in SWEEP)
    assert "<svg" in sweep and "<text" in sweep            # text kept as text (svg.fonttype none)


def test_chinese_report(reports: dict[tuple[str, str], Path], engine: Any, outcome: Any) -> None:
    from engine.report.labels import LABELS
    from engine.report.render import md_text

    for fmt in FORMATS:
        text = reports[(fmt, "zh")].read_text(encoding="utf-8")
        text = html.unescape(text) if fmt == "html" else text
        for key in ("summary", "inputs", "derivation", "rules_used", "sources", "band"):
            assert LABELS["zh"][key] in text, key
        assert engine.rules.variables["n_gpus"].zh in text
        assert engine.rules.equation("time.train_time").zh in text
        assert "Derivation" not in text and "Inputs" not in text
        # the Chinchilla advisory of row 1, in Chinese
        check = next(c for c in engine.rules.checks if c.id == "scaling.far_from_chinchilla")
        message = engine.check_message(check, outcome.batch, 0, "zh")
        assert (message if fmt == "html" else md_text(message)) in text
        # times read in Chinese units: a number followed by days/hour becomes 天/小时 (rates such as
        # USD/hour and the user's own scenario names are left as typed)
        assert re.search(r"\d (天|小时)", text)
        assert not re.search(r"\d (days?|hours?)\b", _without_names(text, outcome))


def test_html_makes_no_requests(reports: dict[tuple[str, str], Path]) -> None:
    for lang in LANGS:
        text = reports[("html", lang)].read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href|action|poster)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I)
        assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", text, re.I)
        assert "@import" not in text and "<script" not in text and "<link" not in text
        assert "<math" in text and "<svg" in text
        ids = re.findall(r'\sid="([^"]+)"', text)
        assert len(ids) == len(set(ids)), "element ids are unique (charts' ids are prefixed per chart)"


def test_markdown_renders_tables_and_images(reports: dict[tuple[str, str], Path]) -> None:
    from markdown_it import MarkdownIt

    for lang in LANGS:
        path = reports[("md", lang)]
        rendered = MarkdownIt("commonmark").enable("table").render(path.read_text(encoding="utf-8"))
        assert rendered.count("<table>") >= 1 + len(SCENARIOS), "summary + one inputs table per scenario"
        images = re.findall(r'<img src="([^"]+)"', rendered)
        assert len(images) >= len(SCENARIOS) - len(BAD_ROWS)
        for src in images:
            assert not src.startswith(("http:", "https:", "/")), src
            target = path.parent / src.replace("%20", " ")
            assert target.is_file(), src
            assert target.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_solve_report_from_the_command_line(tmp_path: Path, llmplan: Any) -> None:
    out = tmp_path / "one.md"
    run = llmplan("solve", "n_gpus", "params=7B", "tokens=2T", "gpu=A800", "train_time=30d", "mfu=0.4",
                  "recompute=full", "--report", str(out), "--lang", "zh")
    assert run.returncode == 0, run.stderr
    text = out.read_text(encoding="utf-8")
    assert "推导过程" in text and "$$" in text and "| `n_gpus` |" not in text
    assert (tmp_path / "one_files" / "s1-time.svg").is_file()


def test_solve_report_numeric_and_inverse(engine: Any, tmp_path: Path) -> None:
    """mfu solved from a GPU-hour budget: the band is not shown (mfu is the answer), the chain ends at mfu."""
    from engine.report import write_solve_report

    targets, givens = INVERSE_MFU
    result = engine.solve(list(targets), givens)
    path = write_solve_report(engine, result, tmp_path / "mfu.html")
    text = path.read_text(encoding="utf-8")
    chains = [(kind, name, value) for kind, name, value in _parse(text).values["s1"] if kind == "chain"]
    assert chains[-1][1] == "mfu" and chains[-1][2] == pytest.approx(result.values["mfu"], rel=1e-12)
    assert "utilization band" not in text


def test_unknown_report_suffix_is_refused(engine: Any, tmp_path: Path) -> None:
    from engine.errors import EngineError
    from engine.report import write_solve_report

    result = engine.solve(["train_flops"], {"params": "7B", "tokens": "1T"})
    with pytest.raises(EngineError, match=r"\.html or \.md"):
        write_solve_report(engine, result, tmp_path / "report.pdf")


def test_hostile_names_are_escaped(engine: Any, tmp_path: Path) -> None:
    """Row names come from users' sheets: no markup gets through, in HTML or Markdown."""
    from markdown_it import MarkdownIt

    from engine.report import write_batch_report

    name = '<script>alert(1)</script> | **bold** [x](https://example.com) <img src=x onerror=y>'
    outcome = solve_scenarios(engine, [(name, ("train_flops",), {"params": "7B", "tokens": "1T"})])
    text = write_batch_report(engine, outcome, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text and "&lt;script&gt;" in text
    md = write_batch_report(engine, outcome, tmp_path / "r.md").read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    assert "<script" not in rendered and "<img src=x" not in rendered and 'href="https://example.com"' not in rendered
    assert "<strong>bold</strong>" not in rendered
    assert rendered.count("<table>") >= 2     # the pipe in the name did not break the summary table


def test_long_batches_are_capped_with_a_note(engine: Any) -> None:
    from engine.report.context import batch_context

    rows = [(f"r{i}", ("train_flops",), {"params": f"{i + 1}B", "tokens": "1T"}) for i in range(5)]
    context = batch_context(engine, solve_scenarios(engine, rows), "en", limit=3)
    assert len(context["scenarios"]) == 3 and "first 3 of 5" in context["note"]


def _without_names(text: str, outcome: Any) -> str:
    """The report without the scenario names the user wrote ("A800s to finish ... in 30 days")."""
    for name in outcome.names:
        text = text.replace(str(name), "")
    return text


def test_a_chinese_report_says_each_refusal_in_chinese() -> None:
    # the workbook's error column said it in Chinese, the report in English: both now say it as the
    # message catalog does (engine/messages/planner.py); the bundled rules (no extra utilization rule)
    from engine.report.context import batch_context
    from engine.solve.solver import Engine

    engine = Engine.load()

    rows = [("no mfu", ("train_time",), {"params": "7B", "tokens": "1T", "gpu": "A800", "n_gpus": 8})]
    (scenario,) = batch_context(engine, solve_scenarios(engine, rows), "zh")["scenarios"]
    assert scenario["error"].startswith("要求解 train_time") and "mfu" in scenario["error"]
    (english,) = batch_context(engine, solve_scenarios(engine, rows), "en")["scenarios"]
    assert english["error"].startswith("to solve train_time")


def test_a_reports_inputs_name_the_config_lines_of_a_config_column(tmp_path: Path) -> None:
    # the workbook's `config origins` column said where each value came from; the report said "given"
    import polars as pl

    from engine.report.context import batch_context
    from engine.solve.solver import Engine
    from engine.table.frames import run_frame

    config = tmp_path / "lora.yaml"
    config.write_text("model_name_or_path: Qwen/Qwen2.5-7B-Instruct\nfinetuning_type: lora\nlora_rank: 16\n",
                      encoding="utf-8")
    engine = Engine.load()
    frame = pl.DataFrame({"name": ["lora"], "solve": ["memory_per_gpu"], "config": [str(config)], "gpu": ["A800"]})
    (scenario,) = batch_context(engine, run_frame(frame, engine), "en")["scenarios"]
    rank = next(i for i in scenario["inputs"] if i["name"] == "lora_rank")
    assert rank["origin"] == "config" and rank["source"] == f"{config}:3" and rank["display"] == "16"
    gpu = next(i for i in scenario["inputs"] if i["name"] == "gpu")
    assert gpu["origin"] == "given"                       # typed in the row's own cell


def test_a_rounded_answer_shows_its_raw_value_as_the_terminal_does(engine: Any, tmp_path: Path) -> None:
    # 8·N·D (recompute=full) for 7B on 2T tokens in 30 days at mfu 0.4 on A800s (312 TFLOP/s bf16, datasheet):
    # 8 · 7e9 · 2e12 / (30 · 86,400 s · 312e12 · 0.4) = 346.233 GPUs by hand, rounded up to 347. The report says
    # the raw value with the digits the terminal shows (346.23), not four significant figures (346.2).
    from engine.report import write_solve_report
    from engine.text.formatting import rounded_note

    result = engine.solve(["n_gpus"], {"params": 7e9, "tokens": 2e12, "gpu": "A800", "train_time": 30.0,
                                       "mfu": 0.4, "recompute": "full"})
    raw, new = result.rounded["n_gpus"]
    assert raw == pytest.approx(8 * 7e9 * 2e12 / (30 * 86400 * 312e12 * 0.4), rel=1e-9) and new == 347
    text = write_solve_report(engine, result, tmp_path / "gpus.md").read_text(encoding="utf-8")
    assert rounded_note(raw) == "346.23" and "346.23" in text
