"""`llmplan template SCENARIOS.xlsx [--force]`: write a scenario workbook to fill in."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ...errors import ScenarioError
from ...messages import keyed, text
from ._common import add_rule_options, load_engine


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "template", help="write a scenario workbook to fill in (drop-downs, notes, worked examples)",
        description="Write an .xlsx scenario workbook: a `scenarios` sheet with variable names and units in the "
                    "header (notes in English and Chinese), drop-down lists for GPUs, models, tokenizers and "
                    "conventions, worked forward and inverse examples, and sheets listing the variables and "
                    "catalogs. Fill it in and run `llmplan run SCENARIOS.xlsx -o RESULTS.xlsx`.")
    parser.add_argument("path", metavar="SCENARIOS.xlsx", help="where to write the workbook")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    add_rule_options(parser)


def run(args: argparse.Namespace) -> int:
    from ...io.template import write_template

    path = Path(args.path)
    if path.suffix.lower() != ".xlsx":
        raise keyed(ScenarioError, "io.template_suffix", path=path)
    if path.exists() and not args.force:
        raise keyed(ScenarioError, "io.exists", path=path)
    engine = load_engine(args)
    write_template(engine, path, args.lang)
    print(text("cli.template_written", args.lang, path=path), file=sys.stderr)
    return 0
