"""Numbers for people: values in their declared unit, readable magnitudes.

One place decides how a quantity is shown, so the terminal table, the
workbook and the reports agree (7.00B params, 81.1 day, 140 GB, 5.6e22 FLOP).
"""
from __future__ import annotations

import math

from ..rules.model import Variable

_COUNT_STEPS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def in_unit(variable: Variable, base_value: float) -> float:
    """Base-unit value -> the variable's declared unit."""
    return base_value / variable.factor


def number(value: float, digits: int = 4) -> str:
    """A readable number: thousands separators in the normal range, scientific beyond."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 1e9 or magnitude < 1e-3:
        return f"{value:.{digits - 1}e}".replace("e+", "e")
    if float(value).is_integer() and magnitude < 1e9:
        return f"{int(value):,}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(magnitude))))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def count(value: float) -> str:
    """Counts with the suffixes users type: 7.00B, 1.40T, 347."""
    magnitude = abs(value)
    for step, suffix in _COUNT_STEPS:
        if magnitude >= step:
            return f"{value / step:.3g}{suffix}"
    return number(value)


def format_quantity(variable: Variable, base_value: float, with_unit: bool = True) -> str:
    """One value as shown to users, in the declared unit."""
    if base_value is None or (isinstance(base_value, float) and math.isnan(base_value)):
        return ""
    value = in_unit(variable, base_value)
    if variable.domain == "integer" and float(value).is_integer():
        text = f"{int(value):,}"
    elif variable.unit in ("", "token", "char"):
        text = count(value) if abs(value) >= 1e4 else number(value)
    else:
        text = number(value)
    return f"{text} {variable.unit}".rstrip() if with_unit and variable.unit else text


def shorten(text: str, limit: int = 60) -> str:
    """User text echoed in a message: short enough to read on one line."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"
