"""Values every plan computes when it can, whatever was asked: whether the layout fits in GPU memory, and
whether it runs at all (the data-parallel replicas dp = n_gpus / (tp · pp)).

A question about a layout (the GPUs for a deadline with perf_model=analytic, the time of 70B on one GPU
at a given mfu) was answered without a word when the run does not fit: the memory is a side value that
needs a default or two the answer itself does not (logit_bytes, micro_batch), so the plan never
computed it and `parallelism.does_not_fit` could not fire. Likewise 60 GPUs with tp = 8 were timed at a
given mfu, dp = 7.5 being off the 6·N·D path. A plan now also derives the watched values when the rules
reach them, with the defaults they need as side assumptions. The links come after the plan's consistency
checks, so they never change how the answer is computed or what it is checked against; what they add is
the checks on the layout they compute: its warnings (does not fit), its refusals (dp not whole) and the
admissible whole numbers (n_gpus for a deadline with tp = 8 moves to a multiple of 8)
(engine/solve/planning.py calls this on every new plan)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..rules.model import Equation
from .ordering import Link, trace

if TYPE_CHECKING:
    from .planning import Planner

WATCHED = ("memory_fill", "dp")   # the fit, and the replicas: a layout that does not fit or run is no plan
# values that describe how the run is laid out: given one, the question is about a run on GPUs, and whether it
# fits is news (a GPU count alone, 7B on 2T tokens on 256 A800s at a given mfu, describes none: the fit would
# rest on defaults alone, the seed's fp32 recipe without ZeRO, and be noise)
LAYOUT = frozenset({"tp", "pp", "dp", "micro_batch", "grad_accum", "global_batch", "seq_len"})


def watched_links(planner: Planner, equations: list[Equation], order: list[Link], known: set[str],
                  givens: frozenset[str], soft: tuple[str, ...], promoted: Iterable[str], assumed: Iterable[str]
                  ) -> tuple[list[Link], list[str]]:
    """(links, defaults): the steps to the watched values the plan leaves unknown, and the defaults they
    need; nothing when the givens describe no layout, or the rules do not reach the watched values from
    what the plan knows and the row's defaults without solving a defined value backwards (a side value
    from another rule than its definition, routed experts from a share of 0, is no fit)."""
    goal = tuple(w for w in WATCHED if w not in known and w in planner.rules.variables)
    if not goal or not givens & LAYOUT:
        return [], []
    used = {eq.id for link in order for eq in link.eqs}
    rest = [eq for eq in equations if eq.id not in used]
    defaults = planner._needed_defaults(rest, set(known), goal, soft, False, promoted, assumed, order)
    trial = set(known) | set(defaults)
    links = planner._structural(rest, trial, goal, False, set(promoted) | (planner.defined & set(defaults)), assumed,
                                order)
    if any(w not in trial for w in goal):
        return [], []
    needed = trace(links, goal)
    links = [link for link in links if set(link.names) & needed]
    if any(_backwards(planner, link) for link in links):
        return [], []
    return links, [d for d in defaults if d in needed]


def _backwards(planner: Planner, link: Link) -> bool:
    """The link solves a value that has a definition of its own (x = f(...)) from another rule."""
    return any(name in planner.defined and not any(eq.lhs == ("var", name) for eq in link.eqs)
               for name in link.names)
