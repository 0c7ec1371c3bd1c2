"""GEMM efficiency and one training step's time on a CUDA GPU, for perf_model=analytic (issue #16).

    python -m validation.gpu_step_time [--out validation/gpu_step_time.json]

Needs only PyTorch with CUDA (not llmplan's engine, so it runs on a bare GPU machine); prints a table
and writes JSON, kept in the repository like validation/gpu_activations.json. These figures CHECK the
performance model; they are not fitted (the calibration is validation/perf_calibration.yaml only).
`python -m validation.gpu_step_time --compare [FILE]` (engine needed, no GPU) sets a recorded file
beside llmplan's prediction: the best GEMM's share of peak against the GPU catalog's matmul_efficiency,
and each training step's time against step_time with perf_model=analytic on one GPU.

What is measured
----------------
- bf16 GEMM (torch.matmul, C = A·B, A m×k, B k×n) for square sizes 256..16384 and the matmuls of the
  model below (tokens × hidden × 3·hidden for q/k/v, ...): median of 20 timed runs after 5 warm-ups,
  CUDA events; TFLOP/s = 2·m·n·k / time; share of the datasheet dense bf16 peak (PEAK_TFLOPS).
- One training step (forward, backward, AdamW step) of LLaMA-shaped decoders (RMSNorm, SwiGLU, rotary,
  F.scaled_dot_product_attention with the flash kernel) in mixed bf16 (fp32 weights and Adam states,
  torch.autocast bf16: llmplan's precision=mixed-bf16), micro-batch b of s tokens, one GPU; median of
  10 timed steps after 3 warm-ups.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import statistics
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RECORDED = Path(__file__).with_name("gpu_step_time.json")
SQUARE = [256, 512, 1024, 2048, 4096, 8192, 16384]
# Dense bf16 peak without sparsity, TFLOP/s (NVIDIA datasheets: A100 312; H100 SXM 989.4; H200 989.4).
PEAK_TFLOPS = {"A100": 312.0, "H100": 989.4, "H200": 989.4}
# The GPU catalog entry (catalogs/gpus.yaml) a device name stands for.
CATALOG = {"A100": "A100-80GB-SXM", "H100": "H100-SXM", "H200": "H200"}
MODELS = [  # (shape fields of validation.models.Shape, seq_len, micro_batch): small LLaMA-shaped models that
    # fit one GPU with fp32 weights and AdamW states (rotary, RMSNorm, SwiGLU, untied head: Shape's defaults)
    ({"name": "llama-1b", "layers": 16, "hidden": 2048, "heads": 16, "kv_heads": 16, "ffn_hidden": 5504,
      "vocab_size": 32000}, 2048, 4),
    ({"name": "llama-0.4b", "layers": 12, "hidden": 1024, "heads": 16, "kv_heads": 16, "ffn_hidden": 2816,
      "vocab_size": 32000}, 2048, 8),
]


# validation.models.Shape's fields that are llmplan architecture givens (Shape.arch_givens, without torch)
ARCH = ("layers", "hidden", "heads", "kv_heads", "ffn_hidden", "vocab_size", "mlp_matrices", "embedding_copies",
        "qkv_bias", "attn_out_bias", "mlp_bias", "lm_head_bias", "norm_vectors_per_norm", "norms_per_layer",
        "learned_positions")


def device_family(name: str) -> str | None:
    """'NVIDIA H100 80GB HBM3' -> 'H100' (None for a GPU without a peak figure here)."""
    return next((family for family in PEAK_TFLOPS if family in name.upper()), None)


def _median_time(fn: Any, warmup: int, runs: int, device: str = "cuda") -> float:
    import time

    import torch

    for _ in range(warmup):
        fn()
    if device != "cuda":   # (a CPU smoke run: wall-clock time)
        times = []
        for _ in range(runs):
            start_s = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start_s)
        return statistics.median(times)
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / 1e3)
    return statistics.median(times)


def gemm_shapes(shape: dict[str, Any], seq_len: int, micro_batch: int) -> list[tuple[str, int, int, int]]:
    """(what, m, n, k) of one layer's forward matmuls and the output head for b·s tokens."""
    t, h, name = seq_len * micro_batch, shape["hidden"], shape["name"]
    attn = shape["hidden"]                                   # heads · head_dim (head_dim = hidden / heads)
    kv = shape["kv_heads"] * shape["hidden"] // shape["heads"]
    return [(f"{name} qkv", t, attn + 2 * kv, h), (f"{name} attn out", t, h, attn),
            (f"{name} mlp up+gate", t, 2 * shape["ffn_hidden"], h), (f"{name} mlp down", t, h, shape["ffn_hidden"]),
            (f"{name} lm head", t, shape["vocab_size"], h)]


def gemms(peak: float | None) -> list[dict[str, Any]]:
    import torch

    cases = [(f"square {n}", n, n, n) for n in SQUARE]
    for shape, seq_len, micro_batch in MODELS:
        cases += gemm_shapes(shape, seq_len, micro_batch)
    out = []
    for what, m, n, k in cases:
        a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
        b = torch.randn(k, n, device="cuda", dtype=torch.bfloat16)
        seconds = _median_time(lambda a=a, b=b: torch.matmul(a, b), 5, 20)
        tflops = 2 * m * n * k / seconds / 1e12
        out.append({"what": what, "m": m, "n": n, "k": k, "seconds": seconds, "tflops": tflops,
                    "share_of_peak": tflops / peak if peak else None})
    torch.cuda.empty_cache()
    return out


def train_step(fields: dict[str, Any], seq_len: int, micro_batch: int, device: str = "cuda",
               warmup: int = 3, runs: int = 10) -> dict[str, Any]:
    import contextlib

    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from validation.models import Shape, build, tokens

    shape = Shape(**fields)
    model = build(shape, device=device, dtype=torch.float32)
    model.configure(attention="sdpa", recompute="none")
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    x = tokens(shape, seq_len, micro_batch, device=device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device, dtype=torch.bfloat16):
            loss = model(x)
        loss.backward()
        opt.step()

    kernel = sdpa_kernel(SDPBackend.FLASH_ATTENTION) if device == "cuda" else contextlib.nullcontext()
    with kernel:
        seconds = _median_time(step, warmup, runs, device)
    params = sum(p.numel() for p in model.parameters())
    return {"shape": shape.to_json(), "seq_len": seq_len, "micro_batch": micro_batch, "params": params,
            "precision": "mixed-bf16", "attention": "flash (F.scaled_dot_product_attention)",
            "seconds_per_step": seconds, "tokens_per_second": seq_len * micro_batch / seconds}


def run() -> dict[str, Any]:
    import torch

    name = torch.cuda.get_device_name()
    family = device_family(name)
    peak = PEAK_TFLOPS.get(family) if family else None
    steps = []
    for shape, seq_len, micro_batch in MODELS:
        try:
            steps.append(train_step(shape, seq_len, micro_batch))
        except RuntimeError as exc:   # (out of memory on a smaller GPU: recorded, not fatal)
            steps.append({"shape": dict(shape), "error": str(exc).splitlines()[0]})
        torch.cuda.empty_cache()   # (the step's model and optimizer are gone with its frame)
    return {"measured_on": name, "family": family, "peak_tflops": peak, "torch": torch.__version__,
            "cuda": torch.version.cuda, "date": _dt.date.today().isoformat(), "gemm": gemms(peak), "steps": steps}


# -- comparing a record with llmplan (engine needed, no GPU) ------------------------------------------
def predicted_step(record: dict[str, Any], step: dict[str, Any]) -> dict[str, float]:
    """llmplan's step_time (and mfu) for a recorded step: perf_model=analytic on one GPU of the record's kind."""
    from validation.common import ask

    shape = step["shape"]
    arch = {k: shape[k] for k in ARCH if shape.get(k) is not None}
    arch["head_dim"] = shape.get("head_dim") or shape["hidden"] // shape["heads"]
    givens = {**arch, "perf_model": "analytic", "gpu": CATALOG[record["family"]], "n_gpus": 1,
              "tp": 1, "pp": 1, "seq_len": step["seq_len"], "micro_batch": step["micro_batch"],
              "global_batch": step["micro_batch"], "precision": "mixed-bf16", "attention_kernel": "flash",
              "zero_stage": 0}
    return ask(["step_time", "mfu"], givens)


def compare(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows: the best GEMM share of peak vs the catalog's matmul_efficiency; each step's time vs step_time."""
    from validation.common import ask

    rows: list[dict[str, Any]] = []
    family = record.get("family")
    if family not in CATALOG:
        return rows
    efficiency = ask(["matmul_efficiency"], {"gpu": CATALOG[family]})["matmul_efficiency"]
    best = max((g["share_of_peak"] or 0.0) for g in record["gemm"])
    rows.append({"case": f"best bf16 GEMM share of peak ({record['measured_on']})", "llmplan": efficiency,
                 "measured": best})
    for step in record["steps"]:
        if "error" in step:
            continue
        predicted = predicted_step(record, step)
        rows.append({"case": f"step time {step['shape']['name']} s={step['seq_len']} b={step['micro_batch']}",
                     "llmplan": predicted["step_time"], "measured": step["seconds_per_step"]})
    for row in rows:
        row["error"] = (row["llmplan"] - row["measured"]) / row["measured"]
    return rows


def table(result: dict[str, Any]) -> str:
    lines = [f"{result['measured_on']} (peak {result['peak_tflops']} TFLOP/s bf16), torch {result['torch']}", "",
             "| GEMM | m | n | k | TFLOP/s | share of peak |", "|---|---:|---:|---:|---:|---:|"]
    for g in result["gemm"]:
        share = f"{g['share_of_peak']:.1%}" if g["share_of_peak"] else "-"
        lines.append(f"| {g['what']} | {g['m']} | {g['n']} | {g['k']} | {g['tflops']:.1f} | {share} |")
    lines += ["", "| model | s | b | params | s/step | tokens/s |", "|---|---:|---:|---:|---:|---:|"]
    for s in result["steps"]:
        if "error" in s:
            lines.append(f"| {s['shape']['name']} | | | | {s['error']} | |")
        else:
            lines.append(f"| {s['shape']['name']} | {s['seq_len']} | {s['micro_batch']} | {s['params']:,} | "
                         f"{s['seconds_per_step']:.4f} | {s['tokens_per_second']:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m validation.gpu_step_time", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=RECORDED, help="where to write the JSON record")
    ap.add_argument("--compare", nargs="?", const=RECORDED, type=Path, metavar="FILE",
                    help="compare a recorded file with llmplan instead of measuring")
    args = ap.parse_args(argv)
    if args.compare is not None:
        if not args.compare.exists():
            print(f"{args.compare}: no record yet (measure on a CUDA GPU first)", file=sys.stderr)
            return 2
        for row in compare(json.loads(args.compare.read_text(encoding="utf-8"))):
            print(f"{row['case']:60s} llmplan {row['llmplan']:.4g}  measured {row['measured']:.4g}  "
                  f"error {row['error']:+.1%}")
        return 0
    import torch

    if not torch.cuda.is_available():
        print("no CUDA GPU: nothing measured (`--compare` reads a record without one)", file=sys.stderr)
        return 2
    result = run()
    print(table(result))
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
