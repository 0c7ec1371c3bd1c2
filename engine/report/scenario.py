"""One scenario of a report: question, inputs, answer, derivation, warnings, charts.

Part of the report context (context.py): plain dicts of formatted strings
next to the base-unit numbers (`value`) they were formatted from.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..messages import text
from ..table.breakdown import breakdowns
from ..table.note_columns import SHOWN_NOTES
from ..table.scope import OVERRIDDEN, admissible_move, meaningful, only_noise_rounded, real_roundings, reworded
from ..text.formatting import TIME_STEPS, format_quantity, rounded_note, rounded_way, shown_whole
from . import charts, formulas
from .labels import labels as label_table
from .whatif import TimeGrid, inputs_of

if TYPE_CHECKING:
    from ..rules.model import Entry, RuleSet
    from ..solve.solver import DerivationStep, Engine, Result

# figures worth a glance in the summary, in human units (FLOPs, GPUs, days, GPU-hours, cost, memory)
HEADLINE = ("train_flops", "n_gpus", "train_time", "gpu_hours", "train_cost", "memory_per_gpu", "train_memory",
            "tokens", "params", "corpus_bytes")
TIME = (("[time]", 1.0),)
FILL = "memory_fill"   # memory the run needs / memory one GPU has (formulas/parallelism.yaml)
MEMORY_PARTS = (("weights", "weights_bytes"), ("grads", "grads_bytes"), ("optimizer", "optimizer_bytes"),
                ("activations", "activation_bytes"))


def scenario_context(engine: Engine, index: int, name: str, result: Result, error: str | None,
                     band: list[tuple[float, dict[str, float]]] | None, grid: TimeGrid | None,
                     lang: str, number: int | None = None) -> dict[str, Any]:
    """number: the scenario's row in its workbook (what the reader finds in the sheet); else index + 1."""
    words = label_table(lang)
    rules = result.rules
    answered = error is None
    scenario: dict[str, Any] = {
        "id": f"s{index + 1}", "index": number if number is not None else index + 1, "name": name,
        "error": error or "", "status": _status(result, answered, words),
        "targets": [{"name": t, "label": rules.variables[t].label(lang)} for t in result.targets],
        "inputs": _inputs(engine, result, lang),
        "answer": _answer(result, words, lang) if answered else [],
        "key_figures": _key_figures(result, lang) if answered else [],
        "derivation": _derivation(result, words, lang) if answered else [],
        "side": _side(result, lang) if answered else [],
        "warnings": _warnings(engine, result, words, lang) if answered else [],
        "band": _band(result, band, lang) if answered and band else None,
        "charts": _charts(index, result, grid, words) if answered else [],
    }
    scenario["given"] = ", ".join(f"{i['name']} = {i['display']}" for i in scenario["inputs"]
                                  if i["origin"] in ("given", "config"))
    return scenario


def _status(result: Result, answered: bool, words: dict[str, str]) -> str:
    """answered / not answered, or "does not fit" for an answer that needs more than the GPU's memory
    (memory_fill > 1: the memory the run needs over the memory one GPU has)."""
    if not answered:
        return words["errors"]
    fill = result.values.get(FILL)
    if fill is not None and fill > 1 + 1e-9:
        return words["does_not_fit"].format(fill=f"{fill:.2f}")
    return words["ok"]


# -- inputs ------------------------------------------------------------------------------
def _inputs(engine: Engine, result: Result, lang: str) -> list[dict[str, Any]]:
    """Inputs as given, then catalog figures and defaults, each with where it came from."""
    words = label_table(lang)
    rules = result.rules
    numbers, keys = inputs_of(result)
    origins = getattr(result, "origins", {})   # config=PATH: the file:line each value came from
    rows = []
    for name, key in keys.items():
        entry = _entry(engine, name, key)
        source = f"{entry.name}: {entry.source}" if entry is not None and entry.name else entry.source if entry else ""
        source = f"{origins[name]} — {source}" if name in origins else source
        rows.append(_input(rules, name, key, float("nan"), "config" if name in origins else "given", source,
                           words, lang))
    for name, value in numbers.items():
        rows.append(_input(rules, name, format_quantity(rules.variables[name], value, lang=lang), value,
                           "config" if name in origins else "given", origins.get(name, ""), words, lang))
    for name, value in result.values.items():
        if result.status.get(name) == "catalog":
            rows.append(_input(rules, name, result.show(name), value, "catalog", _catalog_source(engine, result, name),
                               words, lang))
    for name, shown, source in result.assumptions:
        rows.append(_input(rules, name, shown, result.values.get(name, float("nan")), "default", source, words, lang))
    return rows


def _input(rules: RuleSet, name: str, display: str, value: float, origin: str, source: str,
           words: dict[str, str], lang: str) -> dict[str, Any]:
    return {"name": name, "label": rules.variables[name].label(lang), "display": display, "value": value,
            "origin": origin, "origin_label": words[origin], "source": source}


def _entry(engine: Engine, name: str, key: str) -> Entry | None:
    table = engine.rules.tables.get(name)
    return None if table is None else table.resolve(key)


def _catalog_source(engine: Engine, result: Result, name: str) -> str:
    """Which typed key filled this figure, and that entry's source."""
    for key_name, key in result.keys.items():
        table = engine.rules.tables.get(key_name)
        if table is not None and name in table.fields:
            entry = table.resolve(key)
            if entry is not None:
                return f"{key_name}={entry.key}: {entry.source}"
    return ""


# -- answer ------------------------------------------------------------------------------
def _answer(result: Result, words: dict[str, str], lang: str) -> list[dict[str, Any]]:
    rules = result.rules
    rows = []
    rounded = real_roundings(result)   # (a whole value float noise only seemed to move: no note)
    for name in result.targets:
        note = ""
        if name in rounded:
            note = _rounded_text(result, name, words, lang)
        rows.append(_quantity(rules, name, result.values[name], lang, note))
    for name, status in result.status.items():
        if status == "recomputed" and not only_noise_rounded(result):
            asked = result.unrounded.get(name)
            note = words["recompute_phase"]
            if asked is not None:
                note += f" ({words['asked']} {format_quantity(rules.variables[name], asked, lang=lang)})"
            rows.append(_quantity(rules, name, result.values[name], lang, note))
    return rows


def _rounded_text(result: Result, name: str, words: dict[str, str], lang: str) -> str:
    """"n_gpus = 346.23 rounded up: 347; ..."; where the plain rounding was not admissible, both steps
    ("micro_batch = 14.06 rounded down to 14, then 12: the largest admissible value by ...")."""
    raw, new = result.rounded[name]
    variable = result.rules.variables[name]
    how = words["round_" + rounded_way(variable.rounding, raw, new)]
    moved = admissible_move(result, name)
    if moved is not None:
        plain, extreme, checks = moved
        return text("results.whole_admissible" if shown_whole(raw / variable.factor) else "results.rounded_admissible",
                    lang, name=name, raw=rounded_note(raw / variable.factor), how=how,
                    plain=format_quantity(variable, plain), new=format_quantity(variable, new),
                    extreme=text(f"results.admissible.{extreme}", lang), checks=checks)
    return words["rounded"].format(name=name, raw=rounded_note(raw / variable.factor), how=how,
                                   new=format_quantity(variable, new))


def _quantity(rules: RuleSet, name: str, value: float, lang: str, note: str = "") -> dict[str, Any]:
    variable = rules.variables[name]
    return {"name": name, "label": variable.label(lang), "display": format_quantity(variable, value, lang=lang),
            "value": value, "note": note}


def _key_figures(result: Result, lang: str) -> list[dict[str, Any]]:
    picked = [n for n in HEADLINE if n in result.values and n not in result.targets
              and result.status.get(n) == "derived"]
    return [_quantity(result.rules, n, result.values[n], lang) for n in picked[:4]]


# -- derivation ----------------------------------------------------------------------------
def _derivation(result: Result, words: dict[str, str], lang: str) -> list[dict[str, Any]]:
    """Steps on the path to the answer, in order: rule, formula, numbers with units, result."""
    before = {**result.values, **result.unrounded}
    labelled = not only_noise_rounded(result)   # (no "recomputed for the rounded count" where nothing was)
    steps = []
    for step in result.derivation:
        if not step.needed:
            continue
        values = before if step.phase == "solve" else result.values
        steps.append({
            "phase": step.phase,
            "phase_label": words["recompute_phase"] if step.phase == "recompute" and labelled else "",
            "rules": [{"id": eq.id, "label": eq.label(lang), "text": eq.text, "source": eq.source,
                       "formula": formulas.rule(eq).__dict__} for eq in step.equations],
            "unknowns": [_unknown(step, name, values, result, lang) for name in step.unknowns],
        })
    return steps


def _unknown(step: DerivationStep, name: str, values: dict[str, float], result: Result, lang: str) -> dict[str, Any]:
    rules = result.rules
    raw = step.results[name]
    here = {**values, name: raw}
    rounded = None
    if step.phase == "solve" and name in real_roundings(result):     # the chain ends at the rounded count
        words = label_table(lang)
        raw_value, new = result.rounded[name]
        how = words["round_" + rounded_way(rules.variables[name].rounding, raw_value, new)]
        moved = admissible_move(result, name)
        rounded = (new, words["rounded_short"].format(how=how) if moved is None else text(
            "results.whole_short_admissible" if shown_whole(raw_value) else "results.rounded_short_admissible",
            lang, how=how, plain=format_quantity(rules.variables[name], moved[0]),
            extreme=text(f"results.admissible.{moved[1]}", lang)))
    out = _quantity(rules, name, rounded[0] if rounded else raw, lang)
    out.update(raw=raw, rounded=rounded is not None, numeric=name not in step.solved)
    if out["numeric"]:
        out.update(formulas.numeric(name, step.equations[0], frozenset(step.unknowns), here, rules))
    else:
        out.update(formulas.chain(name, step.solved[name], here, rules, rounded))
    return out


def _side(result: Result, lang: str) -> list[dict[str, Any]]:
    names = [n for step in result.derivation if not step.needed for n in step.unknowns if n in result.values]
    return [_quantity(result.rules, n, result.values[n], lang) for n in dict.fromkeys(names)]


# -- warnings --------------------------------------------------------------------------------
def _warnings(engine: Engine, result: Result, words: dict[str, str], lang: str) -> list[dict[str, Any]]:
    """Rounding notes and the advisories that fired, in the report's language, with sources."""

    out = [{"code": "rounded", "severity": "info", "severity_label": words["info"], "source": "",
            "message": _rounded_text(result, name, words, lang)} for name in real_roundings(result)]
    checks = {c.id: c for c in engine.rules.checks}
    for warning in result.warnings:
        check = checks.get(warning.code)
        if not meaningful(warning, result):
            continue
        if check is None:
            # a convention the typed values contradict; the solver's notes a table shows too (the fewest GPUs
            # there can be, the limit that set the answer, another root), already in the result's language
            if warning.code.startswith((OVERRIDDEN, *SHOWN_NOTES)):
                message = reworded(warning, result, lang) if warning.code.startswith(OVERRIDDEN) else warning.message
                out.append({"code": warning.code, "severity": warning.severity, "source": warning.source,
                            "severity_label": words.get(warning.severity, warning.severity), "message": message})
            continue           # the engine's own notes (rounding) are rebuilt above in this language
        message = engine.check_message(check, one_row(result.values), 0, lang)
        out.append({"code": check.id, "severity": warning.severity, "severity_label": words.get(warning.severity,
                    warning.severity), "source": check.source, "message": message})
    return out


# -- utilization band ----------------------------------------------------------------------------
def _band(result: Result, band: list[tuple[float, dict[str, float]]], lang: str) -> dict[str, Any]:
    rules = result.rules
    targets = list(result.targets)
    rows = [{"mfu": f"{mfu:.2f}", "value": mfu,
             "answers": [format_quantity(rules.variables[t], answers[t], lang=lang) or "—" for t in targets],
             "numbers": [answers[t] for t in targets]} for mfu, answers in band]
    return {"targets": [{"name": t, "label": rules.variables[t].label(lang)} for t in targets], "rows": rows}


# -- charts ------------------------------------------------------------------------------------------
def _charts(index: int, result: Result, grid: TimeGrid | None, words: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    parts, per_gpu = _memory_parts(result)
    if parts:
        unit_var = result.rules.variables[parts[0][1]]
        scale = unit_var.factor
        capacity_name = result.rules.tagged("gpu_memory")
        capacity = result.values.get(capacity_name) if capacity_name else None
        svg = charts.memory([(words[k], v / scale) for k, _, v in parts], capacity / scale if capacity else None,
                            words["gpu_memory"], unit_var.unit)
        title = words["chart_memory"] if per_gpu else words["chart_memory_total"]
        out.append({"id": f"s{index + 1}-memory", "name": f"s{index + 1}-memory.svg", "title": title, "svg": svg})
    for k, item in enumerate(b for b in breakdowns(result) if result.rules.variables[b.total].dims == TIME):
        factor, unit = next(((f, u) for f, u in TIME_STEPS if item.value >= f), TIME_STEPS[-1])
        svg = charts.memory([(name, value / factor) for name, value in item.parts], None, "", unit)
        out.append({"id": f"s{index + 1}-breakdown{k}", "name": f"s{index + 1}-breakdown{k}.svg",
                    "title": f"{words['breakdown']}: {item.total}", "svg": svg})
    if grid is not None and any(v == v for values in grid.by_mfu.values() for v in values):
        low, high = grid.by_mfu[max(grid.by_mfu)], grid.by_mfu[min(grid.by_mfu)]
        own = (grid.own_mfu, grid.by_mfu[grid.own_mfu]) if grid.own_mfu in grid.by_mfu and \
            grid.own_mfu not in (min(grid.by_mfu), max(grid.by_mfu)) else None
        svg = charts.time_vs_gpus(grid.gpus, low, high, words, own, grid.point)
        out.append({"id": f"s{index + 1}-time", "name": f"s{index + 1}-time.svg", "title": words["chart_time"],
                    "svg": svg})
    return out


def _memory_parts(result: Result) -> tuple[list[tuple[str, str, float]], bool]:
    """Weights, gradients, optimizer, activations: per GPU where the rules give that, else whole model."""
    parts, per_gpu = [], False
    for key, name in MEMORY_PARTS:
        for candidate in (f"{name}_per_gpu", name):
            if candidate in result.values:
                per_gpu |= candidate.endswith("_per_gpu")
                if result.values[candidate] > 0:
                    parts.append((key, candidate, result.values[candidate]))
                break
    return parts, per_gpu or result.rules.tagged("memory_per_gpu") in result.values


@dataclass(frozen=True)
class OneRow:
    """A one-row stand-in for a Batch, enough for Engine.check_message to fill placeholders."""

    values: dict[str, np.ndarray]


def one_row(values: dict[str, float]) -> OneRow:
    return OneRow({n: np.array([v]) for n, v in values.items()})
