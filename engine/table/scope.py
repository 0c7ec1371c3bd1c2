"""Which warnings a person should read for one answered question (issue #15: warnings that mean
something). The solver reports every fired check and overridden default; this keeps those that say
something about *this* question:

* "X follows from the values given, not from its default" only where the default was a real
  assumption of the question, a figure of a convention the user did not choose (recompute=none's
  6 FLOP/token when the train_flops typed imply 7.1): never for a target (the user asked for it),
  never for a figure that follows from the architecture (queries_per_kv = heads / kv_heads on a GQA
  model), never for a knob the typed values set (grad_accum = global_batch / (micro_batch * dp));
* an advisory whose values all come from a catalog entry (a tokenizer's measured characters per
  token outside the seed's band) is about the catalog, not the question: left out.

Pretraining-only notes are scoped in the rule files themselves (a check's `when`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ..messages import text
from ..solve.admissible import admissibility_checks
from ..solve.batch import CATALOG, DEFAULT, DERIVED, SOLVED
from ..solve.bounds import repeated_view
from ..solve.numeric import compile_tree
from ..solve.planning import computed_from
from ..text.formatting import (
    ROUNDING_NOISE,
    format_quantity,
    plain_rounded,
    rounded_for_real,
    rounded_note,
    rounded_way,
    shown_whole,
)

if TYPE_CHECKING:
    from ..rules.model import RuleSet
    from ..solve.batch import Batch
    from ..solve.solver import Result, Warning_

OVERRIDDEN = "default_overridden."
ROUNDED = "rounded"


def convention_of(name: str, result: Result) -> tuple[str, str] | None:
    """(convention, its default key) whose table supplies `name`, when the user did not choose it."""
    rules = result.rules
    for key, table in rules.tables.items():
        default = result.default_keys.get(key, rules.variables[key].default)   # (a fine-tune's recompute=full)
        if name in table.fields and default is not None and key not in result.keys:
            return key, str(default)
    return None


def default_convention(source: str) -> str | None:
    """"recompute=full" from a default figure's source as Engine._table_source writes it, else None."""
    convention, marker, _ = source.partition(" (default")
    return convention if marker and "=" in convention and " " not in convention else None


def reworded(warning: Warning_, result: Result, lang: str) -> str:
    """An overridden-default warning said in `lang` from its parts (the convention and its figure);
    any other warning as the solver wrote it."""
    if warning.code == ROUNDED:
        return _rounding(warning, result, lang)
    if not warning.code.startswith(OVERRIDDEN):
        return warning.message
    name = warning.code[len(OVERRIDDEN):]
    found = convention_of(name, result)
    variable = result.rules.variables.get(name)
    if found is None or variable is None or name not in result.values:
        return warning.message
    key, default_key = found
    entry = result.rules.tables[key].resolve(default_key)
    if entry is None or name not in entry.values:
        return warning.message
    return text("results.default_overridden", lang, name=name, got=format_quantity(variable, result.values[name]),
                default=format_quantity(variable, entry.values[name]), source=f"{key}={entry.key}")


def real_roundings(result: Result) -> dict[str, tuple[float, float]]:
    """The roundings worth a note: result.rounded less a whole value that float noise only seemed to
    move (grad_accum 132.99999999999997 -> 133)."""
    return {name: pair for name, pair in result.rounded.items() if rounded_for_real(*pair)}


def moved_rows(raw: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Per row, rounded_for_real: the whole number differs from the raw value by more than float noise."""
    return np.abs(raw - new) > ROUNDING_NOISE * np.maximum(1.0, np.abs(raw))


def only_noise_rounded(result: Result) -> bool:
    """Whole numbers were rounded, each by float noise only: a budget "recomputed for the rounded count"
    is the one given, and saying so is noise too."""
    return bool(result.rounded) and not real_roundings(result)


def _rounded_name(warning: Warning_, result: Result) -> str | None:
    """The name a rounding note is about (it is named first: "grad_accum = ...")."""
    return next((name for name in result.rounded if warning.message.startswith(f"{name} = ")), None)


def noise_rounding(warning: Warning_, result: Result) -> bool:
    """A rounding note about a whole value that float noise only seemed to move ("133 rounded up to 133")."""
    if warning.code != ROUNDED:
        return False
    name = _rounded_name(warning, result)
    return name is not None and name not in real_roundings(result)


def _rounding(warning: Warning_, result: Result, lang: str) -> str:
    """The rounding note from Result.rounded (the raw value kept: "2,047.98 rounded up to 2,048"), with the
    admissible value it then moved to ("14.06 rounded down to 14, then 12: the largest admissible value")."""
    name = _rounded_name(warning, result)   # (one note per rounded name)
    if name is None:
        return warning.message
    raw, new = result.rounded[name]
    how = text(f"results.how.{rounded_way(result.rules.variables[name].rounding, raw, new)}", lang)
    moved = admissible_move(result, name)
    if moved is not None:
        plain, extreme, checks = moved
        return text("results.whole_admissible" if shown_whole(raw) else "results.rounded_admissible", lang,
                    name=name, raw=rounded_note(raw), how=how,
                    plain=f"{plain:,.0f}", new=f"{new:,.0f}", extreme=text(f"results.admissible.{extreme}", lang),
                    checks=checks)
    return text("results.rounded", lang, name=name, raw=rounded_note(raw), how=how, new=f"{new:,.0f}")


def admissible_move(result: Result, name: str) -> tuple[float, str, str] | None:
    """Where a rounded answer went past its plain rounding to an admissible value (micro_batch 14.06 ->
    14 -> 12: 14 x 8 GPUs does not divide the batch of 96): (the plain rounding, "largest" or "smallest",
    the admissibility checks the plain value fails); None where the answer is the plain rounding."""
    raw, new = result.rounded[name]
    plain = plain_rounded(result.rules.variables[name].rounding, raw, new)
    if plain == new:
        return None
    later = computed_from(name, [step for step in result.derivation if step.phase == "solve"])
    ids, fired = ruled_out(result.rules, name, np.array([plain]), result.values, later)
    return plain, "largest" if new < plain else "smallest", checks_said(ids, fired)[0]


def ruled_out(rules: RuleSet, name: str, plain: np.ndarray, values: Mapping[str, "np.ndarray | float"],
              later: set[str]) -> tuple[list[str], np.ndarray]:
    """(the admissibility checks of `name` that can judge `plain` here, per row and check whether it
    rules `plain` out). A value the answer did not compute takes its default (micro_batch's 1 beside a
    typed global_batch); a check reading a value computed from `name`, or one without a value, is left out."""
    env: dict[str, "np.ndarray | float"] = {name: plain}
    checks = []
    for check in admissibility_checks(rules, name):
        others = check.variables - {name}
        if others & later:
            continue
        for other in others:
            default = rules.variables[other].default
            if other in values:
                env[other] = values[other]
            elif default is not None and not rules.variables[other].categorical:
                env[other] = float(default)
        if check.variables <= env.keys():
            checks.append(check)
    fired = np.zeros((len(plain), len(checks)), dtype=bool)
    with np.errstate(all="ignore"):
        for column, check in enumerate(checks):
            fired[:, column] = np.broadcast_to(np.asarray(compile_tree(check.condition)(env)) > 0, (len(plain),))
    return [c.id for c in checks], fired


def checks_said(ids: list[str], fired: np.ndarray) -> list[str]:
    """Per row, the checks named for a move: those that ruled the plain value out (every one that took
    part where none did)."""
    return [", ".join([i for i, hit in zip(ids, row) if hit] or ids) for row in fired]


def convention_figure(name: str, result: Result) -> bool:
    """A figure of a convention the user did not choose (recompute=none's 6 FLOP/token, precision's
    bytes per parameter): the one kind of default that is a real assumption of the question.

    Knobs with a plain default (grad_accum 1, epochs 1, pue 1.1) that follow from typed values are
    what the user meant; architecture figures (queries_per_kv = heads / kv_heads) follow from the
    model; catalog figures (gpu, model: no default key) are not assumptions."""
    return convention_of(name, result) is not None


def meaningful(warning: Warning_, result: Result) -> bool:
    """Whether this warning says something about the question asked."""
    rules = result.rules
    if noise_rounding(warning, result):
        return False
    if warning.code.startswith(OVERRIDDEN):
        name = warning.code[len(OVERRIDDEN):]
        return name not in result.targets and convention_figure(name, result)
    check = next((c for c in rules.checks if c.id == warning.code), None)
    if check is not None and check.variables:
        read = on_the_path(result)
        if any(result.status.get(n) == "default" and n not in read for n in check.variables):
            return False   # about a default the answer does not read (activation_bytes for a time)
        return not all(from_catalog(n, result) for n in check.variables) or across_tables(rules, check.variables)
    return True


def across_tables(rules: RuleSet, names: frozenset[str]) -> bool:
    """The names are figures of two catalog tables or more: a check on them says two keys do not go
    together (a bf16 recipe on a GPU without bf16), not something one key always says about itself."""
    return sum(1 for table in rules.tables.values() if names & set(table.fields)) > 1


def on_the_path(result: Result) -> set[str]:
    """The targets and every value the steps toward them read or derive (side values left out)."""
    names = set(result.targets)
    for step in result.derivation:
        if step.needed:
            names.update(v for eq in step.equations for v in eq.variables)
    return names


def from_catalog(name: str, result: Result) -> bool:
    """A catalog figure, or a value derived from catalog figures alone (chars_per_token from a
    tokenizer's tokens_per_char)."""
    producers = {u: step for step in result.derivation for u in step.unknowns}
    seen: set[str] = set()

    def walk(current: str) -> bool:
        if current in seen:
            return True
        seen.add(current)
        status = result.status.get(current)
        if status == "catalog":
            return True
        step = producers.get(current)
        if status not in ("derived", "solved") or step is None:
            return False
        inputs = {v for eq in step.equations for v in eq.variables} - set(step.unknowns)
        return bool(inputs) and all(walk(v) for v in inputs)

    return walk(name)


def shown_warnings(result: Result, brief: bool = False) -> list[Warning_]:
    """The warnings worth reading; brief=True also drops the rounding notes the answer line repeats (the
    plain rounding, and the move to an admissible value: "28.5 rounded up to 29, then 32: ...") and the
    notes that a side value has none (repetitions = epochs - 1 for a run of max_steps shorter than an epoch:
    the rule does not apply, and the answer does not read it; -v keeps them)."""
    if not brief:
        return [w for w in result.warnings if meaningful(w, result)]
    read = {v for step in result.derivation if step.needed for v in step.unknowns}
    said = {f"admissible.{name}" for name in real_roundings(result)}   # (the answer line says each move)
    return [w for w in result.warnings if meaningful(w, result) and w.code != ROUNDED and w.code not in said
            and not (w.code.startswith("incomplete.") and w.code.partition(".")[2] not in read)]


def catalog_only_rows(batch: Batch, names: frozenset[str]) -> np.ndarray:
    """Per row: every one of `names` is a catalog figure or derived from catalog figures alone (the
    batch counterpart of from_catalog, for the workbook's warnings column)."""
    out = np.zeros(batch.rows, dtype=bool)
    for group in batch.groups:
        if group.plan is None:
            continue
        walker = _CatalogWalk(batch, group.rows, {u: step for step in group.plan.steps for u in step.unknowns})
        mask: "np.ndarray | bool" = True
        for name in names:
            mask = mask & walker.walk(name, frozenset())
        out[walker.rows] = mask
    return out


def off_path_default_rows(batch: Batch, names: frozenset[str]) -> np.ndarray:
    """Per row: one of `names` is a default the row's answer does not read (activation_bytes = 0 beside
    a time, derived on the side): a check on it says nothing about the question (the batch counterpart
    of `meaningful`'s test, for the workbook's warnings column)."""
    out = np.zeros(batch.rows, dtype=bool)
    for group in batch.groups:
        plan = group.plan
        off = [] if plan is None else [n for n in names if n not in plan.needed and n in batch.status]
        for name in off:
            status = np.broadcast_to(batch.status[name], (batch.rows,))[group.rows]
            out[group.rows] |= status == DEFAULT
    return out


class _CatalogWalk:
    """One group's rows: which values are catalog figures or follow from them alone."""

    def __init__(self, batch: Batch, rows: np.ndarray, producers: dict) -> None:
        self.batch, self.rows, self.producers = batch, rows, producers
        self.memo: dict[str, "np.ndarray | bool"] = {}

    def codes(self, name: str) -> "np.ndarray | int":
        """The status codes of the group's rows; one int when the whole group has one (the usual case:
        then the walk below is plain booleans, not a pass over every row per variable)."""
        status = self.batch.status.get(name)
        if status is None:
            return -1
        if not np.ndim(status):
            return int(status)
        status = np.asarray(status)
        if repeated_view(status):
            return int(status[0])
        return status[self.rows]

    def walk(self, name: str, seen: frozenset[str]) -> "np.ndarray | bool":
        if name in self.memo:
            return self.memo[name]
        codes = self.codes(name)
        result: "np.ndarray | bool" = codes == CATALOG
        step = self.producers.get(name)
        if step is not None and name not in seen:
            inputs = {v for eq in step.equations for v in eq.variables} - set(step.unknowns)
            if inputs:
                all_catalog: "np.ndarray | bool" = True
                for other in inputs:
                    all_catalog = all_catalog & self.walk(other, seen | {name})
                    if all_catalog is False or (not np.ndim(all_catalog) and not all_catalog):
                        break
                derived = codes in (SOLVED, DERIVED) if isinstance(codes, int) else np.isin(codes, (SOLVED, DERIVED))
                result = result | (derived & all_catalog)
        self.memo[name] = result
        return result
