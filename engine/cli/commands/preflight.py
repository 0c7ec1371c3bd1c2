"""`llmplan preflight CONFIG [CONFIG ...] [NAME=VALUE ...] [--gpu G] [--n-gpus N] [--json] [--report FILE]`."""
from __future__ import annotations

import argparse
import json
import math
import sys
import unicodedata
from typing import TYPE_CHECKING

from ...messages import table
from ...messages import text as message
from ...table.scope import reworded, shown_warnings
from ...text.formatting import format_quantity, in_language
from ..preflight import Preflight, preflight, write_report
from ._common import add_rule_options, load_engine, split_items
from .solve import SOURCE_WIDTH, cut, implied_by

if TYPE_CHECKING:
    from ...solve.solver import Engine, Result


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "preflight", help="check a training config before launch: fits?, largest micro-batch, time per epoch, fixes",
        description="Read a LLaMA-Factory or axolotl YAML (with its DeepSpeed JSON), a DeepSpeed JSON or an "
                    "accelerate config, and say whether it fits on the GPU, the largest micro-batch, steps and time "
                    "per epoch, and the changes that would make it fit. NAME=VALUE items override the config.")
    parser.add_argument("items", nargs=argparse.REMAINDER, metavar="CONFIG|NAME=VALUE",
                        help="training config file(s), then optional values (samples=50k mfu=0.35 model=qwen2-7b)")
    _options(parser)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gpu", help="GPU catalog key (A800, H100-SXM, RTX-4090; `llmplan catalog gpus`)")
    parser.add_argument("--n-gpus", dest="n_gpus", help="number of GPUs (default: the config's, else 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (SI base units)")
    parser.add_argument("--report", metavar="FILE", help="also write a report (.html or .md)")
    add_rule_options(parser)


def _intermixed(args: argparse.Namespace) -> argparse.Namespace:
    """Options after the config (`preflight train.yaml --gpu A800 samples=50k`) are read too."""
    parser = argparse.ArgumentParser(prog="llmplan preflight", add_help=False)
    parser.add_argument("items", nargs="*")
    _options(parser)
    rest = parser.parse_intermixed_args(args.items)
    for name, value in vars(rest).items():
        if name == "items" or value != parser.get_default(name):   # given after the config
            setattr(args, name, value if name != "rules" and name != "catalog" else [*getattr(args, name), *value])
    if not args.items:
        parser.error(message("preflight.give_config", getattr(args, "lang", "en") or "en"))
    return args


def run(args: argparse.Namespace) -> int:

    args = _intermixed(args)
    configs, typed = split_items(args.items)
    if args.gpu:
        typed.setdefault("gpu", args.gpu)
    if args.n_gpus:
        typed.setdefault("n_gpus", args.n_gpus)
    engine = load_engine(args)
    check = preflight(engine, configs, typed, args.lang)
    if args.report:

        write_report(engine, check, args.report, render_text(engine, check, args.lang), args.lang)
    if args.json:
        json.dump(check.to_json(), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print(render_text(engine, check, args.lang))
    return 0


def render_text(engine: Engine, check: Preflight, lang: str = "en") -> str:

    words = table("preflight.word", lang)
    rules = engine.rules
    gb = lambda v: format_quantity(rules.variables["memory_per_gpu"], v)  # noqa: E731
    result = check.result
    lines = [f"{words['fits'] if check.fits else words['no_fit']}: {words['per_gpu']} {gb(check.memory_per_gpu)} / "
             f"{words['usable']} {gb(check.usable)} ({result.keys.get('gpu', '')}), "
             + (f"{words['headroom']} {gb(check.headroom)}" if check.fits
                else f"{words['short']} {gb(-check.headroom)}")
             + (f" ({words['tight']})" if check.tight else "")]
    for name, value in check.breakdown().items():
        lines.append(f"  {_padded(words[name], 18)} {gb(value):>12}")
    lines.append(f"  {_padded(words['total'], 18)} {gb(check.memory_per_gpu):>12}")
    host = result.values.get("host_memory_per_gpu", 0.0)
    if host:
        lines.append(f"  ({words['host']}: {gb(host)})")
    lines.append(f"{words['max_mb']}: {check.max_micro_batch if check.max_micro_batch else words['none']}"
                 + (f"  ({check.max_micro_batch_note})" if check.max_micro_batch_note else ""))
    lines += _time_lines(engine, check, words, lang)
    lines += _warning_lines(check, lang)
    if check.changes:
        lines.append(f"{words['changes']}:")
        for i, change in enumerate(check.changes, 1):
            tag = words["tight_tag"] if change.tight_in(check.givens) else \
                words["fits_tag"] if change.fits else words["no_fit_tag"]
            lines.append(f"  {i}. {change.label}: " + (change.error if change.error else
                         f"{gb(change.memory_per_gpu)} ({change.memory_fill:.0%}, {tag})"
                         + (f", {_duration(engine, change.epoch_time, lang)}/epoch"
                            if not math.isnan(change.epoch_time) else "")
                         + (f"; {change.note}" if change.note else "")))
    lines += _origin_lines(result, check, words)
    return "\n".join(lines)


def _warning_lines(check: Preflight, lang: str) -> list[str]:
    """The memory question's warnings beyond the fit the verdict above says (a bf16 recipe on a GPU without
    bf16, a tensor-parallel degree the batch implies): the same as `llmplan solve` shows."""
    shown = [w for w in shown_warnings(check.result, brief=True)
             if w.severity == "warning" and not w.code.endswith("fit") and w.code != "parallelism.nearly_full"]
    if not shown:
        return []
    head = message("cli.warnings", lang)
    return [f"{head}:"] + [f"  [{message('cli.severity.warning', lang)}] {reworded(w, check.result, lang)}"
                           for w in shown]


def _time_lines(engine: Engine, check: Preflight, words: dict[str, str], lang: str) -> list[str]:
    lines = []
    if not math.isnan(check.steps_per_epoch):
        steps = check.steps_per_epoch   # (a whole count reads 25,000, not 2.5e+04)
        shown = f"{steps:,.0f}" if steps == round(steps) else f"{steps:,.4g}"
        lines.append(f"{words['steps']}: {shown}  "
                     f"({check.sequences_per_epoch:,.0f} {words['sequences']})")
    if not math.isnan(check.epoch_time):
        kind = "mfu_predicted" if check.mfu_predicted else "mfu_assumed" if check.mfu_assumed else "mfu_given"
        mfu = words[kind].format(mfu=f"{check.mfu:.3g}") if not math.isnan(check.mfu) else "perf_model=analytic"
        lines.append(f"{words['epoch']}: {_duration(engine, check.epoch_time, lang)}  ({mfu})")
    if not math.isnan(check.run_time):
        span = words["run_steps"].format(steps=f"{check.run_steps:,.0f}", epochs=f"{check.run_epochs:.3g}") \
            if not math.isnan(check.run_steps) else words["run_one_epoch" if check.run_epochs == 1 else "run_epochs"
                                                          ].format(epochs=f"{check.run_epochs:g}")
        lines.append(f"{words['run']} ({span}): {_duration(engine, check.run_time, lang)}")
    if check.time_note:
        lines.append(f"  ({check.time_note})")
    return lines


def _origin_lines(result: Result, check: Preflight, words: dict[str, str]) -> list[str]:
    lines = [f"{words['from']}:"]
    shown = dict(result.keys)
    shown.update({n: result.show(n) for n in result.values if n in result.origins})
    for name, filled in check.origins.values.items():
        value = shown.get(name, filled.value)
        lines.append(f"  {name} = {value}  [{filled.origin}]")
    for name in _typed_names(check):
        value = shown.get(name, result.show(name) if name in result.values else check.givens[name])
        lines.append(f"  {name} = {value}  [{words['on_command_line']}]")
    for name, value, why in check.assumed:
        lines.append(f"  {name} = {value}  [{words['assumed']}: {why}]")
    for name, value, source in _defaults_used(result, check):
        lines.append(f"  {name} = {value}  [{words['default']}: {cut(source, SOURCE_WIDTH)}]")
    for name, filled in check.origins.overridden.items():
        lines.append(f"  {name}: {words['typed']} "
                     f"({filled.key} = {filled.value} [{filled.origin}] {words['not_used']})")
    ignored = check.origins.summary()["ignored"]
    if ignored:
        lines.append(f"{words['ignored']}: " + ", ".join(_short(i) for i in ignored))
    return lines


def _defaults_used(result: Result, check: Preflight) -> list[tuple[str, str, str]]:
    """llmplan's own defaults the memory answer used (recompute = none: why activations are large),
    without the figures a listed convention implies (offload = none's offload_grads = 0)."""
    keys = {name for name, _, _ in result.assumptions} | set(check.givens)
    return [(name, value, source) for name, value, source in result.assumptions
            if name not in check.givens and implied_by(name, source, keys) is None]


def _typed_names(check: Preflight) -> list[str]:
    """The values typed on the command line (not read from a file, not assumed by preflight)."""
    assumed = {name for name, _, _ in check.assumed}
    return [n for n in check.givens if n not in check.origins.values and n not in assumed and n != "config"]


def _short(item: str) -> str:
    """`lr (path/train.yaml:34)` -> `lr (train.yaml:34)`: the file's name is enough in a list."""
    key, _, where = item.partition(" (")
    return f"{key} ({where.rsplit('/', 1)[-1]}" if where else item


def _padded(label: str, width: int) -> str:
    """label padded to `width` terminal columns (a Chinese character takes two)."""
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label)
    return label + " " * max(0, width - shown)


def _duration(engine: Engine, seconds: float, lang: str = "en") -> str:
    """Hours below two days (41.9 h), days beyond; time units in the reader's language."""
    hours = seconds / 3600
    if hours < 48:
        return in_language(f"{hours:.3g} h", lang)
    return format_quantity(engine.rules.variables["train_time"], seconds, lang=lang)
