"""`llmplan report RESULTS.xlsx -o report.html|report.md [--lang zh]`: explain a results workbook."""
from __future__ import annotations

import argparse
import sys

from ...messages import text
from ._common import add_rule_options, load_engine


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report", help="write an HTML or Markdown report for a results workbook from `llmplan run`",
        description="Re-solve the `inputs` sheet of a results workbook and write a report that explains "
                    "every answer: inputs and their sources, each rule applied with numbers and units, "
                    "warnings, charts. HTML is one self-contained file; Markdown writes its charts into "
                    "a folder beside it.")
    parser.add_argument("workbook", metavar="RESULTS.xlsx", help="results workbook written by `llmplan run`")
    parser.add_argument("-o", "--output", required=True, metavar="REPORT", help="report file: .html or .md")
    add_rule_options(parser)


def run(args: argparse.Namespace) -> int:
    from ...io.results_workbook import outcome_from_workbook
    from ...report import write_batch_report

    engine, outcome = outcome_from_workbook(args.workbook, load_engine(args), args.lang)
    path = write_batch_report(engine, outcome, args.output, lang=args.lang)
    print(text("cli.wrote", args.lang, path=path), file=sys.stderr)
    return 1 if outcome.error_count else 0   # as `llmplan run` on the same rows
