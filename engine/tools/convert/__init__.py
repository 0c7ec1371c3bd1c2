"""Offline checkpoint conversions (``llmplan convert ...``).

This package must stay cheap to import: ``engine.cli.commands.convert`` is loaded by
the main CLI on every start, so numpy-backed modules are only imported when a
name from them is first used (PEP 562 module ``__getattr__``).
"""
from __future__ import annotations

from typing import Any

from ...errors import ConversionError

# Public names served lazily from submodules, so `import engine.tools.convert` stays light.
_LAZY = {
    "ConversionReport": "engine.tools.convert.baichuan",
    "NormStats": "engine.tools.convert.baichuan",
    "convert_baichuan2_to_baichuan1": "engine.tools.convert.baichuan",
}

__all__ = ["ConversionError", "ConversionReport", "NormStats", "convert_baichuan2_to_baichuan1"]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
