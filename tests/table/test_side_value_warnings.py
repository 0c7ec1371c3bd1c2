"""A check on a default the answer does not read says nothing about the question (issue #15's noise):
`activations.not_sized` (activation memory 0 although seq_len is given) beside a time, where activation
memory is only a side value. The same check stays where memory is the question. In the terminal
(engine.table.scope.shown_warnings) and in a workbook's warnings column alike."""
from __future__ import annotations

import polars as pl

import engine
from engine.table.scope import shown_warnings

NOT_SIZED = "activations.not_sized"
GIVENS = {"params": "7B", "tokens": "1T", "gpu": "A800", "mfu": 0.4, "seq_len": 4096}


def test_terminal_keeps_the_check_for_memory_only(eng) -> None:
    time = eng.solve(["train_time"], dict(GIVENS, n_gpus=64))
    memory = eng.solve(["memory_per_gpu"], dict(GIVENS, n_gpus=8))
    # the solver fires the check in both (activation_bytes = 0 is derived on the side for the time) ...
    assert NOT_SIZED in {w.code for w in time.warnings}
    # ... and a person reads it only where the answer adds activation memory
    assert NOT_SIZED not in {w.code for w in shown_warnings(time)}
    assert NOT_SIZED in {w.code for w in shown_warnings(memory)}


def test_workbook_rows_keep_the_check_for_memory_only(bundled_engine) -> None:
    frame = pl.DataFrame({"solve": ["train_time", "memory_per_gpu"], "params": ["7B"] * 2, "tokens": ["1T"] * 2,
                          "gpu": ["A800"] * 2, "n_gpus": [64, 8], "mfu": [0.4] * 2, "seq_len": [4096] * 2})
    time_row, memory_row = engine.solve_frame(frame, bundled_engine)["warnings"].to_list()
    assert time_row is None or NOT_SIZED not in time_row
    assert memory_row is not None and NOT_SIZED in memory_row
