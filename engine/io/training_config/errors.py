"""The error of this package lives with every other exception in engine/errors.py."""
from __future__ import annotations

from ...errors import TrainingConfigError

__all__ = ["TrainingConfigError"]
