"""PyTorch FSDP settings (axolotl fsdp_config, accelerate fsdp_config) -> zero_stage, offload.

FSDP's sharding strategies are ZeRO's stages under other names (PyTorch
torch/distributed/fsdp/api.py ShardingStrategy docstrings: FULL_SHARD shards parameters,
gradients and optimizer states ~ ZeRO-3; SHARD_GRAD_OP keeps parameters unsharded between forward
and backward ~ ZeRO-2; NO_SHARD ~ DDP; HYBRID_SHARD = FULL_SHARD within a node). FSDP2 reshards
after forward by default (reshard_after_forward=True ~ FULL_SHARD). CPUOffload(offload_params=True)
keeps parameters and gradients on the CPU and steps the optimizer there: everything offloaded.
Accelerate accepts the names or their numbers 1-5 (accelerate/utils/constants.py FSDP_SHARDING_STRATEGY).
"""
from __future__ import annotations

from ...messages import said_text
from .model import ConfigRead, Keys

_STRATEGIES = {"FULL_SHARD": "3", "SHARD_GRAD_OP": "2", "NO_SHARD": "0", "HYBRID_SHARD": "3",
               "_HYBRID_SHARD_ZERO2": "2", "HYBRID_SHARD_ZERO2": "2",
               "1": "3", "2": "2", "3": "0", "4": "3", "5": "2"}


def read_fsdp(block: Keys, out: ConfigRead, version: int = 1) -> None:
    """zero_stage and offload from an fsdp_config mapping (keys with or without the fsdp_ prefix)."""
    names = {key.removeprefix("fsdp_"): key for key in block.root.value}
    strategy = block.choice(names["sharding_strategy"], _STRATEGIES) if "sharding_strategy" in names else None
    reshard = block.flag(names["reshard_after_forward"]) if "reshard_after_forward" in names else None
    if strategy is not None:
        stage = strategy[0]
        out.offer("zero_stage", stage, strategy[1], "fsdp_sharding_strategy")
    elif reshard is not None:
        stage = "3" if reshard[0] else "2"
        out.offer("zero_stage", stage, reshard[1], "fsdp_reshard_after_forward")
    else:
        stage = "3"
        out.offer("zero_stage", "3", f"{block.root.where}: FSDP default FULL_SHARD (FSDP{version}: "
                  "reshard_after_forward = true)", "fsdp_sharding_strategy", True)
    offload = block.flag(names["offload_params"]) if "offload_params" in names else None
    if offload is None:
        out.offer("offload", "none", f"{block.root.where}: FSDP default (no CPU offload)", "fsdp_offload_params", True)
    elif not offload[0] or stage == "3":
        out.offer("offload", "optimizer_and_params" if offload[0] else "none", offload[1], "fsdp_offload_params")
    elif stage == "2":
        # the sharded weights live on the CPU, but the gathered ones stay on the GPU from forward to backward
        # (no reshard after forward): on the GPU that is ZeRO-2 with its optimizer states offloaded
        out.offer("offload", "optimizer", f"{offload[1]} (without a reshard after forward, zero_stage 2, the "
                  "gathered weights stay on the GPU through the step, so counted as offload=optimizer; host memory "
                  "leaves out the weights' CPU shard)", "fsdp_offload_params")
    else:
        out.cannot_model("offload", said_text("training.fsdp_offload_no_shard", where=offload[1]))
    checkpointing = block.flag(names["activation_checkpointing"]) if "activation_checkpointing" in names else None
    if checkpointing is not None and checkpointing[0]:
        out.offer("recompute", "full", checkpointing[1], "fsdp_activation_checkpointing")
    block.taken |= set(block.root.value)   # wrapping, prefetch, state-dict types: speed and saving, not memory
