"""Texts about an answered question: rounding notes, defaults the rules overrode, rule mismatches,
contradictions. engine/solve (solver.py, batch_checks.py) and engine/table/frames.py compose them."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "results.rule_mismatch": (
        ("given values differ from rule {rule} ({formula}) by {gap}, beyond its {tolerance} tolerance; the given "
         "values were used — check them"),
        "输入值与规则 {rule}（{formula}）相差 {gap}，超出其 {tolerance} 容差；已按给定值计算，请确认"),
    "results.rule_rounded": (
        ("given values agree with rule {rule} ({formula}) only to within {gap}, as figures rounded to 3 digits do; "
         "the given values were used — give them exactly if the gap matters"),
        "给定的值与规则 {rule}（{formula}）只在 {gap} 以内一致（如同取 3 位有效数字的数值）；已按给定值计算，"
        "如此差异重要，请给出精确值"),
    "results.given_unused": (
        "{names}: given but not used for this answer (no rule connects it to what was asked from the other "
        "givens; `llmplan explain {first}` shows the rules that read it and what they need)",
        "{names}：已给出但未用于本次求解（没有规则能由其他给定值把它与所求量联系起来；"
        "`llmplan explain {first}` 列出用到它的规则及其所需的值）"),
    "results.rounded": (
        "{name} = {raw} rounded {how} to {new}; values that depend on it are recomputed for the rounded count",
        "{name} = {raw}，{how}取整为 {new}；依赖它的数值按取整后的值重新计算"),
    "results.rounded_admissible": (
        ("{name} = {raw} rounded {how} to {plain}, then {new}: the {extreme} admissible value by {checks}; values "
         "that depend on it are recomputed for it"),
        "{name} = {raw} {how}取整为 {plain}，再取 {new}：按 {checks} {extreme}的可取值；依赖它的值已按它重新计算"),
    "results.whole_admissible": (
        ("{name} = {plain} is not admissible; {new} is the {extreme} admissible value by {checks}; values that "
         "depend on it are recomputed for it"),
        "{name} = {plain} 不可取；按 {checks} {extreme}的可取值为 {new}；依赖它的值已按它重新计算"),
    "results.whole_short_admissible": (
        "{plain}, then the {extreme} admissible value", "{plain}，再取{extreme}的可取值"),
    "results.rounded_short_admissible": (
        "rounded {how} to {plain}, then the {extreme} admissible value", "{how}取整为 {plain}，再取{extreme}的可取值"),
    "results.admissible.largest": ("largest", "最大"),
    "results.admissible.smallest": ("smallest", "最小"),
    "results.rounded_column": (
        "rounded: {name} rounded {how} (the exact value is in `{name} unrounded`)",
        "已取整：{name} {how}取整（原值见 `{name} unrounded` 列）"),
    "results.rounded_admissible_column": (
        ("rounded: {name} = {raw} rounded {how} to {plain}, then {new}: the {extreme} admissible value by {checks} "
         "(the exact value is in `{name} unrounded`)"),
        ("已取整：{name} = {raw} {how}取整为 {plain}，再取 {new}：按 {checks} {extreme}的可取值"
         "（原值见 `{name} unrounded` 列）")),
    "results.whole_admissible_column": (
        "rounded: {name} = {plain} is not admissible; {new} is the {extreme} admissible value by {checks}",
        "已取整：{name} = {plain} 不可取；按 {checks} {extreme}的可取值为 {new}"),
    "results.recomputed_column": ("; {names} recomputed for the rounded count", "；{names} 按取整后的数量重新计算"),
    "results.how.up": ("up", "向上"),
    "results.how.down": ("down", "向下"),
    "results.how.nearest": ("to nearest", "四舍五入"),
    "results.default_overridden": (
        ("{name} follows from the values given ({got}), not from its default ({default}, {source}); the derived "
         "value is used — check the inputs if the default was meant"),
        ("{name} 由给定值推出（{got}），而不是其默认值（{default}，{source}）；已采用推出的值——如本意是默认值，请检"
         "查输入")),
    "results.contradiction": (
        ("given values contradict each other: rule {rule} ({formula}) does not hold — {left} on one side, {right} "
         "on the other, {gap} apart (tolerance {tolerance}); values: {values}. Remove or correct one of them"),
        ("给定值相互矛盾：规则 {rule}（{formula}）不成立——一边为 {left}，另一边为 {right}，相差 {gap}（容差 "
         "{tolerance}）；涉及的值：{values}。请删除或更正其中之一")),
    "results.contradiction_cells": (" — cells: {cells}", " —— 涉及单元格：{cells}"),
    # a value of a contradiction whose cell the user left empty: named without a cell, with where it came from
    "results.cell_origin.derived": ("{item} (derived)", "{item}（推导值）"),
    "results.cell_origin.default": ("{item} (default)", "{item}（默认值）"),
    "results.cell_origin.catalog": ("{item} (from the catalog)", "{item}（来自目录）"),
    "results.cell_origin.config": ("{item} (from a config file)", "{item}（来自配置文件）"),
    "results.question_cell": (" — question: {cell}", " —— 问题所在单元格：{cell}"),
    "results.from_inputs": ("{value} (from {names})", "{value}（由 {names} 得出）"),
    "results.does_not_fit": (
        "does not fit: memory_fill = {fill} (1 = largest that fits)",
        "放不下：memory_fill = {fill}（1 表示恰好放得下的最大值）"),
}
