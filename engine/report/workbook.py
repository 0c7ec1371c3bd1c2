"""`llmplan report RESULTS.xlsx`: a report from a results workbook written by `llmplan run`.

The results workbook keeps an exact copy of the input scenarios in its
`inputs` sheet; the report re-solves that sheet with the engine (the same
rules, so the same numbers, plus every derivation, which a workbook cannot
hold). Reading sheets and solving frames belong to the workbook modules
(engine/sheets.py reads, engine/frames.py solves); they are imported only
here and only when this command runs.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import EngineError, ValueParseError

INPUTS_SHEET = "inputs"


def outcome_from_workbook(path: str | os.PathLike[str], engine: Any = None, lang: str = "en") -> tuple[Any, Any]:
    """(engine, outcome) for the workbook's `inputs` sheet; outcome has `.batch` and `.names`."""
    source = Path(path)
    if not source.is_file():
        raise ValueParseError(f"{source}: no such results workbook (write one with `llmplan run SCENARIOS.xlsx "
                              f"-o {source.name}`)")
    sheets, frames = _module("io.sheets"), _module("table.frames")
    try:
        sheet = sheets.read_scenarios(source, sheet=INPUTS_SHEET)
    except sheets.ScenarioError as exc:
        raise ValueParseError(f"{exc} (a results workbook from `llmplan run` keeps the scenarios it was run on in "
                              f"its `{INPUTS_SHEET}` sheet)") from None
    if engine is None:
        from ..solve.solver import Engine

        engine = Engine.load()
    outcome = frames.run_frame(sheet.frame, engine, lang, locator=sheet.locator, source=str(source),
                               headers=sheet.headers, problems=sheet.problems, numeric_cells=sheet.numeric_cells,
                               notes=sheet.notes)
    return engine, outcome


def _module(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(f"engine.{name}")
    except ImportError as exc:
        raise EngineError(f"llmplan report needs engine/{name.replace('.', '/')}.py (the scenario-workbook runner), which this "
                          f"installation does not have ({exc}); `llmplan solve ... --report` works "
                          "without it") from None
