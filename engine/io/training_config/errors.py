"""The one error of this package: a training config llmplan cannot use (names file:line)."""
from __future__ import annotations

from ...errors import ValueParseError


class TrainingConfigError(ValueParseError):
    """A training config that cannot be read: not a training config, bad YAML/JSON, wrong type or value."""
