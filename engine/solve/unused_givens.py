"""Given values no rule of the answer read (an mfu typed for a question its rules cannot connect it to).

"network_bandwidth for mfu 0.6" without seq_len and global_batch answers from the GPU catalog alone:
nothing links mfu to the bandwidth, so the 0.6 shaped nothing. Saying so keeps a user from reading
the answer as "0.6 is reachable with 50 GB/s".
"""
from __future__ import annotations

from typing import Iterable

from ..messages import said_text
from ..rules.model import Equation, RuleSet
from .batch_result import Batch
from .planning import Plan
from .rowset import mask


def unused_givens(plans: Iterable[Plan | None], checks: Iterable[Equation], status: dict[str, str]) -> list[str]:
    """Typed values (status "given") that no step of the plans and no check reads, in name order."""
    read = {v for eq in checks for v in eq.variables}
    for plan in plans:
        if plan is not None:
            read |= {v for step in plan.steps for eq in step.equations for v in eq.variables}
    return sorted(n for n, s in status.items() if s == "given" and n not in read)


def note_unused_givens(batch: Batch, inputs: Iterable[str]) -> None:
    """Per group of rows, the typed `inputs` its plans never read become an info note on those rows."""
    typed = set(inputs)
    for group in batch.groups:
        if group.plan is None:
            continue
        checks = [*group.plan.checks, *(group.replan.checks if group.replan else [])]
        given = {n: "given" for n in group.plan.knowns if n in typed}
        unused = unused_givens([group.plan, group.replan], checks, given)
        if unused:
            batch.notes.append((UNUSED, said_text("results.given_unused", names=", ".join(unused), first=unused[0]),
                                mask(group.index, batch.rows)))


def note_unused_keys(batch: Batch, rules: RuleSet) -> None:
    """Per group, the catalog keys typed in its rows whose figures no step toward the answer (or check) reads
    and that switch none of its rules: precision=fp32 beside method=lora (the adapters' dtypes decide there)."""
    for group in batch.groups:
        if group.plan is None:
            continue
        plans = [plan for plan in (group.plan, group.replan) if plan is not None]
        read: set[str] = set()
        for plan in plans:
            read |= _read_toward_answer(plan, rules)
        rows = group.index
        unused = sorted(key for key, typed in batch.typed.items()
                        if key in rules.tables and key not in read and not read & set(rules.tables[key].fields)
                        and bool(typed[rows].any()))
        if unused:
            batch.notes.append((UNUSED, said_text("results.given_unused", names=", ".join(unused), first=unused[0]),
                                mask(rows, batch.rows)))


def _read_toward_answer(plan: Plan, rules: RuleSet) -> set[str]:
    """What the steps toward the answer read, and the warning checks on it (the fit check reads the GPU's
    memory beside memory_per_gpu), with the selectors their rules are variants of; side values left out:
    a key whose figures only feed those shaped nothing asked."""
    path = set(plan.needed) | {v for check in rules.checks if check.variables & plan.needed for v in check.variables}
    read: set[str] = set()
    for step in reversed(plan.steps):   # (a step's inputs come from the steps before it)
        if set(step.unknowns) & path:
            for eq in step.equations:
                path |= eq.variables
                read |= eq.variables | {sel for sel, _ in eq.variant}
    for eq in plan.checks:
        read |= eq.variables | {sel for sel, _ in eq.variant}
    return read | path


UNUSED = "given.unused"
