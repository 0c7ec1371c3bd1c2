"""`llmplan convert baichuan2-to-baichuan1 SRC DST` (seed: Baichuan 2 -> Baichuan 1)."""
from __future__ import annotations

import argparse

from ...tools.convert import cli


def add_parser(sub: argparse._SubParsersAction) -> None:
    cli.add_parser(sub)


def run(args: argparse.Namespace) -> int:
    return cli.run(args)
