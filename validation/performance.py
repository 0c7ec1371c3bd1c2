"""The performance model (perf_model=analytic) against its calibration table (validation/perf_calibration.yaml).

Each row asks llmplan, through the public API, for the published quantity (achieved TFLOP/s per GPU)
from the layout the source describes, and compares. The model is calibrated on exactly these rows
(a shape factor and overlap fractions, formulas/performance.yaml); the bar of issue #16 is a median
|error| of at most 10 % and no row beyond 20 %.
"""
from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

import yaml

from .common import Row, ask

SECTION = "Performance model: calibration (perf_model=analytic)"
DATA = Path(__file__).with_name("perf_calibration.yaml")
ROW_TOLERANCE = 0.20      # issue #16: max |error| ≤ 20 %
MEDIAN_TOLERANCE = 0.10   # issue #16: median |error| ≤ 10 %
UNIT_SCALE = {"TFLOPS": 1e12, "s": 1.0}


def load() -> dict[str, Any]:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def givens_of(table: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """The row's question as a user would type it: the table's common givens, the row's own on top."""
    givens = {k: str(v) for k, v in table["common"].items()}
    givens.update({k: str(v) for k, v in row["givens"].items()})
    return givens


def rows(data: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None) -> list[Row]:
    """One Row per published figure; `overrides` (e.g. matmul_shape_factor) are added to every question."""
    data = data if data is not None else load()
    out: list[Row] = []
    for table_id, table in data["tables"].items():
        target, unit = table["compare"], table["unit"]
        for row in table["rows"]:
            givens = givens_of(table, row)
            givens.update({k: str(v) for k, v in (overrides or {}).items()})
            values = ask([target, "step_time", "mfu"], givens)
            got = values[target] / UNIT_SCALE[unit]
            out.append(Row(SECTION, f"{table['title']}: {row['case']}", got, float(row["published"]), unit,
                           ROW_TOLERANCE, "issue #16: every calibration row within 20 %", table["source"],
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



def calibration_ok(calibration: list[Row]) -> bool:
    median, worst = summary(calibration)
    return median <= MEDIAN_TOLERANCE and worst <= ROW_TOLERANCE
