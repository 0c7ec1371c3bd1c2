"""Activation memory of a real training step on a CUDA GPU (optional part of the validation suite).

    python -m validation.gpu_activations [--out validation/gpu_activations.json]

Needs only PyTorch with CUDA (not llmplan's engine, so it runs on a bare GPU
machine). It prints a table and writes JSON; `python -m validation` then
compares the recorded figures with llmplan's activation rules
(formulas/activations.yaml) — live when a GPU is present, otherwise from the
JSON recorded here, labelled with the GPU and date it was measured on.

What is measured
----------------
A GPT-style decoder as Korthikanti et al. 2022 (§4.1) assume it — pre-LayerNorm,
GELU MLP of width 4h, dropout after the attention probabilities and after both
residual branches, 16-bit (bf16) weights and activations, multi-head
attention — for several (seq_len, micro_batch) and four modes:

    standard   attention scores materialized (eager PyTorch):   Korthikanti sbh·(34 + 5·a·s/h)
    flash      F.scaled_dot_product_attention, FLASH backend:  sbh·34 (scores never stored)
    selective  attention core checkpointed (recomputed):       sbh·34
    full       every layer checkpointed:                       sbh·2

For each mode the same model is built with L1 and L2 layers. The activations a
step keeps = torch.cuda.memory_allocated() after the forward pass minus before
it (gradients are pre-allocated by a warm-up step, so only activations and the
loss appear); per layer = the difference between L2 and L1 layers divided by
L2 − L1, which cancels the embedding, final norm, logits and loss (not part of
the per-layer rule). torch.cuda.max_memory_allocated() over forward+backward is
recorded too (it adds backward transients: the logits' gradient, one layer's
recomputed activations under checkpointing).

A LLaMA-style block (RMSNorm, SwiGLU, rotary, no dropout) is measured as well,
to show how far Korthikanti's GPT constants are from it, and, for
activation_model=generalised, a grouped-query LLaMA block and two blocks whose
head width is decoupled from hidden / heads (LLaMA and GPT style).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path
from typing import Any

try:
    from .models import Shape, build, tokens
except ImportError:  # run as a file
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from validation.models import Shape, build, tokens

GPT = Shape("gpt-2048", layers=2, hidden=2048, heads=16, kv_heads=16, ffn_hidden=8192, vocab_size=8192,
            mlp_matrices=2, embedding_copies=1, qkv_bias=1, attn_out_bias=1, mlp_bias=1,
            norm_vectors_per_norm=2, learned_positions=4096, dropout=0.1)
LLAMA = Shape("llama-2048", layers=2, hidden=2048, heads=16, kv_heads=16, ffn_hidden=5504, vocab_size=8192,
              dropout=0.0)
# Shapes for activation_model=generalised beyond the two above: grouped-query attention (this model repeats the
# kv heads before the attention core, so k and v are stored at full width) and a decoupled head width
# (heads · head_dim = 2048 != hidden 1536, as Gemma-7B), with a LLaMA and a GPT block.
LLAMA_GQA = Shape("llama-gqa-2048", layers=2, hidden=2048, heads=16, kv_heads=4, ffn_hidden=5504, vocab_size=8192,
                  dropout=0.0)
DECOUPLED = Shape("decoupled-head-1536", layers=2, hidden=1536, heads=8, kv_heads=8, head_dim=256, ffn_hidden=6144,
                  vocab_size=8192, dropout=0.0)
GPT_DECOUPLED = Shape("gpt-decoupled-1536", layers=2, hidden=1536, heads=8, kv_heads=8, head_dim=256,
                      ffn_hidden=6144, vocab_size=8192, mlp_matrices=2, embedding_copies=1, qkv_bias=1,
                      attn_out_bias=1, mlp_bias=1, norm_vectors_per_norm=2, learned_positions=4096, dropout=0.1)
LAYERS = (2, 4)
GPT_POINTS = [(512, 8), (1024, 4), (2048, 2), (4096, 1)]
LLAMA_POINTS = [(2048, 2), (4096, 1)]
MODES = {  # name -> (attention implementation, recompute)
    "standard": ("full", "none"),
    "flash": ("sdpa", "none"),
    "selective": ("full", "selective"),
    "full": ("full", "full"),
}
RECORDED = Path(__file__).with_name("gpu_activations.json")


def korthikanti(shape: Shape, seq_len: int, micro_batch: int, mode: str) -> float:
    """Korthikanti et al. 2022 Table 2 (t = 1), bytes per layer — a hand reference, not llmplan."""
    sbh = seq_len * micro_batch * shape.hidden
    if mode == "standard":
        return sbh * (34 + 5 * shape.heads * seq_len / shape.hidden)
    if mode in ("flash", "selective"):
        return sbh * 34
    return sbh * 2


class _Mem:
    """torch.cuda's allocator statistics; on the CPU (smoke tests of this script only) all zeros."""

    def __init__(self, device: str) -> None:
        import torch
        self.cuda = device.startswith("cuda")
        self.torch = torch

    def sync(self) -> None:
        if self.cuda:
            self.torch.cuda.synchronize()

    def reset_peak(self) -> None:
        if self.cuda:
            self.torch.cuda.reset_peak_memory_stats()

    def allocated(self) -> int:
        return self.torch.cuda.memory_allocated() if self.cuda else 0

    def peak(self) -> int:
        return self.torch.cuda.max_memory_allocated() if self.cuda else 0

    def empty_cache(self) -> None:
        if self.cuda:
            self.torch.cuda.empty_cache()


def _saved_tensors(model: Any, x: Any) -> dict[str, Any]:
    """Unique storages autograd saves during one forward pass (parameters excluded): bytes and a breakdown."""
    import torch

    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, tuple[int, str, str]] = {}

    def pack(t: Any) -> Any:
        st = t.untyped_storage()
        if st.data_ptr() not in params and st.data_ptr() not in seen:
            seen[st.data_ptr()] = (st.nbytes(), str(t.dtype).replace("torch.", ""), "x".join(map(str, t.shape)))
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = model(x)
    del loss
    kinds: dict[str, int] = {}
    for nbytes, dtype, shape in seen.values():
        key = f"{dtype}[{shape}]"
        kinds[key] = kinds.get(key, 0) + nbytes
    return {"bytes": sum(v[0] for v in seen.values()), "by_kind": kinds}


def _step_memory(model: Any, x: Any, mode: str, mem: _Mem) -> dict[str, Any]:
    attention, recompute = MODES[mode]
    model.configure(attention=attention, recompute=recompute)
    ctx: Any
    if attention == "sdpa":
        from torch.nn.attention import SDPBackend, sdpa_kernel
        ctx = sdpa_kernel(SDPBackend.FLASH_ATTENTION)
    else:
        import contextlib
        ctx = contextlib.nullcontext()
    with ctx:
        loss = model(x)                      # warm-up: allocates grads, workspaces
        loss.backward()
        del loss
        mem.sync()
        mem.reset_peak()
        before = mem.allocated()
        loss = model(x)
        mem.sync()
        after_forward = mem.allocated()
        loss.backward()
        mem.sync()
        peak = mem.peak()
        del loss
        out: dict[str, Any] = {"forward_kept": after_forward - before, "peak_extra": peak - before}
        if recompute == "none":     # checkpointing installs its own saved-tensor hooks
            out["saved"] = _saved_tensors(model, x)
    return out


def measure(shape: Shape, points: list[tuple[int, int]], modes: list[str], layers: tuple[int, int] = LAYERS,
            device: str = "cuda") -> list[dict[str, Any]]:
    import torch

    mem = _Mem(device)
    records: dict[tuple[int, int, str], dict[str, Any]] = {}
    for n_layers in layers:
        model = build(shape.with_(layers=n_layers), device=device, dtype=torch.bfloat16)
        model.train()
        for seq_len, micro_batch in points:
            x = tokens(shape, seq_len, micro_batch, device=device)
            for mode in modes:
                try:
                    got = _step_memory(model, x, mode, mem)
                except RuntimeError as exc:       # e.g. no flash kernel for this GPU/dtype: record, go on
                    print(f"{shape.name} s={seq_len} b={micro_batch} {mode}: {exc}", file=sys.stderr)
                    got = {"error": str(exc).splitlines()[0]}
                    model.zero_grad(set_to_none=False)
                    mem.empty_cache()
                rec = records.setdefault((seq_len, micro_batch, mode), {
                    "shape": shape.to_json(), "seq_len": seq_len, "micro_batch": micro_batch, "mode": mode,
                    "by_layers": {}, "korthikanti_per_layer": korthikanti(shape, seq_len, micro_batch, mode)})
                rec["by_layers"][str(n_layers)] = got
            del x
        model.zero_grad(set_to_none=True)
        del model
        mem.empty_cache()
    out = []
    l1, l2 = (str(n) for n in layers)
    for rec in records.values():
        a, b = rec["by_layers"][l1], rec["by_layers"][l2]
        if "error" in a or "error" in b:
            rec["error"] = a.get("error") or b.get("error")
            out.append(rec)
            continue
        rec["per_layer"] = (b["forward_kept"] - a["forward_kept"]) / (layers[1] - layers[0])
        rec["per_layer_peak"] = (b["peak_extra"] - a["peak_extra"]) / (layers[1] - layers[0])
        if "saved" in a and "saved" in b:
            rec["per_layer_saved"] = (b["saved"]["bytes"] - a["saved"]["bytes"]) / (layers[1] - layers[0])
        out.append(rec)
    return out


def model_state_check(device: str = "cuda") -> dict[str, Any]:
    """fp32 parameters + Adam after one step: memory_allocated against 16 B per parameter."""
    import torch

    shape = GPT.with_(layers=2, dropout=0.0)
    w = torch.ones(256, 256, device=device)
    (w @ w).sum().item()                  # cuBLAS handle and workspace allocated before the baseline
    del w
    torch.cuda.synchronize()
    start = torch.cuda.memory_allocated()
    model = build(shape, device=device, dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = tokens(shape, 512, 1, device=device)
    loss = model(x)
    loss.backward()
    opt.step()
    del loss
    torch.cuda.synchronize()
    held = torch.cuda.memory_allocated() - start - x.numel() * x.element_size()
    params = sum(p.numel() for p in model.parameters())
    n_tensors = len(list(model.parameters()))
    del model, opt, x
    torch.cuda.empty_cache()
    return {"shape": shape.to_json(), "params": params, "param_tensors": n_tensors,
            "memory_allocated": held, "expected_16B": 16 * params}


WHOLE = Shape("gpt-1.3b", layers=24, hidden=2048, heads=16, kv_heads=16, ffn_hidden=8192, vocab_size=50304,
              mlp_matrices=2, embedding_copies=1, qkv_bias=1, attn_out_bias=1, mlp_bias=1,
              norm_vectors_per_norm=2, learned_positions=2048, dropout=0.1)


def whole_step(shape: Shape = WHOLE, seq_len: int = 2048, micro_batch: int = 4,
               modes: tuple[str, ...] = ("standard", "flash", "full"), device: str = "cuda") -> list[dict[str, Any]]:
    """Peak memory of complete training steps (forward, backward, Adam step) of a ~1.3B GPT in pure bf16
    (bf16 weights, gradients and Adam states), for memory_per_gpu: what the GPU really needs."""
    import contextlib

    import torch

    mem = _Mem(device)
    mem.sync()
    mem.empty_cache()
    start = mem.allocated()
    model = build(shape, device=device, dtype=torch.bfloat16)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-5)
    x = tokens(shape, seq_len, micro_batch, device=device)
    params = list(model.parameters())
    out = []
    for mode in modes:
        attention, recompute = MODES[mode]
        model.configure(attention=attention, recompute=recompute)
        ctx: Any = contextlib.nullcontext()
        if attention == "sdpa":
            from torch.nn.attention import SDPBackend, sdpa_kernel
            ctx = sdpa_kernel(SDPBackend.FLASH_ATTENTION)
        try:
            with ctx:
                for _ in range(2):                   # the first step creates the Adam states
                    opt.zero_grad(set_to_none=True)
                    mem.sync()
                    mem.reset_peak()
                    before = mem.allocated()
                    loss = model(x)
                    loss.backward()
                    opt.step()
                    del loss
                    mem.sync()
                peak = mem.peak()
                reserved = int(torch.cuda.max_memory_reserved()) if mem.cuda else 0
            opt.zero_grad(set_to_none=True)
            mem.sync()
            states = sum(t.numel() * t.element_size() for p in params for t in opt.state[p].values()
                         if torch.is_tensor(t) and t.dim() > 0)     # not Adam's 0-dim step counters
            out.append({"shape": shape.to_json(), "seq_len": seq_len, "micro_batch": micro_batch, "mode": mode,
                        "params": sum(p.numel() for p in params), "param_tensors": len(params),
                        "weights_bytes": sum(p.numel() * p.element_size() for p in params),
                        "grads_bytes": sum(p.numel() * p.element_size() for p in params),
                        "optimizer_state_bytes": states,
                        "held_between_steps": mem.allocated() - start - x.numel() * x.element_size(),
                        "step_start": before - start, "peak_allocated": peak - start,
                        "peak_reserved": reserved})
        except RuntimeError as exc:
            out.append({"shape": shape.to_json(), "mode": mode, "error": str(exc).splitlines()[0]})
            opt.zero_grad(set_to_none=True)
    del model, opt, x, params
    mem.empty_cache()
    return out


def sdpa_flops_check(device: str = "cuda") -> dict[str, Any]:
    """FlopCounterMode over a step with F.scaled_dot_product_attention on the GPU (flash backend): it counts
    the s×s attention matmuls in full and 5 of them in the backward (the score recomputation included)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    from validation.models import matmul_weights

    shape, s, b = GPT.with_(dropout=0.0), 2048, 2
    model = build(shape, device=device, attention="sdpa", dtype=__import__("torch").bfloat16)
    x = tokens(shape, s, b, device=device)
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION), FlopCounterMode(display=False) as counter:
        model(x).backward()
    t, a, L = s * b, shape.d_attn, shape.layers
    return {"shape": shape.to_json(), "seq_len": s, "micro_batch": b,
            "counted": int(counter.get_total_flops()),
            "by_op": {str(k): int(v) for k, v in counter.get_flop_counts()["Global"].items()},
            "six_T_W": 6 * t * matmul_weights(shape),
            "full_mask_formula": 6 * t * matmul_weights(shape) + 12 * t * L * a * s,
            "sdpa_formula": 6 * t * matmul_weights(shape) + 14 * t * L * a * s}


def run(device: str = "cuda") -> dict[str, Any]:
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU: the activation-memory measurement needs one (the rest of the suite does not)")
    props = torch.cuda.get_device_properties(0)
    result: dict[str, Any] = {
        "measured_on": props.name, "torch": torch.__version__, "cuda": torch.version.cuda,
        "date": _dt.date.today().isoformat(), "layers": list(LAYERS),
        "model_state": model_state_check(device),
        "sdpa_flops": _guard(sdpa_flops_check, device),
        "whole_step": _guard(whole_step),
        "records": (measure(GPT, GPT_POINTS, list(MODES))
                    + measure(GPT.with_(name="gpt-2048-nodropout", dropout=0.0), [(2048, 2)], ["standard", "flash"])
                    + measure(LLAMA, LLAMA_POINTS, ["standard", "flash"])
                    + [r for shape in (LLAMA_GQA, DECOUPLED, GPT_DECOUPLED)
                       for r in measure(shape, [(2048, 2)], list(MODES))]),
    }
    return result


def _guard(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - a side measurement must not lose the main one
        return {"error": f"{type(exc).__name__}: {exc}"}


def table(result: dict[str, Any]) -> str:
    lines = [(f"activation memory per layer, measured on {result['measured_on']} (torch {result['torch']}), "
             f"bytes; Korthikanti = Korthikanti et al. 2022 Table 2 (hand formula)"),
             ("| model | s | b | mode | measured per layer | Korthikanti | error | saved tensors per layer "
             "| peak extra per layer |"),
             "|---|---|---|---|---|---|---|---|---|"]
    for r in result["records"]:
        k = r["korthikanti_per_layer"]
        if "error" in r:
            lines.append(f"| {r['shape']['name']} | {r['seq_len']} | {r['micro_batch']} | {r['mode']} "
                         f"| error: {r['error']} | {k:,.0f} | | | |")
            continue
        err = f"{(k - r['per_layer']) / r['per_layer'] * 100:+.2f}%" if r["per_layer"] else "—"
        saved = f"{r['per_layer_saved']:,.0f}" if "per_layer_saved" in r else "—"
        lines.append(f"| {r['shape']['name']} | {r['seq_len']} | {r['micro_batch']} | {r['mode']} "
                     f"| {r['per_layer']:,.0f} | {k:,.0f} | {err} | {saved} | {r['per_layer_peak']:,.0f} |")
    fl = result.get("sdpa_flops") or {}
    if "counted" in fl:
        lines.append(f"\nFlopCounterMode with SDPA (flash) on the GPU: {fl['counted']:,} FLOPs; full-mask formula "
                     f"{fl['full_mask_formula']:,}; SDPA formula (5 backward matmuls) {fl['sdpa_formula']:,}")
    elif fl:
        lines.append(f"\nSDPA FLOPs check: {fl.get('error')}")
    for w in result.get("whole_step") or []:
        if not isinstance(w, dict) or "error" in w:
            lines.append(f"\nwhole step: {w}")
            continue
        lines.append(f"\nwhole step {w['shape']['name']} s={w['seq_len']} b={w['micro_batch']} {w['mode']}: "
                     f"peak allocated {w['peak_allocated']:,} B (reserved {w['peak_reserved']:,}); weights "
                     f"{w['weights_bytes']:,} + Adam states {w['optimizer_state_bytes']:,}; held between steps "
                     f"{w['held_between_steps']:,}")
    ms = result["model_state"]
    lines.append(f"\nmodel states (fp32 + Adam, one step): memory_allocated {ms['memory_allocated']:,} B, "
                 f"16 B x {ms['params']:,} params = {ms['expected_16B']:,} B "
                 f"({(ms['memory_allocated'] - ms['expected_16B']) / ms['expected_16B'] * 100:+.3f}%, "
                 f"{ms['param_tensors']} parameter tensors)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=RECORDED, help="JSON file to write (default: %(default)s)")
    args = ap.parse_args(argv)
    result = run()
    print(table(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
