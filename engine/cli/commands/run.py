"""`llmplan run SCENARIOS.xlsx -o RESULTS.xlsx [--report REPORT.html|.md] [--lang en|zh]`.

Reads the `scenarios` sheet (or a .csv/.parquet table), solves every row with the batch
engine, writes every row back with its answers (engine/io/workbook.py), and optionally a report.
Exit codes: 0 every row answered, 1 some rows have errors (the others are answered),
2 the file as a whole cannot be used (unreadable, no `scenarios` sheet, bad header ...).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ...messages import keyed, localized, text
from ..progress import Progress
from ._common import add_rule_options, load_engine

if TYPE_CHECKING:
    from ...solve.solver import Engine
    from ...table.frames import Outcome

REPORT_SUFFIXES = (".html", ".htm", ".md")
SHOWN_ERRORS = 5


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run", help="solve every row of a scenario workbook (.xlsx/.csv/.parquet) and write the results",
        description="Solve every row of the `scenarios` sheet: row 1 holds variable names (optionally with a "
                    "unit, `train_time [days]`), a `solve` column names each row's targets, empty cells are "
                    "unknowns, other columns pass through. The results keep every row and column, fill the "
                    "answers (coloured by how they were found), add derived columns and `warnings`/`error`. "
                    "The input is never modified. Start from `llmplan template SCENARIOS.xlsx`.")
    parser.add_argument("input", metavar="SCENARIOS", help="scenario file: .xlsx (sheet `scenarios`), .csv or .parquet")
    parser.add_argument("-o", "--output", required=True, metavar="RESULTS",
                        help="results file: .xlsx (annotated workbook), .csv or .parquet")
    parser.add_argument("--report", metavar="FILE", help="also write a report (.html or .md)")
    add_rule_options(parser)


def run(args: argparse.Namespace) -> int:
    from ...io.sheets import ScenarioError, check_paths, read_scenarios
    from ...io.workbook import write_results
    from ...table.frames import run_frame

    source, target = Path(args.input), Path(args.output)
    check_paths(source, target)
    if args.report:
        report = Path(args.report)
        if report.suffix.lower() not in REPORT_SUFFIXES:
            raise keyed(ScenarioError, "io.report_suffix", path=report)
        check_paths(source, report, REPORT_SUFFIXES)
        if report.resolve() == target.resolve():
            raise keyed(ScenarioError, "io.report_same_path", path=report)
    engine = load_engine(args)
    sheet = read_scenarios(source)
    rows = sheet.frame.height
    with Progress("llmplan run", rows, stream=sys.stderr, enabled=None if rows >= 20_000 else False) as bar:
        outcome = run_frame(sheet.frame, engine, args.lang, locator=sheet.locator, source=str(source),
                            headers=sheet.headers, problems=sheet.problems, numeric_cells=sheet.numeric_cells,
                            notes=sheet.notes, progress=lambda stage: bar.update(0, label=f"llmplan run: {stage}"))
        bar.update(0, label="llmplan run: writing")
        written = sheet.frame.height * (2 if target.suffix.lower() == ".xlsx" else 1)
        bar.total = max(written, 1)
        write_results(outcome, engine, target, sheet.headers, progress=lambda done: bar.update(done),
                      bom=sheet.excel_csv)
    for note in outcome.notes:
        print(text("cli.note", args.lang, note=localized(note, args.lang)), file=sys.stderr)
    _summary(outcome, target, args.lang)
    code = 3 if outcome.hit_a_bug else 1 if outcome.error_count else 0   # (README: exit codes)
    if args.report:
        code = max(code, _report(engine, outcome, Path(args.report), args.lang))
    return code


def _summary(outcome: Outcome, target: Path, lang: str = "en") -> None:
    answered, errors = outcome.answered_count, outcome.error_count
    blank = int(outcome.blank.sum())
    extra = text("cli.run_blank", lang, blank=blank) if blank else ""
    print(text("cli.run_summary", lang, rows=outcome.rows, answered=answered, errors=errors, extra=extra,
               target=target), file=sys.stderr)
    if errors:
        names = outcome.names
        shown = outcome.results.get_column("error").to_list()   # with the cells a contradiction involves
        for row in outcome.error_mask.nonzero()[0][:SHOWN_ERRORS].tolist():
            print(f"  {names[row]}: {shown[row]}", file=sys.stderr)
        if errors > SHOWN_ERRORS:
            print(text("cli.run_more_errors", lang, count=errors - SHOWN_ERRORS), file=sys.stderr)


def _report(engine: Engine, outcome: Outcome, path: Path, lang: str) -> int:
    try:
        from ...report import write_batch_report
    except ImportError:
        write_batch_report = None  # type: ignore[assignment]
    if write_batch_report is None:
        print(text("cli.no_report", lang, path=path), file=sys.stderr)
        return 2
    written = write_batch_report(engine, outcome, path, lang)
    print(text("cli.wrote", lang, path=written), file=sys.stderr)
    return 0
