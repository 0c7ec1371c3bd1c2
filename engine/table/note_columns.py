"""The text columns of a results table: warnings, assumptions, and the rules each row used."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union, cast

import numpy as np
import polars as pl

from ..messages import text as message
from ..rules.model import Check, Equation, Variable
from ..solve.batch import RECOMPUTED, Batch, Every, Group
from ..solve.bounds import remembered_bounds
from ..solve.mismatch import RuleMismatch
from ..solve.solver import Engine
from ..text.formatting import PLACEHOLDER, format_quantity
from .result_columns import Cells, Repeated, scatter
from .row_masks import any_code, ok_rows
from .scope import catalog_only_rows

SEPARATOR = " | "
_FORMAT_ONE_BY_ONE = 20_000   # distinct values formatted one by one (about 20 ms)


def warning_column(engine: "Engine", batch: Batch, ok: np.ndarray, lang: str) -> Cells:
    """The `warnings` column: per row the notes that concern it, joined by SEPARATOR.

    Built as one polars query over the rows (each note an expression, empty where it does not
    apply): a note for every row stays one literal, a check's message over many distinct values is
    formatted in polars where it applies, never one Python string per row (issue #16's sweeps)."""
    rows = batch.rows
    notes = _Notes(rows)
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
            notes.text(index, note)
    for check_id, mask in batch.warnings:
        check = checks[check_id]
        where = mask & ok & ~catalog_only_rows(batch, check.variables)
        index = np.flatnonzero(where)
        if len(index):
            notes.template(engine, f"{check.id}: ", check.message(lang), batch, index, where)
    for mismatch in batch.mismatches:
        index = np.flatnonzero(~np.isnan(mismatch.gaps) & ok)
        if len(index):
            notes.texts(index, _mismatch_texts(mismatch, mismatch.gaps[index], lang))
    return notes.column("warnings")


@dataclass(frozen=True)
class _Coded:
    """Texts by code: row i reads table[codes[i]] (a value formatted once per distinct text)."""

    codes: np.ndarray   # int64, one per row of the column
    table: pl.Series    # String


_Piece = Union[str, pl.Expr, _Coded]
_Note = tuple["np.ndarray | None", list[_Piece]]   # (the rows it is on, None: every row; its text pieces)


class _Notes:
    """The notes of a text column, evaluated in one polars query (or one gather from a table of
    texts, when the column is notes on every row and one coded note)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.notes: list[_Note] = []

    def _rows(self, index: "np.ndarray | Every", mask: "np.ndarray | None" = None) -> "np.ndarray | None":
        if len(index) == self.rows:
            return None
        if mask is None:
            mask = np.zeros(self.rows, dtype=bool)
            mask[np.asarray(index)] = True
        return mask

    def text(self, index: "np.ndarray | Every", note: str) -> None:
        self.notes.append((self._rows(index), [note]))

    def texts(self, index: "np.ndarray | Every", texts: pl.Series) -> None:
        self.notes.append((None, [pl.lit(scatter(self.rows, [(index, texts)]))]))

    def template(self, engine: "Engine", head: str, text: str, batch: Batch, index: np.ndarray,
                 where: np.ndarray) -> None:
        """A check's message at `index`: {name} placeholders filled with the rows' values."""
        pieces: list[_Piece] = [head]
        last = 0
        for match in PLACEHOLDER.finditer(text):
            pieces.append(text[last:match.start()])
            name = match.group(1)
            if name in batch.values and name in engine.rules.variables:
                variable = engine.rules.variables[name]
                values = np.broadcast_to(batch.values[name], (self.rows,))
                shown = values[index]
                if _one_value(batch.values[name], shown):   # (global_batch of a sweep: one text, no column)
                    pieces.append(format_quantity(variable, float(shown[0])) or "?")
                elif not _more_distinct(shown, _FORMAT_ONE_BY_ONE):   # formatted per distinct value
                    pieces.append(pl.lit(scatter(self.rows, [(index, format_values(variable, shown))])))
                else:   # format_values' vectorized form (read where the check fired)
                    coded = _bucketed_texts(variable, values, index)
                    if coded is not None:
                        pieces.append(coded)
                    else:
                        with np.errstate(invalid="ignore", divide="ignore"):
                            column = pl.lit(pl.Series(values / variable.factor))
                        pieces.append(_format_expr(variable, column, _largest(values, variable), shown=shown))
            else:
                pieces.append(match.group(0))
            last = match.end()
        pieces.append(text[last:])
        self.notes.append((self._rows(index, where), pieces))

    def column(self, name: str) -> Cells:
        """The notes joined per row; null where none applies."""
        notes = list(self.notes)
        lead: list[str] = []   # notes on every row, first: one literal
        while notes and notes[0][0] is None and all(isinstance(p, str) for p in notes[0][1]):
            lead.append("".join(cast(list[str], notes.pop(0)[1])))
        text = SEPARATOR.join(lead) if lead else None
        if not notes:
            return Repeated(text, pl.String, self.rows)
        if len(notes) == 1 and sum(isinstance(p, _Coded) for p in notes[0][1]) == 1 \
                and all(isinstance(p, (str, _Coded)) for p in notes[0][1]):
            return self._gathered(text, *notes[0]).alias(name)
        combined = self._by_combination(text, notes)
        if combined is not None:
            return combined.alias(name)
        parts = [_joined(pieces) if rows is None else pl.when(pl.lit(pl.Series(rows))).then(_joined(pieces))
                 for rows, pieces in notes]
        if text is not None:
            parts.insert(0, pl.lit(text))
        joined = pl.concat_str(parts, separator=SEPARATOR, ignore_nulls=True) if len(parts) > 1 else parts[0]
        if text is None and all(rows is not None for rows, _ in notes):
            joined = pl.when(joined == "").then(None).otherwise(joined)
        frame = pl.DataFrame({"row": np.zeros(self.rows, dtype=np.int8)})
        return frame.select(joined.cast(pl.String).alias(name)).to_series()

    def _gathered(self, lead: "str | None", rows: "np.ndarray | None", pieces: list[_Piece]) -> pl.Series:
        """One note with one coded piece after the leading notes: its whole texts are made once per
        code, then every row takes its text by code (rows it is not on: the leading notes or null)."""
        coded = next(p for p in pieces if isinstance(p, _Coded))
        front = [] if lead is None else [lead + SEPARATOR]
        whole = pl.select(_joined([*front, *[coded.table if p is coded else p for p in pieces]])).to_series()
        if rows is None:
            return whole.gather(coded.codes)
        whole = pl.concat([whole, pl.Series([lead], dtype=pl.String)], rechunk=True)   # (one chunk: a fast gather)
        return whole.gather(np.where(rows, coded.codes, len(whole) - 1))


    def _by_combination(self, lead: "str | None", notes: list[_Note]) -> "pl.Series | None":
        """Notes of fixed text on some rows, and at most one coded note: a row's text depends only on which
        notes it carries and its code, so each combination present is joined once and the rows gather
        their text by combination (a layout sweep: the rounding note, a batch note on most rows and the mfu
        band with its value). None where another kind of note is there (a text column per row)."""
        coded_at, coded = -1, None
        for at, (_, pieces) in enumerate(notes):
            if all(isinstance(p, str) for p in pieces):
                continue
            if coded is not None or sum(isinstance(p, _Coded) for p in pieces) != 1 \
                    or not all(isinstance(p, (str, _Coded)) for p in pieces):
                return None
            coded_at, coded = at, next(p for p in pieces if isinstance(p, _Coded))
        if len(notes) > _MAX_FIXED_NOTES:
            return None
        key = np.zeros(self.rows, dtype=np.int64)
        for bit, (rows, _) in enumerate(notes):
            key |= (np.ones(self.rows, dtype=np.int64) if rows is None else rows.astype(np.int64)) << bit
        if coded is not None:
            on = notes[coded_at][0]
            key += (coded.codes if on is None else np.where(on, coded.codes, 0)) << len(notes)
        size = (1 if coded is None else len(coded.table)) << len(notes)
        present = np.zeros(size, dtype=bool)
        present[key] = True
        combos = np.flatnonzero(present)
        position = np.zeros(size, dtype=np.int64)
        position[combos] = np.arange(len(combos))
        frame = pl.DataFrame({f"on{bit}": ((combos >> bit) & 1).astype(bool) for bit in range(len(notes))})
        parts: list[pl.Expr] = [] if lead is None else [pl.lit(lead)]
        for bit, (_, pieces) in enumerate(notes):
            if bit == coded_at:
                texts = coded.table.gather(combos >> len(notes))   # type: ignore[union-attr]
                body = _joined([texts if p is coded else p for p in pieces])
            else:
                body = pl.lit("".join(cast(list[str], pieces)))
            parts.append(pl.when(pl.col(f"on{bit}")).then(body))
        joined = pl.concat_str(parts, separator=SEPARATOR, ignore_nulls=True)
        if lead is None:
            joined = pl.when(joined == "").then(None).otherwise(joined)
        table = frame.select(joined.cast(pl.String)).to_series().rechunk()
        return table.gather(position[key])


_MAX_FIXED_NOTES = 8   # notes combined by bit (2^8 combinations per code at most)


def _joined(pieces: "Sequence[_Piece | pl.Series]") -> pl.Expr:
    return pl.concat_str([p.table.gather(p.codes) if isinstance(p, _Coded) else
                          pl.lit(p) if isinstance(p, (str, pl.Series)) else p for p in pieces])


def _mismatch_texts(mismatch: RuleMismatch, gaps: np.ndarray, lang: str) -> pl.Series:
    """The solver's message for an approximate rule the given values miss, one per row."""
    head, tail = mismatch.around_gap(lang)
    shown = pl.Series((gaps * 100).round(1)).cast(pl.String) + "%"
    return _concat([f"{mismatch.code}: ", head, shown, tail])


def _concat(parts: list[Any]) -> pl.Series:
    """Literal texts and equally long text columns, joined row by row."""
    return pl.select(pl.concat_str([pl.lit(p) for p in parts])).to_series()


def format_values(variable: Variable, base: np.ndarray, digits: int = 4) -> pl.Series:
    """Readable texts for many values at once, as engine.text.formatting.format_quantity shows them.

    Few distinct values (the usual case): each formatted once by format_quantity; many (a big sweep):
    a vectorized approximation in the declared unit."""
    values = np.asarray(base, dtype=float)
    if not _more_distinct(values, _FORMAT_ONE_BY_ONE):
        distinct, inverse = np.unique(values, return_inverse=True)
        texts = pl.Series([format_quantity(variable, float(v)) or "?" for v in distinct], dtype=pl.String)
        return texts.gather(inverse.reshape(-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pl.DataFrame({"v": values / variable.factor})
    return frame.select(_format_expr(variable, pl.col("v"), _largest(values, variable), digits)).to_series()


def _one_value(column: "np.ndarray | float", shown: np.ndarray) -> bool:
    """Every row shows the same finite value: a scalar or broadcast column, else all of `shown` equal."""
    if not len(shown) or not np.isfinite(shown[0]):
        return False
    if not isinstance(column, np.ndarray) or column.ndim == 0 or column.strides[0] == 0:
        return True
    return bool(shown.min() == shown.max() == shown[0])


def _more_distinct(values: np.ndarray, limit: int) -> bool:
    """More than `limit` distinct values; the first 2·limit often tell already (a sweep's column)."""
    if len(values) <= limit:
        return False
    # (numpy's sort-based count: measured ~2.5x faster than polars' hashed n_unique at these sizes)
    if len(values) > 2 * limit and len(np.unique(values[:2 * limit])) > limit:
        return True
    return len(np.unique(values)) > limit


_MAX_BUCKETS = 2_000_000


def _bucketed_texts(variable: Variable, values: np.ndarray, index: np.ndarray) -> "_Coded | None":
    """format_values' vectorized texts for the rows at `index` (a column over every row; other rows
    get some text), formatting each 4-significant-figure bucket of values once, not every row.

    Rows are bucketed by their value rounded to 4 figures (decade, mantissa 1000..10000) through an
    array indexed by bucket: no sort. Each bucket's text is made from one of its values (rounded to 4
    figures, what the text is made of): every value of a bucket rounds alike unless it lies at a tie
    (x.5 in the 4th figure), where numpy's rounding here and polars' may differ; such rows (rare) are
    rounded by polars too and must agree with their bucket, else None (format every row). None too for
    integers (a whole value reads differently from its neighbours), for values shown with a K/M/B/T
    suffix, and for zero, negative or non-finite values."""
    shown = values[index]
    if variable.domain == "integer" or not len(shown) or _largest(values, variable) >= 1e4:
        return None
    with np.errstate(all="ignore"):
        low_value, high_value = float(shown.min()), float(shown.max())
        if not (low_value > 0 and np.isfinite(high_value)):   # (a NaN makes both NaN)
            return None
        low, high = int(np.floor(np.log10(low_value))), int(np.floor(np.log10(high_value)))
        span = high - low + 1
        if span * 10_001 > _MAX_BUCKETS:
            return None
        if span == 1:   # one decade (an mfu band): no logarithm per row
            decade: "np.ndarray | int" = 0
            scaled = shown * 10.0 ** (3 - low)
        else:
            decade = np.clip(np.floor(np.log10(shown)).astype(np.int64), low, high) - low
            scaled = shown * (10.0 ** (3 - np.arange(low, high + 1)))[decade]
        mantissa = np.floor(scaled + 0.5)
        tie = np.abs(scaled - mantissa + 0.5) < _TIE
        key = decade * 10_001 + np.clip(mantissa, 0, 10_000).astype(np.int64)
    one_of = np.empty(span * 10_001)
    one_of[key] = shown   # (some value of each bucket: the last written)
    present = np.zeros(span * 10_001, dtype=bool)
    present[key] = True
    buckets = np.flatnonzero(present)
    position = np.zeros(span * 10_001, dtype=np.int64)
    position[buckets] = np.arange(len(buckets))
    code = position[key]
    ends = pl.Series(one_of[buckets] / variable.factor)
    if tie.any():
        at_tie = pl.Series(shown[tie] / variable.factor).round_sig_figs(4)
        if not bool((at_tie == ends.round_sig_figs(4).gather(code[tie])).all()):
            return None
    first = pl.DataFrame({"v": ends}).select(_format_expr(variable, pl.col("v"), 0.0)).to_series()
    codes = np.zeros(len(values), dtype=np.int64)
    codes[index] = code
    return _Coded(codes, first)


_TIE = 1e-7   # |scaled - (m - 0.5)| below this: at a rounding tie (scaled ~1e3..1e4, float error ~1e-12)


def _largest(values: np.ndarray, variable: Variable) -> float:
    """The largest magnitude in the declared unit (0 when there is none): which suffixes can show."""
    if variable.unit not in ("", "token", "char"):
        return 0.0
    known = remembered_bounds(values)   # (a sweep's column from the grid's shape: no pass over the rows)
    if known is not None and np.isfinite(known).all():
        return max(abs(known[0]), abs(known[1])) / variable.factor
    with np.errstate(invalid="ignore"):
        return float(np.nanmax(np.abs(values))) / variable.factor if np.isfinite(values).any() else 0.0


def _format_expr(variable: Variable, v: pl.Expr, top: float, digits: int = 4,
                 shown: "np.ndarray | None" = None) -> pl.Expr:
    """format_values' vectorized form: values in the declared unit -> texts (NaN: "?"). `shown`: the
    base values the texts are read for, when known: passes that cannot change them are left out."""
    expr = v.round_sig_figs(digits).cast(pl.String)
    with np.errstate(invalid="ignore"):
        below_one = shown is not None and bool(np.all((np.abs(shown) < 0.9 * variable.factor) & (shown != 0)))
    if not below_one:   # (0 < |v| < 0.9 rounds to 4 figures below 1: never a whole number, no ".0")
        expr = expr.str.strip_suffix(".0")
    if variable.unit in ("", "token", "char"):
        for step, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if max(step, 1e4) > top:
                continue   # no value that large: a branch less over every row (mfu of a sweep)
            scaled = (v / step).round_sig_figs(3).cast(pl.String).str.strip_suffix(".0") + suffix
            expr = pl.when(v.abs() >= max(step, 1e4)).then(scaled).otherwise(expr)
    if variable.domain == "integer":
        expr = pl.when(v == v.round(0)).then(v.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(expr)
    if shown is None or np.isnan(shown).any():
        expr = pl.when(v.is_nan()).then(pl.lit("?")).otherwise(expr)
    if variable.unit:
        expr = expr + f" {variable.unit}"
    return expr


Assumed = list[tuple["np.ndarray | Every", Group, list[tuple[str, str, str]]]]   # rows, group, its assumptions


def group_assumptions(engine: "Engine", batch: Batch, ok: np.ndarray) -> Assumed:
    """Per planned group with answered rows: those rows and the defaults its plan used (name, value, source),
    made once for the assumptions column and the report's list."""
    out: Assumed = []
    for group in batch.groups:
        if group.plan is None:
            continue
        index = ok_rows(group, ok)
        if len(index):
            out.append((index, group, _group_assumptions(engine, batch, group, int(index[0]))))
    return out


def assumptions_column(engine: "Engine", batch: Batch, ok: np.ndarray, assumed: Assumed
                       ) -> tuple[list[tuple["np.ndarray | Every", str]], list[tuple[Equation, int]],
                                  list[tuple[Check, int]]]:
    """Per group: the assumptions text; overall: equations used and checks fired, with row counts."""
    per_group: list[tuple["np.ndarray | Every", str]] = []
    used: dict[str, tuple[Equation, int]] = {}
    for index, group, items in assumed:
        texts = [f"{name}={value}" for name, value, _ in items]
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


def _group_assumptions(engine: "Engine", batch: Batch, group: Group, row: int) -> list[tuple[str, str, str]]:
    """Defaults the group's plan used (numeric defaults and default catalog/convention keys)."""
    default_keys = {n: c.labels[c.codes[row]] for n, c in batch.keys.items()
                    if c.codes[row] >= 0 and n in batch.typed and not batch.typed[n][row]}
    finder = getattr(engine, "_assumptions", None)
    if finder is not None:
        return list(finder(group.plan, default_keys, batch, row))
    return list(engine.result_for_row(batch, row).assumptions)


def assumption_rows(assumed: Assumed) -> list[tuple[str, str, str, int]]:
    counts: dict[tuple[str, str, str], int] = {}
    for index, _, items in assumed:
        for item in items:
            counts[item] = counts.get(item, 0) + len(index)
    return [(n, v, s, c) for (n, v, s), c in counts.items()]
