"""`llmplan explain NAME`: a variable, a rule, or a convention with its variants side by side."""
from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from ..errors import ValueParseError
from ..messages import Nested, keyed
from ..rules.conditional_defaults import said_defaults, said_when
from ..rules.expr import render
from ..rules.model import Equation
from ..text.formatting import format_quantity
from . import symbolic

if TYPE_CHECKING:   # explain sits beside the solver (.importlinter): annotations only
    from .solver import Engine


def explain(engine: Engine, name: str, lang: str = "en") -> str:
    rules = engine.rules
    if name in rules.variables:
        variable = rules.variables[name]
        text = _variable(engine, name, lang)
        if variable.categorical:
            text += "\n\n" + _variants(engine, name, lang)
        return text
    for eq in rules.equations:
        if eq.id == name:
            return _equation(engine, eq, lang)

    close = difflib.get_close_matches(name, list(rules.variables) + [e.id for e in rules.equations], n=3)
    raise keyed(ValueParseError, "values.nothing_called", name=name,
                hint=Nested("values.did_you_mean_variable", names=", ".join(close)) if close else Nested())


def _variable(engine: Engine, name: str, lang: str) -> str:
    rules = engine.rules
    v = rules.variables[name]
    lines = [f"{name}: {v.label(lang)}", f"  {'zh' if lang == 'en' else 'en'}: {v.zh if lang == 'en' else v.en}",
             f"  unit: {v.unit or '(plain number)'}   domain: {v.domain}   declared at {v.where}"]
    if v.categorical:
        lines.append(f"  values: {', '.join(v.values)}")
    if v.default is not None:
        shown = v.default if v.categorical else format_quantity(v, v.default)
        lines.append(f"  default: {shown}   (source: {v.default_source})")
    for conditional in v.default_when:
        lines.append(f"  default for {conditional.case} ({said_when(conditional)}): {conditional.value}   "
                     f"(source: {conditional.source})")
    if v.typical:
        lo, hi = v.typical
        lines.append(f"  typical: {format_quantity(v, lo)} – {format_quantity(v, hi)}   (source: {v.typical_source})")
    if v.role:
        lines.append(f"  role: {v.role} (recomputed when an integer answer is rounded)")
    uses = [eq for eq in rules.equations if name in eq.variables]
    if uses:
        lines.append("  rules:")
        lines += [f"    {eq.id}: {eq.text}   ({eq.source})" for eq in uses]
    tables = [t for t in rules.tables.values() if name in t.fields]
    for table in tables:
        lines.append(f"  set by {table.variable}=<key> (see `llmplan catalog {table.variable}`)")
    checks = [c for c in rules.checks if name in c.variables]
    if checks:
        lines.append("  checks:")
        lines += [f"    {c.id}: when {c.text}: {c.message(lang)}   ({c.source})" for c in checks]
    return "\n".join(lines)


def _variants(engine: Engine, selector: str, lang: str) -> str:
    """Each value of a convention with the rules and figures it selects, side by side."""
    rules = engine.rules
    variable = rules.variables[selector]
    table = rules.tables.get(selector)
    variant_eqs = [eq for eq in rules.equations if any(sel == selector for sel, _ in eq.variant)]
    if not variant_eqs and table is None:
        return ""
    default = said_defaults(variable)
    lines = [f"Variants of {selector} (default: {default}):" if lang == "en"
             else f"{selector} 的可选口径（默认：{default}）："]
    for value in variable.values:
        marker = "  *" if str(variable.default) == value else "  +" if any(
            c.value == value for c in variable.default_when) else "   "
        lines.append(f"{marker} {value}")
        for eq in variant_eqs:
            if any(sel == selector and value in allowed for sel, allowed in eq.variant):
                lines.append(f"      rule {eq.id}: {eq.text}")
                lines.append(f"        {eq.label(lang)}   (source: {eq.source})")
        if table is not None and value in table.entries:
            entry = table.entries[value]
            figures = ", ".join(f"{f} = {entry.written[f]} {table.fields[f]}".rstrip()
                                for f in table.fields if f in entry.written)
            lines.append(f"      sets {figures}" if figures else "      (no figures)")
            lines.append(f"        source: {entry.source}")
    return "\n".join(lines)


def _equation(engine: Engine, eq: Equation, lang: str) -> str:
    lines = [f"{eq.id}: {eq.text}", f"  {eq.label(lang)}", f"  source: {eq.source}", f"  defined at {eq.where}"]
    if eq.notes:
        lines.append(f"  notes: {eq.notes}")
    if eq.variant:
        lines.append("  applies when " + ", ".join(f"{k} = {' | '.join(v)}" for k, v in eq.variant))
    if eq.tolerance >= 0.01:
        lines.append(f"  approximate: given values may differ by up to {eq.tolerance:.0%}")
    lines.append("  solved for each variable:")
    for name in sorted(eq.variables):
        solutions = symbolic.solve_block([(eq.lhs, eq.rhs, eq.text)], [name], engine.planner.domains)
        if solutions:
            forms = " or ".join(render(s[name]) for s in solutions)
            lines.append(f"    {name} = {forms}")
        else:
            lines.append(f"    {name}: no closed form; solved numerically (vectorized root finding)")
    symbolic.save()
    return "\n".join(lines)
