"""The command line's own lines: solve's headings, run/template/report summaries, exit messages."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # `llmplan solve` headings (moved from engine/cli/commands/_common.py LABELS)
    "cli.answer": ("Answer", "答案"),
    "cli.given": ("Given", "已知"),
    "cli.assumed": ("Assumptions that shaped the answer", "影响答案的假设"),
    "cli.assumed_all": ("Assumptions (defaults)", "假设（默认值）"),
    "cli.catalog_figures": ("From the catalog", "来自目录的数值"),
    "cli.derived": ("Also derived", "其他推导值"),
    "cli.derivation": ("Derivation", "推导过程"),
    "cli.warnings": ("Warnings", "提示"),
    "cli.source": ("source", "来源"),
    "cli.catalog": ("from catalog", "来自目录"),
    "cli.first_whole": ("the fewest there can be: it already keeps the limits given",
                        "可取的最小值：它即已满足给定的限制"),
    "cli.recomputed_first": ("recomputed for that count", "按该数量重新计算"),
    "cli.recomputed": ("recomputed for the rounded count", "按取整后的数量重新计算"),
    "cli.round_up": ("up", "向上"),
    "cli.round_down": ("down", "向下"),
    "cli.round_nearest": ("to nearest", "四舍五入"),
    "cli.rounded_as": ("{raw} rounded {direction}", "由 {raw} {direction}取整"),
    "cli.rounded_then": (
        "{raw} rounded {direction} to {plain}, then {value}: the {extreme} admissible value by {checks}",
        "由 {raw} {direction}取整为 {plain}，再取 {value}：按 {checks} {extreme}的可取值"),
    "cli.whole_then": (
        "{plain}, then {value}: the {extreme} admissible value by {checks}",
        "{plain}，再取 {value}：按 {checks} {extreme}的可取值"),
    # a whole answer that follows from another whole number the solver rounded (global_batch from grad_accum)
    "cli.rounded_on_the_way": ("{name} = {value}: {how}", "{name} = {value}：{how}"),
    "cli.ignored": ("Ignored (config keys llmplan does not use)", "已忽略（llmplan 不使用的配置项）"),
    "cli.more": (
        "-v shows the catalog figures, every derived value and the derivation",
        "加 -v 显示目录数值、全部推导值与推导过程"),
    "cli.more_assumptions": (
        "(+{count} more defaults, such as {example}: -v lists every one)",
        "（另有 {count} 项默认值，如 {example}：加 -v 全部列出）"),
    "cli.does_not_fit": ("does not fit: 1 = largest that fits", "放不下：1 表示恰好放得下"),
    "cli.numeric_root": ("numeric root", "数值求根"),
    "cli.severity.info": ("info", "提示"),
    "cli.severity.warning": ("warning", "警告"),
    "cli.severity.error": ("error", "错误"),
    "cli.breakdown": ("Breakdown", "构成"),
    # `llmplan measure`
    "cli.measure_tokenizer": ("tokenizer: {tokenizer}", "分词器：{tokenizer}"),
    "cli.measure_file": ("file", "文件"),
    "cli.measure_total": ("total ({files} files)", "合计（{files} 个文件）"),
    "cli.measure_storage": (
        ("Storage for 1T tokens of text like this (edit unique_tokens, or ask for unique_tokens with "
         "corpus_bytes=...):"),
        "同类文本 1T token 的存储（可改 unique_tokens，或给定 corpus_bytes=... 反求 unique_tokens）："),
    # exits and summaries
    "cli.error": ("llmplan: {message}", "llmplan：{message}"),
    "cli.interrupted": ("llmplan: interrupted", "llmplan：已中断"),
    "cli.stopped": ("llmplan: stopped by {signal}; temporary files removed",
                    "llmplan：被 {signal} 终止；临时文件已删除"),
    "cli.file_error": (
        "llmplan: {path}: {reason} (a file or folder that cannot be read or written)",
        "llmplan：{path}：{reason}（无法读取或写入的文件或文件夹）"),
    "cli.bug": (
        ("llmplan: internal error ({kind}: {message}). This is a bug in llmplan; please report it with the command "
         "you ran (LLMPLAN_DEBUG=1 shows the traceback)."),
        ("llmplan：内部错误（{kind}：{message}）。这是 llmplan 的缺陷，请连同所运行的命令一起报告（设置 "
         "LLMPLAN_DEBUG=1 可显示调用栈）。")),
    "cli.wrote": ("llmplan: wrote {path}", "llmplan：已写入 {path}"),
    "cli.template_written": (
        "llmplan: wrote {path}; fill it in, then: llmplan run {path} -o results.xlsx",
        "llmplan：已写入 {path}；填写后运行：llmplan run {path} -o results.xlsx"),
    "cli.run_summary": (
        "llmplan: {rows} rows: {answered} answered, {errors} with errors{extra} -> {target}",
        "llmplan：共 {rows} 行：{answered} 行已解答，{errors} 行出错{extra} -> {target}"),
    "cli.run_blank": (", {blank} blank", "，{blank} 行为空"),
    "cli.run_more_errors": (
        "  ... and {count} more (see the `error` column)",
        "  ……另有 {count} 行（见 `error` 列）"),
    "cli.note": ("llmplan: note: {note}", "llmplan：注意：{note}"),
    "cli.no_report": (
        ("llmplan: reports are not available in this installation (engine.report is missing); the results were "
         "written, {path} was not"),
        "llmplan：此安装不含报告功能（缺少 engine.report）；结果已写入，{path} 未写入"),
    "cli.sweep_summary": (
        "llmplan: {rows} rows ({errors} with errors) -> {target}",
        "llmplan：共 {rows} 行（{errors} 行出错）-> {target}"),
    "cli.sweep_dropped": (
        "llmplan: note: columns only some chunks produced were left out: {names}",
        "llmplan：注意：只有部分分块产生的列已略去：{names}"),
    "cli.rules_ok": (
        ("ok: {variables} variables, {equations} equations, {checks} checks, {tables} tables ({count} file(s) "
         "checked: {files})"),
        ("通过：{variables} 个变量，{equations} 个方程，{checks} 个检查，{tables} 个表（已检查 {count} "
         "个文件：{files}）")),
    "cli.rules_count": (
        "{equations} rules, {variables} variables, {checks} checks. `llmplan explain NAME` for details.",
        "共 {equations} 条规则、{variables} 个变量、{checks} 个检查。详情见 `llmplan explain 名称`。"),
    "cli.catalog_entries": ("{count} entries", "{count} 个条目"),
    "cli.catalog_wide": ("{hidden} more columns: --wide shows them", "另有 {hidden} 列：加 --wide 显示"),
    # errors the CLI words itself from an exception's fields
    "cli.underdetermined": (
        "to solve {target} also give one of: {names}",
        "要求解 {target}，还需给出以下之一：{names}"),
}
