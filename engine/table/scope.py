"""Which warnings a person should read for one answered question (issue #15: warnings that mean
something). The solver reports every fired check and overridden default; this keeps those that say
something about *this* question:

* "X follows from the values given, not from its default" only where the default was a real
  assumption of the question: never for a target (the user asked for it), never for a figure that
  follows from the architecture (queries_per_kv = heads / kv_heads on a GQA model: the default 1
  describes multi-head attention, not the user's question);
* an advisory whose values all come from a catalog entry (a tokenizer's measured characters per
  token outside the seed's band) is about the catalog, not the question: left out.

Pretraining-only notes are scoped in the rule files themselves (a check's `when`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..rules.model import RuleSet
    from ..solve.solver import Result, Warning_

ARCHITECTURE_AREA = "architecture"      # equations of formulas/architecture.yaml (area = file name)
ARCHITECTURE_TABLE = "model"            # the model catalog: its fields are architecture figures
OVERRIDDEN = "default_overridden."


def architectural(name: str, rules: RuleSet) -> bool:
    """A figure that follows from a model's architecture (a model catalog field, or a variable of an
    architecture rule)."""
    table = rules.tables.get(ARCHITECTURE_TABLE)
    if table is not None and name in table.fields:
        return True
    return any(eq.area == ARCHITECTURE_AREA and name in eq.variables for eq in rules.equations)


def meaningful(warning: Warning_, result: Result) -> bool:
    """Whether this warning says something about the question asked."""
    rules = result.rules
    if warning.code.startswith(OVERRIDDEN):
        name = warning.code[len(OVERRIDDEN):]
        return name not in result.targets and not architectural(name, rules)
    check = next((c for c in rules.checks if c.id == warning.code), None)
    if check is not None and check.variables:
        return not all(result.status.get(n) == "catalog" for n in check.variables)
    return True


def shown_warnings(result: Result, brief: bool = False) -> list[Warning_]:
    """The warnings worth reading; brief=True also drops the rounding note the answer line repeats."""
    return [w for w in result.warnings if meaningful(w, result) and not (brief and w.code == "rounded")]
