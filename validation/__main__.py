"""python -m validation — run every check, print the table, exit 1 if an asserted row fails.

    python -m validation                 # everything (PyTorch needed for the measured parts)
    python -m validation --json out.json # also write every row as JSON
    python -m validation --no-torch      # published runs and recorded GPU figures only
    python -m validation --quick         # skip the real-size (meta-device) FLOPs shapes
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .common import Row, fmt, markdown_table, summary_table


def _torch_ok() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m validation", description="llmplan against real training")
    ap.add_argument("--json", type=Path, help="write every row (and the FLOPs summary) as JSON")
    ap.add_argument("--no-torch", action="store_true", help="skip the parts that need PyTorch")
    ap.add_argument("--quick", action="store_true", help="skip the real-size FLOPs shapes (meta device)")
    ap.add_argument("--sources", action="store_true", help="add a source column to the tables")
    ap.add_argument("--readme", action="store_true",
                    help="print only the README-sized summary (one line per rule) and the FLOPs drift table")
    args = ap.parse_args(argv)

    started = time.perf_counter()
    sections: list[tuple[str, list[Row], str]] = []     # (title, rows, note)
    notes: list[str] = []
    flops_summary = ""

    if not args.no_torch and not _torch_ok():
        print("PyTorch is not installed: `pip install torch==2.13.0` (CPU build), or pass --no-torch to run "
              "only the published-run checks.", file=sys.stderr)
        return 2

    if not args.no_torch:
        import torch

        from . import flops, memory
        torch.set_num_threads(max(1, torch.get_num_threads()))
        t = time.perf_counter()
        sections.append(("Parameters: arch_params vs sum(p.numel())", flops.param_rows(), ""))
        cases = [c for c in flops.FLOPS_CASES if not (args.quick and c.device == "meta")]
        results = flops.flops_results(cases)
        flops_summary = flops.summary_table(results)
        sections.append(("Training FLOPs: llmplan vs FlopCounterMode (one forward+backward step)",
                         [r for res in results for r in res.rows()],
                         ("tokens = seq_len · micro_batch; the attention rows use flops_params_basis=matmul_params: "
                          "N = flops_params = non-embedding + lm_head (the weights that multiply activations)")))
        mem_rows = (memory.rows(flops.SHAPES[1])
                    + memory.rows(flops.SHAPES[2], [("fp32", "adam"), ("bf16", "adam")])
                    + memory.extra_rows(flops.SHAPES[1]))
        sections.append(("Model-state memory after one optimizer step (CPU)", mem_rows, ""))
        from . import finetune_flops
        sections.append(("Fine-tuning FLOPs: frozen base weights vs FlopCounterMode (issue #14)",
                         finetune_flops.rows([c for c in finetune_flops.CASES
                                              if not (args.quick and c.device == "meta")]),
                         "flops_model=attention, flops_params_basis=matmul_params; base weights requires_grad=False"))
        notes.append(f"measured parts: {time.perf_counter() - t:.0f} s with torch {torch.__version__}")

    from . import activations
    if not activations.rules_available():
        notes.append("activation memory: llmplan has no activation_bytes_per_layer rule yet: skipped")
    else:
        live = None if not args.no_torch else False
        result, how = activations.load(live)
        notes.append("activation memory: " + how)
        if result is not None:
            sections.append(("GPU measurements: activations per layer, model states, whole-step peak",
                             activations.rows(result, how), how))

    from . import published
    sections.append(("Published runs", published.run_rows(), ""))
    sections.append(("Chinchilla compute-optimal table (Hoffmann et al. 2022, Table 3)",
                     published.chinchilla_rows(), ""))

    from . import performance
    perf_rows = performance.rows()
    sections.append((performance.SECTION, perf_rows,
                     "achieved TFLOP/s per GPU predicted with perf_model=analytic from each source's layout "
                     "(validation/perf_calibration.yaml: sources and assumptions)"))
    notes.append(performance.summary_line(perf_rows))
    check_rows = performance.check_rows()
    sections.append((performance.CHECK_SECTION, check_rows,
                     "the same prediction for published runs the model was never fitted to "
                     "(validation/perf_checks.yaml: sources, and the settings the sources leave out)"))
    notes.append(performance.check_summary_line(check_rows))

    all_rows = [r for _, rows, _ in sections for r in rows]
    for title, rows, note in ([] if args.readme else sections):
        print(f"\n## {title}\n")
        if note:
            print(note + "\n")
        print(markdown_table(rows, sources=args.sources))
        if title.startswith("Training FLOPs") and flops_summary:
            print("\nSummary: error of each rule against the count it models, (llmplan − measured) / measured\n")
            print(flops_summary)

    print("\n## Summary: how accurate is llmplan\n")
    print("error = (llmplan − measured or published) / measured or published; "
          "info = reported, not asserted (see the detailed tables for why)\n")
    print(summary_table(all_rows))
    if args.readme and flops_summary:
        print("\n### Training FLOPs per case: error of each rule against the count it models\n")
        print(flops_summary)

    failed = [r for r in all_rows if not r.ok]
    asserted = sum(r.asserted for r in all_rows)
    print()
    for n in notes:
        print(f"note: {n}")
    print(f"{len(all_rows)} rows, {asserted} asserted, {len(failed)} failed, "
          f"{time.perf_counter() - started:.0f} s")
    for r in failed:
        print(f"FAILED {r.section}: {r.case}: llmplan {fmt(r.llmplan, r.unit)} vs {fmt(r.reference, r.unit)} "
              f"(tolerance {r.tolerance}) — {r.reason}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"rows": [r.to_json() for r in all_rows], "notes": notes,
                                         "flops_summary": flops_summary}, indent=1, default=str) + "\n",
                             encoding="utf-8")
    return 1 if failed or not performance.calibration_ok(perf_rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
