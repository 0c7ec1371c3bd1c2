"""Root finding: x per row with f(x) = 0, where a rule has no closed-form inverse.

Every row at once: a log-spaced scan over the variable's domain brackets the sign changes, then
bisection in log space narrows a bracket to full float precision. Where the residual changes sign
more than once (a train time that falls with seq_len, then rises again as the fixed per-step costs
stop being amortised: two sequence lengths take as long), the root asked for is one end: the
smallest, or the largest for a whole number rounded down (the longest seq_len, the largest
micro_batch that keeps a limit); the other end is returned beside it, for the answer to mention.
"""
from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from ..rules.expr import Tree
from .numeric import Compiled, Env, domain_mask

SCAN_RANGE = {  # domain -> (low, high) of the log-spaced scan, in base units
    "positive": (1e-12, 1e32), "integer": (1e-3, 1e32), "nonnegative": (1e-12, 1e32),
    "fraction": (1e-9, 1.0), "real": (1e-12, 1e32),
}
SCAN_POINTS = 89       # half-decade steps over the positive range
BISECTIONS = 64        # log-space halvings: the bracket shrinks below float precision
CHUNK = 200_000        # rows per batch, to bound memory of the scan
SNAP_NOISE = 1e-9      # a residual this small beside its size at half and twice the root is a root
GUARD_NOISE = 1e-12    # a nonnegative definition this far below 0, beside the size of its terms, is 0


class Roots(NamedTuple):
    root: np.ndarray    # per row, the root asked for (NaN: none)
    other: np.ndarray   # per row, the root at the other end where the residual has several (NaN: one or none)


def find_root(residual: Compiled, name: str, env: Mapping[str, np.ndarray], rows: int,
              domain: str = "positive") -> np.ndarray:
    """x per row with residual(env | {name: x}) == 0, the smallest in-domain root; NaN where none."""
    return find_roots(residual, name, env, rows, domain).root


def find_roots(residual: Compiled, name: str, env: Mapping[str, np.ndarray], rows: int,
               domain: str = "positive", largest: bool = False) -> Roots:
    """The smallest in-domain root per row (the largest with `largest`), and the other extreme root."""
    root, other = np.full(rows, np.nan), np.full(rows, np.nan)
    for start in range(0, rows, CHUNK):
        stop = min(rows, start + CHUNK)
        part = at_rows(env, rows, slice(start, stop)) if rows > CHUNK else dict(env)   # (a slice: views)
        root[start:stop], other[start:stop] = _root_chunk(residual, name, part, stop - start, domain, largest)
    return Roots(root, other)


def snapped_to_whole(residual: Compiled, name: str, env: Mapping[str, np.ndarray], rows: int, root: np.ndarray,
                     rounding: str) -> np.ndarray:
    """`root` moved to a whole number that is a root too: the one its rounding would pass over (below it
    for `up`, above for `down`), or the nearest where the root is float noise away from it (0.99999999 GPUs,
    whose data-parallel size then reads below 1). A residual flat over a range (the training time of 8.0006
    GPUs is that of 8, the optimizer steps being whole) has its bisected root anywhere in it, and 8.0006
    would round up to 9 GPUs where 8 give the very time asked. "A root too": the residual there is float
    noise beside its size at half and twice that number (a sawtooth's lower tooth, short of the limit, is
    not)."""
    passed = np.floor(root) if rounding == "up" else np.ceil(root)
    nearest = np.round(root)
    close = np.abs(root - nearest) <= SNAP_NOISE * np.fmax(1.0, np.abs(root))
    for whole, allowed in ((passed, True), (nearest, close)):
        candidate = allowed & (whole != root) & (whole >= 1) & np.isfinite(root)
        if not candidate.any():
            continue
        at = np.where(candidate, whole, 1.0)
        with np.errstate(all="ignore"):
            at_whole = np.abs(evaluate_at(residual, name, dict(env), at, rows))
            scale = np.fmax(np.abs(evaluate_at(residual, name, dict(env), at / 2, rows)),
                            np.abs(evaluate_at(residual, name, dict(env), at * 2, rows)))
        root = np.where(candidate & (at_whole <= SNAP_NOISE * scale), whole, root)
    return root


class _Brackets:
    """The first and the last sign change of each row seen by the scan, and how many there were."""

    def __init__(self, rows: int) -> None:
        self.first = (np.full(rows, np.nan), np.full(rows, np.nan))
        self.last = (np.full(rows, np.nan), np.full(rows, np.nan))
        self.count = np.zeros(rows, dtype=np.int64)

    def add(self, change: np.ndarray, lo: "np.ndarray | float", hi: "np.ndarray | float") -> None:
        new = change & (self.count == 0)
        for (low, high), rows in ((self.first, new), (self.last, change)):
            low[rows] = np.broadcast_to(lo, change.shape)[rows]
            high[rows] = np.broadcast_to(hi, change.shape)[rows]
        self.count += change


def _root_chunk(residual: Compiled, name: str, env: dict, rows: int, domain: str, largest: bool
                ) -> tuple[np.ndarray, np.ndarray]:
    low, high = SCAN_RANGE.get(domain, SCAN_RANGE["positive"])
    grid = np.geomspace(low, high, SCAN_POINTS)
    brackets = _Brackets(rows)
    exact_first, exact_last = np.full(rows, np.nan), np.full(rows, np.nan)
    with np.errstate(all="ignore"):
        previous = evaluate_at(residual, name, env, grid[0], rows)
        exact_first[previous == 0] = exact_last[previous == 0] = grid[0]
        zeros = (previous == 0).astype(np.int64)
        for a, b in zip(grid[:-1], grid[1:]):
            current = evaluate_at(residual, name, env, b, rows)
            exact_first[(current == 0) & np.isnan(exact_first)] = b
            exact_last[current == 0] = b
            zeros += current == 0
            brackets.add(np.isfinite(previous) & np.isfinite(current) & (np.sign(previous) * np.sign(current) < 0),
                         a, b)
            edge = (np.isfinite(previous) != np.isfinite(current))
            if edge.any():   # (a root between the domain's edge and the first or last scan point inside it)
                lo, hi = np.full(rows, np.nan), np.full(rows, np.nan)
                brackets.add(_bracket_at_edge(residual, name, env, rows, (a, previous), (b, current), edge, (lo, hi)),
                             lo, hi)
            previous = current
        wanted, opposite = (brackets.last, brackets.first) if largest else (brackets.first, brackets.last)
        root = np.where(brackets.count > 0, _bisect(residual, name, env, rows, *wanted), np.nan)
        root = np.where(np.isnan(root), exact_last if largest else exact_first, root)
        several = np.flatnonzero(brackets.count > 1)
        other = np.full(rows, np.nan)
        if len(several):
            part = at_rows(env, rows, several)
            other[several] = _bisect(residual, name, part, len(several), opposite[0][several], opposite[1][several])
    # exactly zero at two or more scan points: the equation holds for every x (two forms of one
    # relation), so it says nothing about x
    return np.where(zeros >= 2, np.nan, root), np.where(zeros >= 2, np.nan, other)


def _bisect(residual: Compiled, name: str, env: dict, rows: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The root inside each bracket [lo, hi] (log-space halvings); NaN where the bracket is."""
    lo_val = evaluate_at(residual, name, env, lo, rows)
    for _ in range(BISECTIONS):
        mid = np.sqrt(lo * hi)
        mid_val = evaluate_at(residual, name, env, mid, rows)
        same = np.sign(mid_val) == np.sign(lo_val)
        lo = np.where(same, mid, lo)
        lo_val = np.where(same, mid_val, lo_val)
        hi = np.where(same, hi, mid)
    return np.sqrt(lo * hi)


def at_rows(env: Mapping[str, "np.ndarray | float"], rows: int, index: "np.ndarray | slice") -> dict:
    """env at the row positions `index` (a column of `rows` values is picked, one number stays)."""
    return {k: (v[index] if isinstance(v, np.ndarray) and v.shape == (rows,) else v) for k, v in env.items()}


def _bracket_at_edge(residual: Compiled, name: str, env: dict, rows: int, left: tuple[float, np.ndarray],
                     right: tuple[float, np.ndarray], edge: np.ndarray, bracket: tuple[np.ndarray, np.ndarray]
                     ) -> np.ndarray:
    """Rows of `edge` (finite at one end of the scan interval, not at the other: a guarded residual outside
    the chain's domain) whose root lies between the finite end and the domain's edge, found by bisecting on
    finiteness; their bracket is written into `bracket` (lo, hi). Returns those rows."""
    inside_left = np.isfinite(left[1])
    finite_x = np.where(inside_left, left[0], right[0])
    finite_value = np.where(inside_left, left[1], right[1])
    outside_x = np.where(inside_left, right[0], left[0])
    near_x, near_value = finite_x.copy(), finite_value.copy()
    for _ in range(BISECTIONS):
        mid = np.sqrt(near_x * outside_x)
        value = evaluate_at(residual, name, env, mid, rows)
        inside = np.isfinite(value)
        near_x, near_value = np.where(inside, mid, near_x), np.where(inside, value, near_value)
        outside_x = np.where(inside, outside_x, mid)
    change = edge & (np.sign(finite_value) * np.sign(near_value) <= 0) & (finite_value != 0)
    lo, hi = bracket
    lo[change] = np.minimum(finite_x, near_x)[change]
    hi[change] = np.maximum(finite_x, near_x)[change]
    return change


def guarded(residual: Compiled, guards: list[tuple[str, Compiled, str]],
            sizes: Mapping[str, Compiled] | None = None) -> Compiled:
    """The residual of a torn chain, NaN where a definition it went through leaves its domain (name, closed
    form, domain; in the order they define each other): a sign change there is no root the chain can have
    (n_gpus for a deadline where dp < 1 turns the ring all-reduce's (dp - 1)/dp negative). `sizes`: for a
    nonnegative definition, the size of its terms (`magnitude`); a value below 0 by float noise beside them
    is 0 (network_exposed_bytes = −3.8e-6 B of terms of 1e10 B at grad_accum = 3.8 hid the root at 4)."""
    if not guards:
        return residual
    sizes = sizes or {}

    def checked(env: Env) -> "np.ndarray | float":
        local = dict(env)
        outside: "np.ndarray | bool" = False
        for name, closed, domain in guards:
            value = np.asarray(closed(local), dtype=float)
            size = sizes.get(name)
            if size is not None and np.any(value < 0):
                noise = (value < 0) & (value >= -GUARD_NOISE * np.abs(np.asarray(size(local), dtype=float)))
                value = np.where(noise, 0.0, value)
            local[name] = value
            outside = outside | ~domain_mask(domain, np.atleast_1d(value))
        return np.where(outside, np.nan, residual(local))   # (a residual may read the definitions)

    return checked


def magnitude(tree: Tree) -> Tree:
    """`tree` with every number made positive: for sums and products of nonnegative values, the sum of the
    sizes of its terms (a − b becomes a + b), the scale its float noise is measured against."""
    kind = tree[0]
    if kind == "num":
        return ("num", abs(tree[1]))
    if kind in ("add", "mul"):
        return (kind, tuple(magnitude(t) for t in tree[1]))
    if kind == "pow":
        return ("pow", magnitude(tree[1]), tree[2])
    if kind == "call":
        return ("call", tree[1], tuple(magnitude(t) for t in tree[2]))
    return tree


def evaluate_at(residual: Compiled, name: str, env: dict, x: "np.ndarray | float", rows: int) -> np.ndarray:
    local = dict(env)
    local[name] = x
    value = residual(local)
    return np.broadcast_to(np.asarray(value, dtype=float), (rows,))
