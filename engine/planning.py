"""Plans: which equations determine which unknowns, in which order.

Planning is structural first (cheap, no sympy): repeatedly take an equation
with exactly one unknown; when stuck, a pair of equations sharing exactly
two unknowns is solved as a block; when still stuck with a target unknown,
the target is "torn": other unknowns are expressed through it, one
equation at a time, until some equation holds only the target and knowns
(smallest tp that fits: weights, gradients, optimizer and activations per
GPU, then memory per GPU). Each chosen (equation, unknown) is then inverted
symbolically (engine/symbolic.py, cached on disk) or, with no closed form,
marked for vectorized numeric root finding. Equations left with no unknown
become consistency checks. A plan depends only on which
variables are known, the targets and the selected conventions, so every
row with the same pattern shares it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Callable, Iterable, NamedTuple

from . import symbolic
from .errors import UnderdeterminedError
from .expr import Tree, render, variables
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


SUGGESTIONS = 10   # names listed in an under-determined message

BlockTest = Callable[[tuple[Equation, ...], tuple[str, ...]], bool]
Definitions = tuple[tuple[Equation, str], ...]
TearTest = Callable[[Equation, Definitions, str], bool]


class Link(NamedTuple):
    """`eqs` determine `names`; a torn link also substitutes the definitions in `via`."""

    eqs: tuple[Equation, ...]
    names: tuple[str, ...]
    via: Definitions = ()


def structural(equations: list[Equation], known: set[str], block_ok: BlockTest | None = None,
               targets: Iterable[str] = (), tear_ok: TearTest | None = None,
               forward_only: Iterable[str] = (), assumed: Iterable[str] = ()) -> list[Link]:
    """Order in which equations determine unknowns; mutates `known`.

    `block_ok` says whether a pair of equations really determines its two unknowns (two forms of
    the same relation do not); without it, no blocks are formed. `tear_ok` says whether a torn
    target's closing equation really determines it (not an identity); without it, no tearing.
    `forward_only` names fallback defaults (activation_bytes = 0 when nothing else is known): the
    rules that define them (activation_bytes = layers * activation_bytes_per_layer) are never
    inverted to infer an input such as `hidden` from the fallback; elsewhere they are ordinary knowns.
    `assumed` names fallbacks that only their own rule may compute: no other rule infers them
    (active_share is never solved from param_flops = 6 · active_share · N · D and a given train_flops).
    """
    order: list[Link] = []
    used: set[str] = set()
    fallbacks = {("var", name) for name in forward_only}
    never = {("var", name) for name in assumed}
    while True:
        progressed = False
        for eq in equations:
            if eq.id in used:
                continue
            unknown = eq.variables - known
            if len(unknown) == 1:
                (name,) = unknown
                if eq.lhs in fallbacks or (("var", name) in never and eq.lhs != ("var", name)):
                    continue
                order.append(Link((eq,), (name,)))
                known.add(name)
                used.add(eq.id)
                progressed = True
            elif not unknown:
                used.add(eq.id)
        if progressed:
            continue
        clean = [eq for eq in equations if eq.lhs not in fallbacks] if fallbacks else equations
        link = _find_block(clean, known, used, block_ok) if block_ok else None
        if link is None and tear_ok is not None:
            link = _tear(clean, known, used, targets, tear_ok)
        if link is None:
            return order
        order.append(link)
        known.update(link.names)
        used.update(eq.id for eq in link.eqs)


def _find_block(equations: list[Equation], known: set[str], used: set[str], block_ok: BlockTest
                ) -> Link | None:
    open_eqs = [eq for eq in equations if eq.id not in used and len(eq.variables - known) == 2]
    for a, b in combinations(open_eqs, 2):
        names = tuple(sorted(a.variables - known))
        if a.variables - known == b.variables - known and block_ok((a, b), names):
            return Link((a, b), names)
    return None


def _tear(equations: list[Equation], known: set[str], used: set[str], targets: Iterable[str],
          tear_ok: TearTest) -> Link | None:
    """Express unknowns through one unknown target x until an equation closes on x and knowns.

    The closing equation becomes a one-unknown equation in x once the definitions are substituted;
    the definitions stay unused, so the following steps derive those values again from x.
    """
    for x in targets:
        if x in known:
            continue
        through, rejected = {x}, set()
        defs: list[tuple[Equation, str]] = []
        progressed = True
        while progressed:
            progressed = False
            for eq in equations:
                if eq.id in used or eq.id in rejected or not eq.variables & through \
                        or any(eq is d for d, _ in defs):
                    continue
                unknown = eq.variables - known - through
                if len(unknown) == 1:
                    defs.append((eq, next(iter(unknown))))
                    through |= unknown
                    progressed = True
                elif not unknown:
                    chain = _chain(eq, defs, through)
                    if tear_ok(eq, chain, x):
                        return Link((eq,), (x,), chain)
                    rejected.add(eq.id)
    return None


def _chain(closing: Equation, defs: list[tuple[Equation, str]], through: set[str]) -> Definitions:
    """The definitions the closing equation depends on, in definition order."""
    wanted = closing.variables & through
    keep = []
    for eq, name in reversed(defs):
        if name in wanted:
            keep.append((eq, name))
            wanted |= eq.variables & through
    return tuple(reversed(keep))


class Planner:
    """Builds and caches plans for one rule set."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.domains = {n: v.domain for n, v in rules.variables.items()}
        self.defined = {eq.lhs[1] for eq in rules.equations if eq.lhs[0] == "var"}
        self._cache: dict[tuple, Plan] = {}
        self._tears: dict[tuple, tuple[tuple[dict[str, Tree], ...], Tree] | None] = {}

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
        # Plain chains first (with the defaults they need); blocks and tearing only when chains
        # cannot reach the targets: a chain through a default (6·N·D) beats a degenerate block.
        assumed = (self.defined & set(soft)) - set(targets)   # fallbacks: from their own rule, or assumed
        for simple in (True, False):
            known = set(knowns)
            order = self._structural(equations, known, targets, simple, (), assumed)
            defaults: list[str] = []
            if any(t not in known for t in targets) and soft:
                defaults = self._needed_defaults(equations, set(known), targets, soft, simple)
                if defaults:
                    known = set(knowns) | set(defaults)
                    order = self._structural(equations, known, targets, simple, self.defined & set(defaults),
                                             assumed)
            if all(t in known for t in targets):
                break
        missing = [t for t in targets if t not in known]
        if missing:
            raise self._underdetermined(missing, set(knowns), set(soft), equations)
        steps = [self._step(link) for link in order]
        used = {eq.id for link in order for eq in link.eqs}
        # A fallback left as the one unknown of a rule the givens otherwise determine (active_share = 1 in
        # param_flops = 6 · active_share · N · D with train_flops given) is assumed, so that rule is checked.
        checked = sorted({name for eq in equations if eq.id not in used for name in eq.variables - known
                          if len(eq.variables - known) == 1 and name in assumed and eq.lhs != ("var", name)})
        if checked:
            defaults = [*defaults, *checked]
            known |= set(checked)
        checks = [eq for eq in equations if eq.id not in used and eq.variables <= known]
        sel = tuple(sorted(selectors.items()))
        return Plan(frozenset(knowns) | set(defaults), targets, sel, steps, checks, defaults,
                    frozenset(_trace(order, targets)))

    def _structural(self, equations: list[Equation], known: set[str], targets: Iterable[str],
                    simple: bool = False, forward_only: Iterable[str] = (), assumed: Iterable[str] = ()
                    ) -> list[Link]:
        if simple:
            return structural(equations, known, forward_only=forward_only, assumed=assumed)
        return structural(equations, known, self._block_ok, targets, self._tear_ok, forward_only, assumed)

    def _block_ok(self, eqs: tuple[Equation, ...], names: tuple[str, ...]) -> bool:
        """A pair forms a block only if sympy solves it (cached on disk)."""
        return symbolic.solve_block([(e.lhs, e.rhs, e.text) for e in eqs], list(names), self.domains) is not None

    def _needed_defaults(self, equations: list[Equation], derivable: set[str], targets: tuple[str, ...],
                         soft: tuple[str, ...], simple: bool = False) -> list[str]:
        """Defaults the targets depend on: added one at a time, then traced back.

        Defaults of inputs come first; defaults of values some rule defines (a left-hand side, e.g.
        memory.yaml's activation_bytes = 0) come last, so such a fallback never hides the value the
        rules would derive from the other defaults.
        """
        trial = set(derivable)
        order: list[Link] = []
        added = []
        for name in sorted(soft, key=lambda n: n in self.defined):
            if name not in trial and name not in targets:
                trial.add(name)
                added.append(name)
                order += self._structural([e for e in equations if not _all_used(e, order)], trial, targets,
                                          simple, self.defined & set(added))
        if any(t not in trial for t in targets):
            return []
        needed = _trace(order, targets)
        return [name for name in added if name in needed]

    def _tear_ok(self, closing: Equation, defs: Definitions, x: str) -> bool:
        return self._torn(closing, defs, x) is not None

    def _torn(self, closing: Equation, defs: Definitions, x: str
              ) -> tuple[tuple[dict[str, Tree], ...], Tree] | None:
        """(closed forms for x, residual in x) of a closing equation with the definitions substituted.

        None when a definition has no unique closed form, or when the substituted equation does not
        depend on x or holds for every x (two forms of one relation: no information about x).
        """
        key = (closing.id, tuple((e.id, n) for e, n in defs), x)
        if key not in self._tears:
            self._tears[key] = None
            subs: dict[str, Tree] = {}
            for eq, name in defs:
                solutions = symbolic.solve_block([(eq.lhs, eq.rhs, eq.text)], [name], self.domains)
                if not solutions or len(solutions) != 1:
                    return None
                subs[name] = solutions[0][name]
            lhs, rhs = closing.lhs, closing.rhs
            for _, name in reversed(defs):
                lhs, rhs = _substitute(lhs, name, subs[name]), _substitute(rhs, name, subs[name])
            if _informative(lhs, rhs, x):
                text = f"{render(lhs)} = {render(rhs)}"
                solutions = symbolic.solve_block([(lhs, rhs, text)], [x], self.domains) or []
                self._tears[key] = (tuple(solutions), ("add", (lhs, ("mul", (("num", -1.0), rhs)))))
        return self._tears[key]

    def _step(self, link: Link) -> Step:
        eqs, names = link.eqs, link.names
        if link.via:
            candidates, residual = self._torn(eqs[0], link.via, names[0])  # type: ignore[misc]
            return Step(names, eqs + tuple(eq for eq, _ in link.via), candidates, residual)
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
            self._structural(equations, trial, missing, forward_only=self.defined & soft)
            if all(m in trial for m in missing):
                helpful.append(name)
        helpful = _prefer_inputs(helpful, self.rules, self.defined)
        target = ", ".join(missing)
        related = _prefer_inputs(sorted({n for eq in equations if set(missing) & eq.variables for n in eq.variables}
                                        - knowns - soft - set(missing)), self.rules, self.defined)
        if helpful:
            shown = ", ".join(helpful[:SUGGESTIONS])
            more = f" (or one of {len(helpful) - SUGGESTIONS} more; see `llmplan explain {missing[0]}`)" \
                if len(helpful) > SUGGESTIONS else ""
            message = f"to solve {target} also give one of: {shown}{more}"
            others = [n for n in related if n not in helpful]
            if len(helpful) < 3 and others:   # a lone odd suggestion (dp): also name the usual inputs
                message += f"; or several of the other values its rules use: {', '.join(others[:SUGGESTIONS])}"
        else:
            message = (f"to solve {target} give more values; no single extra value is enough. "
                       f"Variables in the rules for {target}: {', '.join(related) or 'none'}")
        return UnderdeterminedError(message, missing=missing, suggestions=helpful)


def _trace(order: list[Link], targets: Iterable[str]) -> set[str]:
    """Variables the targets depend on, following the order backwards (to a fixed point: a torn
    link depends on values that later links derive again)."""
    needed = set(targets)
    size = -1
    while size != len(needed):
        size = len(needed)
        for link in reversed(order):
            if needed & set(link.names):
                needed |= {v for eq in link.eqs for v in eq.variables}
                needed |= {v for eq, _ in link.via for v in eq.variables}
    return needed


def _all_used(eq: Equation, order: list[Link]) -> bool:
    return any(eq is e for link in order for e in link.eqs)


def _substitute(tree: Tree, name: str, value: Tree) -> Tree:
    """`tree` with every occurrence of variable `name` replaced by `value`."""
    kind = tree[0]
    if kind == "var":
        return value if tree[1] == name else tree
    if kind in ("add", "mul"):
        return (kind, tuple(_substitute(t, name, value) for t in tree[1]))
    if kind == "pow":
        return ("pow", _substitute(tree[1], name, value), _substitute(tree[2], name, value))
    if kind == "call":
        return ("call", tree[1], tuple(_substitute(t, name, value) for t in tree[2]))
    return tree


def _informative(lhs: Tree, rhs: Tree, x: str, tries: int = 6) -> bool:
    """Whether lhs = rhs constrains x: at random points it changes with x and is not always true."""
    import numpy as np

    from .numeric import compile_tree

    left, right = compile_tree(lhs), compile_tree(rhs)
    names = variables(lhs) | variables(rhs)
    rng = np.random.default_rng(0)
    for _ in range(tries):
        env = {n: float(v) for n, v in zip(sorted(names), rng.uniform(0.5, 2.0, len(names)))}
        moved = dict(env, **{x: env[x] * 1.7})
        with np.errstate(all="ignore"):
            a, b = float(left(env)), float(right(env))
            c, d = float(left(moved)), float(right(moved))
        if not all(np.isfinite(v) for v in (a, b, c, d)):
            continue
        scale = max(abs(a), abs(b), abs(c), abs(d), 1e-300)
        if abs((a - b) - (c - d)) > 1e-9 * scale:
            return True          # depends on x
        if abs(a - b) > 1e-9 * scale:
            return False         # does not depend on x and is not an identity: says nothing about x
    return False


def _prefer_inputs(names: list[str], rules: RuleSet, defined: set[str] | frozenset[str] = frozenset()
                   ) -> list[str]:
    """Budgets first, then inputs (no rule defines them), then the rest: what users usually know."""
    return sorted(names, key=lambda n: (rules.variables[n].role != "budget", n in defined, n))
