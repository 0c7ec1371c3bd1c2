"""What users type -> numbers in base units, checked against the variable.

Accepted: plain numbers (in the variable's declared unit), count suffixes
for plain and token/char counts (7B, 1.4T, 500M, 3万, 2亿), percentages (40%),
numbers with a unit (30d, 30 days, 4w, 1mo, 30D, 0.08y, 3个月, 80GB, 80GiB,
312 TFLOPS, 400gbps, 3 小时), full-width digits (７Ｂ), and catalog keys for
categorical variables. Everything else is refused with a message that names the
variable and what it expects (兆, with two readings; prices in another currency
than USD).
"""
from __future__ import annotations

import difflib
import math
import re
import unicodedata
from typing import Any

from ..errors import ValueParseError
from ..messages import Both, Caught, Nested, keyed
from ..rules.model import Table, Variable
from ..rules.units import dims_text, unit_info
from .formatting import ZH_TIME_UNITS, in_language

MAX_TEXT = 200
_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*)$")
_COUNT_SUFFIX = {"k": 1e3, "K": 1e3, "M": 1e6, "m": 1e6, "B": 1e9, "b": 1e9, "G": 1e9, "T": 1e12, "t": 1e12,
                 "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
                 "万": 1e4, "亿": 1e8, "千": 1e3, "百万": 1e6, "十亿": 1e9, "万亿": 1e12}
_CHINESE_UNITS = {"天": "day", "日": "day", "小时": "hour", "分钟": "minute", "秒": "second",
                  "周": "week", "星期": "week", "月": "month", "年": "year", "个": "", "张": "", "卡": ""}
# Time spellings pint does not know, read only for a duration (W is a watt, D no prefix): 4w, 1mo, 30D, 0.08y
_TIME_SPELLINGS = {"w": "week", "mo": "month", "mos": "month", "mth": "month", "mths": "month", "D": "day",
                   "y": "year"}
_TIME_DIMS = (("[time]", 1.0),)
# A link speed with a lowercase prefix (400gbps, 100mbps) is bits per second with the SI prefix, never milli
_LOWER_BPS = re.compile(r"^([kmgtp])bps$")
_COUNT_WORDS = re.compile(
    r"^(" + "|".join(sorted(map(re.escape, _COUNT_SUFFIX), key=len, reverse=True)) + r")?\s*"
    r"(?:tokens?|tok|params|parameters|chars?|characters)?$")
_COUNT_DIMS = ((), (("[token]", 1.0),), (("[text]", 1.0),))


def normalise(text: str) -> str:
    """NFKC (full-width digits and letters -> ASCII), trimmed, thousands separators removed."""
    text = unicodedata.normalize("NFKC", text).strip()
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise keyed(ValueParseError, "values.control_chars")
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


def parse_number(variable: Variable, raw: Any) -> float:
    """A numeric value in base units; raises ValueParseError naming the variable."""
    if isinstance(raw, bool):
        raise keyed(ValueParseError, "values.expected_number", name=variable.name, value=raw)
    if isinstance(raw, (int, float)):
        try:
            value = float(raw) * variable.factor
        except OverflowError:
            raise keyed(ValueParseError, "values.number_too_large", name=variable.name, value=str(raw)[:40]) from None
    else:
        value = _parse_text(variable, str(raw))
    check_domain(variable, value)
    return value


def _parse_text(variable: Variable, raw: str) -> float:
    if len(raw) > MAX_TEXT:
        raise keyed(ValueParseError, "values.too_long_number", name=variable.name, length=len(raw),
                    example=example(variable))
    try:
        text = normalise(raw)
    except ValueParseError as exc:
        raise keyed(ValueParseError, "values.bad_text", name=variable.name, value=raw[:40],
                    problem=Caught(exc)) from None
    match = _NUMBER.match(text)
    if not match:
        raise keyed(ValueParseError, "values.not_a_number", name=variable.name, value=raw[:40],
                    example=example(variable))
    number, suffix = float(match.group(1)), match.group(2).strip()
    if not math.isfinite(number):
        raise keyed(ValueParseError, "values.text_too_large", name=variable.name, value=raw[:40])
    if suffix == "%":
        if variable.dims:
            raise keyed(ValueParseError, "values.percent_needs_plain", name=variable.name, unit=variable.unit)
        return number / 100.0
    if "%" in suffix:   # 40%% or 40 % % is a typo, not percent squared
        raise keyed(ValueParseError, "values.not_a_percentage", name=variable.name, value=raw[:40])
    suffix = _spelled(variable, suffix, raw)
    if variable.dims == _TIME_DIMS and suffix == "m":   # 90m: 90 minutes, months or million days? (1M GPU-hours: M)
        raise keyed(ValueParseError, "values.ambiguous_time_m", name=variable.name, value=raw[:40],
                    number=f"{number:g}", unit=variable.unit, million=f"{number * 1e6:,.0f}")
    number, suffix = _count_suffix(variable, number, suffix)
    if suffix in _COUNT_SUFFIX and ("[information]" not in dict(variable.dims) or suffix not in "Bb"):
        if dict(variable.dims).get("[information]") == 1 and dict(variable.dims).get("[time]") == -1:
            raise keyed(ValueParseError, "values.rate_needs_unit", name=variable.name, value=raw[:40],
                        number=f"{number:g}{suffix}")
        if _prefixed(variable):   # 80G for a GB variable is 80 GB (not 80e9 GB); 312T TFLOPS is 312 TFLOPS
            return number * _COUNT_SUFFIX[suffix] * variable.factor / _prefixed(variable)
        number, suffix = number * _COUNT_SUFFIX[suffix], ""   # 1M gpu_hours, 10K gpu_days
    if not suffix:
        return number * variable.factor
    try:
        factor, dims = unit_info(suffix)
    except ValueParseError:
        raise keyed(ValueParseError, "values.unknown_unit", name=variable.name, unit=suffix, value=raw[:40],
                    expects=_expects(variable)) from None
    if dims != variable.dims:
        raise keyed(ValueParseError, "values.wrong_dimension", name=variable.name, value=raw[:40], dims=dims_text(dims),
                    expects=_expects(variable))
    return number * factor


def _spelled(variable: Variable, suffix: str, raw: str) -> str:
    """The unit as pint spells it: Chinese units (3个月 = 3 months: 个 is a measure word), the time
    spellings of a duration (4w, 1mo, 30D, 0.08y), bits per second with a lowercase prefix (400gbps).
    兆 is refused: 10^6 in mainland units (兆字节 = MB), 10^12 in Taiwan (= 万亿)."""
    if "兆" in suffix:
        raise keyed(ValueParseError, "values.ambiguous_zhao", name=variable.name, value=raw[:40])
    for chinese, unit in sorted(_CHINESE_UNITS.items(), key=lambda kv: -len(kv[0])):
        if suffix.endswith(chinese):
            head = suffix[: -len(chinese)]
            if unit and head.endswith("个"):
                head = head[:-1]
            suffix = (head + " " + unit).strip()
            break
    if variable.dims == _TIME_DIMS and suffix in _TIME_SPELLINGS:
        return _TIME_SPELLINGS[suffix]
    lower = _LOWER_BPS.match(suffix)
    if lower:
        return lower.group(1).upper().replace("K", "k") + "bps"
    return suffix


def _prefixed(variable: Variable) -> float:
    """The metric prefix (1e3 ... 1e15) of a declared unit such as GB or TFLOPS, else 0.

    A count suffix typed after a number of such a variable (80G, 312T) is that prefix on the
    base unit; for other units (hour, day, USD) it multiplies the declared unit (1M gpu_hours)."""
    if not variable.dims or variable.dims in _COUNT_DIMS:
        return 0.0
    for prefix in (1e3, 1e6, 1e9, 1e12, 1e15):
        if math.isclose(variable.factor, prefix, rel_tol=1e-12):
            return prefix
    return 0.0


def _count_suffix(variable: Variable, number: float, suffix: str) -> tuple[float, str]:
    """7B params, 1.4T tokens: count multipliers, only where the variable counts things."""
    if variable.dims not in _COUNT_DIMS or not suffix:
        return number, suffix
    match = _COUNT_WORDS.match(suffix)
    if not match:
        return number, suffix
    word = match.group(1) or ""
    return number * _COUNT_SUFFIX.get(word, 1.0), ""


def check_domain(variable: Variable, value: float) -> None:
    if not math.isfinite(value):
        raise keyed(ValueParseError, "values.not_finite", name=variable.name, value=value)
    domain = variable.domain
    shown = value / variable.factor
    if domain in ("positive", "integer", "fraction") and value <= 0:
        raise keyed(ValueParseError, "values.must_be_positive", name=variable.name, value=shown)
    if domain == "nonnegative" and value < 0:
        raise keyed(ValueParseError, "values.must_not_be_negative", name=variable.name, value=shown)
    if domain == "fraction" and value > 1:
        raise keyed(ValueParseError, "values.must_be_fraction", name=variable.name, value=shown)
    if domain == "integer" and abs(shown - round(shown)) > 1e-9 * max(1.0, abs(shown)):
        raise keyed(ValueParseError, "values.must_be_whole", name=variable.name, value=shown)


_SWITCH = {"true": "on", "yes": "on", "1": "on", "enabled": "on", "false": "off", "no": "off", "0": "off",
           "disabled": "off"}   # a boolean's spellings, for selectors whose values are on and off


def parse_key(variable: Variable, table: Table | None, raw: Any) -> str:
    """A categorical value: a catalog key or alias, resolved to the canonical key."""
    if isinstance(raw, str) and len(raw) > MAX_TEXT:
        raise keyed(ValueParseError, "values.too_long_key", name=variable.name, length=len(raw),
                    examples=", ".join(list(variable.values)[:3]))
    try:
        text = normalise(str(raw)) if isinstance(raw, str) else str(raw)
    except ValueParseError as exc:
        raise keyed(ValueParseError, "values.bad_text", name=variable.name, value=raw[:40],
                    problem=Caught(exc)) from None
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    if table is not None:
        entry = table.resolve(text)
        if entry is not None:
            return entry.key
        names = list(table.entries) + [a for e in table.entries.values() for a in e.aliases]
        spelled = {e.key: e.key for e in table.entries.values()}
        spelled.update({a: e.key for e in table.entries.values() for a in e.aliases})
    else:
        if text in variable.values:
            return text
        switch = _SWITCH.get(text.casefold())
        if switch is not None and set(variable.values) == {"on", "off"}:
            return switch   # (sequence_parallel=true, an Excel TRUE cell, a config's yes)
        names = list(variable.values)
        spelled = {v: v for v in variable.values}
    key, close = match_key(text, spelled)
    if key is not None:
        return key
    close = close or difflib.get_close_matches(text, names, n=3, cutoff=0.5) or \
        [n for n in names if text.casefold() in n.casefold()][:3]
    known = ", ".join(list(variable.values)[:12]) + (" ..." if len(variable.values) > 12 else "")
    raise keyed(ValueParseError, "values.unknown_value", name=variable.name, value=text[:40], known=known,
                hint=Nested("values.did_you_mean", names=", ".join(close)) if close else Nested())


# Words that name a vendor or product line, not a model: "NVIDIA H100 SXM5 80GB", "GeForce RTX 4090".
_VENDOR_WORDS = frozenset({"nvidia", "geforce", "tesla", "amd", "radeon", "instinct", "intel", "the", "gpu", "card"})
_SAME_WORD = {"g": "gb", "gib": "gb", "gig": "gb", "sxm4": "sxm", "sxm5": "sxm", "pcie4": "pcie", "pcie5": "pcie"}
_WORDS = re.compile(r"[a-z]+|\d+(?:\.\d+)?")
# Words a text may add to a spelling it contains (memory size, form factor): "H100 SXM5 80GB HBM3".
_DETAIL_WORDS = frozenset({"gb", "sxm", "pcie", "pci", "hbm", "e", "nvl", "nvlink", "x"})
DID_YOU_MEAN = 5   # keys listed when a written name fits several entries


def key_words(text: str) -> tuple[str, ...]:
    """A key as the words people write it with: case, spaces, hyphens, underscores and vendor
    prefixes ignored, letters and digits split (rtx4090 -> rtx 4090), 80g = 80gb = 80GiB."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = []
    for word in _WORDS.findall(folded):
        word = _SAME_WORD.get(word, word)
        if word not in _VENDOR_WORDS:
            words.append(word)
    return tuple(words)


def match_key(text: str, spelled: dict[str, str]) -> tuple[str | None, list[str]]:
    """(the one key `text` names, []) or (None, the keys it could mean, at most DID_YOU_MEAN).

    `spelled` maps every accepted spelling (keys and aliases) to its key. The written words equal
    a spelling's words; else the text's words all appear in spellings ("4090", "a100 40"); else a
    spelling's words all appear in the text ("NVIDIA H100 SXM 80GB HBM3" contains h 100 sxm)."""
    words = key_words(text)
    if not words:
        return None, []
    forms = {name: key_words(name) for name in spelled}
    for test in (lambda f: f == words,
                 lambda f: set(words) <= set(f),
                 lambda f: bool(f) and set(f) <= set(words)
                 and all(w.isdigit() or w in _DETAIL_WORDS for w in set(words) - set(f))):
        hits = [name for name, f in forms.items() if test(f)]
        if not hits:
            continue
        if len(hits) > 1 and all(set(forms[h]) <= set(words) for h in hits):
            best = max(len(forms[h]) for h in hits)   # the most specific spelling contained in the text
            hits = [h for h in hits if len(forms[h]) == best]
        keys = list(dict.fromkeys(spelled[h] for h in hits))
        if len(keys) == 1:
            return keys[0], []
        return None, keys[:DID_YOU_MEAN]
    return None, []


def unknown_key_message(variable: Variable, table: Table | None, label: str) -> str:
    """What to tell a user whose key is not in the catalog: the nearest keys, the known ones."""
    try:
        parse_key(variable, table, label)
    except ValueParseError as exc:
        return str(exc)   # names the variable and suggests the nearest keys
    return f"{variable.name}: unknown value {label!r}"


def example(variable: Variable) -> str | Nested:
    """A value `variable` accepts, to show in a message (said in the message's language)."""
    unit = variable.unit
    if unit == "":
        return Nested("values.example_plain")
    return {"token": "2T", "s": "30d"}.get(unit, f"12 {unit}" if unit else "7B")


def _expects(variable: Variable) -> Nested:
    if not variable.dims:
        return Nested("values.expects_plain")
    if "[currency]" in dict(variable.dims):   # prices are in US dollars: no other currency to name
        return Nested("values.expects_usd", unit=Both(variable.unit, _zh_rate(variable.unit)),
                      example=Both(f"2 {variable.unit}", f"2 {_zh_rate(variable.unit)}"))
    # (the unit and the example in the reader's language: "以 天 或其他 [time] 单位", "例如 12 天")
    unit, shown = variable.unit, example(variable)
    return Nested("values.expects_unit", unit=Both(unit, ZH_TIME_UNITS.get(unit, unit)), dims=dims_text(variable.dims),
                  example=Both(shown, in_language(shown, "zh")) if isinstance(shown, str) else shown)


def _zh_rate(unit: str) -> str:
    """USD/hour -> USD/小时: a price's time unit in Chinese."""
    head, _, tail = unit.partition("/")
    return f"{head}/{ZH_TIME_UNITS.get(tail, tail)}" if tail else unit
