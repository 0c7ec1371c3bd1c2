"""The text columns of a results table: warnings, assumptions, and the rules each row used."""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import polars as pl

from ..rules.model import Check, Equation, Variable
from ..solve.batch import RECOMPUTED, Batch
from ..solve.mismatch import RuleMismatch
from ..solve.solver import Engine
from ..text.formatting import format_quantity
from ..text.messages import text as message
from .result_columns import scatter
from .row_masks import any_code, ok_rows
from .scope import catalog_only_rows

SEPARATOR = " | "
_FORMAT_ONE_BY_ONE = 20_000   # distinct values formatted one by one (about 20 ms)


def warning_column(engine: "Engine", batch: Batch, ok: np.ndarray, lang: str) -> pl.Series:
    rows = batch.rows
    pieces: list[pl.Series] = []
    checks = {c.id: c for c in engine.rules.checks}
    for group in batch.groups:
        if not group.rounded:
            continue
        index = ok_rows(group, ok)
        if not len(index):
            continue
        for name in group.rounded:
            variable = engine.rules.variables[name]
            recomputed = ", ".join(n for n, s in batch.status.items() if any_code(s, index, RECOMPUTED))
            note = message("results.rounded_column", lang, name=name,
                           how=message(f"results.how.{variable.rounding}", lang))
            if recomputed:
                note += message("results.recomputed_column", lang, names=recomputed)
            pieces.append(scatter(rows, [(index, note)]))
    for check_id, mask in batch.warnings:
        check = checks[check_id]
        index = np.flatnonzero(mask & ok & ~catalog_only_rows(batch, check.variables))
        if not len(index):
            continue
        texts = _concat([f"{check.id}: ", *_template(engine, check.message(lang), batch, index)])
        pieces.append(scatter(rows, [(index, texts)]))
    for mismatch in batch.mismatches:
        index = np.flatnonzero(~np.isnan(mismatch.gaps) & ok)
        if len(index):
            pieces.append(scatter(rows, [(index, _mismatch_texts(mismatch, mismatch.gaps[index], lang))]))
    if not pieces:
        return scatter(rows, [])
    if len(pieces) == 1:   # one kind of note (a sweep's usual case): nothing to join, no empty texts
        return pieces[0].alias("warnings")
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
    """Readable texts for many values at once, as engine.text.formatting.format_quantity shows them.

    Few distinct values (the usual case): each formatted once by format_quantity; many (a big sweep):
    a vectorized approximation in the declared unit."""
    values = np.asarray(base, dtype=float)
    distinct, inverse = np.unique(values, return_inverse=True)
    if len(distinct) <= _FORMAT_ONE_BY_ONE:
        texts = np.array([format_quantity(variable, float(v)) or "?" for v in distinct], dtype=object)
        return pl.Series(texts[inverse.reshape(-1)], dtype=pl.String)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pl.DataFrame({"v": values / variable.factor})
    v = pl.col("v")
    expr = v.round_sig_figs(digits).cast(pl.String).str.strip_suffix(".0")
    if variable.unit in ("", "token", "char"):
        with np.errstate(invalid="ignore"):
            top = float(np.nanmax(np.abs(values))) / variable.factor if np.isfinite(values).any() else 0.0
        for step, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if max(step, 1e4) > top:
                continue   # no value that large: a branch less over every row (mfu of a sweep)
            scaled = (v / step).round_sig_figs(3).cast(pl.String).str.strip_suffix(".0") + suffix
            expr = pl.when(v.abs() >= max(step, 1e4)).then(scaled).otherwise(expr)
    if variable.domain == "integer":
        expr = pl.when(v == v.round(0)).then(v.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(expr)
    expr = pl.when(v.is_nan()).then(pl.lit("?")).otherwise(expr)
    if variable.unit:
        expr = expr + f" {variable.unit}"
    return frame.select(expr).to_series()


def assumptions_column(engine: "Engine", batch: Batch, ok: np.ndarray
                 ) -> tuple[list[tuple[np.ndarray, str]], list[tuple[Equation, int]], list[tuple[Check, int]]]:
    """Per group: the assumptions text; overall: equations used and checks fired, with row counts."""
    per_group: list[tuple[np.ndarray, str]] = []
    used: dict[str, tuple[Equation, int]] = {}
    for group in batch.groups:
        if group.plan is None:
            continue
        index = ok_rows(group, ok)
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


def assumption_rows(engine: "Engine", batch: Batch, ok: np.ndarray) -> list[tuple[str, str, str, int]]:
    counts: dict[tuple[str, str, str], int] = {}
    for group in batch.groups:
        if group.plan is None:
            continue
        index = ok_rows(group, ok)
        if len(index):
            for item in _group_assumptions(engine, batch, group, int(index[0])):
                counts[item] = counts.get(item, 0) + len(index)
    return [(n, v, s, c) for (n, v, s), c in counts.items()]
