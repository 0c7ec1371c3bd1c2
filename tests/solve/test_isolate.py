"""Isolating an unknown that appears once (engine/solve/isolate.py): forms checked by evaluating them."""
from __future__ import annotations

import math

import pytest

from engine.rules.expr import parse_equation, render
from engine.solve.isolate import isolate
from engine.solve.numeric import compile_tree

NAMES = {"loss", "e", "a", "b", "n", "d", "alpha", "beta", "x", "y", "s", "k"}


def _solve(text: str, unknown: str, domains: dict[str, str] | None = None):
    lhs, rhs = parse_equation(text, NAMES)
    return isolate(lhs, rhs, unknown, domains or {})


def _value(tree, **values: float) -> float:
    return float(compile_tree(tree)(values))


def test_chinchilla_loss_solved_for_tokens_matches_the_closed_form() -> None:
    tree = _solve("loss = e + a / n ** alpha + b / d ** beta", "d")
    assert tree is not None
    # Hoffmann et al. 2022 eq. (10) at N = 70B, L = 1.95: D = (B / (L − E − A/N^α))^(1/β)
    expected = (410.7 / (1.95 - 1.69 - 406.4 / 70e9**0.34)) ** (1 / 0.28)
    got = _value(tree, loss=1.95, e=1.69, a=406.4, n=70e9, alpha=0.34, b=410.7, beta=0.28)
    assert got == pytest.approx(expected, rel=1e-12)
    # the report shows this form where sympy had no time: one division, no power of a power
    assert render(tree) == "(b / (loss - (e + a / n**alpha)))**(1 / beta)"


def test_exponent_and_logarithm_are_undone() -> None:
    # 2^x = 8 -> x = 3; log(y) = 2 -> y = e^2; exp(k) = 5 -> k = ln 5
    assert _value(_solve("y = 2 ** x", "x"), y=8.0) == pytest.approx(3.0)
    assert _value(_solve("log(y) = s", "y"), s=2.0) == pytest.approx(math.e**2)
    assert _value(_solve("exp(k) = s", "k"), s=5.0) == pytest.approx(math.log(5))


def test_forms_that_are_not_unique_are_left_to_sympy() -> None:
    assert _solve("y = x * x", "x") is None                          # the unknown twice
    assert _solve("y = (s - x) ** 2", "x") is None                   # even power of a signed base
    assert _solve("y = (s - x) ** 2", "x", {"s": "real"}) is None
    assert _solve("y = max(x, s)", "x") is None                      # not invertible
    # odd reciprocal of a signed base is unique: 1/(s - x) = y -> x = s - 1/y
    assert _value(_solve("y = 1 / (s - x)", "x"), s=3.0, y=0.5) == pytest.approx(1.0)


def test_a_signed_variable_under_a_power_is_not_inverted() -> None:
    assert _solve("y = x ** 3", "x", {"x": "real"}) is None
    assert _value(_solve("y = x ** 3", "x"), y=27.0) == pytest.approx(3.0)


def test_a_product_is_divided_once() -> None:
    # train_flops = n_gpus · peak · mfu · time parses as ((n·p)·m)·t: n = C / (p · m · t)
    tree = _solve("y = x * s * k * n", "x")
    assert render(tree) == "y / (s * k * n)"
    assert _value(tree, y=24.0, s=2.0, k=3.0, n=4.0) == pytest.approx(1.0)
