"""Float noise a consistency check must not call a contradiction.

A value solved by subtraction (pp_bubble_time = step_time − compute_time − …, torn from a given
throughput) comes out as −4.4e-16 s where its own rule gives exactly 0 s; relative to the larger
side the two differ by 100 %. The scale of such a check is the size of the quantities of the same
kind it reads (compute_time = 2.92 s): a difference below 1e-12 of that is rounding, not a
disagreement of the givens.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..rules.model import Equation, Variable

NOISE = 1e-12   # relative to the check's largest value of the same dimensions (float64 carries ~1e-16)


def within_noise(eq: Equation, variables: Mapping[str, Variable], env: Mapping[str, object],
                 left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Rows where |left − right| is float noise against the largest value of the dimensions of the
    rule's own variable (its left or right side, where that is one variable); all False otherwise."""
    own = next((side[1] for side in (eq.lhs, eq.rhs) if side[0] == "var"), None)
    if own is None:
        return np.zeros(np.shape(left), dtype=bool)
    dims = variables[own].dims
    scale = np.maximum(np.abs(left), np.abs(right))
    for name in sorted(eq.variables):
        if variables[name].dims == dims and name in env:
            scale = np.maximum(scale, np.abs(np.asarray(env[name], dtype=float)))
    return np.abs(left - right) <= NOISE * scale
