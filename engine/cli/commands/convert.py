"""`llmplan convert baichuan2-to-baichuan1 SRC DST`: argument wiring and console output of engine/tools/convert/.

Imports of numpy-backed modules happen inside run() so that building the
llmplan parser stays fast and does not need numpy.
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ...errors import ConversionError
from ...messages import localized, text

if TYPE_CHECKING:
    from ...tools.convert.baichuan import ConversionReport, NormStats

BAICHUAN = "baichuan2-to-baichuan1"
EXIT_OK, EXIT_IO, EXIT_USAGE = 0, 2, 2   # a file that cannot be read or written is an input error (2)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `convert` (with its conversions as sub-commands) to an argparse subparsers object."""
    convert = subparsers.add_parser(
        "convert", help="convert model checkpoints offline / 离线转换模型权重",
        description="Convert model checkpoints offline. 离线转换模型权重。")
    kinds = convert.add_subparsers(dest="conversion", metavar="CONVERSION")
    kinds.required = True
    baichuan = kinds.add_parser(
        BAICHUAN, help="normalise lm_head rows so Baichuan 1 tooling can run a Baichuan 2 checkpoint",
        description=("Copy a Baichuan 2 checkpoint to DST_DIR with every row of lm_head.weight "
                     "L2-normalised (NormHead baked in), so it runs as a Baichuan 1 model. All other "
                     "files are copied unchanged. 将 Baichuan 2 的 lm_head 按行归一化后保存，"
                     "即可当作 Baichuan 1 模型使用。"))
    baichuan.add_argument("src", metavar="SRC_DIR", help="Baichuan 2 checkpoint directory (read only)")
    baichuan.add_argument("dst", metavar="DST_DIR", help="new directory to create (must not exist or be empty)")
    baichuan.add_argument("--dry-run", action="store_true",
                          help="show what would change and write nothing / 仅预览，不写入")
    baichuan.add_argument("--lang", choices=("en", "zh"), default="en", help="language of messages / 提示语言")
    return convert


def run(args: argparse.Namespace) -> int:
    """Run the parsed `convert` command; 0 ok, 2 bad input, refused, or a file that cannot be read/written."""
    lang = getattr(args, "lang", "en") or "en"
    if getattr(args, "conversion", None) != BAICHUAN:
        print(text("convert.unknown_conversion", lang, name=getattr(args, "conversion", None), available=BAICHUAN),
              file=sys.stderr)
        return EXIT_USAGE
    try:
        from ...tools.convert.baichuan import convert_baichuan2_to_baichuan1

        report = convert_baichuan2_to_baichuan1(args.src, args.dst, dry_run=args.dry_run)
    except ConversionError as exc:
        print(text("convert.error", lang, message=localized(exc, lang)), file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(text("convert.error", lang, message=exc), file=sys.stderr)
        return EXIT_IO
    print(format_report(report, lang))
    return EXIT_OK


def _stats(stats: NormStats, lang: str) -> str:
    return text("convert.stats", lang, min=f"{stats.min:.6g}", mean=f"{stats.mean:.6g}", max=f"{stats.max:.6g}",
                rows=stats.rows, zero=stats.zero_rows)


def format_report(report: ConversionReport, lang: str = "en") -> str:
    """Human-readable summary in `lang`; the first line says what happened."""
    tolerance = f"{report.tolerance:.3g}"
    headline = text(f"convert.{report.status}", lang, src=report.src, dst=report.dst, tolerance=tolerance)
    lines = [
        headline,
        text("convert.line_format", lang, format=report.format, count=len(report.weight_files)),
        text("convert.line_head", lang, file=report.head_file, shape=list(report.shape), dtype=report.dtype),
        text("convert.line_norms", lang, stats=_stats(report.before, lang)),
    ]
    if report.after is not None:
        lines.append(text("convert.line_after", lang, stats=_stats(report.after, lang)))
    if report.status != "already_normalised":
        key = "convert.line_copied" if report.status == "converted" else "convert.line_to_copy"
        lines.append(text(key, lang, count=len(report.copied_files)))
    if report.verified:
        lines.append(text("convert.line_verified", lang, tolerance=tolerance))
    lines.extend(text("convert.line_note", lang, note=localized(note, lang)) for note in report.notes)
    return "\n".join(lines)
