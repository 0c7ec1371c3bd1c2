"""Activation memory: llmplan's rules (formulas/activations.yaml) against torch.cuda measurements.

The measurement needs a CUDA GPU (validation/gpu_activations.py). With one, the
suite measures live; without one it says so and compares llmplan's rules with
the figures recorded on a GPU in validation/gpu_activations.json (GPU name,
torch version and date are printed with them). Neither the rules nor the
recorded file are required: each missing piece is reported and skipped.

Rows (per transformer layer, bytes; see gpu_activations.py for the method):

    GPT block as Korthikanti et al. 2022 assume it (LayerNorm, GELU 4h MLP, dropout):
      standard  -> recompute=none, attention_kernel=standard   sbh(34 + 5as/h)   asserted ±1 %
      flash     -> recompute=none, attention_kernel=flash      34·sbh            asserted ±1 %
      selective -> recompute=selective                          34·sbh            asserted ±1 %
      full      -> recompute=full                               2·sbh             asserted ±1 %
    informative: the same block without dropout, and a LLaMA block (RMSNorm, SwiGLU,
    rotary, no dropout), which the Korthikanti constants do not describe; and the whole
    step (embedding, final norm, logits and loss included) against activation_bytes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .common import Row, ask, has_variable

SECTION = "Activation memory"
RECORDED = Path(__file__).with_name("gpu_activations.json")
TOLERANCE = 0.01
MODE_GIVENS = {
    "standard": {"recompute": "none", "attention_kernel": "standard"},
    "flash": {"recompute": "none", "attention_kernel": "flash"},
    "selective": {"recompute": "selective"},
    "full": {"recompute": "full"},
}


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def load(live: bool | None = None) -> tuple[dict[str, Any] | None, str]:
    """(result, how): measured now on a GPU, or the recorded JSON, or None with the reason."""
    if live is None:
        live = cuda_available()
    if live:
        from .gpu_activations import run
        result = run()
        return result, f"measured now on {result['measured_on']}"
    if RECORDED.exists():
        result = json.loads(RECORDED.read_text(encoding="utf-8"))
        return result, (f"no CUDA GPU here: live measurement skipped; comparing with the figures recorded on "
                        f"{result['measured_on']} (torch {result['torch']}, {result['date']}) in "
                        f"validation/gpu_activations.json")
    return None, "no CUDA GPU here and no recorded validation/gpu_activations.json: activation part skipped"


def rules_available() -> bool:
    return has_variable("activation_bytes_per_layer")


def _givens(rec: dict[str, Any], layers: int | None = None) -> dict[str, Any]:
    shape = rec["shape"]
    out = {"seq_len": rec["seq_len"], "micro_batch": rec["micro_batch"], "hidden": shape["hidden"],
           "heads": shape["heads"], **MODE_GIVENS[rec["mode"]]}
    if layers is not None:
        out["layers"] = layers
    return out


def rows(result: dict[str, Any], how: str) -> list[Row]:
    out: list[Row] = []
    src = f"torch.cuda.memory_allocated, {result['measured_on']}" + (" (recorded)" if "recorded" in how else "")
    for rec in result["records"]:
        if "error" in rec or rec["mode"] not in MODE_GIVENS:
            continue
        shape = rec["shape"]
        korthikanti_block = shape["mlp_matrices"] == 2 and shape["dropout"] > 0 and shape["norm_vectors_per_norm"] == 2
        name = f"{shape['name']} s={rec['seq_len']} b={rec['micro_batch']} {rec['mode']}"
        predicted = ask("activation_bytes_per_layer", _givens(rec))["activation_bytes_per_layer"]
        if korthikanti_block:
            out.append(Row(SECTION, f"{name}: per layer", predicted, rec["per_layer"], "B", TOLERANCE,
                           "Korthikanti et al. 2022 block (LayerNorm, GELU 4h, dropout, bf16); allowance for "
                           "softmax statistics (flash: 4·a·s·b B), RNG state and 512-B allocator rounding", src,
                           {"group": f"GPT block (Korthikanti), {rec['mode']}: activation_bytes_per_layer "
                                     f"({', '.join(f'{k}={v}' for k, v in MODE_GIVENS[rec['mode']].items())})"}))
        else:
            why = ("no dropout: no masks (2·sbh) and one s×s tensor instead of three (2·a·s²·b, not 5)"
                   if shape["mlp_matrices"] == 2 else
                   "LLaMA block: SwiGLU keeps 4 ffn-wide tensors (8·ffn/h·sbh = 21.5 sbh here, GELU 4h: 16), "
                   "no dropout; Korthikanti's constants describe a GPT block")
            out.append(Row(SECTION, f"{name}: per layer", predicted, rec["per_layer"], "B", None, why, src,
                           {"group": f"{shape['name']}, {rec['mode']}: activation_bytes_per_layer (not the "
                                     f"block the rule describes)"}))
    # whole step for the largest GPT point: embedding, final norm, logits, loss are outside the per-layer rule
    gpt = [r for r in result["records"] if r["shape"]["name"] == "gpt-2048" and r["mode"] == "standard"
           and "error" not in r]
    if gpt:
        rec = max(gpt, key=lambda r: r["seq_len"])
        layers = max(int(n) for n in rec["by_layers"])
        predicted = ask("activation_bytes", _givens(rec, layers))["activation_bytes"]
        out.append(Row(SECTION, f"{rec['shape']['name']} s={rec['seq_len']} b={rec['micro_batch']} standard: "
                       f"whole step, {layers} layers", predicted, rec["by_layers"][str(layers)]["forward_kept"], "B",
                       None, "activation_bytes leaves out the embedding, final norm, logits and loss "
                       "(Korthikanti §4.3), which a short model makes visible", src,
                       {"group": f"{rec['shape']['name']}, {layers} layers: activation_bytes vs everything the "
                                 f"forward pass keeps"}))
    out += whole_step_rows(result, src)
    ms = result.get("model_state")
    if ms:
        sh = ms["shape"]
        givens = {k: sh[k] for k in ("layers", "hidden", "heads", "kv_heads", "ffn_hidden", "vocab_size",
                                     "mlp_matrices", "embedding_copies", "qkv_bias", "attn_out_bias", "mlp_bias",
                                     "lm_head_bias", "norm_vectors_per_norm", "norms_per_layer", "learned_positions")}
        givens.update(head_dim=sh["hidden"] // sh["heads"], precision="fp32", optimizer="adam")
        predicted = ask("model_state_bytes", givens)["model_state_bytes"]
        out.append(Row(SECTION.replace("Activation", "GPU model-state"),
                       f"{sh['name']} fp32 + Adam after one step: model_state_bytes vs memory_allocated",
                       predicted, ms["memory_allocated"], "B", None,
                       f"allocator rounding and CUDA-library workspaces on top of the exact tensor bytes "
                       f"({ms['param_tensors']} parameter tensors)", src,
                       {"group": "fp32 + Adam on the GPU: model_state_bytes vs torch.cuda.memory_allocated"}))
    return out


def whole_step_rows(result: dict[str, Any], src: str) -> list[Row]:
    """Complete training steps of a ~1.3B GPT in pure bf16 + Adam: what stays between steps, and the peak."""
    out: list[Row] = []
    for w in result.get("whole_step") or []:
        if not isinstance(w, dict) or "error" in w or "mode" not in w or w["mode"] not in MODE_GIVENS:
            continue
        sh = w["shape"]
        givens = {k: sh[k] for k in ("layers", "hidden", "heads", "kv_heads", "ffn_hidden", "vocab_size",
                                     "mlp_matrices", "embedding_copies", "qkv_bias", "attn_out_bias", "mlp_bias",
                                     "lm_head_bias", "norm_vectors_per_norm", "norms_per_layer", "learned_positions")}
        givens.update(head_dim=sh["hidden"] // sh["heads"], precision="pure-bf16", optimizer="adam",
                      optimizer_state_bytes_per_param="4 B", seq_len=w["seq_len"], micro_batch=w["micro_batch"],
                      **MODE_GIVENS[w["mode"]])
        got = ask(["memory_per_gpu", "weights_bytes", "optimizer_bytes"], givens)
        name = f"{sh['name']} s={w['seq_len']} b={w['micro_batch']} {w['mode']}"
        if w["mode"] == "standard":
            out.append(Row("GPU model-state memory", f"{name}: weights + Adam states held between steps",
                           got["weights_bytes"] + got["optimizer_bytes"], w["held_between_steps"], "B", 0.001,
                           "pure bf16, Adam states in bf16 (optimizer_state_bytes_per_param = 4 B); gradients "
                           "freed by zero_grad(set_to_none=True); allowance: 512-B allocator rounding", src,
                           {"group": "1.3B GPT, pure bf16 + Adam: weights_bytes + optimizer_bytes vs "
                                     "memory_allocated between steps"}))
        gap = w["peak_allocated"] - got["memory_per_gpu"]
        sbv = w["seq_len"] * w["micro_batch"] * sh["vocab_size"]
        out.append(Row("Whole-step peak memory", f"{name}: memory_per_gpu vs peak of a full step",
                       got["memory_per_gpu"], w["peak_allocated"], "B", None,
                       f"gap {gap / 1e9:.2f} GB = {gap / sbv:.1f}·s·b·vocab bytes: logits and loss (output layer, "
                       "Korthikanti §4.3), not in activation_bytes; memory_overhead defaults to 0", src,
                       {"group": f"1.3B GPT, pure bf16 + Adam, {w['mode']}: memory_per_gpu vs "
                                 f"torch.cuda.max_memory_allocated"}))
    return out

