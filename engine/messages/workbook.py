"""Workbook texts: the results workbook's legend and rules sheets, the template's notes, help and
worked examples."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # results workbook: legend sheet
    "workbook.legend": ("Legend", "图例"),
    "workbook.status.solved": ("asked for in `solve` and solved", "在 `solve` 中要求并已求解"),
    "workbook.status.derived": (
        "derived from the row's values on the way (or alongside)",
        "由本行数值在求解途中（或顺带）推出"),
    "workbook.status.recomputed": (
        "a budget recomputed after an integer answer was rounded",
        "整数答案取整后重新计算的预算"),
    "workbook.status.catalog": (
        "filled from a catalog entry the row names (gpu, model, ...)",
        "来自本行所选目录条目（gpu、model 等）"),
    "workbook.status.default": (
        "a default the rules assume where nothing else determines it",
        "无其他值可确定时规则采用的默认值"),
    "workbook.status.error": (
        "the row could not be answered; the `error` column says why (cells are named sheet!cell)",
        "本行无法解答；原因见 `error` 列（单元格以 工作表!单元格 标出）"),
    "workbook.status.as_read": ("a value as read from the input", "按输入原样读取的值"),
    "workbook.no_fill": ("(no fill)", "（无底色）"),
    "workbook.columns": ("Columns", "列"),
    "workbook.columns.inputs": (
        "Input columns keep their header and every value as read; empty variable cells are filled.",
        "输入列保留原表头和读到的每个值；空的变量单元格会被填上。"),
    "workbook.columns.added": (
        "Columns added by llmplan have a green header: `name [unit]`, values in that unit.",
        "llmplan 新增的列表头为绿色：`名称 [单位]`，数值以该单位表示。"),
    "workbook.columns.shown": (
        "`name (shown)`: the same value in the unit a person would pick (11.7 h, 1.2 TB).",
        "`名称 (shown)`：同一数值换成便于阅读的单位（11.7 h、1.2 TB）。"),
    "workbook.columns.recomputed": (
        "`name recomputed [unit]`: a budget you gave (e.g. train_time), recomputed for a rounded count.",
        "`名称 recomputed [单位]`：你给定的预算（如 train_time）按取整后的数量重新计算。"),
    "workbook.columns.notes": (
        "assumptions: defaults used for the row; warnings: advisories and roundings; error: why a row has no answer.",
        "assumptions：本行采用的默认值；warnings：提示与取整说明；error：本行无解的原因。"),
    "workbook.columns.sheets": (
        ("The `inputs` sheet is an exact copy of the scenarios you gave; the `rules` sheet lists the rules and "
         "defaults used."),
        "`inputs` 工作表是输入场景的原样副本；`rules` 工作表列出所用规则和默认值。"),
    "workbook.rows": ("Rows", "行"),
    "workbook.rows.rows": ("rows", "行数"),
    "workbook.rows.answered": ("answered", "已解答"),
    "workbook.rows.errors": ("errors", "出错"),
    "workbook.rows.blank": ("blank", "空行"),
    "workbook.notes": ("Notes", "注意"),
    # results workbook: rules sheet
    "workbook.rules_used": ("Rules used", "所用规则"),
    "workbook.meta.version": ("llmplan version", "llmplan 版本"),
    "workbook.meta.digest": ("rules digest", "规则摘要"),
    "workbook.meta.input": ("input", "输入文件"),
    "workbook.meta.files": ("rule files", "规则文件"),
    "workbook.equations": ("Equations", "方程"),
    "workbook.advisories": ("Advisories that fired", "触发的提示"),
    "workbook.defaults": ("Defaults and assumptions", "默认值与假设"),
    "workbook.header.id": ("id", "编号"),
    "workbook.header.equation": ("equation", "方程"),
    "workbook.header.source": ("source", "出处"),
    "workbook.header.rows": ("rows", "行数"),
    "workbook.header.condition": ("condition", "条件"),
    "workbook.header.message": ("message / source", "提示 / 出处"),
    "workbook.header.name": ("name", "名称"),
    "workbook.header.value": ("value", "取值"),
    "workbook.none": ("(none)", "（无）"),
    # template: header notes
    "template.note.name": ("A label for the row (kept as is).", "行名称（原样保留）。"),
    "template.note.solve": (
        ("What this row asks for: one or more variable names, e.g. n_gpus or train_time, train_cost. Leave empty to "
         "derive what follows from the values."),
        "本行求解的变量，可多个，用逗号分隔，例如 n_gpus 或 train_time, train_cost。留空则推出由已填数值可得的量。"),
    "template.note.free": ("Free text, kept as is.", "备注，原样保留。"),
    "template.note.pick": (
        "Pick from the list ({count} values{sheet}).",
        "从列表中选择（共 {count} 个取值{sheet}）。"),
    "template.note.pick_sheet": ("; details on sheet catalog_{name}", "；详见工作表 catalog_{name}"),
    "template.note.units": (
        "Plain numbers are in {unit}; a cell may carry its own unit.",
        "纯数字按 {unit} 计；单元格也可自带单位。"),
    "template.note.plain_units": ("plain units", "无单位"),
    "template.note.default": ("Default: {value} ({source})", "默认：{value}（{source}）"),
    "template.note.typical": ("Typical: {low}–{high}", "常见范围：{low}–{high}"),
    "template.note.memory_fill": (
        "1 = the largest value that fits in GPU memory; below 1 leaves headroom, above 1 does not fit.",
        "1 表示恰好放得下显存的最大值；小于 1 留有余量，大于 1 放不下。"),
    "template.not_in_list": (
        "Not in the {name} list; aliases are accepted, anything else is an error when you run it.",
        "不在 {name} 列表中；别名可用，其他值运行时会报错。"),
    "template.several_targets": ("Several targets: separate them with commas.", "多个目标用逗号分隔。"),
    "template.solve_input": ("What this row asks for", "本行求解的变量"),
    # template: help sheet
    "template.help.title": ("How to use this workbook", "如何使用"),
    "template.help.rows": (
        "One row = one question. Fill what you know; leave unknown cells empty.",
        "每一行是一个问题：填写已知量，未知量留空。"),
    "template.help.solve": (
        "`solve` names what the row asks for (several names: separate with commas).",
        "`solve` 列写要求解的变量（多个用逗号分隔）。"),
    "template.help.units": (
        ("Units: the header's unit applies to plain numbers (train_time [day] → 30 = 30 days); a cell may carry its "
         "own: 7B, 2T, 30d, 80GB, 312 TFLOPS, 40%."),
        ("单位：表头单位用于纯数字（train_time [day] → 30 即 30 "
         "天）；单元格也可自带单位或后缀：7B、2T、30d、80GB、312 TFLOPS、40%。")),
    "template.help.keys": (
        "gpu, model, tokenizer ... : pick from the drop-down (sheets catalog_*); aliases also work.",
        "gpu、model、tokenizer 等：从下拉列表选择（见 catalog_* 工作表），别名也可。"),
    "template.help.fit": (
        ("Fit questions: solve micro_batch (or n_gpus, tp ...) with memory_fill = 1 for the largest that fits; "
         "memory_fill above 1 means it does not fit."),
        ("显存问题：memory_fill = 1 时求解 micro_batch（或 n_gpus、tp 等）即得放得下的最大值；memory_fill 大于 1 "
         "表示放不下。")),
    "template.help.other": (
        "Other columns (name, notes, ...) are kept as they are.",
        "其他列（name、notes 等）原样保留。"),
    "template.help.run": (
        "Run: llmplan run SCENARIOS.xlsx -o RESULTS.xlsx [--report report.html]",
        "运行：llmplan run SCENARIOS.xlsx -o RESULTS.xlsx [--report report.html]"),
    "template.help.results": (
        ("Results: answers filled in colour, derived values as new columns, plus warnings and error per row; the "
         "input file is never changed."),
        "结果：答案以颜色标出，推导值作为新列，另有每行的 warnings 与 error；输入文件不会被修改。"),
    # template: worked examples (name, note)
    "template.example.flops": ("7B on 2T tokens: FLOPs", "7B 模型训练 2T token：计算量"),
    "template.example.flops.note": ("forward: 6·N·D (recompute none)", "正向：训练计算量 6·N·D（不重算）"),
    "template.example.time": ("7B/2T on 256 A800 at 40% MFU", "7B/2T 在 256 张 A800 上、MFU 40%"),
    "template.example.time.note": ("forward: how long", "正向：需要多久"),
    "template.example.gpus": ("GPUs to finish in 30 days", "30 天内完成需要的 GPU 数"),
    "template.example.gpus.note": ("inverse: n_gpus for a deadline, rounded up", "反向：按期限求 GPU 数，向上取整"),
    "template.example.tokens": ("Tokens for 10,000 H100 GPU-days", "10,000 H100 GPU·天能训练的 token 数"),
    "template.example.tokens.note": ("inverse: data a GPU-day budget buys", "反向：算力预算能训练多少 token"),
    "template.example.mfu": ("MFU from 250k GPU-hours", "由 25 万 GPU 小时推算 MFU"),
    "template.example.mfu.note": ("inverse: utilization a finished run achieved", "反向：由实际 GPU 小时推算利用率"),
    "template.example.cost": ("Cost at $2 per GPU-hour", "每 GPU 小时 2 美元的成本"),
    "template.example.cost.note": ("forward: money", "正向：训练成本（美元）"),
    "template.example.chinchilla": ("Chinchilla-optimal tokens for 7B", "7B 模型的 Chinchilla 最优 token 数"),
    "template.example.chinchilla.note": ("scaling: about 20 tokens per parameter", "缩放：每参数约 20 token"),
    "template.example.memory": ("Model-state memory, llama2-7b", "llama2-7b 的模型状态显存"),
    "template.example.memory.note": ("memory: weights + grads + optimizer states", "显存：权重 + 梯度 + 优化器状态"),
    "template.example.fit": (
        "Largest micro-batch that fits, llama2-7b, ZeRO-3 on 8 A800",
        "llama2-7b 在 8 张 A800 上（ZeRO-3）放得下的最大 micro-batch"),
    "template.example.fit.note": (
        "fit: memory_fill = 1 is the largest that fits",
        "显存：memory_fill = 1 即放得下的最大值"),
    "template.example.storage": ("Disk for 1T tokens of Chinese text", "1T token 中文语料的磁盘占用"),
    "template.example.storage.note": ("storage: tokens -> characters -> bytes", "存储：token -> 字符 -> 字节"),
    "template.example.lora": (
        "LoRA r=16 of qwen2.5-7b on one RTX 4090", "qwen2.5-7b 的 LoRA（r=16）在一张 RTX 4090 上"),
    "template.example.lora.note": (
        "fine-tuning: method=lora trains adapters on a frozen bf16 base; memory_fill <= 1 fits",
        "微调：method=lora 在冻结的 bf16 基座上训练适配器；memory_fill <= 1 即放得下"),
    "template.example.sft_steps": (
        "Steps and time of 3 epochs of 50k SFT examples on 8 A800",
        "5 万条 SFT 样本、3 个 epoch 在 8 张 A800 上的步数与时间"),
    "template.example.sft_steps.note": (
        "fine-tuning: packing=off counts one sequence per example, as LLaMA-Factory, axolotl and TRL do by default",
        "微调：packing=off 每条样本一个序列，与 LLaMA-Factory、axolotl、TRL 的默认一致"),
}
