"""`llmplan solve TARGET [TARGET ...] NAME=VALUE ... [-v] [--json] [--lang en|zh] [--report FILE]`.

Brief by default (issue #15): the answer with its rounding note, the values typed, the assumptions
that shaped the answer (one line each, with source) and the warnings that mean something, in about
10-25 lines. -v adds the catalog figures, every derived value and the derivation with numbers in the
units shown.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TYPE_CHECKING, Any

from ...messages import text
from ...rules.expr import Tree, render
from ...solve.first_whole import FIRST_WHOLE
from ...solve.sensitivity import convention_effects, default_effects
from ...table.breakdown import breakdowns
from ...table.scope import (
    admissible_move,
    on_the_path,
    only_noise_rounded,
    real_roundings,
    reworded,
    shown_warnings,
)
from ...text.formatting import count, engineering, format_quantity, number, rounded_note, rounded_way, shown_whole
from ...text.formatting import kind as shown_as
from ..solve_json import solve_json
from ._common import add_rule_options, load_engine, split_items, wants_binary

if TYPE_CHECKING:
    from ...rules.model import Variable
    from ...solve.solver import Result

FILL = "memory_fill"   # memory the run needs / memory one GPU has: above 1 does not fit
LABEL_WIDTH = 70
SOURCE_WIDTH = 90   # a brief line's source is cut here (-v and --json keep it whole)


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "solve", help="answer one question, e.g. `solve n_gpus params=7B tokens=2T gpu=A800 train_time=30d mfu=0.4`",
        description="Solve for any variable from the others. Values take units and shorthand: 7B, 1.4T, 30d, "
                    "80GB, 80GiB, 312 TFLOPS, 40%, and catalog keys (gpu=A800, model=llama2-7b).")
    parser.add_argument("items", nargs="+", metavar="TARGET|NAME=VALUE",
                        help="variables to solve, then the known values")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also the catalog figures, every derived value and the full derivation")
    parser.add_argument("--json", action="store_true", help="print one JSON object (values in SI base units)")
    parser.add_argument("--report", metavar="FILE", help="also write a report (.html or .md)")
    add_rule_options(parser)


def run(args: argparse.Namespace) -> int:
    targets, givens = split_items(args.items)
    engine = load_engine(args)
    result = engine.solve(targets, givens, lang=args.lang)
    if args.report:
        from ...report import write_solve_report

        write_solve_report(engine, result, args.report, lang=args.lang)
    if args.json:
        json.dump(solve_json(result, args.lang), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        switches = None if args.verbose else convention_effects(engine, result, givens)
        print(render_text(result, args.lang, verbose=args.verbose, binary=wants_binary(givens), switches=switches))
    return 0


class _Shower:
    """Values of one result as a person reads them (bytes in GiB when the user typed GiB)."""

    def __init__(self, result: Result, binary: bool, lang: str) -> None:
        self.result, self.binary, self.lang = result, binary, lang

    def __call__(self, name: str, value: float | None = None) -> str:
        variable = self.result.rules.variables[name]
        return format_quantity(variable, self.result.values[name] if value is None else value, binary=self.binary,
                               lang=self.lang)


def render_text(result: Result, lang: str = "en", verbose: bool = False, binary: bool = False,
                switches: dict[str, float | None] | None = None) -> str:
    """The terminal answer: brief by default, everything with verbose=True. `switches`: how much each
    default convention moves the answer (engine/solve/sensitivity.convention_effects), for the brief list."""
    show = _Shower(result, binary, lang)
    lines = _answer(result, lang, show) + _breakdowns(result, lang, show)
    lines += _given(result, lang, show, verbose)
    lines += _assumptions(result, lang, verbose, switches or {})
    if verbose:
        lines += _derivation(result, lang, show) + _side_values(result, lang, show)
    ignored = result.config.get("ignored") if result.config else None
    if ignored:
        lines.append(f"{text('cli.ignored', lang)}: " + ", ".join(ignored))
    lines += _warnings(result, lang, brief=not verbose)
    if not verbose:
        lines.append(f"({text('cli.more', lang)})")
    return "\n".join(lines)


def _in_bits(variable: Variable, value: float | None) -> str:
    """A link speed in bits too (9.249 GB/s = 74 Gb/s): NICs are sold, and networks planned, in bits."""
    dims = dict(variable.dims)
    if value is None or dims.get("[information]") != 1 or dims.get("[time]") != -1 or not math.isfinite(value):
        return ""
    return f" (= {number(value * 8 / 1e9)} Gb/s)"


def _answer(result: Result, lang: str, show: _Shower) -> list[str]:
    rules = result.rules
    lines = [f"{text('cli.answer', lang)}:"]
    rounded = real_roundings(result)   # (a whole value float noise only seemed to move: no note)
    # a whole number rounded on the way (grad_accum for a global batch at an mfu of at least 0.4): said beside
    # the first answer that was not rounded itself, which it explains
    on_the_way = [n for n in rounded if n not in result.targets]
    for name in result.targets:
        extra = ""
        if name in rounded:
            extra = "   (" + _rounded_as(result, name, lang) + ")"
        elif on_the_way:
            extra = "   (" + "; ".join(text("cli.rounded_on_the_way", lang, name=n, value=show(n),
                                            how=_rounded_as(result, n, lang)) for n in on_the_way) + ")"
            on_the_way = []
        if any(w.code == f"{FIRST_WHOLE}{name}" for w in result.warnings):   # (no root at or above 1)
            extra = "   (" + text("cli.first_whole", lang) + ")"
        if name == FILL and result.values.get(name, 0) > 1 + 1e-9:
            extra += "   (" + text("cli.does_not_fit", lang) + ")"
        lines.append(f"  {name} = {show(name)}{_in_bits(rules.variables[name], result.values.get(name))}{extra}"
                     f"    # {short_label(rules.variables[name].label(lang))}")
    first = not result.rounded and any(w.code.startswith(FIRST_WHOLE) for w in result.warnings)   # (none rounded)
    label = text("cli.recomputed_first" if first else "cli.recomputed", lang)
    for name in (n for n, s in result.status.items() if s == "recomputed" and not only_noise_rounded(result)):
        lines.append(f"  {name} = {show(name)}    # {label}")
    return lines


def _rounded_as(result: Result, name: str, lang: str) -> str:
    """"346.23 rounded up"; "14.06 rounded down to 14, then 12: the largest admissible value (...)" where the
    plain rounding was not admissible."""
    raw, new = result.rounded[name]
    direction = text(f"cli.round_{rounded_way(result.rules.variables[name].rounding, raw, new)}", lang)
    moved = admissible_move(result, name)
    if moved is None:
        return text("cli.rounded_as", lang, raw=rounded_note(raw), direction=direction)
    plain, extreme, checks = moved
    variable = result.rules.variables[name]
    return text("cli.whole_then" if shown_whole(raw) else "cli.rounded_then", lang, raw=rounded_note(raw),
                direction=direction,
                plain=format_quantity(variable, plain), value=format_quantity(variable, new),
                extreme=text(f"results.admissible.{extreme}", lang), checks=checks)


def cut(text_: str, width: int) -> str:
    """One line of a brief answer: long sources end in an ellipsis (-v shows them whole)."""
    return text_ if len(text_) <= width else text_[:width - 1].rstrip() + "…"


def _breakdowns(result: Result, lang: str, show: _Shower) -> list[str]:
    """Totals built from named parts (step_time = compute_time + ... ): each part with its share."""
    lines = []
    for item in breakdowns(result):
        variable = result.rules.variables[item.total]
        if item.total not in result.targets and variable.dims != (("[time]", 1.0),):
            continue   # memory sums have their own lines (-v) and the report's chart
        shares = " + ".join(f"{name} {show(name, value)} ({value / item.value:.0%})" for name, value in item.parts)
        lines.append(f"  {item.total} = {show(item.total, item.value)} = {shares}")
    return [f"{text('cli.breakdown', lang)}:", *lines] if lines else []


def short_label(label: str) -> str:
    """A variable's description cut at its first clause when long (the full text: `llmplan explain`)."""
    if len(label) <= LABEL_WIDTH:
        return label
    for stop in (" (", "; ", ". ", "（", "；"):
        head = label.split(stop)[0]
        if len(head) <= LABEL_WIDTH:
            return head
    return label[:LABEL_WIDTH].rstrip() + "…"


def _given(result: Result, lang: str, show: _Shower, verbose: bool) -> list[str]:
    """What the user typed (keys first); with verbose, the catalog figures those keys filled in."""
    origins = result.origins
    lines = [f"{text('cli.given', lang)}:"]
    for name, key in result.keys.items():
        lines.append(f"  {name} = {key}{_entry_name(result, name, key)}"
                     + (f"  [{origins[name]}]" if name in origins else ""))
    for name, status in result.status.items():
        if status in ("given", "config"):
            lines.append(f"  {name} = {show(name)}" + (f"  [{origins[name]}]" if name in origins else ""))
        elif status == "recomputed" and name in result.unrounded:   # a budget typed, then recomputed
            lines.append(f"  {name} = {show(name, result.unrounded[name])}")
    catalog = [n for n, s in result.status.items() if s == "catalog"]
    if verbose and catalog:
        lines.append(f"{text('cli.catalog_figures', lang)}:")
        lines += [f"  {name} = {show(name)}" + (f"  [{origins[name]}]" if name in origins else "")
                  for name in catalog]
    return lines


def _entry_name(result: Result, name: str, key: str) -> str:
    """The GPU's catalog name where it says more than its key (gpu = A800 is the 80 GB PCIe card, while most
    A800 clusters are A800-SXM, and its NVLink and network figures set a time): "  (NVIDIA A800 80GB PCIe)"."""
    table = result.rules.tables.get(name) if name == "gpu" else None
    entry = table.resolve(key) if table is not None else None
    if entry is None or not entry.name:
        return ""
    letters = lambda text: "".join(c for c in text.casefold() if c.isalnum())  # noqa: E731
    return "" if letters(entry.name) == letters(key) else f"  ({entry.name})"


def _assumptions(result: Result, lang: str, verbose: bool, switches: dict[str, float | None]) -> list[str]:
    items = result.assumptions if verbose else shaping_assumptions(result, switches)
    if not items:
        return []
    head = text("cli.assumed_all" if verbose else "cli.assumed", lang)
    lines = [f"{head}:"]
    for name, value, source in items:
        source = source if verbose else cut(source, SOURCE_WIDTH)
        line = f"  {name} = {value}"
        lines.append(f"{line}    ({text('cli.source', lang)}: {source})" if source else line)
    shown = {name for name, _, _ in items}
    left = [(name, value) for name, value, _ in result.assumptions if name not in shown]
    if left:   # the example is one that was left out (not tp = 1 when tp was given or asked), one the
        # answer reads where there is one (not activation_bytes beside a storage answer)
        read = on_the_path(result)
        name, value = next((item for item in left if item[0] in read), left[0])
        example = f"{name} = {value}"
        lines.append("  " + text("cli.more_assumptions", lang, count=len(left), example=example))
    return lines


NEUTRAL = {"0", "1"}   # do-nothing looking flags and factors, for those whose effect cannot be measured
# (a zero with a unit is not one: activation_bytes = 0 GB, memory_overhead = 0 GB say a part of the
# answer is left out, which the reader must see)
BRIEF_ASSUMPTIONS = 6
MATTERS = 0.01   # a default whose 10 % change moves the answer by 1 % or more is listed first
NEGLIGIBLE = 1e-3   # a convention whose other values move the answer by less than 0.1 % did not shape it


def shaping_assumptions(result: Result, switches: dict[str, float | None] | None = None
                        ) -> list[tuple[str, str, str]]:
    """The few assumptions that shaped the answer, at most BRIEF_ASSUMPTIONS (-v lists them all).

    Each numeric default is nudged and the answer re-evaluated (engine/solve/sensitivity.py): those that
    moved it by MATTERS or more come first, the largest first (epochs = 1 moves a time answer one for one);
    a convention speaks for the figures it implies (precision=seed-fp32's 4 B gradients) and is ranked by
    them. Then the other conventions whose rules the answer used, unless `switches` says that solving again
    under each of its other values gives the same answer (sequence_parallel with tp = 1). A default the
    answer does not depend on, or a do-nothing value (a rule file's `neutral:`, tp = 1), is left for -v."""
    figures, implied = _figures(result)
    conventions = _conventions(result, implied, switches or {})
    ranked: list[_Ranked] = [(item, effect) for item, effect in conventions + figures
                             if effect is not None and effect >= MATTERS]
    ranked.sort(key=lambda pair: -(pair[1] or 0.0))
    # (the conventions their figures do not rank: the ones whose other values move the answer most first)
    unranked = [(item, effect) for item, effect in conventions if effect is None or effect < MATTERS]
    ranked += sorted(unranked, key=lambda pair: -_switched(result, pair[0][0], switches))
    ranked += [(item, effect) for item, effect in figures if effect is None]
    ranked += sorted(((item, effect) for item, effect in figures if effect is not None and effect < MATTERS),
                     key=lambda pair: -(pair[1] or 0.0))
    return [item for item, _ in ranked[:BRIEF_ASSUMPTIONS]]


_Ranked = tuple[tuple[str, str, str], "float | None"]   # (name, value, source), effect (None: not measured)


def _figures(result: Result) -> tuple[list[_Ranked], dict[str, list[float | None]]]:
    """(numeric defaults that may have shaped the answer with their effects; per convention, the effects
    of the figures it implies, which are not listed on their own)."""
    effects = default_effects(result)
    keys = {name for name, _, _ in result.assumptions}
    implied: dict[str, list[float | None]] = {}
    figures: list[_Ranked] = []
    for item in result.assumptions:
        name, value, source = item
        variable = result.rules.variables[name]
        if variable.categorical or variable.neutral is not None and result.values.get(name) == variable.neutral:
            continue
        owner = implied_by(name, source, keys)
        if owner is not None:
            implied.setdefault(owner, []).append(effects.get(name))
            continue
        effect = effects.get(name)
        if effect == 0.0 or (effect is None and str(value).strip() in NEUTRAL):
            continue
        figures.append((item, effect))
    return figures, implied


def implied_by(name: str, source: str, keys: set[str]) -> str | None:
    """The convention among `keys` whose choice supplied the figure `name` (its source reads
    "offload=none (default): ..."), or None: such a figure is said through its convention."""
    return next((key for key in keys if key != name and source.startswith(f"{key}=")), None)


def _conventions(result: Result, implied: dict[str, list[float | None]], switches: dict[str, float | None]
                 ) -> list[_Ranked]:
    """Default conventions that may have shaped the answer, ranked by the figures they imply. A switch's
    own size is no rank (method=lora for full is another run, not an uncertainty), only a filter."""
    on_path = {sel for step in result.derivation if step.needed for eq in step.equations for sel, _ in eq.variant}
    out: list[_Ranked] = []
    for item in result.assumptions:
        name = item[0]
        if not result.rules.variables[name].categorical:
            continue
        measured = [e for e in implied.get(name, []) if e is not None]
        switched = switches.get(name)
        if (not measured or max(measured) == 0.0) and (
                switched is not None and switched < NEGLIGIBLE   # solved again under its other values: ~ the same
                or None not in implied.get(name, []) and name not in on_path):
            continue   # (its figures do not move this answer and none of its rules was used)
        out.append((item, max(measured) if measured and max(measured) > 0 else None))
    return out


def _switched(result: Result, name: str, switches: dict[str, float | None] | None) -> float:
    """How far solving again under a convention's other values moved the answer (0 when unknown; a plan
    such as method=lora is another run, not an assumption to rank by its size)."""
    if result.rules.variables[name].role == "plan":
        return 0.0
    return (switches or {}).get(name) or 0.0


def _warnings(result: Result, lang: str, brief: bool) -> list[str]:
    warnings = shown_warnings(result, brief=brief)
    if not warnings:
        return []
    lines = [f"{text('cli.warnings', lang)}:"]
    for warning in warnings:
        severity = text(f"cli.severity.{warning.severity}", lang) if warning.severity in ("info", "warning", "error") \
            else warning.severity
        source = f"  ({cut(warning.source, SOURCE_WIDTH) if brief else warning.source})" if warning.source else ""
        lines.append(f"  [{severity}] {reworded(warning, result, lang)}{source}")
    return lines


def _derivation(result: Result, lang: str, show: _Shower) -> list[str]:
    """Each rule used: the formula solved for the unknown, the numbers in the units shown, the result."""
    lines = [f"{text('cli.derivation', lang)}:"]
    for step in result.derivation:
        if not step.needed:
            continue
        values = dict(result.values)
        if step.phase == "solve":
            values.update(result.unrounded)   # before rounding: the numbers the solve step used
        ids = ", ".join(e.id for e in step.equations)
        lines.append(f"  [{ids}] {'; '.join(e.text for e in step.equations)}    ({step.equations[0].source})")
        for name in step.unknowns:
            if name in step.solved:
                lines.append(f"      {name} = {render(step.solved[name])}")
                lines.append(f"          = {render(substituted(step.solved[name], values, result))}")
            else:
                lines.append(f"      {name}: {text('cli.numeric_root', lang)}")
            lines.append(f"          = {show(name, step.results.get(name, result.values.get(name)))}")
    return lines


def substituted(tree: Tree, values: dict[str, float], result: Result) -> Tree:
    """The formula with each name replaced by its value in the variable's declared unit (as the HTML
    report shows it): `8 FLOP/token * 7B * 2T token`."""
    rules = result.rules

    def walk(node: Any) -> Any:
        kind = node[0]
        if kind == "var":
            name = node[1]
            variable = rules.variables.get(name)
            if variable is None or name not in values:
                return node
            value = values[name] / variable.factor
            how = shown_as(variable)
            shown = count(value) if how == "count" and abs(value) >= 1e4 else \
                engineering(value) if how == "flop" and abs(value) >= 1e6 else number(value)
            return ("var", f"({shown} {variable.unit})" if variable.unit else shown)
        if kind in ("add", "mul"):
            return (kind, tuple(walk(c) for c in node[1]))
        if kind == "pow":
            return ("pow", walk(node[1]), walk(node[2]))
        if kind == "call":
            return ("call", node[1], tuple(walk(c) for c in node[2]))
        return node

    return walk(tree)


def _side_values(result: Result, lang: str, show: _Shower) -> list[str]:
    side = [n for s in result.derivation if not s.needed for n in s.unknowns if n in result.values]
    if not side:
        return []
    return [f"{text('cli.derived', lang)}:"] + [f"  {name} = {show(name)}" for name in dict.fromkeys(side)]
