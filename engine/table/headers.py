"""Header grammar of a scenario table: a header -> the variable and unit it names, or a role.

A header is a variable name, optionally with a unit: `train_time [days]`, `params [B]`,
`mfu [%]` (or `train_time (days)`). `solve` names the targets of a row, `name` names the row;
other columns pass through untouched (with a note when the name looks like a typo).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ScenarioError, ValueParseError
from ..messages import Caught, Nested, keyed, said_text
from ..rules.model import Variable
from ..text.values import parse_number
from .cells import Locator

if TYPE_CHECKING:
    from ..solve.solver import Engine

RESERVED = {"solve": "solve", "name": "name", "assumptions": "output", "warnings": "output", "error": "output",
            "config": "config", "config_origins": "output"}   # config: a training config per row (issue #17)
QUIET = {"notes", "note", "comment", "comments", "description", "id", "scenario", "group", "owner", "source", "area",
         "category", "tag", "tags"}
_HEADER = re.compile(r"^\s*(.*?)\s*(?:\[\s*([^\]]*?)\s*\])?\s*$", re.S)
_PAREN = re.compile(r"^(.*?)\s*\(\s*([^()]*?)\s*\)$")
_TARGET_SPLIT = re.compile(r"[\s,;，；]+")


@dataclass
class Column:
    index: int
    header: str                  # the header cell as written
    role: str                    # number | key | solve | name | text | output
    variable: str = ""
    unit: str = ""               # unit written in the header ("" = none)
    factor: float = 1.0          # header unit -> base units
    field: str = ""              # the DataFrame column (unique; a repeated header gets a suffix)

    def unit_text(self, variable: Variable) -> str:
        return self.unit or variable.unit


NAMED_UNKNOWN = 20      # unknown columns named one by one (with a did-you-mean); the rest are counted
MAX_HINT_CHARS = 64     # difflib is quadratic in the length: a 30,000-character header gets no slower


def classify(engine: "Engine", headers: list[str], locator: Locator, fields: list[str] | None = None
             ) -> tuple[list[Column], list[str]]:
    """One Column per header; `fields` are the DataFrame's column names when they differ from the headers."""
    columns, notes = _classify(engine, [("" if h is None else str(h)) for h in headers], locator)
    for column, name in zip(columns, fields or list(headers)):
        column.field = name
    return columns, notes


def _classify(engine: "Engine", headers: list[str], locator: Locator) -> tuple[list[Column], list[str]]:
    classifier = _Classifier(engine.rules.variables, locator)
    for index, header in enumerate(headers):
        classifier.add(index, header)
    if classifier.unknown > NAMED_UNKNOWN:
        classifier.notes.append(said_text("table.more_unknown", where=locator.label,
                                          count=classifier.unknown - NAMED_UNKNOWN))
    return classifier.columns, classifier.notes


class _Classifier:
    """Headers read left to right: each becomes a column; the first of each role/variable is remembered
    so a second one is refused naming both cells."""

    def __init__(self, variables: dict[str, Variable], locator: Locator) -> None:
        self.variables, self.locator = variables, locator
        self.columns: list[Column] = []
        self.notes: list[str] = []
        self.seen: dict[str, Column] = {}
        self.unknown = 0

    def add(self, index: int, header: str) -> None:
        name, unit = self._name_and_unit(str(header))
        key = name.casefold().replace(" ", "_")
        where = self.locator.header_cell(index, header)
        if key in RESERVED and not unit:
            self.columns.append(self._reserved(index, header, key, where))
            return
        variable = self.variables.get(name) or self.variables.get(key)
        if variable is None:
            self.columns.append(Column(index, header, "text"))
            if key not in QUIET and not str(header).startswith("__UNNAMED__"):
                self._note_unknown(header, key, where)
            return
        if variable.name in self.seen:
            first = self.seen[variable.name]
            raise keyed(ScenarioError, "table.two_columns", where=where, name=variable.name, first=first.header,
                        first_cell=self.locator.header_cell(first.index, first.header), header=header)
        if variable.categorical:
            if unit:
                self.notes.append(said_text("table.key_unit_ignored", where=where, name=variable.name, unit=unit))
            column = Column(index, header, "key", variable.name)
        else:
            column = Column(index, header, "number", variable.name, unit, _unit_factor(variable, unit, where))
        self.seen[variable.name] = column
        self.columns.append(column)

    def _name_and_unit(self, header: str) -> tuple[str, str]:
        match = _HEADER.match(header)
        name, unit = (match.group(1), match.group(2) or "") if match else (header, "")
        paren = _PAREN.match(name) if not unit else None
        if paren and (paren.group(1) in self.variables or paren.group(1).casefold() in self.variables):
            return paren.group(1), paren.group(2)      # `train_time (days)` reads like [days]
        return name, unit

    def _reserved(self, index: int, header: str, key: str, where: str) -> Column:
        role = RESERVED[key]
        if role in ("solve", "name") and role in self.seen:
            first = self.seen[role]
            raise keyed(ScenarioError, "table.second_column", where=where, role=role,
                        first=self.locator.header_cell(first.index, first.header))
        column = Column(index, header, role)
        self.seen.setdefault(role, column)
        if role == "output":
            self.notes.append(said_text("table.output_replaced", where=where, header=header, key=key))
        return column

    def _note_unknown(self, header: str, key: str, where: str) -> None:
        self.unknown += 1
        if self.unknown > NAMED_UNKNOWN:   # a 16,384-column sheet: one note, not 16,384 fuzzy searches
            return
        close = difflib.get_close_matches(key[:MAX_HINT_CHARS], list(self.variables), n=3)
        hint = Nested("table.column_hint", names=", ".join(close)) if close else Nested()
        self.notes.append(said_text("table.unknown_column", where=where, header=header, hint=hint))


def _unit_factor(variable: Variable, unit: str, where: str) -> float:
    if not unit:
        return variable.factor
    try:
        return parse_number(variable, f"1 {unit}")
    except ValueParseError as exc:
        raise keyed(ScenarioError, "table.header_unit", where=where, unit=unit, problem=Caught(exc)) from None


def parse_targets(engine: "Engine", text: str) -> tuple[str, ...]:
    """`n_gpus, train_cost` -> ("n_gpus", "train_cost"); ValueParseError naming a bad name."""
    names = [n for n in _TARGET_SPLIT.split(text.strip()) if n]
    out = []
    for name in names:
        variable = engine.variable(name)
        if variable.categorical:
            raise keyed(ValueParseError, "values.categorical_given", name=name)
        out.append(variable.name)
    return tuple(dict.fromkeys(out))
