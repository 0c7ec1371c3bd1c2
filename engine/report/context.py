"""The one context every report template reads: plain dicts and lists.

Everything a template shows is decided here, already formatted (quantities
through engine.text.formatting, formulas through formulas.py, charts as SVG
text), next to the raw base-unit numbers it came from (`value`), so the
HTML and the Markdown templates only lay things out and never compute or
format twice. Built from one Result (`llmplan solve --report`) or from a
batch outcome (`llmplan run --report`, `llmplan report`).
"""
from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ..table.error_column import said_error
from ..text.formatting import format_quantity
from ..version import __version__
from . import charts, formulas, whatif
from .labels import labels as label_table
from .scenario import scenario_context

if TYPE_CHECKING:
    from ..rules.model import Check, Entry
    from ..solve.batch import Batch
    from ..solve.solver import Engine, Result

DETAIL_LIMIT = 200        # scenarios shown in a report; a 100k-row sweep belongs in a workbook, not a page


class SolvedRows(Protocol):
    """What a batch report reads: the solved Batch and a label per row. A scenario table's Outcome
    (engine.table.frames) is one; its optional `blank` and `prepared.locator` are used when present."""

    @property
    def batch(self) -> Batch: ...

    @property
    def names(self) -> Sequence[str]: ...


def solve_context(engine: Engine, result: Result, lang: str = "en") -> dict[str, Any]:
    """Context for one answered question."""
    words = label_table(lang)
    return _build(engine, [(", ".join(result.targets), result, None)], lang, words["title_solve"], 1)


def batch_context(engine: Engine, outcome: SolvedRows, lang: str = "en", limit: int = DETAIL_LIMIT) -> dict[str, Any]:
    """Context for many rows: anything with `.batch` (engine.solve.batch.Batch) and `.names` (row labels)."""
    words = label_table(lang)
    batch, names = outcome.batch, list(outcome.names)
    blank = getattr(outcome, "blank", None)      # workbook rows that ask nothing: no answer, no error
    rows = [r for r in range(batch.rows) if blank is None or not blank[r]]
    entries, numbers = [], []
    locator = getattr(getattr(outcome, "prepared", None), "locator", None)
    config_origins = getattr(getattr(outcome, "prepared", None), "origins", None)
    for row in rows[:limit]:
        number = locator.row_number(row) if locator is not None else row + 1   # the row a reader finds
        name = str(names[row]) if row < len(names) and str(names[row]).strip() else f"{words['scenario']} {number}"
        result = engine.result_for_row(batch, row, lang)
        if config_origins is not None and config_origins[row]:   # a `config` column: each value's file:line
            result.origins = parse_origins(config_origins[row])
        error = batch.errors[row]   # (in the report's language, as the workbook's error column says it)
        entries.append((name, result, None if error is None else said_error(batch.error_kinds[row], error, lang)))
        numbers.append(number)
    return _build(engine, entries, lang, words["title"], len(rows), numbers)


def parse_origins(text: str) -> dict[str, str]:
    """The `config origins` text of a row ("micro_batch (train.yaml:32); zero_stage (ds.json:19)") by name."""
    out = {}
    for part in text.split("; "):
        name, _, where = part.partition(" (")
        if where.endswith(")"):
            out[name.strip()] = where[:-1]
    return out


def _build(engine: Engine, entries: Sequence[tuple[str, Result, str | None]], lang: str, title: str,
           total: int, numbers: Sequence[int] | None = None) -> dict[str, Any]:
    words = label_table(lang)
    answered = [r if error is None else None for _, r, error in entries]
    bands, grids = whatif.bands(engine, answered), whatif.time_grids(engine, answered)
    scenarios = [scenario_context(engine, i, name, result, error, bands[i], grids[i], lang,
                                  numbers[i] if numbers is not None else None)
                 for i, (name, result, error) in enumerate(entries)]
    date = _today()
    context = {
        "lang": lang, "labels": words, "title": title, "version": __version__, "date": date,
        "generated": words["generated"].format(version=__version__, date=date),
        "note": words["truncated"].format(shown=len(entries), total=total) if total > len(entries) else "",
        "scenarios": scenarios,
        "sweeps": _sweeps(answered, words, lang),
    }
    context.update(_used(engine, answered, lang))
    return context


def _today() -> str:
    """Today's date, or SOURCE_DATE_EPOCH's (reproducible builds of reports)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date().isoformat()
    return _dt.date.today().isoformat()


# -- sweeps ---------------------------------------------------------------------------
def _sweeps(results: Sequence[Result | None], words: dict[str, str], lang: str) -> list[dict[str, Any]]:
    out = []
    for k, sweep in enumerate(whatif.sweeps(results)):
        rules = next(r for r in results if r is not None).rules
        x_var, y_var = rules.variables[sweep.variable], rules.variables[sweep.target]
        x_label = f"{sweep.variable} [{x_var.unit}]" if x_var.unit else sweep.variable
        y_label = f"{sweep.target} [{y_var.unit}]" if y_var.unit else sweep.target
        numeric = [x for x in sweep.xs if not isinstance(x, str)]
        log_x = bool(numeric) and min(numeric) > 0 and max(numeric) / min(numeric) > 20
        title = words["chart_sweep"].format(x=x_var.label(lang), y=y_var.label(lang))
        points = [{"x": x if isinstance(x, str) else formulas.plain(x),
                   "y": format_quantity(y_var, y * y_var.factor, lang=lang),
                   "scenario": f"s{i + 1}"} for x, y, i in zip(sweep.xs, sweep.ys, sweep.rows, strict=True)]
        out.append({"id": f"sweep{k + 1}", "name": f"sweep{k + 1}.svg", "title": title,
                    "variable": sweep.variable, "target": sweep.target, "points": points,
                    "svg": charts.sweep(sweep.xs, sweep.ys, x_label, y_label, log_x)})
    return out


# -- rules, catalog entries, defaults and sources ------------------------------------------
def _used(engine: Engine, results: Sequence[Result | None], lang: str) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    checks: dict[str, dict[str, Any]] = {}
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    defaults: dict[tuple[str, str], dict[str, Any]] = {}
    for result in results:
        if result is None:
            continue
        for step in result.derivation:
            for eq in step.equations:
                rules.setdefault(eq.id, {"id": eq.id, "label": eq.label(lang), "text": eq.text, "source": eq.source,
                                         "formula": formulas.rule(eq).__dict__})
        for warning in result.warnings:
            check = _check(engine, warning.code)
            if check is not None:
                checks.setdefault(check.id, {"id": check.id, "text": check.text, "source": check.source})
        for name, key in _all_keys(result).items():
            entry = _entry(engine, name, key)
            if entry is not None:
                entries.setdefault((name, entry.key), {"variable": name, "key": entry.key, "name": entry.name,
                                                       "source": entry.source})
        for name, shown, source in result.assumptions:
            defaults.setdefault((name, shown), {"name": name, "display": shown, "source": source})
    sources = [item["source"] for group in (rules, checks, entries, defaults) for item in group.values()]
    return {"rules": list(rules.values()), "checks": list(checks.values()), "entries": list(entries.values()),
            "defaults": list(defaults.values()), "sources": [s for s in dict.fromkeys(sources) if s]}


def _check(engine: Engine, code: str) -> Check | None:
    return next((c for c in engine.rules.checks if c.id == code), None)


def _all_keys(result: Result) -> dict[str, str]:
    """Typed keys and the default keys the answer relied on (listed as assumptions)."""
    keys = dict(result.keys)
    for name, shown, _ in result.assumptions:
        if result.rules.variables[name].categorical:
            keys.setdefault(name, shown)
    return keys


def _entry(engine: Engine, name: str, key: str) -> Entry | None:
    table = engine.rules.tables.get(name)
    return None if table is None else table.resolve(key)
