"""Defaults that give way (issue #13 semantics, found under perf_model=analytic): a default on the
answer's path that fixes the answer and leaves a given to side values the rules also derive from the
defaults is dropped, so that the given shapes the answer (engine/solve/planning.py calls this on every
new plan)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import EngineError
from ..rules.model import Equation
from . import symbolic
from .ordering import Link, structural, trace

if TYPE_CHECKING:
    from .planning import Plan, Planner

def giving_way(planner: Planner, equations: list[Equation], order: list[Link], known: set[str],
               knowns: frozenset[str], targets: tuple[str, ...], selectors: dict[str, str], soft: tuple[str, ...],
               defaults: list[str], seconds: float) -> Plan | None:
    """The plan again without a default of the answer's path, when that default fixes the answer and
    leaves a given to side values that the defaults' own rules determine too.

    n_gpus for train_time = 60 d with global_batch = 1,024 under perf_model=analytic: grad_accum = 1 (a
    default) fixes dp = 1,024 and n_gpus = 32,768 whatever the time, the time only derives mfu = 0.005,
    and the analytic rules predict the same mfu from the layout: the given is over-determined and the
    answer ignores it. Defaults of rank > 0 give way (highest first: grad_accum, then micro_batch, as
    `default_rank` says); the first plan in which the given shapes the answer is taken, each built within
    its own `seconds` of sympy work (a cold cache must not decide the answer). None: keep the plan."""
    needed = trace(order, targets)
    off_path = set(knowns) - needed - planner.catalog_fields   # (typed values: a GPU's figures are no question)
    ranks = {n: planner.rules.variables[n].default_rank for n in defaults}
    yielding = sorted((n for n in defaults if ranks[n] > 0 and n in needed), key=lambda n: -ranks[n])
    if not off_path or not yielding:
        return None
    used = {eq.id for link in order for eq in link.eqs}
    rest = [eq for eq in equations if eq.id not in used]
    trial = set(known) | set(soft)
    extra = structural(rest, trial, forward_only=planner.defined & set(soft))
    tainted = set(off_path)
    for link in order + extra:
        if {v for eq in link.eqs for v in eq.variables} - set(link.names) & tainted:
            tainted |= set(link.names)
    closed = {eq.id for link in extra for eq in link.eqs}
    if not any(eq.variables <= trial and eq.variables & (tainted - off_path) for eq in rest
               if eq.id not in closed):
        return None
    for name in yielding:
        try:
            with symbolic.fresh_budget(seconds):
                plan = planner.plan(knowns, targets, selectors, tuple(n for n in soft if n != name))
        except EngineError:
            continue
        if off_path & plan.needed:
            return plan
    return None
