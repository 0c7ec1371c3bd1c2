"""The rule layer's errors in Chinese (issue #15): a bad config.json field, a formula with an unknown
name, a dimension mismatch and a rule file's problem list are said in Chinese by localized(exc, "zh"),
keep their English text as raised, and keep where they happened (file, file:line)."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from engine.errors import DefinitionError, DimensionMismatch, ExpressionError, HFConfigError
from engine.messages import localized
from engine.rules.dimensions import tree_dims
from engine.rules.expr import parse_expression
from engine.rules.hf_config import read_hf_config
from engine.rules.loading import load_rules

CJK = range(0x4E00, 0xA000)


def chinese(text: str) -> bool:
    return any(ord(c) in CJK for c in text)


def test_a_bad_config_json_field_is_said_in_chinese_with_its_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "llama", "num_hidden_layers": -3}), encoding="utf-8")
    with pytest.raises(HFConfigError) as info:
        read_hf_config(path)
    english, zh = str(info.value), localized(info.value, "zh")
    assert english == f"model: {path}: field num_hidden_layers must be a positive number, found -3"
    assert localized(info.value, "en") == english
    assert chinese(zh) and str(path) in zh and "num_hidden_layers" in zh and "-3" in zh
    assert "must be a positive number" not in zh


def test_a_missing_config_file_is_said_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(HFConfigError) as info:
        read_hf_config(tmp_path / "missing.json")
    zh = localized(info.value, "zh")
    assert "no such file" in str(info.value) and "no such file" not in zh
    assert chinese(zh) and "missing.json" in zh and "`llmplan catalog models`" in zh


def test_an_unknown_name_in_a_formula_is_said_in_chinese() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("6 * paramz", {"params"})
    assert str(info.value) == "unknown name 'paramz' in formula '6 * paramz'"
    zh = localized(info.value, "zh")
    assert chinese(zh) and "'paramz'" in zh and "'6 * paramz'" in zh and "unknown name" not in zh


def test_a_forbidden_construct_lists_what_is_allowed_in_the_same_language() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("a.b", {"a"})
    zh = localized(info.value, "zh")
    assert "is not allowed in formulas" in str(info.value) and chinese(zh) and "sqrt" in zh
    assert "Allowed" not in zh and "比较运算" not in zh
    with pytest.raises(ExpressionError) as info:                 # in a check's condition comparisons are allowed
        parse_expression("a.b", {"a"}, condition=True)
    assert str(info.value).endswith(', unit("..."), comparisons, and/or/not')
    assert "比较运算" in localized(info.value, "zh") and "comparisons" not in localized(info.value, "zh")


def test_a_dimension_mismatch_is_said_in_chinese() -> None:
    dims = {"tokens": (("token", 1.0),), "hours": (("second", 1.0),)}
    tree = parse_expression("tokens + hours", set(dims))
    with pytest.raises(DimensionMismatch) as info:
        tree_dims(tree, dims.__getitem__, lambda unit: ())
    english, zh = str(info.value), localized(info.value, "zh")
    assert "are added or compared" in english
    assert chinese(zh) and "tokens" in zh and "hours" in zh and "are added or compared" not in zh


def _rule_file(tmp_path: Path, eq: str) -> Path:
    path = tmp_path / "user.yaml"
    path.write_text(textwrap.dedent(f"""\
        variables:
          foo:
            unit: ""
            en: Foo
            zh: 福
        equations:
          - id: user.foo
            eq: {eq}
            source: my notes
            en: e
            zh: z
          - id: user.bar
            eq: foo = params * tokens
            source: my notes
            en: e
            zh: z
        """), encoding="utf-8")
    return path


def test_a_rule_files_problem_list_is_said_in_chinese_with_file_and_line(tmp_path: Path) -> None:
    path = _rule_file(tmp_path, "foo = 6 * paramz")
    with pytest.raises(DefinitionError) as info:
        load_rules([path])
    english, zh = str(info.value), localized(info.value, "zh")
    # English as before: the unknown name with a close spelling, the two sides' units
    assert f"{path}:8: equation 'user.foo': unknown name 'paramz'" in english
    assert "not a declared variable (did you mean 'params'?)" in english
    assert f"{path}:13: equation 'user.bar' is not dimensionally consistent" in english
    assert "2 problem(s) in rule/catalog files:" in english
    # Chinese: the same places and names, none of the English sentences
    assert f"{path}:8" in zh and f"{path}:13" in zh and "'paramz'" in zh and "'params'" in zh
    assert "tokens [token]" in zh and "foo [无量纲数]" in zh
    for sentence in ("unknown name", "not a declared variable", "did you mean", "dimensionally consistent",
                     "problem(s)", "declared units"):
        assert sentence not in zh, sentence
    assert zh.count("\n") == english.count("\n")
