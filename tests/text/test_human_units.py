"""Unit choice on the boundaries (issue #15): times in the largest of min/h/days that keeps the
number >= 1, bytes in GB/TB (GiB when asked), counts with K/M/B/T, FLOPs in engineering form.
Expected texts are hand-worked: 59 min = 3,540 s (0.983 h, so minutes); 1.5 h = 5,400 s; 47 h =
169,200 s = 1.958 days (>= 1 day, so days); 3 days = 259,200 s."""
from __future__ import annotations

import pytest

from engine.text.formatting import format_quantity, rounded_note

MIN, HOUR, DAY = 60.0, 3600.0, 86400.0


@pytest.fixture(scope="module")
def variables(bundled_engine):
    return bundled_engine.rules.variables


@pytest.mark.parametrize("seconds, shown", [
    (59 * MIN, "59 min"),
    (1.5 * HOUR, "1.5 h"),
    (47 * HOUR, "1.96 days"),
    (3 * DAY, "3 days"),
    (0.4869 * DAY, "11.7 h"),          # the example: 0.4869 day is 11.7 hours
    (59 * MIN + 59.99, "1 h"),         # 59.99 s short of an hour reads 1 h, not 60 min
    (45.0, "45 s"),
    (400 * DAY, "400 days"),
])
def test_times_take_the_largest_unit_that_keeps_the_number_at_least_one(variables, seconds, shown):
    assert format_quantity(variables["train_time"], seconds) == shown


@pytest.mark.parametrize("value, shown", [
    (999e9, "999 GB"),
    (1.2e12, "1.2 TB"),
    (3e12, "3 TB"),                    # the "3,000 GB"
    (140e9, "140 GB"),
    (0.234375e9, "234 MB"),
    (2.5e15, "2.5 PB"),
])
def test_bytes_in_decimal_units(variables, value, shown):
    assert format_quantity(variables["train_memory"], value) == shown


def test_bytes_in_binary_units_when_the_user_typed_them(variables):
    assert format_quantity(variables["memory_per_gpu"], 80 * 2 ** 30, binary=True) == "80 GiB"
    assert format_quantity(variables["memory_per_gpu"], 1.5 * 2 ** 40, binary=True) == "1.5 TiB"


def test_counts_and_flops(variables):
    assert format_quantity(variables["params"], 7e9) == "7B"
    assert format_quantity(variables["tokens"], 2e12) == "2T token"
    # 8 * 7e9 * 2e12 = 1.12e23 FLOP = 112e21 (exponent a multiple of 3)
    assert format_quantity(variables["train_flops"], 1.12e23) == "112e21 FLOP"
    assert format_quantity(variables["train_flops"], 5.6e22) == "56e21 FLOP"


def test_names_that_promise_a_unit_keep_it(variables):
    # gpu_hours is read in hours whatever the size: 249,288 GPU-hours, not 10,387 days
    assert format_quantity(variables["gpu_hours"], 249288 * HOUR) == "249,288 hour"


def test_rounding_notes_keep_the_raw_value():
    assert rounded_note(2047.98) == "2,047.98"
    assert rounded_note(346.2) == "346.2"


def test_times_read_in_chinese_units_only_after_a_number() -> None:
    from engine.text.formatting import in_language
    assert in_language("36.1 days", "zh") == "36.1 天" and in_language("1 day", "zh") == "1 天"
    assert in_language("249,288 hour", "zh") == "249,288 小时" and in_language("11.7 h", "zh") == "11.7 小时"
    assert in_language("2.5 USD/hour", "zh") == "2.5 USD/hour"       # a rate keeps its unit
    assert in_language("in 30 days", "en") == "in 30 days"           # English unchanged
    assert in_language("7B token", "zh") == "7B token"


def test_a_wrong_unit_is_explained_with_chinese_unit_names_in_chinese(eng) -> None:
    from engine.errors import ValueParseError
    from engine.messages import localized
    with pytest.raises(ValueParseError) as info:
        eng.parse_givens({"train_time": "80GB"})
    assert "train_time expects a value in day or another [time] unit (e.g. 12 day)" in str(info.value)
    chinese = localized(info.value, "zh")
    assert "以 天 或其他 [time] 单位表示的值（例如 12 天）" in chinese and " day" not in chinese


def test_a_rounding_note_shows_the_digits_that_make_it_not_whole():
    # 132.9993 at two decimals is "133.00" -> "133": the note read "133 rounded up to 133"
    assert rounded_note(132.9993) == "132.9993" and rounded_note(133.0) == "133"
