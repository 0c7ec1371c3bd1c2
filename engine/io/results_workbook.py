"""A results workbook written by `llmplan run`, read back and re-solved (for `llmplan report`).

The results workbook keeps an exact copy of the input scenarios in its `inputs` sheet; re-solving
that sheet with the engine gives the same numbers (the same rules) plus every derivation, which a
workbook cannot hold.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import ScenarioError, ValueParseError
from ..messages import Caught, keyed
from ..solve.solver import Engine
from ..table.frames import Outcome, run_frame
from .sheets import read_scenarios

INPUTS_SHEET = "inputs"


def outcome_from_workbook(path: str | os.PathLike[str], engine: Engine | None = None, lang: str = "en"
                          ) -> tuple[Engine, Outcome]:
    """(engine, outcome) for the workbook's `inputs` sheet; outcome has `.batch` and `.names`."""
    source = Path(path)
    if not source.is_file():
        raise keyed(ValueParseError, "io.no_results_workbook", path=source, name=source.name)
    try:
        sheet = read_scenarios(source, sheet=INPUTS_SHEET)
    except ScenarioError as exc:
        raise keyed(ValueParseError, "sheets.results_inputs", problem=Caught(exc), sheet=INPUTS_SHEET) from None
    if engine is None:
        engine = Engine.load()
    outcome = run_frame(sheet.frame, engine, lang, locator=sheet.locator, source=str(source),
                        headers=sheet.headers, problems=sheet.problems, numeric_cells=sheet.numeric_cells,
                        notes=sheet.notes)
    return engine, outcome
