"""Extension points that lower layers call and higher layers fill.

The solver (engine.solve) and the table reader (engine.table) may not import engine.io, where files
are read; a given that names a file (config=train.yaml) is expanded by a reader registered here by
engine/__init__.py. Kept free of imports so that `import engine` stays cheap.
"""
from __future__ import annotations

from typing import Any, Callable


class NoOrigins:
    """What an expander returns when the givens name no file: nothing to attach to the result."""

    @staticmethod
    def attach(result: Any) -> Any:
        return result


# (givens, rules) -> (givens with the file's values, origins with .attach(result))
GIVEN_EXPANDERS: list[Callable[[dict[str, Any], Any], tuple[dict[str, Any], Any]]] = []
# (engine, cells, cell_of_row, numbers, keys, empty, report) -> per-row origins or None
CONFIG_COLUMN_READERS: list[Callable[..., Any]] = []
