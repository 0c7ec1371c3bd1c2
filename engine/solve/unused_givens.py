"""Given values no rule of the answer read (an mfu typed for a question its rules cannot connect it to).

"network_bandwidth for mfu 0.6" without seq_len and global_batch answers from the GPU catalog alone:
nothing links mfu to the bandwidth, so the 0.6 shaped nothing. Saying so keeps a user from reading
the answer as "0.6 is reachable with 50 GB/s". A catalog key counts too: precision=fp32 beside
method=lora supplies no figure the LoRA memory reads.
"""
from __future__ import annotations

from typing import Iterable

from ..messages import said_text
from ..rules.model import Equation, RuleSet
from .batch_result import Batch, Rows
from .evaluation import values_behind
from .planning import Plan
from .rowset import any_at, mask


def unused_givens(plans: Iterable[Plan | None], checks: Iterable[Equation], status: dict[str, str]) -> list[str]:
    """Typed values (status "given") that no step of the plans and no check reads, in name order."""
    read = {v for eq in checks for v in eq.variables}
    for plan in plans:
        if plan is not None:
            read |= {v for step in plan.steps for eq in step.equations for v in eq.variables}
    return sorted(n for n, s in status.items() if s == "given" and n not in read)


def note_unused_givens(batch: Batch, inputs: Iterable[str], rules: RuleSet) -> None:
    """Per group of rows, one info note on those rows naming what was typed and shaped nothing: the typed
    `inputs` its plans never read (mfu beside a question no rule connects it to), the typed limits no step
    toward the answer reads, and the catalog keys typed
    there whose figures no step toward the answer reads and that switch none of its rules (precision=fp32
    beside method=lora: the adapters' dtypes decide there)."""
    typed = set(inputs)
    for group in batch.groups:
        if group.plan is None:
            continue
        plans = [plan for plan in (group.plan, group.replan) if plan is not None]
        checks = [eq for plan in plans for eq in plan.checks]
        given = {n: "given" for n in group.plan.knowns if n in typed and n not in group.admitted}
        read = frozenset().union(*(_read_toward_answer(plan, rules) for plan in plans))
        # (a limit some rule reads, but none on the way to the answer: params from layers and the shape sketch
        # beside memory_fill=1 is no largest model that fits)
        limits = [n for n in given if rules.variables[n].limit and n not in read]
        unused = sorted({*unused_givens(plans, checks, given), *_unused_keys(batch, rules, read, group.index),
                         *limits})
        if unused:
            batch.notes.append((UNUSED, said_text("results.given_unused", names=", ".join(unused), first=unused[0]),
                                mask(group.index, batch.rows)))


def _unused_keys(batch: Batch, rules: RuleSet, read: frozenset[str], rows: Rows) -> list[str]:
    """The catalog keys typed in `rows` that neither supply a figure the answer reads (`read`: what the
    steps toward it read, _read_toward_answer) nor switch a rule."""
    return [key for key, typed in batch.typed.items() if key in rules.tables and key not in read
            and not read & set(rules.tables[key].fields) and any_at(typed, rows)]


def _read_toward_answer(plan: Plan, rules: RuleSet) -> frozenset[str]:
    """What the steps toward the answer read, and the warning checks on it (the fit check reads the GPU's
    memory beside memory_per_gpu), with the selectors their rules are variants of; side values left out:
    a key whose figures only feed those shaped nothing asked. Kept with the plan (its structure alone
    decides it; a sweep asks it again for every chunk)."""
    found = plan.memo.get("read_toward_answer")
    if found is None:
        found = plan.memo["read_toward_answer"] = frozenset(_walk_toward_answer(plan, rules))
    return found   # type: ignore[return-value]  # (memo holds what this function stored)


def _walk_toward_answer(plan: Plan, rules: RuleSet) -> set[str]:
    # (the watched fit is said beside the answer: zero_stage typed shapes it, so it is no unused given)
    answered = set(plan.needed) | set(plan.watched)
    path = values_behind(plan, answered | {v for check in rules.checks if check.variables & answered
                                           for v in check.variables})
    read = set(path)
    for eq in [*(eq for step in plan.steps if set(step.unknowns) & path for eq in step.equations), *plan.checks]:
        read |= eq.variables | {sel for sel, _ in eq.variant}
    return read


UNUSED = "given.unused"
