"""Defaults that give way (issue #13 semantics, found under perf_model=analytic): a default on the
answer's path that fixes the answer and leaves a given to side values the rules also derive from the
defaults is dropped, so that the given shapes the answer (engine/solve/planning.py calls this on every
new plan). And typed limits none of which is on the answer's path, while such defaults fix the answer, are
read by the plan without them, or the question is refused with what reading them needs (`unread_limit`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import EngineError, UnderdeterminedError
from ..messages import Caught, rekeyed
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
    its own `seconds` of sympy work (a cold cache must not decide the answer). Not where the defaults that
    give way before those of the path (grad_accum, off it) are what over-determines the given: the side values
    derive them, and the path keeps its own (micro_batch = 1). None: keep the plan."""
    needed = trace(order, targets)
    off_path = set(knowns) - needed - planner.catalog_fields   # (typed values: a GPU's figures are no question)
    ranks = {n: planner.rules.variables[n].default_rank for n in defaults}
    yielding = sorted((n for n in defaults if ranks[n] > 0 and n in needed), key=lambda n: -ranks[n])
    if not off_path or not yielding:
        return None
    used = {eq.id for link in order for eq in link.eqs}
    rest = [eq for eq in equations if eq.id not in used]
    trial = set(known) | set(soft)
    if not _overdetermined(planner, order, rest, trial, off_path, soft):
        return None
    # (unless the defaults that give way before those of the path, not assumed, leave nothing over-determined: the
    # side values derive them. global_batch beside a LoRA's time gives grad_accum = 8 at micro_batch = 1, not
    # micro_batch = 8 with grad_accum = 1, whose padding would then shape the time)
    later = {n for n in soft if n not in known and planner.rules.variables[n].default_rank > ranks[yielding[0]]}
    if later and not _overdetermined(planner, order, rest, trial - later, off_path, soft):
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


def _overdetermined(planner: Planner, order: list[Link], rest: list[Equation], trial: set[str], off_path: set[str],
                    soft: tuple[str, ...]) -> bool:
    """Whether a rule off the plan is over-determined by values the off-path givens feed, with `trial` known."""
    reached = set(trial)   # (structural adds what it derives)
    extra = structural(rest, reached, forward_only=planner.defined & set(soft))
    tainted = set(off_path)
    for link in order + extra:
        if {v for eq in link.eqs for v in eq.variables} - set(link.names) & tainted:
            tainted |= set(link.names)
    closed = {eq.id for link in extra for eq in link.eqs}
    return any(eq.variables <= reached and eq.variables & (tainted - off_path) for eq in rest if eq.id not in closed)


def unread_limit(planner: Planner, knowns: frozenset[str], targets: tuple[str, ...], selectors: dict[str, str],
                 offered: tuple[str, ...], defaults: list[str], needed: set[str]) -> Plan | None:
    """Typed limits (a deadline) of which none is on the answer's path, where defaults of rank > 0 on it
    fix the answer: n_gpus = global_batch / (micro_batch · grad_accum) = 64 with micro_batch = grad_accum = 1,
    whatever train_time = 3 d says, when an unpacked fine-tune's step needs the samples' mean length to be timed.
    The plan without those defaults is taken if its path reads a limit; if it cannot answer, the question is refused
    with what it lacks (tokens_per_sample), not answered as if the limit had not been given. None: keep the plan.
    (A side value may still read the limit, gpu_hours from train_time: that is no use of it for the answer.)"""
    variables = planner.rules.variables
    limits = [n for n in knowns if variables[n].limit and n not in targets]
    unread = sorted(n for n in limits if n not in needed)
    if len(unread) < len(limits):
        return None   # (one limit shapes the answer; the others are kept by engine/solve/several_limits.py)
    yielding = [n for n in defaults if variables[n].default_rank > 0 and n in needed]
    if not unread or not yielding:
        return None
    try:
        plan = planner.plan(knowns, targets, selectors, tuple(n for n in offered if n not in yielding))
    except UnderdeterminedError:
        plan = None
    if plan is not None:
        return plan if set(unread) & plan.needed else None
    try:   # (what the rules lack to tie the limit to the answer: the limit asked with the answer known)
        planner.plan((knowns - {unread[0]}) | set(targets), (unread[0],), selectors, offered)
    except UnderdeterminedError as lacking:
        raise rekeyed(lacking, "planner.limit_unread", limits=", ".join(unread), target=", ".join(targets),
                      defaults=", ".join(yielding), detail=Caught(lacking)) from None
    return None
