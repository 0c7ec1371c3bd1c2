"""Write the example workbooks.

examples/scenarios.xlsx: realistic planning questions, forward and inverse, every row answered
(README's main job runs on it and exits 0).
examples/mistakes.xlsx: a few good rows beside the mistakes people make (a GPU that does not exist,
a value in the wrong unit, givens that contradict each other, too little to solve from): the bad
rows get their error with the cell, every other row still gets its answer (exit 1).

    python examples/make_scenarios.py              # (re)writes both files
    llmplan run examples/scenarios.xlsx -o results.xlsx --report report.html
    llmplan run examples/mistakes.xlsx -o mistakes-results.xlsx

Only variables the loaded rules declare are used; a row naming one the rules lack is left out
(and reported), so the file always runs with the rules it was made with.
Rows to add once their rules exist: pipeline bubble time (pp, micro-batches), energy per run in kWh.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLUMNS = ["name", "solve", "gpu", "model", "method", "recompute", "precision", "optimizer", "zero_stage",
           "tokenizer", "encoding", "params", "tokens [token]", "train_flops [FLOP]", "n_gpus", "mfu",
           "train_time [day]", "gpu_hours [hour]", "gpu_days [day]", "price_per_gpu_hour [USD/hour]",
           "train_cost [USD]", "dp", "lora_rank", "trainable_params", "memory_per_gpu [GB]", "train_memory [GB]",
           "tokens_per_param [token]", "unique_tokens [token]", "epochs", "loss", "corpus_bytes [GB]", "area",
           "notes"]

ROWS = [  # (name, solve, {column: value}, area, notes)
    ("LLaMA-2 7B pretraining compute", "train_flops", {"params": "7B", "tokens [token]": "2T"},
     "compute", "forward: 6·N·D"),
    ("What a 1e23 FLOP budget trains at 7B", "tokens", {"params": "7B", "train_flops [FLOP]": 1e23},
     "compute", "inverse: tokens from a compute budget"),
    ("7B / 2T on 256 A800 at 45% MFU", "train_time",
     {"gpu": "A800", "recompute": "full", "params": "7B", "tokens [token]": "2T", "n_gpus": 256, "mfu": 0.45},
     "time", "forward: days, with full activation recomputation (8·N·D)"),
    ("A800s to finish 7B / 2T in 30 days", "n_gpus",
     {"gpu": "A800", "recompute": "full", "params": "7B", "tokens [token]": "2T", "mfu": 0.4,
      "train_time [day]": 30}, "time", "inverse: GPU count for a deadline (rounded up, days recomputed)"),
    ("Tokens for 20,000 H100 GPU-days at 13B", "tokens",
     {"gpu": "H100-SXM", "params": "13B", "gpu_days [day]": 20000, "mfu": 0.4},
     "time", "inverse: data a GPU-day budget buys"),
    ("MFU a finished run achieved", "mfu",
     {"gpu": "A800", "params": "7B", "tokens [token]": "2T", "gpu_hours [hour]": 250000},
     "time", "inverse: utilization from the GPU-hours billed"),
    ("70B / 2T on 2048 H100 at $2.5/h", "train_time, train_cost",
     {"gpu": "H100-SXM", "params": "70B", "tokens [token]": "2T", "n_gpus": 2048, "mfu": 0.4,
      "price_per_gpu_hour [USD/hour]": 2.5}, "time", "forward: two targets in one row"),
    ("Model states of llama2-7b (full fine-tune)", "train_memory",
     {"model": "llama2-7b", "precision": "mixed-bf16", "optimizer": "adam"},
     "memory", "forward: weights + grads + Adam states (16 bytes/param)"),
    ("llama2-7b per GPU with ZeRO-3 on 8 A800", "memory_per_gpu",
     {"gpu": "A800", "model": "llama2-7b", "precision": "mixed-bf16", "optimizer": "adam", "zero_stage": 3,
      "n_gpus": 8}, "memory", "forward: sharded model states + activations"),
    ("QLoRA r=64 of llama2-7b on one A10", "memory_per_gpu",
     {"gpu": "A10", "model": "llama2-7b", "method": "qlora", "lora_rank": 64},
     "memory", "forward: 4-bit base weights, adapters trained"),
    ("LoRA r=16 trainable parameters", "trainable_params",
     {"model": "llama2-7b", "method": "lora", "lora_rank": 16}, "memory", "forward: adapter size"),
    ("GPUs to fit 70B with ZeRO-3 in 80 GB each", "n_gpus",
     {"model": "llama2-70b", "precision": "mixed-bf16", "optimizer": "adam", "zero_stage": 3,
      "memory_per_gpu [GB]": 80}, "memory", "inverse: GPUs needed to fit the model states"),
    ("Chinchilla-optimal split of 1e23 FLOPs", "params, tokens",
     {"train_flops [FLOP]": 1e23, "tokens_per_param [token]": 20}, "scaling", "inverse: N and D at ~20 tokens/param"),
    ("Predicted loss of 7B on 2T tokens", "loss", {"params": "7B", "tokens [token]": "2T"},
     "scaling", "forward: Chinchilla parametric fit"),
    ("Epochs over 500B unique tokens", "epochs", {"tokens [token]": "2T", "unique_tokens [token]": "500B"},
     "scaling", "forward: repeated data (warns beyond a few epochs)"),
    ("Disk for 1T tokens of Chinese text", "corpus_bytes",
     {"unique_tokens [token]": "1T", "tokenizer": "baichuan-7b", "encoding": "utf-8-zh"},
     "storage", "forward: tokens -> characters -> bytes"),
    ("Tokens in a 1 TB Chinese corpus", "unique_tokens",
     {"corpus_bytes [GB]": 1000, "tokenizer": "baichuan-7b", "encoding": "utf-8-zh"},
     "storage", "inverse: tokens from bytes on disk"),
]

MISTAKES = [  # good rows first, so the workbook shows that they still get their answers
    ("LLaMA-2 7B pretraining compute", "train_flops", {"params": "7B", "tokens [token]": "2T"},
     "compute", "good row: answered despite the bad rows below"),
    ("A800s to finish 7B / 2T in 30 days", "n_gpus",
     {"gpu": "A800", "recompute": "full", "params": "7B", "tokens [token]": "2T", "mfu": 0.4,
      "train_time [day]": 30}, "time", "good row: answered despite the bad rows below"),
    ("Mistake: a GPU that does not exist", "n_gpus",
     {"gpu": "A900", "params": "7B", "tokens [token]": "2T", "mfu": 0.4, "train_time [day]": 30},
     "time", "bad row: the error names the cell and suggests A800/A100"),
    ("Mistake: a time written as a size", "n_gpus",
     {"gpu": "A800", "params": "7B", "tokens [token]": "2T", "mfu": 0.4, "train_time [day]": "80GB"},
     "time", "bad row: train_time expects a duration"),
    ("Mistake: GPU-hours and GPU-days that disagree", "train_cost",
     {"gpu_hours [hour]": 1000, "gpu_days [day]": 100, "price_per_gpu_hour [USD/hour]": 2},
     "time", "bad row: 1,000 GPU-hours are 41.7 GPU-days, not 100"),
    ("Mistake: too little to solve from", "n_gpus", {"params": "7B", "gpu": "A800"},
     "time", "bad row: the error says which values to add"),
]


def header_variable(header: str) -> str:
    return header.split(" [")[0]


def main(path: Path = ROOT / "examples" / "scenarios.xlsx", rows: list = ROWS) -> Path:
    """Write one example workbook with the given rows (ROWS or MISTAKES)."""
    from engine.solve.solver import Engine

    variables = Engine.load().rules.variables
    wanted = COLUMNS if rows is ROWS else [  # the mistakes sheet keeps only the columns its rows use
        c for c in COLUMNS if c in ("name", "solve", "area", "notes") or any(c in r[2] for r in rows)]
    usable = [c for c in wanted if c in ("name", "solve", "area", "notes") or header_variable(c) in variables]
    missing = [c for c in wanted if c not in usable]
    written = write_workbook(path, usable, rows, variables, widths=(44, 22, 14, 60))
    if missing:
        print(f"columns left out (not in the rules): {', '.join(missing)}", file=sys.stderr)
    print(f"wrote {path} ({written} scenarios)", file=sys.stderr)
    return path


def write_workbook(path: Path, usable: list[str], rows: list, variables: dict,
                   widths: tuple[int, int, int, int]) -> int:
    """A `scenarios` sheet: the usable columns as headers, one row per (name, solve, values, area, notes)
    whose variables the rules declare (the others are left out and named). Returns the rows written.
    widths: name column, solve column, value columns, last (notes) column."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("scenarios")
    bold = book.add_format({"bold": True, "bg_color": "#D9D9D9", "bottom": 1})
    sheet.write_row(0, 0, usable, bold)
    sheet.freeze_panes(1, 2)
    sheet.set_column(0, 0, widths[0])
    sheet.set_column(1, 1, widths[1])
    sheet.set_column(2, len(usable) - 1, widths[2])
    sheet.set_column(len(usable) - 1, len(usable) - 1, widths[3])
    row = 1
    for name, solve, values, area, notes in rows:
        needed = {header_variable(c) for c in values} | {t.strip() for t in solve.split(",")}
        if any(n not in variables for n in needed) or any(c not in usable for c in values):
            print(f"left out (rules lack a variable): {name}", file=sys.stderr)
            continue
        cells = {"name": name, "solve": solve, "area": area, "notes": notes, **values}
        for col, header in enumerate(usable):
            value = cells.get(header)
            if isinstance(value, str):
                sheet.write_string(row, col, value)
            elif value is not None:
                sheet.write_number(row, col, value)
        row += 1
    book.close()
    return row - 1


if __name__ == "__main__":
    main(ROOT / "examples" / "scenarios.xlsx", ROWS)
    main(ROOT / "examples" / "mistakes.xlsx", MISTAKES)
