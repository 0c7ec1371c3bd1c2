"""Which of the rule files' checks fire over a group's values: the cause a refusal names first.

A refused value (dp = 7.5 is no whole number, a root outside the domain) is best told by the check
that fires beside it (a layout that cannot run), rather than by the rule that failed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np

from ..messages import Both
from ..rules.expr import Tree
from ..rules.model import Check, Variable
from ..text.formatting import fill_values

if TYPE_CHECKING:
    from .evaluation import Env, StepEvaluation


class FiredChecks:
    """The rule files' warning checks over a group's values, evaluated once, asked per refused row."""

    def __init__(self, evaluation: StepEvaluation, env: Env, n: int, upstream: set[str]) -> None:
        self.rules, self.env, self.n = evaluation.rules, env, n
        # (only checks on values the refused one is computed from)
        self.fired = fired_checks(evaluation, env, n, lambda c: c.severity != "info" and bool(c.variables & upstream))

    def at(self, i: int) -> tuple[Both, bool] | None:
        """The most direct check that fires in row i, in both languages, and whether it refuses the row
        by itself (a layout that cannot run, dp < 1: then it leads the message); None: none fires. A
        refusing check first, then a plain bound on one value (dp < 1) before a derived test (dp not
        whole), fewer values first."""
        fired = [check for check, rows in self.fired if rows[i]]
        replaced = {r for check in fired for r in check.replaces}   # (the precise one stands in, as in the warnings)
        fired = [check for check in fired if check.id not in replaced]
        if not fired:
            return None
        check = min(fired, key=lambda c: (c.severity != "error", not _is_bound(c.condition), len(c.variables)))
        return said_check(check, self.rules.variables, lambda name: float(
            np.broadcast_to(np.asarray(self.env[name], dtype=float), (self.n,))[i]) if name in self.env else None), \
            check.severity == "error"


def said_check(check: Check, variables: Mapping[str, Variable], value_of: Callable[[str], "float | None"]) -> Both:
    """"check.id: its message" with its {name} placeholders filled, in both languages."""
    return Both(*(f"{check.id}{colon}{fill_values(check.message(lang), variables, value_of)}"
                  for lang, colon in (("en", ": "), ("zh", "："))))


def fired_checks(evaluation: StepEvaluation, env: Env, n: int, wanted: Callable[[Check], bool]
                 ) -> list[tuple[Check, np.ndarray]]:
    """The rule files' checks `wanted` whose values are all in `env` and that fire in some of its n rows,
    each with the rows it fires in."""
    fired = []
    for check in evaluation.rules.checks:
        if not wanted(check) or not all(v in env for v in check.variables):
            continue
        with np.errstate(all="ignore"):
            rows = np.broadcast_to(np.asarray(evaluation._compile(check.condition)(env), dtype=bool), (n,))
        if rows.any():
            fired.append((check, rows))
    return fired


def _is_bound(condition: Tree) -> bool:
    """A condition that compares one value with a number (dp < 1, mfu > 0.55)."""
    if condition[0] != "cmp":
        return False
    sides = {condition[2][0], condition[3][0]}
    return sides == {"var", "num"}
