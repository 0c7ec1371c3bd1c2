"""A `config` column in a scenario table: each row's training config fills that row's empty inputs.

    | name    | config                    | gpu  | solve          |
    | lora 4k | runs/llama3_lora_sft.yaml | A800 | memory_per_gpu |

Each distinct path is read once. In each row, a value typed in the row's own cell wins; a config
value fills a variable whose cell is empty or that has no column. A config that cannot be read
becomes that row's error (naming the cell and the config's file:line); the other rows still run.
`origins` gives, per row, what the config filled and where from (the `config origins` column).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import EngineError, TrainingConfigError
from ...messages import Caught, keyed, said
from ...rules.hf_config import read_hf_config
from ...solve.keys import Categorical
from ...text.values import parse_key, parse_number
from .givens import _ARCHITECTURE, check_value, held_out_note, read_configs, resolve_model

if TYPE_CHECKING:
    from ...solve.solver import Engine

Report = Callable[[np.ndarray, "list[str] | str"], None]


def fill_from_configs(engine: Engine, cells: list[Any], cell: Callable[[int], str], numbers: dict[str, np.ndarray],
                      keys: dict[str, Any], empty: dict[str, np.ndarray], report: Report) -> list[str | None]:
    """Fill numbers/keys (batch inputs, base units) from each row's config; the origin text per row."""
    rows = len(cells)
    origins: list[str | None] = [None] * rows
    by_path: dict[str, list[int]] = {}
    for row, value in enumerate(cells):
        if value is not None and str(value).strip():
            by_path.setdefault(str(value).strip(), []).append(row)
    for path, index in by_path.items():
        try:
            filled = _values(engine, path)
        except EngineError as exc:
            report(np.array(index), [_config_error(cell(r), exc) for r in index])
            continue
        problem = filled.pop("", None)      # the model could not be resolved: an error where the row needs it
        unmodelled = filled.pop(_UNMODELLED, None)
        if unmodelled is not None:          # a config value llmplan has no key for: the row's own cell may give it
            name, why = unmodelled
            missing = ~_typed(name, np.array(index), numbers, keys)
            if missing.any():
                needing = np.array(index)[missing]
                report(needing, [_config_error(cell(r), keyed(TrainingConfigError, "training.give_column",
                                                              why=Caught(why), name=name)) for r in needing])
            index = [r for r, lacking in zip(index, missing) if not lacking]
            if not index:
                continue
        split = filled.pop(_HELD_OUT, None)
        typed_samples = _typed("samples", np.array(index), numbers, keys)   # (before the config fills it)
        texts, architecture = _fill_rows(engine, np.array(index), filled, numbers, keys, empty, rows)
        for row, text, typed in zip(index, texts, typed_samples):
            origins[row] = text
            if split is not None and typed:   # samples typed in the row: what the config's split means for it
                origins[row] = "; ".join(t for t in (text, held_out_note(split[0], float(numbers["samples"][row])))
                                         if t)
        if problem is not None and not architecture.all():
            needing = np.array(index)[~architecture]
            report(needing, [_config_error(cell(r), problem[0]) for r in needing])
    return origins


def _values(engine: Engine, path: str) -> dict[str, tuple[Any, Any]]:
    """variable -> (value in base units or canonical key, Filled), every value checked."""

    merged, reads = read_configs(path)
    rules = engine.rules
    out: dict[str, tuple[Any, Any]] = {}
    for read in reads:
        for name, why in read.unmodelled[:1]:   # (one is enough to say; a row that types it runs)
            out[_UNMODELLED] = (name, why)
        if read.held_out is not None:
            out[_HELD_OUT] = (read.held_out, None)
    for name, filled in merged.items():
        try:
            value = resolve_model(filled, rules) if name == "model" else filled.value
        except EngineError as exc:
            out[""] = (exc, filled)
            continue
        if name == "model" and ("/" in str(value) or "\\" in str(value)):

            for arch, number in read_hf_config(str(value)).items():
                variable = rules.variables[arch]
                out[arch] = (parse_key(variable, rules.tables.get(arch), number) if variable.categorical
                             else float(number) * variable.factor, filled)
            continue
        check_value(rules, name, value, filled)
        variable = rules.variables[name]
        out[name] = (parse_key(variable, rules.tables.get(name), value) if variable.categorical
                     else parse_number(variable, value), filled)
    return out


_UNMODELLED = "\0unmodelled"   # key of _values' (variable, why) for a value llmplan cannot take from the file
_HELD_OUT = "\0held_out"       # key of _values' (HeldOut, None): evaluation data the config splits off


def _typed(name: str, index: np.ndarray, numbers: dict[str, np.ndarray], keys: dict[str, Any]) -> np.ndarray:
    """Rows (of index) whose own cell gives name."""
    if name in numbers:
        return ~np.isnan(np.asarray(numbers[name], dtype=float)[index])
    if name in keys:
        return np.asarray(keys[name].codes)[index] >= 0
    return np.zeros(len(index), dtype=bool)


def _fill_rows(engine: Engine, index: np.ndarray, filled: dict[str, tuple[Any, Any]], numbers: dict[str, np.ndarray],
               keys: dict[str, Any], empty: dict[str, np.ndarray], rows: int) -> tuple[list[str], np.ndarray]:
    """Fill the rows of one config (vectorized over its rows); the origin text of each row, and which
    rows type the architecture themselves."""

    architecture = np.zeros(len(index), dtype=bool)
    for name in _ARCHITECTURE:
        architecture |= _typed(name, index, numbers, keys)
    shown: list[list[str]] = [[] for _ in index]
    for name, (value, origin) in filled.items():
        skip = _typed(name, index, numbers, keys)
        if origin.name == "model":           # the model, or a figure of its config.json
            skip |= architecture
        target = index[~skip]
        if not len(target):
            continue
        if engine.rules.variables[name].categorical:
            column = keys.get(name) or Categorical(np.full(rows, -1, dtype=np.int64), [])
            labels = list(column.labels)
            if value not in labels:
                labels.append(value)
            codes = np.array(column.codes, dtype=np.int64)
            codes[target] = labels.index(value)
            keys[name] = Categorical(codes, labels)
        else:
            column = np.array(numbers[name], dtype=float) if name in numbers else np.full(rows, np.nan)
            column[target] = value
            numbers[name] = column
        if name in empty:
            mask = np.array(empty[name], dtype=bool)
            mask[target] = False
            empty[name] = mask
        if origin.name == name:
            where = origin.origin if not origin.default \
                else origin.origin.split(" default")[0].split(":")[0] + " default"
            for position in np.flatnonzero(~skip):
                shown[position].append(f"{name} ({where})")
    return ["; ".join(parts) for parts in shown], architecture


def _config_error(where: str, exc: BaseException) -> str:
    """A row's error from its config (said in the workbook's language)."""
    return said(f"{where}: ", keyed(TrainingConfigError, "training.config_cell", problem=Caught(exc)))
