"""`llmplan` command line: a thin layer over the Python API.

Each sub-command lives in engine/cli/commands/<name>.py with two functions,
`add_parser(subparsers)` and `run(args) -> int`; this module finds them,
parses arguments, and maps EngineError to a message and an exit code:

    0  everything answered
    1  the question (or some rows) could not be answered: under-determined,
       contradictory, no valid value; the other rows still have answers
    2  usage or input error: bad argument, unreadable/invalid file, bad value, a file that
       cannot be written (read-only folder, full disk, a file where a folder must go)
  128+N  stopped by signal N (SIGTERM 143, SIGHUP 129; Ctrl-C 130): temporary files removed

No traceback reaches the user: a bug (any other exception) is reported in one line and exits 3
(LLMPLAN_DEBUG=1 re-raises it).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import signal
import sys
import threading
from typing import Any, Iterator, Sequence

from ..errors import EngineError, EvaluationError, InternalSolveError, PlanningError, UnderdeterminedError
from ..messages import localized, text
from ..version import __version__
from . import commands

EXIT_OK, EXIT_ROWS, EXIT_INPUT, EXIT_BUG = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmplan", description="Plan LLM training runs: FLOPs, memory, time, GPUs, tokens, storage, cost.")
    parser.add_argument("--version", action="version", version=f"llmplan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        before = set(sub.choices)
        module.add_parser(sub)
        for name in set(sub.choices) - before:
            sub.choices[name].set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    try:
        with _signals_as_interrupts():
            return int(args._run(args))
    except InternalSolveError as exc:   # (an EvaluationError, but a bug in llmplan: exit 3, as README says)
        print(text("cli.error", _lang(args), message=error_text(exc, _lang(args))), file=sys.stderr)
        return EXIT_BUG
    except (PlanningError, EvaluationError) as exc:
        lang = _lang(args)
        print(text("cli.error", lang, message=error_text(exc, lang)), file=sys.stderr)
        return EXIT_ROWS
    except EngineError as exc:
        lang = _lang(args)
        print(text("cli.error", lang, message=error_text(exc, lang)), file=sys.stderr)
        return EXIT_INPUT
    except Terminated as exc:
        lang = _lang(args)
        print(text("cli.stopped", lang, signal=signal.Signals(exc.signum).name), file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        lang = _lang(args)
        print(text("cli.interrupted", lang), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:   # a file that cannot be read or written (read-only folder, full disk, ...)
        print(_file_error(exc, _lang(args)), file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug, said plainly
        lang = _lang(args)
        if os.environ.get("LLMPLAN_DEBUG"):
            raise
        print(text("cli.bug", lang, kind=type(exc).__name__, message=exc), file=sys.stderr)
        return EXIT_BUG


def _lang(args: argparse.Namespace) -> str:
    """The language asked for, read when a message is said: a command that reads its options after its
    items (preflight CONFIG --lang zh) sets it while running."""
    return getattr(args, "lang", "en") or "en"


def error_text(exc: EngineError, lang: str) -> str:
    """An error in the user's language: its message key when it was raised with one; an
    under-determined question from its fields (the targets and the values that would help)."""
    if lang != "en" and getattr(exc, "message_key", None) is None and isinstance(exc, UnderdeterminedError) \
            and exc.missing and exc.suggestions:
        return text("cli.underdetermined", lang, target=", ".join(exc.missing), names=", ".join(exc.suggestions[:6]))
    return localized(exc, lang)


class Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP raised in the main thread, so every `finally` removes its temporary files."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_as_interrupts() -> Iterator[None]:
    def stop(signum: int, _frame: Any) -> None:
        raise Terminated(signum)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {name: signal.signal(getattr(signal, name), stop) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


def _file_error(exc: OSError, lang: str) -> str:
    """One line: the path and what the system said (`report.md: No space left on device`)."""
    where = exc.filename if exc.filename is not None else "a file"
    other = f" -> {exc.filename2}" if getattr(exc, "filename2", None) else ""
    return text("cli.file_error", lang, path=f"{where}{other}", reason=exc.strerror or type(exc).__name__)


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
