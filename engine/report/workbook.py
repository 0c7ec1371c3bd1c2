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


def outcome_from_workbook(path: str | os.PathLike[str], engine: Any = None) -> tuple[Any, Any]:
    """(engine, outcome) for the workbook's `inputs` sheet; outcome has `.batch` and `.names`."""
    source = Path(path)
    if not source.is_file():
        raise ValueParseError(f"{source}: no such results workbook (write one with `llmplan run SCENARIOS.xlsx "
                              f"-o {source.name}`)")
    if engine is None:
        from ..solver import Engine

        engine = Engine.load()
    frame, extra = _read_inputs(source)
    frames = _module("frames")
    return engine, frames.run_frame(frame, engine, source=str(source), **extra)


def _read_inputs(source: Path) -> tuple[Any, dict[str, Any]]:
    """The `inputs` sheet as a polars DataFrame, with whatever the reader adds for cell references."""
    sheets = _module("sheets")
    for name in ("read_sheet", "read_scenarios", "read_table"):
        reader = getattr(sheets, name, None)
        if reader is not None:
            read = reader(source, sheet=INPUTS_SHEET)
            return _unpack(read)
    raise EngineError("llmplan report: engine/sheets.py has no reader for a named sheet "
                      "(expected read_sheet(path, sheet=...)); the workbook runner is not finished")


def _unpack(read: Any) -> tuple[Any, dict[str, Any]]:
    """Readers return a frame, or (frame, options for run_frame), or an object with .frame."""
    if isinstance(read, tuple):
        frame, extra = read[0], (read[1] if len(read) > 1 and isinstance(read[1], dict) else {})
        return frame, dict(extra)
    frame = getattr(read, "frame", read)
    extra = {k: getattr(read, k) for k in ("locator", "problems", "numeric_cells", "notes") if hasattr(read, k)}
    return frame, extra


def _module(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(f"engine.{name}")
    except ImportError as exc:
        raise EngineError(f"llmplan report needs engine/{name}.py (the scenario-workbook runner), which this "
                          f"installation does not have yet ({exc}); `llmplan solve ... --report` works "
                          "without it") from None
