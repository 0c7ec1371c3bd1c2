"""Report formulas: trees -> MathML and LaTeX, symbolically and with numbers and units substituted."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from engine.report import formulas

NUMBERS = [   # value, (mantissa, power of ten)
    (346.23298512187404, ("346.2", None)),
    (1.12e23, ("1.12", 23)),
    (2592000.0, ("2.592", 6)),
    (999960.0, ("999960", None)),          # a whole number below 1e6 is shown whole
    (9.99996e6, ("1", 7)),                 # rounding the mantissa carries into the exponent
    (0.4, ("0.4", None)),
    (1.5e-5, ("1.5", -5)),
    (-0.25, ("-0.25", None)),
    (0.0, ("0", None)),
]


@pytest.mark.parametrize("value, expected", NUMBERS)
def test_split_number(value: float, expected: tuple[str, int | None]) -> None:
    assert formulas.split_number(value) == expected


def _well_formed(mathml: str) -> ET.Element:
    return ET.fromstring(mathml)      # numeric entities only: any XML reader accepts it


def test_rule_and_chain_in_both_notations(bundled_engine: Any) -> None:
    rules = bundled_engine.rules
    eq = rules.equation("time.train_time")
    rule = formulas.rule(eq)
    _well_formed(rule.mathml)
    assert "<mi>train_flops</mi>" in rule.mathml and r"\mathrm{n\_gpus}" in rule.latex
    tree = ("mul", (("var", "train_flops"), ("pow", ("mul", (("var", "mfu"), ("var", "peak_flops"),
                                                             ("var", "n_gpus"))), ("num", -1.0))))
    values = {"train_flops": 1.12e23, "mfu": 0.4, "peak_flops": 312e12, "n_gpus": 347.0, "train_time": 2.58e6}
    line = formulas.chain("train_time", tree, values, rules)
    root = _well_formed(line["mathml"])
    assert root.find(".//mtable") is not None and root.find(".//mfrac") is not None
    assert r"\frac{1.12 \times 10^{23}\,\mathrm{FLOP}}{0.4 \cdot 312\,\mathrm{TFLOPS} \cdot 347}" in line["latex"]
    # factors keep the order they have in the tree (mfu, peak_flops, n_gpus)
    assert line["latex"].startswith(r"\begin{aligned}") and r"29.86\,\mathrm{day}" in line["latex"]


def test_powers_of_quantities_are_parenthesized(bundled_engine: Any) -> None:
    rules = bundled_engine.rules
    tree = ("pow", ("var", "tokens"), ("num", 0.34))
    line = formulas.chain("params", tree, {"tokens": 2e12, "params": 1.0}, rules)
    assert r"\left(2 \times 10^{12}\,\mathrm{token}\right)^{0.34}" in line["latex"]
    assert "<msup><mrow><mo>(</mo>" in line["mathml"]
    plain = formulas.fill(tree, formulas.symbolic_filler)
    assert plain.latex == r"{\mathrm{tokens}}^{0.34}"


def test_exact_fractions_from_sympy_print_as_roots(bundled_engine: Any) -> None:
    tree = ("mul", (("num", 1 / 6), ("pow", ("var", "train_flops"), ("num", 0.5))))
    shown = formulas.fill(tree, formulas.symbolic_filler)
    assert r"\sqrt{\mathrm{train\_flops}}" in shown.latex and "6" in shown.latex
    assert "<msqrt>" in shown.mathml


def test_unit_literals_stay_units(bundled_engine: Any) -> None:
    eq = bundled_engine.rules.equation("chinchilla.loss")
    rule = formulas.rule(eq)
    assert r"\frac{\mathrm{tokens}}{\mathrm{token}}" in rule.latex
    assert '<mi mathvariant="normal">token</mi>' in rule.mathml


def test_one_sympy_layout_per_tree(bundled_engine: Any) -> None:
    """A 500-row report pays for sympy once per formula: rows only fill the skeleton."""
    rules = bundled_engine.rules
    tree = ("mul", (("var", "flops_factor"), ("var", "params"), ("var", "tokens"), ("num", 1.0 / 3.0)))
    formulas.skeleton.cache_clear()
    for params in (1e9, 7e9, 70e9):
        formulas.chain("train_flops", tree, {"flops_factor": 6.0, "params": params, "tokens": 1e12,
                                             "train_flops": 2 * params * 1e12}, rules)
    info = formulas.skeleton.cache_info()
    assert info.misses == 1 and info.hits == 5


NO_CLOSED_FORM = """\
variables:
  test_x: {unit: "", en: x, zh: x}
  test_y: {unit: "", en: y, zh: y}
equations:
  - id: testnum.xy
    eq: test_y = test_x + exp(test_x)
    source: a test rule with no closed-form inverse
    en: y = x + e^x
    zh: y = x + e^x
"""


def test_numeric_step_shows_the_equation_with_numbers(tmp_path: Path) -> None:
    from engine.report import write_solve_report
    from engine.solve.solver import Engine

    path = tmp_path / "numeric.yaml"
    path.write_text(NO_CLOSED_FORM, encoding="utf-8")
    engine = Engine.load([path])
    result = engine.solve(["test_x"], {"test_y": "3"})
    assert result.derivation[-1].numeric
    md = write_solve_report(engine, result, tmp_path / "numeric.md").read_text(encoding="utf-8")
    assert "solved numerically" in md
    assert r"3 &= \mathrm{test\_x} + e^{\mathrm{test\_x}}" in md
    x = result.values["test_x"]
    assert x + 2.718281828459045 ** x == pytest.approx(3.0)
    assert rf"\mathrm{{test\_x}} &= {formulas.number_latex(x)}" in md
    html = write_solve_report(engine, result, tmp_path / "numeric.html").read_text(encoding="utf-8")
    assert f'data-name="test_x" data-value="{x!r}"' in html
