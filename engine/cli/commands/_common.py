"""What several commands share: rule/catalog options, language, reading `NAME=VALUE` items."""
from __future__ import annotations

import argparse
from typing import Any

from ...errors import ValueParseError
from ...text.formatting import shorten


def add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", action="append", default=[], metavar="PATH",
                        help="extra rule file or folder of *.yaml (validated like the bundled ones; may add, "
                             "never silently replace)")
    parser.add_argument("--catalog", action="append", default=[], metavar="FILE",
                        help="extra catalog file (e.g. your own GPUs)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en", help="language of labels and messages")


def load_engine(args: argparse.Namespace) -> Any:
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
                raise ValueParseError(f"{shorten(item)!r}: write NAME=VALUE, e.g. params=7B")
            if name in givens:
                raise ValueParseError(f"{shorten(name)} is given twice ({shorten(givens[name])!r} and "
                                      f"{shorten(value)!r})")
            givens[name] = value.strip()
        else:
            targets.append(item.strip())
    return targets, givens


# labels used by terminal output, in both languages
LABELS = {
    "en": {"answer": "Answer", "given": "Given", "assumed": "Assumptions (defaults)", "derived": "Also derived",
           "derivation": "Derivation", "warnings": "Warnings", "rounded": "rounded", "source": "source",
           "catalog": "from catalog", "recomputed": "recomputed for the rounded count", "was": "asked",
           "round_up": "up", "round_down": "down", "round_nearest": "to nearest",
           "rounded_as": "{raw} rounded {direction}"},
    "zh": {"answer": "答案", "given": "已知", "assumed": "假设（默认值）", "derived": "其他推导值",
           "derivation": "推导过程", "warnings": "提示", "rounded": "已取整", "source": "来源",
           "catalog": "来自目录", "recomputed": "按取整后的数量重新计算", "was": "原输入",
           "round_up": "向上", "round_down": "向下", "round_nearest": "四舍五入",
           "rounded_as": "{raw} {direction}取整"},
}
