"""`python -m engine` is the same as `llmplan`."""
from .cli import entry

entry()
