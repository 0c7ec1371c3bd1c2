"""Breakdowns: a total the rules build as a sum of named parts (issue #15 item 6, issue #16's
`step_time = compute_time + tp_comm_exposed_time + pp_bubble_time + dp_comm_exposed_time + ...`).

Found from the rules themselves, no names in code: an equation `total = a + b + c ...` with at least
three parts, every part of the total's dimension, all evaluated for the question. The terminal
prints one line per breakdown, the report draws a stacked bar; parts that are zero are left out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..rules.model import Equation, RuleSet
    from ..solve.solver import Result

MIN_PARTS = 3


@dataclass(frozen=True)
class Breakdown:
    total: str
    value: float                          # base units
    parts: tuple[tuple[str, float], ...]  # (variable, base-unit value), non-zero, in the rule's order
    rule: str                             # equation id


def sum_parts(eq: Equation, rules: RuleSet) -> tuple[str, tuple[str, ...]] | None:
    """(total, parts) when the equation is `total = part + part + part ...` in one dimension."""
    if eq.lhs[0] != "var" or eq.rhs[0] != "add":
        return None
    terms = _terms(eq.rhs)
    if len(terms) < MIN_PARTS or any(t[0] != "var" for t in terms):
        return None
    total = eq.lhs[1]
    parts = tuple(t[1] for t in terms)
    dims = rules.variables[total].dims
    if not dims or any(rules.variables[p].dims != dims for p in parts):
        return None
    return total, parts


def _terms(tree: tuple) -> list[tuple]:
    """a + (b + c) -> [a, b, c] (the parser nests sums)."""
    if tree[0] != "add":
        return [tree]
    return [t for child in tree[1] for t in _terms(child)]


def breakdowns(result: Result) -> list[Breakdown]:
    """The sum rules the question evaluated (total and every part known), totals asked for first."""
    out = []
    values = result.values
    for eq in result.rules.equations:
        found = sum_parts(eq, result.rules)
        if found is None:
            continue
        total, parts = found
        if total not in values or not all(p in values for p in parts):
            continue
        if not (_used(eq, result) or _holds(values[total], [values[p] for p in parts])):
            continue
        shown = tuple((p, values[p]) for p in parts if values[p] != 0)
        if shown:
            out.append(Breakdown(total, values[total], shown, eq.id))
    out.sort(key=lambda b: b.total not in result.targets)
    return out


def _used(eq: Equation, result: Result) -> bool:
    """The equation took part in this answer (a derivation step or a check of it)."""
    return any(eq is e or eq.id == e.id for step in result.derivation for e in step.equations) or \
        any(eq.id == e.id for e in result.checks)


def _holds(total: float, parts: list[float]) -> bool:
    """The sum holds for the answer's values: after integers are rounded (layers sketched from params)
    the re-solved answer may reach the total through the same rule's other form (step_time_links),
    and the derivation then lists that one; the parts are still the step's parts."""
    return total > 0 and abs(sum(parts) - total) <= 1e-6 * abs(total)
