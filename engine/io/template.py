"""`llmplan template`: a scenario workbook a planner can fill without reading the docs.

    scenarios   header `name | solve | gpu | model | ... | params | tokens | train_time [day] | ...`
                (variable names + units), frozen, a note on every header cell (English and
                Chinese), drop-down lists for catalog keys and conventions, worked examples
                (forward and inverse questions)
    help        how to fill it in, in English and Chinese
    variables   every variable: unit, meaning, domain, default and its source
    catalog_*   one sheet per catalog / convention table (GPUs, models, tokenizers ...)
    lists       the drop-down values (hidden; Excel limits inline lists to 255 characters)

Only variables that exist in the loaded rules appear, so `--rules` extensions and new rule files
show up by themselves. Written with xlsxwriter.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..messages import text
from ..rules.conditional_defaults import said_defaults
from ..table.cells import column_letter
from .sheets import atomic_write

if TYPE_CHECKING:
    from ..rules.model import Variable
    from ..solve.solver import Engine

KEYS = ("gpu", "model", "method", "lora_targets", "recompute", "precision", "optimizer", "zero_stage", "offload",
        "packing", "tokenizer", "encoding")
NUMBERS = ("params", "tokens", "train_flops", "n_gpus", "mfu", "train_time", "gpu_hours", "gpu_days",
           "price_per_gpu_hour", "train_cost", "tp", "pp", "dp", "micro_batch", "grad_accum", "seq_len", "lora_rank",
           "train_memory", "memory_per_gpu", "memory_fill", "samples", "tokens_per_sample", "steps",
           "tokens_per_param", "unique_tokens", "epochs", "corpus_bytes", "chars_per_token")
FIT = "memory_fill"   # 1 = the largest micro_batch (smallest tp ...) that fits; the column's note says so
VALIDATED_ROWS = 5000

# worked examples: (message key of name and note, solve, values); rows naming a variable the rules lack
# are left out. Names and notes are in engine/messages/workbook.py (template.example.*).
EXAMPLES: list[tuple[str, str, dict[str, Any]]] = [
    ("flops", "train_flops", {"params": "7B", "tokens": "2T"}),
    ("time", "train_time", {"gpu": "A800", "params": "7B", "tokens": "2T", "n_gpus": 256, "mfu": 0.4}),
    ("gpus", "n_gpus",
     {"gpu": "A800", "recompute": "full", "params": "7B", "tokens": "2T", "mfu": 0.4, "train_time": 30}),
    ("tokens", "tokens", {"gpu": "H100-SXM", "params": "7B", "gpu_days": 10000, "mfu": 0.4}),
    ("mfu", "mfu", {"gpu": "A800", "params": "7B", "tokens": "2T", "gpu_hours": 250000}),
    ("cost", "train_cost",
     {"gpu": "A800", "params": "13B", "tokens": "1T", "n_gpus": 512, "mfu": 0.45, "price_per_gpu_hour": 2}),
    ("chinchilla", "tokens", {"params": "7B", "tokens_per_param": 20}),
    ("memory", "train_memory", {"model": "llama2-7b", "precision": "mixed-bf16", "optimizer": "adam"}),
    ("fit", "micro_batch", {"model": "llama2-7b", "gpu": "A800", "precision": "mixed-bf16", "zero_stage": 3,
                            "recompute": "full", "n_gpus": 8, "seq_len": 4096, "memory_fill": 1}),
    ("storage", "corpus_bytes", {"unique_tokens": "1T", "tokenizer": "baichuan-7b", "encoding": "utf-8-zh"}),
    # fine-tuning: a LoRA fit on a consumer card, and the steps and time of an SFT as the trainers count them
    ("lora", "memory_per_gpu, memory_fill",
     {"model": "qwen2.5-7b", "method": "lora", "lora_targets": "all-linear", "lora_rank": 16, "gpu": "RTX-4090",
      "n_gpus": 1, "seq_len": 2048, "micro_batch": 1, "recompute": "full"}),
    ("sft_steps", "steps, train_time",
     {"model": "qwen2.5-7b", "method": "lora", "gpu": "A800", "n_gpus": 8, "seq_len": 2048, "micro_batch": 2,
      "grad_accum": 4, "samples": "50k", "tokens_per_sample": 600, "epochs": 3, "packing": "off", "mfu": 0.3,
      "recompute": "full"}),
]

HELP = ("title", "rows", "solve", "units", "keys", "fit", "other", "run", "results")   # template.help.* keys


def write_template(engine: "Engine", path: Path | str, lang: str = "en") -> Path:
    """Write the template workbook atomically; returns the path. lang: the language of the worked
    examples' names and notes (header notes and help carry both languages)."""
    path = Path(path)
    atomic_write(path, lambda temp: _build(engine, temp, lang))
    return path


def both(key: str, **fields: Any) -> str:
    """A text in English, then Chinese, on two lines (notes a bilingual team reads)."""
    return f"{text(key, 'en', **fields)}\n{text(key, 'zh', **fields)}"


def template_columns(engine: "Engine") -> list[tuple[str, str]]:
    """(variable, header) for each variable column of the template, in order."""
    variables = engine.rules.variables
    out = []
    for name in KEYS:
        if name in variables and variables[name].categorical:
            out.append((name, name))
    for name in NUMBERS:
        if name in variables and not variables[name].categorical:
            unit = variables[name].unit
            out.append((name, f"{name} [{unit}]" if unit else name))
    return out


def _build(engine: "Engine", path: Path, lang: str = "en") -> None:
    import xlsxwriter

    rules = engine.rules
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    styles = {
        "key": book.add_format({"bold": True, "bg_color": "#FCE4D6", "bottom": 1, "text_wrap": True, "valign": "top"}),
        "number": book.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "text_wrap": True,
                                   "valign": "top"}),
        "plain": book.add_format({"bold": True, "bg_color": "#D9D9D9", "bottom": 1, "text_wrap": True,
                                  "valign": "top"}),
        "title": book.add_format({"bold": True, "font_size": 13}),
        "bold": book.add_format({"bold": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
    }
    scenarios = book.add_worksheet("scenarios")
    help_sheet = book.add_worksheet("help")
    variables_sheet = book.add_worksheet("variables")
    catalogs = {name: book.add_worksheet(f"catalog_{name}"[:31]) for name in rules.tables}
    lists = book.add_worksheet("lists")
    columns = template_columns(engine)
    list_ranges = _lists(engine, lists, [n for n, _ in columns if rules.variables[n].categorical])
    _scenarios(engine, scenarios, columns, list_ranges, styles, lang)
    _help(help_sheet, styles)
    _variables(engine, variables_sheet, styles)
    for name, sheet in catalogs.items():
        _catalog(engine, name, sheet, styles)
    lists.hide()
    scenarios.activate()
    book.close()


def _scenarios(engine: "Engine", ws: Any, columns: list[tuple[str, str]], list_ranges: dict[str, str],
               styles: dict[str, Any], lang: str = "en") -> None:
    rules = engine.rules
    headers = [("name", None), ("solve", None)] + [(h, n) for n, h in columns] + [("notes", None)]
    ws.set_row(0, 32)
    for col, (header, name) in enumerate(headers):
        variable = rules.variables.get(name) if name else None
        style = styles["plain"] if variable is None else styles["key" if variable.categorical else "number"]
        ws.write_string(0, col, header, style)
        ws.write_comment(0, col, _note(engine, header, variable), {"x_scale": 2.4, "y_scale": 2.0})
        ws.set_column(col, col, 34 if header in ("name", "notes") else max(12, min(len(header) + 2, 22)))
        if variable is not None and variable.categorical and name in list_ranges:
            ws.data_validation(1, col, VALIDATED_ROWS, col, {
                "validate": "list", "source": list_ranges[name], "ignore_blank": True,
                "error_type": "warning", "error_title": f"{name}",
                "error_message": (text("template.not_in_list", "en", name=name) + " / "
                                  + text("template.not_in_list", "zh", name=name))[:255],
                "input_title": name[:32], "input_message": variable.label("en")[:255]})
    if "solve" in list_ranges:
        ws.data_validation(1, 1, VALIDATED_ROWS, 1, {
            "validate": "list", "source": list_ranges["solve"], "ignore_blank": True, "error_type": "information",
            "error_title": "solve",
            "error_message": text("template.several_targets", "en") + " / " + text("template.several_targets", "zh"),
            "input_title": "solve",
            "input_message": text("template.solve_input", "en") + " / " + text("template.solve_input", "zh")})
    index = {name: col for col, (_, name) in enumerate(headers) if name}
    row = 1
    for key, solve, values in EXAMPLES:
        if any(n not in index for n in values) or any(t.strip() not in rules.variables for t in solve.split(",")):
            continue
        notes = text(f"template.example.{key}.note", lang)
        ws.write_string(row, 0, text(f"template.example.{key}", lang))
        ws.write_string(row, 1, solve)
        for name, value in values.items():
            if isinstance(value, str):
                ws.write_string(row, index[name], value)
            else:
                ws.write_number(row, index[name], value)
        ws.write_string(row, len(headers) - 1, notes)
        row += 1
    ws.freeze_panes(1, 2)


def _note(engine: "Engine", header: str, variable: "Variable | None") -> str:
    if header == "name":
        return both("template.note.name")
    if header == "solve":
        return both("template.note.solve")
    if header == "notes" or variable is None:
        return both("template.note.free")
    lines = [f"{variable.name}" + (f" [{variable.unit}]" if variable.unit else ""), variable.en, variable.zh]
    if variable.name == FIT:
        lines.append(both("template.note.memory_fill"))
    if variable.categorical:
        table = engine.rules.tables.get(variable.name)
        lines.append("\n".join(text("template.note.pick", lang, count=len(variable.values),
                                    sheet=text("template.note.pick_sheet", lang, name=variable.name)
                                    if table is not None else "") for lang in ("en", "zh")))
    else:
        lines.append("\n".join(text("template.note.units", lang,
                                    unit=variable.unit or text("template.note.plain_units", lang))
                               for lang in ("en", "zh")))
    if variable.default is not None:
        shown = said_defaults(variable) if variable.categorical else f"{variable.default / variable.factor:g}"
        lines.append(both("template.note.default", value=shown, source=variable.default_source))
    if variable.typical:
        low, high = (f"{v / variable.factor:g}" for v in variable.typical)
        lines.append(both("template.note.typical", low=low, high=high))
    return "\n".join(line for line in lines if line)[:2000]


def _lists(engine: "Engine", ws: Any, keys: list[str]) -> dict[str, str]:
    """Drop-down values in columns of the `lists` sheet; returns variable -> range reference."""
    rules = engine.rules
    out = {}
    columns = [(name, list(rules.variables[name].values)) for name in keys]
    targets = [n for n, v in rules.variables.items() if not v.categorical]
    columns.append(("solve", targets))
    for col, (name, values) in enumerate(columns):
        ws.write_string(0, col, name)
        for row, value in enumerate(values, start=1):
            ws.write_string(row, col, str(value))
        letter = column_letter(col)
        out[name] = f"=lists!${letter}$2:${letter}${max(len(values), 1) + 1}"
    return out


def _help(ws: Any, styles: dict[str, Any]) -> None:
    ws.set_column(0, 0, 100)
    ws.set_column(1, 1, 70)
    for row, key in enumerate(HELP):
        style = styles["title"] if row == 0 else styles["wrap"]
        ws.write_string(row * 2 if row else 0, 0, text(f"template.help.{key}", "en"), style)
        ws.write_string(row * 2 if row else 0, 1, text(f"template.help.{key}", "zh"), style)


def _variables(engine: "Engine", ws: Any, styles: dict[str, Any]) -> None:
    header = ("name", "unit", "domain", "meaning", "含义", "default", "default source", "typical", "values / catalog")
    widths = (26, 12, 12, 60, 40, 14, 40, 14, 60)
    for col, (heading, width) in enumerate(zip(header, widths)):
        ws.write_string(0, col, heading, styles["plain"])
        ws.set_column(col, col, width)
    for row, variable in enumerate(engine.rules.variables.values(), start=1):
        default = ""
        if variable.default is not None:
            default = said_defaults(variable) if variable.categorical else f"{variable.default / variable.factor:g}"
        typical = ""
        if variable.typical:
            typical = "–".join(f"{v / variable.factor:g}" for v in variable.typical)
        values = ", ".join(variable.values) if variable.categorical else ""
        if variable.name in engine.rules.tables:
            values = f"sheet catalog_{variable.name}: " + values
        cells = (variable.name, variable.unit, variable.domain, variable.en, variable.zh, default,
                 variable.default_source, typical, values[:2000])
        for col, cell in enumerate(cells):
            ws.write_string(row, col, str(cell))
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, len(engine.rules.variables), len(header) - 1)


def _catalog(engine: "Engine", name: str, ws: Any, styles: dict[str, Any]) -> None:
    table = engine.rules.tables[name]
    fields = list(table.fields)
    header = ["key", "name", "aliases"] + [f"{f} [{u}]" if u else f for f, u in table.fields.items()] + ["source"]
    for col, heading in enumerate(header):
        ws.write_string(0, col, heading, styles["plain"])
        ws.set_column(col, col, 60 if heading == "source" else 22 if col < 3 else 14)
    ws.write_comment(0, 0, f"{table.en}\n{table.zh}".strip() or name)
    for row, entry in enumerate(table.entries.values(), start=1):
        ws.write_string(row, 0, entry.key)
        ws.write_string(row, 1, entry.name or "")
        ws.write_string(row, 2, ", ".join(entry.aliases))
        for col, field_name in enumerate(fields, start=3):
            written = entry.written.get(field_name) if entry.written else None
            value = written if written is not None else entry.values.get(field_name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(row, col, value)
            elif value is not None:
                ws.write_string(row, col, str(value))
        ws.write_string(row, len(header) - 1, entry.source or "")
    ws.freeze_panes(1, 1)
