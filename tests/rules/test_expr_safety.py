"""Formulas are parsed from a whitelisted AST; hostile text is refused and nothing runs."""
from __future__ import annotations

import os
import time

import pytest

from engine.errors import ExpressionError
from engine.rules.expr import parse_equation, parse_expression, render

NAMES = {"params", "tokens", "alpha", "train_flops"}
MARKER = "/tmp/llmplan-pwned"

HOSTILE = [
    f"__import__('os').system('touch {MARKER}')",
    "params.__class__.__bases__",
    "().__class__.__bases__[0].__subclasses__()",
    "(lambda: 1)()",
    "[x for x in params]",
    "open('/etc/passwd').read()",
    "eval('1')",
    "__builtins__",
    "params if tokens else alpha",
    "f'{params}'",
    "params[0]",
    "9**9**9",
    "10**(10**10)",
    "2**1000",
    "(" * 5000 + "1" + ")" * 5000,
    "params + " * 300_000 + "1",
    "params\x00 + 1",
    "params \u202e+ 1",
    "'text'",
    "True + params",
    "params @ tokens",
    "params := 3",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_formulas_are_refused_quickly(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ExpressionError):
        parse_expression(text, NAMES)
    assert time.perf_counter() - start < 2.0
    assert not os.path.exists(MARKER)


def test_messages_say_what_is_allowed() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("params.real", NAMES)
    assert "Attribute" in str(info.value) and "Allowed: numbers, declared names" in str(info.value)
    with pytest.raises(ExpressionError) as info:
        parse_expression("token * 2", NAMES)
    assert "unknown name 'token'" in str(info.value)


def test_valid_formulas_become_trees() -> None:
    tree = parse_expression("6 * params * tokens / 2 - alpha ** 2 + sqrt(params)", NAMES)
    assert render(tree) == "6 * params * tokens / 2 - alpha**2 + sqrt(params)"
    lhs, rhs = parse_equation("train_flops = 6 * params * tokens", NAMES)
    assert lhs == ("var", "train_flops")
    assert rhs == ("mul", (("mul", (("num", 6.0), ("var", "params"))), ("var", "tokens")))


def test_equation_needs_exactly_one_equals_sign() -> None:
    with pytest.raises(ExpressionError, match="exactly one '='"):
        parse_equation("params = tokens = 1", NAMES)
    with pytest.raises(ExpressionError, match="exactly one '='"):
        parse_equation("params == tokens", NAMES)
