"""Planning reports: HTML and Markdown that explain every answer, with charts, in English and Chinese.

    write_solve_report(engine, result, "report.md", lang="en")       # llmplan solve ... --report
    write_batch_report(engine, outcome, "report.html", lang="zh")    # llmplan run ... --report

`llmplan report RESULTS.xlsx` re-solves a results workbook (engine.io.results_workbook) and writes
it with write_batch_report.

Modules, one job each: labels (fixed words, en/zh), formulas (MathML/LaTeX),
whatif (re-solved numbers: utilization band, time vs GPUs, sweeps), charts
(matplotlib SVG), scenario + context (the one template context), render
(Jinja2 environment, filters, writing files).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .context import SolvedRows, batch_context, solve_context
from .render import write

if TYPE_CHECKING:
    from ..solve.solver import Engine, Result

__all__ = ["write_batch_report", "write_solve_report"]


def write_solve_report(engine: Engine, result: Result, path: str | os.PathLike[str], lang: str = "en") -> Path:
    """A report for one answered question (an engine.solve.solver.Result)."""
    return write(solve_context(engine, result, lang), path)


def write_batch_report(engine: Engine, outcome: SolvedRows, path: str | os.PathLike[str], lang: str = "en") -> Path:
    """A report for many rows: `outcome` has `.batch` (engine.solve.batch.Batch) and `.names` (row labels)."""
    return write(batch_context(engine, outcome, lang), path)
