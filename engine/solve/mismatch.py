"""Given values that miss a rule beyond its tolerance but within what a rounding explains (an approximate
rule's modest miss; an exact rule missed as figures rounded to 3 significant digits miss it): kept, with a
warning per row."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..messages import rule_mismatch
from ..rules.model import Equation


class RuleMismatch(NamedTuple):
    """One rule and, per row, its relative gap (NaN where the row agrees); `rounded_figures`: an exact rule
    that rounded figures miss (28.3 days typed for 28.2552), not an approximate one."""

    eq: Equation
    gaps: np.ndarray
    rounded_figures: bool = False

    @property
    def code(self) -> str:
        return f"mismatch.{self.eq.id}"

    def around_gap(self, lang: str) -> tuple[str, str]:
        """The warning's text before and after the gap figure."""
        return rule_mismatch(self.eq.id, self.eq.text, self.eq.tolerance, lang, self.rounded_figures)

    def message(self, row: int, lang: str) -> str:
        head, tail = self.around_gap(lang)
        return f"{head}{float(self.gaps[row]):.{self.digits}%}{tail}"

    @property
    def digits(self) -> int:
        """Decimals of the gap in percent: a rounded figure's gap is a fraction of one."""
        return 3 if self.rounded_figures else 1
