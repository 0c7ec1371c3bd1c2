"""The rule set as loaded: variables, equations, checks and lookup tables.

Frozen dataclasses; every record keeps `where` ("file:line") so any later
error can point back at the YAML that caused it. Numbers inside are held in
base units (see engine/rules/units.py); `unit` is what users read and type.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .expr import Tree
from .schema import DOMAINS, ROUNDINGS, Domain, Role, Rounding, Severity
from .units import Dims

__all__ = ["DOMAINS", "ROUNDINGS", "Check", "ConditionalDefault", "Entry", "Equation", "RuleSet", "Table", "Variable"]


@dataclass(frozen=True)
class ConditionalDefault:
    """A categorical default that follows other conventions (a variable's `default_when:`): a fine-tune
    recomputes activations because its frameworks turn gradient checkpointing on, a pretraining run
    keeps the seed's none. It holds when every selector in `when` has one of its values."""

    when: tuple[tuple[str, tuple[str, ...]], ...]   # (selector, its values that hold)
    value: str
    source: str
    where: str
    case: str = ""   # the condition in words, shown beside the default ("a LoRA, QLoRA or freeze fine-tune")

    def holds(self, chosen: "Mapping[str, str]") -> bool:
        return all(chosen.get(selector) in allowed for selector, allowed in self.when)


@dataclass(frozen=True)
class Variable:
    name: str
    unit: str                      # declared unit: plain numbers typed by users are in it
    factor: float                  # declared unit -> base units
    dims: Dims
    domain: Domain
    en: str
    zh: str
    where: str
    rounding: Rounding = "up"
    role: Role = ""                # "budget" (upper) or "floor" (lower limit): recomputed when an integer
                                   # answer is rounded, and kept by it; "plan": what is trained (method)
    values: tuple[str, ...] = ()   # categorical: allowed keys
    default: Any = None            # base units (numeric) or a key (categorical)
    default_source: str = ""
    typical: tuple[float, float] | None = None   # informative band, base units
    typical_source: str = ""
    tags: tuple[str, ...] = ()     # what it stands for in reports (engine/rules/schema.py TAGS)
    default_rank: int = 0          # higher: this default gives way first (the rules derive it)
    neutral: float | None = None   # the do-nothing value, base units (tp = 1: no tensor parallelism)
    default_when: tuple[ConditionalDefault, ...] = ()   # categorical: the first that holds replaces `default`

    @property
    def categorical(self) -> bool:
        return self.domain == "categorical"

    def default_for(self, chosen: Mapping[str, str]) -> tuple[Any, str]:
        """(the default, its source) under the conventions `chosen` (selector -> key; a row's typed and
        default keys alike): the first `default_when` that holds, else `default`."""
        conditional = self.conditional_default(chosen)
        if conditional is None:
            return self.default, self.default_source
        return conditional.value, f"default for {conditional.case}: {conditional.source}" if conditional.case \
            else conditional.source

    def conditional_default(self, chosen: Mapping[str, str]) -> "ConditionalDefault | None":
        """The first `default_when` entry that holds under `chosen`, or None."""
        return next((c for c in self.default_when if c.holds(chosen)), None)

    @property
    def limit(self) -> bool:
        """A budget or a floor: a given a rounded whole-number answer must keep, not an exact value."""
        return self.role in ("budget", "floor")

    def label(self, lang: str = "en") -> str:
        return (self.zh if lang == "zh" and self.zh else self.en) or self.name


@dataclass(frozen=True)
class Equation:
    id: str
    text: str
    lhs: Tree
    rhs: Tree
    variables: frozenset[str]
    source: str
    where: str
    en: str = ""
    zh: str = ""
    notes: str = ""
    variant: tuple[tuple[str, tuple[str, ...]], ...] = ()   # (selector, allowed values)
    tolerance: float = 1e-6
    area: str = ""

    def active(self, selectors: dict[str, str]) -> bool:
        """Whether this equation applies under the chosen conventions."""
        return all(selectors.get(sel) in allowed for sel, allowed in self.variant)

    def label(self, lang: str = "en") -> str:
        return (self.zh if lang == "zh" and self.zh else self.en) or self.id


@dataclass(frozen=True)
class Check:
    id: str
    text: str
    condition: Tree
    variables: frozenset[str]
    severity: Severity
    en: str
    zh: str
    source: str
    where: str
    # broader checks this one says more precisely (the weights alone do not fit, beside "does not fit"):
    # in the rows where this one fires, they are left out
    replaces: tuple[str, ...] = ()
    # names whose default the advice is about ("give packing=off"): quiet where the user gave one
    unless_given: tuple[str, ...] = ()

    def message(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" and self.zh else self.en


@dataclass(frozen=True)
class Entry:
    key: str
    values: dict[str, float]       # variable -> base-unit value
    source: str
    where: str
    name: str = ""
    aliases: tuple[str, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)
    written: dict[str, Any] = field(default_factory=dict)   # as written in the file (for display)


@dataclass(frozen=True)
class Table:
    """Keys of a categorical variable -> values of other variables (a catalog or a convention)."""

    variable: str
    fields: dict[str, str]         # variable -> unit the entries are written in
    entries: dict[str, Entry]
    where: str
    en: str = ""
    zh: str = ""

    def resolve(self, key: str) -> Entry | None:
        """Entry for a key or alias, case-insensitively."""
        if key in self.entries:
            return self.entries[key]
        folded = key.strip().casefold()
        for entry in self.entries.values():
            if entry.key.casefold() == folded or folded in (a.casefold() for a in entry.aliases):
                return entry
        return None


@dataclass
class RuleSet:
    variables: dict[str, Variable]
    equations: list[Equation]
    checks: list[Check]
    tables: dict[str, Table]
    files: list[str]
    digest: str = ""

    @property
    def selectors(self) -> set[str]:
        """Categorical variables that switch equations on and off (named conventions)."""
        return {sel for eq in self.equations for sel, _ in eq.variant}

    def tagged(self, tag: str) -> str | None:
        """The variable carrying `tag` (engine/rules/schema.py TAGS), or None if no rule declares one."""
        return next((v.name for v in self.variables.values() if tag in v.tags), None)

    def equation(self, eq_id: str) -> Equation:
        for eq in self.equations:
            if eq.id == eq_id:
                return eq
        raise KeyError(eq_id)
