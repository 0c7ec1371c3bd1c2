"""Given values that miss an approximate rule beyond its tolerance: kept, with a warning per row."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..messages import rule_mismatch
from ..rules.model import Equation


class RuleMismatch(NamedTuple):
    """One approximate rule and, per row, its relative gap (NaN where the row agrees)."""

    eq: Equation
    gaps: np.ndarray

    @property
    def code(self) -> str:
        return f"mismatch.{self.eq.id}"

    def around_gap(self, lang: str) -> tuple[str, str]:
        """The warning's text before and after the gap figure."""
        return rule_mismatch(self.eq.id, self.eq.text, self.eq.tolerance, lang)

    def message(self, row: int, lang: str) -> str:
        head, tail = self.around_gap(lang)
        return f"{head}{float(self.gaps[row]):.1%}{tail}"
