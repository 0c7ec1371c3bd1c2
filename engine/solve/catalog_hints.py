"""Catalog keys a refusal names: one whose entries have the figure asked (gpu= for peak_flops), or one whose
entry's figures together answer (model= for a LoRA's memory from params alone), each confirmed by a trial plan.
Part of the search for what is missing (engine/solve/suggestions.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

from ..messages import Nested
from ..rules.model import Equation
from .trial_plan import plan_answers

if TYPE_CHECKING:
    from .planning import Planner
    from .suggestions import SearchBudget


def catalog_hints(self: Planner, equations: list[Equation], known: tuple[set[str], set[str]], missing: list[str],
                   helpful: Sequence[str], forward_only: Iterable[str], selectors: dict[str, str],
                   budget: "SearchBudget") -> list[Nested]:
    """Catalog keys not given (and without a default) that would answer: one whose entries have the figure
    asked or the first value that would answer (peak_flops, n_gpus without a GPU: gpu=); else one whose
    entry's figures, all together, answer (model= for a LoRA's memory from params alone: the adapters are
    sized from the shape). `known`: (the givens, the defaults usable)."""
    givens, soft = known
    wanted = set(missing) if not helpful else {*missing, helpful[0]}
    open_keys = sorted(name for name in self.rules.tables
                       if name not in givens and self.rules.variables[name].default is None)
    out = []
    for name in open_keys:
        table = self.rules.tables[name]
        if set(missing) <= set(table.fields) or wanted & set(table.fields):
            figure = next(n for n in [*missing, *helpful[:1]] if n in table.fields)
            out.append(Nested("planner.suggestion.catalog", catalog=name, figure=figure,
                              examples=", ".join(list(table.entries)[:4])))
    if out:
        return out
    for name in open_keys:   # (the structural reach first, cheap and optimistic; then a real plan)
        fields = set(self.rules.tables[name].fields)
        if budget.spent() or not self._reaches(equations, givens | soft | fields, missing, forward_only):
            continue
        if not budget.spent() and plan_answers(self, frozenset(givens | fields), tuple(missing), selectors, soft):
            out.append(Nested("planner.suggestion.catalog_answers", catalog=name, target=", ".join(missing),
                              examples=", ".join(list(self.rules.tables[name].entries)[:4])))
    return out
