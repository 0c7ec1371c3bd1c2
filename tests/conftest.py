"""Shared fixtures: one loaded engine per session, and a way to run the CLI as a user would."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def bundled_engine() -> Any:
    """Engine.load() with the bundled rules only (loaded once; treat it as read-only)."""
    from engine.solve.solver import Engine

    return Engine.load()


def run_llmplan(*args: str, cwd: Path | str | None = None, timeout: float = 120,
                input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m engine ARGS...` in a fresh process (exit code, stdout, stderr as text)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd or ROOT, env=env, text=True,
                          capture_output=True, timeout=timeout, input=input_text, encoding="utf-8",
                          check=False)


def fresh_process(code: str, tmp_path: Path) -> Any:
    """What Python `code` prints last as JSON, run in a new process on an empty rule cache (tmp_path/cache)."""
    import json

    env = dict(os.environ, LLMPLAN_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def search_counted_not_timed(monkeypatch: Any) -> None:
    """The search for what is missing stops after a count of tries, and after 2 s as a safety net only (so
    does the search for whole values that would work, past the nearest one); a test checks what a message
    names, so the nets are raised out of reach of a loaded machine's pauses (tests/solve/test_search_budget.py
    checks the net itself, and the cold-cache tests the time)."""
    import importlib   # (the modules themselves: `engine.solve` may name the function engine/__init__ exports)

    monkeypatch.setattr(importlib.import_module("engine.solve.suggestions"), "SUGGESTION_SECONDS", 60.0)
    monkeypatch.setattr(importlib.import_module("engine.solve.whole_options"), "SEARCH_SECONDS", 60.0)


@pytest.fixture
def llmplan() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_llmplan


def rule_ids(result: Any) -> set[str]:
    """Equation ids used on the way to a Result's answer (its derivation's needed steps)."""
    return {eq.id for step in result.derivation if step.needed for eq in step.equations}


@pytest.fixture
def eng(bundled_engine: Any) -> Any:
    """The shared engine under the short name most tests use."""
    return bundled_engine
