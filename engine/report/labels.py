"""Every fixed word of a report, in English and Chinese: the `report.*` entries of
engine/messages/report.py (one home for texts, issue #12).

Variable, rule and warning texts come from the rule files (their `en`/`zh` fields).
"""
from __future__ import annotations

from ..messages import table


def labels(lang: str) -> dict[str, str]:
    """The label table for a language; unknown languages fall back to English."""
    return table("report", lang if lang in ("en", "zh") else "en")


LABELS: dict[str, dict[str, str]] = {lang: labels(lang) for lang in ("en", "zh")}
