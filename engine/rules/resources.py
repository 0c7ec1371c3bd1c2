"""Where the bundled rule files, catalogs and templates are.

In a source checkout (or an editable install) they sit beside the package:
formulas/, catalogs/, templates/. A wheel carries them inside the package
under engine/_data/ (see pyproject.toml, force-include).
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]   # engine/ (this file is engine/rules/resources.py)


def data_dir(name: str) -> Path:
    """Path of a bundled data folder: 'formulas', 'catalogs' or 'templates'."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found next to {_PACKAGE}")


def units_file() -> Path:
    return data_dir("formulas") / "units.txt"
