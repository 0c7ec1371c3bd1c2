"""Every error llmplan raises on purpose.

    EngineError
    ├── DefinitionError        a rule or catalog file is wrong (file:line)
    ├── ExpressionError        a formula or condition is refused by the safe parser
    ├── ValueParseError        a value the user typed cannot be read (variable, text)
    ├── PlanningError
    │   ├── UnderdeterminedError   not enough knowns for the targets
    │   └── ContradictionError     given values disagree beyond tolerance
    └── EvaluationError        the numbers have no valid answer (no real/in-domain root)

Messages follow one shape: where, what was found, what would be right.
Only engine/cli.py turns them into exit codes.
"""
from __future__ import annotations


class EngineError(Exception):
    """Base class: every deliberate llmplan error."""


class DefinitionError(EngineError, ValueError):
    """One or more problems in rule/catalog files; `problems` lists each as 'file:line: text'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in rule/catalog files:" if len(self.problems) > 1 else ""
        super().__init__("\n".join(([head] if head else []) + self.problems))


class ExpressionError(EngineError, ValueError):
    """A formula or condition outside the whitelisted grammar."""


class ValueParseError(EngineError, ValueError):
    """A value (CLI argument or sheet cell) that cannot be read for its variable."""


class PlanningError(EngineError):
    """The question cannot be answered from what was given."""


class UnderdeterminedError(PlanningError):
    """Targets cannot be reached; `suggestions` names variables that would help."""

    def __init__(self, message: str, missing: list[str] | None = None,
                 suggestions: list[str] | None = None) -> None:
        self.missing = missing or []
        self.suggestions = suggestions or []
        super().__init__(message)


class ContradictionError(PlanningError):
    """Given values disagree with each other beyond tolerance."""


class EvaluationError(EngineError):
    """The numbers admit no valid (real, finite, in-domain) answer."""
