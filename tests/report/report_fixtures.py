"""Scenarios for the report tests: a small planning sheet solved through the vectorized path.

Until examples/scenarios.xlsx exists, the scenarios are built here as columns and
solved with Engine.solve_columns, exactly as `llmplan run` does with a sheet.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "scenarios.xlsx"

# A utilization "catalog" with a default, as a user's rule extension: mfu becomes an assumption
# (status "default") when a question needs it and the row does not give it, so the report's
# utilization-band section has something to show with the bundled rules alone.
UTILIZATION_RULES = """\
variables:
  utilization_profile:
    domain: categorical
    default: seed-mid
    default_source: seed §4a (utilization 0.3–0.55; middle of the band)
    en: Assumed utilization profile
    zh: 假设的利用率档位
tables:
  - variable: utilization_profile
    fields: {mfu: ""}
    entries:
      seed-mid: {mfu: 0.4, source: seed §4a (GPU 利用率一般在 0.3–0.55 之间)}
"""

SWEEP = [64, 128, 256, 512]
# Not in the batch below: a row that asks for mfu stops the batch solver from filling mfu from the
# utilization table for every other row (engine/solve/batch.py _fill_fields skips fields any row asks for).
INVERSE_MFU = (("mfu",), {"params": "7B", "tokens": "1T", "gpu": "A100", "gpu_hours": "120000"})
# (name, targets, givens): forward and inverse, compute / memory / time / cost / storage, a sweep, a bad row
SCENARIOS: list[tuple[str, tuple[str, ...], dict[str, str]]] = [
    ("7B on A800 in 30 days", ("n_gpus",),
     {"params": "7B", "tokens": "2T", "gpu": "A800", "train_time": "30d", "mfu": "0.4", "recompute": "full",
      "price_per_gpu_hour": "2"}),
    ("7B training memory (fp32 + Adam)", ("train_memory",), {"params": "7B", "gpu": "A800"}),
    ("13B on H100, utilization assumed", ("n_gpus",),
     {"params": "13B", "tokens": "1T", "gpu": "H100-SXM", "train_time": "20d"}),
    ("Cost of a 70B run", ("train_time", "train_cost"),
     {"params": "70B", "tokens": "2T", "gpu": "H100-SXM", "n_gpus": "2048", "mfu": "0.45",
      "price_per_gpu_hour": "2.5"}),
    *[(f"Sweep: 7B with {n} GPUs", ("train_time",),
       {"params": "7B", "tokens": "1T", "gpu": "A800", "n_gpus": str(n), "mfu": "0.4"}) for n in SWEEP],
    ("Bad row: unknown GPU", ("n_gpus",),
     {"params": "7B", "tokens": "1T", "gpu": "NoSuchGPU-9000", "train_time": "30d", "mfu": "0.4"}),
]
BAD_ROWS = [len(SCENARIOS) - 1]


def load_engine(tmp_dir: Path) -> Any:
    from engine.solve.solver import Engine

    path = tmp_dir / "utilization.yaml"
    path.write_text(UTILIZATION_RULES, encoding="utf-8")
    return Engine.load([path])


def solve_scenarios(engine: Any, scenarios: list[tuple[str, tuple[str, ...], dict[str, str]]] = SCENARIOS) -> Any:
    """The scenarios as one batch: an object with .batch and .names, like `llmplan run`'s outcome."""
    from engine.solve.batch import Categorical

    parsed = []
    for _, targets, givens in scenarios:
        numeric = {n: v for n, v in givens.items() if not engine.variable(n).categorical}
        numbers, _ = engine.parse_givens(numeric)
        keys = {n: v for n, v in givens.items() if engine.variable(n).categorical}   # unknown keys: row errors
        parsed.append((numbers, keys, targets))
    number_names = sorted({n for p in parsed for n in p[0]})
    key_names = sorted({n for p in parsed for n in p[1]})
    numbers = {n: np.array([p[0].get(n, np.nan) for p in parsed]) for n in number_names}
    keys = {n: Categorical.from_values([p[1].get(n) for p in parsed]) for n in key_names}
    targets = list(dict.fromkeys(p[2] for p in parsed))
    row_targets = np.array([targets.index(p[2]) for p in parsed], dtype=np.int64)
    batch = engine.solve_columns(numbers, keys, targets, row_targets, len(parsed))
    return SimpleNamespace(batch=batch, names=[s[0] for s in scenarios])
