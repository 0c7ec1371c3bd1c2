"""`llmplan` command line: the entry point (app.py), one module per sub-command (commands/), progress."""
from .app import entry, main

__all__ = ["entry", "main"]
