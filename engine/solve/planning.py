"""Plans: which equations determine which unknowns, in which order.

Planning is structural first (cheap, no sympy): repeatedly take an equation with exactly one unknown; when
stuck, a pair of equations sharing exactly two unknowns is solved as a block; when still stuck with a target
unknown, the target is "torn": other unknowns are expressed through it, one equation at a time, until some
equation holds only the target and knowns (smallest tp that fits: weights, gradients, optimizer and
activations per GPU, then memory per GPU). Each chosen (equation, unknown) is then inverted symbolically
(engine/solve/symbolic.py, cached on disk) or, with no closed form, marked for vectorized numeric root
finding, guarded by the definitions it was torn through (a root must leave each of them in its domain:
n_gpus for a deadline is no root where it makes dp below 1). Equations left with no unknown become
consistency checks. A plan depends only on which variables are known, the targets and the selected
conventions, so every row with the same pattern shares it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Collection, Iterable

from ..errors import UnderdeterminedError
from ..messages import keyed
from ..rules.expr import Tree, render, variables
from ..rules.model import Equation, RuleSet
from . import symbolic
from .conventions import fixed_defaults, prune_conventions, same_figure
from .elimination import Eliminator
from .giving_way import giving_way, unread_limit
from .ordering import Definitions, Link, structural, trace
from .suggestions import reachable_alone, underdetermined
from .tearing import informative, informative_after, written_out
from .watched import watched_links

Tear = tuple[tuple[dict[str, Tree], ...], Tree, tuple[tuple[str, Tree], ...]]   # (closed forms, residual, guards)


@dataclass(frozen=True)
class Step:
    """Determine `unknowns` from `equations` (closed-form candidates, or numerically)."""

    unknowns: tuple[str, ...]
    equations: tuple[Equation, ...]
    candidates: tuple[dict[str, Tree], ...] = ()   # empty: numeric root finding
    residual: Tree | None = None                    # lhs - rhs, for numeric solving
    guards: tuple[tuple[str, Tree], ...] = ()       # torn-through definitions a numeric root keeps in domain

    @property
    def numeric(self) -> bool:
        return not self.candidates



def computed_from(name: str, steps: Iterable[Any]) -> set[str]:
    """The values steps (plan or derivation steps, in order) compute from `name`: they cannot judge whether
    `name` is admissible (grad_accum = global_batch / dp beside a GPU count)."""
    out = {name}
    for step in steps:
        if {v for eq in step.equations for v in eq.variables} & out - set(step.unknowns):
            out |= set(step.unknowns)
    return out - {name}


@dataclass
class Plan:
    knowns: frozenset[str]
    targets: tuple[str, ...]
    selectors: tuple[tuple[str, str], ...]
    steps: list[Step]
    checks: list[Equation]                         # fully known, not used: verify consistency
    defaults: list[str] = field(default_factory=list)   # numeric variables filled by a default
    needed: frozenset[str] = frozenset()           # variables the targets depend on
    watched: frozenset[str] = frozenset()          # side values derived only to see the fit (watched.py)
    # facts read off the plan's structure (the columns a results table shows, its default keys), kept with it:
    # plans are cached per pattern, never changed once made, and each sweep chunk would walk the steps again
    memo: dict[object, object] = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def derived(self) -> list[str]:
        return [u for step in self.steps for u in step.unknowns]


PLAN_SYMBOLIC_SECONDS = 1.2   # all sympy work of one new pattern (a cache miss); then no-sympy fallbacks


class Planner:
    """Builds and caches plans for one rule set."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.domains = {n: v.domain for n, v in rules.variables.items()}
        self.defined = {eq.lhs[1] for eq in rules.equations if eq.lhs[0] == "var"}
        self._cache: dict[tuple, Plan] = {}
        self._tears: dict[tuple, Tear | None] = {}
        self.eliminator = Eliminator(self.domains)
        self.fixed = fixed_defaults(rules, self.defined)
        self.catalog_fields = {f for table in rules.tables.values() for f in table.fields}
        self.probing = False   # (a trial plan of the search for what is missing: trial_plan.plan_answers)

    def active(self, selectors: dict[str, str]) -> list[Equation]:
        return [eq for eq in self.rules.equations if eq.active(selectors)]

    def plan(self, knowns: frozenset[str], targets: tuple[str, ...], selectors: dict[str, str],
             soft: Collection[str] | None = None) -> Plan:
        """Plan for this pattern; `soft` names defaults usable where nothing else determines a variable."""
        soft_names = tuple(sorted(soft or ()))
        key = (knowns, targets, tuple(sorted(selectors.items())), soft_names)
        plan = self._cache.get(key)
        if plan is None:
            with symbolic.budget(PLAN_SYMBOLIC_SECONDS):
                plan = self._build(knowns, targets, selectors, soft_names)
            self._cache[key] = plan
        return plan

    def _build(self, knowns: frozenset[str], targets: tuple[str, ...], selectors: dict[str, str],
               soft: tuple[str, ...]) -> Plan:
        equations = self.active(selectors)
        offered = soft   # every default the row has (a plan tried again without one starts from these)
        fixed, assumed, promoted = self._held_defaults(equations, knowns, targets, soft)
        soft = tuple(n for n in soft if n not in fixed and n not in promoted)
        start = set(knowns) | fixed | promoted
        order, known, defaults = self._chains(equations, start, targets, soft, promoted, assumed)
        missing = [t for t in targets if t not in known]
        if missing and self.probing:   # (a trial of the search for what is missing: no search of its own)
            unreached = keyed(UnderdeterminedError, "planner.probe_unreached", names=", ".join(missing))
            unreached.missing = missing
            raise unreached
        if missing:
            lacking, answered = reachable_alone(self, knowns, targets, missing, selectors, offered)
            raise underdetermined(self, lacking, set(start), set(soft), equations, selectors, answered, knowns)
        better = giving_way(self, equations, order, known, knowns, targets, selectors, offered, defaults,
                            PLAN_SYMBOLIC_SECONDS) \
            or unread_limit(self, knowns, targets, selectors, offered, defaults, trace(order, targets))
        if better is not None:
            return better
        used = {eq.id for link in order for eq in link.eqs}
        # A fallback left as the one unknown of a rule the givens otherwise determine (active_share = 1 in
        # param_flops = 6 · active_share · N · D with train_flops given) is assumed, so that rule is checked.
        checked = sorted({name for eq in equations if eq.id not in used for name in eq.variables - known
                          if len(eq.variables - known) == 1 and name in assumed and eq.lhs != ("var", name)})
        defaults, known = [*defaults, *checked], known | set(checked)
        checks = [eq for eq in equations if eq.id not in used and eq.variables <= known]
        derived = {n for link in order for n in link.names}
        order, checks = prune_conventions(order, checks, fixed - trace(order, targets), targets)
        checks += self._combined_checks(equations, order, checks, set(knowns), known)
        have = known - (derived - {n for link in order for n in link.names})   # (not what pruned links gave)
        watch, side_defaults = watched_links(self, equations, order, have, knowns, soft, promoted, assumed)
        order, defaults = order + watch, defaults + side_defaults   # (after the checks: the answer is as it was)
        steps, sel = [self._step(link) for link in order], tuple(sorted(selectors.items()))
        touched = {v for link in order for eq in link.eqs + tuple(e for e, _ in link.via) for v in eq.variables}
        touched |= {v for eq in checks for v in eq.variables}
        # (and the conventions an error check reads beside them: offload=optimizer at the default zero_stage 0)
        touched |= {v for c in self.rules.checks if c.severity == "error" and c.variables & touched
                    for v in c.variables}
        defaults = [n for n in sorted(fixed | promoted) if n in touched] + defaults
        return Plan(frozenset(knowns) | set(defaults), targets, sel, steps, checks, defaults,
                    frozenset(trace(order, targets)), frozenset(n for link in watch for n in link.names))

    def _combined_checks(self, equations: list[Equation], order: list[Link], checks: list[Equation],
                         givens: set[str], known: set[str]) -> list[Equation]:
        """Givens no step or check reads that a combination of monomial rules determines from the rest
        (flops_vs_6nd from param_flops and attention_flops_share, off the path to gpu_days): each
        becomes a check `given = formula`, so a given that disagrees is a contradiction, not absorbed."""
        used = {eq.id for link in order for eq in link.eqs}
        read = {v for eq in [*(e for link in order for e in link.eqs), *checks] for v in eq.variables}
        out = []
        for name in sorted(givens - read):
            combination = self.eliminator.combine([eq for eq in equations if eq.id not in used], known - {name}, name)
            if combination is None or name in variables(combination.formula):
                continue
            parts, formula = combination.equations, combination.formula
            out.append(Equation(
                id=" + ".join(eq.id for eq in parts), text=f"{name} = {render(formula)}",
                lhs=("var", name), rhs=formula, variables=frozenset({name} | variables(formula)),
                source="; ".join(dict.fromkeys(eq.source for eq in parts)), where=parts[0].where,
                en=f"{name} as the rules {', '.join(eq.id for eq in parts)} give it from the other values",
                zh=f"{name}：由规则 {', '.join(eq.id for eq in parts)} 从其他值推出",
                tolerance=max(eq.tolerance for eq in parts)))
        return out

    def _held_defaults(self, equations: list[Equation], knowns: frozenset[str], targets: tuple[str, ...],
                       soft: tuple[str, ...]) -> tuple[set[str], set[str], set[str]]:
        """(fixed, assumed, promoted): the defaults the plan holds like givens.

        A defaulted convention or constant (flops_factor of recompute=none, bytes per parameter,
        chars per token, ...) is a known like a given: it is never solved for from other givens,
        so givens that disagree with it are a contradiction, not a bent convention (issue #13 §3).
        (A given that is the same figure in another form, chars_per_token for tokens_per_char,
        replaces the default: a rule with only the two of them is a change of units.)
        The same holds for a target in another form (chars_per_token asked, tokens_per_char default).
        A chain of such two-variable rules counts too: chars_per_token given, tokens_per_char = 1 /
        chars_per_token, tokens_per_char = tokens_per_char_zh (the default tokenizer's Chinese figure).

        Fallbacks (a default on a value a rule defines: active_share = 1, activation_bytes = 0) come from
        their own rule only, never inferred from another (issue #14); one its own rule cannot compute
        from the givens, the input defaults and the answers is assumed from the start (promoted), like a
        convention. (A fallback a given or asked value states in another form, activation_bytes_per_gpu =
        activation_bytes, stays soft, as a convention does above.)
        """
        named = set(knowns) | set(targets)
        forms = same_figure(equations, named)

        def restated(n: str) -> bool:       # a rule of n and one named value only: n in another form
            return any(n in eq.variables and len(eq.variables - {n}) == 1 and eq.variables - {n} <= named
                       for eq in equations)

        fixed = {n for n in soft if n in self.fixed and n not in targets and n not in forms and not restated(n)}
        assumed = {n for n in (self.defined & set(soft)) - set(targets) if not restated(n)}
        probe = set(knowns) | fixed | (set(soft) - self.defined) | set(targets)
        self._structural(equations, probe, targets, True, (), assumed)
        promoted = {n for n in assumed if n not in probe}
        return fixed, assumed - promoted, promoted

    def _chains(self, equations: list[Equation], start: set[str], targets: tuple[str, ...], soft: tuple[str, ...],
                promoted: set[str], assumed: set[str]) -> tuple[list[Link], set[str], list[str]]:
        """(order, known, defaults). Plain chains first (with the defaults they need); blocks and tearing
        only when chains cannot reach the targets: a chain through a default (6·N·D) beats a degenerate block."""
        for simple in (True, False):
            known = set(start)
            order = self._structural(equations, known, targets, simple, promoted, assumed)
            defaults: list[str] = []
            if any(t not in known for t in targets) and soft:
                defaults = self._needed_defaults(equations, set(known), targets, soft, simple, promoted, assumed,
                                                 order)
                if defaults:
                    known = set(start) | set(defaults)
                    order = self._structural(equations, known, targets, simple,
                                             promoted | (self.defined & set(defaults)), assumed)
            order += self._eliminate(equations, known, targets, order, simple,
                                     promoted | (self.defined & set(defaults)), assumed)
            if all(t in known for t in targets):
                break
        return order, known, defaults

    def _eliminate(self, equations: list[Equation], known: set[str], targets: Iterable[str],
                   order: list[Link], simple: bool, forward_only: Iterable[str], assumed: Iterable[str] = ()
                   ) -> list[Link]:
        """Targets the chains missed but a combination of monomial rules gives (issue #13 §1);
        after each, the chains go on from the new value. Mutates `known`."""
        added: list[Link] = []
        progressed = True
        while progressed:
            progressed = False
            for target in targets:
                if target in known:
                    continue
                used = {eq.id for link in order + added for eq in link.eqs}
                combination = self.eliminator.combine([eq for eq in equations if eq.id not in used], known, target)
                if combination is None:
                    continue
                added.append(Link(combination.equations, (target,), (), combination.formula))
                known.add(target)
                rest = [eq for eq in equations if eq.id not in {e.id for link in order + added for e in link.eqs}]
                added += self._structural(rest, known, targets, simple, forward_only, assumed, order + added)
                progressed = True
        return added

    def _structural(self, equations: list[Equation], known: set[str], targets: Iterable[str],
                    simple: bool = False, forward_only: Iterable[str] = (), assumed: Iterable[str] = (),
                    before: Iterable[Link] = ()) -> list[Link]:
        """`before`: the links that derived some of `known` (a tear is judged with their formulas)."""
        if simple:
            return structural(equations, known, forward_only=forward_only, assumed=assumed)
        return structural(equations, known, self._block_ok, targets, self._tear_ok, forward_only, assumed,
                          tuple(before))

    def _block_ok(self, eqs: tuple[Equation, ...], names: tuple[str, ...]) -> bool:
        """A pair forms a block only if its rules are independent in the two unknowns (exact rank of
        the exponents for monomial rules: two forms of one relation never form a block) and sympy
        solves it (cached on disk, within its time budget)."""
        independent = self.eliminator.independent(eqs, names)
        if independent is False:
            return False
        if independent and self.eliminator.block(eqs, names) is not None:
            return True   # monomial rules of full rank: solved exactly without sympy if it has no time
        return symbolic.solve_block([(e.lhs, e.rhs, e.text) for e in eqs], list(names), self.domains) is not None

    def _needed_defaults(self, equations: list[Equation], derivable: set[str], targets: tuple[str, ...],
                         soft: tuple[str, ...], simple: bool, promoted: Iterable[str], assumed: Iterable[str],
                         before: Iterable[Link] = ()) -> list[str]:
        """Defaults the targets depend on: added one at a time until they are reached, then traced back.
        Defaults of inputs come first, by their declared `default_rank` (the layout tp, pp before
        micro_batch before grad_accum: with n_gpus and global_batch given, Megatron-LM derives the
        micro-batch count, never a tp of 1/16 from dp = n_gpus / (tp · pp)); defaults of values some
        rule defines (a left-hand side, e.g. memory.yaml's activation_bytes = 0) come last, so such a
        fallback never hides the value the rules would derive from the other defaults. The trial keeps the
        plan's restrictions (`promoted`, `assumed`): no defaults for a path the plan cannot take."""
        trial = set(derivable)
        order: list[Link] = []
        added = []
        ranks = {n: v.default_rank for n, v in self.rules.variables.items()}
        for name in sorted(soft, key=lambda n: (n in self.defined, ranks.get(n, 0))):
            if all(t in trial for t in targets):   # (a later one would claim a value the chain derives: a
                break                              # fallback activation_bytes = 0 beside a torn smallest tp)
            if name not in trial and name not in targets:
                trial.add(name)
                added.append(name)
                order += self._structural([e for e in equations if not _all_used(e, order)], trial, targets,
                                          simple, set(promoted) | (self.defined & set(added)), assumed,
                                          [*before, *order])
        if any(t not in trial for t in targets):
            return []
        needed = trace(order, targets)
        return [name for name in added if name in needed]

    def _tear_ok(self, closing: Equation, defs: Definitions, x: str, before: tuple[Link, ...] = ()) -> bool:
        """A torn chain of products of powers only says something about x if elimination finds x
        from its rules (an exact rank question); the random-point test cannot see that a known
        gpu_seconds is n_gpus * train_time, so two forms of one relation look informative to it.
        Nor, alone, that a known the links `before` derived is tied to the others: with train_flops
        = model_flops_per_token · tokens derived, the definitions of mfu close on themselves (an
        identity in n_gpus), so the test is repeated with those knowns written as their formulas."""
        eqs = (closing,) + tuple(eq for eq, _ in defs)
        if all(self.eliminator.of(eq) is not None for eq in eqs):
            known = {v for eq in eqs for v in eq.variables} - {n for _, n in defs} - {x}
            if self.eliminator.combine(list(eqs), known, x) is None:
                return False
        torn = self._torn(closing, defs, x)
        return torn is not None and informative_after(torn[1], x, before, self.domains)

    def _torn(self, closing: Equation, defs: Definitions, x: str) -> Tear | None:
        """(closed forms for x, residual in x, the definitions' own forms): the closing equation, defs substituted.

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
            written: dict[str, Tree] = {}   # (each definition refers to earlier ones: written out in turn)
            lhs, rhs = (written_out(side, subs, written) for side in (closing.lhs, closing.rhs))
            if informative(lhs, rhs, x):
                text = f"{render(lhs)} = {render(rhs)}"
                solutions = symbolic.solve_block([(lhs, rhs, text)], [x], self.domains) or []
                if solutions and all(not variables(sol[x]) for sol in solutions):
                    # x = 0 whatever the knowns (tokens from attention_flops_share: -s·6·N·x = 0): the
                    # torn chain holds for every x or for none, it does not determine x
                    return None
                residual = ("add", (lhs, ("mul", (("num", -1.0), rhs))))
                self._tears[key] = (tuple(solutions), residual, tuple(subs.items()))
        return self._tears[key]

    def _step(self, link: Link) -> Step:
        eqs, names = link.eqs, link.names
        if link.closed is not None:
            return Step(names, eqs, ({names[0]: link.closed},))
        if link.via:
            candidates, residual, guards = self._torn(eqs[0], link.via, names[0])  # type: ignore[misc]
            return Step(names, eqs + tuple(eq for eq, _ in link.via), candidates, residual, guards)
        if len(eqs) == 1 and len(names) == 1:
            # a definition solved for its own left side (x = f(knowns)) is its right side as written:
            # no sympy, so a cold cache or a spent budget never turns it into root finding
            eq = eqs[0]
            for side, other in ((eq.lhs, eq.rhs), (eq.rhs, eq.lhs)):
                if side == ("var", names[0]) and names[0] not in variables(other):
                    return Step(names, eqs, ({names[0]: other},))
        solutions = symbolic.solve_block([(e.lhs, e.rhs, e.text) for e in eqs], list(names), self.domains)
        if solutions:
            return Step(names, eqs, tuple(solutions))
        eliminated = self.eliminator.block(eqs, names) if len(eqs) > 1 else None
        if eliminated is not None:   # (sympy out of time: the same solution, less simplified)
            return Step(names, eqs, (eliminated,))
        residual = None
        if len(eqs) == 1:
            eq = eqs[0]
            residual = ("add", (eq.lhs, ("mul", (("num", -1.0), eq.rhs))))
        return Step(names, eqs, (), residual)

    def _reaches(self, equations: list[Equation], known: set[str], missing: list[str],
                 forward_only: Iterable[str]) -> bool:
        """Whether chains, independent monomial pairs and elimination reach `missing`: structural
        and exact, no sympy, so the search for what is missing stays fast on an empty cache."""
        trial = set(known)
        order = structural(equations, trial, self._exact_block, missing, forward_only=forward_only)
        if all(m in trial for m in missing):
            return True
        self._eliminate(equations, trial, missing, order, True, forward_only)
        return all(m in trial for m in missing)

    def _exact_block(self, eqs: tuple[Equation, ...], names: tuple[str, ...]) -> bool:
        return self.eliminator.independent(eqs, names) is True


def _all_used(eq: Equation, order: list[Link]) -> bool:
    return any(eq is e for link in order for e in link.eqs)
