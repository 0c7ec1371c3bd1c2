"""Every user-facing message has a Chinese text with the same fields (issue #15: `--lang zh`
translates every message). The sweep walks engine/messages/*.py, so an entry added later by any
area is checked too."""
from __future__ import annotations

import re

import pytest

from engine import messages
from engine.messages import catalog, fields_of, text

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z]{2,}")


def _untranslated(english: str, chinese: str) -> str | None:
    """Why a Chinese text does not translate its English one (None when it does)."""
    if not chinese.strip():
        return "empty Chinese text"
    if fields_of(english) != fields_of(chinese):
        return f"fields differ: en {sorted(fields_of(english))} vs zh {sorted(fields_of(chinese))}"
    # symbols, names and units alone ("—", "{name} = {value}") need no translation; words do
    prose = WORD.findall(re.sub(r"\{[^}]*\}|`[^`]*`|llmplan|[A-Za-z_]+\[[^\]]*\]", "", english))
    if prose and not CJK.search(chinese):
        return "English words, no Chinese text"
    return None


def test_catalog_is_not_empty_and_keys_are_namespaced():
    entries = catalog()
    assert len(entries) > 150, "the moved report, CLI and workbook texts are missing"
    for key in entries:
        assert re.fullmatch(r"[a-z]+(\.[a-z0-9_]+)+", key), key


@pytest.mark.parametrize("key", sorted(catalog()))
def test_every_message_is_translated(key):
    english, chinese = catalog()[key]
    assert english.strip(), f"{key}: empty English text"
    problem = _untranslated(english, chinese)
    assert problem is None, f"{key}: {problem}"


def test_the_sweep_catches_untranslated_and_mismatched_entries():
    # the checker itself: each of these must be refused
    assert _untranslated("Answer", "Answer") == "English words, no Chinese text"
    assert _untranslated("Answer", "") == "empty Chinese text"
    assert _untranslated("{name} is given twice", "{名称} 被给定两次").startswith("fields differ")
    assert _untranslated("—", "—") is None
    assert _untranslated("to solve {target}", "要求解 {target}") is None


def test_text_fills_fields_in_both_languages():
    assert text("cli.rounded_as", "en", raw="2,047.98", direction="up") == "2,047.98 rounded up"
    assert text("cli.rounded_as", "zh", raw="2,047.98", direction="向上") == "由 2,047.98 向上取整"
    assert text("cli.answer", "fr") == "Answer"   # unknown language: English


def test_a_key_defined_in_two_areas_is_refused(monkeypatch, tmp_path):
    area = tmp_path / "zz_duplicate.py"
    area.write_text('MESSAGES = {"cli.answer": ("Answer", "答案")}\n', encoding="utf-8")
    monkeypatch.setattr(messages, "__path__", [*messages.__path__, str(tmp_path)])
    monkeypatch.syspath_prepend(str(tmp_path))
    messages.catalog.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="defined twice"):
            messages.catalog()
    finally:
        messages.catalog.cache_clear()
