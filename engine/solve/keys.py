"""Catalog and convention keys in a batch: resolve them, fill the figures they stand for.

A key typed by the user (gpu=A800) fills its entry's fields as knowns, except
where the user gave the field; a default key (precision=seed-fp32 when nothing
was typed) only offers its fields as soft values, which the planner uses where
an answer needs them. Constant columns (one key for every row: the common case)
are filled with read-only broadcast columns, so a million rows cost no more than one.
A column of several keys fills its figures lazily: `Columns` (engine/solve/columns.py) keeps
(lookup, codes) and gathers a figure only when something reads it (a plan step, a check, the results).
A default key can follow the row's other keys (recompute=full for method=lora: a variable's
`default_when`, engine/rules/conditional_defaults.py), so such variables are expanded after them.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..rules.model import RuleSet, Table, Variable
from ..text.values import match_key
from .bounds import repeated_view
from .columns import Columns

Soft = dict[str, "float | np.ndarray"]   # variable -> soft value (scalar, or per row with NaN = none)
Asked = dict[str, "np.ndarray | bool"]    # target -> rows that ask for it (True: every row)

NONE, GIVEN, CATALOG = 0, 1, 2


@dataclass
class Categorical:
    """A dictionary-encoded column of keys: codes (any signed integer dtype) index labels; -1 = empty.

    The codes are never written into once the column exists: the lowest and highest code are
    computed once (or given by whoever built the column) and reused by every reader."""

    codes: np.ndarray
    labels: list[str]
    known_bounds: "tuple[int, int] | None" = field(default=None, repr=False, compare=False)

    @classmethod
    def from_values(cls, values: Sequence[object]) -> "Categorical":
        labels: list[str] = []
        index: dict[str, int] = {}
        codes = np.empty(len(values), dtype=np.int64)
        for i, value in enumerate(values):
            if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
                codes[i] = -1
                continue
            text = str(value)
            if text not in index:
                index[text] = len(labels)
                labels.append(text)
            codes[i] = index[text]
        return cls(codes, labels)

    def bounds(self) -> tuple[int, int] | None:
        """(lowest, highest) code; None for a column without rows. Computed once."""
        if self.known_bounds is None and len(self.codes):
            codes = self.codes
            if repeated_view(codes):
                low = high = int(codes[0])
            else:
                low, high = int(codes.min()), int(codes.max())
            self.known_bounds = (low, high)
        return self.known_bounds

    def constant(self) -> int | None:
        """The single code every row has, or None."""
        bounds = self.bounds()
        if bounds is None:
            return None
        return bounds[0] if bounds[0] == bounds[1] else None


@dataclass
class Expansion:
    keys: dict[str, Categorical]
    typed: dict[str, np.ndarray]
    soft: Soft = field(default_factory=dict)
    answers: Soft = field(default_factory=dict)   # asked figures the typed key has (status "catalog")


def expand_keys(rules: RuleSet, values: dict[str, np.ndarray], status: dict[str, np.ndarray],
                keys: dict[str, Categorical], asked: Asked, rows: int,
                on_error: Callable[[np.ndarray, str, str], None]) -> Expansion:
    """Canonical keys for every categorical variable (typed or default) and the fields they fill.

    With `values` a `Columns`, figures of a column of several keys are deferred (see Columns)."""
    out = Expansion({}, {})
    # (a default that follows other conventions is expanded after them: its rows read their keys)
    categorical = sorted((v for v in rules.variables.values() if v.categorical), key=lambda v: bool(v.default_when))
    for variable in categorical:
        name = variable.name
        column = keys.get(name)
        if column is None and variable.default is None:
            continue
        column = column or Categorical(_same(rows, -1), [], (-1, -1) if rows else None)
        canonical = []
        for code, label in enumerate(column.labels):
            key = canonical_key(rules, name, label)
            if key is None:
                on_error(column.codes == code, name, label)
            canonical.append(key or label)
        constant = column.constant()
        bounds = column.bounds()
        if constant is not None:
            given = _same(rows, constant >= 0)
        elif bounds is not None and bounds[0] >= 0:
            given = _same(rows, True)                  # every row typed a key: no mask needed
        else:
            given = column.codes >= 0
        codes = column.codes
        if variable.default is not None and (constant == -1 or (constant is None and not all_typed(given))):
            defaults = default_keys(variable, out.keys, rows)
            first = len(canonical)
            canonical += defaults.labels
            default_codes = defaults.codes + first if first else defaults.codes
            single = defaults.constant()
            if constant == -1 and single is not None:
                codes, bounds = _same(rows, first + single), (first + single,) * 2
            else:
                codes, bounds = np.where(given, codes, default_codes), None
        out.keys[name] = Categorical(codes, canonical, bounds)
        out.typed[name] = given
        table = rules.tables.get(name)
        if table is not None:
            _fill_fields(table, out.keys[name], given, values, status, out.soft, asked, out.answers)
    return out


def default_keys(variable: Variable, keys: dict[str, Categorical], rows: int) -> Categorical:
    """Each row's default key for `variable`: its plain default, or the first of its `default_when`
    (engine/rules/conditional_defaults.py) whose conventions the row's keys (typed or default) have."""
    labels = [str(variable.default)]
    codes: np.ndarray = _same(rows, 0)
    for conditional in reversed(variable.default_when):   # (the first that holds is applied last)
        holds: "np.ndarray | bool" = True
        for selector, allowed in conditional.when:
            column = keys.get(selector)
            if column is None:
                holds = False
                break
            wanted = [code for code, label in enumerate(column.labels) if label in allowed]
            single = column.constant()
            holds = holds & (single in wanted if single is not None else np.isin(column.codes, wanted))
        if holds is False or (isinstance(holds, np.ndarray) and not holds.any()):
            continue
        if conditional.value not in labels:
            labels.append(conditional.value)
        code = labels.index(conditional.value)
        codes = _same(rows, code) if holds is True else np.where(holds, np.int64(code), codes)
    return Categorical(codes, labels)


def _same(rows: int, value: "int | bool", dtype: "type | np.dtype | None" = None) -> np.ndarray:
    """A read-only column with one value in every row (a broadcast view: no allocation per row)."""
    if dtype is None:
        dtype = bool if isinstance(value, (bool, np.bool_)) else np.int64
    return same(rows, value, dtype)


_SAME: dict[tuple, np.ndarray] = {}


def same(rows: int, value: "float | int | bool", dtype: "type | np.dtype") -> np.ndarray:
    """A read-only broadcast column of `rows` copies of value; shared (the views cannot be written)."""
    one = np.asarray(value, dtype=dtype)
    key = (rows, one.dtype.str, one.tobytes())   # (bytes: -0.0 is not 0.0, NaN finds itself)
    view = _SAME.get(key)
    if view is None:
        if len(_SAME) > 256:
            _SAME.clear()
        one.flags.writeable = False   # (so that no view of it can be made writable)
        view = _SAME[key] = np.broadcast_to(one, (rows,))
    return view


def canonical_key(rules: RuleSet, name: str, label: str) -> str | None:
    """The catalog key a label names, as people write it ("RTX 4090", "NVIDIA H100 SXM5 80GB");
    None when it names no entry or several (the error then lists them)."""
    table = rules.tables.get(name)
    if table is not None:
        entry = table.resolve(label)
        if entry is not None:
            return entry.key
        spelled = {e.key: e.key for e in table.entries.values()}
        spelled.update({a: e.key for e in table.entries.values() for a in e.aliases})
        return match_key(label, spelled)[0]
    folded = {v.casefold(): v for v in rules.variables[name].values}
    hit = folded.get(label.strip().casefold())
    return hit if hit is not None else match_key(label, {v: v for v in rules.variables[name].values})[0]


def _fill_fields(table: Table, column: Categorical, given: np.ndarray, values: dict[str, np.ndarray],
                 status: dict[str, np.ndarray], soft: Soft, asked: Asked, answers: Soft | None = None) -> None:
    """Each figure of the catalog table for the rows' keys: a given where the row typed the key, soft
    (a fallback the rules may override) where the key is a default, an answer where it is asked."""
    rows = len(column.codes)
    entries = [table.entries.get(label) for label in column.labels]
    constant = column.constant()
    for field_name in table.fields:
        # (code -1, no key, picks the trailing NaN)
        lookup = np.array([e.values.get(field_name, np.nan) if e is not None else np.nan for e in entries]
                          + [np.nan])
        ask = asked.get(field_name, False)
        if ask is not False and answers is not None:
            # a question's answer is not filled in as a given, but kept: where the rules cannot
            # determine it, the typed key's figure answers it (peak_flops gpu=H100-SXM, #13 §6)
            if constant is not None:
                if bool(given[0]) if rows else False:
                    answers[field_name] = float(lookup[constant])
            else:
                answers[field_name] = np.where(given, lookup[column.codes], np.nan)
        if ask is True:
            continue   # a question's answer is never filled from a catalog as a given
        if ask is not False:   # only some rows ask for it: those rows are neither typed nor soft
            _fill_field(field_name, lookup, column.codes, given & ~ask, ask, values, status, soft)
        elif constant is not None:
            _fill_constant(field_name, float(lookup[constant]), bool(given[0]) if rows else False,
                           values, status, soft, rows)
        else:
            _fill_field(field_name, lookup, column.codes, given, False, values, status, soft)


def _fill_field(field_name: str, lookup: np.ndarray, codes: np.ndarray, given: np.ndarray,
                ask: "np.ndarray | bool", values: dict[str, np.ndarray], status: dict[str, np.ndarray],
                soft: Soft) -> None:
    """One catalog figure per row (rows with different keys)."""
    rows = len(codes)
    if field_name not in values and all_typed(given) and not np.isnan(lookup[:-1]).any():
        # every row typed a key that has this figure: known everywhere, gathered when read
        if isinstance(values, Columns):
            values.defer(field_name, functools.partial(np.take, lookup, codes),
                         (float(lookup[:-1].min()), float(lookup[:-1].max())))
        else:
            values[field_name] = lookup[codes]
        status[field_name] = _same(rows, CATALOG, np.int8)
        return
    filled = lookup[codes]
    current = values.get(field_name)
    if current is None:
        hard = given & ~np.isnan(filled)
        values[field_name] = np.where(hard, filled, np.nan)
        status[field_name] = np.where(hard, CATALOG, NONE).astype(np.int8)
    else:
        hard = given & np.isnan(current) & ~np.isnan(filled)
        if hard.any():
            values[field_name] = current = current.copy()   # never write into the caller's array
            current[hard] = filled[hard]
            writable(status, field_name)[hard] = CATALOG
    soft_rows = ~given & ~np.isnan(filled)
    if ask is not False:
        soft_rows &= ~ask
    if soft_rows.any():
        soft[field_name] = np.where(soft_rows, filled, np.nan)


def all_typed(given: np.ndarray) -> bool:
    if repeated_view(given):
        return bool(given[0])
    return bool(given.all())


def writable(columns: dict[str, np.ndarray], name: str) -> np.ndarray:
    """columns[name], copied first when it is read-only (a broadcast or shared column)."""
    column = columns[name]
    if not column.flags.writeable:
        column = columns[name] = column.copy()
    return column


def _fill_constant(field_name: str, value: float, typed: bool, values: dict[str, np.ndarray],
                   status: dict[str, np.ndarray], soft: Soft, rows: int) -> None:
    if np.isnan(value):
        return
    if not typed:
        soft[field_name] = value
        return
    current = values.get(field_name)
    if current is None:
        values[field_name] = same(rows, value, np.float64)   # read-only, no per-row memory
        status[field_name] = _same(rows, CATALOG, np.int8)
        return
    missing = np.isnan(current)
    if missing.any():
        values[field_name] = np.where(missing, value, current)
        status[field_name] = np.where(missing, CATALOG, status[field_name]).astype(np.int8)
