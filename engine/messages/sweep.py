"""Errors of `llmplan sweep`: the targets, the axes and their ranges (engine/table/sweep.py)."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "sweep.no_target": (
        "name at least one variable to solve, e.g. `llmplan sweep train_time params=7B ...`",
        "请至少指定一个要求解的变量，例如 `llmplan sweep train_time params=7B ...`"),
    "sweep.swept_and_asked": (
        "{name} is both swept and asked for; drop one of them", "{name} 既被扫描又被求解；请去掉其中之一"),
    "sweep.too_many_rows": (
        "the grid has {rows:,} rows; llmplan sweeps at most {limit:,}",
        "网格有 {rows:,} 行；llmplan 最多扫描 {limit:,} 行"),
    "sweep.no_values": ("{name}: give at least one value", "{name}：请至少给出一个取值"),
    "sweep.empty_item": (
        "{name}={spec}: a value between two commas is empty; separate the values by single commas (1,2,4)",
        "{name}={spec}：两个逗号之间的值为空；请用单个逗号分隔取值（1,2,4）"),
    "sweep.bad_bound": ("{spec!r}: {problem}", "{spec!r}：{problem}"),
    "sweep.range_syntax": (
        "{name}: {spec!r}: write a range with a step, LOW..HIGH*FACTOR (e.g. 8..1024*2) or LOW..HIGH+STEP "
        "(e.g. 0.3..0.55+0.05)",
        "{name}：{spec!r}：范围须带步长，写成 下限..上限*倍数（例如 8..1024*2）或 下限..上限+步长（例如 "
        "0.3..0.55+0.05）"),
    "sweep.range_backwards": (
        "{name}: {spec!r}: the range ends below where it starts", "{name}：{spec!r}：范围的终点小于起点"),
    "sweep.factor_not_number": (
        "{name}: {spec!r}: the factor after * must be a plain number", "{name}：{spec!r}：* 后的倍数必须是纯数字"),
    "sweep.factor_too_small": (
        "{name}: {spec!r}: the factor after * must be greater than 1", "{name}：{spec!r}：* 后的倍数必须大于 1"),
    "sweep.step_not_positive": (
        "{name}: {spec!r}: the step must be greater than 0", "{name}：{spec!r}：步长必须大于 0"),
    "sweep.too_many_values": (
        "{name}: {spec!r} has {count:,} values; use a coarser step",
        "{name}：{spec!r} 有 {count:,} 个取值；请用更大的步长"),
}
