"""User-facing texts that the engine composes itself, in English and Chinese.

Rule and check texts come from the rule files (each with `en` and `zh`); the texts here are the
engine's own sentences around them. Each function returns the text for `lang` ("en" or "zh").
"""
from __future__ import annotations


def rule_mismatch(rule_id: str, formula: str, tolerance: float, lang: str) -> tuple[str, str]:
    """A warning that given values miss an approximate rule, split around the gap figure.

    The caller puts the gap (e.g. "12.5%") between the two parts, one number or a whole column."""
    if lang == "zh":
        return (f"输入值与规则 {rule_id}（{formula}）相差 ",
                f"，超出其 {tolerance:.0%} 容差；已按给定值计算，请确认")
    return (f"given values differ from rule {rule_id} ({formula}) by ",
            f", beyond its {tolerance:.0%} tolerance; the given values were used — check them")
