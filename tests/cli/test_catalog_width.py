"""`llmplan catalog models` fits a 120-column terminal; --wide shows every column (issue #15)."""
from __future__ import annotations

import pytest

from engine.cli.app import main


def _catalog(capsys, *args: str) -> list[str]:
    assert main(["catalog", *args]) == 0
    return capsys.readouterr().out.rstrip("\n").splitlines()


def test_models_fit_in_120_columns_and_say_what_is_hidden(capsys, bundled_engine):
    lines = _catalog(capsys, "models")
    assert max(len(line) for line in lines) <= 120
    fields = list(bundled_engine.rules.tables["model"].fields)
    header = lines[0].split()
    shown = [f for f in fields if any(h == f or h.startswith(f + " ") for h in header)]
    assert header[0] == "key" and {"layers", "hidden", "heads", "kv_heads"} <= set(shown)
    assert lines[-1].startswith(f"{len(fields) - len(shown)} more columns") and "--wide" in lines[-1]
    # one line per model, each starting with its key
    keys = list(bundled_engine.rules.tables["model"].entries)
    assert [line.split()[0] for line in lines[2:2 + len(keys)]] == keys


def test_wide_shows_every_column(capsys, bundled_engine):
    lines = _catalog(capsys, "models", "--wide")
    for field in bundled_engine.rules.tables["model"].fields:
        assert field in lines[0], field
    assert "--wide" not in lines[-1]


def test_narrow_terminal(capsys):
    lines = _catalog(capsys, "gpus", "--width", "60")
    assert max(len(line) for line in lines) <= 60 and lines[0].startswith("key")


@pytest.mark.parametrize("plural, table", [("methods", "method"), ("gpus", "gpu"), ("precisions", "precision"),
                                           ("attention_kernels", "attention_kernel")])
def test_a_table_is_named_in_the_plural_too(capsys, plural, table) -> None:
    assert main(["catalog", plural]) == 0
    plural_out = capsys.readouterr().out
    assert main(["catalog", table]) == 0
    assert plural_out == capsys.readouterr().out and plural_out.startswith("key")
