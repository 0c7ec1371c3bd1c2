"""A trial plan: whether the planner reaches some targets from some knowns, without the message of a refusal.

The search for what is missing (engine/solve/suggestions.py) first asks the structural reach, which is cheap and
optimistic (it takes defaults a plan would not: perf_model=analytic "reaches" a GPU count through micro-batch
defaults the planner never lets decide it); a suggestion is made only where a real plan confirms it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..errors import EngineError, UnderdeterminedError

if TYPE_CHECKING:
    from .planning import Planner


def plan_answers(self: Planner, knowns: frozenset[str], targets: tuple[str, ...], selectors: dict[str, str],
                 soft: Iterable[str]) -> bool:
    """Whether a plan reaches the targets from these knowns: a trial, whose refusal builds no message (the
    structural reach is cheaper, and optimistic: it takes defaults a plan would not)."""
    probing, self.probing = self.probing, True
    try:
        self.plan(knowns, targets, selectors, tuple(soft))
    except UnderdeterminedError:
        return False
    except EngineError:
        return True   # (reached, and refused for another reason: a contradiction of the trial's knowns)
    finally:
        self.probing = probing
    return True
