"""Planning reports: HTML and Markdown that explain every answer, with charts, in English and Chinese.

    write_solve_report(engine, result, "report.md", lang="en")       # llmplan solve ... --report
    write_batch_report(engine, outcome, "report.html", lang="zh")    # llmplan run ... --report
    write_workbook_report("results.xlsx", "report.html", lang="en")  # llmplan report RESULTS.xlsx

Modules, one job each: labels (fixed words, en/zh), formulas (MathML/LaTeX),
whatif (re-solved numbers: utilization band, time vs GPUs, sweeps), charts
(matplotlib SVG), scenario + context (the one template context), render
(Jinja2 environment, filters, writing files), workbook (results workbook in).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["write_batch_report", "write_solve_report", "write_workbook_report"]


def write_solve_report(engine: Any, result: Any, path: str | os.PathLike[str], lang: str = "en") -> Path:
    """A report for one answered question (an engine.solve.solver.Result)."""
    from .context import solve_context
    from .render import write

    return write(solve_context(engine, result, lang), path)


def write_batch_report(engine: Any, outcome: Any, path: str | os.PathLike[str], lang: str = "en") -> Path:
    """A report for many rows: `outcome` has `.batch` (engine.solve.batch.Batch) and `.names` (row labels)."""
    from .context import batch_context
    from .render import write

    return write(batch_context(engine, outcome, lang), path)


def write_workbook_report(workbook: str | os.PathLike[str], path: str | os.PathLike[str], lang: str = "en",
                          engine: Any = None) -> Path:
    """A report for a results workbook written by `llmplan run`, re-solved from its `inputs` sheet."""
    from .workbook import outcome_from_workbook

    engine, outcome = outcome_from_workbook(workbook, engine, lang)
    return write_batch_report(engine, outcome, path, lang)
