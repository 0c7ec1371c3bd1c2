"""The performance model (perf_model=analytic) against its calibration table (validation/perf_calibration.yaml)
and against published runs it was never fitted to (validation/perf_checks.yaml).

Each row asks llmplan, through the public API, for the published quantity (achieved TFLOP/s per GPU)
from the layout the source describes, and compares. The model is calibrated on exactly the calibration
rows (a shape factor and overlap fractions, formulas/performance.yaml); the bar of issue #16 is a median
|error| of at most 10 % and no row beyond 20 %. The check rows say how it does out of sample.
"""
from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

import yaml

from .common import Row, ask

SECTION = "Performance model: calibration (perf_model=analytic)"
CHECK_SECTION = "Performance model: published runs it was not fitted to (perf_model=analytic)"
DATA = Path(__file__).with_name("perf_calibration.yaml")
CHECKS = Path(__file__).with_name("perf_checks.yaml")
ROW_TOLERANCE = 0.20      # issue #16: max |error| ≤ 20 %
MEDIAN_TOLERANCE = 0.10   # issue #16: median |error| ≤ 10 %
# Held-out rows: a loose guard (a change that makes the model worse where it was never fitted fails),
# wider than the calibration bar because their unstated settings are set a priori, not matched.
CHECK_TOLERANCE = 0.25
UNIT_SCALE = {"TFLOPS": 1e12, "s": 1.0}


def load(path: Path = DATA) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def givens_of(table: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """The row's question as a user would type it: the table's common givens, the row's own on top."""
    givens = {k: str(v) for k, v in table["common"].items()}
    givens.update({k: str(v) for k, v in row["givens"].items()})
    return givens


def rows(data: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None) -> list[Row]:
    """One Row per calibration figure; `overrides` (e.g. matmul_shape_factor) are added to every question."""
    return _compared(data if data is not None else load(), SECTION, ROW_TOLERANCE,
                     "issue #16: every calibration row within 20 %", overrides)


def check_rows(data: dict[str, Any] | None = None) -> list[Row]:
    """One Row per published figure of validation/perf_checks.yaml (never fitted)."""
    return _compared(data if data is not None else load(CHECKS), CHECK_SECTION, CHECK_TOLERANCE,
                     "a run the model was not fitted to: a loose guard, not a bar it was tuned to pass", None)


def _compared(data: dict[str, Any], section: str, tolerance: float, reason: str,
              overrides: dict[str, Any] | None) -> list[Row]:
    out: list[Row] = []
    for table_id, table in data["tables"].items():
        target, unit = table["compare"], table["unit"]
        for row in table["rows"]:
            givens = givens_of(table, row)
            givens.update({k: str(v) for k, v in (overrides or {}).items()})
            values = ask([target, "step_time", "mfu"], givens)
            got = values[target] / UNIT_SCALE[unit]
            out.append(Row(section, f"{table['title']}: {row['case']}", got, float(row["published"]), unit,
                           tolerance, reason, table["source"],
                           {"group": table["title"], "table": table_id, "step_time_s": values["step_time"],
                            "mfu": values["mfu"]}))
    return out


def summary(calibration: list[Row]) -> tuple[float, float]:
    """(median |error|, max |error|) over the calibration rows."""
    errors = [abs(r.error) for r in calibration if math.isfinite(r.error)]
    return statistics.median(errors), max(errors)


def summary_line(calibration: list[Row]) -> str:
    median, worst = summary(calibration)
    verdict = "ok" if calibration_ok(calibration) else "FAIL"
    return (f"performance model: {len(calibration)} calibration rows, median |error| {median * 100:.1f} % "
            f"(bar {MEDIAN_TOLERANCE * 100:g} %), max |error| {worst * 100:.1f} % "
            f"(bar {ROW_TOLERANCE * 100:g} %): {verdict}")


def check_summary_line(checks: list[Row]) -> str:
    median, worst = summary(checks)
    return (f"performance model out of sample: {len(checks)} published runs never fitted, median |error| "
            f"{median * 100:.1f} %, max |error| {worst * 100:.1f} % (guard {CHECK_TOLERANCE * 100:g} % per row)")


def calibration_ok(calibration: list[Row]) -> bool:
    median, worst = summary(calibration)
    return median <= MEDIAN_TOLERANCE and worst <= ROW_TOLERANCE
