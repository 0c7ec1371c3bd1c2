"""accelerate config YAML (`accelerate config` / examples) -> n_gpus, precision, zero_stage, offload.

Defaults from huggingface/accelerate at v0.13.0-1485-g16cb6eb (commit 16cb6eb80dd9aa8b4df1a63ef57863e455d53b83),
src/accelerate/commands/config/config_args.py ClusterConfig: num_processes = -1 (not set: the
launcher counts the GPUs), num_machines = 1; mixed_precision has no default there (the
`accelerate config` questionnaire writes "no"). deepspeed_config sub-keys follow
src/accelerate/commands/config/cluster.py (zero_stage, offload_optimizer_device,
offload_param_device, gradient_accumulation_steps, deepspeed_config_file).
"""
from __future__ import annotations

from ...messages import keyed, said_text
from .deepspeed import read_deepspeed, refuse_offload_beyond
from .errors import TrainingConfigError
from .fsdp import read_fsdp
from .llamafactory import resolve_reference
from .model import ConfigRead, Keys
from .source import Located, read_file

_PRECISION = {"no": "fp32", "bf16": "mixed-bf16", "fp16": "mixed-fp16", "fp8": None}
_TYPES = ("NO", "MULTI_GPU", "DEEPSPEED", "FSDP", "MEGATRON_LM", "MULTI_CPU", "MULTI_XPU", "MULTI_NPU",
          "MULTI_MLU", "MULTI_MUSA", "MULTI_HPU", "MULTI_SDAA", "XLA", "TPU")


def is_accelerate(root: Located) -> bool:
    return bool(set(root.value) & {"distributed_type", "compute_environment"})


def read_accelerate(root: Located, out: ConfigRead) -> None:
    keys = Keys(root)
    processes = keys.integer("num_processes", low=None)
    if processes is not None and processes[0] > 0:
        out.fill("n_gpus", processes[0], processes[1], "num_processes")
    elif processes is not None and processes[0] not in (-1, 0):
        raise keyed(TrainingConfigError, "training.num_processes", where=processes[1], value=processes[0])
    machines = keys.integer("num_machines")
    if machines is not None and processes is not None and processes[0] > 0 and processes[0] % machines[0]:
        raise keyed(TrainingConfigError, "training.processes_machines", where=machines[1], processes=processes[0],
                    machines=machines[0])
    precision = keys.choice("mixed_precision", _PRECISION)
    if precision is not None:
        if precision[0] is None:
            out.cannot_model("precision", said_text("training.fp8", where=precision[1]))
        else:
            out.fill("precision", precision[0], precision[1], "mixed_precision")
    kind = keys.choice("distributed_type", {t: t for t in _TYPES})
    if kind is not None and kind[0] == "DEEPSPEED":
        _deepspeed(keys, out, root)
    elif kind is not None and kind[0] == "FSDP":
        block = keys.mapping("fsdp_config")
        version = None
        if block is not None:
            version = block.integer("fsdp_version") if "fsdp_version" in block else None
            read_fsdp(block, out, version[0] if version else 1)
        else:
            out.offer("zero_stage", "3", f"{kind[1]}: FSDP default FULL_SHARD", "fsdp_sharding_strategy", True)
    elif kind is not None and kind[0] == "MEGATRON_LM":
        out.cannot_model("tp", said_text("training.megatron", where=kind[1]))
    elif kind is not None:
        out.fill("zero_stage", "0", kind[1], "distributed_type")
    out.ignored += keys.ignored()


def _deepspeed(keys: Keys, out: ConfigRead, root: Located) -> None:
    out.deepspeed = out.deepspeed or str(root.path)   # (the DeepSpeed engine runs, config block or not)
    block = keys.mapping("deepspeed_config")
    if block is None:
        out.offer("zero_stage", "0", "accelerate: DEEPSPEED without deepspeed_config (DeepSpeed default stage 0)",
                  "deepspeed_config.zero_stage", True)
        return
    file = block.text("deepspeed_config_file")
    if file is not None:

        path = resolve_reference(file[0], root.path)
        if path is None:
            raise keyed(TrainingConfigError, "training.deepspeed_file_missing", where=file[1],
                        key="deepspeed_config_file", value=file[0], folder=root.path.parent)
        out.files.append(path)
        read_deepspeed(read_file(path), out, file[1])
    stage = block.integer("zero_stage", low=0)
    if stage is not None:
        if stage[0] > 3:
            raise keyed(TrainingConfigError, "training.zero_stage_range", where=stage[1], value=stage[0])
        out.offer("zero_stage", str(stage[0]), stage[1], "deepspeed_config.zero_stage")
    devices = {"none": False, "cpu": True, "nvme": True}
    optimizer = block.choice("offload_optimizer_device", devices)
    params = block.choice("offload_param_device", devices)
    if stage is not None:   # (accelerate hands these to DeepSpeed, whose rule they follow)
        refuse_offload_beyond(stage, optimizer and (*optimizer, "deepspeed_config.offload_optimizer_device"),
                              params and (*params, "deepspeed_config.offload_param_device"))
    if params is not None and params[0]:
        out.offer("offload", "optimizer_and_params", params[1], "deepspeed_config.offload_param_device")
    elif optimizer is not None:
        out.offer("offload", "optimizer" if optimizer[0] else "none", optimizer[1],
                  "deepspeed_config.offload_optimizer_device")
    accumulation = block.integer("gradient_accumulation_steps")
    if accumulation is not None:
        out.offer("grad_accum", accumulation[0], accumulation[1], "deepspeed_config.gradient_accumulation_steps")
    out.ignored += block.ignored()
