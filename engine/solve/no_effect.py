"""Whether a step's equation involves its unknown at all for the given rows.

A torn or numeric step whose residual has the same value wherever its unknown lies (the terms
with it vanish: QK-norm off, so `heads` drops out of the parameter count) has no root; that is
a missing value, not values that contradict each other.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from .numeric import Compiled
from .roots import SCAN_RANGE, evaluate_at


def independent_of(residual: Compiled, name: str, env: Mapping[str, np.ndarray], rows: int,
                   domain: str = "positive") -> np.ndarray:
    """Rows where the residual is one finite, non-zero value at every scan point: for these inputs
    the equation does not involve `name` at all (its terms vanish, e.g. a 0/1 flag that is 0), so it
    has no root and the question lacks a value rather than having contradictory ones."""
    low, high = SCAN_RANGE.get(domain, SCAN_RANGE["positive"])
    with np.errstate(all="ignore"):
        values = [evaluate_at(residual, name, dict(env), x, rows) for x in np.geomspace(low, high, 7)]
    first = values[0]
    same = np.isfinite(first) & (first != 0)
    for value in values[1:]:
        same &= np.abs(value - first) <= 1e-12 * np.abs(first)
    return same
