"""`llmplan sweep TARGET [TARGET ...] NAME=SPEC ... [-o OUT.parquet|.csv|.xlsx]`: grid questions.

    llmplan sweep train_time params=7B tokens=1T gpu=A800,H100-SXM n_gpus=8..1024*2 mfu=0.3..0.55+0.05 -o sweep.parquet

SPEC: a value (7B), a list (A800,H100-SXM or 30d,60d), LOW..HIGH*FACTOR (geometric) or
LOW..HIGH+STEP (arithmetic). Without -o the grid is printed as CSV. Exit 1 if some rows have
errors (they are in the `error` column), 2 for a bad spec or path.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ...errors import ScenarioError
from ...messages import keyed, text
from ..heap import keep_freed_memory
from ..progress import Progress
from ._common import add_rule_options, load_engine, split_items


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sweep", help="solve a grid of scenarios, e.g. `sweep train_time params=7B gpu=A800,H100-SXM n_gpus=8..1024*2`",
        description="Solve TARGET over the cartesian product of the values given: lists (gpu=A800,H100-SXM), "
                    "geometric ranges (n_gpus=8..1024*2) and arithmetic ranges (mfu=0.3..0.55+0.05, "
                    "train_time=10d..60d+10d). Large grids stream to Parquet/CSV chunk by chunk.")
    parser.add_argument("items", nargs="+", metavar="TARGET|NAME=SPEC", help="variables to solve, then the grid")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="output: .parquet, .csv or .xlsx (default: CSV on stdout)")
    parser.add_argument("--chunk-rows", type=int, default=None, metavar="N",
                        help="rows solved and written at a time (default 250,000)")
    parser.add_argument("--all-values", action="store_true",
                        help="also derive the values beside the answer (GPU-hours, throughput, ...); "
                             "by default only the targets and the values on their path")
    add_rule_options(parser)


def run(args: argparse.Namespace) -> int:
    from ...io.sweep_output import run_sweep
    from ...table.sweep import CHUNK_ROWS, parse_grid

    targets, specs = split_items(args.items)
    target = Path(args.output) if args.output else None
    if target is not None and target.suffix.lower() not in (".parquet", ".csv", ".xlsx"):
        raise keyed(ScenarioError, "io.sweep_suffix", path=target)
    engine = load_engine(args)
    grid = parse_grid(engine, targets, specs)
    if grid.total >= 10_000:
        keep_freed_memory()      # 1.6x on a 100k-row grid (engine/cli/heap.py)
    with Progress("llmplan sweep", grid.total, stream=sys.stderr,
                  enabled=None if target is not None and grid.total >= 100_000 else False) as bar:
        result = run_sweep(engine, grid, target, args.chunk_rows or CHUNK_ROWS, args.lang,
                           progress=lambda done: bar.update(done), side_values=args.all_values)
    if result.dropped:
        print(text("cli.sweep_dropped", args.lang, names=", ".join(sorted(result.dropped))), file=sys.stderr)
    if target is not None:
        print(text("cli.sweep_summary", args.lang, rows=f"{result.rows:,}", errors=f"{result.errors:,}", target=target),
              file=sys.stderr)
    return 1 if result.errors else 0
