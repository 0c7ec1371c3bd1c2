"""Units people type for durations, link speeds and prices (a user walk-through).

Durations in formulas/units.txt: week = 7 days, month = 30 days (a planning month), year = 365 days.
A duration reads 4w, 1mo, 30D (D is no prefix: days), 0.08y, and the Chinese 个 measure word (1个月 =
1 month). 兆 is refused: 10^6 in mainland units (兆字节 = MB), 10^12 in Taiwan (万亿). A link speed with a
lowercase prefix (400gbps) is bits per second with the SI prefix, never milli. Prices are in USD only.
"""
from __future__ import annotations

import pytest

from engine.errors import ValueParseError
from engine.messages import localized
from engine.text.values import parse_number

DAY = 86400.0


@pytest.mark.parametrize("typed,days", [
    ("4w", 28),            # 4 × 7 days
    ("1mo", 30),           # units.txt: month = 30 days
    ("2mos", 60),
    ("30D", 30),           # D: days (no unit prefix D exists)
    ("0.08y", 29.2),       # 0.08 × 365 days
    ("1个月", 30),          # 个 is a measure word: one month
    ("3个月", 90),
    ("3个星期", 21),        # 3 weeks
    ("2个小时", 2 / 24),    # 2 hours
    ("3天", 3),            # (as before)
])
def test_duration_spellings(eng, typed, days):
    assert parse_number(eng.rules.variables["train_time"], typed) == pytest.approx(days * DAY, rel=1e-12)


def test_capital_w_is_still_a_watt_not_a_week(eng):
    with pytest.raises(ValueParseError) as caught:
        parse_number(eng.rules.variables["train_time"], "4W")
    assert "[energy]" in str(caught.value)


@pytest.mark.parametrize("name,typed", [("tokens", "2兆"), ("train_time", "2兆"), ("corpus_bytes", "2兆字节")])
def test_zhao_is_refused_naming_both_readings(eng, name, typed):
    with pytest.raises(ValueParseError) as caught:
        parse_number(eng.rules.variables[name], typed)
    english, chinese = str(caught.value), localized(caught.value, "zh")
    assert "10^6" in english and "10^12" in english and "万亿" in english
    assert "10^6" in chinese and "10^12" in chinese and "台湾" in chinese


@pytest.mark.parametrize("typed,bytes_per_s", [
    ("400gbps", 50e9),     # 400e9 bits / 8
    ("400Gbps", 50e9),
    ("100mbps", 12.5e6),   # megabits (before: millibits, 0.0125 B/s)
    ("10kbps", 1250.0),
    ("1tbps", 125e9),
])
def test_link_speed_in_bits_with_a_lowercase_prefix(eng, typed, bytes_per_s):
    assert parse_number(eng.rules.variables["network_bandwidth"], typed) == pytest.approx(bytes_per_s, rel=1e-12)


@pytest.mark.parametrize("typed", ["15 CNY/hour", "15元/小时", "2 EUR/hour"])
def test_other_currencies_are_refused_saying_prices_are_in_usd(eng, typed):
    with pytest.raises(ValueParseError) as caught:
        parse_number(eng.rules.variables["price_per_gpu_hour"], typed)
    english, chinese = str(caught.value), localized(caught.value, "zh")
    assert "US dollars only" in english and "convert" in english and "[currency]" not in english
    assert "美元" in chinese and "[currency]" not in chinese


def test_a_usd_price_still_reads(eng):
    # 2 USD per hour = 2 / 3600 USD per second (base units)
    assert parse_number(eng.rules.variables["price_per_gpu_hour"], "2 USD/hour") == pytest.approx(2 / 3600)


@pytest.mark.parametrize("typed", ["90m", "1.5m"])
def test_m_on_a_time_is_refused_as_ambiguous(eng, typed):
    # 90m for a training time was read as 90 million days: m is minutes to some, months to others, and the
    # million suffix to the count parser; the spellings 90min and 3mo stay unambiguous (90 × 60 s; 3 × 30 days)
    with pytest.raises(ValueParseError) as caught:
        parse_number(eng.rules.variables["train_time"], typed)
    assert "ambiguous" in str(caught.value) and "min" in str(caught.value) and "mo)" in str(caught.value)
    assert parse_number(eng.rules.variables["train_time"], "90min") == pytest.approx(90 * 60)
    assert parse_number(eng.rules.variables["train_time"], "3mo") == pytest.approx(90 * DAY)
    # a capital M keeps its million (1M GPU-hours), and a count its lowercase m (1.5m tokens)
    assert parse_number(eng.rules.variables["gpu_hours"], "1M") == pytest.approx(1e6 * 3600)
    assert parse_number(eng.rules.variables["tokens"], "1.5m") == pytest.approx(1.5e6)
