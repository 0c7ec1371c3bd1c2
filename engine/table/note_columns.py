"""The text columns of a results table: warnings, assumptions, and the rules each row used."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union, cast

import numpy as np
import polars as pl

from ..messages import localized
from ..rules.model import Check, Equation
from ..solve.batch import Batch, Every, Group
from ..solve.evaluation import SEVERAL_ROOTS
from ..solve.first_whole import FIRST_WHOLE
from ..solve.mismatch import RuleMismatch
from ..solve.several_limits import NOTE as LIMITS
from ..solve.solver import Engine
from ..text.formatting import PLACEHOLDER, format_quantity
from .result_columns import Cells, Repeated, scatter
from .rounding_notes import rounding_notes
from .row_masks import ok_rows
from .scope import across_tables, catalog_only_rows, default_convention, off_path_default_rows
from .value_texts import (
    FORMAT_ONE_BY_ONE,
    Coded,
    bucketed_texts,
    format_expr,
    format_values,
    largest,
    more_distinct,
    one_value,
)

SEPARATOR = " | "
SHOWN_NOTES = (SEVERAL_ROOTS, FIRST_WHOLE, LIMITS)   # solver notes (batch.notes) said in the warnings column


def warning_column(engine: "Engine", batch: Batch, ok: np.ndarray, lang: str) -> Cells:
    """The `warnings` column: per row the notes that concern it, joined by SEPARATOR.

    Built as one polars query over the rows (each note an expression, empty where it does not
    apply): a note for every row stays one literal, a check's message over many distinct values is
    formatted in polars where it applies, never one Python string per row (issue #16's sweeps)."""
    rows = batch.rows
    notes = _Notes(rows)
    checks = {c.id: c for c in engine.rules.checks}
    for group in batch.groups:
        index = ok_rows(group, ok) if group.rounded else None
        if index is None or not len(index):
            continue
        for at, note in rounding_notes(engine, batch, group, np.asarray(index), lang):
            if isinstance(note, str):
                notes.text(at, note)
            else:
                notes.texts_at(at, note)
    for check_id, mask in batch.warnings:
        check = checks[check_id]
        where = mask & ok & ~off_path_default_rows(batch, check.variables)
        if not across_tables(engine.rules, check.variables):   # (two keys that do not go together: always said)
            where = where & ~catalog_only_rows(batch, check.variables)
        index = np.flatnonzero(where)
        if len(index):
            notes.template(engine, f"{check.id}: ", check.message(lang), batch, index, where)
    for code, message, on in batch.notes:   # (the solver's notes a table shows: which root was taken)
        if code.startswith(SHOWN_NOTES) and len(shown := np.flatnonzero(on & ok)):
            notes.text(shown, f"{code}: {localized(message, lang)}")
    for mismatch in batch.mismatches:
        index = np.flatnonzero(~np.isnan(mismatch.gaps) & ok)
        if len(index):
            notes.texts(index, _mismatch_texts(mismatch, mismatch.gaps[index], lang))
    return notes.column("warnings")


_Piece = Union[str, pl.Expr, Coded]
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

    def texts_at(self, index: np.ndarray, texts: pl.Series) -> None:
        """One text per row of `index`, on those rows only."""
        self.notes.append((self._rows(index), [pl.lit(scatter(self.rows, [(index, texts)]))]))

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
                if one_value(batch.values[name], shown):   # (global_batch of a sweep: one text, no column)
                    pieces.append(format_quantity(variable, float(shown[0])) or "?")
                elif not more_distinct(shown, FORMAT_ONE_BY_ONE):   # formatted per distinct value
                    pieces.append(pl.lit(scatter(self.rows, [(index, format_values(variable, shown))])))
                else:   # format_values' vectorized form (read where the check fired)
                    coded = bucketed_texts(variable, values, index)
                    if coded is not None:
                        pieces.append(coded)
                    else:
                        with np.errstate(invalid="ignore", divide="ignore"):
                            column = pl.lit(pl.Series(values / variable.factor))
                        pieces.append(format_expr(variable, column, largest(values, variable), shown=shown))
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
        if len(notes) == 1 and sum(isinstance(p, Coded) for p in notes[0][1]) == 1 \
                and all(isinstance(p, (str, Coded)) for p in notes[0][1]):
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
        coded = next(p for p in pieces if isinstance(p, Coded))
        front = [] if lead is None else [lead + SEPARATOR]
        whole = pl.select(_joined([*front, *[coded.table if p is coded else p for p in pieces]])).to_series()
        if rows is None:
            return whole.gather(coded.codes)
        whole = pl.concat([whole, pl.Series([lead], dtype=pl.String)], rechunk=True)   # (one chunk: a fast gather)
        # (the rows it is not on have code -1, which polars' gather takes from the end: the lead, or null)
        return whole.gather(coded.codes)


    def _by_combination(self, lead: "str | None", notes: list[_Note]) -> "pl.Series | None":
        """Notes of fixed text on some rows, and at most one coded note: a row's text depends only on which
        notes it carries and its code, so each combination present is joined once and the rows gather
        their text by combination (a layout sweep: the rounding note, a batch note on most rows and the mfu
        band with its value). None where another kind of note is there (a text column per row)."""
        coded_at, coded = -1, None
        for at, (_, pieces) in enumerate(notes):
            if all(isinstance(p, str) for p in pieces):
                continue
            if coded is not None or sum(isinstance(p, Coded) for p in pieces) != 1 \
                    or not all(isinstance(p, (str, Coded)) for p in pieces):
                return None
            coded_at, coded = at, next(p for p in pieces if isinstance(p, Coded))
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
    return pl.concat_str([p.table.gather(p.codes) if isinstance(p, Coded) else
                          pl.lit(p) if isinstance(p, (str, pl.Series)) else p for p in pieces])


def _mismatch_texts(mismatch: RuleMismatch, gaps: np.ndarray, lang: str) -> pl.Series:
    """The solver's message for an approximate rule the given values miss, one per row."""
    head, tail = mismatch.around_gap(lang)
    shown = pl.Series((gaps * 100).round(mismatch.digits)).cast(pl.String) + "%"
    return _concat([f"{mismatch.code}: ", head, shown, tail])


def _concat(parts: list[Any]) -> pl.Series:
    """Literal texts and equally long text columns, joined row by row."""
    return pl.select(pl.concat_str([pl.lit(p) for p in parts])).to_series()


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
        listed = {f"{name}={value}" for name, value, _ in items}
        texts = [said_assumption(name, value, source, listed) for name, value, source in items]
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


def said_assumption(name: str, value: str, source: str, listed: set[str]) -> str:
    """name=value, with the convention whose default supplied the figure unless it is listed itself:
    "flops_factor=8 FLOP/token (recompute=full)", whose source reads "recompute=full (default for a LoRA …): …"
    (why 8 and not the seed's 6 would not show otherwise)."""
    convention = default_convention(source)
    return f"{name}={value} ({convention})" if convention and convention not in listed else f"{name}={value}"


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
