"""`llmplan measure CORPUS... --tokenizer tokenizer.json [--encoding utf-8] [--json]`."""
from __future__ import annotations

import argparse
import json
import sys

from ...messages import text
from ...tools.measure import Measurement, measure


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "measure", help="count tokens, characters and bytes of your text files with your own tokenizer",
        description="Measure tokens per character and bytes per token of a corpus with a local Hugging Face "
                    "tokenizer.json (nothing is downloaded), per file and in total, and print a `llmplan solve` "
                    "line that feeds the figures to the storage rules. Needs `pip install 'llmplan[measure]'`.")
    parser.add_argument("corpus", nargs="+", metavar="CORPUS", help="text files or folders (walked recursively)")
    parser.add_argument("--tokenizer", required=True, metavar="FILE",
                        help="tokenizer.json (or a folder holding one), e.g. from a model's Hugging Face repo")
    parser.add_argument("--encoding", default="utf-8", help="text encoding of the files (default utf-8)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--lang", choices=("en", "zh"), default="en", help="language of labels and messages")


def run(args: argparse.Namespace) -> int:
    result = measure(args.corpus, args.tokenizer, args.encoding)
    if args.json:
        json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print(render_text(result, args.lang))
    return 0


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def render_text(result: Measurement, lang: str = "en") -> str:
    rows = [(c.path, f"{c.bytes:,}", f"{c.chars:,}", f"{c.tokens:,}", _ratio(c.tokens_per_char),
             _ratio(c.chars_per_token), _ratio(c.bytes_per_token), _ratio(c.bytes_per_char))
            for c in result.files]
    total = result.total
    rows.append((text("cli.measure_total", lang, files=total.files), f"{total.bytes:,}", f"{total.chars:,}",
                 f"{total.tokens:,}",
                 _ratio(total.tokens_per_char), _ratio(total.chars_per_token), _ratio(total.bytes_per_token),
                 _ratio(total.bytes_per_char)))
    head = (text("cli.measure_file", lang), "bytes", "chars", "tokens", "tokens/char", "chars/token", "bytes/token",
            "bytes/char")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths)))

    lines = [text("cli.measure_tokenizer", lang, tokenizer=result.tokenizer), fmt(head), *map(fmt, rows)]
    line = result.to_json()["solve"]
    if line:
        lines += ["", text("cli.measure_storage", lang), f"  {line}"]
    return "\n".join(lines)
