"""What the batch solver hands back: the solved columns (`Batch`), the groups of rows that shared a
plan (`Group`), the status code of every cell, and the array types the batch modules pass around."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import numpy as np
import numpy.typing as npt

from ..errors import EngineError, ValueParseError
from .columns import Columns
from .keys import CATALOG, GIVEN, NONE, Categorical
from .mismatch import RuleMismatch
from .planning import Plan
from .rowset import Every

__all__ = ["CATALOG", "DEFAULT", "DERIVED", "GIVEN", "NONE", "RECOMPUTED", "SOLVED", "STATUS_NAMES",
           "Batch", "Group", "ErrorKind", "FloatColumn", "Mask", "Rows", "Value"]

FloatColumn = npt.NDArray[np.float64]           # one number per row (NaN: unknown)
Mask = npt.NDArray[np.bool_]                    # one flag per row
Value = Union[FloatColumn, float]               # a column, or one number for every row
Rows = Union[npt.NDArray[np.intp], Every]       # a group's row positions (Every: all rows)
ErrorKind = Union[type, EngineError]            # a row error's class, or the exception itself

# status codes per cell (0..2, NONE/GIVEN/CATALOG, live in engine/solve/keys.py)
DEFAULT, SOLVED, DERIVED, RECOMPUTED = 3, 4, 5, 6
STATUS_NAMES = ("", "given", "catalog", "default", "solved", "derived", "recomputed")


@dataclass
class Group:
    """Rows sharing one plan. `rows`: their indices (for a group of every row, made when first read)."""

    index: Rows
    plan: Plan | None
    rounded: list[str] = field(default_factory=list)
    replan: Plan | None = None     # plan after integer answers were rounded
    admitted: set[str] = field(default_factory=set)   # what the admissibility checks of its rounding read
    error: str = ""                # planning error shared by every row of the group
    # a count answered by its first whole value, its root lying below (engine/solve/first_whole.py): name -> (positions
    # in the group's rows, the error they get if that breaks a limit after all, the typed limits that must hold)
    below_first: dict[str, tuple[np.ndarray, str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def rows(self) -> npt.NDArray[np.intp]:
        if isinstance(self.index, Every):
            self.index = np.asarray(self.index)
        return self.index


@dataclass
class Batch:
    """Solved columns. `errors` (object: str or None) and `error_kinds` (object: EngineError subclass
    or instance, or None) are made on first use; `failed` (bool per row) says the same at once.
    Columns may be read-only (broadcast views, the caller's arrays): copy before writing."""

    rows: int
    values: Columns
    keys: dict[str, Categorical]
    status: dict[str, np.ndarray]
    warnings: list[tuple[str, Mask]]                    # (check id, row mask)
    groups: list[Group]
    targets: list[tuple[str, ...]]
    row_targets: np.ndarray                             # code into targets
    unrounded: dict[str, FloatColumn] = field(default_factory=dict)   # values before rounding/recomputing
    typed: dict[str, Mask] = field(default_factory=dict)       # key columns: typed by the user (not default)
    mismatches: list[RuleMismatch] = field(default_factory=list)  # approximate eq, gap per row
    notes: list[tuple[str, str, Mask]] = field(default_factory=list)   # (code, message, row mask)
    # row -> (whole-number answer no whole value of which fits, its exact value, the values behind it):
    # what engine/solve/whole_options.py searches for values that would work
    not_whole: dict[int, tuple[str, float, tuple[str, ...]]] = field(default_factory=dict)
    failed: Mask = field(default_factory=lambda: np.zeros(0, dtype=bool))   # bool per row: has an error
    owned: set[str] = field(default_factory=set)        # value arrays allocated here (safe to write into)
    row_group: np.ndarray | None = field(default=None, repr=False)   # row -> position in groups (group_of)
    given_errors: np.ndarray | None = field(default=None, repr=False)   # the caller's (never written into)
    _errors: np.ndarray | None = field(default=None, init=False, repr=False)
    _kinds: np.ndarray | None = field(default=None, init=False, repr=False)

    @property
    def errors(self) -> np.ndarray:
        """Per row: the error message, or None."""
        if self._errors is None:
            self._errors = np.full(self.rows, None, dtype=object) if self.given_errors is None else \
                np.array(self.given_errors, dtype=object)
        return self._errors

    @property
    def error_kinds(self) -> np.ndarray:
        """Per row: the EngineError subclass (or instance) of the error, or None."""
        if self._kinds is None:
            self._kinds = np.full(self.rows, None, dtype=object)
            if self.given_errors is not None:
                self._kinds[has_error(self.given_errors)] = ValueParseError
        return self._kinds

    def fail(self, mask: Mask, message: str, kind: ErrorKind) -> None:
        """Rows of `mask` get this error unless they already have one (the first error is the cause)."""
        fresh = mask & ~self.failed
        if not fresh.any():
            return
        errors, kinds = self.errors, self.error_kinds
        errors[fresh] = message
        kinds[fresh] = kind
        self.failed = self.failed | fresh

    def fail_each(self, rows: npt.NDArray[np.intp], messages: list[str], kind: ErrorKind) -> None:
        """Row rows[k] gets messages[k] unless it already has an error: one pass over the rows told,
        not one mask over the whole batch per row (a sweep may refuse most of its 100,000 rows)."""
        if not len(rows):
            return
        fresh = ~self.failed[rows]
        chosen = rows[fresh]
        told = np.empty(len(messages), dtype=object)
        told[:] = messages
        self.errors[chosen] = told[fresh]
        self.error_kinds[chosen] = kind
        failed = self.failed.copy()
        failed[chosen] = True
        self.failed = failed

    def group_of(self, row: int) -> Group | None:
        """The group a row was planned in (None: it failed before planning). One index for all rows,
        built on first use, so asking for many rows costs no scan per row."""
        position = int(self.group_index()[row])
        return self.groups[position] if position >= 0 else None

    def group_index(self) -> np.ndarray:
        """Per row: the position of its group in `groups` (-1: it failed before planning)."""
        if self.row_group is None:
            index = np.full(self.rows, -1, dtype=np.int64)
            for position, group in enumerate(self.groups):
                index[group.rows] = position
            self.row_group = index
        return self.row_group


_NO_ERROR = np.array(None, dtype=object)


def has_error(errors: np.ndarray) -> Mask:
    """Per row of an object column of messages: whether it holds one (is not None)."""
    return np.not_equal(errors, _NO_ERROR).astype(bool)


def keep(store: dict[str, FloatColumn], name: str, rows: Rows, col: Value, total: int) -> None:
    """Record a group's values of `name` (the whole column at once when the group is every row)."""
    if len(rows) == total and name not in store:
        store[name] = np.broadcast_to(col, (total,)) if np.ndim(col) == 0 else np.asarray(col)
        return
    index = np.asarray(rows)
    target = store.get(name)
    if target is None or not target.flags.writeable:
        target = store[name] = np.full(total, np.nan) if target is None else target.copy()
    target[index] = col
