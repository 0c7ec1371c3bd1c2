"""Framework words -> llmplan keys: optimizers, LoRA target modules, precision flags.

The framework names come from their sources: Hugging Face Transformers `OptimizerNames`
(src/transformers/training_args.py, commit 00349ae), which LLaMA-Factory (`optim`) and axolotl
(`optimizer`) both pass through; LoRA module names of the LLaMA-style Hugging Face models
(q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj).
"""
from __future__ import annotations

# Transformers OptimizerNames -> catalogs/optimizers.yaml keys. AdamW keeps two fp32 moments
# whatever the name (fused, apex, paged 32-bit); the bitsandbytes 8-bit variants keep 8-bit moments.
OPTIMIZERS = {
    "adamw_torch": "adam", "adamw_torch_fused": "adam", "adamw_hf": "adam", "adamw_apex_fused": "adam",
    "adamw_torch_xla": "adam", "adamw_torch_npu_fused": "adam", "adamw_anyprecision": "adam",
    "paged_adamw_32bit": "adam", "stable_adamw": "adam", "adamw": "adam", "adam": "adam",
    "adamw_bnb_8bit": "adam-8bit", "adamw_8bit": "adam-8bit", "paged_adamw_8bit": "adam-8bit",
    "adamw_torch_8bit": "adam-8bit",
    "sgd": "sgd", "adafactor": "adafactor", "lion_32bit": "lion", "paged_lion_32bit": "lion",
}

# LoRA target module sets -> lora_targets (formulas/finetune.yaml). Baichuan and Baichuan 2 fuse q, k and v
# into one W_pack = nn.Linear(hidden, 3·hidden) (modeling_baichuan.py); LLaMA-Factory's README gives W_pack as
# their lora_target, alone or with o_proj and the MLP.
_ATTENTION = {"q_proj", "k_proj", "v_proj", "o_proj"}
_MLP = {"gate_proj", "up_proj", "down_proj"}
LORA_SETS = {
    frozenset({"q_proj", "v_proj"}): "qv",
    frozenset(_ATTENTION): "qkvo",
    frozenset(_ATTENTION | _MLP): "all-linear",
    frozenset({"W_pack"}): "qkv-fused",
    frozenset({"W_pack", "o_proj"}): "qkv-fused-o",
    frozenset({"W_pack", "o_proj"} | _MLP): "all-linear-fused",
}


def lora_targets(modules: list[str], model: str = "") -> str | None:
    """qv / qkvo / all-linear (qkv-fused / qkv-fused-o / all-linear-fused with Baichuan's W_pack) for a list
    of target modules, None when llmplan has no such set; `all` as all_linear(model) says."""
    names = {m.strip() for m in modules if m.strip()}
    if names & {"all", "all-linear", "all_linear"}:
        return all_linear(model)
    if "baichuan" in model.lower() and names & {"q_proj", "k_proj", "v_proj"}:
        return None   # (Baichuan has no q/k/v_proj, only the fused W_pack: PEFT stops, "target modules not found")
    return LORA_SETS.get(frozenset(names))


def all_linear(model: str) -> str:
    """Every linear layer the model has (LLaMA-Factory's `all`: find_all_linear_modules; axolotl's
    lora_target_linear): for Baichuan and Baichuan 2, whose attention is one fused W_pack, all-linear-fused.
    Told by the model id; a local folder is not looked into."""
    return "all-linear-fused" if "baichuan" in model.lower() else "all-linear"


def fused_note(chosen: str) -> str:
    """The origin's words for a set llmplan chose by the model id."""
    return " (Baichuan, whose q, k, v are one fused W_pack)" if chosen == "all-linear-fused" else ""


def optimizer(name: str) -> str | None:
    return OPTIMIZERS.get(name.strip().lower())


def precision(bf16: bool, fp16: bool, pure_bf16: bool = False) -> str:
    """catalogs/precisions.yaml key for the Trainer's flags (bf16/fp16 = torch autocast with fp32 master
    weights; pure_bf16 = LLaMA-Factory's bf16 weights without autocast; neither = fp32 training)."""
    if pure_bf16:
        return "pure-bf16"
    if bf16:
        return "mixed-bf16"
    if fp16:
        return "mixed-fp16"
    return "fp32"
