"""A `model` cell that names a Hugging Face config.json (or a folder holding one) instead of a catalog key.

    | solve       | model                        |
    | arch_params | ckpt/Qwen3-4B/config.json    |

The same reading as `llmplan solve model=path/config.json` (engine/rules/hf_config.py): the file's
shapes and flags fill that row's architecture inputs, a value typed in the row's own cell wins, and
the row's model key stays empty. Each distinct path is read once; a file that cannot be used is the
error of the rows naming it (with the cell), the other rows still run.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import EngineError
from ..messages import said
from ..rules.hf_config import is_config_path, read_hf_config
from ..solve.batch import Categorical
from ..text.values import parse_key, parse_number
from .cells import Locator
from .headers import Column
from .key_cells import Report

if TYPE_CHECKING:
    from ..solve.solver import Engine


def fill_model_configs(engine: "Engine", columns: list[Column], numbers: dict[str, np.ndarray],
                       keys: dict[str, Categorical], empty: dict[str, np.ndarray], locator: Locator,
                       report: Report, rows: int) -> None:
    """Rows whose model cell is a config.json: its values as that row's inputs (in place)."""
    model = keys.get("model")
    paths = {code: label for code, label in enumerate(model.labels) if is_config_path(label)} if model else {}
    if not paths or model is None:
        return
    column = next(c for c in columns if c.role == "key" and c.variable == "model")
    codes = np.broadcast_to(model.codes, (rows,)).astype(np.int64)
    for code, path in paths.items():
        index = np.flatnonzero(codes == code)
        try:
            values = read_hf_config(locator.path(path.strip()))
        except EngineError as exc:
            report(index, [said(f"{locator.cell(column.index, column.header, r)}: ", exc) for r in index.tolist()])
            continue
        for name, raw in values.items():
            _fill(engine, name, raw, index, numbers, keys, empty, rows)
    codes = np.where(np.isin(codes, list(paths)), -1, codes)
    keys["model"] = Categorical(codes, list(model.labels))
    empty["model"] = codes < 0


def _fill(engine: "Engine", name: str, raw: object, index: np.ndarray, numbers: dict[str, np.ndarray],
          keys: dict[str, Categorical], empty: dict[str, np.ndarray], rows: int) -> None:
    """One value of a config for the rows `index` whose own cell for `name` is empty."""
    variable = engine.rules.variables[name]
    if variable.categorical:
        current = keys.get(name)
        labels = list(current.labels) if current is not None else []
        codes = np.broadcast_to(current.codes, (rows,)).astype(np.int64) if current is not None \
            else np.full(rows, -1, dtype=np.int64)
        value = parse_key(variable, engine.rules.tables.get(name), raw)
        if value not in labels:
            labels.append(value)
        target = index[codes[index] < 0]
        codes[target] = labels.index(value)
        keys[name] = Categorical(codes, labels)
        filled = codes >= 0
    else:
        column = np.array(numbers[name], dtype=float) if name in numbers else np.full(rows, np.nan)
        target = index[np.isnan(column[index])]
        column[target] = parse_number(variable, raw)
        numbers[name] = column
        filled = ~np.isnan(column)
    if name in empty or len(target):
        empty[name] = ~filled
