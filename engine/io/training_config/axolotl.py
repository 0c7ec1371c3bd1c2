"""axolotl YAML -> llmplan givens.

Defaults for keys the file leaves out, read from axolotl's pydantic schema at v0.18.0-9
(axolotl-ai-cloud/axolotl commit 067b021c8b87a9e5e380b9173c704cf7340e30f5):
  sequence_len = 512                      src/axolotl/utils/schemas/config.py:665
  sample_packing = None (off)             config.py:688
  pad_to_sequence_len = None              config.py:722 (true: each batch padded to sequence_len, llmplan's
                                          pad_to=max_length; else to its longest sample, core/builders/causal.py:387)
  bf16 = "auto" (bf16 on Ampere+), fp16 = None          config.py:559, :565
  gradient_checkpointing = False          config.py:600
  flash_attention / attn_implementation = None  config.py:803, :839 (Transformers then picks SDPA,
                                          which stores no score matrices)
  micro_batch_size = 1, gradient_accumulation_steps = 1  schemas/training.py:77, :71
  num_epochs = 1.0                        training.py:267
  optimizer = "adamw_torch_fused"         training.py:122
  adapter = None (full fine-tune), load_in_4bit = load_in_8bit = False   schemas/peft.py:31-45
  lora_r, lora_target_modules = None: PEFT's LoraConfig defaults apply (r = 8; q_proj, v_proj for
                                          LLaMA), which are llmplan's own defaults, so nothing is filled.
"""
from __future__ import annotations

from ...messages import keyed, said_text
from .deepspeed import read_deepspeed
from .errors import TrainingConfigError
from .fsdp import read_fsdp
from .llamafactory import resolve_reference
from .model import ConfigRead, Keys, held_out
from .source import Located, read_file
from .vocabulary import all_linear, fused_note, lora_targets, optimizer

AX = "axolotl v0.18.0 (commit 067b021)"
HF = "Transformers TrainingArguments (commit 00349ae)"
_ATTENTION = {"eager": "standard", "sdpa": "flash", "flash_attention_2": "flash", "flash_attention_3": "flash",
              "flex_attention": "flash", "flash": "flash"}


def is_axolotl(root: Located) -> bool:
    keys = set(root.value)
    return "base_model" in keys or {"datasets", "micro_batch_size"} <= keys or "sequence_len" in keys


def read_axolotl(root: Located, out: ConfigRead) -> None:
    keys = Keys(root)
    model = keys.text("base_model")
    if model is None:
        raise keyed(TrainingConfigError, "training.no_base_model", path=root.path)
    out.fill("model", model[0], model[1], "base_model")
    _method(keys, out)
    _batch(keys, out)
    _runtime(keys, out)
    _distributed(keys, out, root)
    out.ignored += keys.ignored()


def _method(keys: Keys, out: ConfigRead) -> None:
    adapter = keys.choice("adapter", {"lora": "lora", "qlora": "qlora"})
    four = keys.flag("load_in_4bit")
    eight = keys.flag("load_in_8bit")
    if adapter is None:
        if (four and four[0]) or (eight and eight[0]):
            raise keyed(TrainingConfigError, "training.quantized_full",
                        where=(four if four and four[0] else eight)[1])   # type: ignore[index]
        out.fill("method", "full", f"{AX} default adapter = None (every weight trained, schemas/peft.py:41)",
                 "adapter", True)
        return
    if adapter[0] == "qlora" or (four and four[0]):
        where, key = (four[1], "load_in_4bit") if four and four[0] else (adapter[1], "adapter")
        out.fill("method", "qlora", where, key)
    elif eight and eight[0]:
        out.fill("method", "qlora-8bit", eight[1], "load_in_8bit")
    else:
        out.fill("method", "lora", adapter[1], "adapter")
    rank = keys.integer("lora_r")
    if rank is not None:
        out.fill("lora_rank", rank[0], rank[1], "lora_r")
    linear = keys.flag("lora_target_linear")
    modules = keys.node("lora_target_modules")
    model = str(out.givens["model"].value)
    if linear is not None and linear[0]:
        every = all_linear(model)
        out.fill("lora_targets", every, linear[1] + fused_note(every), "lora_target_linear")
    elif modules is not None:
        names = [str(m.value) for m in modules.value] if isinstance(modules.value, list) \
            else str(modules.value).split(",")
        chosen = lora_targets(names, model)
        if chosen is None:
            out.cannot_model("lora_targets", said_text("training.lora_target_modules", where=modules.where,
                                                       value=names))
        else:
            out.fill("lora_targets", chosen, modules.where, "lora_target_modules")
    keys.taken |= {"lora_alpha", "lora_dropout", "lora_model_dir", "lora_fan_in_fan_out"}


def _batch(keys: Keys, out: ConfigRead) -> None:
    for key, name, default, source in (("micro_batch_size", "micro_batch", 1, "schemas/training.py:77"),
                                       ("gradient_accumulation_steps", "grad_accum", 1, "schemas/training.py:71"),
                                       ("sequence_len", "seq_len", 512, "schemas/config.py:665")):
        got = keys.integer(key)
        if got is None:
            out.fill(name, default, f"{AX} default {key} = {default} ({source})", key, True)
        else:
            out.fill(name, got[0], got[1], key)
    steps = keys.integer("max_steps", low=None)
    epochs = keys.number("num_epochs")
    if steps is not None and steps[0] > 0:
        out.fill("steps", steps[0], steps[1], "max_steps")
    elif epochs is None:
        out.fill("epochs", 1.0, f"{AX} default num_epochs = 1.0 (schemas/training.py:267)", "num_epochs", True)
    else:
        out.fill("epochs", epochs[0], epochs[1], "num_epochs")
    # val_set_size (schemas/config.py, default 0.0) is split off the training data (utils/data/sft.py
    # _handle_train_dataset_split: int if > 1, else a share, to datasets' train_test_split)
    out.held_out = held_out(keys, "val_set_size", f"{AX} utils/data/sft.py _handle_train_dataset_split")
    packing = keys.flag("sample_packing")
    out.fill("packing", "on" if packing and packing[0] else "off",
             packing[1] if packing else f"{AX} default sample_packing = None (off, schemas/config.py:688)",
             "sample_packing", packing is None)
    padded = keys.flag("pad_to_sequence_len")   # (unset or false: the longest of each batch, llmplan's default)
    if padded is not None and padded[0]:
        out.fill("pad_to", "max_length", padded[1], "pad_to_sequence_len")


def _runtime(keys: Keys, out: ConfigRead) -> None:
    bf16 = keys.node("bf16")
    fp16 = keys.flag("fp16")
    if bf16 is not None and not isinstance(bf16.value, bool) and str(bf16.value).lower() not in ("auto", "full"):
        raise keyed(TrainingConfigError, "training.bf16", where=bf16.where, value=bf16.value)
    if fp16 is not None and fp16[0]:
        out.fill("precision", "mixed-fp16", fp16[1], "fp16")
    elif bf16 is None:
        out.fill("precision", "mixed-bf16", f"{AX} default bf16 = auto (bf16 on GPUs that support it, "
                 "schemas/config.py:559)", "bf16", True)
    else:
        out.fill("precision", "fp32" if bf16.value is False else "mixed-bf16", bf16.where, "bf16")
    name = keys.text("optimizer")
    if name is None:
        out.fill("optimizer", "adam", f"{AX} default optimizer = adamw_torch_fused (schemas/training.py:122)",
                 "optimizer", True)
    elif optimizer(name[0]) is None:
        out.cannot_model("optimizer", said_text("training.unknown_optimizer", where=name[1], key="optimizer",
                                                 value=name[0]))
    else:
        out.fill("optimizer", optimizer(name[0]), name[1], "optimizer")
    checkpointing = keys.node("gradient_checkpointing")
    if checkpointing is None:
        out.fill("recompute", "none", f"{AX} default gradient_checkpointing = false (schemas/config.py:600)",
                 "gradient_checkpointing", True)
    elif checkpointing.value is True or str(checkpointing.value) in ("offload", "offload_disk"):
        out.fill("recompute", "full", checkpointing.where, "gradient_checkpointing")
    elif checkpointing.value is False:
        out.fill("recompute", "none", checkpointing.where, "gradient_checkpointing")
    else:
        raise keyed(TrainingConfigError, "training.checkpointing", where=checkpointing.where, value=checkpointing.value)
    _attention(keys, out)
    fused = keys.flag("liger_fused_linear_cross_entropy")
    if fused is not None and fused[0]:   # (Liger's plugin: the loss in chunks, the logits never whole)
        out.fill("logit_bytes", 0, fused[1], "liger_fused_linear_cross_entropy")
    out.fill("tp", 1, f"{HF}: data parallelism only (no tensor parallelism)", "", True)
    out.fill("pp", 1, f"{HF}: data parallelism only (no pipeline parallelism)", "", True)


def _attention(keys: Keys, out: ConfigRead) -> None:
    implementation = keys.choice("attn_implementation", _ATTENTION)
    if implementation is not None:
        out.fill("attention_kernel", implementation[0], implementation[1], "attn_implementation")
        return
    for key in ("flash_attention", "sdp_attention", "flex_attention"):
        flag = keys.flag(key)
        if flag is not None and flag[0]:
            out.fill("attention_kernel", "flash", flag[1], key)
            return
    eager = keys.flag("eager_attention")
    if eager is not None and eager[0]:
        out.fill("attention_kernel", "standard", eager[1], "eager_attention")
        return
    out.fill("attention_kernel", "flash", f"{AX}: no attention key; Transformers' default SDPA stores no score "
             "matrices", "attn_implementation", True)


def _distributed(keys: Keys, out: ConfigRead, root: Located) -> None:
    deepspeed = keys.node("deepspeed")
    fsdp = keys.mapping("fsdp_config")
    version = keys.integer("fsdp_version")
    if deepspeed is not None:

        if isinstance(deepspeed.value, dict):
            read_deepspeed(deepspeed, out, deepspeed.where)
        else:
            path = resolve_reference(str(deepspeed.value), root.path)
            if path is None:
                raise keyed(TrainingConfigError, "training.deepspeed_file_missing", where=deepspeed.where,
                            key="deepspeed file", value=deepspeed.value, folder=root.path.parent)
            out.files.append(path)
            read_deepspeed(read_file(path), out, deepspeed.where)
    elif fsdp is not None:
        read_fsdp(fsdp, out, version[0] if version else 1)
    else:
        out.offer("zero_stage", "0", f"{AX}: no deepspeed or fsdp_config, plain data parallelism (DDP)",
                  "deepspeed", True)
        out.offer("offload", "none", f"{AX}: no deepspeed or fsdp_config, no offload", "deepspeed", True)
