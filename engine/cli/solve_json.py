"""`solve --json`: a result as data, with its breakdown per step and the warnings the terminal shows marked."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..solve.sensitivity import nudged
from ..solve.solver import base_unit
from ..table.breakdown import breakdowns
from ..table.scope import meaningful, noise_rounding, reworded

if TYPE_CHECKING:
    from ..solve.solver import Result, Warning_


def solve_json(result: Result, lang: str = "en") -> dict:
    """--json: the result with its breakdown; a rounding note only where the value moved by more than
    float noise (its `rounded` raw and whole values stay, as data).

    Every other warning the solver made is kept, each with `shown`: whether the terminal (-v) and the
    report show it (engine/table/scope.meaningful). One they leave out (queries_per_kv follows from a GQA
    model's heads, not from its default of 1) has severity "info", so that a reader keeping the
    "warning" ones reads what the terminal says; its message is said as the terminal says it (a rounding
    note with the admissible value it moved on to). Each numeric default's `effect` comes with
    `effect_at`: the value (base units) it was moved to for it (engine/solve/sensitivity.nudged)."""
    out = dict(result.to_json(), breakdown=breakdown_json(result))
    out["warnings"] = [_warning_json(w, result, lang) for w in result.warnings if not noise_rounding(w, result)]
    for item in out["assumptions"]:
        name = item["name"]
        if "effect" in item and name in result.values:
            item["effect_at"] = nudged(result.unrounded.get(name, result.values[name]),
                                       result.rules.variables[name].domain)
    return out


def _warning_json(warning: Warning_, result: Result, lang: str) -> dict[str, Any]:
    shown = meaningful(warning, result)
    return dict(warning.to_json(), message=reworded(warning, result, lang),
                severity=warning.severity if shown else "info", shown=shown)


def breakdown_json(result: Result) -> list[dict]:
    """The sums the terminal's Breakdown lines show (step_time = compute_time + exposed communication by
    kind + bubble + ...), in SI base units with each part's share of the total."""
    return [{"total": item.total, "value": item.value, "unit": base_unit(result.rules.variables[item.total]),
             "rule": item.rule,
             "parts": [{"name": name, "value": value, "share": value / item.value if item.value else None}
                       for name, value in item.parts]}
            for item in breakdowns(result)]
