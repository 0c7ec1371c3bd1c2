"""`llmplan solve TARGET [TARGET ...] NAME=VALUE ... [--json] [--lang en|zh] [--report FILE]`."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ...rules.expr import render
from ...text.formatting import format_quantity
from ._common import LABELS, add_rule_options, load_engine, split_items


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "solve", help="answer one question, e.g. `solve n_gpus params=7B tokens=2T gpu=A800 train_time=30d mfu=0.4`",
        description="Solve for any variable from the others. Values take units and shorthand: 7B, 1.4T, 30d, "
                    "80GB, 80GiB, 312 TFLOPS, 40%, and catalog keys (gpu=A800, model=llama2-7b).")
    parser.add_argument("items", nargs="+", metavar="TARGET|NAME=VALUE",
                        help="variables to solve, then the known values")
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
        json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print(render_text(result, args.lang))
    return 0


def render_text(result: Any, lang: str = "en") -> str:
    """A readable terminal summary: answer, givens, assumptions, derivation, warnings."""
    words = LABELS[lang]
    rules = result.rules
    lines = [f"{words['answer']}:"]
    for name in result.targets:
        extra = ""
        if name in result.rounded:
            raw, new = result.rounded[name]
            direction = words[f"round_{rules.variables[name].rounding}"]
            extra = "   (" + words["rounded_as"].format(raw=f"{raw:.4g}", direction=direction) + ")"
        lines.append(f"  {name} = {result.show(name)}{extra}    # {rules.variables[name].label(lang)}")
    recomputed = [n for n, s in result.status.items() if s == "recomputed"]
    for name in recomputed:
        lines.append(f"  {name} = {result.show(name)}    # {words['recomputed']}")
    given = [n for n, s in result.status.items() if s in ("given", "catalog")]
    lines.append(f"{words['given']}:")
    for name, key in result.keys.items():
        lines.append(f"  {name} = {key}")
    for name in given:
        tag = f"  [{words['catalog']}]" if result.status[name] == "catalog" else ""
        lines.append(f"  {name} = {result.show(name)}{tag}")
    if result.assumptions:
        lines.append(f"{words['assumed']}:")
        for name, value, source in result.assumptions:
            lines.append(f"  {name} = {value}    ({words['source']}: {source})")
    lines.append(f"{words['derivation']}:")
    for step in result.derivation:
        if not step.needed:
            continue
        ids = ", ".join(e.id for e in step.equations)
        lines.append(f"  [{ids}] {'; '.join(e.text for e in step.equations)}    ({step.equations[0].source})")
        for name in step.unknowns:
            formula = render(step.solved[name]) if name in step.solved else "numeric root"
            lines.append(f"      {name} = {formula}")
            if name in step.substituted:
                lines.append(f"          = {step.substituted[name]}")
            shown = format_quantity(rules.variables[name], step.results.get(name, result.values[name]))
            lines.append(f"          = {shown}")
    side = [n for s in result.derivation if not s.needed for n in s.unknowns if n in result.values]
    if side:
        lines.append(f"{words['derived']}:")
        for name in dict.fromkeys(side):
            lines.append(f"  {name} = {result.show(name)}")
    if result.warnings:
        lines.append(f"{words['warnings']}:")
        for warning in result.warnings:
            source = f"  ({warning.source})" if warning.source else ""
            lines.append(f"  [{warning.severity}] {warning.message}{source}")
    return "\n".join(lines)
