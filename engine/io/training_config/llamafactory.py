"""LLaMA-Factory training YAML -> llmplan givens.

Defaults for keys the file leaves out, read from LLaMA-Factory's source at version 0.9.4.dev0
(hiyouga/LLaMA-Factory commit 000526908ae92cc1567130559f04a3436855e0cd, 2025-12-31, the last commit
with examples/train_lora/llama3_lora_sft.yaml) and from the Transformers TrainingArguments it
extends (huggingface/transformers src/transformers/training_args.py, commit 00349ae):
  finetuning_type = "lora"             hparams/finetuning_args.py:464
  lora_rank = 8, lora_target = "all"   hparams/finetuning_args.py:77, :81
  freeze_trainable_layers = 2          hparams/finetuning_args.py:23
  cutoff_len = 2048                    hparams/data_args.py:46
  packing = (stage == "pt")            hparams/parser.py:462 (neat_packing implies packing, data_args.py:179)
  flash_attn = "auto"                  hparams/model_args.py:116 (FlashAttention-2 if installed, else SDPA:
                                       model/model_utils/attention.py) -> no stored score matrices
  gradient checkpointing on            model/model_utils/checkpointing.py (unless disable_gradient_checkpointing,
                                       model_args.py:144; every decoder layer recomputed = recompute=full)
  per_device_train_batch_size = 8, gradient_accumulation_steps = 1, num_train_epochs = 3.0,
  bf16 = fp16 = False, optim = "adamw_torch" (AdamW, fp32 moments)      Transformers TrainingArguments
  quantization_bit -> QLoRA (bitsandbytes, nf4 + double quantization by default, model_args.py:285-294);
  LLaMA-Factory allows it only with finetuning_type lora/oft (hparams/parser.py:125).
"""
from __future__ import annotations

from pathlib import Path

from ...messages import keyed, said_text
from .deepspeed import read_deepspeed
from .errors import TrainingConfigError
from .model import ConfigRead, Keys, held_out
from .source import Located, read_file
from .vocabulary import all_linear, fused_note, lora_targets, optimizer, precision

LF = "LLaMA-Factory 0.9.4.dev0 (commit 0005269)"
HF = "Transformers TrainingArguments (commit 00349ae)"
_METHODS = {"full": "full", "freeze": "freeze", "lora": "lora", "oft": None}
_QUANT = {4: "qlora", 8: "qlora-8bit", 2: "qlora-2bit"}
_ATTENTION = {"auto": "flash", "fa2": "flash", "fa3": "flash", "sdpa": "flash", "disabled": "standard"}


def is_llamafactory(root: Located) -> bool:
    keys = set(root.value)
    return "model_name_or_path" in keys or "finetuning_type" in keys or {"stage", "template"} <= keys


def read_llamafactory(root: Located, out: ConfigRead) -> None:
    keys = Keys(root)
    model = keys.text("model_name_or_path")
    if model is None:
        raise keyed(TrainingConfigError, "training.no_model_path", path=root.path)
    out.fill("model", model[0], model[1], "model_name_or_path")
    stage = keys.text("stage")
    _method(keys, out, root)
    _batch(keys, out, stage[0] if stage else "sft")
    _runtime(keys, out)
    deepspeed = keys.text("deepspeed")
    out.ignored += keys.ignored()
    if deepspeed is not None:
        _deepspeed(deepspeed, root.path, out)
    else:
        out.offer("zero_stage", "0", f"{HF}: no deepspeed key, plain data parallelism (DDP)", "deepspeed", True)
        out.offer("offload", "none", f"{HF}: no deepspeed key, no offload", "deepspeed", True)


def _method(keys: Keys, out: ConfigRead, root: Located) -> None:
    kind = keys.choice("finetuning_type", {k: k for k in _METHODS})
    method, where = kind if kind else ("lora", f"{LF} default finetuning_type = lora (hparams/finetuning_args.py:464)")
    bits = keys.integer("quantization_bit")
    keys.taken |= {"quantization_method", "quantization_type", "double_quantization"}
    if method == "oft":
        out.cannot_model("method", said_text("training.oft", where=where))
        return
    if bits is not None:
        if method != "lora":
            raise keyed(TrainingConfigError, "training.quantization_needs_lora", where=bits[1])
        if bits[0] not in _QUANT:
            out.cannot_model("method", said_text("training.quantization_bits", where=bits[1], bits=bits[0]))
        else:
            out.fill("method", _QUANT[bits[0]], bits[1], "quantization_bit")
    else:
        out.fill("method", method, where, "finetuning_type", kind is None)
    if method == "lora":
        _lora(keys, out)
    elif method == "freeze":
        layers = keys.integer("freeze_trainable_layers", low=None)
        if layers is None:
            out.fill("trainable_layers", 2, f"{LF} default freeze_trainable_layers = 2 (finetuning_args.py:23)",
                     "freeze_trainable_layers", True)
        elif layers[0] == 0:
            raise keyed(TrainingConfigError, "training.freeze_zero", where=layers[1])
        else:   # negative: the first |n| layers are trained (same count)
            out.fill("trainable_layers", abs(layers[0]), layers[1], "freeze_trainable_layers")


def _lora(keys: Keys, out: ConfigRead) -> None:
    rank = keys.integer("lora_rank")
    if rank is None:
        out.fill("lora_rank", 8, f"{LF} default lora_rank = 8 (finetuning_args.py:77)", "lora_rank", True)
    else:
        out.fill("lora_rank", rank[0], rank[1], "lora_rank")
    target = keys.text("lora_target")
    model = str(out.givens["model"].value) if "model" in out.givens else ""
    if target is None:
        every = all_linear(model)
        out.fill("lora_targets", every, f"{LF} default lora_target = all (finetuning_args.py:81)"
                 + fused_note(every), "lora_target", True)
        return
    chosen = lora_targets(target[0].split(","), model)
    if chosen is None:
        out.cannot_model("lora_targets", said_text("training.lora_target", where=target[1], value=target[0]))
    else:
        out.fill("lora_targets", chosen, target[1] + (fused_note(chosen) if "all" in target[0] else ""),
                 "lora_target")


def _batch(keys: Keys, out: ConfigRead, stage: str) -> None:
    _int(keys, out, "per_device_train_batch_size", "micro_batch", 8, HF)
    _int(keys, out, "gradient_accumulation_steps", "grad_accum", 1, HF)
    _int(keys, out, "cutoff_len", "seq_len", 2048, f"{LF} (data_args.py:46)")
    epochs = keys.number("num_train_epochs")
    steps = keys.integer("max_steps", low=None)
    if steps is not None and steps[0] > 0:   # max_steps overrides the epochs (TrainingArguments)
        out.fill("steps", steps[0], steps[1], "max_steps")
    elif epochs is None:
        out.fill("epochs", 3.0, f"{HF} default num_train_epochs = 3.0", "num_train_epochs", True)
    else:
        out.fill("epochs", epochs[0], epochs[1], "num_train_epochs")
    _samples(keys, out)
    neat = keys.flag("neat_packing")
    packing = keys.flag("packing")
    if neat is not None and neat[0]:
        out.fill("packing", "on", neat[1], "neat_packing")
    elif packing is not None:
        out.fill("packing", "on" if packing[0] else "off", packing[1], "packing")
    else:
        out.fill("packing", "on" if stage == "pt" else "off",
                 f"{LF} default packing = (stage == pt) (hparams/parser.py:462)", "packing", True)


def _samples(keys: Keys, out: ConfigRead) -> None:
    """samples = the examples max_samples allows, less the evaluation split val_size takes from them.

    max_samples caps each dataset (data/loader.py: the dataset's own size if smaller), so several datasets
    give at most max_samples each; split_dataset (data/data_utils.py) then holds val_size out of the merged
    datasets (a share in (0, 1), or a count; hparams/data_args.py: "an integer or a float in range [0,1)")."""
    out.held_out = held_out(keys, "val_size", f"{LF} data/data_utils.py split_dataset")
    samples = keys.integer("max_samples")
    if samples is None:
        return
    datasets = keys.text("dataset")
    count = len([d for d in datasets[0].split(",") if d.strip()]) if datasets else 1
    total = samples[0] * count
    cap = f"max_samples {samples[0]:,}" + (f" per dataset × {count}" if count > 1 else "") \
        + " is a cap, each dataset's own size if smaller"
    key = "max_samples" + (f" × {count} datasets" if count > 1 else "")
    split = out.held_out
    if split is None:
        out.fill("samples", total, f"{samples[1]} ({cap})", key)
        return
    removed = split.count(total)
    if removed >= total:
        raise keyed(TrainingConfigError, "training.held_out_all", where=split.where, key=split.key,
                    value=f"{split.value:g}", removed=removed, total=total, other=samples[1])
    out.fill("samples", total - removed, f"{samples[1]} ({cap}; − {split.said} held out for evaluation at "
             f"{split.where}, {removed:,} of {total:,})", f"{key} − {split.key}")


# optimizers whose states take the parameters' dtype, -> their key with bf16 states (catalogs/optimizers.yaml)
_IN_PARAM_DTYPE = {"adam": "adam-bf16", "sgd-momentum": "sgd-momentum-bf16"}
_PURE_STATES = "; with pure_bf16 its states are bf16 (torch.optim.AdamW: zeros_like(param))"


def _frozen_base(out: ConfigRead, on: dict[str, str]) -> None:
    """LoRA, QLoRA, freeze: the base is loaded in the compute dtype the flags choose (model_args.compute_dtype:
    fp16, else bf16), and trainable parameters are cast to fp32 unless pure_bf16 (model/adapter.py,
    cast_trainable_params_to_fp32 = not (pure_bf16 or use_badam))."""
    method = out.givens.get("method")
    if method is None or method.value not in ("lora", "freeze", *_QUANT.values()) or not on:
        return
    out.fill("base_dtype", "fp16" if "fp16" in on else "bf16", next(iter(on.values())), next(iter(on)))
    if "pure_bf16" in on:
        out.fill("trainable_dtype", "bf16", on["pure_bf16"], "pure_bf16")


def _int(keys: Keys, out: ConfigRead, key: str, name: str, default: int, source: str) -> None:
    got = keys.integer(key)
    if got is None:
        out.fill(name, default, f"{source} default {key} = {default}", key, True)
    else:
        out.fill(name, got[0], got[1], key)


def _runtime(keys: Keys, out: ConfigRead) -> None:
    flags = {k: keys.flag(k) for k in ("bf16", "fp16", "pure_bf16")}
    on = {k: v[1] for k, v in flags.items() if v is not None and v[0]}
    chosen = precision("bf16" in on, "fp16" in on, "pure_bf16" in on)
    stated = {k: v[1] for k, v in flags.items() if v is not None}      # `bf16: false` is stated too
    key, where = next(iter(on.items()), next(iter(stated.items()), ("bf16", None)))
    out.fill("precision", chosen, where or f"{HF} default bf16 = fp16 = false (fp32 training)", key, where is None)
    optim = keys.text("optim")
    # pure_bf16 keeps no fp32 copy: torch's AdamW makes its moments with zeros_like(param), bf16 here
    states = _IN_PARAM_DTYPE if chosen == "pure-bf16" else {}
    if optim is None:
        named = "adam"
        out.fill("optimizer", states.get(named, named), f"{HF} default optim = adamw_torch"
                 + (_PURE_STATES if named in states else ""), "optim", True)
    elif optimizer(optim[0]) is None:
        out.cannot_model("optimizer", said_text("training.unknown_optimizer", where=optim[1], key="optim",
                                                value=optim[0]))
    else:
        named = optimizer(optim[0]) or ""
        out.fill("optimizer", states.get(named, named), optim[1] + (_PURE_STATES if named in states else ""),
                 "optim")
    _frozen_base(out, on)
    liger = keys.flag("enable_liger_kernel")
    if liger is not None and liger[0]:
        # Liger's fused linear cross entropy (on for sft/pt in LLaMA-Factory's apply_liger_kernel) computes the
        # loss in chunks and never keeps the logits: none of the 4 B per logit the fp32 cross entropy holds
        out.fill("logit_bytes", 0, liger[1], "enable_liger_kernel")
    attention = keys.choice("flash_attn", _ATTENTION)
    out.fill("attention_kernel", attention[0] if attention else "flash",
             attention[1] if attention
             else f"{LF} default flash_attn = auto (FlashAttention-2 or SDPA, model_args.py:116)",
             "flash_attn", attention is None)
    _checkpointing(keys, out)
    out.fill("tp", 1, f"{HF}: data parallelism only (no tensor parallelism)", "", True)
    out.fill("pp", 1, f"{HF}: data parallelism only (no pipeline parallelism)", "", True)


def _checkpointing(keys: Keys, out: ConfigRead) -> None:
    """recompute: LLaMA-Factory checkpoints every layer unless disable_gradient_checkpointing: true
    (model/model_utils/checkpointing.py prepare_model_for_training). Transformers' own
    `gradient_checkpointing` key is read as what it does there: true asks for what is already on, and
    false does not turn it off (people write it meaning to), which the origin says."""
    disabled = keys.flag("disable_gradient_checkpointing")
    if disabled is not None:
        out.fill("recompute", "none" if disabled[0] else "full", disabled[1], "disable_gradient_checkpointing")
        keys.node("gradient_checkpointing")   # (LLaMA-Factory's own key decides)
        return
    default = (f"{LF} default: gradient checkpointing of every layer (model/model_utils/checkpointing.py; "
               "disable_gradient_checkpointing = false)")
    hf = keys.flag("gradient_checkpointing")
    if hf is None:
        out.fill("recompute", "full", default, "disable_gradient_checkpointing", True)
    elif hf[0]:
        out.fill("recompute", "full", f"{hf[1]} (gradient_checkpointing: true; {LF} checkpoints every layer "
                 "anyway unless disable_gradient_checkpointing: true)", "gradient_checkpointing")
    else:
        out.fill("recompute", "full", f"{default}: gradient_checkpointing: false at {hf[1]} does not turn it off "
                 "(Transformers' key; LLaMA-Factory's is disable_gradient_checkpointing: true)",
                 "disable_gradient_checkpointing", True)


def _deepspeed(ref: tuple[str, str], base: Path, out: ConfigRead) -> None:
    """`deepspeed: path.json`, resolved relative to the YAML's folder, then the working directory."""

    text, where = ref
    path = resolve_reference(text, base)
    if path is None:
        raise keyed(TrainingConfigError, "training.deepspeed_file_missing", where=where, key="deepspeed file",
                    value=text, folder=base.parent or ".")
    out.files.append(path)
    read_deepspeed(read_file(path), out, where)


def resolve_reference(text: str, base: Path) -> Path | None:
    candidate = Path(text).expanduser()
    if candidate.is_absolute():
        return candidate if candidate.is_file() else None
    if (base.parent / candidate).is_file():
        return base.parent / candidate
    return candidate if candidate.is_file() else None   # relative to the working directory, shown as written
