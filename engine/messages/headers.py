"""Texts about a scenario table's header row and cells (engine/table)."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "table.second_column": (
        "{where}: a second {role!r} column (first: {first}); keep one",
        "{where}：出现第二个 {role!r} 列（第一个在 {first}）；请只保留一个"),
    "table.output_replaced": (
        "{where}: column {header!r} from an earlier run is replaced by this run's {key}",
        "{where}：上次运行留下的列 {header!r} 将被本次的 {key} 替换"),
    "table.unknown_column": (
        "{where}: column {header!r} is not a variable llmplan knows{hint}; passed through unchanged",
        "{where}：列 {header!r} 不是 llmplan 认识的变量{hint}；原样保留"),
    "table.column_hint": (" (did you mean {names}?)", "（是否想写 {names}？）"),
    "table.two_columns": (
        "{where}: {name} is given by two columns ({first!r} at {first_cell} and {header!r}); keep one",
        "{where}：{name} 由两列给出（{first_cell} 的 {first!r} 和 {header!r}）；请只保留一个"),
    "table.key_unit_ignored": (
        "{where}: {name} is a catalog key or convention; unit [{unit}] ignored",
        "{where}：{name} 是目录键或约定；单位 [{unit}] 被忽略"),
    "table.more_unknown": (
        "{where}: {count:,} more columns are not variables llmplan knows; passed through unchanged",
        "{where}：另有 {count:,} 列不是 llmplan 认识的变量；原样保留"),
    "table.header_unit": ("{where}: header unit [{unit}]: {problem}", "{where}：表头单位 [{unit}]：{problem}"),
    "table.stray_more": (
        "{first} (and {more} more cells in pass-through columns)", "{first}（原样保留的列中另有 {more} 个单元格）"),
    "table.no_solve_column": (
        "no `solve` column: each row derives what follows from its values",
        "没有 `solve` 列：每行由其取值推导出能推出的量"),
}
MESSAGES.update({
    "table.expected_number": (
        "{name}: expected a number, got {kind} ({value})", "{name}：应为数字，实际为 {kind}（{value}）"),
    "table.a_boolean": ("TRUE/FALSE", "布尔值 TRUE/FALSE"),
    "table.a_kind_value": ("a {kind} value", "{kind} 类型的值"),
})
MESSAGES.update({
    "table.out_of_range": ("{name}: value out of range", "{name}：取值超出范围"),
    "table.asked_and_given": (
        "{name} is asked for in `solve` and also given; clear the cell or remove {name} from solve",
        "{name} 既在 `solve` 中被求解又被给定；请清空该单元格，或从 solve 中去掉 {name}"),
})
