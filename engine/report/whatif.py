"""What-if numbers for reports: the same questions re-solved with the engine.

A reviewer wants to see how an answer moves when an assumption moves: the
utilization band when mfu was not given, training time against GPU count,
and the answer along a sweep. Every what-if row of a report goes through
one `Engine.solve_columns` call (the vectorized path), never a Python loop
of single solves, and the rules decide every number, as in the main answer.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MFU_BAND = (0.30, 0.35, 0.40, 0.45, 0.50, 0.55)     # seed §4a: utilization 0.3–0.55
_EDGES = (0.30, 0.55)
_STEPS = range(-4, 5)                                # GPU counts from n/16 to 16·n


@dataclass
class Row:
    numbers: dict[str, float]
    keys: dict[str, str]
    targets: tuple[str, ...]


def inputs_of(result: Any) -> tuple[dict[str, float], dict[str, str]]:
    """What the user gave for a Result: typed keys, and numbers as given (budgets before recomputing)."""
    numbers = {n: result.unrounded.get(n, v) for n, v in result.values.items()
               if result.status.get(n) in ("given", "config", "recomputed")}
    return numbers, dict(result.keys)


def solve_rows(engine: Any, rows: Sequence[Row]) -> Any:
    """Many small questions as one batch (rows with different patterns are grouped by the engine)."""
    from ..batch import Categorical

    numbers = {name: np.array([r.numbers.get(name, np.nan) for r in rows], dtype=float)
               for name in sorted({n for r in rows for n in r.numbers})}
    keys = {name: Categorical.from_values([r.keys.get(name) for r in rows])
            for name in sorted({n for r in rows for n in r.keys})}
    targets = list(dict.fromkeys(r.targets for r in rows))
    row_targets = np.array([targets.index(r.targets) for r in rows], dtype=np.int64)
    return engine.solve_columns(numbers, keys, targets, row_targets, len(rows))


def _value(batch: Any, name: str, row: int) -> float:
    if batch.errors[row] is not None or name not in batch.values:
        return float("nan")
    return float(batch.values[name][row])


# -- the utilization band ----------------------------------------------------------
def needs_band(result: Any) -> bool:
    """mfu was assumed (a default or a catalog figure), not given, solved or derived."""
    return result.status.get("mfu") in ("default", "catalog") and "mfu" not in result.targets


def bands(engine: Any, results: Sequence[Any]) -> list[list[tuple[float, dict[str, float]]] | None]:
    """For each result that assumed mfu: [(mfu, {target: base value})] across the seed band."""
    rows, owners = [], []
    for i, result in enumerate(results):
        if result is not None and needs_band(result):
            numbers, keys = inputs_of(result)
            for mfu in MFU_BAND:
                rows.append(Row({**numbers, "mfu": mfu}, keys, tuple(result.targets)))
                owners.append(i)
    out: list[list[tuple[float, dict[str, float]]] | None] = [None] * len(results)
    if not rows:
        return out
    batch = solve_rows(engine, rows)
    for row, (owner, spec) in enumerate(zip(owners, rows, strict=True)):
        answers = {t: _value(batch, t, row) for t in spec.targets}
        out[owner] = (out[owner] or []) + [(spec.numbers["mfu"], answers)]
    return out


# -- training time against GPU count ------------------------------------------------
@dataclass
class TimeGrid:
    gpus: list[float]
    by_mfu: dict[float, list[float]]          # mfu -> train_time in days per GPU count
    own_mfu: float | None
    point: tuple[float, float] | None         # (n_gpus, days) of the scenario itself


def _wants_time(result: Any) -> bool:
    values = result.values
    return "train_flops" in values and "peak_flops" in values and ("n_gpus" in values or "train_time" in values)


def _gpu_counts(result: Any) -> list[float]:
    centre = result.values.get("n_gpus", 64.0)
    return sorted({max(1.0, float(round(centre * 2.0 ** k))) for k in _STEPS} | {float(centre)})


def _mfus(result: Any) -> list[float]:
    own = result.values.get("mfu")
    return sorted(set(_EDGES) | ({round(own, 6)} if own is not None else set()))


def _grid_rows(result: Any, minimal: bool) -> list[Row]:
    """From the user's inputs (budgets and answers dropped), or from the FLOPs alone if that fails."""
    rules = result.rules
    if minimal:
        base = {n: result.values[n] for n in ("train_flops", "peak_flops")}
        keys: dict[str, str] = {}
    else:
        numbers, keys = inputs_of(result)
        drop = set(result.targets) | {"n_gpus", "mfu", "train_time"}
        base = {n: v for n, v in numbers.items() if n not in drop and rules.variables[n].role != "budget"}
    return [Row({**base, "n_gpus": g, "mfu": m}, keys, ("train_time",))
            for m in _mfus(result) for g in _gpu_counts(result)]


def time_grids(engine: Any, results: Sequence[Any]) -> list[TimeGrid | None]:
    """Training time for a range of GPU counts at the band's edges (and the scenario's own mfu)."""
    wanted = [i for i, r in enumerate(results) if r is not None and _wants_time(r)]
    out: list[TimeGrid | None] = [None] * len(results)
    if not wanted:
        return out
    columns = _solve_grids(engine, [results[i] for i in wanted], minimal=False)
    retry = [k for k, col in enumerate(columns) if np.isnan(col).any()]
    if retry:   # e.g. a given dp·tp·pp pins n_gpus: fall back to time = FLOPs / (n · peak · mfu)
        again = _solve_grids(engine, [results[wanted[k]] for k in retry], minimal=True)
        for k, col in zip(retry, again, strict=True):
            columns[k] = col
    for k, i in enumerate(wanted):
        out[i] = _grid(results[i], columns[k])
    return out


def _solve_grids(engine: Any, results: Sequence[Any], minimal: bool) -> list[np.ndarray]:
    specs = [_grid_rows(r, minimal) for r in results]
    batch = solve_rows(engine, [row for spec in specs for row in spec])
    day = results[0].rules.variables["train_time"].factor
    out, start = [], 0
    for spec in specs:
        out.append(np.array([_value(batch, "train_time", start + j) for j in range(len(spec))]) / day)
        start += len(spec)
    return out


def _grid(result: Any, days: np.ndarray) -> TimeGrid:
    gpus, mfus = _gpu_counts(result), _mfus(result)
    by_mfu = {m: days[j * len(gpus):(j + 1) * len(gpus)].tolist() for j, m in enumerate(mfus)}
    own = result.values.get("mfu")
    point = None
    if "n_gpus" in result.values and "train_time" in result.values:
        point = (result.values["n_gpus"], result.values["train_time"] / result.rules.variables["train_time"].factor)
    return TimeGrid(gpus, by_mfu, None if own is None else round(own, 6), point)


# -- sweeps -----------------------------------------------------------------------------
@dataclass
class Sweep:
    variable: str
    target: str
    rows: list[int]
    xs: list[Any]           # declared units (or catalog keys)
    ys: list[float]         # declared units


def sweeps(results: Sequence[Any], minimum: int = 3) -> list[Sweep]:
    """Groups of answered rows that ask the same question and differ in exactly one input."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, result in enumerate(results):
        if result is None or not result.targets or result.targets[0] not in result.values:
            continue
        numbers, keys = inputs_of(result)
        given = {**{n: round(v, 12) for n, v in numbers.items()}, **keys}
        for name in given:
            rest = frozenset((n, v) for n, v in given.items() if n != name)
            groups.setdefault((name, result.targets, rest), []).append(i)
    out = []
    for (name, targets, _), rows in groups.items():
        if len(rows) < minimum:
            continue
        out.append(_sweep(results, name, targets[0], rows))
    return [s for s in out if len(set(map(str, s.xs))) >= minimum]


def _sweep(results: Sequence[Any], name: str, target: str, rows: list[int]) -> Sweep:
    rules = results[rows[0]].rules
    variable, answer = rules.variables[name], rules.variables[target]
    points = []
    for i in rows:
        result = results[i]
        x = result.keys[name] if variable.categorical else inputs_of(result)[0][name] / variable.factor
        points.append((x, result.values[target] / answer.factor, i))
    if not variable.categorical:
        points.sort(key=lambda p: p[0])
    return Sweep(name, target, [p[2] for p in points], [p[0] for p in points], [p[1] for p in points])
