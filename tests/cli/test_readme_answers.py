"""README's `llmplan solve` examples print what README shows (a docs check: a change in the rules or the
performance model shows up here and in the README). Each block starting `$ llmplan solve` is run as written;
every line README shows under it must be a line of the answer (README may show fewer lines than printed)."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from engine.cli.app import main

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _examples() -> list[tuple[str, list[str]]]:
    """(command, shown lines) for each README block that runs `llmplan solve` and shows its answer."""
    out = []
    for block in re.split(r"\n\s*\n", README):
        lines = [line[4:] for line in block.splitlines() if line.startswith("    ")]
        if not lines or not lines[0].startswith("$ llmplan solve"):
            continue
        command, rest = lines[0][2:], lines[1:]
        while command.endswith("\\"):
            command = command[:-1] + rest.pop(0).strip()
        if rest and rest[0] == "Answer:":
            out.append((command, rest))
    return out


EXAMPLES = _examples()


def test_the_readme_has_answered_examples() -> None:
    commands = [command for command, _ in EXAMPLES]
    assert any("n_gpus train_time=30d" in c and "perf_model=analytic" in c for c in commands)
    assert any("micro_batch step_time=10s" in c for c in commands)


@pytest.mark.parametrize("command,shown", EXAMPLES, ids=[c[:60] for c, _ in EXAMPLES])
def test_a_readme_answer_is_what_llmplan_prints(capsys, command: str, shown: list[str]) -> None:
    assert main(shlex.split(command)[1:]) == 0
    printed = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    for line in shown:
        if "…" in line or line.strip().startswith("(") or line.strip() == "...":
            continue   # (a source cut to the terminal's width, the "-v shows" hint, lines left out: not the answer)
        assert line.rstrip() in printed, line
