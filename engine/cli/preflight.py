"""Preflight: will this training config fit, how long is an epoch, and what would make it fit.

Built only on Engine.solve (the public API): one question for the memory per GPU, one for the
largest micro-batch (memory_fill = 1, parallelism.yaml), one for steps per epoch, one for the time of
an epoch (train_time for one epoch's tokens at an mfu given or assumed), and the same memory and
time questions once per candidate change (gradient checkpointing, a ZeRO stage, CPU offload, QLoRA,
a shorter cutoff, a smaller micro-batch), ranked: those that fit first, the fastest first.

    check = preflight(engine, ["llama3_lora_sft.yaml"], {"gpu": "RTX-4090"})
    check.fits, check.breakdown, check.max_micro_batch, check.epoch_time, check.changes
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, TrainingConfigError
from ..io.training_config.givens import Origins, expand_config
from ..messages import keyed, localized
from ..report import write_solve_report
from .preflight_time import _DATA, _without, epoch_time, fill_time, text

if TYPE_CHECKING:
    from ..solve.solver import Engine, Result

# a fit with less headroom than this, with no memory_overhead counted, is "tight": the CUDA context, NCCL
# buffers and allocator fragmentation take about 1-2 GB (formulas/memory.yaml, memory_overhead's source)
TIGHT_BYTES = 2e9
# a change that does not make the run fit is offered only if it saves at least this share of the memory
MIN_SAVING = 0.01

MEMORY = ("weights_bytes_per_gpu", "grads_bytes_per_gpu", "optimizer_bytes_per_gpu", "activation_bytes_per_gpu",
          "memory_overhead")


def tight(memory_per_gpu: float, usable: float, givens: dict[str, Any]) -> bool:
    """Fits, but with less room than a real process needs besides what llmplan counts."""
    return memory_per_gpu <= usable and usable - memory_per_gpu < TIGHT_BYTES and "memory_overhead" not in givens


@dataclass
class Change:
    """A candidate change and what it gives: memory per GPU, fill, time per epoch (s), or why not."""

    label: str
    givens: dict[str, Any]
    memory_per_gpu: float = math.nan
    memory_fill: float = math.nan
    epoch_time: float = math.nan
    error: str = ""
    order: int = 0           # candidate order: least disruptive first (same results before changed results)
    note: str = ""
    kind: str = "same"       # same | offload | method | cutoff | gpus

    @property
    def alters_training(self) -> bool:
        """LoRA/QLoRA instead of the method chosen, or truncated samples: a different run, ranked after."""
        return self.kind in ("method", "cutoff")

    @property
    def fits(self) -> bool:
        return not self.error and self.memory_fill <= 1.0

    def tight_in(self, givens: dict[str, Any]) -> bool:
        """Fits with little room (`tight`), the run's own givens (`givens`) and this change's together."""
        return self.fits and self.memory_fill > 0 and \
            tight(self.memory_per_gpu, self.memory_per_gpu / self.memory_fill, {**givens, **self.givens})

    def to_json(self, base: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"change": self.label, "givens": {k: _plain(v) for k, v in self.givens.items()},
                "memory_per_gpu": _num(self.memory_per_gpu), "memory_fill": _num(self.memory_fill),
                "fits": self.fits, "tight": self.tight_in(base or {}), "epoch_time": _num(self.epoch_time),
                "error": self.error or None,
                "note": self.note or None}


@dataclass
class Preflight:
    """Everything `llmplan preflight` shows (terminal, --json, --report)."""

    givens: dict[str, Any]
    origins: Origins
    result: Result                                # the memory question's Result (values, origins, derivation)
    assumed: list[tuple[str, str, str]] = field(default_factory=list)   # (name, value, why)
    max_micro_batch: int | None = None
    max_micro_batch_note: str = ""
    steps_per_epoch: float = math.nan
    sequences_per_epoch: float = math.nan
    epoch_time: float = math.nan
    mfu: float = math.nan
    mfu_assumed: bool = False
    mfu_predicted: bool = False                   # perf_model=analytic's mfu for the epoch
    run_steps: float = math.nan                   # max_steps (steps) given: the run stops there
    run_epochs: float = math.nan                  # the whole run in epochs (epochs given, or steps / per epoch)
    run_time: float = math.nan
    time_note: str = ""
    changes: list[Change] = field(default_factory=list)

    @property
    def memory_per_gpu(self) -> float:
        return self.result.values["memory_per_gpu"]

    @property
    def usable(self) -> float:
        return self.result.values["usable_gpu_memory"]

    @property
    def fits(self) -> bool:
        return self.memory_per_gpu <= self.usable

    @property
    def headroom(self) -> float:
        return self.usable - self.memory_per_gpu

    @property
    def tight(self) -> bool:
        return tight(self.memory_per_gpu, self.usable, self.givens)

    def breakdown(self) -> dict[str, float]:
        values = self.result.values
        return {name: values[name] for name in MEMORY if name in values}

    def to_json(self) -> dict[str, Any]:
        values = self.result.values
        return {
            "fits": self.fits, "tight": self.tight, "memory_per_gpu": values["memory_per_gpu"],
            "usable_gpu_memory": self.usable,
            "headroom": self.headroom, "memory_fill": values.get("memory_fill"),
            "breakdown": self.breakdown(), "host_memory_per_gpu": values.get("host_memory_per_gpu"),
            "max_micro_batch": self.max_micro_batch, "max_micro_batch_note": self.max_micro_batch_note or None,
            "steps_per_epoch": _num(self.steps_per_epoch), "sequences_per_epoch": _num(self.sequences_per_epoch),
            "epoch_time": _num(self.epoch_time), "mfu": _num(self.mfu), "mfu_assumed": self.mfu_assumed,
            "mfu_predicted": self.mfu_predicted, "run_steps": _num(self.run_steps),
            "run_epochs": _num(self.run_epochs), "run_time": _num(self.run_time),
            "time_note": self.time_note or None,
            "assumed": [{"name": n, "value": v, "why": w} for n, v, w in self.assumed],
            "changes": [c.to_json(self.givens) for c in self.changes],
            "answer": self.result.to_json(),
        }


def preflight(engine: Engine, configs: list[str], typed: dict[str, Any], lang: str = "en") -> Preflight:
    """Read the configs (typed values win), then ask the engine the preflight questions."""
    givens, origins = expand_config({**typed, "config": ",".join(configs)}, engine.rules)
    if "gpu" not in givens:

        raise keyed(TrainingConfigError, "preflight.which_gpu")
    assumed = []
    if "n_gpus" not in givens and "dp" not in givens:
        givens["n_gpus"] = 1
        assumed.append(("n_gpus", "1", text(lang, "one_gpu")))
    try:
        result = origins.attach(engine.solve(["memory_per_gpu", "memory_fill"], givens, lang))
    except EngineError as exc:   # (a contradiction names the config lines behind its values)
        raise origins.explain(exc) from None
    check = Preflight(givens, origins, result, assumed)
    _largest_micro_batch(engine, check, lang)
    fill_time(engine, check, lang)
    if not check.fits:
        check.changes = _changes(engine, check, lang)
    return check


def _largest_micro_batch(engine: Engine, check: Preflight, lang: str) -> None:
    """micro_batch at memory_fill = 1, rounded down (activations.yaml: rounding down)."""
    givens = _without(check.givens, ("micro_batch", "memory_fill", "global_batch") + _DATA)
    try:
        result = engine.solve(["micro_batch"], {**givens, "memory_fill": 1}, lang)
        check.max_micro_batch = int(result.values["micro_batch"])
    except EngineError as exc:
        check.max_micro_batch_note = text(lang, "no_micro_batch") if not check.fits else localized(exc, lang)
        return
    if check.max_micro_batch < 1:
        check.max_micro_batch = None
        check.max_micro_batch_note = text(lang, "no_micro_batch")


def _changes(engine: Engine, check: Preflight, lang: str) -> list[Change]:
    """Each change alone, then (if none fits alone) the smallest combinations, ranked."""
    options = [_evaluate(engine, check, label, changes, lang, order, kind)
               for order, (label, changes, kind) in enumerate(_candidates(engine, check, lang))]
    # (a change the rules cannot evaluate for this run is left out: it is no advice, only noise; so is
    # one that saves next to nothing and still does not fit: offloading a LoRA run's adapter states)
    options = [o for o in options if not o.error and o.memory_per_gpu < check.memory_per_gpu * (1 - 1e-9)
               and (o.fits or o.memory_per_gpu <= check.memory_per_gpu * (1 - MIN_SAVING))]
    same = [o for o in options if not o.error and not o.alters_training]
    if same and not any(o.fits for o in same):   # the same training, several changes at once
        combined: dict[str, Any] = {}
        labels: list[str] = []
        for option in sorted(same, key=lambda o: o.memory_per_gpu):
            combined.update(option.givens)
            labels.append(option.label)
            kinds = {o.kind for o in options if o.label in labels}
            joint = _evaluate(engine, check, " + ".join(labels), dict(combined), lang, 100 + len(labels),
                              "offload" if "offload" in kinds else "same")
            if len(labels) > 1:
                options.append(joint)
            if joint.fits:
                break
    return sorted(options, key=_rank)


def _rank(change: Change) -> tuple:
    """Those that fit first; the same training before a different one (LoRA instead of full, truncated
    samples), and on the GPUs there are before more of them; then the fastest (times within 1% are a tie:
    offload's transfers and QLoRA's dequantization are not in the time rules); then the change that alters
    the run least (candidate order)."""
    time = change.epoch_time if not math.isnan(change.epoch_time) else math.inf
    tie = round(math.log(time), 2) if math.isfinite(time) and time > 0 else math.inf
    return (not change.fits, bool(change.error), change.alters_training, change.kind == "gpus",
            tie if change.fits else change.memory_per_gpu, change.order)


def _candidates(engine: Engine, check: Preflight, lang: str) -> list[tuple[str, dict[str, Any], str]]:
    """(label, changed givens, kind), least disruptive first: the same training at a memory/time cost
    (checkpointing, ZeRO, smaller micro-batches, offload), then changes to what is trained."""
    keys, values = check.result.keys, check.result.values
    out: list[tuple[str, dict[str, Any], str]] = []
    if keys.get("recompute") != "full":
        out.append((text(lang, "recompute"), {"recompute": "full"}, "same"))
    stage = int(keys.get("zero_stage", "0"))
    if values.get("dp", 1) > 1:
        out += [(text(lang, "zero", stage=s), {"zero_stage": str(s)}, "same") for s in range(stage + 1, 4)]
    micro = int(values.get("micro_batch", 1))
    if micro > 1:
        per_step = int(values.get("grad_accum", 1)) * micro         # sequences per GPU per optimizer step
        largest = min(check.max_micro_batch or 1, micro - 1)
        smaller = max(b for b in range(1, largest + 1) if per_step % b == 0)   # keeps the global batch
        out.append((text(lang, "micro", micro=smaller, accum=per_step // smaller),
                    {"micro_batch": smaller, "grad_accum": per_step // smaller}, "same"))
    if keys.get("offload", "none") == "none":
        out.append((text(lang, "offload", stage=max(stage, 2)), {"zero_stage": str(max(stage, 2)),
                                                                  "offload": "optimizer"}, "offload"))
        out.append((text(lang, "offload_all"), {"zero_stage": "3", "offload": "optimizer_and_params"}, "offload"))
    method = keys.get("method", "full")
    if method in ("full", "freeze"):
        out.append((text(lang, "lora"), {"method": "lora"}, "method"))
    if method in ("full", "freeze", "lora"):
        out.append((text(lang, "qlora"), {"method": "qlora"}, "method"))
    cutoff = _largest_seq_len(engine, check, lang)
    if cutoff:
        out.append((text(lang, "cutoff", length=cutoff), {"seq_len": cutoff}, "cutoff"))
    fewest = _fewest_gpus(engine, check, stage, lang)
    if fewest:
        out.append((text(lang, "more_gpus", n=fewest[0], stage=fewest[1]),
                    {"n_gpus": fewest[0], "zero_stage": str(fewest[1])}, "gpus"))
    return out


def _fewest_gpus(engine: Engine, check: Preflight, stage: int, lang: str) -> tuple[int, int] | None:
    """(n_gpus, zero_stage): the fewest GPUs whose ZeRO sharding makes the run fit (n_gpus at memory_fill = 1,
    rounded up), at the configured stage or, without ZeRO (where more GPUs only replicate), ZeRO-3. None where
    no count fits (activations alone overflow a GPU) or it is not more than the GPUs there are."""
    sharding = stage if stage >= 1 else 3
    givens = _without(check.givens, ("memory_fill", "n_gpus", "dp", "global_batch") + _DATA)
    try:
        result = engine.solve(["n_gpus"], {**givens, "memory_fill": 1, "zero_stage": str(sharding)}, lang)
    except EngineError:
        return None
    count = result.values["n_gpus"]
    if not math.isfinite(count) or count <= check.result.values.get("n_gpus", 1):
        return None
    return int(count), sharding


def _largest_seq_len(engine: Engine, check: Preflight, lang: str) -> int | None:
    """seq_len at memory_fill = 1; where the engine finds no root (see the report's notes), the longest of
    seq_len/2, /4, ... (cutoffs people use) that fits, down to 128 tokens."""
    givens = _without(check.givens, ("seq_len", "memory_fill") + _DATA)
    try:
        root = math.floor(engine.solve(["seq_len"], {**givens, "memory_fill": 1}, lang).values["seq_len"])
        return root if root >= 1 else None
    except EngineError:
        pass
    length = check.result.values.get("seq_len", 0.0) / 2
    while length >= 128:
        try:
            if engine.solve(["memory_fill"], {**givens, "seq_len": int(length)}, lang).values["memory_fill"] <= 1:
                return int(length)
        except EngineError:
            return None
        length /= 2
    return None


def _evaluate(engine: Engine, check: Preflight, label: str, changes: dict[str, Any], lang: str, order: int = 0,
              kind: str = "same") -> Change:
    option = Change(label, changes, order=order, note=text(lang, f"note_{kind}") if kind != "same" else "", kind=kind)
    dropped = ("memory_fill", "dp") if "n_gpus" in changes else ("memory_fill",)   # (more GPUs: dp follows)
    givens = {**_without(check.givens, dropped), **changes}
    try:
        result = engine.solve(["memory_per_gpu", "memory_fill"], givens, lang)
    except EngineError as exc:
        option.error = localized(exc, lang)
        return option
    option.memory_per_gpu, option.memory_fill = result.values["memory_per_gpu"], result.values["memory_fill"]
    if not math.isnan(check.sequences_per_epoch):
        sequences = check.sequences_per_epoch
        try:
            if {"micro_batch", "seq_len", "n_gpus"} & set(changes):   # (packing: they depend on seq_len)
                sequences = engine.solve(["sequences_per_epoch"], givens, lang).values["sequences_per_epoch"]
            option.epoch_time = epoch_time(engine, givens, sequences, check.mfu_assumed, lang)
        except EngineError:
            pass
    return option


def _num(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _plain(value: Any) -> Any:
    return value if isinstance(value, (int, float, str)) else str(value)


def write_report(engine: Engine, check: Preflight, path: str, text: str, lang: str = "en") -> None:
    """The memory question's report (engine/report: inputs with their origins, derivation) with the
    preflight summary (verdict, breakdown, time, ranked changes: `text`, as the terminal shows it) first."""


    written = write_solve_report(engine, check.result, path, lang=lang)
    page = Path(written).read_text(encoding="utf-8")
    if Path(written).suffix.lower() in (".html", ".htm"):
        block = f'<section class="preflight"><h2>Preflight</h2><pre>{html.escape(text)}</pre></section>'
        marker = page.find("<h2")
        page = page[:marker] + block + page[marker:] if marker >= 0 else page + block
    else:
        block = "## Preflight\n\n```text\n" + text + "\n```\n\n"
        marker = page.find("\n## ")
        page = page[:marker + 1] + block + page[marker + 1:] if marker >= 0 else page + "\n" + block
    Path(written).write_text(page, encoding="utf-8")
