"""Preflight's time part: steps and time per epoch, the whole run (max_steps or the epochs), the mfu
perf_model=analytic predicts; and the small helpers the rest of preflight shares (engine/cli/preflight.py)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, UnderdeterminedError
from ..messages import keyed, localized
from ..messages import text as message
from ..text.values import parse_number

if TYPE_CHECKING:
    from ..solve.solver import Engine
    from .preflight import Preflight

ASSUMED_MFU = 0.4    # inside the seed §4a band 0.3-0.55 (formulas/time.yaml mfu.typical); said in every answer
_DATA = ("samples", "epochs", "steps", "tokens_per_sample", "packing", "global_batch", "steps_per_epoch",
         "sequences_per_epoch")


def text(lang: str, key: str, **values: Any) -> str:
    """A preflight text in the user's language (engine/messages/preflight.py)."""
    return message(f"preflight.{key}", lang, **values)


def _without(givens: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {n: v for n, v in givens.items() if n not in names}


def _time_hint(givens: dict[str, Any], lang: str) -> str:
    """What the epoch's steps still need: the examples, or (samples given, packing on) their mean length."""
    if "samples" in givens and "tokens_per_sample" not in givens:
        return text(lang, "need_tokens_per_sample", samples=givens["samples"])
    return text(lang, "need_samples")


def fill_time(engine: Engine, check: Preflight, lang: str) -> None:
    """Steps per epoch (batching.yaml) and one epoch's time for its tokens at the mfu given or assumed."""
    givens = check.givens
    try:
        result = engine.solve(["steps_per_epoch", "sequences_per_epoch"], _without(givens, ("memory_fill",)), lang)
    except EngineError as exc:
        check.time_note = _time_hint(givens, lang) if isinstance(exc, UnderdeterminedError) else localized(exc, lang)
        return
    check.steps_per_epoch = result.values["steps_per_epoch"]
    check.sequences_per_epoch = result.values["sequences_per_epoch"]
    check.mfu_assumed = "mfu" not in givens and str(givens.get("perf_model", "given")) == "given"
    check.mfu = ASSUMED_MFU if check.mfu_assumed else number(engine, "mfu", givens["mfu"]) if "mfu" in givens \
        else math.nan
    # perf_model=analytic predicts the epoch's mfu beside its time: one question for both
    predicted = str(givens.get("perf_model", "given")) == "analytic" and "mfu" not in givens
    try:
        epoch = engine.solve(["train_time", "mfu"] if predicted else ["train_time"],
                             _epoch_question(engine, givens, check.sequences_per_epoch, check.mfu_assumed), lang)
    except EngineError as exc:
        check.time_note = text(lang, "epoch_needs_more", problem=localized(exc, lang))
        return
    check.epoch_time = epoch.values["train_time"]
    if predicted:
        check.mfu, check.mfu_predicted = epoch.values["mfu"], True
    _whole_run(engine, check)
    if check.mfu_assumed:
        check.assumed.append(("mfu", f"{ASSUMED_MFU:g}", text(lang, "mfu")))
    if str(givens.get("packing", "")) == "off":
        per_sequence = tokens_per_sequence(engine, givens)
        if str(givens.get("pad_to", "")) == "max_length":   # (padded to seq_len as chosen: exact, no bound)
            check.time_note = text(lang, "padded_max_length")
        elif per_sequence >= number(engine, "seq_len", givens["seq_len"]):
            check.time_note = text(lang, "padded")
        else:
            check.time_note = text(lang, "padded_longest", tokens=f"{per_sequence:,.0f}")


def epoch_time(engine: Engine, givens: dict[str, Any], sequences: float, assume_mfu: bool, lang: str) -> float:
    """train_time of one epoch: tokens = sequences × the tokens computed per sequence (the data words are left
    out of this question so that a rule linking tokens to them cannot disagree with the tokens given)."""
    return engine.solve(["train_time"], _epoch_question(engine, givens, sequences, assume_mfu), lang
                        ).values["train_time"]


def _epoch_question(engine: Engine, givens: dict[str, Any], sequences: float, assume_mfu: bool) -> dict[str, Any]:
    if "seq_len" not in givens:
        raise keyed(UnderdeterminedError, "preflight.give_seq_len")
    # (perf_model=analytic times the layout's steps: its micro-batch and accumulation stay in the question, and
    # so do packing and tokens_per_sample, which set the tokens each sequence is computed at (tokens_per_sequence,
    # performance.step_tokens); without samples and epochs no rule links them to the tokens. Without
    # tokens_per_sample the step is timed at seq_len, the upper bound the epoch's tokens take then too)
    analytic = str(givens.get("perf_model", "given")) == "analytic"
    layout = () if analytic else ("micro_batch", "grad_accum")
    kept = ("packing", "tokens_per_sample") if analytic and "tokens_per_sample" in givens else ()
    base = _without(givens, tuple(n for n in _DATA if n not in kept) + ("memory_fill",) + layout)
    question = {**base, "tokens": sequences * tokens_per_sequence(engine, givens)}
    if analytic and not kept:   # (every sequence at seq_len, the bound: a fine-tune's default, unpacked, asks the mean)
        question["packing"] = "on"
    if assume_mfu:
        question["mfu"] = ASSUMED_MFU
    return question


def tokens_per_sequence(engine: Engine, givens: dict[str, Any]) -> float:
    """Tokens computed per sequence: seq_len packed; unpacked, each micro-batch padded to its longest sample
    (formulas/batching.yaml: tokens_per_sample at micro_batch 1), seq_len where the rules cannot tell."""
    seq_len = number(engine, "seq_len", givens["seq_len"])
    if str(givens.get("packing", "")) != "off" or "tokens_per_sample" not in givens:
        return seq_len
    try:
        return engine.solve(["tokens_per_sequence"], _without(givens, ("memory_fill",))).values["tokens_per_sequence"]
    except EngineError:
        return seq_len


def _whole_run(engine: Engine, check: Preflight) -> None:
    """The whole run: max_steps (steps) or the epochs given, at the epoch's pace (a config's max_steps
    overrides its num_train_epochs)."""
    givens = check.givens
    if "steps" in givens and check.steps_per_epoch > 0:
        check.run_steps = number(engine, "steps", givens["steps"])
        check.run_epochs = check.run_steps / check.steps_per_epoch
    elif "epochs" in givens:
        check.run_epochs = number(engine, "epochs", givens["epochs"])
    check.run_time = check.epoch_time * check.run_epochs


def number(engine: Engine, name: str, raw: Any) -> float:
    return parse_number(engine.rules.variables[name], raw)
