"""A whole-number answer below 1 (the largest micro_batch that fits is 0.56: none fits), told with what 1 takes.

Rounding the answer down gives 0, which is no answer; "loosen one of the givens" alone leaves the user to
find out by how much. So the row is taken at the first whole value, 1, the limits the user typed are
recomputed for it (engine/solve/recompute.py), and the refusal says how far 1 is from them — "even
micro_batch = 1 gives memory_fill = 1.504, beyond the 1 given" — with the check that fires at 1 as its
likely cause (the activations do not fit: recompute=full, ...). A base class of IntegerRounding.
"""
from __future__ import annotations

import numpy as np

from ..errors import EvaluationError
from ..messages import Joined, Nested, said_text
from ..text.formatting import said_quantity
from .batch_result import Batch, Rows, Value
from .check_causes import FiredChecks
from .evaluation import Env, StepEvaluation, givens_clause, inputs_behind, typed_at, values_behind
from .planning import Plan
from .rowset import mask

ROW_MESSAGES = 1000   # rows told one by one (their own numbers); the rest share one text

# name -> (rows below 1, the raw answer, its rounding: down or nearest)
BelowOne = dict[str, tuple[np.ndarray, Value, str]]


def below_one_rows(raw: Value, rounded: Value, n: int) -> np.ndarray:
    """Rows whose positive answer rounds to 0."""
    return np.array(np.broadcast_to((np.asarray(rounded) < 1) & (np.asarray(raw) > 0), (n,)))


class BelowOneRefusal(StepEvaluation):
    """The refusals of answers below 1, once the group is recomputed at 1."""

    def _refuse_below_one(self, batch: Batch, plan: Plan, replan: Plan | None, env: Env, rows: Rows,
                          below: BelowOne) -> None:
        """Rows of `below` not refused yet: refused, each with the limits as recomputed at 1 (where the
        recompute freed any) and the check that fires there."""
        index = np.asarray(rows)
        n = len(index)
        for name, (zero, raw, rounding) in below.items():
            at = np.flatnonzero(zero & ~batch.failed[index])
            if not len(at):
                continue
            freed = [] if replan is None else [b for b in sorted(batch.unrounded)
                                               if b != name and b in env and b not in replan.knowns]
            inputs = {v for v in inputs_behind(plan, {name}) if v in plan.knowns}
            causes = FiredChecks(self, env, n, values_behind(replan, freed)) if replan is not None and freed else None
            way = Nested(f"results.how.{rounding}")
            raws = np.broadcast_to(np.asarray(raw, dtype=float), (n,))
            for i in at[:ROW_MESSAGES]:
                said = self._below_one_text(batch, name, f"{raws[i]:.4g}", way, freed, env, index, int(i), n,
                                            givens_clause(inputs, typed_at(batch, int(index[i]))), causes)
                self._row_error(batch, mask(index[i:i + 1], batch.rows), said, EvaluationError)
            if len(at) > ROW_MESSAGES:
                rest = at[ROW_MESSAGES:]
                said = said_text("planner.rounds_to_zero", name=name, raw="-", way=way,
                                 givens=givens_clause(inputs, frozenset()))
                self._row_error(batch, mask(index[rest], batch.rows), said, EvaluationError)

    def _below_one_text(self, batch: Batch, name: str, raw: str, way: Nested, freed: list[str], env: Env,
                        index: np.ndarray, i: int, n: int, givens: Nested, causes: FiredChecks | None) -> str:
        """One row's refusal: at 1, each freed limit now beside its typed value (the plain refusal where
        none moved)."""
        moved: list[Nested] = []
        for limit in freed:
            typed = float(np.broadcast_to(batch.unrounded[limit], (batch.rows,))[index[i]])
            now = float(np.broadcast_to(np.asarray(env[limit], dtype=float), (n,))[i])
            if np.isnan(typed) or np.isnan(now) or abs(now - typed) <= 1e-9 * abs(typed):
                continue
            variable = self.rules.variables[limit]
            moved.append(Nested("planner.rounds_to_zero.value", name=limit, now=said_quantity(variable, now),
                                typed=said_quantity(variable, typed)))
        if not moved:
            return said_text("planner.rounds_to_zero", name=name, raw=raw, way=way, givens=givens)
        found = causes.at(i) if causes is not None else None
        cause = Nested("planner.domain.cause", check=found[0]) if found is not None else Nested()
        return said_text("planner.rounds_to_zero.at_one", name=name, raw=raw, way=way,
                         values=Joined(*moved, separator="; "), givens=givens, cause=cause)
