"""Numbers for people: readable magnitudes in the unit a person would pick.

One place decides how a quantity is shown, so the terminal, the workbook's texts and the reports
agree (issue #15): times in the largest of s/min/h/days that keeps the number >= 1 ("11.7 h"),
bytes in KB..PB (KiB..PiB when the user typed binary units), counts with K/M/B/T ("7B"),
FLOP totals in engineering form ("112e21 FLOP"); everything else in the variable's declared unit.
"""
from __future__ import annotations

import math
import re
from typing import Callable, Mapping

from ..messages import Both
from ..rules.model import Variable

_COUNT_STEPS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
# largest first: the first unit that keeps the number >= 1 is shown
TIME_STEPS = ((86400.0, "days"), (3600.0, "h"), (60.0, "min"), (1.0, "s"))
DECIMAL_BYTES = ((1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB"), (1.0, "B"))
BINARY_BYTES = ((2.0 ** 50, "PiB"), (2.0 ** 40, "TiB"), (2.0 ** 30, "GiB"), (2.0 ** 20, "MiB"),
                (2.0 ** 10, "KiB"), (1.0, "B"))
# names that promise their unit (gpu_hours, gpu_days): shown in it, whatever the magnitude
_NAMED_UNITS = ("_hours", "_days", "_seconds")


# time units in Chinese (messages that name a unit), and the day/hour words a shown quantity carries
ZH_TIME_UNITS = {"day": "天", "hour": "小时", "minute": "分钟", "second": "秒", "week": "周", "month": "月",
                 "year": "年"}
_ZH_TIME = {"days": "天", "day": "天", "hours": "小时", "hour": "小时", "h": "小时", "min": "分钟"}
_TIME_WORD = re.compile(r"(?<=\d) (days|day|hours|hour|h|min)\b")


def in_language(shown: str, lang: str) -> str:
    """A formatted quantity with its time unit in the reader's language ("36.1 days" -> "36.1 天" in zh);
    only a unit right after a number changes (a rate "USD/hour" and other text stay)."""
    if lang != "zh" or not shown:
        return shown
    return _TIME_WORD.sub(lambda match: " " + _ZH_TIME[match.group(1)], shown)


def in_unit(variable: Variable, base_value: float) -> float:
    """Base-unit value -> the variable's declared unit."""
    return base_value / variable.factor


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float, digits: int = 4) -> str:
    """A readable number: thousands separators in the normal range, scientific beyond."""
    if _missing(value):
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


def significant(value: float, digits: int = 3) -> str:
    """Three significant digits below 1,000 ("11.7", "1.96"), whole numbers with separators above."""
    if math.isinf(value) or math.isnan(value):
        return number(value)
    if abs(value) >= 10 ** digits:
        return f"{round(value):,}"
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
    text = f"{round(value, decimals):.{decimals}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    if abs(float(text)) >= 10 ** digits:   # 999.96 rounds to 1000
        return f"{round(value):,}"
    return text


def count(value: float) -> str:
    """Counts with the suffixes users type: 7B, 1.4T, 347."""
    magnitude = abs(value)
    for step, suffix in _COUNT_STEPS:
        if magnitude >= step:
            return f"{value / step:.3g}{suffix}"
    return number(value)


def scaled(base_value: float, steps: tuple[tuple[float, str], ...]) -> str:
    """The value in the largest unit of `steps` (largest first) that keeps it >= 1."""
    magnitude = abs(base_value)
    for factor, unit in steps:
        if magnitude >= factor * (1 - 5e-4):    # 59.99 s reads "1 min", not "60 s"
            shown = significant(base_value / factor)
            if unit == "days" and shown == "1":
                unit = "day"
            return f"{shown} {unit}"
    factor, unit = steps[-1]
    return f"{number(base_value / factor)} {unit}"


def engineering(value: float) -> str:
    """112e21: the exponent a multiple of three, 1-3 digits before the point."""
    if value == 0 or math.isnan(value) or math.isinf(value):
        return number(value)
    exponent = int(math.floor(math.log10(abs(value)) / 3) * 3)
    mantissa = value / 10 ** exponent
    if abs(float(significant(mantissa))) >= 1000:   # 999.96e21 -> 1e24
        exponent += 3
        mantissa /= 1000
    return f"{significant(mantissa)}e{exponent}"


def kind(variable: Variable) -> str:
    """How a variable's values are shown: time, bytes, flop, count or declared."""
    if variable.name.endswith(_NAMED_UNITS):
        return "declared"
    if variable.dims == (("[time]", 1.0),):
        return "time"
    if variable.dims == (("[information]", 1.0),):
        return "bytes"
    if variable.dims == (("[compute]", 1.0),):
        return "flop"
    if variable.unit in ("", "token", "char"):
        return "count"
    return "declared"


def format_quantity(variable: Variable, base_value: float, with_unit: bool = True, binary: bool = False,
                    lang: str = "en") -> str:
    """One value as shown to people (binary=True: bytes in GiB, for users who typed GiB; lang="zh": a
    time in 天/小时)."""
    return in_language(_quantity_text(variable, base_value, with_unit, binary), lang)



def said_quantity(variable: Variable, base_value: float) -> Both:
    """format_quantity in both languages ("45.2 days", "45.2 天"), for a message said in either."""
    return Both(format_quantity(variable, base_value), format_quantity(variable, base_value, lang="zh"))

def _quantity_text(variable: Variable, base_value: float, with_unit: bool, binary: bool) -> str:
    if _missing(base_value):
        return ""
    how = kind(variable)
    if with_unit and math.isfinite(base_value) and abs(base_value) > 0:
        if how == "time":
            return scaled(base_value, TIME_STEPS)
        if how == "bytes":
            return scaled(base_value, BINARY_BYTES if binary else DECIMAL_BYTES)
        if how == "flop" and abs(base_value) >= 1e6:
            return f"{engineering(base_value)} {variable.unit}"
    value = in_unit(variable, base_value)
    if variable.domain == "integer" and float(value).is_integer():
        text = f"{int(value):,}"
    elif how == "count":
        text = count(value) if abs(value) >= 1e4 else number(value)
    else:
        text = number(value)
    return f"{text} {variable.unit}".rstrip() if with_unit and variable.unit else text


def rounded_way(rounding: str, raw: float, new: float) -> str:
    """The way a whole-number answer was rounded: its declared one, unless the budgets given turned it
    (pp for a bubble cap rounds down, though pp rounds up to fit the memory)."""
    if rounding == "nearest" or new == raw:
        return rounding
    return "up" if new > raw else "down"


def plain_rounded(rounding: str, raw: float, new: float) -> float:
    """raw rounded the way the answer went (rounded_way), with the planner's slack of 1e-12 (engine/solve/
    rounding.py _rounded): what the whole number is unless an admissibility check moved it on."""
    way = rounded_way(rounding, raw, new)
    if way == "up":
        return float(math.ceil(raw * (1 - 1e-12)))
    if way == "down":
        return float(math.floor(raw * (1 + 1e-12)))
    return float(round(raw))


ROUNDING_NOISE = 1e-9   # |raw − rounded| up to this share of max(1, |raw|): float noise on a whole value


def rounded_for_real(raw: float, new: float) -> bool:
    """Whether a rounding moved the value by more than float noise: 132.99999999999997 -> 133 did not, and
    no note says "133 rounded up" (the values after it are still recomputed from the whole number)."""
    return abs(raw - new) > ROUNDING_NOISE * max(1.0, abs(raw))


def rounded_note(raw: float) -> str:
    """The raw value a rounding note keeps: 2,047.98; with the digits that show it is not whole (132.9993,
    not "133 rounded up to 133")."""
    if abs(raw) >= 1e15:
        return number(raw)
    for digits in (2, 4, 6):
        text = f"{raw:,.{digits}f}".rstrip("0").rstrip(".")
        if "." in text or raw == round(raw):
            return text
    return text   # (float noise on a whole value: shown whole)


def shown_whole(raw: float) -> bool:
    """Whether a rounding note would show `raw` as a whole number (57 from a 5 % bubble: it needed no
    rounding, only the move to an admissible value, so "57 rounded up to 57" is not said)."""
    return "." not in rounded_note(raw)


def shorten(text: str, limit: int = 60) -> str:
    """User text echoed in a message: short enough to read on one line."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"


PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")   # {name} in a check's message (templates are data)


def fill_values(template: str, variables: Mapping[str, Variable], value_of: Callable[[str], "float | None"]) -> str:
    """A check's message with each {name} replaced by that value as people read it (no str.format:
    the template comes from a rule file); a name without a value stays as written."""
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = value_of(name) if name in variables else None
        return match.group(0) if value is None else format_quantity(variables[name], value)

    return PLACEHOLDER.sub(fill, template)

