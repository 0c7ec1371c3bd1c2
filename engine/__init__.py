"""llmplan: a declarative rules engine for planning LLM training runs.

Public API (import-light: numpy/sympy/pint load only when first needed):
    Engine.load(extra=()) -> Engine
    Engine.solve(targets, givens, lang="en") -> Result
    solve(targets, givens) -> Result        (one-off convenience)
    load_rules(extra=()) -> RuleSet
    run_frame(df, engine=None, lang="en") -> engine.table.frames.Outcome    (polars DataFrame of scenarios)
    solve_frame(df, engine=None, lang="en") -> polars DataFrame of results (+ warnings/error columns)
and every exception in engine.errors.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import hooks
from .errors import (
    ContradictionError,
    DefinitionError,
    EngineError,
    EvaluationError,
    ExpressionError,
    PlanningError,
    UnderdeterminedError,
    ValueParseError,
)
from .version import __version__

if TYPE_CHECKING:
    from .rules.model import RuleSet
    from .solve.solver import Result

__all__ = [
    "ContradictionError", "DefinitionError", "Engine", "EngineError", "EvaluationError", "ExpressionError",
    "PlanningError", "Result", "UnderdeterminedError", "ValueParseError", "__version__", "load_rules", "solve",
    "run_frame", "solve_frame",
]


def __getattr__(name: str) -> Any:
    # Lazy re-exports keep `import engine` cheap for commands that need little.
    if name in ("Engine", "Result"):
        from .solve import solver

        return getattr(solver, name)
    if name == "load_rules":
        from .rules.loading import load_rules

        return load_rules
    if name in ("run_frame", "solve_frame"):   # polars loads only here
        from .table import frames

        return getattr(frames, name)
    raise AttributeError(name)


def solve(targets: list[str] | str, givens: dict[str, Any], lang: str = "en") -> Result:
    """Answer one question with the bundled rules."""
    from .solve.solver import Engine

    if isinstance(targets, str):
        targets = [targets]
    return Engine.load().solve(targets, givens, lang)


def _expand_config(givens: dict[str, Any], rules: RuleSet) -> tuple[dict[str, Any], hooks.Attaches]:
    """config=PATH given: the training config's values (engine.io.training_config), loaded only when named."""
    if givens.get("config") is None:
        return givens, hooks.NoOrigins
    from .io.training_config.givens import expand_config

    return expand_config(givens, rules)


def _config_column(*args: Any) -> Any:
    """A workbook's `config` column: each row's training config fills that row's empty inputs."""
    from .io.training_config.table import fill_from_configs

    return fill_from_configs(*args)


hooks.GIVEN_EXPANDERS.append(_expand_config)
hooks.CONFIG_COLUMN_READERS.append(_config_column)
