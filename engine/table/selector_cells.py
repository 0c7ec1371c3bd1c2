"""Catalog conventions in a scenario table: a row's catalog keys imply selectors (info.selectors).

The single-question path adds them in Engine.parse_givens (engine/solve/catalog_selectors.py);
a workbook row goes through here, with the same rules, so a row `model=qwen3-4b` answers like
`llmplan solve ... model=qwen3-4b`: its head_dim_rule=free is filled in as if typed. A typed cell
that contradicts the convention, or two keys of a row that disagree, make that row's error
(naming the cell). Work is per distinct combination of keys, not per row.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import EngineError
from ..messages import said
from ..solve.batch import Categorical
from ..solve.catalog_selectors import check_typed, entry_selectors, implied_selectors
from .cells import Locator
from .headers import Column
from .key_cells import Report, canonical_key

if TYPE_CHECKING:
    from ..solve.solver import Engine


def fill_selectors(engine: "Engine", columns: list[Column], keys: dict[str, Categorical],
                   empty: dict[str, np.ndarray], locator: Locator, report: Report, rows: int) -> None:
    """Add to `keys` (in place) the conventions the rows' catalog keys imply."""
    tables = engine.rules.tables
    sources = [name for name, column in keys.items() if name in tables and len(column.labels)
               and any(entry_selectors(tables[name], label) for label in column.labels)]
    if not sources or not rows:
        return
    selectors = sorted({s for name in sources for label in keys[name].labels
                        for s in entry_selectors(tables[name], label)})
    key_cell = {c.variable: c for c in columns if c.role == "key"}
    combos = np.stack([np.broadcast_to(keys[name].codes, (rows,)).astype(np.int64) for name in sources]
                      + [np.broadcast_to(keys[s].codes, (rows,)).astype(np.int64) if s in keys
                         else np.full(rows, -1, dtype=np.int64) for s in selectors], axis=1)
    unique, inverse = np.unique(combos, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    filled: dict[str, list[str | None]] = {s: [None] * len(unique) for s in selectors}
    for index, combo in enumerate(unique.tolist()):
        given = {name: keys[name].labels[code] for name, code in zip(sources, combo) if code >= 0}
        typed = {s: keys[s].labels[code] for s, code in zip(selectors, combo[len(sources):]) if code >= 0}
        try:
            implied = implied_selectors(given, tables)
            for selector, found in implied.items():
                check_typed(selector, found, typed.get(selector))
                if selector not in typed:
                    filled[selector][index] = canonical_key(engine, engine.rules.variables[selector], found[0])
        except EngineError as exc:
            bad = np.flatnonzero(inverse == index)
            where = key_cell.get(next(iter(given), ""))
            report(bad, [said(f"{locator.cell(where.index, where.header, r)}: " if where else f"row {r + 1}: ", exc)
                         for r in bad.tolist()])
    for selector in selectors:
        _merge(keys, empty, selector, filled[selector], inverse, rows)


def _merge(keys: dict[str, Categorical], empty: dict[str, np.ndarray], selector: str,
           filled: list, inverse: np.ndarray, rows: int) -> None:
    """The selector's column: typed cells as they are, empty ones with the implied value."""
    if all(value is None for value in filled):
        return
    typed = keys.get(selector)
    labels = list(typed.labels) if typed is not None else []
    codes = np.broadcast_to(typed.codes, (rows,)).astype(np.int64) if typed is not None \
        else np.full(rows, -1, dtype=np.int64)
    lookup = np.full(len(filled), -1, dtype=np.int64)
    for index, value in enumerate(filled):
        if value is not None:
            if value not in labels:
                labels.append(value)
            lookup[index] = labels.index(value)
    implied = lookup[inverse]
    codes = np.where(implied >= 0, implied, codes)
    keys[selector] = Categorical(codes, labels)
    empty[selector] = codes < 0
