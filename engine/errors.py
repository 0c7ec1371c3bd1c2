"""Every error llmplan raises on purpose.

    EngineError
    ├── DefinitionError        a rule or catalog file is wrong (file:line)
    ├── ExpressionError        a formula or condition is refused by the safe parser
    │   └── DimensionMismatch      a formula whose units do not agree (rule loading)
    ├── ValueParseError        a value the user typed cannot be read (variable, text)
    │   ├── ScenarioError          a scenario file/sheet/table that cannot be used as a whole
    │   ├── HFConfigError          a model config.json that cannot describe the model
    │   ├── CatalogSelectorError   a typed convention against the one a catalog entry implies
    │   └── MeasureError           a corpus file or tokenizer that cannot be read
    ├── PlanningError
    │   ├── UnderdeterminedError   not enough knowns for the targets
    │   └── ContradictionError     given values disagree beyond tolerance
    ├── EvaluationError        the numbers have no valid answer (no real/in-domain root)
    ├── ConversionError        `llmplan convert`: bad input or a refused operation
    │   └── SafetensorsFormatError   a safetensors file whose header or layout is invalid
    └── internal signals, never shown to a user (caught where they are raised):
        YamlStructureError (rule loader), UnsupportedForm (symbolic), UnknownBounds (numeric)

Messages follow one shape: where, what was found, what would be right.
Only engine/cli/ turns them into exit codes. Every exception class of llmplan lives here
(the modules that raise them re-export their names).
"""
from __future__ import annotations

import os
from pathlib import Path


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


class InternalSolveError(EvaluationError):
    """A bug met while solving one group of rows: those rows fail with it, the others are kept."""


class DimensionMismatch(EngineError, ValueError):
    """A formula whose dimensions do not agree (adding seconds to tokens, a dimensioned exponent...)."""


class ScenarioError(ValueParseError):
    """A scenario file or table that cannot be used as a whole (names the file/sheet/cell)."""


class HFConfigError(ValueParseError):
    """A config.json that cannot describe the model: unreadable, missing or unusable field."""


class CatalogSelectorError(ValueParseError):
    """A typed convention contradicts the one a catalog entry implies (info.selectors), or two entries disagree."""


class TrainingConfigError(ValueParseError):
    """A training config (LLaMA-Factory, axolotl, DeepSpeed, accelerate) that cannot be used; names file:line."""


class MeasureError(ValueParseError):
    """A corpus file or tokenizer that cannot be read."""


class ConversionError(EngineError):
    """Bad input or a refused operation of `llmplan convert`; the CLI prints it without a traceback."""


class SafetensorsFormatError(ConversionError):
    """A safetensors file whose header or layout is invalid."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        super().__init__(f"{path}: not a valid safetensors file: {problem}")
        self.path = Path(path)
        self.problem = problem
        # said in the user's language by engine/messages (convert.not_safetensors); the problem is a
        # technical detail of the file's header, kept as written
        self.message_key, self.message_fields = "convert.not_safetensors", {"path": path, "problem": problem}


# -- internal signals: raised and caught inside one module, never reach a user -------------------
class YamlStructureError(EngineError):
    """A file whose structure cannot be a rule file (cycle, alias bomb, absurd nesting), at `line`."""

    def __init__(self, line: int, text: str) -> None:
        super().__init__(text)
        self.line, self.text = line, text


class UnsupportedForm(EngineError):
    """A sympy result that has no tree form (LambertW, complex numbers, ...)."""


class UnknownBounds(EngineError):
    """Interval bounds of an expression that cannot be worked out."""


class SympyOutOfTime(BaseException):
    """Raised inside sympy when the planner's time budget is spent (engine/solve/symbolic.py).
    A BaseException so that sympy's own `except Exception` cannot swallow it; never reaches a user."""
