"""The warnings column joined by combination (engine/table/note_columns._Notes._by_combination) reads
exactly as the per-row join it replaces: same texts, same order of notes, null where no note applies."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from engine.table.note_columns import _Notes
from engine.table.value_texts import Coded as _Coded


def _notes(rng: np.random.Generator, rows: int) -> _Notes:
    notes = _Notes(rows)
    if rng.random() < 0.5:
        notes.notes.append((None, ["rounded: grad_accum rounded up"]))          # a lead note on every row
    coded_at = int(rng.integers(0, 4)) if rng.random() < 0.7 else -1
    for at in range(int(rng.integers(1, 4))):
        on = None if rng.random() < 0.2 else rng.random(rows) < rng.random()
        if at == coded_at:
            table = pl.Series([f"value {i / 7:.4g}" for i in range(7)], dtype=pl.String)
            coded = _Coded(rng.integers(0, 7, rows).astype(np.int64), table)
            notes.notes.append((on, [f"check.{at}: utilization ", coded, " is outside the band"]))
        else:
            notes.notes.append((on, [f"check.{at}: a fixed sentence"]))
    return notes


@pytest.mark.parametrize("seed", range(40))
def test_joined_by_combination_reads_as_joined_per_row(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(seed)
    rows = 300
    notes = _notes(rng, rows)
    fast = notes.column("warnings")
    monkeypatch.setattr(_Notes, "_by_combination", lambda self, lead, notes: None)
    slow = notes.column("warnings")
    as_list = [c.series("warnings").to_list() if not isinstance(c, pl.Series) else c.to_list() for c in (fast, slow)]
    assert as_list[0] == as_list[1]
    # and by hand, row 0: the notes it carries in order, joined by " | "
    expected = []
    for on, pieces in notes.notes:
        if on is None or on[0]:
            expected.append("".join(p if isinstance(p, str) else p.table[int(p.codes[0])] for p in pieces))
    assert as_list[0][0] == (" | ".join(expected) if expected else None)
