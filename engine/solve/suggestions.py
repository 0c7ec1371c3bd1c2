"""What to give when a question is under-determined (issue #13 §2): the values that would answer
it, in the order a person gives them (inputs people know before derived quantities), with what
each is and its usual band, a convention that would answer it, a catalog key that has the figure."""
from __future__ import annotations

import time
from itertools import combinations
from typing import TYPE_CHECKING, Iterable, Sequence

from ..errors import UnderdeterminedError
from ..messages import Both, Joined, Nested
from ..rules.model import Equation, RuleSet
from .catalog_hints import catalog_hints
from .ordering import trace
from .trial_plan import plan_answers

if TYPE_CHECKING:
    from .planning import Planner

SUGGESTIONS = 10   # names listed in an under-determined message
CONVENTION_CANDIDATES = 8   # inputs tried (alone, then in pairs) for what a convention still needs
VERIFIED = 3   # conventions the structural reach finds that a trial plan confirms (the most preferred first)
# The search for what is missing is bounded by the number of tries (each asks whether one more set of givens
# reaches the target), so the same question gets the same message on any machine: a slow CI runner once cut it
# off by the clock before its first try and named nothing. The most any question of the test suite needs is
# ~215 tries (0.1-0.6 s here). The clock is only a safety net (issue #13: < 2 s cold), and never cuts the
# first MIN_TRIES, which cover the values nearest the target (a pause for garbage collection is not a search).
SUGGESTION_TRIES = 400
MIN_TRIES = 80
SUGGESTION_SECONDS = 2.0


class SearchBudget:
    """Tries left to the search for what is missing; `spent()` is asked before each try and counts it."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.tries = 0
        self.stopped = False

    def spent(self) -> bool:
        if not self.stopped:
            late = self.tries >= MIN_TRIES and time.monotonic() - self.started > SUGGESTION_SECONDS
            self.stopped = self.tries >= SUGGESTION_TRIES or late
            self.tries += not self.stopped
        return self.stopped


def underdetermined(self: Planner, missing: list[str], knowns: set[str], soft: set[str], equations: list[Equation],
                     selectors: dict[str, str] | None = None, answered: Sequence[str] = (),
                     given: Iterable[str] = ()) -> UnderdeterminedError:
    """The error for a question whose targets `missing` cannot be reached; `answered`: the other targets
    asked with them, each reachable from the givens (said, so the user can ask those alone); `given`:
    the typed values and the figures of typed catalog keys (`knowns` adds the default conventions)."""
    budget = SearchBudget()
    forward_only = self.defined & soft
    helpful = _single_answers(self, equations, knowns | soft, missing, forward_only, budget)
    helpful = _chosen_convention_first(self, helpful, equations, knowns | soft, missing, forward_only,
                                       selectors or {}, budget)
    helpful = _following_default_first(self, helpful, (knowns | soft, missing, forward_only), selectors or {})
    target = ", ".join(missing)
    absent = _absent_figure(self, equations, (knowns, set(given)), missing, forward_only, selectors or {})
    related = prefer_inputs(sorted({n for eq in equations if set(missing) & eq.variables for n in eq.variables}
                                    - knowns - soft - set(missing)), self.rules, self.defined)
    parts: list[Nested] = [absent]   # the cause first: a catalog entry without the figure asked for
    if helpful:
        shown = Joined(*[_suggestion(self, n, i) for i, n in enumerate(helpful[:SUGGESTIONS])], separator=", ")
        parts.append(Nested("planner.underdetermined", target=target, names=shown))
        if len(helpful) > SUGGESTIONS:
            parts.append(Nested("planner.underdetermined.more", count=len(helpful) - SUGGESTIONS,
                                target=missing[0]))
        parts.append(_banded_with(self, equations, knowns | soft, missing, forward_only, helpful, related, budget))
        others = [n for n in related if n not in helpful]
        if len(helpful) < 3 and others:   # a lone odd suggestion (dp): also name the usual inputs
            pair = _answering_pair(self, equations, knowns | soft, missing, forward_only, others, budget)
            rest = [n for n in others if n not in pair][:SUGGESTIONS]
            parts.append(Nested("planner.underdetermined.pair", pair=" + ".join(pair), names=", ".join(rest))
                         if pair else Nested("planner.underdetermined.others", names=", ".join(others[:SUGGESTIONS])))
    else:
        parts.append(Nested("planner.underdetermined.none", target=target, names=", ".join(related) or "none"))
    # (the typed values, and every default a row offers: what a trial plan starts from, as the question's did)
    split = (set(given), soft | (knowns - set(given)))
    keys = catalog_hints(self, equations, split, missing, helpful, forward_only, selectors or {}, budget)
    answered_by_key = any(p.key == "planner.suggestion.catalog_answers" for p in keys)
    if not absent.key and not answered_by_key:   # (the absent figure's clause names the convention that answers)
        parts.append(_selector_hint(self, missing, split, selectors or {}, forward_only, budget, helpful))
    parts += keys
    if answered:
        parts.append(Nested("planner.underdetermined.answerable", names=", ".join(answered), target=target))
    if budget.stopped:
        parts.append(Nested("planner.slow", tries=budget.tries,
                            seconds=f"{time.monotonic() - budget.started:.1f}"))
    whole = Joined(*parts)
    error = UnderdeterminedError(whole.say("en"), missing=missing, suggestions=helpful)
    error.message_key, error.message_fields = "planner.joined", {"parts": whole}   # type: ignore[attr-defined]
    return error


def reachable_alone(self: Planner, knowns: frozenset[str], targets: Sequence[str], missing: list[str],
                    selectors: dict[str, str], soft: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(the targets truly missing, the other targets asked): a target the givens reach on its own is not
    what is missing (the defaults memory_per_gpu needs are not taken when no set of them reaches an
    unreachable train_time too), so the message names only the others and says these can be answered."""
    def alone(target: str) -> bool:
        try:
            self.plan(knowns, (target,), selectors, soft)
        except UnderdeterminedError:
            return False
        return True
    lacking = [t for t in missing if len(targets) == 1 or not alone(t)] or missing
    return lacking, [t for t in targets if t not in lacking]


def _single_answers(self: Planner, equations: list[Equation], known: set[str], missing: list[str],
                    forward_only: Iterable[str], budget: SearchBudget) -> list[str]:
    """The names that answer by themselves, in the order people give them (as many as the budget reaches)."""
    candidates = prefer_inputs(sorted({n for eq in equations for n in eq.variables} - known - set(missing)),
                                self.rules, self.defined)
    # names within two rules of what is missing are tried first: the search has a budget, and
    # with the fine-tuning rules (issue #14) it may not get past the usual inputs otherwise
    near = {n for eq in equations if set(missing) & eq.variables for n in eq.variables}
    near |= {n for eq in equations if near & eq.variables for n in eq.variables}
    helpful: list[str] = []
    for name in [n for n in candidates if n in near] + [n for n in candidates if n not in near]:
        if budget.spent():
            break
        if self._reaches(equations, set(known) | {name}, missing, forward_only):
            helpful.append(name)
    return helpful


def _following_default_first(self: Planner, helpful: list[str], question: tuple[set[str], list[str], Iterable[str]],
                             selectors: dict[str, str]) -> list[str]:
    """Where a default that followed the question's other conventions is why it is refused (packing=off for a
    fine-tune: under the plain default it answers), the inputs that default's rules read come first: seq_len,
    to which an unpacked sample is padded and cut."""
    variables = self.rules.variables
    followed = {name: str(variables[name].default) for name, value in selectors.items() if name in variables
                and getattr(variables[name].conditional_default(selectors), "value", None) == value}
    known, missing, forward_only = question
    if not followed or not self._reaches(self.active(dict(selectors, **followed)), known, missing, forward_only):
        return helpful
    read = {v for eq in self.active(selectors) if any(sel in followed for sel, _ in eq.variant) for v in eq.variables}
    first = [name for name in helpful if name in read and name not in self.defined]
    return first + [name for name in helpful if name not in first]


def _chosen_convention_first(self: Planner, helpful: list[str], equations: list[Equation], known: set[str],
                             missing: list[str], forward_only: Iterable[str], selectors: dict[str, str],
                             budget: SearchBudget) -> list[str]:
    """Under a convention the user chose (perf_model=analytic), the inputs that answer only because of
    it come first (seq_len: what the model reads), before the values that answer under the default too
    (mfu: the value the user chose to have predicted). Quantities some rule defines keep their place."""
    variables = self.rules.variables
    usual_keys = {name: str(variables[name].default_for(selectors)[0]) for name in selectors
                  if name in variables and variables[name].default is not None}
    chosen = {name: value for name, value in selectors.items() if name in usual_keys and value != usual_keys[name]}
    if not chosen or len(helpful) < 2:
        return helpful
    usual = self.active(dict(selectors, **{name: usual_keys[name] for name in chosen}))
    own = []
    for name in helpful:
        if budget.spent():
            return helpful
        if name not in self.defined and not self._reaches(usual, set(known) | {name}, missing, forward_only):
            own.append(name)
    return own + [name for name in helpful if name not in own]


def _absent_figure(self: Planner, equations: list[Equation], knowns: tuple[set[str], set[str]], missing: list[str],
                   forward_only: Iterable[str], selectors: dict[str, str]) -> Nested:
    """A typed catalog key whose entry has the figure for another convention only (tokenizer=llama3:
    characters per English token, no Chinese ratio, while text_language is zh): the cause, and the ways
    out — the convention its figure is for (where that answers), or the missing figure in a form one can
    give. `knowns`: (every known value, the given ones and the typed keys' figures)."""
    known, given = knowns
    uses: dict[str, int] = {}
    for eq in equations:
        for v in eq.variables:
            uses[v] = uses.get(v, 0) + 1
    # what the active rules read, less the inputs of a rule that only restates them as a value no other
    # rule reads (compress_rate = tokens_per_char_zh: the Chinese figure is not used for English text)
    read = {v for eq in equations if not (eq.lhs[0] == "var" and uses[eq.lhs[1]] == 1) for v in eq.variables}
    for name, table in sorted(self.rules.tables.items()):
        fields = set(table.fields)
        idle = fields & given - read   # figures the typed entry has that no active rule reads
        for eq in (e for e in equations if e.variant and idle and (e.variables & fields) - known):
            figure = sorted((eq.variables & fields) - known)[0]
            for selector, allowed in eq.variant:
                other = _other_convention(self, idle, selector, allowed)
                if other is None or not self._reaches(equations, known | {figure}, missing, forward_only):
                    continue
                forms = prefer_inputs(sorted(_restated(equations, figure) - known), self.rules, self.defined)
                answers = self._reaches(self.active(dict(selectors, **{selector: other[0]})), known, missing,
                                        forward_only)
                return Nested("planner.absent_figure" if answers else "planner.absent_figure.only", catalog=name,
                              figure=figure, selector=selector, value=selectors.get(selector), other=other[0],
                              has=", ".join(other[1]), forms=", ".join([figure, *forms]))
    return Nested()


def _restated(equations: list[Equation], name: str) -> set[str]:
    """The values that are `name` in another form: rules of two variables (tokens_per_char =
    tokens_per_char_zh, chars_per_token · tokens_per_char = 1), followed to the end."""
    forms, size = {name}, 0
    while size != len(forms):
        size = len(forms)
        forms |= {v for eq in equations if len(eq.variables) == 2 and eq.variables & forms for v in eq.variables}
    return forms - {name}


def _other_convention(self: Planner, idle: set[str], selector: str, allowed: tuple[str, ...]
                      ) -> tuple[str, list[str]] | None:
    """(another value of `selector`, the idle figures its rules read): the convention the entry's
    figures are for (text_language=en for chars_per_token_en), or None."""
    for eq in self.rules.equations:
        for sel, values in eq.variant:
            others = [v for v in values if v not in allowed]
            if sel == selector and others and eq.variables & idle:
                return others[0], sorted(eq.variables & idle)
    return None


def _banded_with(self: Planner, equations: list[Equation], known: set[str], missing: list[str],
                 forward_only: Iterable[str], helpful: list[str], related: list[str], budget: SearchBudget) -> Nested:
    """A usual input with a band (mfu) that does not answer alone, and the values that answer beside it: the time
    of a LLaMA-Factory config's unpacked samples needs mfu and their mean length, and was told step_time,
    GPU-hours... but never mfu. Nothing where a banded input answers alone (it is listed first then)."""
    if any(self.rules.variables[n].typical is not None for n in helpful[:SUGGESTIONS]):
        return Nested()
    banded = next((n for n in related if self.rules.variables[n].typical is not None), None)
    if banded is None:
        return Nested()
    partners = [n for n in _single_answers(self, equations, known | {banded}, missing, forward_only, budget)
                if n not in helpful]
    partners = sorted(partners, key=lambda n: n in self.defined)[:3]   # (inputs first: tokens_per_sample, not FLOPs)
    if not partners:
        return Nested()
    return Nested("planner.underdetermined.banded", first=_suggestion(self, banded, 0), names=", ".join(partners))


def _answering_pair(self: Planner, equations: list[Equation], known: set[str], missing: list[str],
                    forward_only: Iterable[str], names: list[str], budget: SearchBudget) -> tuple[str, ...]:
    """The first two of `names` (in the order people give them) that answer together: mfu + train_time
    for n_gpus, the pair a planner has, where the single values that answer are layout (dp)."""
    for pair in combinations(names[:CONVENTION_CANDIDATES], 2):
        if budget.spent():
            break
        if self._reaches(equations, known | set(pair), missing, forward_only):
            return pair
    return ()


def _suggestion(self: Planner, name: str, position: int) -> Nested:
    """mfu (GPU utilization ...; the seed's band is 0.3–0.55): what it is and the usual values,
    for the first few names; memory_fill=1 (the largest that fits)."""
    variable = self.rules.variables[name]
    if position >= 3 or variable.typical is None:
        return Nested("planner.name", name=name)
    label = Both((variable.en or name).split(" (")[0], variable.zh.split("（")[0].split(" (")[0])
    if variable.typical is not None:
        low, high = (v / variable.factor for v in variable.typical)
        if low == high:
            return Nested("planner.suggestion.value", name=name, label=label, value=f"{low:g}")
        return Nested("planner.suggestion.band", name=name, label=label, low=f"{low:g}", high=f"{high:g}")
    return Nested("planner.suggestion", name=name, label=label)


# (selector, value, its active rules, its own rules, the targets or helpful values its own rules derive)
_Trial = tuple[str, str, list[Equation], list[Equation], list[str]]


def _selector_hint(self: Planner, missing: list[str], split: tuple[set[str], set[str]], selectors: dict[str, str],
                   forward_only: Iterable[str], budget: SearchBudget, helpful: Sequence[str] = ()) -> Nested:
    """A convention that would answer the question (perf_model=analytic where it exists); or one
    whose own rules derive a suggested value (mfu under perf_model=analytic), with the givens it
    still needs (issue #16: "a question missing mfu keeps naming mfu and mentions perf_model=analytic").
    A convention set away from its default (perf_model=analytic typed, or a model's attention_kind) is a
    choice: never suggested away. `split`: (the givens, the defaults usable)."""
    known = split[0] | split[1]
    reaching, deriving = _conventions_tried(self, missing, known, selectors, forward_only, budget, helpful)
    # a convention whose own rules read a given nothing reads now (pp_bubble_fraction: perf_model=analytic's)
    # first, then one whose rules derive a missing target itself rather than a value that would help
    read_now = {v for eq in self.active(selectors) for v in eq.variables}
    idle = set(known) - read_now
    reaching.sort(key=lambda r: -len(idle & {v for eq in r[3] for v in eq.variables}))
    near = set()   # (reached structurally through defaults a plan does not take: what it still needs, as below)
    for rank, trial in enumerate(reaching):
        selector, value = trial[0], trial[1]
        if rank < VERIFIED and not budget.spent() and plan_answers(
                self, frozenset(split[0]), tuple(missing), dict(selectors, **{selector: value}), split[1]):
            return Nested("planner.suggestion.selector", selector=selector, value=value)
        if trial[4]:
            deriving.append(trial)
            near.add((selector, value))
    deriving.sort(key=lambda d: (-len(idle & {v for eq in d[3] for v in eq.variables}),
                                 -len(set(d[4]) & set(missing))))
    for selector, value, equations, own, derived in deriving:
        needs = _convention_needs(self, equations, own, missing, known, forward_only, budget, set(helpful))
        if needs is None and (selector, value) not in near:
            continue
        if needs:
            return Nested("planner.suggestion.selector_needs", selector=selector, value=value,
                          names=" + ".join(needs), target=", ".join(missing))
        return Nested("planner.suggestion.selector_more", selector=selector, value=value,   # (the targets first)
                      names=", ".join([d for d in derived if d in missing] or derived[:2]))
    return Nested()


def _conventions_tried(self: Planner, missing: list[str], known: set[str], selectors: dict[str, str],
                       forward_only: Iterable[str], budget: SearchBudget, helpful: Sequence[str]
                       ) -> tuple[list[_Trial], list[_Trial]]:
    """Other values of the conventions at their defaults: (those reaching the targets structurally, those
    whose own rules derive a target or a value that would help)."""
    deriving: list[_Trial] = []
    reaching: list[_Trial] = []
    for selector in sorted(self.rules.selectors):
        variable = self.rules.variables[selector]
        usual = str(variable.default_for(selectors)[0])   # (a fine-tune's recompute=full is its default too)
        if variable.role == "plan" or selectors.get(selector, usual) != usual:
            continue   # (the user's plan, not a convention to switch: never "or choose method=freeze")
        for value in variable.values:
            if budget.spent():
                break   # (out of time: the conventions found so far)
            current = selectors.get(selector, usual)
            if value == current or selector in known and selector not in selectors:
                continue
            equations = self.active(dict(selectors, **{selector: value}))
            own = [eq for eq in equations if any(sel == selector for sel, _ in eq.variant)
                   and not eq.active(dict(selectors, **{selector: current}))]
            derived = [name for name in [*missing, *helpful] if any(name in eq.variables for eq in own)]
            if self._reaches(equations, set(known), missing, forward_only):
                reaching.append((selector, value, equations, own, derived))
            elif derived:
                deriving.append((selector, value, equations, own, derived))
    return reaching, deriving


def _convention_needs(self: Planner, equations: list[Equation], own: list[Equation], missing: list[str],
                      known: set[str], forward_only: Iterable[str], budget: SearchBudget, answers: set[str]
                      ) -> list[str] | None:
    """The fewest extra givens (one, else two) with which the convention's rules answer: inputs of its
    own rules (seq_len, global_batch) that nothing derives yet, none of the values that would answer
    by themselves. None: the only such givens answer without the typed limits (not worth suggesting)."""
    reach = set(known)
    self._structural(equations, reach, (), True, forward_only)
    names = prefer_inputs(sorted({n for eq in own for n in eq.variables} - reach - set(missing) - answers
                                 - self.defined), self.rules, self.defined)[:CONVENTION_CANDIDATES]
    limits = {n for n in known if self.rules.variables[n].limit}
    ignored = False   # (a combination that answers without the typed limits: no way to answer this question)
    for size in (1, 2):
        for combo in combinations(names, size):
            if budget.spent():
                return []
            if self._reaches(equations, set(known) | set(combo), missing, forward_only):
                if _limits_kept(self, equations, set(known) | set(combo), missing, limits, forward_only):
                    return list(combo)
                ignored = True
    return None if ignored else []


def _limits_kept(self: Planner, equations: list[Equation], known: set[str], missing: list[str], limits: set[str],
                 forward_only: Iterable[str]) -> bool:
    """Whether the chains that answer with `known` read every typed limit on the way: perf_model=analytic with
    layers gives params by the shape sketch alone, which is no answer to "the largest model within
    memory_fill=1" (a route the chains do not reach is not judged)."""
    if not limits:
        return True
    trial = set(known)
    order = self._structural(equations, trial, (), True, forward_only)
    if any(m not in trial for m in missing):
        return True
    return limits <= trace(order, missing)


def prefer_inputs(names: list[str], rules: RuleSet, defined: set[str] | frozenset[str] = frozenset()
                   ) -> list[str]:
    """In the order a person gives them: inputs people know first (mfu, n_gpus, train_time, seq_len,
    micro_batch, memory_fill: a usual band, a default, a budget or a count; no rule defines them),
    then other inputs, then derived quantities (co2_kg, corpus_bytes, loss); within each, the
    variables more rules use (the central ones) first."""
    uses: dict[str, int] = {}
    for eq in rules.equations:
        for v in eq.variables:
            uses[v] = uses.get(v, 0) + 1

    def rank(name: str) -> tuple:
        variable = rules.variables[name]
        if variable.tags or variable.typical is not None:
            kind = 0          # what reports and people name first: utilization, GPUs, time, memory
        elif variable.role == "budget":
            kind = 1
        elif variable.default is not None or variable.domain == "integer":
            kind = 2          # settings: seq_len, micro_batch, memory_fill
        else:
            kind = 3
        return (kind, name in defined, -uses.get(name, 0), name)
    return sorted(names, key=rank)
