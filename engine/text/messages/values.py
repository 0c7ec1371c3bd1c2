"""Texts about the values a person types: unknown names and keys, suggestions, units.

engine/solve/solver.py (variable names, targets) and engine/text/values.py (values) raise with them."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "values.unknown_variable": ("unknown variable {name!r}{hint}", "未知变量 {name!r}{hint}"),
    "values.did_you_mean_variable": ("; did you mean {names}?", "；是否想写 {names}？"),
    "values.see_rules": ("; see `llmplan rules`", "；见 `llmplan rules`"),
    "values.categorical_target": (
        "{name} is a catalog key or convention; it is given, not solved (values: {values})",
        "{name} 是目录键或约定，只能给定、不能求解（可选值：{values}）"),
    "values.given_and_asked": (
        "{name} is both given and asked for; drop one of them",
        "{name} 既被给定又被求解；请去掉其中之一"),
    "values.no_target": ("name at least one variable to solve", "请至少指定一个要求解的变量"),
    "values.unknown_value": (
        "{name}: unknown value {value!r}.{hint} Known: {known} (see `llmplan catalog`)",
        "{name}：未知取值 {value!r}。{hint}可选值：{known}（见 `llmplan catalog`）"),
    "values.did_you_mean": (" Did you mean: {names}?", "是否想写：{names}？"),
    "values.not_a_number": (
        "{name}: {value!r} is not a number; expected e.g. {example}",
        "{name}：{value!r} 不是数字；应为例如 {example}"),
    "values.unknown_unit": (
        "{name}: unknown unit {unit!r} in {value!r}; expected {expects}",
        "{name}：{value!r} 中的单位 {unit!r} 无法识别；应为{expects}"),
    "values.wrong_dimension": (
        "{name}: {value!r} is {dims}, but {name} expects {expects}",
        "{name}：{value!r} 的量纲是 {dims}，但 {name} 需要{expects}"),
    "values.write_name_value": (
        "{item!r}: write NAME=VALUE, e.g. params=7B",
        "{item!r}：请写成 名称=值，例如 params=7B"),
    "values.given_twice": (
        "{name} is given twice ({first!r} and {second!r})",
        "{name} 被给定了两次（{first!r} 与 {second!r}）"),
    "values.expects_plain": ("a plain number (e.g. 7B, 0.4, 40%)", "纯数字（例如 7B、0.4、40%）"),
    "values.expects_unit": ("a value in {unit} or another {dims} unit (e.g. {example})",
                            "以 {unit} 或其他 {dims} 单位表示的值（例如 {example}）"),
}
