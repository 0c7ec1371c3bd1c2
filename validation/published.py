"""Published training runs (validation/published_runs.yaml): llmplan's inverse answers against the papers."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from .common import Row, ask, has_variable

SECTION = "Published runs"
SECTION_CHINCHILLA = "Chinchilla compute-optimal (Table 3)"
DATA = Path(__file__).with_name("published_runs.yaml")
DISPLAY = {"d": 86400.0, "h": 3600.0, "%": 1.0, "FLOP": 1.0, "tokens": 1.0, "tok/s": 1.0, "": 1.0}


def load() -> dict[str, Any]:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def _scale(value: float | None, display: str) -> float:
    if value is None:
        return math.nan
    return value / DISPLAY[display]


def run_rows(data: dict[str, Any] | None = None) -> list[Row]:
    data = data if data is not None else load()
    out: list[Row] = []
    for run_id, run in data["runs"].items():
        for check in run["checks"]:
            givens = dict(run.get("given") or {})
            for name, value in (check.get("given") or {}).items():
                if value is None:
                    givens.pop(name, None)
                else:
                    givens[name] = value
            target = check["solve"]
            values = ask(target, givens)
            display = check.get("display", "")
            unit = "%" if display == "%" else display
            out.append(Row(SECTION, f"{run['model']}: {check['case']}", _scale(values[target], display),
                           _scale(check.get("published"), display), unit,
                           check.get("tolerance") if check.get("published") is not None else None,
                           check.get("reason", ""), run["source"], {"run": run_id, "given": givens}))
    return out


def chinchilla_rows(data: dict[str, Any] | None = None) -> list[Row]:
    """Hoffmann et al. 2022 Table 3 against C = 6·N·D, D = 20·N and llmplan's compute-optimal split.

    The split is asked from llmplan's own compute-optimal rules (optimal_params, optimal_tokens for a
    train_flops budget) when the rule set has them, otherwise from the two seed rules C = 6·N·D and
    D = tokens_per_param·N with tokens_per_param = 20; the table says which."""
    data = data if data is not None else load()
    table = data["chinchilla_table3"]
    tol = table["checks"]
    src = table["source"]
    fitted = has_variable("optimal_params") and has_variable("optimal_tokens")
    out: list[Row] = []
    for n, c, d in table["rows"]:
        label = f"N={_short(n)}"
        flops = ask("train_flops", {"params": n, "tokens": d})["train_flops"]
        out.append(Row(SECTION_CHINCHILLA, f"{label}: C = 6·N·D from the printed N, D", flops, c, "FLOP",
                       tol["six_nd"]["tolerance"], tol["six_nd"]["reason"], src))
        tokens = ask("tokens", {"params": n, "tokens_per_param": 20})["tokens"]
        out.append(Row(SECTION_CHINCHILLA, f"{label}: tokens = 20·N", tokens, d, "tokens",
                       tol["tokens_20n"]["tolerance"], tol["tokens_20n"]["reason"], src))
        if fitted:
            got = ask(["optimal_params", "optimal_tokens"], {"train_flops": c})
            split, how = {"params": got["optimal_params"], "tokens": got["optimal_tokens"]}, \
                "optimal_params/optimal_tokens"
        else:
            split = ask(["params", "tokens"], {"train_flops": c, "tokens_per_param": 20})
            how = "C = 6·N·D with D = 20·N"
        out.append(Row(SECTION_CHINCHILLA, f"{label}: compute-optimal params from C ({how})", split["params"], n,
                       "", tol["optimal_params"]["tolerance"], tol["optimal_params"]["reason"], src))
        out.append(Row(SECTION_CHINCHILLA, f"{label}: compute-optimal tokens from C ({how})", split["tokens"], d,
                       "tokens", tol["optimal_tokens"]["tolerance"], tol["optimal_tokens"]["reason"], src))
        if has_variable("optimal_allocation"):
            fit = ask(["optimal_params"], {"train_flops": c, "optimal_allocation": "loss_minimum"})
            out.append(Row(SECTION_CHINCHILLA, f"{label}: optimal_params, optimal_allocation=loss_minimum",
                           fit["optimal_params"], n, "", None,
                           "informative: the Approach 3 loss fit (Hoffmann et al. eq. 4, §3.3 constants); "
                           "Table 3 is Approach 1", src))
    return out


def _short(n: float) -> str:
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if n >= div:
            return f"{n / div:g}{suffix}"
    return f"{n:g}"

