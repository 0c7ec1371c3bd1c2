"""Catalog and convention keys in a batch: resolve them, fill the figures they stand for.

A key typed by the user (gpu=A800) fills its entry's fields as knowns, except
where the user gave the field; a default key (precision=seed-fp32 when nothing
was typed) only offers its fields as soft values, which the planner uses where
an answer needs them. Constant columns (one key for every row: the common case)
are filled with scalars, so a million rows cost no more than one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .model import RuleSet, Table

Soft = dict[str, "float | np.ndarray"]   # variable -> soft value (scalar, or per row with NaN = none)
Asked = dict[str, "np.ndarray | bool"]    # target -> rows that ask for it (True: every row)

NONE, GIVEN, CATALOG = 0, 1, 2


@dataclass
class Categorical:
    """A dictionary-encoded column of keys: codes index labels; -1 = empty."""

    codes: np.ndarray
    labels: list[str]

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

    def constant(self) -> int | None:
        """The single code every row has, or None."""
        if not len(self.codes):
            return None
        low, high = int(self.codes.min()), int(self.codes.max())
        return low if low == high else None


@dataclass
class Expansion:
    keys: dict[str, Categorical]
    typed: dict[str, np.ndarray]
    soft: Soft = field(default_factory=dict)


def expand_keys(rules: RuleSet, values: dict[str, np.ndarray], status: dict[str, np.ndarray],
                keys: dict[str, Categorical], asked: Asked, rows: int,
                on_error: Callable[[np.ndarray, str, str], None]) -> Expansion:
    """Canonical keys for every categorical variable (typed or default) and the fields they fill."""
    out = Expansion({}, {})
    for name, variable in rules.variables.items():
        if not variable.categorical:
            continue
        column = keys.get(name)
        if column is None and variable.default is None:
            continue
        column = column or Categorical(_same(rows, -1), [])
        canonical = []
        for code, label in enumerate(column.labels):
            key = canonical_key(rules, name, label)
            if key is None:
                on_error(column.codes == code, name, label)
            canonical.append(key or label)
        constant = column.constant()
        given = _same(rows, constant >= 0) if constant is not None else column.codes >= 0
        codes = column.codes
        if variable.default is not None and (constant == -1 or (constant is None and not given.all())):
            canonical.append(str(variable.default))
            codes = _same(rows, len(canonical) - 1) if constant == -1 else \
                np.where(given, codes, len(canonical) - 1)
        out.keys[name] = Categorical(codes, canonical)
        out.typed[name] = given
        table = rules.tables.get(name)
        if table is not None:
            _fill_fields(table, out.keys[name], given, values, status, out.soft, asked)
    return out


def _same(rows: int, value: "int | bool") -> np.ndarray:
    """A read-only column with one value in every row (a broadcast view: no allocation per row)."""
    return np.broadcast_to(np.asarray(value, dtype=bool if isinstance(value, (bool, np.bool_)) else np.int64),
                           (rows,))


def canonical_key(rules: RuleSet, name: str, label: str) -> str | None:
    table = rules.tables.get(name)
    if table is not None:
        entry = table.resolve(label)
        return entry.key if entry is not None else None
    folded = {v.casefold(): v for v in rules.variables[name].values}
    return folded.get(label.strip().casefold())


def _fill_fields(table: Table, column: Categorical, given: np.ndarray, values: dict[str, np.ndarray],
                 status: dict[str, np.ndarray], soft: Soft, asked: Asked) -> None:
    rows = len(column.codes)
    entries = [table.entries.get(label) for label in column.labels]
    constant = column.constant()
    for field_name in table.fields:
        ask = asked.get(field_name, False)
        if ask is True:
            continue   # a question's answer is never filled from a catalog
        if ask is not False:   # only some rows ask for it: those rows are neither typed nor soft
            given = given & ~ask
            constant = None
        lookup = np.array([e.values.get(field_name, np.nan) if e is not None else np.nan for e in entries]
                          + [np.nan])
        if constant is not None:
            _fill_constant(field_name, float(lookup[constant]), bool(given[0]) if rows else False,
                           values, status, soft, rows)
            continue
        filled = lookup[column.codes]  # code -1 picks the trailing NaN
        current = values.get(field_name)
        if current is None and all_typed(given) and not np.isnan(lookup[:-1]).any():
            values[field_name] = filled            # every row typed a key that has this figure
            status[field_name] = np.full(rows, CATALOG, dtype=np.int8)
            continue
        if current is None:
            hard = given & ~np.isnan(filled)
            values[field_name] = np.where(hard, filled, np.nan)
            status[field_name] = np.where(hard, CATALOG, NONE).astype(np.int8)
        else:
            hard = given & np.isnan(current) & ~np.isnan(filled)
            if hard.any():
                values[field_name] = current = current.copy()   # never write into the caller's array
                current[hard] = filled[hard]
                status[field_name][hard] = CATALOG
        soft_rows = ~given & ~np.isnan(filled)
        if ask is not False:
            soft_rows &= ~ask
        if soft_rows.any():
            soft[field_name] = np.where(soft_rows, filled, np.nan)


def all_typed(given: np.ndarray) -> bool:
    return bool(given.all())


def _fill_constant(field_name: str, value: float, typed: bool, values: dict[str, np.ndarray],
                   status: dict[str, np.ndarray], soft: Soft, rows: int) -> None:
    if np.isnan(value):
        return
    if not typed:
        soft[field_name] = value
        return
    current = values.get(field_name)
    if current is None:
        values[field_name] = np.full(rows, value)
        status[field_name] = np.full(rows, CATALOG, dtype=np.int8)
        return
    missing = np.isnan(current)
    if missing.any():
        values[field_name] = np.where(missing, value, current)
        status[field_name] = np.where(missing, CATALOG, status[field_name]).astype(np.int8)
