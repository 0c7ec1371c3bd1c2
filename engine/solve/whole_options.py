"""Values that would work, for a question refused because no whole number fits.

global_batch = 4,096 on 1,000 GPUs with tp = pp = micro_batch = 2 needs grad_accum = 8.192: the
refusal says which values are behind it, and this module tries them. With grad_accum held at the
whole numbers either side (8, then 9), each of those values is solved for in turn from the others;
one that then comes out whole (and answers without a refusal of its own) is an option the user can
take: n_gpus = 1,024 or global_batch = 4,000 (grad_accum = 8), global_batch = 4,500 (grad_accum = 9).
Only `llmplan solve` asks (one question; a workbook's refused rows would cost a search each).
"""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np

from ..messages import keyed
from ..text.formatting import format_quantity
from .reach import solved_alone

if TYPE_CHECKING:
    from .batch_result import Batch
    from .solver import Engine

MAX_OPTIONS = 4
# each try is a new question (a plan, maybe sympy on an empty cache): after this long, the whole value on the
# far side is not tried; the nearest one always is, so a loaded machine does not change the answer's first options
SEARCH_SECONDS = 2.0


def with_whole_options(engine: "Engine", error: BaseException, batch: "Batch", numbers: dict[str, float],
                       keys: dict[str, str]) -> BaseException:
    """The refusal of row 0 with the values that would work added, when it is a whole-number one."""
    refused = batch.not_whole.get(0)
    fields = getattr(error, "message_fields", None)
    if refused is None or getattr(error, "message_key", None) != "planner.not_whole" or fields is None:
        return error
    options = whole_options(engine, numbers, keys, *refused)
    if not options:
        return error
    return keyed(type(error), "planner.not_whole.options", **fields, options="; ".join(options))


def whole_options(engine: "Engine", numbers: dict[str, float], keys: dict[str, str], name: str, raw: float,
                  inputs: tuple[str, ...]) -> list[str]:
    """'n_gpus = 1,024 (grad_accum = 8)': each input solved with `name` at a whole value near `raw`."""
    deadline = time.monotonic() + SEARCH_SECONDS
    options: list[str] = []
    wholes = sorted({math.floor(raw), math.ceil(raw)} - {0}, key=lambda w: abs(w - raw))
    for whole in wholes:
        for field in inputs:
            if len(options) >= MAX_OPTIONS or (whole != wholes[0] and time.monotonic() > deadline):
                return options
            givens = {n: v for n, v in numbers.items() if n != field}
            givens[name] = float(whole)
            value = _whole_answer(engine, field, givens, keys)
            if value is not None and value != numbers.get(field):
                shown = format_quantity(engine.rules.variables[field], value)
                options.append(f"{field} = {shown} ({name} = {whole})")
    return options


def _whole_answer(engine: "Engine", field: str, numbers: dict[str, float], keys: dict[str, str]) -> float | None:
    """`field` solved from the other values, if it answers without an error and comes out whole where
    it must be whole (its value before rounding, not the rounded one)."""
    batch = solved_alone(engine, numbers, keys, field)
    if batch is None:
        return None
    exact = batch.unrounded.get(field, batch.values[field])
    value = float(np.broadcast_to(exact, (1,))[0])
    if not (np.isfinite(value) and value > 0):
        return None
    if engine.rules.variables[field].domain == "integer":
        if abs(value - round(value)) > 1e-9 * max(1.0, abs(value)):
            return None
        value = float(round(value))
    return value
