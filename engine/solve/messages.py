"""The planner's user-facing texts, looked up by key (engine/text/messages/planner.py holds them).

Uses engine.text.messages.text where that package exists (issue #15); until then a small
formatter reads the planner's own table, so the keys and fields are the same either way.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

try:   # the shared lookup of every area's texts (engine/text/messages/__init__.py, issue #15)
    from ..text.messages import text as _shared_text   # type: ignore[attr-defined]
except ImportError:
    _shared_text = None


def _load_planner_table() -> dict[str, tuple[str, str]]:
    try:
        return importlib.import_module(f"{__package__.rsplit('.', 1)[0]}.text.messages.planner").MESSAGES
    except ImportError:   # engine/text/messages.py is still a module: read the file beside it
        path = Path(__file__).resolve().parent.parent / "text" / "messages" / "planner.py"
        spec = importlib.util.spec_from_file_location("engine_text_messages_planner", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.MESSAGES


PLANNER_MESSAGES = _load_planner_table()


def text(key: str, lang: str = "en", **fields: Any) -> str:
    """The text of `key` in `lang` ("en" or "zh") with its fields filled in."""
    if _shared_text is not None:
        try:
            return _shared_text(key, lang, **fields)
        except KeyError:
            pass
    en, zh = PLANNER_MESSAGES[key]
    return (zh if lang == "zh" else en).format(**fields)
