"""The Python API: an Engine answers questions and explains the answers.

    engine = Engine.load()
    result = engine.solve(["n_gpus"], {"params": "7B", "tokens": "2T", "gpu": "A800",
                                       "train_time": "30d", "mfu": 0.4, "recompute": "full"})
    result.values["n_gpus"], result.derivation, result.to_json()

A question is a batch of one row (engine/solve/batch.py); the CLI, the workbook
runner and the reports all sit on top of this.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol, Sequence

import numpy as np

from .. import hooks
from ..errors import EngineError, ValueParseError
from ..messages import Nested, keyed, keyed_from, localized, rekeyed
from ..rules import units
from ..rules.expr import Tree, render
from ..rules.hf_config import givens_from_config
from ..rules.loading import load_rules
from ..rules.model import Check, Equation, RuleSet, Variable
from ..text.formatting import fill_values, format_quantity, rounded_note, rounded_way, shorten
from ..text.framework_keys import FRAMEWORK_KEYS
from ..text.values import parse_key, parse_number
from . import symbolic
from .batch import STATUS_NAMES, Batch, BatchSolver, Categorical
from .catalog_selectors import apply_catalog_selectors
from .factored import Factored
from .first_whole import FIRST_WHOLE
from .numeric import compile_tree
from .planning import Plan, Planner, Step
from .reach import key_columns, unreachable
from .sensitivity import default_effects
from .several_limits import NOTE as LIMITS
from .unmoved import unmoved
from .unused_givens import UNUSED
from .whole_options import with_whole_options

_BASE_SYMBOLS = {"[compute]": "FLOP", "[time]": "s", "[information]": "byte", "[token]": "token",
                 "[text]": "char", "[currency]": "USD", "[energy]": "J", "[mass]": "g"}


def base_unit(variable: Variable) -> str:
    """The SI-style base unit a JSON value is given in (FLOP/s, byte, token, ...)."""
    num = [(_BASE_SYMBOLS.get(d, d), e) for d, e in variable.dims if e > 0]
    den = [(_BASE_SYMBOLS.get(d, d), -e) for d, e in variable.dims if e < 0]
    fmt = lambda s, e: s if e == 1 else f"{s}^{e:g}"  # noqa: E731
    text = "*".join(fmt(s, e) for s, e in num) or ("1" if den else "")
    return text + "".join("/" + fmt(s, e) for s, e in den)


class ValueColumns(Protocol):
    """Named columns of values, one per row: a Batch, or a stand-in for one row (check_message)."""

    @property
    def values(self) -> Mapping[str, np.ndarray]: ...


@dataclass
class Warning_:
    code: str
    message: str
    severity: str = "warning"
    source: str = ""

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "severity": self.severity, "source": self.source}


@dataclass
class DerivationStep:
    """One rule applied: symbolic form, numbers substituted, result."""

    equations: tuple[Equation, ...]
    unknowns: tuple[str, ...]
    solved: dict[str, Tree]            # unknown -> expression it was computed from ({} = numeric)
    substituted: dict[str, str]        # unknown -> the expression with numbers in base units
    results: dict[str, float]          # base units
    phase: str = "solve"               # "solve" | "recompute" (after rounding an integer answer)
    needed: bool = True                # on the path to the targets (else: also derived on the side)

    @property
    def numeric(self) -> bool:
        return not self.solved


@dataclass
class Result:
    """An answered question."""

    rules: RuleSet
    targets: tuple[str, ...]
    values: dict[str, float]
    status: dict[str, str]
    keys: dict[str, str]
    warnings: list[Warning_]
    derivation: list[DerivationStep]
    assumptions: list[tuple[str, str, str]]     # (name, shown value, source)
    rounded: dict[str, tuple[float, float]] = field(default_factory=dict)
    checks: list[Equation] = field(default_factory=list)
    lang: str = "en"
    unrounded: dict[str, float] = field(default_factory=dict)   # before rounding: raw integers, budgets as given
    origins: dict[str, str] = field(default_factory=dict)       # name -> file:line it came from (config=PATH)
    config: dict[str, Any] = field(default_factory=dict)        # what config=PATH read (files, ignored keys)
    default_keys: dict[str, str] = field(default_factory=dict)  # the keys the question did not choose (its defaults)

    def show(self, name: str) -> str:
        return format_quantity(self.rules.variables[name], self.values[name])

    def to_json(self) -> dict[str, Any]:
        values = {}
        for name, value in self.values.items():
            variable = self.rules.variables[name]
            values[name] = {"value": value, "unit": base_unit(variable),
                            "display": format_quantity(variable, value), "status": self.status.get(name, "")}
            if name in self.origins:
                values[name]["origin"] = self.origins[name]
        effects = default_effects(self)   # numeric defaults: the answer's relative change for 10 % more
        out: dict[str, Any] = {
            "solved": list(self.targets), "values": values,
            "warnings": [w.to_json() for w in self.warnings],
            "keys": dict(self.keys),
            "assumptions": [{"name": n, "value": v, "source": s, **({"effect": effects[n]} if n in effects else {})}
                            for n, v, s in self.assumptions],
            "derivation": [{"rules": [e.id for e in step.equations], "source": "; ".join(e.source for e in step.equations),
                            "solves": list(step.unknowns),
                            "formula": {u: f"{u} = {render(t)}" for u, t in step.solved.items()},
                            "substituted": step.substituted, "phase": step.phase, "needed": step.needed,
                            "result": {u: v for u, v in step.results.items()}}
                           for step in self.derivation],
        }
        if self.config:
            out["config"] = self.config
        if self.rounded:
            out["rounded"] = {n: {"raw": a, "rounded": b} for n, (a, b) in self.rounded.items()}
        return out


class Engine:
    """Rules + planner + batch solver; load once, ask many questions."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.planner = Planner(rules)
        self.batch = BatchSolver(rules, self.planner)

    @classmethod
    def load(cls, extra: Iterable[Path | str] = ()) -> "Engine":
        return cls(load_rules(extra))

    # -- inputs --------------------------------------------------------------
    def variable(self, name: str) -> Variable:
        variable = self.rules.variables.get(name)
        if variable is None:
            close = difflib.get_close_matches(name, list(self.rules.variables), n=3)
            ours, where = FRAMEWORK_KEYS.get(name.strip().lower(), ("", ""))
            hint = Nested("values.framework_key", framework=where, name=ours) if ours in self.rules.variables else \
                Nested("values.did_you_mean_variable", names=", ".join(close)) if close else Nested("values.see_rules")
            raise keyed(ValueParseError, "values.unknown_variable", name=shorten(name), hint=hint)
        return variable

    def check_targets(self, targets: Sequence[str], given: Iterable[str] = ()) -> tuple[str, ...]:
        out = []
        for name in targets:
            variable = self.variable(name)
            if variable.categorical:
                raise keyed(ValueParseError, "values.categorical_target", name=name, values=", ".join(variable.values[:10]))
            if name in given:
                raise keyed(ValueParseError, "values.given_and_asked", name=name)
            out.append(name)
        if not out:
            raise keyed(ValueParseError, "values.no_target")
        return tuple(dict.fromkeys(out))

    def parse_givens(self, givens: dict[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
        givens = givens_from_config(givens)   # model=path/to/config.json -> layers, hidden, ...
        givens = apply_catalog_selectors(givens, self.rules.tables)   # model=qwen3-4b -> head_dim_rule=free
        numbers, keys = {}, {}
        for name, raw in givens.items():
            variable = self.variable(name)
            if variable.categorical:
                keys[name] = parse_key(variable, self.rules.tables.get(name), raw)
            else:
                numbers[name] = parse_number(variable, raw)
        return numbers, keys

    # -- one question ----------------------------------------------------------
    def solve(self, targets: Sequence[str], givens: dict[str, Any], lang: str = "en") -> Result:
        """Answer one question; raises an EngineError subclass when it cannot."""
        attached = []
        for expand in hooks.GIVEN_EXPANDERS:   # config=train.yaml -> its values, typed ones win (engine.hooks)
            givens, origins = expand(givens, self.rules)
            attached.append(origins)
        numbers, keys = self.parse_givens(givens)
        targets = self.check_targets(targets, list(numbers) + list(keys))
        batch = self.solve_columns({n: np.array([v]) for n, v in numbers.items()},
                                   key_columns(keys), [targets], np.zeros(1, dtype=np.int64), 1)
        if batch.errors[0] is not None:
            kind = batch.error_kinds[0] or EngineError
            error = kind if isinstance(kind, EngineError) else keyed_from(kind, batch.errors[0])
            error = _with_reach(self, with_whole_options(self, error, batch, numbers, keys), numbers, keys, targets)
            if isinstance(error, EngineError):
                for origins in attached:   # (the config's lines behind the values a refusal names)
                    error = origins.explain(error)
            raise error from None
        result = self.result_for_row(batch, 0, lang)
        for origins in attached:
            result = origins.attach(result)
        return result

    def solve_columns(self, numbers: dict[str, np.ndarray], keys: dict[str, Categorical],
                      targets: Sequence[tuple[str, ...]], row_targets: np.ndarray, rows: int,
                      errors: np.ndarray | None = None, side_values: bool = True,
                      failed: np.ndarray | None = None, grid: Factored | None = None) -> Batch:
        """The vectorized path: columns in base units -> a Batch (see engine/solve/batch.py).

        side_values=False evaluates only the rules on the path to the targets (what a big sweep needs).
        failed: bool per row, errors[row] is not None (saves a scan of the object array).
        grid: the rows are a cartesian product of axes (engine/solve/factored.py; a sweep's chunk).
        """
        try:
            return self.batch.solve(numbers, keys, targets, row_targets, rows, errors, side_values, failed, grid)
        finally:
            symbolic.save()
            units.save()

    # -- explanations ------------------------------------------------------------
    def result_for_row(self, batch: Batch, row: int, lang: str = "en") -> Result:
        """Everything about one row: values, statuses, warnings, derivation."""
        values = {n: float(col[row]) for n, col in batch.values.items() if not np.isnan(col[row])}
        status = {n: STATUS_NAMES[int(batch.status[n][row])] for n in values if n in batch.status}
        keys = {n: c.labels[c.codes[row]] for n, c in batch.keys.items()
                if c.codes[row] >= 0 and batch.typed.get(n, np.ones(batch.rows, bool))[row]}
        default_keys = {n: c.labels[c.codes[row]] for n, c in batch.keys.items()
                        if c.codes[row] >= 0 and n not in keys}
        targets = batch.targets[int(batch.row_targets[row])]
        group = batch.group_of(row)
        plan = group.plan if group is not None else None
        derivation: list = []
        assumptions: list = []
        rounded: dict[str, tuple[float, float]] = {}
        checks: list[Equation] = []
        unrounded = {n: float(c[row]) for n, c in batch.unrounded.items() if not np.isnan(c[row])}
        if group is not None and plan is not None:
            before = dict(values)
            before.update(unrounded)
            derivation = self._derive(plan, before, batch, row, "solve")
            for name in (n for n in group.rounded if n in unrounded):   # (a NaN row, one of first_whole: none)
                rounded[name] = (before[name], values.get(name, before[name]))
            if group.replan is not None:
                derivation += self._recomputed(group.replan, group.rounded, values, batch, row)
            checks = (group.replan or plan).checks
            assumptions = self._assumptions(plan, default_keys, batch, row)
        warnings = self._warnings(batch, row, lang)
        for name, (raw, new) in rounded.items():
            variable = self.rules.variables[name]
            way = rounded_way(variable.rounding, raw, new)
            warnings.insert(0, Warning_("rounded", f"{name} = {rounded_note(raw)} rounded {way} to {new:g}; "
                                        "values that depend on it are recomputed for the rounded count", "info"))
        return Result(self.rules, targets, values, status, keys, warnings, derivation, assumptions,
                      rounded, checks, lang, unrounded, default_keys=default_keys)

    def _derive(self, plan: Plan, values: dict[str, float], batch: Batch, row: int, phase: str
                ) -> list[DerivationStep]:
        steps = []
        for step in plan.steps:
            if not all(u in values for u in step.unknowns):
                continue
            solved = self._chosen_candidate(step, values)
            substituted = {u: _substitute(t, values, self.rules) for u, t in solved.items()}
            steps.append(DerivationStep(step.equations, step.unknowns, solved, substituted,
                                        {u: values[u] for u in step.unknowns}, phase,
                                        bool(set(step.unknowns) & plan.needed)))
        return steps

    def _recomputed(self, plan: Plan, rounded: list[str], values: dict[str, float], batch: Batch, row: int
                    ) -> list[DerivationStep]:
        """Steps after rounding that the rounded integers actually change."""
        affected = set(rounded)
        out = []
        for step in self._derive(plan, values, batch, row, "recompute"):
            if affected & {v for e in step.equations for v in e.variables} - set(step.unknowns):
                affected |= set(step.unknowns)
                out.append(step)
        return out

    def _chosen_candidate(self, step: Step, values: dict[str, float]) -> dict[str, Tree]:
        """The closed form whose value matches the row (several roots may exist)."""
        for candidate in step.candidates:
            try:
                with np.errstate(all="ignore"):
                    got = {u: float(compile_tree(t)(values)) for u, t in candidate.items()}
            except KeyError:
                continue
            if all(np.isclose(got[u], values[u], rtol=1e-6) for u in got):
                return candidate
        return step.candidates[0] if step.candidates else {}

    def _assumptions(self, plan: Plan, default_keys: dict[str, str], batch: Batch, row: int
                     ) -> list[tuple[str, str, str]]:
        out = []
        chosen = dict(plan.selectors)
        for name, key in default_keys.items():
            if self._default_used(name, plan):
                out.append((name, key, self.rules.variables[name].default_for(chosen)[1]))
        for name in plan.defaults:
            variable = self.rules.variables[name]
            shown = format_quantity(variable, batch.values[name][row])
            source = variable.default_source or self._table_source(name, default_keys, chosen)
            out.append((name, shown, source))
        return out

    def _default_used(self, name: str, plan: Plan) -> bool:
        key = ("default_used", name)
        if key not in plan.memo:
            plan.memo[key] = self._default_read(name, plan)
        return bool(plan.memo[key])

    def _default_read(self, name: str, plan: Plan) -> bool:
        """A default key (a convention, a catalog entry) whose variant or figures the plan reads."""
        if name in dict(plan.selectors):
            return any(sel == name for step in plan.steps if set(step.unknowns) & plan.needed
                       for eq in step.equations for sel, _ in eq.variant)
        table = self.rules.tables.get(name)
        return table is not None and any(f in plan.defaults for f in table.fields)

    def _table_source(self, field_name: str, keys: dict[str, str], chosen: dict[str, str]) -> str:
        """A default figure's source through its convention: "recompute=full (default for …): seed §4b" (read back by
        engine/table/scope.default_convention)."""
        for name, table in self.rules.tables.items():
            if field_name in table.fields and name in keys:
                entry = table.entries.get(keys[name])
                if entry is not None:
                    conditional = self.rules.variables[name].conditional_default(chosen)
                    case = f" for {conditional.case}" if conditional is not None and conditional.case else ""
                    return f"{name}={entry.key} (default{case}): {entry.source}"
        return ""

    def _warnings(self, batch: Batch, row: int, lang: str) -> list[Warning_]:
        out = []
        checks = {c.id: c for c in self.rules.checks}
        for check_id, mask in batch.warnings:
            if mask[row]:
                check = checks[check_id]
                # (an error check that fired without refusing the row, about an asked value, warns)
                severity = "warning" if check.severity == "error" else check.severity
                out.append(Warning_(check.id, self.check_message(check, batch, row, lang), severity, check.source))
        for code, message, mask in batch.notes:
            if mask[row]:
                informative = code == UNUSED or code.startswith((FIRST_WHOLE, LIMITS))   # (news, not a doubt)
                out.append(Warning_(code, localized(message, lang), "info" if informative else "warning"))
        for mismatch in batch.mismatches:
            if not np.isnan(mismatch.gaps[row]):
                out.append(Warning_(mismatch.code, mismatch.message(row, lang), "warning", mismatch.eq.source))
        return out

    def check_message(self, check: Check, batch: ValueColumns, row: int, lang: str = "en") -> str:
        """The check's message with {name} placeholders filled (no str.format: templates are data)."""
        return fill_values(check.message(lang), self.rules.variables,
                           lambda name: float(batch.values[name][row]) if name in batch.values else None)


def _substitute(tree: Tree, values: dict[str, float], rules: RuleSet) -> str:
    """The formula with each name replaced by its value in base units."""
    def walk(node: Tree) -> Tree:
        kind = node[0]
        if kind == "var":
            return ("var", f"{values.get(node[1], float('nan')):.6g}")
        if kind in ("add", "mul"):
            return (kind, tuple(walk(c) for c in node[1]))
        if kind == "pow":
            return ("pow", walk(node[1]), walk(node[2]))
        if kind == "call":
            return ("call", node[1], tuple(walk(c) for c in node[2]))
        return node

    return render(walk(tree))


def _with_reach(engine: Engine, error: BaseException, numbers: dict[str, float], keys: dict[str, str],
                targets: Sequence[str]) -> BaseException:
    """An asked value outside its domain (network_bandwidth < 0 for an MFU no network reaches) becomes
    "mfu = 0.45 is out of reach ... at most 0.4471" when a typed given is what cannot be met."""
    fields = unreachable(engine, numbers, keys, targets, error)
    if fields is not None:
        return keyed(type(error), "planner.out_of_reach", **fields)
    unmoved_fields = unmoved(engine, numbers, keys, targets, error, error)   # (a given the asked value cannot move)
    if unmoved_fields is None:
        return error
    return rekeyed(error, "planner.unmoved", **unmoved_fields)
