"""After rounding: re-solve a group with its whole-number answers known.

n_gpus = 138.9 rounds up to 139; the budgets the user gave (train_time, gpu_hours, cost) are then
freed and recomputed for 139 GPUs, and only the steps the rounded values change run again. A base
class of BatchSolver (engine/solve/batch.py).
"""
from __future__ import annotations

from ..errors import EngineError
from ..rules.model import RuleSet
from .batch_result import RECOMPUTED, Batch, Group, Rows, keep
from .evaluation import Env, StepEvaluation
from .planning import Plan, Planner, Step


class Recompute(StepEvaluation):
    """The recomputing part of BatchSolver."""

    def __init__(self, rules: RuleSet, planner: Planner) -> None:
        super().__init__(rules)
        self.planner = planner
        self._side_values = True   # False: evaluate only the chain to the targets (big sweeps)

    def _recompute(self, batch: Batch, group: Group, plan: Plan, env: Env, rows: Rows, known: frozenset[str],
                   selectors: dict[str, str], targets: tuple[str, ...], codes: dict[str, int]) -> None:
        """Re-solve with the rounded integers known and the budgets (train_time, cost, ...) freed."""
        found = self._replan(group, plan, known, selectors)
        if found is None:
            return
        replan, freed = found
        group.replan = replan
        for name in freed:   # keep what the user asked for, to show it next to the recomputed value
            keep(batch.unrounded, name, rows, env[name], batch.rows)
        fresh = env.subset(replan.knowns)
        self._run(batch, replan, fresh, rows, targets, {}, self._changed_steps(replan, group, freed, env, fresh))
        for name in replan.derived:
            if name not in fresh:
                continue
            env[name] = fresh[name]
            if name in freed:
                codes[name] = RECOMPUTED

    def _replan(self, group: Group, plan: Plan, known: frozenset[str], selectors: dict[str, str]
                ) -> tuple[Plan, set[str]] | None:
        """The plan with the rounded values known, and the budgets it frees (None: no such plan)."""
        # the upper limits the user set (a deadline, a cost); only without one, the lower limits (an mfu of at
        # least 0.4 for the global batch: its micro-batches rounded up, the mfu recomputed for them)
        budgets = {n for n in known if self.rules.variables[n].role == "budget"} \
            or {n for n in known if self.rules.variables[n].role == "floor"}
        # Conventions stay fixed; defaults that give way (a default_rank) stay soft: a shape sketched from
        # params through width_per_layer = 128 gives layers 32.9 -> 33, and the replan derives 127.6 rather
        # than calling the rounded value a contradiction of the default that produced it. Plain input
        # defaults (tp = 1, pp = 1) stay as they were: grad_accum = 1,000 / (1 · 64) = 15.625 rounded to 16
        # must not move dp to 62.5 through a tp · pp of 1.024; it is refused (no whole grad_accum)
        # (nor does a whole-number default give way: micro_batch = 1,000 / (4 · 256) = 0.977 beside grad_accum
        # 3.91 rounded to 4 is no micro-batch; the row is refused instead)
        variables = self.rules.variables
        soft = {n: 0.0 for n in plan.defaults if n not in self.planner.fixed and variables[n].default_rank > 0
                and variables[n].domain != "integer"}
        base = set(known - budgets) | set(group.rounded) | (set(plan.defaults) - set(soft))
        freed = set(budgets)
        while True:
            try:
                return self.planner.plan(frozenset(base), tuple(sorted(freed)), selectors, soft), freed
            except EngineError:
                if not freed:
                    return None
                back = sorted(freed)[0]   # a budget nothing else determines stays as given
                freed.discard(back)
                base.add(back)

    def _changed_steps(self, replan: Plan, group: Group, freed: set[str], env: Env, fresh: Env) -> list[Step]:
        """The steps of the replan that the rounded integers change; the others' values are copied
        from `env` into `fresh`. Without side values, a changed value off the answer's path is still
        computed when a check of the replan reads it: grad_accum = 42.67 rounded to 43 makes the global
        batch's dp 95.26 beside n_gpus / (tp · pp) = 96, and that row must be refused as `solve` refuses it."""
        affected = set(group.rounded) | freed
        checked = {v for eq in replan.checks for v in eq.variables}
        steps = []
        for step in replan.steps:
            reads = {v for e in step.equations for v in e.variables} - set(step.unknowns)
            changed = bool(affected & reads)
            if not self._side_values and not set(step.unknowns) & replan.needed \
                    and not (changed and set(step.unknowns) & checked and reads <= fresh.keys() | affected):
                continue
            if changed or not all(u in env for u in step.unknowns):
                affected |= set(step.unknowns)
                steps.append(step)
            else:
                fresh.update({u: env[u] for u in step.unknowns})
        return steps
