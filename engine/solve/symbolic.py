"""Symbolic work with sympy: invert an equation for one unknown, or a block.

sympy is imported only here and only on a cache miss: solutions are stored
as expression trees (engine/rules/expr.py) in the on-disk cache, keyed by the
equation text, the unknowns and the variables' domains, so a repeated
question never pays for sympy. Constants become exact rationals before
solving (sympy.solve with floats is slow and returns spurious roots).
"""
from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from ..errors import SympyOutOfTime
from ..errors import UnsupportedForm as Unsupported
from ..rules import cache
from ..rules.expr import Tree, from_json, to_json, variables
from ..rules.units import unit_info
from .isolate import isolate

_SOLUTIONS_KEY = "solutions"
_store: dict[str, Any] | None = None
_dirty = False

# Time budgets (issue #13 §2): one sympy call, and all sympy work of one plan. Past them the planner
# falls back to what needs no sympy (chains, exact elimination, numeric root finding), and an
# under-determined question is answered within 2 s even on an empty cache.
SOLVE_SECONDS = 1.0
_deadline: float | None = None


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Sympy work inside the block stops (solve_block returns None, uncached) after `seconds`."""
    global _deadline
    previous = _deadline
    end = time.monotonic() + seconds
    _deadline = end if previous is None else min(previous, end)
    try:
        yield
    finally:
        _deadline = previous


@contextmanager
def fresh_budget(seconds: float) -> Iterator[None]:
    """budget(), not shortened by an enclosing one: a second plan tried while the first is built (a default
    giving way, engine/solve/planning.py) gets its own time, so a cold cache does not decide the answer."""
    global _deadline
    previous = _deadline
    _deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _deadline = previous


def _left() -> float:
    left = SOLVE_SECONDS
    if _deadline is not None:
        left = min(left, _deadline - time.monotonic())
    return left


_AGAIN_SECONDS = 0.05   # after the limit, the alarm again at this interval until the block is left
# code run by garbage collection: __del__, weakref callbacks (bounds._forget; the standard library's weak
# dictionaries and weakref.finalize, in weakref.py: seen taking the alarm in a cold-cache CI run)
_FINALIZERS = frozenset({"__del__", "_forget"})
_WEAKREF = f"{os.sep}weakref.py"


def _in_finalizer(frame: Any) -> bool:
    """The signal came while garbage collection runs a finalizer or one of its callbacks (gc.callbacks:
    hypothesis registers one; seen taking the alarm in a property test), where an exception is swallowed."""
    if frame is None:
        return False
    code = frame.f_code
    return code.co_name in _FINALIZERS or code.co_filename.endswith(_WEAKREF) \
        or any(getattr(getattr(callback, "__func__", callback), "__code__", None) is code for callback in gc.callbacks)


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """SIGALRM-based limit in the main thread; elsewhere (no signals there) the call runs unlimited.

    The alarm repeats: Python runs a signal handler wherever the main thread is, and one taken inside a
    __del__ or a weakref callback is swallowed there ("Exception ignored in ..."). With a single alarm,
    sympy then ran on unlimited: a cold-cache test run sat 11 minutes in one factorization."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        if _in_finalizer(frame):
            return   # (raised there it would be swallowed, with a trace on stderr: the next alarm stops sympy)
        raise SympyOutOfTime()

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3), _AGAIN_SECONDS)
    try:
        yield
    finally:
        while True:   # (inline, no call: an alarm taken here is caught until the timer is off)
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
                break
            except SympyOutOfTime:
                pass




def _sympy() -> Any:
    import sympy

    return sympy


def to_sympy(tree: Tree, symbols: dict[str, Any]) -> Any:
    """Tree -> sympy expression, with numbers as exact rationals."""
    sp = _sympy()
    kind = tree[0]
    if kind == "num":
        return sp.Rational(repr(float(tree[1])))
    if kind == "unit":
        return sp.Rational(repr(unit_info(tree[1])[0]))
    if kind == "var":
        return symbols[tree[1]]
    if kind == "add":
        return sp.Add(*[to_sympy(t, symbols) for t in tree[1]])
    if kind == "mul":
        return sp.Mul(*[to_sympy(t, symbols) for t in tree[1]])
    if kind == "pow":
        return sp.Pow(to_sympy(tree[1], symbols), to_sympy(tree[2], symbols))
    if kind == "call":
        fn = {"sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log, "ceil": sp.ceiling, "floor": sp.floor,
              "abs": sp.Abs, "min": sp.Min, "max": sp.Max}[tree[1]]
        return fn(*[to_sympy(t, symbols) for t in tree[2]])
    raise Unsupported(kind)


def from_sympy(expr: Any) -> Tree:
    """sympy expression -> tree; raises Unsupported for anything numpy cannot evaluate."""
    sp = _sympy()
    if expr.is_Symbol:
        return ("var", expr.name)
    if expr.is_Number or isinstance(expr, sp.NumberSymbol):
        if not expr.is_real:
            raise Unsupported(str(expr))
        return ("num", float(expr))
    if expr.is_Add:
        return ("add", tuple(from_sympy(a) for a in expr.args))
    if expr.is_Mul:
        return ("mul", tuple(from_sympy(a) for a in expr.args))
    if expr.is_Pow:
        return ("pow", from_sympy(expr.base), from_sympy(expr.exp))
    names = {sp.exp: "exp", sp.log: "log", sp.ceiling: "ceil", sp.floor: "floor", sp.Abs: "abs",
             sp.Min: "min", sp.Max: "max"}
    for cls, name in names.items():
        if isinstance(expr, cls):
            return ("call", name, tuple(from_sympy(a) for a in expr.args))
    raise Unsupported(type(expr).__name__)


def make_symbols(names: Iterable[str], domains: Mapping[str, str]) -> dict[str, Any]:
    sp = _sympy()
    out = {}
    for name in names:
        domain = domains.get(name, "positive")
        if domain in ("positive", "fraction", "integer"):
            out[name] = sp.Symbol(name, positive=True)
        elif domain == "nonnegative":
            out[name] = sp.Symbol(name, nonnegative=True)
        else:
            out[name] = sp.Symbol(name, real=True)
    return out


def _load() -> dict[str, Any]:
    global _store
    if _store is None:
        _store = cache.read_json(_SOLUTIONS_KEY) or {}
    return _store


def save() -> None:
    """Persist solutions learned in this process."""
    global _dirty
    if _dirty and _store is not None:
        merged = cache.read_json(_SOLUTIONS_KEY) or {}
        merged.update(_store)
        cache.write_json(_SOLUTIONS_KEY, merged)
        _dirty = False


def solve_block(equations: list[tuple[Tree, Tree, str]], unknowns: list[str],
                domains: Mapping[str, str]) -> list[dict[str, Tree]] | None:
    """Closed-form solutions {unknown: tree} of `lhs = rhs` equations; None when none is found.

    Sympy's results are cached on disk by the equations' text, the unknowns and the domains. Where
    sympy gives nothing (out of time on a slow machine, or no form it accepts), one equation whose
    unknown appears once is still inverted layer by layer (engine/solve/isolate.py): sympy's form
    comes first because it is simplified (the report shows it), the isolated one keeps the answer
    from depending on the machine's speed.
    """
    solutions = _sympy_solutions(equations, unknowns, domains)
    if solutions is None and len(equations) == 1 and len(unknowns) == 1:
        lhs, rhs, _ = equations[0]
        isolated = isolate(lhs, rhs, unknowns[0], domains)
        if isolated is not None:
            return [{unknowns[0]: isolated}]
    return solutions


def _sympy_solutions(equations: list[tuple[Tree, Tree, str]], unknowns: list[str],
                     domains: Mapping[str, str]) -> list[dict[str, Tree]] | None:
    global _dirty
    names = sorted({n for lhs, rhs, _ in equations for n in _names(lhs) | _names(rhs)})
    key = cache.digest(repr((sorted(text for _, _, text in equations), unknowns,
                             [(n, domains.get(n, "positive")) for n in names])))
    store = _load()
    if key in store:
        cached = store[key]
        return None if cached is None else [{k: from_json(v) for k, v in sol.items()} for sol in cached]
    left = _left()
    if left <= 0:
        return None   # the plan's sympy budget is spent: no closed form now (not cached)
    _sympy()   # imported outside the time limit (an import cut short would leave a broken module)
    left = _left()
    if left <= 0:
        return None
    try:
        with _time_limit(left):
            solutions = _solve_uncached(equations, unknowns, names, domains)
    except SympyOutOfTime:
        # sympy needed more than its budget: no closed form (numeric root finding instead), cached so
        # the next run does not pay again, unless the plan's budget (not this call's) was the limit
        if left < SOLVE_SECONDS:
            return None
        solutions = None
    store[key] = None if solutions is None else [{k: to_json(v) for k, v in s.items()} for s in solutions]
    _dirty = True
    return solutions


def _names(tree: Tree) -> set[str]:
    return variables(tree)


def _solve_uncached(equations: list[tuple[Tree, Tree, str]], unknowns: list[str], names: list[str],
                    domains: Mapping[str, str]) -> list[dict[str, Tree]] | None:
    sp = _sympy()
    symbols = make_symbols(names, domains)
    exprs = [to_sympy(lhs, symbols) - to_sympy(rhs, symbols) for lhs, rhs, _ in equations]
    targets = [symbols[u] for u in unknowns]
    try:
        raw = sp.solve(exprs, targets, dict=True)
    except (NotImplementedError, ValueError, TypeError, AttributeError, RecursionError):
        return None
    solutions = []
    for solution in raw:
        if set(solution) != set(targets):
            continue
        try:
            tree_solution = {}
            for symbol, value in solution.items():
                if value.has(sp.I) or value.free_symbols & set(targets):
                    raise Unsupported("complex or implicit")
                tree_solution[symbol.name] = from_sympy(value)
        except Unsupported:
            continue
        solutions.append(tree_solution)
    return solutions or None
