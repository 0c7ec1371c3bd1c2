"""Plans: which equations determine which unknowns, in which order.

Planning is structural first (cheap, no sympy): repeatedly take an equation
with exactly one unknown; when stuck, a pair of equations sharing exactly
two unknowns is solved as a block. Each chosen (equation, unknown) is then
inverted symbolically (engine/symbolic.py, cached on disk) or, with no
closed form, marked for vectorized numeric root finding. Equations left
with no unknown become consistency checks. A plan depends only on which
variables are known, the targets and the selected conventions, so every
row with the same pattern shares it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Callable, Iterable

from . import symbolic
from .errors import UnderdeterminedError
from .expr import Tree
from .model import Equation, RuleSet


@dataclass(frozen=True)
class Step:
    """Determine `unknowns` from `equations` (closed-form candidates, or numerically)."""

    unknowns: tuple[str, ...]
    equations: tuple[Equation, ...]
    candidates: tuple[dict[str, Tree], ...] = ()   # empty: numeric root finding
    residual: Tree | None = None                    # lhs - rhs, for numeric solving

    @property
    def numeric(self) -> bool:
        return not self.candidates


@dataclass
class Plan:
    knowns: frozenset[str]
    targets: tuple[str, ...]
    selectors: tuple[tuple[str, str], ...]
    steps: list[Step]
    checks: list[Equation]                         # fully known, not used: verify consistency
    defaults: list[str] = field(default_factory=list)   # numeric variables filled by a default
    needed: frozenset[str] = frozenset()           # variables the targets depend on

    @property
    def derived(self) -> list[str]:
        return [u for step in self.steps for u in step.unknowns]


BlockTest = Callable[[tuple[Equation, ...], tuple[str, ...]], bool]


def structural(equations: list[Equation], known: set[str], block_ok: BlockTest | None = None
               ) -> list[tuple[tuple[Equation, ...], tuple[str, ...]]]:
    """Order in which equations determine unknowns; mutates `known`.

    `block_ok` says whether a pair of equations really determines its two unknowns (two forms of
    the same relation do not); without it, no blocks are formed.
    """
    order: list[tuple[tuple[Equation, ...], tuple[str, ...]]] = []
    used: set[str] = set()
    while True:
        progressed = False
        for eq in equations:
            if eq.id in used:
                continue
            unknown = eq.variables - known
            if len(unknown) == 1:
                (name,) = unknown
                order.append(((eq,), (name,)))
                known.add(name)
                used.add(eq.id)
                progressed = True
            elif not unknown:
                used.add(eq.id)
        if progressed:
            continue
        block = _find_block(equations, known, used, block_ok) if block_ok else None
        if block is None:
            return order
        eqs, names = block
        order.append((eqs, names))
        known.update(names)
        used.update(eq.id for eq in eqs)


def _find_block(equations: list[Equation], known: set[str], used: set[str], block_ok: BlockTest
                ) -> tuple[tuple[Equation, ...], tuple[str, ...]] | None:
    open_eqs = [eq for eq in equations if eq.id not in used and len(eq.variables - known) == 2]
    for a, b in combinations(open_eqs, 2):
        names = tuple(sorted(a.variables - known))
        if a.variables - known == b.variables - known and block_ok((a, b), names):
            return (a, b), names
    return None


class Planner:
    """Builds and caches plans for one rule set."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.domains = {n: v.domain for n, v in rules.variables.items()}
        self._cache: dict[tuple, Plan] = {}

    def active(self, selectors: dict[str, str]) -> list[Equation]:
        return [eq for eq in self.rules.equations if eq.active(selectors)]

    def plan(self, knowns: frozenset[str], targets: tuple[str, ...], selectors: dict[str, str],
             soft: dict[str, float] | None = None) -> Plan:
        """Plan for this pattern; `soft` names defaults usable where nothing else determines a variable."""
        soft_names = tuple(sorted(soft or ()))
        key = (knowns, targets, tuple(sorted(selectors.items())), soft_names)
        plan = self._cache.get(key)
        if plan is None:
            plan = self._build(knowns, targets, selectors, soft_names)
            self._cache[key] = plan
        return plan

    def _build(self, knowns: frozenset[str], targets: tuple[str, ...], selectors: dict[str, str],
               soft: tuple[str, ...]) -> Plan:
        equations = self.active(selectors)
        known = set(knowns)
        order = structural(equations, known, self._block_ok)
        defaults: list[str] = []
        if any(t not in known for t in targets) and soft:
            defaults = self._needed_defaults(equations, known, targets, soft)
            if defaults:
                known = set(knowns) | set(defaults)
                order = structural(equations, known, self._block_ok)
        missing = [t for t in targets if t not in known]
        if missing:
            raise self._underdetermined(missing, set(knowns), set(soft), equations)
        steps = [self._step(eqs, names) for eqs, names in order]
        used = {eq.id for eqs, _ in order for eq in eqs}
        checks = [eq for eq in equations if eq.id not in used and eq.variables <= known]
        sel = tuple(sorted(selectors.items()))
        return Plan(frozenset(knowns) | set(defaults), targets, sel, steps, checks, defaults,
                    frozenset(_trace(order, targets)))

    def _block_ok(self, eqs: tuple[Equation, ...], names: tuple[str, ...]) -> bool:
        """A pair forms a block only if sympy solves it (cached on disk)."""
        return symbolic.solve_block([(e.lhs, e.rhs, e.text) for e in eqs], list(names), self.domains) is not None

    def _needed_defaults(self, equations: list[Equation], derivable: set[str], targets: tuple[str, ...],
                         soft: tuple[str, ...]) -> list[str]:
        """Defaults the targets depend on: added one at a time (declared order), then traced back."""
        trial = set(derivable)
        order = []
        added = []
        for name in soft:
            if name not in trial and name not in targets:
                trial.add(name)
                added.append(name)
                order += structural([e for e in equations if not _all_used(e, order)], trial, self._block_ok)
        if any(t not in trial for t in targets):
            return []
        needed = _trace(order, targets)
        return [name for name in added if name in needed]

    def _step(self, eqs: tuple[Equation, ...], names: tuple[str, ...]) -> Step:
        solutions = symbolic.solve_block([(e.lhs, e.rhs, e.text) for e in eqs], list(names), self.domains)
        if solutions:
            return Step(names, eqs, tuple(solutions))
        residual = None
        if len(eqs) == 1:
            eq = eqs[0]
            residual = ("add", (eq.lhs, ("mul", (("num", -1.0), eq.rhs))))
        return Step(names, eqs, (), residual)

    def _underdetermined(self, missing: list[str], knowns: set[str], soft: set[str], equations: list[Equation]
                         ) -> UnderdeterminedError:
        helpful = []
        candidates = sorted({n for eq in equations for n in eq.variables} - knowns - soft - set(missing))
        for name in candidates:
            trial = set(knowns) | soft | {name}
            structural(equations, trial, self._block_ok)
            if all(m in trial for m in missing):
                helpful.append(name)
        helpful = _prefer_inputs(helpful, self.rules)
        target = ", ".join(missing)
        if helpful:
            message = f"to solve {target} also give one of: {', '.join(helpful)}"
        else:
            related = sorted({n for eq in equations if set(missing) & eq.variables for n in eq.variables}
                             - knowns - set(missing))
            message = (f"to solve {target} give more values; no single extra value is enough. "
                       f"Variables in the rules for {target}: {', '.join(related) or 'none'}")
        return UnderdeterminedError(message, missing=missing, suggestions=helpful)


def _trace(order: list[tuple[tuple[Equation, ...], tuple[str, ...]]], targets: Iterable[str]) -> set[str]:
    """Variables the targets depend on, following the order backwards."""
    needed = set(targets)
    for eqs, names in reversed(order):
        if needed & set(names):
            needed |= {v for eq in eqs for v in eq.variables}
    return needed


def _all_used(eq: Equation, order: list[tuple[tuple[Equation, ...], tuple[str, ...]]]) -> bool:
    return any(eq is e for eqs, _ in order for e in eqs)


def _prefer_inputs(names: list[str], rules: RuleSet) -> list[str]:
    """Budgets and common inputs first, so the message names what users usually know."""
    return sorted(names, key=lambda n: (rules.variables[n].role != "budget", n))
