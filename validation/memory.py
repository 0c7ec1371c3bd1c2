"""Model-state memory: llmplan's weights/grads/optimizer bytes against the tensors torch holds.

One training step (forward, backward, optimizer.step()) runs on the CPU; then
the bytes held are read off the tensors themselves (numel · element_size, each
storage once, so a tied lm_head is counted once):

    weights     every parameter
    grads       every parameter's .grad
    optimizer   every tensor in optimizer.state: Adam's exp_avg and exp_avg_sq,
                SGD's momentum_buffer — per-element states, in the parameter dtype;
    step        torch.optim.Adam also keeps a `step` counter per parameter TENSOR
                (a 0-dim float32 tensor, 4 bytes, not per element: with
                capturable=False it lives on the CPU). llmplan's rules are per
                parameter element and do not model it, so it is reported on its own
                row and left out of the optimizer comparison: it is 4 B x (number of
                parameter tensors), about 1e-9 of a real model's optimizer state.

llmplan is asked, from the architecture alone (params = arch_params), for
weights_bytes, grads_bytes, optimizer_bytes with:

    fp32 parameters   precision=fp32 (no master copy: the weights are the fp32 copy),
                      optimizer=adam (8 B) / sgd-momentum (4 B)
    bf16 parameters   precision=pure-bf16 and, because torch keeps the optimizer states
                      in the parameter dtype, optimizer=adam-bf16 (4 B) / sgd-momentum-bf16
                      (2 B) from catalogs/optimizers.yaml. A row with the fp32-state keys
                      (adam / sgd-momentum) shows what a user who picks those gets.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .common import Row, ask
from .models import Shape

SECTION = "Model-state memory"

COMBOS: list[tuple[str, str]] = [("fp32", "adam"), ("fp32", "sgd-momentum"), ("bf16", "adam"), ("bf16", "sgd-momentum")]
PRECISION_KEY = {"fp32": "fp32", "bf16": "pure-bf16"}
# torch keeps optimizer states in the parameter dtype: the catalog key for each (dtype, optimizer)
OPTIMIZER_KEY = {("fp32", "adam"): "adam", ("fp32", "sgd-momentum"): "sgd-momentum",
                 ("bf16", "adam"): "adam-bf16", ("bf16", "sgd-momentum"): "sgd-momentum-bf16"}


@dataclass
class Held:
    weights: int
    grads: int
    optimizer: int      # per-element states
    step: int           # Adam's per-tensor step counters
    n_tensors: int
    numel: int


def _storage_bytes(tensors: list[Any]) -> int:
    seen: set[tuple[int, int]] = set()
    total = 0
    for t in tensors:
        key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
        if key in seen:
            continue
        seen.add(key)
        total += t.numel() * t.element_size()
    return total


def measure(shape: Shape, dtype_name: str, optimizer: str, seq_len: int = 64, micro_batch: int = 2,
            autocast: bool = False) -> Held:
    """Run one optimizer step on the CPU and read the bytes held by model states
    (autocast=True: fp32 parameters, forward and backward under torch.autocast(bfloat16))."""
    import contextlib

    import torch

    from .models import build, tokens

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype_name]
    model = build(shape, dtype=dtype)
    params = list(model.parameters())
    opt: torch.optim.Optimizer
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=1e-3)
    elif optimizer == "sgd-momentum":
        opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9)
    else:
        raise ValueError(optimizer)
    amp = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
    with amp:
        loss = model(tokens(shape, seq_len, micro_batch))
    loss.backward()
    opt.step()
    per_element, scalars = [], []
    for p in params:
        for value in opt.state[p].values():
            if not torch.is_tensor(value):
                continue
            if value.dim() == 0:
                scalars.append(value)
            else:
                assert value.shape == p.shape and value.dtype == p.dtype, (value.shape, value.dtype)
                per_element.append(value)
    return Held(weights=_storage_bytes(params), grads=_storage_bytes([p.grad for p in params]),
                optimizer=_storage_bytes(per_element), step=sum(t.numel() * t.element_size() for t in scalars),
                n_tensors=len(params), numel=sum(p.numel() for p in params))


def llmplan_bytes(shape: Shape, dtype_name: str, optimizer: str, states_in_param_dtype: bool = True
                  ) -> dict[str, float]:
    """llmplan's model-state bytes; states_in_param_dtype=False asks with the fp32-state key (adam, sgd-momentum)."""
    givens: dict[str, Any] = dict(shape.arch_givens())
    key = OPTIMIZER_KEY[(dtype_name, optimizer)] if states_in_param_dtype else optimizer
    givens.update(precision=PRECISION_KEY[dtype_name], optimizer=key)
    return ask(["weights_bytes", "grads_bytes", "optimizer_bytes", "model_state_bytes"], givens)


def rows(shape: Shape, combos: list[tuple[str, str]] | None = None) -> list[Row]:
    out: list[Row] = []
    src = "torch tensors after one optimizer step (numel · element_size)"
    for dtype_name, optimizer in combos if combos is not None else COMBOS:
        held = measure(shape, dtype_name, optimizer)
        got = llmplan_bytes(shape, dtype_name, optimizer)
        tag = f"{shape.name}, {dtype_name} params, {'Adam' if optimizer == 'adam' else 'SGD momentum'}"
        recipe = f"precision={PRECISION_KEY[dtype_name]}, optimizer={OPTIMIZER_KEY[(dtype_name, optimizer)]}"
        why = f"llmplan {recipe}: must be exact"
        grp = {"group": f"{dtype_name} params, {recipe}: weights, grads, optimizer, total"}
        out += [
            Row(SECTION, f"{tag}: weights_bytes", got["weights_bytes"], held.weights, "B", 0.0, why, src, grp),
            Row(SECTION, f"{tag}: grads_bytes", got["grads_bytes"], held.grads, "B", 0.0, why, src, grp),
            Row(SECTION, f"{tag}: optimizer_bytes (per-element states)", got["optimizer_bytes"], held.optimizer, "B",
                0.0, why, src, grp),
            Row(SECTION, f"{tag}: model_state_bytes (step counters excluded)", got["model_state_bytes"],
                held.weights + held.grads + held.optimizer, "B", 0.0, why, src, grp),
        ]
        if optimizer == "adam" and dtype_name == "fp32":
            out.append(Row(SECTION, f"{tag}: Adam `step` counters ({held.n_tensors} tensors × 4 B; not modeled)", 0,
                           held.step, "B", None,
                           "per parameter tensor, not per element; "
                           f"{held.step / (held.optimizer + held.step):.1e} of the optimizer state here", src))
        if dtype_name == "bf16":
            plain = llmplan_bytes(shape, dtype_name, optimizer, states_in_param_dtype=False)
            out.append(Row(SECTION, f"{tag}: optimizer_bytes with optimizer={optimizer} (fp32 states)",
                           plain["optimizer_bytes"], held.optimizer, "B", None,
                           f"optimizer={optimizer} keeps fp32 states (mixed precision); torch keeps them in the "
                           f"parameter dtype: use {OPTIMIZER_KEY[(dtype_name, optimizer)]}", src,
                           {"group": "pure-bf16 with an fp32-state optimizer key (adam / sgd-momentum)"}))
    return out


def extra_rows(shape: Shape) -> list[Row]:
    """What the default and mixed-precision recipes predict against plain torch fp32 Adam."""
    held = measure(shape, "fp32", "adam")
    amp = measure(shape, "fp32", "adam", autocast=True)
    givens = dict(shape.arch_givens())
    seed = ask("model_state_bytes", givens)["model_state_bytes"]           # precision default: seed-fp32
    mixed = ask("model_state_bytes", {**givens, "precision": "mixed-bf16"})["model_state_bytes"]
    return [
        Row(SECTION, f"{shape.name}: default recipe (seed-fp32, 20 B/param) vs torch fp32 Adam", seed,
            held.weights + held.grads + held.optimizer, "B", None,
            "seed §3 counts a 4 B fp32 master copy that plain fp32 training does not keep",
            "torch fp32 parameters + Adam, one step"),
        Row(SECTION, f"{shape.name}: mixed-bf16 recipe (2+2+12 B) vs torch.autocast(bf16) + Adam", mixed,
            amp.weights + amp.grads + amp.optimizer, "B", 0.0,
            "same 16 B/param total; autocast keeps fp32 weights and grads (bf16 copies are transient) instead of "
            "bf16 weights + fp32 master, so the split differs but the sum is exact",
            "torch fp32 parameters, step under torch.autocast('cpu', bfloat16), Adam"),
    ]
