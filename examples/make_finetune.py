"""Write examples/finetune.xlsx: fine-tuning questions (LoRA, QLoRA, full) on consumer and datacenter GPUs.

    python examples/make_finetune.py               # (re)writes examples/finetune.xlsx
    llmplan run examples/finetune.xlsx -o results.xlsx --report report.html

Every row is answerable (issue #14): memory per GPU and whether it fits, the largest micro-batch, the
FLOPs of a frozen base, samples -> optimizer steps -> time and cost. The data are given as people have
them (samples, mean tokens per sample, epochs, packing); defaults (bf16 base, fp32 adapters, SDPA
attention, Transformers' step rounding) show under each row's assumptions in the report.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

from make_scenarios import header_variable, write_workbook  # noqa: E402  (the sheet layout of both examples)

# The README question names Qwen2.5-7B; it is in the catalog once the catalog branch (issue #14) is merged.
PREFERRED_7B, FALLBACK_7B = "qwen2.5-7b", "llama2-7b"

COLUMNS = ["name", "solve", "gpu", "model", "method", "stage", "recompute", "precision", "optimizer", "zero_stage",
           "n_gpus", "ep", "lora_rank", "lora_targets", "seq_len [token]", "micro_batch", "grad_accum", "samples",
           "tokens_per_sample [token]", "epochs", "packing", "tokens [token]", "mfu",
           "price_per_gpu_hour [USD/hour]", "memory_fill", "train_time [hour]", "area", "notes"]

DATA = {"samples": 50000, "tokens_per_sample [token]": 1024, "epochs": 3, "packing": "off"}   # as the trainers count


def rows(model_7b: str) -> list[tuple[str, str, dict, str, str]]:
    """(name, solve, {column: value}, area, notes)."""
    lora_4090 = {"gpu": "RTX-4090", "model": model_7b, "method": "lora", "n_gpus": 1, "seq_len [token]": 2048,
                 "micro_batch": 1, "grad_accum": 8, "recompute": "full", "mfu": 0.3, **DATA}
    return [
        (f"README: {model_7b} LoRA on one RTX 4090 at 2k, 3 epochs of 50k samples",
         "memory_per_gpu, memory_fill, steps, train_time", lora_4090, "consumer",
         "gradient checkpointing on (LLaMA-Factory's default); bf16 base + fp32 q,v adapters; mfu 0.3 assumed"),
        (f"{model_7b} LoRA on a 4090 without gradient checkpointing", "memory_per_gpu, memory_fill",
         {**lora_4090, "recompute": "none"}, "consumer",
         "28 layers of activations at 2k do not fit 24 GB beside the base: the fit warning says what to change"),
        (f"Largest micro-batch for {model_7b} LoRA r=16 all-linear on a 4090", "micro_batch",
         {"gpu": "RTX-4090", "model": model_7b, "method": "lora", "lora_rank": 16, "lora_targets": "all-linear",
          "seq_len [token]": 2048, "recompute": "full", "memory_fill": 1}, "consumer",
         "inverse: sequences per step that fill the card (at 4k not even one: the loss's backward holds 7.5 GB)"),
        ("QLoRA r=64 all-linear of llama3-8b on a 4090, paged 8-bit AdamW", "memory_per_gpu, memory_fill",
         {"gpu": "RTX-4090", "model": "llama3-8b", "method": "qlora", "lora_rank": 64,
          "lora_targets": "all-linear", "optimizer": "paged-adamw-8bit", "seq_len [token]": 4096,
          "recompute": "full"}, "consumer",
         "NF4 linear layers + constants, bf16 embeddings/lm_head/norms (bitsandbytes)"),
        ("Full fine-tune of a 7B on a 4090 (does not fit)", "memory_per_gpu, memory_fill",
         {"gpu": "RTX-4090", "model": model_7b, "method": "full", "precision": "mixed-bf16",
          "seq_len [token]": 2048, "recompute": "full"}, "consumer",
         "16 B per parameter of model states alone exceed 24 GB: use LoRA/QLoRA or ZeRO-3 on more GPUs"),
        ("QLoRA r=64 of llama2-70b on one H100", "memory_per_gpu, memory_fill",
         {"gpu": "H100-SXM", "model": "llama2-70b", "method": "qlora", "lora_rank": 64,
          "lora_targets": "all-linear", "seq_len [token]": 2048, "recompute": "full"}, "datacenter",
         "Dettmers et al. 2023 (QLoRA): a 65B model fine-tuned on one 48 GB GPU; a 70B at 2,048 tokens fits an 80 GB one"),
        ("LoRA llama3-8b on 8 A800: steps, time and cost of 3 epochs of 200k samples",
         "steps, train_time, train_cost",
         {"gpu": "A800", "model": "llama3-8b", "method": "lora", "lora_rank": 16, "lora_targets": "all-linear",
          "n_gpus": 8, "seq_len [token]": 4096, "micro_batch": 2, "grad_accum": 4, "samples": 200000,
          "tokens_per_sample [token]": 800, "epochs": 3, "packing": "on", "mfu": 0.4,
          "price_per_gpu_hour [USD/hour]": 1.5}, "datacenter",
         "Transformers Trainer steps: ceil(sequences / (micro_batch · dp)) // grad_accum per epoch"),
        ("Same data unpacked: each sample padded to 4k", "steps, train_time, train_cost",
         {"gpu": "A800", "model": "llama3-8b", "method": "lora", "lora_rank": 16, "lora_targets": "all-linear",
          "n_gpus": 8, "seq_len [token]": 4096, "micro_batch": 2, "grad_accum": 4, "samples": 200000,
          "tokens_per_sample [token]": 800, "epochs": 3, "packing": "off", "mfu": 0.4,
          "price_per_gpu_hour [USD/hour]": 1.5}, "datacenter",
         "packing=off computes the padding: about 5x the time of the packed row (an upper bound)"),
        ("Full fine-tune llama3-8b, ZeRO-3 on 8 H100, bf16 mixed precision", "memory_per_gpu, train_time",
         {"gpu": "H100-SXM", "model": "llama3-8b", "method": "full", "stage": "finetuning",
          "precision": "mixed-bf16", "zero_stage": 3, "n_gpus": 8, "seq_len [token]": 4096, "micro_batch": 1,
          "grad_accum": 16, "recompute": "full", "mfu": 0.4, **DATA}, "datacenter",
         "stage=finetuning: no Chinchilla tokens-per-parameter note"),
        ("Full fine-tune llama3-8b with the seed's recipe (fp32 + Adam, 20 B/param)", "memory_per_gpu",
         {"gpu": "H100-SXM", "model": "llama3-8b", "method": "full", "stage": "finetuning", "zero_stage": 3,
          "n_gpus": 8, "seq_len [token]": 4096, "recompute": "full"}, "datacenter",
         "no precision given: the seed's default, named under Assumptions"),
        ("LoRA vs full FLOPs of llama3-8b on 1B tokens", "train_flops",
         {"model": "llama3-8b", "method": "lora", "tokens [token]": "1B", "stage": "finetuning"}, "compute",
         "frozen base: forward + activation gradients, about 2/3 of 6·N·D"),
        ("Mixtral 8x7B LoRA on 8 H100 with expert parallelism 8", "memory_per_gpu, memory_fill",
         {"gpu": "H100-SXM", "model": "mixtral-8x7b", "method": "lora", "n_gpus": 8, "ep": 8,
          "seq_len [token]": 4096, "recompute": "full"}, "datacenter",
         "ep splits the experts' weights over the 8 GPUs; FLOPs from the active parameters"),
        ("Samples a 24-hour budget allows: LoRA llama3-8b on 8 H100", "samples",
         {"gpu": "H100-SXM", "model": "llama3-8b", "method": "lora", "n_gpus": 8, "seq_len [token]": 4096,
          "tokens_per_sample [token]": 1024, "epochs": 3, "packing": "on", "mfu": 0.4,
          "train_time [hour]": 24}, "datacenter", "inverse: data from a time budget"),
    ]


def main(path: Path = ROOT / "examples" / "finetune.xlsx") -> Path:
    from engine.solve.solver import Engine

    engine = Engine.load()
    variables = engine.rules.variables
    models = engine.rules.tables["model"].entries if "model" in engine.rules.tables else {}
    model_7b = PREFERRED_7B if PREFERRED_7B in models else FALLBACK_7B
    if model_7b != PREFERRED_7B:
        print(f"{PREFERRED_7B} is not in the catalog yet: the README rows use {model_7b}", file=sys.stderr)
    usable = [c for c in COLUMNS if c in ("name", "solve", "area", "notes") or header_variable(c) in variables]
    written = write_workbook(path, usable, rows(model_7b), variables, widths=(60, 34, 14, 70))
    print(f"wrote {path} ({written} scenarios)", file=sys.stderr)
    return path


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "examples" / "finetune.xlsx")
