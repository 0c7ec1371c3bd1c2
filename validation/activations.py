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
    activation_model=generalised (sbh·(16 + k·ffn/h + 2·dropout) + (2 + 3·dropout)·a·s²·b,
    k = 4 GELU / 8 SwiGLU), every block, every mode:
      GPT block, with and without dropout, and with a decoupled head_dim   asserted ±1 %
      LLaMA block (RMSNorm, SwiGLU, rotary, no dropout), also with GQA
      and with a decoupled head_dim (heads·head_dim ≠ hidden)              asserted ±3 %
    informative: Korthikanti's constants on the blocks they do not describe.
    whole forward pass of a 4-layer GPT (embedding, final norm, logits and loss included)
    against activation_bytes_per_gpu (layers + output_activation_bytes)    asserted ±1 %
    whole training steps of a 1.3B GPT: memory_per_gpu against the peak   reported
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .common import Row, ask, has_variable

SECTION = "Activation memory"
RECORDED = Path(__file__).with_name("gpu_activations.json")
TOLERANCE = 0.01
LLAMA_TOLERANCE = 0.03     # generalised rule on a LLaMA block: rotary cos/sin, softmax statistics, allocator
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


def _givens(rec: dict[str, Any], layers: int | None = None, generalised: bool = False) -> dict[str, Any]:
    shape = rec["shape"]
    out = {"seq_len": rec["seq_len"], "micro_batch": rec["micro_batch"], "hidden": shape["hidden"],
           "heads": shape["heads"], "activation_model": "korthikanti", "attention_kernel": "standard",
           **MODE_GIVENS[rec["mode"]]}
    if layers is not None:
        out["layers"] = layers
    if generalised:
        out.update(activation_model="generalised", ffn_hidden=shape["ffn_hidden"],
                   mlp_matrices=shape["mlp_matrices"], dropout=1 if shape["dropout"] > 0 else 0)
        if _decoupled(shape):
            out.update(head_dim=shape["head_dim"], head_dim_rule="free")
    return out


def _decoupled(shape: dict[str, Any]) -> bool:
    return bool(shape.get("head_dim")) and shape["heads"] * shape["head_dim"] != shape["hidden"]


def _block(shape: dict[str, Any]) -> str:
    extra = []
    if shape["kv_heads"] != shape["heads"]:
        extra.append(f"GQA {shape['heads']}/{shape['kv_heads']}")
    if _decoupled(shape):
        extra.append(f"head_dim {shape['head_dim']}, heads·head_dim {shape['heads'] * shape['head_dim']} "
                     f"≠ hidden {shape['hidden']}")
    more = f", {', '.join(extra)}" if extra else ""
    if shape["mlp_matrices"] == 3:
        return f"LLaMA block (RMSNorm, SwiGLU, rotary, no dropout{more})"
    if shape["dropout"] > 0:
        return f"GPT block (dropout{more})" if more else "GPT block (dropout: Korthikanti's block)"
    return f"GPT block without dropout{more}"


def _arch(shape: dict[str, Any]) -> dict[str, Any]:
    out = {k: shape[k] for k in ("layers", "hidden", "heads", "kv_heads", "ffn_hidden", "vocab_size", "mlp_matrices",
                                 "embedding_copies", "qkv_bias", "attn_out_bias", "mlp_bias", "lm_head_bias",
                                 "norm_vectors_per_norm", "norms_per_layer", "learned_positions")}
    out["head_dim"] = shape["head_dim"] or shape["hidden"] // shape["heads"]
    out["dropout"] = 1 if shape.get("dropout") else 0
    if _decoupled(shape):
        out["head_dim_rule"] = "free"
    return out


def rows(result: dict[str, Any], how: str) -> list[Row]:
    out: list[Row] = []
    src = f"torch.cuda.memory_allocated, {result['measured_on']}" + (" (recorded)" if "recorded" in how else "")
    for rec in result["records"]:
        if "error" in rec or rec["mode"] not in MODE_GIVENS:
            continue
        shape = rec["shape"]
        korthikanti_block = shape["mlp_matrices"] == 2 and shape["dropout"] > 0 and shape["norm_vectors_per_norm"] == 2 \
            and not _decoupled(shape)
        name = f"{shape['name']} s={rec['seq_len']} b={rec['micro_batch']} {rec['mode']}"
        predicted = ask("activation_bytes_per_layer", _givens(rec))["activation_bytes_per_layer"]
        if korthikanti_block:
            out.append(Row(SECTION, f"{name}: per layer", predicted, rec["per_layer"], "B", TOLERANCE,
                           "Korthikanti et al. 2022 block (LayerNorm, GELU 4h, dropout, bf16); allowance for "
                           "softmax statistics (flash: 4·a·s·b B), RNG state and 512-B allocator rounding", src,
                           {"group": f"GPT block (Korthikanti), {rec['mode']}: activation_bytes_per_layer "
                                     f"({', '.join(f'{k}={v}' for k, v in MODE_GIVENS[rec['mode']].items())})"}))
        else:
            k = 4 * (shape["mlp_matrices"] - 1) * shape["ffn_hidden"] / shape["hidden"]
            why = ("head_dim decoupled: q, k, v and the projection input are heads·head_dim wide, not h"
                   if _decoupled(shape) and shape["dropout"] > 0 else
                   "no dropout: no masks (2·sbh) and one s×s tensor instead of three (2·a·s²·b, not 5)"
                   if shape["mlp_matrices"] == 2 else
                   f"LLaMA block: SwiGLU keeps 4 ffn-wide tensors ({k:g}·sbh here, GELU 4h: 16), "
                   "no dropout; Korthikanti's constants describe a GPT block")
            out.append(Row(SECTION, f"{name}: per layer, activation_model=korthikanti", predicted, rec["per_layer"],
                           "B", None, why + " — use activation_model=generalised", src,
                           {"group": f"{shape['name']}, {rec['mode']}: activation_bytes_per_layer with the default "
                                     f"activation_model=korthikanti (not the block it describes)"}))
        llama = shape["mlp_matrices"] == 3
        general = ask("activation_bytes_per_layer", _givens(rec, generalised=True))["activation_bytes_per_layer"]
        k = 4 * (shape["mlp_matrices"] - 1)
        out.append(Row(SECTION, f"{name}: per layer, activation_model=generalised", general, rec["per_layer"], "B",
                       LLAMA_TOLERANCE if llama else TOLERANCE,
                       f"sbh·(16 + {k}·ffn/h + 2·dropout) + (2 + 3·dropout)·a·s²·b, dropout = "
                       f"{1 if shape['dropout'] > 0 else 0}"
                       + (" (16·sbh → 8·sbh + 8·s·b·heads·head_dim)" if _decoupled(shape) else "")
                       + ("; GQA stored at full width (this model repeats the kv heads)"
                          if shape["kv_heads"] != shape["heads"] else "")
                       + "; allowance: softmax statistics (flash), "
                       + ("rotary cos/sin tables, " if llama else "") + "RNG state, 512-B allocator rounding", src,
                       {"group": f"{_block(shape)}, {rec['mode']}: activation_bytes_per_layer, "
                                 f"activation_model=generalised"}))
    # whole forward pass for the largest GPT point: embedding, final norm, logits and loss on top of the layers
    gpt = [r for r in result["records"] if r["shape"]["name"] == "gpt-2048" and r["mode"] == "standard"
           and "error" not in r]
    if gpt:
        rec = max(gpt, key=lambda r: r["seq_len"])
        layers = max(int(n) for n in rec["by_layers"])
        givens = {**_givens(rec, layers), "vocab_size": rec["shape"]["vocab_size"]}
        got = ask(["activation_bytes_per_gpu", "activation_bytes", "output_activation_bytes"], givens)
        kept = rec["by_layers"][str(layers)]["forward_kept"]
        grp = f"{rec['shape']['name']}, {layers} layers: everything the forward pass keeps"
        out.append(Row(SECTION, f"{rec['shape']['name']} s={rec['seq_len']} b={rec['micro_batch']} standard: "
                       f"whole forward pass, {layers} layers: activation_bytes_per_gpu", got["activation_bytes_per_gpu"],
                       kept, "B", TOLERANCE,
                       "layers + output_activation_bytes (final norm and lm_head inputs 4·sbh, fp32 log-probabilities "
                       "4·s·b·v: Korthikanti §4.3); left out: the embedding's dropout mask (s·b·h bytes)", src,
                       {"group": grp + " vs activation_bytes_per_gpu (layers + output layer)"}))
        out.append(Row(SECTION, f"{rec['shape']['name']} s={rec['seq_len']} b={rec['micro_batch']} standard: "
                       f"whole forward pass, {layers} layers: layers only (without output_activation_bytes)",
                       got["activation_bytes"] - got["output_activation_bytes"], kept, "B", None,
                       "layers × activation_bytes_per_layer alone, as before output_activation_bytes "
                       f"({got['output_activation_bytes'] / 1e6:,.0f} MB here) was added", src,
                       {"group": grp + " vs the layers alone (before output_activation_bytes)"}))
    out += recompute_peak_rows(result, src)
    out += whole_step_rows(result, src)
    ms = result.get("model_state")
    if ms:
        sh = ms["shape"]
        givens = _arch(sh)
        givens.update(precision="fp32", optimizer="adam")
        predicted = ask("model_state_bytes", givens)["model_state_bytes"]
        out.append(Row(SECTION.replace("Activation", "GPU model-state"),
                       f"{sh['name']} fp32 + Adam after one step: model_state_bytes vs memory_allocated",
                       predicted, ms["memory_allocated"], "B", None,
                       f"allocator rounding and CUDA-library workspaces on top of the exact tensor bytes "
                       f"({ms['param_tensors']} parameter tensors)", src,
                       {"group": "fp32 + Adam on the GPU: model_state_bytes vs torch.cuda.memory_allocated"}))
    return out


def recompute_peak_rows(result: dict[str, Any], src: str) -> list[Row]:
    """Issue #14: with recomputation the peak of a step holds the checkpoints, the one layer being rebuilt
    (activations.recompute_working_bytes) and the output layer. Compared with the peak above the model
    state of forward + backward (peak_extra, 4 layers), with the per-tensor (generalised) rule and the
    eager kernel these records used."""
    out: list[Row] = []
    for rec in result["records"]:
        if "error" in rec or rec["mode"] not in ("full", "selective"):
            continue
        shape = rec["shape"]
        layers = max(int(n) for n in rec["by_layers"])
        givens = {**_arch(shape), "layers": layers, "seq_len": rec["seq_len"], "micro_batch": rec["micro_batch"],
                  "attention_kernel": "standard", "recompute": rec["mode"]}
        got = ask(["activation_bytes", "recompute_working_bytes"], givens)
        peak = rec["by_layers"][str(layers)]["peak_extra"]
        name = f"{shape['name']} s={rec['seq_len']} b={rec['micro_batch']} {rec['mode']}, {layers} layers"
        out.append(Row("Recomputation peak", f"{name}: activation_bytes (with the layer being recomputed)",
                       got["activation_bytes"], peak, "B", None,
                       f"checkpoints + one rebuilt layer ({got['recompute_working_bytes'] / 1e6:,.0f} MB) + output "
                       "layer; not in the rule: the rebuilt layer's backward transients (score gradients with the "
                       "eager kernel grow with s)", src,
                       {"group": "peak of forward + backward with recomputation vs activation_bytes"}))
        out.append(Row("Recomputation peak", f"{name}: without the rebuilt layer (before issue #14)",
                       got["activation_bytes"] - got["recompute_working_bytes"], peak, "B", None,
                       "checkpoints and output layer only", src,
                       {"group": "peak with recomputation vs checkpoints + output layer only"}))
    return out


def whole_step_rows(result: dict[str, Any], src: str) -> list[Row]:
    """Complete training steps of a ~1.3B GPT in pure bf16 + Adam: what stays between steps, and the peak."""
    out: list[Row] = []
    for w in result.get("whole_step") or []:
        if not isinstance(w, dict) or "error" in w or "mode" not in w or w["mode"] not in MODE_GIVENS:
            continue
        sh = w["shape"]
        givens = _arch(sh)
        givens.update(precision="pure-bf16", optimizer="adam-bf16", seq_len=w["seq_len"],
                      micro_batch=w["micro_batch"], **{"attention_kernel": "standard", **MODE_GIVENS[w["mode"]]})
        got = ask(["memory_per_gpu", "weights_bytes", "optimizer_bytes", "grads_bytes", "output_activation_bytes"],
                  givens)
        name = f"{sh['name']} s={w['seq_len']} b={w['micro_batch']} {w['mode']}"
        if w["mode"] == "standard":
            out.append(Row("GPU model-state memory", f"{name}: weights + Adam states held between steps",
                           got["weights_bytes"] + got["optimizer_bytes"], w["held_between_steps"], "B", 0.001,
                           "precision=pure-bf16, optimizer=adam-bf16 (bf16 states, 4 B); gradients "
                           "freed by zero_grad(set_to_none=True); allowance: 512-B allocator rounding", src,
                           {"group": "1.3B GPT, pure bf16 + Adam (optimizer=adam-bf16): weights_bytes + "
                                     "optimizer_bytes vs memory_allocated between steps"}))
        gap = w["peak_allocated"] - got["memory_per_gpu"]
        sbv = w["seq_len"] * w["micro_batch"] * sh["vocab_size"]
        out.append(Row("Whole-step peak memory", f"{name}: memory_per_gpu vs peak of a full step",
                       got["memory_per_gpu"], w["peak_allocated"], "B", None,
                       f"memory_per_gpu includes output_activation_bytes {got['output_activation_bytes'] / 1e9:.2f} GB "
                       f"(4·sbh + 4·s·b·v, Korthikanti §4.3); gap {gap / 1e9:+.2f} GB: the peak is the loss's "
                       f"backward, where two more fp32 s·b·v tensors (gradients of the log-probabilities and logits, "
                       f"8·s·b·v = {8 * sbv / 1e9:.2f} GB) are live before any parameter gradient "
                       f"({got['grads_bytes'] / 1e9:.2f} GB, counted in full by llmplan) is allocated "
                       f"(8·s·b·v − grads = {(8 * sbv - got['grads_bytes']) / 1e9:+.2f} GB); memory_overhead "
                       "defaults to 0", src,
                       {"group": f"1.3B GPT, pure bf16 + Adam, {w['mode']}: memory_per_gpu vs "
                                 f"torch.cuda.max_memory_allocated"}))
    return out

