"""Texts about rule files' formulas and units (engine/rules/expr.py, dimensions.py, units.py).

Rule-file authors (--rules) read them inside the loader's "file:line: text" problem lists."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "rules.not_a_formula": (
        "not a formula: {text} ({reason}, column {column})",
        "不是合法的公式：{text}（{reason}，第 {column} 列）"),
    "rules.malformed": (
        "formula too deeply nested or malformed: {text!r}...",
        "公式嵌套过深或格式错误：{text!r}..."),
    "rules.too_many_parts": (
        "formula has {count} parts, more than the {limit} allowed",
        "公式有 {count} 个节点，超过上限 {limit}"),
    "rules.equation_one_equals": (
        "an equation needs exactly one '=' (found {count}): {text!r}",
        "等式必须恰好含一个 '='（实际 {count} 个）：{text!r}"),
    "rules.equation_two_sides": (
        "an equation needs a left and a right side: {text!r}",
        "等式必须有左右两边：{text!r}"),
    "rules.not_text": (
        "a formula must be text, got {found}",
        "公式必须是文本，实际为 {found}"),
    "rules.too_long": (
        "formula is {length} characters long; at most {limit} are accepted",
        "公式长 {length} 个字符；最多接受 {limit} 个"),
    "rules.empty": ("empty formula", "公式为空"),
    "rules.control_characters": (
        "formula contains control or direction characters (U+{code}); write it in plain ASCII",
        "公式含控制字符或文字方向字符（U+{code}）；请只用纯 ASCII 书写"),
    "rules.comment": (
        "formula contains '#': comments would hide the rest of it ({text}); put remarks in `notes:`",
        "公式含 '#'：注释会把后面的内容藏起来（{text}）；备注请写在 `notes:` 中"),
    "rules.non_ascii": (
        "formula contains the non-ASCII character {char!r} (U+{code}); write formulas in plain ASCII",
        "公式含非 ASCII 字符 {char!r}（U+{code}）；公式请只用纯 ASCII 书写"),
    "rules.not_allowed": (
        "{what} is not allowed in formulas: {text!r}. Allowed: numbers, declared names, + - * / **, "
        "parentheses, {functions}, unit(\"...\"){conditions}",
        "公式中不允许 {what}：{text!r}。允许：数字、已声明的名称、+ - * / **、括号、{functions}、"
        "unit(\"...\"){conditions}"),
    "rules.allowed_conditions": (", comparisons, and/or/not", "、比较运算、and/or/not"),
    "rules.too_deep": (
        "formula nested deeper than {limit} levels: {text!r}",
        "公式嵌套超过 {limit} 层：{text!r}"),
    "rules.number_too_large": (
        "number too large in formula: {text!r}",
        "公式中的数字过大：{text!r}"),
    "rules.number_out_of_range": (
        "number out of range in formula: {text!r}",
        "公式中的数字超出范围：{text!r}"),
    "rules.unknown_name": (
        "unknown name {name!r} in formula {text!r}",
        "公式 {text!r} 中有未知名称 {name!r}"),
    "rules.arity": (
        "{name}() takes {arity} argument(s), got {count}: {text!r}",
        "{name}() 的参数个数应为 {arity}，实际为 {count}：{text!r}"),
    "rules.two_or_more": ("two or more", "两个或以上"),
    "rules.unit_literal": (
        "unit() takes one quoted unit, e.g. unit(\"token\"): {text!r}",
        "unit() 只接受一个带引号的单位，例如 unit(\"token\")：{text!r}"),
    "rules.unit_problem": ("unit({unit!r}): {problem}", "unit({unit!r})：{problem}"),
    "rules.exponent_too_large": (
        "constant exponent {value} is beyond ±{limit}: {text!r}",
        "常数指数 {value} 超出 ±{limit}：{text!r}"),
    "rules.constant_not_computable": (
        "constant part of the formula cannot be computed: {text!r}",
        "公式的常数部分无法计算：{text!r}"),
    "rules.exponent_kind": (
        "exponent must be a number or use declared names: {text!r}",
        "指数必须是数字或由已声明的名称构成：{text!r}"),
}

MESSAGES.update({
    "rules.dimensioned_exponent": (
        "exponent {exponent} has dimension {dims}",
        "指数 {exponent} 带有量纲 {dims}"),
    "rules.variable_power": (
        "{base} ({dims}) is raised to a variable power; divide it by its unit first, "
        "e.g. (tokens / unit(\"token\"))**beta",
        "{base}（{dims}）的幂次是变量；请先除以它的单位，例如 (tokens / unit(\"token\"))**beta"),
    "rules.added_or_compared": (
        "{first} ({first_dims}) and {other} ({other_dims}) are added or compared",
        "{first}（{first_dims}）与 {other}（{other_dims}）量纲不同，却被相加或比较"),
    "rules.dimensioned_argument": (
        "{name}() of {argument}, which has dimension {dims}",
        "{name}() 的参数 {argument} 带有量纲 {dims}"),
    "rules.unknown_node": ("unknown node {kind}", "未知的表达式节点 {kind}"),
    "rules.unknown_unit": ("{unit!r} is not a unit llmplan knows", "{unit!r} 不是 llmplan 认识的单位"),
    "rules.unknown_unit_defined": (
        "{unit!r} is not a unit llmplan knows (units are defined in formulas/units.txt)",
        "{unit!r} 不是 llmplan 认识的单位（单位定义在 formulas/units.txt 中）"),
})

# The rule loader's problem lists (engine/rules/equation_reader.py), shown as DefinitionError.
MESSAGES.update({
    "rules.problems_head": ("{count} problem(s) in rule/catalog files:", "规则/目录文件中有 {count} 处问题："),
    "rules.in_equation": ("{where}: equation {id!r}: {problem}", "{where}：方程 {id!r}：{problem}"),
    "rules.in_check": ("{where}: check {id!r}: {problem}", "{where}：检查项 {id!r}：{problem}"),
    "rules.categorical_in_formula": (
        "{name!r} is categorical; formulas use the numbers its table provides (or select an equation with "
        "`variant`)",
        "{name!r} 是类别型变量；公式只能使用其表格给出的数值（或用 `variant` 选择方程）"),
    "rules.undeclared_name": ("{problem}: not a declared variable{hint}", "{problem}：不是已声明的变量{hint}"),
    "rules.did_you_mean": (" (did you mean {name!r}?)", "（是否想写 {name!r}？）"),
    "rules.not_consistent": (
        "{where}: equation {id!r} is not dimensionally consistent: {problem}{units}",
        "{where}：方程 {id!r} 量纲不一致：{problem}{units}"),
    "rules.sides_differ": (
        "{where}: equation {id!r} is not dimensionally consistent: left side is {left}, right side is "
        "{right}{units}",
        "{where}：方程 {id!r} 量纲不一致：左边是 {left}，右边是 {right}{units}"),
    "rules.declared_units": (
        "; declared units: {units}. Make both sides the same dimension (a unit(\"...\") literal converts a count)",
        "；已声明的单位：{units}。请让两边量纲相同（用 unit(\"...\") 字面量可换算计数）"),
    "rules.plain_number": ("plain number", "无量纲数"),
})
