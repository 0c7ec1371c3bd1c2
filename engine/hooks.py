"""Extension points that lower layers call and higher layers fill.

The solver (engine.solve) and the table reader (engine.table) may not import engine.io, where files
are read; a given that names a file (config=train.yaml) is expanded by a reader registered here by
engine/__init__.py. Kept free of imports so that `import engine` stays cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:   # annotations only: nothing is imported when this runs
    from .errors import EngineError
    from .rules.model import RuleSet
    from .solve.solver import Result


class Attaches(Protocol):
    """What an expander hands back with the givens: it marks a solved Result with where values came from."""

    def attach(self, result: Result) -> Result: ...

    def explain(self, error: EngineError) -> EngineError: ...


class NoOrigins:
    """What an expander returns when the givens name no file: nothing to attach to the result."""

    @staticmethod
    def attach(result: Result) -> Result:
        return result

    @staticmethod
    def explain(error: EngineError) -> EngineError:
        return error


# (givens, rules) -> (givens with the file's values, origins with .attach(result))
GIVEN_EXPANDERS: list[Callable[[dict[str, Any], RuleSet], tuple[dict[str, Any], Attaches]]] = []
# (engine, cells, cell_of_row, numbers, keys, empty, report) -> per-row origins or None
CONFIG_COLUMN_READERS: list[Callable[..., Any]] = []
