"""`llmplan explain NAME` texts (engine/solve/explain.py composes them; its switch to these keys is
listed for the planner side)."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "explain.nothing": ("nothing called {name!r}{hint}", "没有名为 {name!r} 的变量、规则或约定{hint}"),
    "explain.did_you_mean": ("; did you mean {names}?", "；是否想写 {names}？"),
    "explain.unit": (
        "unit: {unit}   domain: {domain}   declared at {where}",
        "单位：{unit}   取值域：{domain}   定义于 {where}"),
    "explain.plain_number": ("(plain number)", "（纯数字）"),
    "explain.values": ("values: {values}", "可选值：{values}"),
    "explain.default": ("default: {value}   (source: {source})", "默认：{value}   （来源：{source}）"),
    "explain.typical": (
        "typical: {low} – {high}   (source: {source})",
        "常见范围：{low} – {high}   （来源：{source}）"),
    "explain.role": (
        "role: {role} (recomputed when an integer answer is rounded)",
        "角色：{role}（整数答案取整后重新计算）"),
    "explain.rules": ("rules:", "规则："),
    "explain.set_by": (
        "set by {key}=<key> (see `llmplan catalog {key}`)",
        "由 {key}=<键> 设定（见 `llmplan catalog {key}`）"),
    "explain.checks": ("checks:", "检查："),
    "explain.when": ("when", "条件"),
    "explain.variants": (
        "Variants of {selector} (default: {default}):",
        "{selector} 的可选口径（默认：{default}）："),
    "explain.rule": ("rule", "规则"),
    "explain.sets": ("sets {figures}", "设定 {figures}"),
    "explain.no_figures": ("(no figures)", "（无数值）"),
    "explain.source": ("source: {source}", "来源：{source}"),
    "explain.defined_at": ("defined at {where}", "定义于 {where}"),
    "explain.notes": ("notes: {notes}", "说明：{notes}"),
    "explain.applies_when": ("applies when {conditions}", "适用条件：{conditions}"),
    "explain.approximate": (
        "approximate: given values may differ by up to {tolerance}",
        "近似关系：给定值之间最多可相差 {tolerance}"),
}
