"""What several commands share: rule/catalog options, language, reading `NAME=VALUE` items."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ...errors import ValueParseError
from ...messages import keyed
from ...text.formatting import shorten

if TYPE_CHECKING:
    from ...solve.solver import Engine


def add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", action="append", default=[], metavar="PATH",
                        help="extra rule file or folder of *.yaml (validated like the bundled ones; may add, "
                             "never silently replace)")
    parser.add_argument("--catalog", action="append", default=[], metavar="FILE",
                        help="extra catalog file (e.g. your own GPUs)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en", help="language of labels and messages")


def load_engine(args: argparse.Namespace) -> Engine:
    from ...solve.solver import Engine

    return Engine.load([*args.rules, *args.catalog])


def split_items(items: list[str]) -> tuple[list[str], dict[str, str]]:
    """`n_gpus params=7B ...` -> (["n_gpus"], {"params": "7B"})."""
    targets: list[str] = []
    givens: dict[str, str] = {}
    for item in items:
        if "=" in item:
            name, _, value = item.partition("=")
            name = name.strip()
            if not name or not value.strip():
                raise keyed(ValueParseError, "values.write_name_value", item=shorten(item))
            if name in givens:
                raise keyed(ValueParseError, "values.given_twice", name=shorten(name), first=shorten(givens[name]),
                            second=shorten(value))
            givens[name] = value.strip()
        else:
            targets.append(item.strip())
    return targets, givens


def wants_binary(givens: dict[str, str]) -> bool:
    """Whether the user typed binary byte units (80GiB): then bytes are shown in GiB too."""
    return any("ib" in str(value).casefold() for value in givens.values()
               if any(u in str(value) for u in ("KiB", "MiB", "GiB", "TiB", "PiB")))
