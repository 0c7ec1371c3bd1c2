"""Hostile text for the value parser, the formula parser and `llmplan solve`.

The corpus lives in tests/hostile/*.jsonl (JSON escapes keep NUL, U+202E and friends
readable); giant inputs are generated here. Every input is either parsed to the right
number or refused with ValueParseError / ExpressionError - never another exception -
quickly, and nothing it contains is ever executed (marker files stay absent).
"""
from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.errors import ExpressionError, ValueParseError
from engine.rules.expr import parse_equation, parse_expression
from engine.text.values import parse_key, parse_number

HERE = Path(__file__).resolve().parents[1]   # tests/ (the corpus is tests/hostile/)
MARKER = Path("/tmp/llmplan-hostile-pwned")   # the corpus tries to create this file
BOUND_S = 2.0                                   # generous: each input takes milliseconds
NAMES = {"params", "tokens"}


def corpus(name: str) -> list[dict[str, Any]]:
    lines = (HERE / "hostile" / name).read_text(encoding="utf-8").splitlines()
    return [row for row in map(json.loads, lines) if "comment" not in row]


VALUES = corpus("values.jsonl")
FORMULAS = corpus("formulas.jsonl")


@pytest.fixture(autouse=True)
def no_marker() -> Any:
    MARKER.unlink(missing_ok=True)
    yield
    assert not MARKER.exists(), "hostile input was executed"


def timed(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """Run fn; return (result, exception) and check it was quick."""
    start = time.perf_counter()
    try:
        result, error = fn(), None
    except Exception as exc:   # noqa: BLE001 - the type is what the tests check
        result, error = None, exc
    elapsed = time.perf_counter() - start
    assert elapsed < BOUND_S, f"took {elapsed:.2f}s"
    return result, error


# -- value parser ---------------------------------------------------------------------------------
@pytest.mark.parametrize("case", VALUES, ids=[f"{c['variable']}={c['text'][:24]!r}" for c in VALUES])
def test_value_corpus(bundled_engine: Any, case: dict[str, Any]) -> None:
    variable = bundled_engine.rules.variables[case["variable"]]
    value, error = timed(lambda: parse_number(variable, case["text"]))
    if case["expect"] is None:
        assert isinstance(error, ValueParseError), f"expected a refusal, got {value!r} / {error!r}"
        message = str(error)
        assert message.startswith(f"{variable.name}: "), message   # names the variable
        assert "\n" not in message and len(message) < 400, message
        assert "\u202e" not in message and "\x00" not in message   # shown escaped, never raw
    else:
        assert error is None, f"{case['text']!r} refused: {error}"
        assert value == pytest.approx(case["expect"], rel=1e-12)


GIANT_VALUES = {
    "megabyte of digits": "7" * 1_000_000,
    "megabyte of suffixes": "7B " * 350_000,
    "10,000 nested parentheses": "(" * 10_000 + "7" + ")" * 10_000,
    "megabyte of CJK": "亿" * 1_000_000,
    "megabyte of NUL": "\x00" * 1_000_000,
    "megabyte of RLO": "\u202e" * 1_000_000,
}


@pytest.mark.parametrize("text", GIANT_VALUES.values(), ids=GIANT_VALUES.keys())
@pytest.mark.parametrize("name", ["params", "train_time", "mfu"])
def test_giant_values_are_refused_quickly(bundled_engine: Any, name: str, text: str) -> None:
    variable = bundled_engine.rules.variables[name]
    _, error = timed(lambda: parse_number(variable, text))
    assert isinstance(error, ValueParseError)
    assert len(str(error)) < 300


@pytest.mark.parametrize("text", [*GIANT_VALUES.values(), "A800\u202e", "\x00", "", "__class__", "A800; rm -rf /",
                                  "a" * 200, "ａ８００"], ids=[*GIANT_VALUES, "rlo", "nul", "empty", "dunder", "shell",
                                                             "long", "fullwidth-lower"])
def test_hostile_catalog_keys(bundled_engine: Any, text: str) -> None:
    variable = bundled_engine.rules.variables["gpu"]
    table = bundled_engine.rules.tables["gpu"]
    key, error = timed(lambda: parse_key(variable, table, text))
    if text == "ａ８００":   # full-width spelling of a key resolves, case-insensitively
        assert key == "A800"
        return
    assert isinstance(error, ValueParseError), (key, error)
    assert str(error).startswith("gpu: ") and len(str(error)) < 600


# -- formula parser -------------------------------------------------------------------------------
@pytest.mark.parametrize("case", FORMULAS, ids=[repr(c["text"][:30]) for c in FORMULAS])
def test_formula_corpus_is_refused(case: dict[str, Any]) -> None:
    _, error = timed(lambda: parse_expression(case["text"], NAMES, units=_strict_units))
    assert isinstance(error, ExpressionError), f"{case['text']!r}: {error!r}"
    assert "\n" not in str(error).strip() and len(str(error)) < 600


@pytest.mark.parametrize("case", FORMULAS[:40], ids=[repr(c["text"][:30]) for c in FORMULAS[:40]])
def test_formula_corpus_in_equations_is_refused(case: dict[str, Any]) -> None:
    for text in (f"params = {case['text']}", f"{case['text']} = tokens"):
        _, error = timed(lambda text=text: parse_equation(text, NAMES, units=_strict_units))
        assert isinstance(error, ExpressionError), f"{text!r}: {error!r}"


def _strict_units(text: str) -> Any:
    from engine.rules.units import unit_info

    return unit_info(text)


GIANT_FORMULAS = {
    "10,000 nested parentheses": "(" * 10_000 + "params" + ")" * 10_000,
    "999 nested parentheses (under the length cap)": "(" * 999 + "params" + ")" * 999,
    "10,000 nested calls": "sqrt(" * 10_000 + "params" + ")" * 10_000,
    "300 nested calls": "sqrt(" * 300 + "params" + ")" * 300,
    "45 nested powers": "params**(" * 45 + "2" + ")" * 45,
    "1999 unary minus": "-" * 1999 + "params",
    "megabyte sum": "params + " * 120_000 + "1",
    "megabyte name": "p" * 1_000_000,
    "megabyte number": "9" * 1_000_000,
    "megabyte of NUL": "\x00" * 1_000_000,
    "1900-digit integer": "9" * 1900,
}


@pytest.mark.parametrize("text", GIANT_FORMULAS.values(), ids=GIANT_FORMULAS.keys())
def test_giant_formulas_are_refused_quickly(text: str) -> None:
    _, error = timed(lambda: parse_expression(text, NAMES))
    assert isinstance(error, ExpressionError), error
    assert len(str(error)) < 600


@pytest.mark.parametrize("text, condition", [
    ("not " * 600 + "params > 1", True),
    ("params > 1 and " * 200 + "params > 1", True),
    ("params < tokens < params < tokens" * 1, True),
])
def test_long_conditions_are_bounded(text: str, condition: bool) -> None:
    _, error = timed(lambda: parse_expression(text, NAMES, condition=condition))
    assert error is None or isinstance(error, ExpressionError)


def test_exponent_bound_is_exact() -> None:
    assert parse_expression("params ** 64", NAMES) == ("pow", ("var", "params"), ("num", 64.0))
    with pytest.raises(ExpressionError, match="beyond"):
        parse_expression("params ** (8 * 8 + 1)", NAMES)


# -- the command line -------------------------------------------------------------------------------
CLI_HOSTILE = [
    f"params=__import__('os').system('touch {MARKER}')",
    "params=().__class__.__bases__",
    "params=9**9**9",
    f"params=$(touch {MARKER})",
    "params=7\u202eB",
    "params=\u202e7B",
    "params=7\u200bB",
    "params=7\x07B",
    "params=" + "7" * 100_000,
    "params=" + "(" * 10_000 + "7" + ")" * 10_000,
    "params=1e999",
    "params=-7B",
    "gpu=" + "A" * 100_000,
    "gpu=A800\u202e",
    "gpu=__class__",
    "mfu=140%",
    "n_gpus=8.5",
    "tokens=2TB",
    "__class__=7",
    "=7B",
    "params=",
    "tokens=2T",   # given twice
]
BASE = {"params": "7B", "gpu": "A800", "n_gpus": "64", "mfu": "0.4"}


def check_refused(code: int, out: str, err: str) -> None:
    assert code == 2, (code, out[-300:], err[-300:])
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("llmplan: "), err[:500]
    assert "Traceback" not in err and len(err) < 1000, err[:500]
    assert not MARKER.exists()


def solve_args(item: str) -> list[str]:
    name = item.partition("=")[0]
    return ["solve", "train_time", "tokens=2T", *[f"{k}={v}" for k, v in BASE.items() if k != name], item]


@pytest.mark.parametrize("item", CLI_HOSTILE, ids=[repr(c[:24]) for c in CLI_HOSTILE])
def test_cli_refuses_hostile_values_with_exit_2_and_one_line(capsys: pytest.CaptureFixture[str], item: str) -> None:
    from engine.cli import (
        main,  # in-process: same code path as the console script, 50x faster
    )

    code = main(solve_args(item))
    out, err = capsys.readouterr()
    check_refused(code, out, err)


@pytest.mark.parametrize("item", [CLI_HOSTILE[0], "params=7\u202eB", "gpu=" + "A" * 100_000, "=7B"],
                         ids=["injection", "rlo", "long-key", "no-name"])
def test_cli_subprocess_refuses_hostile_values(llmplan: Callable[..., Any], item: str) -> None:
    proc = llmplan(*solve_args(item))
    check_refused(proc.returncode, proc.stdout, proc.stderr)


def test_cli_accepts_fullwidth_and_chinese_units(llmplan: Callable[..., Any]) -> None:
    proc = llmplan("solve", "n_gpus", "params=７Ｂ", "tokens=２Ｔ", "gpu=A800", "train_time=３０天", "mfu=４０％", "--json")
    assert proc.returncode == 0, proc.stderr
    values = json.loads(proc.stdout)["values"]
    assert values["params"]["value"] == 7e9
    assert values["train_flops"]["value"] == pytest.approx(6 * 7e9 * 2e12)
    raw = 6 * 7e9 * 2e12 / (312e12 * 0.4 * 30 * 86400)
    assert values["n_gpus"]["value"] == math.ceil(raw)


def test_environment_is_untouched_by_hostile_values(bundled_engine: Any) -> None:
    before = dict(os.environ)
    for case in VALUES:
        try:
            parse_number(bundled_engine.rules.variables[case["variable"]], case["text"])
        except ValueParseError:
            pass
    assert dict(os.environ) == before
