"""File errors the command line words itself (paths, suffixes, overwriting)."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "io.report_suffix": ("{path}: a report is .html or .md", "{path}：报告须为 .html 或 .md 文件"),
    "io.report_same_path": (
        "{path}: the report and the results need different paths",
        "{path}：报告与结果需要不同的路径"),
    "io.sweep_suffix": ("{path}: write .parquet, .csv or .xlsx", "{path}：请写成 .parquet、.csv 或 .xlsx 文件"),
    "io.template_suffix": ("{path}: a template is an .xlsx workbook", "{path}：模板须为 .xlsx 工作簿"),
    "io.exists": (
        "{path} exists; choose another name or pass --force to overwrite it",
        "{path} 已存在；请换个文件名，或加 --force 覆盖"),
    "io.no_catalog": ("no catalog {name!r}; catalogs: {names}", "没有名为 {name!r} 的目录；可用目录：{names}"),
    # engine/io/sheets.py, sheet_writing.py and results_workbook.py
    "io.no_such_file": ("{path}: no such file", "{path}：文件不存在"),
    "io.permission": ("{path}: not readable (permission denied)", "{path}：无法读取（没有权限）"),
    "io.unsupported_type": (
        "{path}: unsupported file type {suffix}; use .xlsx, .csv or .parquet",
        "{path}：不支持的文件类型 {suffix}；请使用 .xlsx、.csv 或 .parquet"),
    "io.empty_workbook": (
        "{path}: not a readable workbook: the file is empty (0 bytes)",
        "{path}：无法读取的工作簿：文件为空（0 字节）"),
    "io.not_a_workbook": ("{path}: not a readable workbook ({reason})", "{path}：无法读取的工作簿（{reason}）"),
    "io.no_sheet": (
        "{path}: no sheet named {sheet!r} (sheets: {names}); put the scenario table on a sheet named {wanted} "
        "(see `llmplan template`)",
        "{path}：没有名为 {sheet!r} 的工作表（现有：{names}）；请把场景表放在名为 {wanted} 的工作表上"
        "（见 `llmplan template`）"),
    "io.none": ("none", "无"),
    "io.no_suffix": ("(none)", "（无）"),
    "io.empty_sheet": (
        "{where} is empty: row 1 must hold variable names (see `llmplan template`)",
        "{where} 为空：第 1 行须为变量名（见 `llmplan template`）"),
    "io.would_overwrite": (
        "{path}: the output would overwrite the input file; choose another -o path (llmplan never modifies its "
        "input)",
        "{path}：输出会覆盖输入文件；请换一个 -o 路径（llmplan 从不修改输入文件）"),
    "io.no_folder": ("{path}: folder {folder} does not exist", "{path}：文件夹 {folder} 不存在"),
    "io.cannot_write": ("{path}: cannot write ({reason})", "{path}：无法写入（{reason}）"),
    "io.no_results_workbook": (
        "{path}: no such results workbook (write one with `llmplan run SCENARIOS.xlsx -o {name}`)",
        "{path}：结果工作簿不存在（可用 `llmplan run SCENARIOS.xlsx -o {name}` 生成）"),
}
