"""Formulas for reports: expression trees -> MathML (HTML) and LaTeX (Markdown).

sympy does the layout (fractions, roots, powers) once per tree: every name,
unit literal and non-integer constant is first swapped for a placeholder
symbol, the sympy printers run, and the placeholders are turned into
markers. A row's formula is then the skeleton with each marker filled, either
with the variable's name (symbolic form) or with its value and unit
(substituted form), so a report of 500 scenarios pays for sympy once per rule.

Placeholders use only the letters j k q w x y z: sympy's LaTeX printer
turns name suffixes such as "dot", "hat" or "bar" into accents, and no such
suffix can be spelled with these letters. Numbers get an "N" prefix and names
a "V" prefix, so sympy's alphabetical ordering puts constants first and keeps
names in the order they appear in the rule.
"""
from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from ..rules.expr import Tree
from ..rules.model import Equation, RuleSet, Variable
from ..solve.symbolic import to_sympy

_LETTERS = "jkqwxyz"
_MARK = re.compile(r"\x00(\d+)(b?)\x01")
_LATEX_SPECIAL = re.compile(r"([_%&#$])")


@dataclass(frozen=True)
class Formula:
    """One formula in both notations (MathML for HTML, LaTeX for Markdown)."""

    mathml: str
    latex: str


@dataclass(frozen=True)
class Skeleton:
    """A tree printed once, with markers where names, units and constants go."""

    mathml: str
    latex: str
    slots: tuple[tuple[str, object], ...]     # ("var", name) | ("unit", text) | ("num", value) | ("exact", p/q)


# -- numbers ------------------------------------------------------------------
def split_number(value: float, digits: int = 4) -> tuple[str, int | None]:
    """A number as (mantissa text, power of ten or None): 1.12e23 -> ("1.12", 23), 346.15 -> ("346.2", None)."""
    if value == 0 or not math.isfinite(value):
        return (f"{value:g}", None)
    exponent = int(math.floor(math.log10(abs(value))))
    if -3 <= exponent < 6:
        if float(value).is_integer():
            return (str(int(value)), None)
        text = f"{value:.{max(0, digits - 1 - exponent)}f}"
        return (text.rstrip("0").rstrip(".") if "." in text else text, None)
    mantissa = round(value / 10 ** exponent, digits - 1)
    if abs(mantissa) >= 10:                      # 9.9996e5 rounds to 10.00: carry into the exponent
        mantissa, exponent = mantissa / 10, exponent + 1
    text = f"{mantissa:.{digits - 1}f}".rstrip("0").rstrip(".")
    return (text, exponent)


def plain(value: float) -> str:
    """The same number as plain text: 346.2, 1.12e23."""
    mantissa, exponent = split_number(value)
    return mantissa if exponent is None else f"{mantissa}e{exponent}"


def number_mathml(value: float) -> str:
    mantissa, exponent = split_number(value)
    if exponent is None:
        return f"<mn>{mantissa}</mn>"
    return (f"<mrow><mn>{mantissa}</mn><mo>&#xD7;</mo>"
            f"<msup><mn>10</mn><mn>{exponent}</mn></msup></mrow>")


def number_latex(value: float) -> str:
    mantissa, exponent = split_number(value)
    return mantissa if exponent is None else f"{mantissa} \\times 10^{{{exponent}}}"


def quantity_mathml(value: float, unit: str) -> str:
    """A value with its unit; compound forms are marked so powers can parenthesize them."""
    text = number_mathml(value)
    if unit:
        text = f"<mrow>{text}<mspace width=\"0.2em\"/><mi mathvariant=\"normal\">{html.escape(unit)}</mi></mrow>"
    return text


def quantity_latex(value: float, unit: str) -> str:
    text = number_latex(value)
    return f"{text}\\,{unit_latex(unit)}" if unit else text


def _latex_text(text: str) -> str:
    return "\\mathrm{" + _LATEX_SPECIAL.sub(r"\\\1", text) + "}"


def unit_latex(unit: str) -> str:
    return _latex_text(unit)


def name_latex(name: str) -> str:
    return _latex_text(name)


# -- skeletons -------------------------------------------------------------------
def _placeholder(prefix: str, index: int) -> str:
    code = ""
    for _ in range(4):
        index, digit = divmod(index, len(_LETTERS))
        code = _LETTERS[digit] + code
    return prefix + code


def _swap(tree: Tree, slots: list[tuple[str, object]]) -> Tree:
    """The tree with names, units and awkward constants replaced by placeholder names."""
    kind = tree[0]
    if kind in ("var", "unit"):
        slots.append((kind, tree[1]))
        return ("var", _placeholder("V", len(slots) - 1))
    if kind == "num":
        value = float(tree[1])
        if value.is_integer() and abs(value) < 1e6:
            return tree                     # small integers print well as they are (6·N·D, powers, -1)
        exact = _simple_fraction(value)
        if exact is not None:               # 0.5 and 0.1666… from sympy's solutions: back to 1/2 and 1/6
            slots.append(("exact", exact))
            return ("var", _placeholder("E", len(slots) - 1))
        slots.append(("num", abs(value)))
        holder = ("var", _placeholder("N", len(slots) - 1))
        return holder if value > 0 else ("mul", (("num", -1.0), holder))
    if kind in ("add", "mul"):
        return (kind, tuple(_swap(t, slots) for t in tree[1]))
    if kind == "pow":
        return ("pow", _swap(tree[1], slots), _swap(tree[2], slots))
    if kind == "call":
        return ("call", tree[1], tuple(_swap(t, slots) for t in tree[2]))
    return tree


def _simple_fraction(value: float) -> Fraction | None:
    """p/q with a small q when the float is exactly that fraction (so 1/6 prints as 1/6, 0.34 stays 0.34)."""
    fraction = Fraction(value).limit_denominator(12)
    return fraction if abs(float(fraction) - value) <= 1e-12 * abs(value) else None


def _numeric_entities(text: str) -> str:
    """Named entities such as &InvisibleTimes; -> numeric ones, valid in any HTML or XML reader."""
    def fix(match: re.Match[str]) -> str:
        if match.group(1) in ("amp", "lt", "gt", "quot"):
            return match.group(0)
        char = html.unescape(match.group(0))
        return match.group(0) if len(char) != 1 else f"&#x{ord(char):X};"

    return re.sub(r"&([A-Za-z][A-Za-z0-9]*);", fix, text)


@lru_cache(maxsize=4096)
def skeleton(tree: Tree) -> Skeleton:
    """Print a tree once with sympy; names, units and constants become markers."""
    import sympy
    from sympy.printing.mathml import mathml

    slots: list[tuple[str, object]] = []
    swapped = _swap(tree, slots)
    prefix = {"num": "N", "exact": "E"}
    holders = {_placeholder(prefix.get(kind, "V"), i): i for i, (kind, _) in enumerate(slots)}
    symbols = {name: sympy.Symbol(name, positive=True) for name in holders}
    exact = {symbols[_placeholder("E", i)]: sympy.Rational(str(f))
             for i, (kind, f) in enumerate(slots) if kind == "exact"}
    expr = to_sympy(swapped, symbols).subs(exact)
    markup = mathml(expr, printer="presentation", mul_symbol="dot", disable_split_super_sub=True)
    markup = re.sub(r"<msup><mi>([NV][jkqwxyz]{4})</mi>", lambda m: f"<msup>\x00{holders[m.group(1)]}b\x01", markup)
    markup = re.sub(r"<mi>([NV][jkqwxyz]{4})</mi>", lambda m: f"\x00{holders[m.group(1)]}\x01", markup)
    latex = sympy.latex(expr, mul_symbol="dot")
    latex = re.sub(r"\b([NV][jkqwxyz]{4})(\^?)",
                   lambda m: f"\x00{holders[m.group(1)]}{'b' if m.group(2) else ''}\x01{m.group(2)}", latex)
    return Skeleton(_numeric_entities(markup), latex, tuple(slots))


# -- filling ---------------------------------------------------------------------
Filler = Callable[[str, object], tuple[str, str, bool]]   # slot -> (mathml, latex, compound)


def fill(tree: Tree, filler: Filler) -> Formula:
    """The tree's formula with every slot filled by `filler`."""
    skel = skeleton(tree)
    parts = [filler(kind, payload) for kind, payload in skel.slots]

    def mathml_part(match: re.Match[str]) -> str:
        markup, _, compound = parts[int(match.group(1))]
        if match.group(2) and compound:
            return f"<mrow><mo>(</mo>{markup}<mo>)</mo></mrow>"
        return markup

    def latex_part(match: re.Match[str]) -> str:
        _, text, compound = parts[int(match.group(1))]
        return f"\\left({text}\\right)" if match.group(2) and compound else f"{{{text}}}" if match.group(2) else text

    return Formula(_MARK.sub(mathml_part, skel.mathml), _MARK.sub(latex_part, skel.latex))


def _constant(kind: str, payload: object) -> tuple[str, str, bool] | None:
    if kind == "num":
        value = float(payload)  # type: ignore[arg-type]
        return (number_mathml(value), number_latex(value), split_number(value)[1] is not None)
    if kind == "unit":
        unit = str(payload)
        return (f"<mi mathvariant=\"normal\">{html.escape(unit)}</mi>", unit_latex(unit), False)
    return None


def symbolic_filler(kind: str, payload: object) -> tuple[str, str, bool]:
    """Names as names: the rule as written."""
    constant = _constant(kind, payload)
    if constant is not None:
        return constant
    name = str(payload)
    return (f"<mi>{html.escape(name)}</mi>", name_latex(name), False)


def numbers_filler(values: dict[str, float], rules: RuleSet, keep: frozenset[str] = frozenset()) -> Filler:
    """Names replaced by their values in the declared units (names in `keep` stay names)."""
    def filler(kind: str, payload: object) -> tuple[str, str, bool]:
        constant = _constant(kind, payload)
        if constant is not None:
            return constant
        name = str(payload)
        if name in keep or name not in values:
            return symbolic_filler(kind, payload)
        variable = rules.variables[name]
        value = values[name] / variable.factor
        compound = bool(variable.unit) or split_number(value)[1] is not None or value < 0
        return (quantity_mathml(value, variable.unit), quantity_latex(value, variable.unit), compound)

    return filler


# -- what reports show --------------------------------------------------------------
def math_block(*parts: str) -> str:
    """Parts joined into one <math> element (display style; left-aligned, so no display="block")."""
    return f"<math displaystyle=\"true\"><mrow>{''.join(parts)}</mrow></math>"


def math_table(rows: list[tuple[str, str]]) -> str:
    """Lines aligned on their "=" signs: `left = right`, then `= right`, ..."""
    cells = "".join(f"<mtr><mtd class=\"lhs\">{left}</mtd><mtd><mo>=</mo></mtd><mtd class=\"rhs\">{right}</mtd></mtr>"
                    for left, right in rows)
    return math_block(f"<mtable>{cells}</mtable>")


def rule(eq: Equation) -> Formula:
    """A rule as written in its file: lhs = rhs."""
    lhs, rhs = fill(eq.lhs, symbolic_filler), fill(eq.rhs, symbolic_filler)
    return Formula(math_block(lhs.mathml, "<mo>=</mo>", rhs.mathml), f"{lhs.latex} = {rhs.latex}")


def chain(name: str, tree: Tree, values: dict[str, float], rules: RuleSet,
          rounded: tuple[float, str] | None = None) -> dict[str, str]:
    """`name = formula`, `= numbers with units`, `= result` (`= rounded (note)`): one step of a derivation.

    MathML as one table aligned on "="; LaTeX as one aligned block.
    """
    variable = rules.variables[name]
    symbolic = fill(tree, symbolic_filler)
    numbers = fill(tree, numbers_filler(values, rules))
    result = values[name] / variable.factor
    rows = [(f"<mi>{html.escape(name)}</mi>", symbolic.mathml), ("", numbers.mathml),
            ("", quantity_mathml(result, variable.unit))]
    lines = [(name_latex(name), symbolic.latex), ("", numbers.latex), ("", quantity_latex(result, variable.unit))]
    _add_rounding(rows, lines, variable, rounded)
    return {"mathml": math_table(rows), "latex": _aligned(lines)}


def _add_rounding(rows: list[tuple[str, str]], lines: list[tuple[str, str]], variable: Variable,
                  rounded: tuple[float, str] | None) -> None:
    """An integer answer's last line: the rounded count, with the rounding named (up, down, nearest)."""
    if rounded is None:
        return
    value, note = rounded[0] / variable.factor, rounded[1]
    rows.append(("", f"{quantity_mathml(value, variable.unit)}<mspace width=\"0.6em\"/>"
                     f"<mtext>({html.escape(note)})</mtext>"))
    lines.append(("", f"{quantity_latex(value, variable.unit)} \\quad \\text{{({_latex_plain(note)})}}"))


def _latex_plain(text: str) -> str:
    return _LATEX_SPECIAL.sub(r"\\\1", text)


def numeric(name: str, eq: Equation, unknowns: frozenset[str], values: dict[str, float], rules: RuleSet
            ) -> dict[str, str]:
    """A rule with no closed form: the equation with the knowns substituted, then the root found."""
    filler = numbers_filler(values, rules, keep=unknowns)
    lhs, rhs = fill(eq.lhs, filler), fill(eq.rhs, filler)
    variable = rules.variables[name]
    result = values[name] / variable.factor
    mathml = math_table([(lhs.mathml, rhs.mathml),
                         (f"<mi>{html.escape(name)}</mi>", quantity_mathml(result, variable.unit))])
    latex = _aligned([(lhs.latex, rhs.latex), (name_latex(name), quantity_latex(result, variable.unit))])
    return {"mathml": mathml, "latex": latex}


def _aligned(lines: list[tuple[str, str]]) -> str:
    body = " \\\\ ".join(f"{left} &= {right}" for left, right in lines)
    return f"\\begin{{aligned}} {body} \\end{{aligned}}"
