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
    variables = engine.rules.variables
    columns: list[Column] = []
    notes: list[str] = []
    seen: dict[str, Column] = {}
    unknown = 0
    for index, header in enumerate(headers):
        match = _HEADER.match(str(header))
        name, unit = (match.group(1), match.group(2) or "") if match else (str(header), "")
        paren = _PAREN.match(name) if not unit else None
        if paren and (paren.group(1) in variables or paren.group(1).casefold() in variables):
            name, unit = paren.group(1), paren.group(2)      # `train_time (days)` reads like [days]
        key = name.casefold().replace(" ", "_")
        where = locator.header_cell(index, header)
        if key in RESERVED and not unit:
            role = RESERVED[key]
            if role in ("solve", "name") and role in seen:
                raise ScenarioError(f"{where}: a second {role!r} column (first: "
                                    f"{locator.header_cell(seen[role].index, seen[role].header)}); keep one")
            column = Column(index, header, role)
            seen.setdefault(role, column)
            if role == "output":
                notes.append(f"{where}: column {header!r} from an earlier run is replaced by this run's {key}")
            columns.append(column)
            continue
        variable = variables.get(name) or variables.get(key)
        if variable is None:
            columns.append(Column(index, header, "text"))
            if key not in QUIET and not str(header).startswith("__UNNAMED__"):
                unknown += 1
                if unknown > NAMED_UNKNOWN:   # a 16,384-column sheet: one note, not 16,384 fuzzy searches
                    continue
                close = difflib.get_close_matches(key[:MAX_HINT_CHARS], list(variables), n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                notes.append(f"{where}: column {header!r} is not a variable llmplan knows{hint}; "
                             "passed through unchanged")
            continue
        if variable.name in seen:
            first = seen[variable.name]
            raise ScenarioError(f"{where}: {variable.name} is given by two columns ({first.header!r} at "
                                f"{locator.header_cell(first.index, first.header)} and {header!r}); keep one")
        if variable.categorical:
            if unit:
                notes.append(f"{where}: {variable.name} is a catalog key or convention; unit [{unit}] ignored")
            column = Column(index, header, "key", variable.name)
        else:
            column = Column(index, header, "number", variable.name, unit, _unit_factor(variable, unit, where))
        seen[variable.name] = column
        columns.append(column)
    if unknown > NAMED_UNKNOWN:
        notes.append(f"{locator.label}: {unknown - NAMED_UNKNOWN:,} more columns are not variables llmplan knows; "
                     "passed through unchanged")
    return columns, notes


def _unit_factor(variable: Variable, unit: str, where: str) -> float:
    if not unit:
        return variable.factor
    try:
        return parse_number(variable, f"1 {unit}")
    except ValueParseError as exc:
        raise ScenarioError(f"{where}: header unit [{unit}]: {exc}") from None


def parse_targets(engine: "Engine", text: str) -> tuple[str, ...]:
    """`n_gpus, train_cost` -> ("n_gpus", "train_cost"); ValueParseError naming a bad name."""
    names = [n for n in _TARGET_SPLIT.split(text.strip()) if n]
    out = []
    for name in names:
        variable = engine.variable(name)
        if variable.categorical:
            raise ValueParseError(f"{name} is a catalog key or convention; it is given, not solved")
        out.append(variable.name)
    return tuple(dict.fromkeys(out))
