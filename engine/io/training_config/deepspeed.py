"""DeepSpeed JSON -> zero_stage, offload, micro_batch, grad_accum, global_batch, precision.

Defaults for keys the file leaves out, from DeepSpeed's own source (deepspeedai/DeepSpeed
v0.19.5-27-gedaa722, commit edaa7221267243c7be7fb49c5d5f5c4fb97b4641):
  zero_optimization.stage = 0                      deepspeed/runtime/zero/config.py (stage: ZeroStageEnum = 0)
  offload_optimizer/offload_param.device = "none"  deepspeed/runtime/zero/offload_config.py (OffloadDeviceEnum)
  bf16.enabled = fp16.enabled = False              deepspeed/runtime/constants.py (BFLOAT16/FP16_ENABLED_DEFAULT)
A value "auto" is filled by the Hugging Face integration from the framework's own arguments, so it
stays unknown here and comes from the file that referenced this one. An explicit value that
differs from the framework's is refused, as the Transformers integration refuses it
(transformers/integrations/deepspeed.py, HfTrainerDeepSpeedConfig.fill_match: "mismatches").
"""
from __future__ import annotations

from ...messages import keyed, said_text
from .errors import TrainingConfigError
from .model import ConfigRead, Keys
from .source import Located
from .vocabulary import precision

SOURCE = "DeepSpeed v0.19.5 (commit edaa722)"
_OFFLOAD_DEVICES = {"none": False, "cpu": True, "nvme": True}


def is_deepspeed(root: Located) -> bool:
    keys = set(root.value)
    return bool(keys & {"zero_optimization", "train_micro_batch_size_per_gpu", "train_batch_size",
                        "zero_allow_untested_optimizer", "gradient_clipping"}) or \
        (bool(keys & {"fp16", "bf16"}) and isinstance(root.value.get("fp16", root.value.get("bf16")).value, dict))


def read_deepspeed(root: Located, out: ConfigRead, referenced_by: str = "") -> None:
    """Fill out's givens from a DeepSpeed config; with referenced_by (the framework key's file:line),
    explicit values must agree with the framework's."""
    keys = Keys(root)
    out.deepspeed = out.deepspeed or referenced_by or str(root.path)
    _zero(keys, out, root)
    _batch(keys, out, referenced_by)
    _precision(keys, out, referenced_by)
    out.ignored += keys.ignored()
    # A ZeRO config splits over data-parallel ranks only (tensor and pipeline parallelism come from the
    # launcher of Megatron-DeepSpeed, typed there): without these, a train_batch_size that disagrees with
    # micro-batch × accumulation × GPUs was explained by a tensor-parallel degree nobody runs
    out.offer("tp", 1, f"{SOURCE}: ZeRO data parallelism (no tensor parallelism in the config)", "", True)
    out.offer("pp", 1, f"{SOURCE}: ZeRO data parallelism (no pipeline parallelism in the config)", "", True)


def _zero(keys: Keys, out: ConfigRead, root: Located) -> None:
    zero = keys.mapping("zero_optimization")
    if zero is None:
        out.offer("zero_stage", "0", f"{SOURCE} default zero_optimization.stage = 0 (not in {root.path})",
                  "zero_optimization.stage", True)
        out.offer("offload", "none", f"{SOURCE} default: no offload_optimizer / offload_param", "offload", True)
        return
    stage = zero.integer("stage", low=0)
    if stage is None:
        out.offer("zero_stage", "0", f"{SOURCE} default zero_optimization.stage = 0", "zero_optimization.stage", True)
    else:
        if stage[0] > 3:
            raise keyed(TrainingConfigError, "training.zero_stage", where=stage[1], value=stage[0])
        out.offer("zero_stage", str(stage[0]), stage[1], "zero_optimization.stage")
    offload = _offload(zero, out, stage)
    if offload is not None:
        out.offer("offload", *offload)
    out.ignored += zero.ignored()


def _offload(zero: Keys, out: ConfigRead, stage: tuple[int, str] | None) -> tuple[str, str, str, bool] | None:
    """(offload, where, key, default) from offload_optimizer / offload_param (or their deprecated spellings
    cpu_offload / cpu_offload_param, zero/config.py); None when llmplan has no value for the pair."""
    old_optimizer, old_params = _deprecated(zero, "cpu_offload"), _deprecated(zero, "cpu_offload_param")
    optimizer = _offload_device(zero, "offload_optimizer") or old_optimizer
    params = _offload_device(zero, "offload_param") or old_params
    refuse_offload_beyond(stage or (0, f"{SOURCE} default stage 0"), optimizer, params)
    if params is not None and params[0]:
        if optimizer is None or not optimizer[0]:
            out.cannot_model("offload", said_text("training.offload_param_only", where=params[1]))
            return None
        return "optimizer_and_params", params[1], params[2], False
    if optimizer is not None and optimizer[0]:
        return "optimizer", optimizer[1], optimizer[2], False
    if optimizer is None and params is None:
        return "none", f"{SOURCE} default offload device \"none\"", "offload", True
    stated = optimizer or params
    return "none", stated[1], stated[2], False   # type: ignore[index]


def refuse_offload_beyond(stage: tuple[int, str], optimizer: tuple[bool, str, str] | None,
                          params: tuple[bool, str, str] | None) -> None:
    """DeepSpeed offloads what its ZeRO stage partitions (deepspeed/runtime/zero/config.py, DeepSpeedZeroConfig:
    offload_optimizer "Valid for ZeRO stage 1, 2, 3", offload_param "Valid only with stage 3"); stage, optimizer
    and params as (value, file:line[, key]): a file asking for more is refused naming both lines."""
    number, stage_where = stage
    if params is not None and params[0] and number < 3:
        raise keyed(TrainingConfigError, "training.offload_param_stage", where=params[1], key=params[2],
                    stage=number, stage_where=stage_where)
    if optimizer is not None and optimizer[0] and number < 1:
        raise keyed(TrainingConfigError, "training.offload_optimizer_stage", where=optimizer[1], key=optimizer[2],
                    stage_where=stage_where)


def _deprecated(zero: Keys, key: str) -> tuple[bool, str, str] | None:
    flag = zero.flag(key)
    return None if flag is None else (flag[0], flag[1], f"zero_optimization.{key}")


def _offload_device(zero: Keys, key: str) -> tuple[bool, str, str] | None:
    block = zero.mapping(key)
    if block is None:
        return None
    device = block.choice("device", _OFFLOAD_DEVICES)
    block.taken |= set(block.root.value)   # pin_memory, buffer sizes: speed, not where the states live
    return (device[0], device[1], f"zero_optimization.{key}.device") if device is not None \
        else (False, block.root.where, f"zero_optimization.{key}")


def _auto(keys: Keys, key: str) -> bool:
    node = keys.root.value.get(key)
    return node is not None and isinstance(node.value, str) and node.value.strip().lower() == "auto"


def _batch(keys: Keys, out: ConfigRead, referenced_by: str) -> None:
    for key, name in (("train_micro_batch_size_per_gpu", "micro_batch"), ("gradient_accumulation_steps", "grad_accum"),
                      ("train_batch_size", "global_batch")):
        if _auto(keys, key):
            keys.taken.add(key)
            continue
        got = keys.integer(key)
        if got is not None:
            _agree(out, name, got[0], got[1], key, referenced_by)
            if name == "global_batch":
                _gpus(out, got[0], got[1])


def _gpus(out: ConfigRead, batch: int, where: str) -> None:
    """The GPU count train_batch_size implies: DeepSpeed asserts train_batch_size = micro-batch × accumulation ×
    data-parallel world size (deepspeed/runtime/config.py DeepSpeedConfig._batch_assertion), so with all three
    stated it fills n_gpus (tp = pp = 1 here; a typed n_gpus wins), and a batch no GPU count gives is refused."""
    micro, accumulation = out.givens.get("micro_batch"), out.givens.get("grad_accum")
    if micro is None or accumulation is None:
        return   # (DeepSpeed derives the missing one from the world size: nothing to tell the GPUs by)
    per_gpu = int(micro.value) * int(accumulation.value)
    if batch % per_gpu:
        raise keyed(TrainingConfigError, "training.ds_batch_not_whole", where=where, batch=batch,
                    micro=micro.value, micro_where=micro.origin, accumulation=accumulation.value,
                    accumulation_where=accumulation.origin, per_gpu=per_gpu)
    out.offer("n_gpus", batch // per_gpu, f"{where} (train_batch_size {batch:,} / (micro-batch {micro.value} × "
              f"accumulation {accumulation.value}) = {batch // per_gpu:,} data-parallel GPUs, as DeepSpeed asserts "
              "train_batch_size = micro-batch × accumulation × world size)", "train_batch_size")


def _precision(keys: Keys, out: ConfigRead, referenced_by: str) -> None:
    flags: dict[str, tuple[bool, str] | None] = {}
    for key in ("bf16", "bfloat16", "fp16"):
        block = keys.mapping(key)
        if block is None:
            continue
        if _auto(block, "enabled"):
            block.taken.add("enabled")
            flags[key] = None
            continue
        enabled = block.flag("enabled")
        flags[key] = (enabled[0], enabled[1]) if enabled else (False, block.root.where)
    if any(v is None for v in flags.values()):
        return   # "auto": the framework's bf16/fp16 flags decide
    stated = {k: v for k, v in flags.items() if v is not None}
    if not stated:
        if not referenced_by:
            out.offer("precision", "fp32", f"{SOURCE} default bf16.enabled = fp16.enabled = false", "bf16", True)
        return
    bf16 = next((v for k, v in stated.items() if k != "fp16" and v[0]), None)
    fp16 = stated.get("fp16") if stated.get("fp16", (False, ""))[0] else None
    chosen = precision(bool(bf16), bool(fp16))
    key = next((k for k, v in stated.items() if k != "fp16" and v[0]), "fp16" if fp16 else next(iter(stated)))
    where = (bf16 or fp16 or stated[key])[1]
    _agree(out, "precision", chosen, where, key, referenced_by)


def _agree(out: ConfigRead, name: str, value: object, where: str, key: str, referenced_by: str) -> None:
    """Fill name from the DeepSpeed file; refuse an explicit value that contradicts the framework's."""
    have = out.givens.get(name)
    if referenced_by and have is not None and str(have.value) != str(value):
        raise keyed(TrainingConfigError, "training.ds_mismatch", where=where, key=key, value=value, other=have.key,
                    other_value=have.value, origin=have.origin)
    out.offer(name, value, where, key)


# DeepSpeed's mixed-precision optimizers keep an fp32 gradient beside the 16-bit one for the partition each GPU
# updates (ZeRO-1/2 stage_1_and_2.py initialize_optimizer_states: single_partition_of_fp32_groups[i].grad, fp32;
# ZeRO-3 stage3.py: fp32_partitioned_groups_flat[i].grad; without ZeRO, bf16_optimizer.py fp32_groups_gradients),
# so a bf16 run is 2 + 4 + 12 = 18 B per parameter, sharded as the stage says: what DeepSpeed's own
# estimate_zero3_model_states_mem_needs counts (18 · params / GPUs), not ZeRO's 16 B.
FP32_GRADIENTS = {"mixed-bf16": "mixed-bf16-fp32grad"}
# At ZeRO-2 the 16-bit gradient partition stays beside that fp32 one (stage_1_and_2.py copy_grads_in_partition:
# grads_in_partition, 16-bit, the size of the GPU's partition; step() builds the fp32 gradient from it):
# 2 + (4 + 12 + 2) / GPUs B per parameter, estimate_zero2_model_states_mem_needs since DeepSpeed PR #5099
# (formulas/parallelism.yaml, parallelism.grads_working_zero2), filled where the config's stage is 2.
BIT16_GRAD_PARTITION_BYTES = 2


def deepspeed_gradients(out: ConfigRead) -> None:
    """A run under DeepSpeed with bf16 mixed precision keeps fp32 gradients: its precision key says so, and, for
    ZeRO-2, the 16-bit gradient partition it keeps beside them (bit16_grad_partition_bytes)."""
    have, method = out.givens.get("precision"), out.givens.get("method")
    if not out.deepspeed or have is None or str(have.value) not in FP32_GRADIENTS:
        return
    if method is not None and str(method.value) != "full":
        return   # (LoRA, freeze: the trained parameters' dtype is trainable_dtype, not the precision recipe)
    out.fill("precision", FP32_GRADIENTS[str(have.value)],
             f"{have.origin} (under DeepSpeed, {out.deepspeed}: its optimizer keeps an fp32 gradient partition, "
             "bf16 weights + fp32 gradients + Adam 12 B = 18 B per parameter, as DeepSpeed's memory estimator counts)",
             have.key, have.default)
    stage = out.givens.get("zero_stage")
    if stage is not None and str(stage.value) == "2":
        out.fill("bit16_grad_partition_bytes", BIT16_GRAD_PARTITION_BYTES,
                 f"{stage.origin} (DeepSpeed ZeRO-2 with {have.origin}: the 16-bit gradient partition stays beside the "
                 "fp32 one, 2 + 18 B / GPUs per parameter as estimate_zero2_model_states_mem_needs counts)",
                 stage.key, stage.default)
