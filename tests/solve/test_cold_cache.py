"""A forward question on an empty rule cache (issue #14 catalog branch): definitions need no sympy.

A rule `x = f(...)` solved for x is its right side as written. Before, the planner sent it through
sympy like any block; on an empty cache with the plan's sympy budget spent (a slow or busy machine),
the step had no closed form and fell to numeric root finding: slow, and counts off by float noise
(Qwen2.5-7B 7,615,616,511.999998 instead of 7,615,616,512; tests comparing exact counts failed or
ran for minutes). Here the budget is set to zero, the worst case, in a fresh process.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import fresh_process


def test_exact_counts_with_no_sympy_budget_on_an_empty_cache(tmp_path: Path) -> None:
    code = (
        "import json, time\n"
        "import engine.solve.planning as planning\n"
        "planning.PLAN_SYMBOLIC_SECONDS = 0.0\n"
        "from engine import Engine\n"
        "e = Engine.load()\n"
        "t = time.perf_counter()\n"
        "qwen = e.solve(['arch_params'], {'model': 'qwen2.5-7b'}).values['arch_params']\n"
        "mixtral = e.solve(['active_params'], {'model': 'mixtral-8x7b'}).values['active_params']\n"
        "print(json.dumps([time.perf_counter() - t, qwen, mixtral]))\n")
    seconds, qwen, mixtral = fresh_process(code, tmp_path)
    # Qwen2.5-7B (HF Qwen/Qwen2.5-7B safetensors total): 7,615,616,512
    assert qwen == 7_615_616_512
    # Mixtral 8x7B (Jiang et al. 2024 §2, 12.9B active): 46,702,792,704 − 32 · 6 · 3 · 4096 · 14336
    assert mixtral == 46_702_792_704 - 32 * 6 * 3 * 4096 * 14336 == 12_879_925_248
    assert seconds < 5.0, seconds


def test_loss_questions_with_no_sympy_budget(tmp_path: Path) -> None:
    """Answers that must not depend on the machine's speed, with the sympy budget at zero:

    - params from a loss and a budget: the loss fit solved for tokens is isolated without sympy
      (engine/solve/isolate.py), so the torn chain params -> tokens -> train_flops closes and params is
      found by root finding (on a slow machine the budget ran out and the question was refused, CI of
      stop 25);
    - the compute-optimal loss: optimal_params and optimal_tokens from train_flops = 6·N·D and
      D = 20·N, a pair of monomial rules solved by elimination of exponents (engine/solve/elimination.py)
      when sympy has no time (it was refused as under-determined at a zero budget)."""
    code = (
        "import json\n"
        "import engine.solve.planning as planning\n"
        "planning.PLAN_SYMBOLIC_SECONDS = 0.0\n"
        "from engine import Engine\n"
        "e = Engine.load()\n"
        "n = e.solve(['params'], {'train_flops': '5.76e23', 'loss': 1.95}).values['params']\n"
        "best = e.solve(['optimal_loss'], {'train_flops': '5.76e23'}).values\n"
        "print(json.dumps([n, best['optimal_params'], best['optimal_loss']]))\n")
    n, optimal_params, optimal_loss = fresh_process(code, tmp_path)
    # Hoffmann et al. 2022 eq. (10): L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28 with D = C/(6N)
    assert 1.69 + 406.4 / n**0.34 + 410.7 / (5.76e23 / (6 * n)) ** 0.28 == pytest.approx(1.95, rel=1e-9)
    # 20 tokens per parameter (seed §6): N = sqrt(C / (6 · 20)) = 6.9282e10, and eq. (2) there
    assert optimal_params == pytest.approx((5.76e23 / 120) ** 0.5, rel=1e-12)
    expected = 1.69 + 406.4 / optimal_params**0.34 + 410.7 / (20 * optimal_params) ** 0.28
    assert optimal_loss == pytest.approx(expected, rel=1e-12)
    assert optimal_loss == pytest.approx(1.937410, rel=1e-6)   # tests/rule_cases/chinchilla.yaml


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")   # (nothing swallowed, said)
def test_sympys_time_limit_holds_when_its_alarm_lands_in_a_weakref_callback() -> None:
    """The alarm that stops sympy is a Python signal handler: taken inside a weakref callback (numbers
    freed while sympy works: engine/solve/bounds.py forgets their bounds) or a __del__, its exception
    would be swallowed there ("Exception ignored in ..." on stderr), and one alarm alone never came
    again (once, a cold-cache test run sat 11 minutes in one sympy factorization). It repeats until the
    block is left, and raises nothing inside a finalizer: the limit holds, and nothing is printed."""
    import time

    from engine.errors import SympyOutOfTime
    from engine.solve import symbolic
    from engine.solve.bounds import remember_bounds

    start = time.monotonic()

    class Slow:
        def __del__(self) -> None:   # spans the limit: the first alarms are taken here
            while time.monotonic() - start < 0.4:
                pass

    with pytest.raises(SympyOutOfTime):
        with symbolic._time_limit(0.2):
            Slow()
            while time.monotonic() - start < 10:
                column = np.zeros(4)
                remember_bounds(column, 0.0, 0.0)   # a weakref callback when it is freed
                del column
    assert time.monotonic() - start < 5   # stopped soon after its 0.2 s, not at the loop's own end


def test_an_alarm_in_a_finalizer_waits_for_the_next() -> None:
    """Where garbage collection runs code (a __del__, bounds._forget, the standard library's weak
    dictionaries in weakref.py: one took the alarm in a cold-cache CI run), the alarm raises nothing."""
    import os
    from types import SimpleNamespace

    from engine.solve.symbolic import _in_finalizer

    def frame(name: str, path: str) -> SimpleNamespace:
        return SimpleNamespace(f_code=SimpleNamespace(co_name=name, co_filename=path))

    lib = os.path.join(os.sep, "usr", "lib", "python3.11")
    assert _in_finalizer(frame("remove", os.path.join(lib, "weakref.py")))      # WeakKeyDictionary's callback
    assert _in_finalizer(frame("__del__", os.path.join(lib, "tempfile.py")))
    assert _in_finalizer(frame("_forget", os.path.join("engine", "solve", "bounds.py")))
    assert not _in_finalizer(frame("dmp_zz_wang", os.path.join("sympy", "polys", "factortools.py")))
    assert not _in_finalizer(frame("remove", os.path.join(lib, "myweakref.py")))   # (a file name, not a suffix)
    assert not _in_finalizer(None)


def test_an_alarm_in_a_gc_callback_waits_for_the_next() -> None:
    """gc.callbacks run while garbage collection runs (hypothesis registers one: it took the alarm in a property
    test, and the exception was swallowed there): a frame of one of them is a finalizer's too."""
    import gc
    import sys

    from engine.solve.symbolic import _in_finalizer

    seen = []

    def callback(phase: str, info: dict) -> None:
        seen.append(_in_finalizer(sys._getframe()))

    gc.callbacks.append(callback)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(callback)
    assert seen and all(seen)
    assert not _in_finalizer(sys._getframe())   # (this test's own frame is no callback)
