"""Given values no rule of the answer read (an mfu typed for a question its rules cannot connect it to).

"network_bandwidth for mfu 0.6" without seq_len and global_batch answers from the GPU catalog alone:
nothing links mfu to the bandwidth, so the 0.6 shaped nothing. Saying so keeps a user from reading
the answer as "0.6 is reachable with 50 GB/s".
"""
from __future__ import annotations

from typing import Iterable

from ..rules.model import Equation
from .planning import Plan


def unused_givens(plans: Iterable[Plan | None], checks: Iterable[Equation], status: dict[str, str]) -> list[str]:
    """Typed values (status "given") that no step of the plans and no check reads, in name order."""
    read = {v for eq in checks for v in eq.variables}
    for plan in plans:
        if plan is not None:
            read |= {v for step in plan.steps for eq in step.equations for v in eq.variables}
    return sorted(n for n, s in status.items() if s == "given" and n not in read)
