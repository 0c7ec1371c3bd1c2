"""Scenario tables <-> the batch solver: a polars DataFrame in, a results DataFrame out.

    frame: one column per header cell (`params`, `train_time [days]`, `gpu`, `solve`, `notes` ...)
      -> Prepared  numbers (float64, base units, NaN = empty), keys (batch.Categorical),
                   targets per row (from `solve`), per-row errors naming sheet!cell
      -> Engine.solve_columns -> Batch
      -> Outcome   the results table: every input column untouched, empty variable cells filled
                   with solved/derived values, new columns `name [unit]`, then `assumptions`,
                   `warnings`, `error`; plus what writers and reports need (statuses, rules used)

No per-row Python on the way: numeric columns convert as whole arrays, text cells are parsed
once per distinct text, keys are dictionary-encoded by polars, messages are built per check
(or per group) over the rows it concerns. Column naming and parsing: engine/columns.py.
Python API: `run_frame(df)` -> Outcome, `solve_frame(df)` -> results DataFrame.
"""
from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import polars as pl

from ..solve.batch import CATALOG, DERIVED, RECOMPUTED, Batch, Every
from .cells import as_text
from .columns import Column, Locator, Prepared, prepare
from ..rules.model import Check, Equation, Variable
from ..solve.mismatch import RuleMismatch
from ..errors import EngineError
import re
from ..solve.solver import Engine

if TYPE_CHECKING:
    from ..solve.solver import Engine

OUTPUT_COLUMNS = ("assumptions", "warnings", "error")
SEPARATOR = " | "


@dataclass
class Outcome:
    """A solved scenario table.

    batch    the engine's Batch (row i of the batch is row i of `frame`)
    frame    the scenarios as read (input columns, untouched)
    results  the output table (see the module docstring)
    fills    results column -> int8 status per row (batch status codes: 2 catalog, 3 default,
             4 solved, 5 derived, 6 recomputed; 0 = a value as read / nothing added)
    units    results column -> (variable, unit text, factor from that unit to base units)
    blank    rows that ask nothing (no values, no `solve`): no answer and no error
    source   the file (or "frame"); label: the sheet/file name used in cell references
    notes    file-level warnings (unknown columns, formulas ...)
    numeric_cells  text columns: mask of cells that were numbers in the file (for writers)
    names / targets (properties): one row name (`name` column, else "row N") / target tuple per row
    """

    batch: Batch
    frame: pl.DataFrame
    results: pl.DataFrame
    fills: dict[str, np.ndarray]
    units: dict[str, tuple[str, str, float]]
    blank: np.ndarray
    prepared: Prepared
    source: str = "frame"
    label: str = "frame"
    notes: list[str] = field(default_factory=list)
    numeric_cells: dict[str, pl.Series] = field(default_factory=dict)
    rules_used: list[tuple[Equation, int]] = field(default_factory=list)
    checks_fired: list[tuple[Check, int]] = field(default_factory=list)
    assumptions: list[tuple[str, str, str, int]] = field(default_factory=list)   # name, value, source, rows
    lang: str = "en"

    @property
    def rows(self) -> int:
        return self.batch.rows

    @cached_property
    def error_mask(self) -> np.ndarray:
        return self.batch.failed & ~self.blank

    @property
    def error_count(self) -> int:
        return int(self.error_mask.sum())

    @property
    def answered_count(self) -> int:
        return int((~self.error_mask & ~self.blank).sum())

    @cached_property
    def names(self) -> list[str]:
        column = self.prepared.name_column
        fallback = [f"row {self.prepared.locator.row_number(i)}" for i in range(self.rows)]
        if column is None:
            return fallback
        given = as_text(self.frame.get_column(column)).to_list()
        return [g if g not in (None, "") else f for g, f in zip(given, fallback)]

    @cached_property
    def targets(self) -> list[tuple[str, ...]]:
        table = self.batch.targets
        return [table[i] for i in self.batch.row_targets.tolist()]


# -- the API ----------------------------------------------------------------------------
def run_frame(frame: pl.DataFrame, engine: "Engine | None" = None, lang: str = "en", *,
              locator: Locator | None = None, source: str = "frame", headers: list[str] | None = None,
              problems: dict[tuple[int, int], str] | None = None,
              numeric_cells: dict[str, pl.Series] | None = None, notes: list[str] | None = None,
              progress: Callable[[str], None] | None = None) -> Outcome:
    """Solve every row of a scenario DataFrame; see Outcome. Never raises for a bad row."""
    if engine is None:
        engine = Engine.load()
    locator = locator or Locator(source)
    if progress:
        progress("reading values")
    prep = prepare(engine, frame, locator, problems or {}, headers)
    if progress:
        progress("solving")
    batch = _solve_isolated(engine, prep)
    if progress:
        progress("collecting results")
    return collect(engine, frame, prep, batch, lang, source=source, notes=[*(notes or []), *prep.notes],
                   numeric_cells=numeric_cells or {})


ROW_BUG = ("internal error while solving this row ({error}); this is a bug in llmplan, please report it "
           "with the row's values. The other rows are answered")


def _solve_isolated(engine: "Engine", prep: Any) -> Batch:
    """Solve the table; if the batch solver raises something other than an EngineError (a bug), find
    the rows that raise it by halving and mark only those as errors, so one bad row never costs the
    others their answers (issue #18). The halving only runs on that failure path."""
    def solve(skip: np.ndarray, errors: Any) -> Batch:
        return engine.solve_columns(prep.numbers, prep.keys, prep.targets, prep.row_targets, prep.rows,
                                    errors, failed=skip)

    base = np.asarray(prep.failed, dtype=bool)
    try:
        return solve(prep.failed, prep.errors)
    except EngineError:
        raise
    except Exception as first:   # noqa: BLE001 - a bug in the solver: isolate its rows
        culprits: dict[int, str] = {}

        def search(rows: np.ndarray) -> None:
            skip = np.ones(prep.rows, dtype=bool)
            skip[rows] = False
            skip |= base
            placeholders = np.where(skip, "skipped", None).astype(object)   # `failed` goes with its errors
            try:
                solve(skip, placeholders)
            except EngineError:
                raise
            except Exception as exc:   # noqa: BLE001
                if len(rows) == 1:
                    culprits[int(rows[0])] = f"{type(exc).__name__}: {exc}"
                    return
                half = len(rows) // 2
                search(rows[:half])
                search(rows[half:])

        candidates = np.flatnonzero(~base)
        if len(candidates):
            search(candidates)
        if not culprits:
            raise first
        errors = np.full(prep.rows, None, dtype=object) if prep.errors is None else prep.errors.copy()
        failed = base.copy()
        for row, text in culprits.items():
            errors[row] = ROW_BUG.format(error=text)
            failed[row] = True
        prep.errors, prep.failed = errors, failed
        return solve(failed, errors)


def solve_frame(frame: pl.DataFrame, engine: "Engine | None" = None, lang: str = "en") -> pl.DataFrame:
    """Scenarios in, results out (input columns untouched + solved/derived columns + warnings/error)."""
    outcome = run_frame(frame, engine, lang)
    for note in outcome.notes:
        _warnings.warn(note, UserWarning, stacklevel=2)
    return outcome.results


# -- results ------------------------------------------------------------------------------
def collect(engine: "Engine", frame: pl.DataFrame, prep: Prepared, batch: Batch, lang: str = "en", *,
            source: str = "frame", notes: list[str] | None = None,
            numeric_cells: dict[str, pl.Series] | None = None) -> Outcome:
    rules = engine.rules
    rows = batch.rows
    ok = _both(rows, _not(batch.failed), _not(prep.blank))
    visible = _visible(batch)
    inputs = {c.variable: c for c in prep.columns if c.role == "number"}
    columns: dict[str, pl.Series] = {}
    fills: dict[str, np.ndarray] = {}
    units: dict[str, tuple[str, str, float]] = {}
    for column in prep.columns:
        if column.role == "output":
            continue   # `warnings`/`error` of an earlier run: replaced below
        columns[column.field] = frame.get_column(column.field)
    added: dict[str, pl.Series] = {}
    for name in _order(batch, rules):
        status = batch.status.get(name)
        if status is None:
            continue
        column = inputs.get(name)
        if column is None and name not in visible:
            continue   # not shown (and a catalog figure nothing read is never gathered: keys.Columns)
        base = batch.values[name]
        variable = rules.variables[name]
        known = _both(rows, ok, _not_nan(base))
        if not _any(known):
            continue
        if column is not None:
            fill = _both(rows, known, prep.empty[name], _cmp(np.greater_equal, status, CATALOG),
                         _cmp(np.not_equal, status, RECOMPUTED))
            if _any(fill):
                columns[column.field] = _filled(columns[column.field], fill, base / column.factor)
                fills[column.field] = _fills(fill, status)
            units[column.field] = (name, column.unit_text(variable), column.factor)
            again = _both(rows, known, _cmp(np.equal, status, RECOMPUTED))
            if _any(again):
                header = _header(f"{name} recomputed", column.unit_text(variable))
                added[header] = _values(header, base, again, column.factor)
                fills[header] = _fills(again, status)
                units[header] = (name, column.unit_text(variable), column.factor)
            continue
        show = _both(rows, known, visible.get(name, False), _cmp(np.greater_equal, status, CATALOG))
        if not _any(show):
            continue
        header = _header(name, variable.unit)
        added[header] = _values(header, base, show, variable.factor)
        fills[header] = _fills(show, status)
        units[header] = (name, variable.unit, variable.factor)
    for name, raw in batch.unrounded.items():
        variable = rules.variables[name]
        if variable.domain != "integer":
            continue   # budgets as given: already in the input column
        again = _both(rows, ok, _not_nan(raw))
        if _any(again):
            unit = inputs[name].unit_text(variable) if name in inputs else variable.unit
            factor = inputs[name].factor if name in inputs else variable.factor
            header = _header(f"{name} unrounded", unit)
            added[header] = _values(header, raw, again, factor)
            fills[header] = _fills(again, np.broadcast_to(np.int8(DERIVED), (rows,)))
            units[header] = (name, unit, factor)
    for header, series in added.items():
        if header in columns:   # a pass-through column of the same name: keep the input's
            header = f"{header} (llmplan)"
        columns[header] = series.alias(header)
    assumptions, used, fired = _assumptions(engine, batch, ok)
    columns["assumptions"] = _scatter(rows, assumptions)
    if prep.origins is not None:   # a `config` column: what each row's training config filled (issue #17)
        columns["config origins"] = pl.Series("config origins", prep.origins, dtype=pl.String)
    columns["warnings"] = _warning_column(engine, batch, ok, lang)
    erred = np.flatnonzero(batch.failed & ~prep.blank)
    columns["error"] = _scatter(rows, [(erred, batch.errors[erred].tolist())] if len(erred) else [])
    results = pl.DataFrame([s.alias(h) for h, s in columns.items()])
    outcome = Outcome(batch, frame, results, fills, units, prep.blank, prep, source=source,
                      label=prep.locator.label, notes=list(notes or []), numeric_cells=numeric_cells or {},
                      rules_used=used, checks_fired=fired, lang=lang)
    outcome.assumptions = _assumption_rows(engine, batch, ok)
    return outcome


# -- row masks: a broadcast view (one value for every row) costs no pass ---------------------
def _const(mask: "np.ndarray | bool") -> "bool | None":
    """The value of a mask that has one value in every row (a bool, a broadcast view), else None."""
    array = np.asarray(mask)
    if array.ndim == 0:
        return bool(array)
    if array.ndim == 1 and len(array) and array.strides[0] == 0:
        return bool(array[0])
    return None


def _both(rows: int, *masks: "np.ndarray | bool") -> np.ndarray:
    """Row-wise AND (read only: may be one of the masks, or a broadcast view)."""
    rest = []
    for mask in masks:
        value = _const(mask)
        if value is False:
            return np.broadcast_to(False, (rows,))
        if value is None:
            rest.append(mask)
    if not rest:
        return np.broadcast_to(True, (rows,))
    out = rest[0]
    for mask in rest[1:]:
        out = np.logical_and(out, mask)
    return out


def _not(mask: np.ndarray) -> np.ndarray:
    value = _const(mask)
    return ~mask if value is None else np.broadcast_to(not value, (len(mask),))


def _any(mask: np.ndarray) -> bool:
    value = _const(mask)
    return bool(mask.any()) if value is None else value and len(mask) > 0


def _not_nan(column: np.ndarray) -> np.ndarray:
    """Rows with a value: one reduction when none is NaN (the usual case)."""
    value = _const(column)
    if value is not None or not len(column):
        return np.broadcast_to(not len(column) or not np.isnan(column[0]), (len(column),))
    return np.broadcast_to(True, (len(column),)) if not np.isnan(column.min()) else ~np.isnan(column)


def _cmp(op, status: np.ndarray, code: int) -> np.ndarray:
    if _const(status) is not None or (status.ndim == 1 and len(status) and status.strides[0] == 0):
        return np.broadcast_to(bool(op(status[0], code)), (len(status),))
    return op(status, code)


def _fills(mask: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Per row the status code where mask, else 0 (int8; read only)."""
    if _const(mask) is True:
        return status
    return np.where(mask, status, 0).astype(np.int8)


def _ok_rows(group: Any, ok: np.ndarray) -> "np.ndarray | Every":
    """The group's rows that have an answer (no error, not blank)."""
    if isinstance(group.index, Every) and _const(ok) is True:
        return group.index
    return group.rows[ok[group.rows]]


def _any_code(status: np.ndarray, index: "np.ndarray | Every", code: int) -> bool:
    if not len(index):
        return False
    if status.ndim == 1 and len(status) and status.strides[0] == 0:
        return bool(status[0] == code)
    if isinstance(index, Every):
        return bool((status == code).any())
    return bool((status[index] == code).any())


def _order(batch: Batch, rules: Any) -> list[str]:
    """Targets first (in the order they are asked), then the rule files' declaration order."""
    asked = [t for ts in batch.targets for t in ts]
    order = {name: i for i, name in enumerate(rules.variables)}
    rest = sorted((n for n in batch.values if n not in asked), key=lambda n: order.get(n, len(order)))
    return [n for n in dict.fromkeys(asked) if n in batch.values] + rest


def _visible(batch: Batch) -> dict[str, np.ndarray]:
    """Per variable, the rows where an added column shows it: what the targets need, and values
    derived on the side from the row's own inputs (not those that follow from constants alone)."""
    out: dict[str, np.ndarray] = {}
    for group in batch.groups:
        names: set[str] = set()
        for plan in (group.plan, group.replan):
            if plan is None:
                continue
            names |= set(plan.needed)
            inputs = set(plan.knowns) - set(plan.defaults)
            grounded = set(inputs)
            for step in plan.steps:
                sources = {v for eq in step.equations for v in eq.variables} - set(step.unknowns)
                if sources & grounded:
                    grounded |= set(step.unknowns)
            names |= grounded - inputs
        everywhere = len(group.index) == batch.rows
        for name in names:
            if everywhere:
                out[name] = np.broadcast_to(True, (batch.rows,))
                continue
            mask = out.get(name)
            if mask is None:
                mask = out[name] = np.zeros(batch.rows, dtype=bool)
            mask[group.rows] = True
    return out


def _header(name: str, unit: str) -> str:
    return f"{name} [{unit}]" if unit else name


def _values(header: str, base: np.ndarray, mask: np.ndarray, factor: float) -> pl.Series:
    with np.errstate(invalid="ignore"):
        shown = base / factor if factor != 1.0 else base
        if not (_const(mask) is True or mask.all()):
            shown = np.where(mask, shown, np.nan)
        elif not np.isnan(shown.min()):
            return pl.Series(header, shown)
    return pl.Series(header, shown).fill_nan(None)


def _filled(series: pl.Series, mask: np.ndarray, values: np.ndarray) -> pl.Series:
    """An input column with its empty cells filled (values already in the column's unit)."""
    fill = pl.Series(np.where(mask, values, np.nan)).fill_nan(None)
    dtype = series.dtype
    if dtype == pl.Null or dtype.is_numeric():
        base = series.cast(pl.Float64)
    else:
        base = as_text(series)
        fill = fill.cast(pl.String)
    return pl.select(pl.when(pl.lit(pl.Series(mask))).then(fill).otherwise(base)).to_series().alias(series.name)


def _scatter(rows: int, parts: list[tuple[np.ndarray, "pl.Series | list[str] | str"]]) -> pl.Series:
    """A text column: each part puts one text, or a column of texts, at some row indices."""
    out = pl.repeat(None, rows, dtype=pl.String, eager=True)
    for index, texts in parts:
        if not len(index):
            continue
        if isinstance(texts, str):
            values = pl.repeat(texts, len(index), dtype=pl.String, eager=True)
        else:
            values = texts if isinstance(texts, pl.Series) else pl.Series(texts, dtype=pl.String)
        if len(index) == rows:     # every row, in order (index is sorted and unique)
            out = values.cast(pl.String)
        else:
            out = out.scatter(index, values)
    return out


# -- warnings, assumptions, rules used -------------------------------------------------
def _warning_column(engine: "Engine", batch: Batch, ok: np.ndarray, lang: str) -> pl.Series:
    rows = batch.rows
    pieces: list[pl.Series] = []
    checks = {c.id: c for c in engine.rules.checks}
    for group in batch.groups:
        if not group.rounded:
            continue
        index = _ok_rows(group, ok)
        if not len(index):
            continue
        for name in group.rounded:
            variable = engine.rules.variables[name]
            recomputed = ", ".join(n for n, s in batch.status.items() if _any_code(s, index, RECOMPUTED))
            if lang == "zh":
                how = {"up": "向上", "down": "向下"}.get(variable.rounding, "四舍五入")
                text = f"已取整：{name} {how}取整（原值见 `{name} unrounded` 列）" + \
                    (f"；{recomputed} 按取整后的数量重新计算" if recomputed else "")
            else:
                text = f"rounded: {name} rounded {variable.rounding} (the exact value is in `{name} unrounded`)" + \
                    (f"; {recomputed} recomputed for the rounded count" if recomputed else "")
            pieces.append(_scatter(rows, [(index, text)]))
    for check_id, mask in batch.warnings:
        check = checks[check_id]
        index = np.flatnonzero(mask & ok)
        if not len(index):
            continue
        text = _concat([f"{check.id}: ", *_template(engine, check.message(lang), batch, index)])
        pieces.append(_scatter(rows, [(index, text)]))
    for mismatch in batch.mismatches:
        index = np.flatnonzero(~np.isnan(mismatch.gaps) & ok)
        if len(index):
            pieces.append(_scatter(rows, [(index, _mismatch_texts(mismatch, mismatch.gaps[index], lang))]))
    if not pieces:
        return _scatter(rows, [])
    frame = pl.DataFrame({f"w{i}": p for i, p in enumerate(pieces)})
    joined = frame.select(pl.concat_str(pl.all(), separator=SEPARATOR, ignore_nulls=True)).to_series()
    return pl.select(pl.when(joined == "").then(None).otherwise(joined)).to_series().alias("warnings")


def _mismatch_texts(mismatch: RuleMismatch, gaps: np.ndarray, lang: str) -> pl.Series:
    """The solver's message for an approximate rule the given values miss, one per row."""
    head, tail = mismatch.around_gap(lang)
    shown = pl.Series((gaps * 100).round(1)).cast(pl.String) + "%"
    return _concat([f"{mismatch.code}: ", head, shown, tail])


def _template(engine: "Engine", message: str, batch: Batch, index: np.ndarray) -> list[Any]:
    """A check message with {name} placeholders -> literal pieces and formatted value columns."""
    parts: list[Any] = []
    last = 0
    for match in re.finditer(r"\{([a-z_][a-z0-9_]*)\}", message):
        parts.append(message[last:match.start()])
        name = match.group(1)
        if name in batch.values and name in engine.rules.variables:
            parts.append(format_values(engine.rules.variables[name], batch.values[name][index]))
        else:
            parts.append(match.group(0))
        last = match.end()
    parts.append(message[last:])
    return parts


def _concat(parts: list[Any]) -> pl.Series:
    """Literal texts and equally long text columns, joined row by row."""
    return pl.select(pl.concat_str([pl.lit(p) for p in parts])).to_series()


def format_values(variable: Variable, base: np.ndarray, digits: int = 4) -> pl.Series:
    """Readable texts for many values at once (close to engine.text.formatting.format_quantity)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pl.DataFrame({"v": np.asarray(base, dtype=float) / variable.factor})
    v = pl.col("v")
    expr = v.round_sig_figs(digits).cast(pl.String).str.strip_suffix(".0")
    if variable.unit in ("", "token", "char"):
        for step, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            scaled = (v / step).round_sig_figs(3).cast(pl.String).str.strip_suffix(".0") + suffix
            expr = pl.when(v.abs() >= max(step, 1e4)).then(scaled).otherwise(expr)
    if variable.domain == "integer":
        expr = pl.when(v == v.round(0)).then(v.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(expr)
    expr = pl.when(v.is_nan()).then(pl.lit("?")).otherwise(expr)
    if variable.unit:
        expr = expr + f" {variable.unit}"
    return frame.select(expr).to_series()


def _assumptions(engine: "Engine", batch: Batch, ok: np.ndarray
                 ) -> tuple[list[tuple[np.ndarray, str]], list[tuple[Equation, int]], list[tuple[Check, int]]]:
    """Per group: the assumptions text; overall: equations used and checks fired, with row counts."""
    per_group: list[tuple[np.ndarray, str]] = []
    used: dict[str, tuple[Equation, int]] = {}
    for group in batch.groups:
        if group.plan is None:
            continue
        index = _ok_rows(group, ok)
        if not len(index):
            continue
        texts = [f"{name}={value}" for name, value, _ in _group_assumptions(engine, batch, group, int(index[0]))]
        if texts:
            per_group.append((index, "; ".join(texts)))
        equations = {}
        for plan in (group.plan, group.replan):
            if plan is not None:
                equations.update({e.id: e for step in plan.steps for e in step.equations})
                equations.update({e.id: e for e in plan.checks})
        for eq_id, eq in equations.items():
            used[eq_id] = (eq, used.get(eq_id, (eq, 0))[1] + len(index))
    order = {e.id: i for i, e in enumerate(engine.rules.equations)}
    rules_used = sorted(used.values(), key=lambda item: order.get(item[0].id, len(order)))
    checks = {c.id: c for c in engine.rules.checks}
    fired = [(checks[cid], int((mask & ok).sum())) for cid, mask in batch.warnings if (mask & ok).any()]
    return per_group, rules_used, fired


def _group_assumptions(engine: "Engine", batch: Batch, group: Any, row: int) -> list[tuple[str, str, str]]:
    """Defaults the group's plan used (numeric defaults and default catalog/convention keys)."""
    default_keys = {n: c.labels[c.codes[row]] for n, c in batch.keys.items()
                    if c.codes[row] >= 0 and n in batch.typed and not batch.typed[n][row]}
    finder = getattr(engine, "_assumptions", None)
    if finder is not None:
        return list(finder(group.plan, default_keys, batch, row))
    return list(engine.result_for_row(batch, row).assumptions)


def _assumption_rows(engine: "Engine", batch: Batch, ok: np.ndarray) -> list[tuple[str, str, str, int]]:
    counts: dict[tuple[str, str, str], int] = {}
    for group in batch.groups:
        if group.plan is None:
            continue
        index = _ok_rows(group, ok)
        if len(index):
            for item in _group_assumptions(engine, batch, group, int(index[0])):
                counts[item] = counts.get(item, 0) + len(index)
    return [(n, v, s, c) for (n, v, s), c in counts.items()]


__all__ = ["Column", "Locator", "Outcome", "Prepared", "collect", "format_values", "run_frame", "solve_frame"]
