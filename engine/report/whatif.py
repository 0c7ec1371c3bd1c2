"""What-if numbers for reports: the same questions re-solved with the engine.

A reviewer wants to see how an answer moves when an assumption moves: the
utilization band when utilization was not given, training time against GPU count,
and the answer along a sweep. The variables are found by their `tags:` in the rules
(utilization, gpu_count, duration, compute, peak_compute) and the band is the utilization
variable's `typical:` range: no variable name or figure is written here. Every what-if row of a report goes through
one `Engine.solve_columns` call (the vectorized path), never a Python loop
of single solves, and the rules decide every number, as in the main answer.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..solve.batch import Batch, Categorical

if TYPE_CHECKING:
    from ..rules.model import RuleSet
    from ..solve.solver import Engine, Result

BAND_POINTS = 6                                      # values across the typical band, edges included
_STEPS = range(-4, 5)                                # GPU counts from n/16 to 16·n


@dataclass(frozen=True)
class Names:
    """The variables the what-if numbers work with, by the tags the rules give them."""

    utilization: str
    gpu_count: str
    duration: str
    compute: str
    peak_compute: str
    band: tuple[float, ...]        # utilization values across its typical band (base units)

    @classmethod
    def of(cls, rules: RuleSet) -> "Names | None":
        tags = ("utilization", "gpu_count", "duration", "compute", "peak_compute")
        found = {tag: rules.tagged(tag) for tag in tags}
        names = {tag: name for tag, name in found.items() if name is not None}
        if len(names) < len(tags):
            return None
        typical = rules.variables[names["utilization"]].typical
        band = () if typical is None else \
            tuple(round(float(v), 12) for v in np.linspace(typical[0], typical[1], BAND_POINTS))
        return cls(names["utilization"], names["gpu_count"], names["duration"], names["compute"],
                   names["peak_compute"], band)

    @property
    def edges(self) -> tuple[float, ...]:
        return (self.band[0], self.band[-1]) if self.band else ()


@dataclass
class Row:
    numbers: dict[str, float]
    keys: dict[str, str]
    targets: tuple[str, ...]


def inputs_of(result: Result) -> tuple[dict[str, float], dict[str, str]]:
    """What the user gave for a Result: typed keys, and numbers as given (budgets before recomputing)."""
    numbers = {n: result.unrounded.get(n, v) for n, v in result.values.items()
               if result.status.get(n) in ("given", "config", "recomputed")}
    return numbers, dict(result.keys)


def solve_rows(engine: Engine, rows: Sequence[Row]) -> Batch:
    """Many small questions as one batch (rows with different patterns are grouped by the engine)."""
    numbers = {name: np.array([r.numbers.get(name, np.nan) for r in rows], dtype=float)
               for name in sorted({n for r in rows for n in r.numbers})}
    keys = {name: Categorical.from_values([r.keys.get(name) for r in rows])
            for name in sorted({n for r in rows for n in r.keys})}
    targets = list(dict.fromkeys(r.targets for r in rows))
    row_targets = np.array([targets.index(r.targets) for r in rows], dtype=np.int64)
    return engine.solve_columns(numbers, keys, targets, row_targets, len(rows))


def _value(batch: Batch, name: str, row: int) -> float:
    if batch.errors[row] is not None or name not in batch.values:
        return float("nan")
    return float(batch.values[name][row])


# -- the utilization band ----------------------------------------------------------
def needs_band(result: Result) -> bool:
    """Utilization was assumed (a default or a catalog figure), not given, solved or derived."""
    names = Names.of(result.rules)
    return names is not None and bool(names.band) and \
        result.status.get(names.utilization) in ("default", "catalog") and names.utilization not in result.targets


def bands(engine: Engine, results: Sequence[Result | None]) -> list[list[tuple[float, dict[str, float]]] | None]:
    """For each result that assumed utilization: [(utilization, {target: base value})] across its band."""
    rows, owners, levels = [], [], []
    for i, result in enumerate(results):
        if result is not None and needs_band(result):
            names = Names.of(result.rules)
            assert names is not None
            numbers, keys = inputs_of(result)
            for level in names.band:
                rows.append(Row({**numbers, names.utilization: level}, keys, tuple(result.targets)))
                owners.append(i)
                levels.append(level)
    out: list[list[tuple[float, dict[str, float]]] | None] = [None] * len(results)
    if not rows:
        return out
    batch = solve_rows(engine, rows)
    for row, (owner, spec, level) in enumerate(zip(owners, rows, levels, strict=True)):
        answers = {t: _value(batch, t, row) for t in spec.targets}
        out[owner] = (out[owner] or []) + [(level, answers)]
    return out


# -- training time against GPU count ------------------------------------------------
@dataclass
class TimeGrid:
    gpus: list[float]
    by_mfu: dict[float, list[float]]          # mfu -> train_time in days per GPU count
    own_mfu: float | None
    point: tuple[float, float] | None         # (n_gpus, days) of the scenario itself


def _wants_time(result: Result) -> bool:
    names, values = Names.of(result.rules), result.values
    return names is not None and bool(names.band) and names.compute in values and names.peak_compute in values \
        and (names.gpu_count in values or names.duration in values)


def _gpu_counts(result: Result, names: Names) -> list[float]:
    centre = result.values.get(names.gpu_count, 64.0)
    return sorted({max(1.0, float(round(centre * 2.0 ** k))) for k in _STEPS} | {float(centre)})


def _levels(result: Result, names: Names) -> list[float]:
    own = result.values.get(names.utilization)
    return sorted(set(names.edges) | ({round(own, 6)} if own is not None else set()))


def _grid_rows(result: Result, names: Names, minimal: bool) -> list[Row]:
    """From the user's inputs (budgets and answers dropped), or from the FLOPs alone if that fails."""
    rules = result.rules
    if minimal:
        base = {n: result.values[n] for n in (names.compute, names.peak_compute)}
        keys: dict[str, str] = {}
    else:
        numbers, keys = inputs_of(result)
        drop = set(result.targets) | {names.gpu_count, names.utilization, names.duration}
        base = {n: v for n, v in numbers.items() if n not in drop and rules.variables[n].role != "budget"}
    return [Row({**base, names.gpu_count: g, names.utilization: m}, keys, (names.duration,))
            for m in _levels(result, names) for g in _gpu_counts(result, names)]


def time_grids(engine: Engine, results: Sequence[Result | None]) -> list[TimeGrid | None]:
    """Training time for a range of GPU counts at the band's edges (and the scenario's own mfu)."""
    wanted = {i: r for i, r in enumerate(results) if r is not None and _wants_time(r)}
    out: list[TimeGrid | None] = [None] * len(results)
    if not wanted:
        return out
    chosen = list(wanted.values())
    columns = _solve_grids(engine, chosen, minimal=False)
    retry = [k for k, col in enumerate(columns) if np.isnan(col).any()]
    if retry:   # e.g. a given dp·tp·pp pins n_gpus: fall back to time = FLOPs / (n · peak · mfu)
        again = _solve_grids(engine, [chosen[k] for k in retry], minimal=True)
        for k, col in zip(retry, again, strict=True):
            columns[k] = col
    for k, (i, result) in enumerate(wanted.items()):
        out[i] = _grid(result, columns[k])
    return out


def _solve_grids(engine: Engine, results: Sequence[Result], minimal: bool) -> list[np.ndarray]:
    names = [_names(r) for r in results]
    specs = [_grid_rows(r, n, minimal) for r, n in zip(results, names, strict=True)]
    batch = solve_rows(engine, [row for spec in specs for row in spec])
    out, start = [], 0
    for spec, n in zip(specs, names, strict=True):
        shown = results[0].rules.variables[n.duration].factor      # the duration's declared unit (days)
        out.append(np.array([_value(batch, n.duration, start + j) for j in range(len(spec))]) / shown)
        start += len(spec)
    return out


def _names(result: Result) -> Names:
    names = Names.of(result.rules)
    assert names is not None, "only results that _wants_time accepted come here"
    return names


def _grid(result: Result, days: np.ndarray) -> TimeGrid:
    names = _names(result)
    gpus, levels = _gpu_counts(result, names), _levels(result, names)
    by_mfu = {m: days[j * len(gpus):(j + 1) * len(gpus)].tolist() for j, m in enumerate(levels)}
    own = result.values.get(names.utilization)
    point = None
    if names.gpu_count in result.values and names.duration in result.values:
        point = (result.values[names.gpu_count],
                 result.values[names.duration] / result.rules.variables[names.duration].factor)
    return TimeGrid(gpus, by_mfu, None if own is None else round(own, 6), point)


# -- sweeps -----------------------------------------------------------------------------
@dataclass
class Sweep:
    variable: str
    target: str
    rows: list[int]
    xs: list[Any]           # declared units (or catalog keys)
    ys: list[float]         # declared units


def sweeps(results: Sequence[Result | None], minimum: int = 3) -> list[Sweep]:
    """Groups of answered rows that ask the same question and differ in exactly one input."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    answered: dict[int, Result] = {}
    for i, result in enumerate(results):
        if result is None or not result.targets or result.targets[0] not in result.values:
            continue
        answered[i] = result
        numbers, keys = inputs_of(result)
        given = {**{n: round(v, 12) for n, v in numbers.items()}, **keys}
        for name in given:
            rest = frozenset((n, v) for n, v in given.items() if n != name)
            groups.setdefault((name, result.targets, rest), []).append(i)
    out = []
    for (name, targets, _), rows in groups.items():
        if len(rows) < minimum:
            continue
        out.append(_sweep(answered, name, targets[0], rows))
    return [s for s in out if len(set(map(str, s.xs))) >= minimum]


def _sweep(results: Mapping[int, Result], name: str, target: str, rows: list[int]) -> Sweep:
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
