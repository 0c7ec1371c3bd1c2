"""File errors the command line words itself (paths, suffixes, overwriting)."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "io.report_suffix": ("{path}: a report is .html or .md", "{path}：报告须为 .html 或 .md 文件"),
    "io.report_same_path": ("{path}: the report and the results need different paths",
                            "{path}：报告与结果需要不同的路径"),
    "io.sweep_suffix": ("{path}: write .parquet, .csv or .xlsx", "{path}：请写成 .parquet、.csv 或 .xlsx 文件"),
    "io.template_suffix": ("{path}: a template is an .xlsx workbook", "{path}：模板须为 .xlsx 工作簿"),
    "io.exists": ("{path} exists; choose another name or pass --force to overwrite it",
                  "{path} 已存在；请换个文件名，或加 --force 覆盖"),
    "io.no_catalog": ("no catalog {name!r}; catalogs: {names}", "没有名为 {name!r} 的目录；可用目录：{names}"),
}
