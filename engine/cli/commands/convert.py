"""`llmplan convert baichuan2-to-baichuan1 SRC DST`: argument wiring and console output of engine/tools/convert/.

Imports of numpy-backed modules happen inside run() so that building the
llmplan parser stays fast and does not need numpy.
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ...errors import ConversionError

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
    return convert


def run(args: argparse.Namespace) -> int:
    """Run the parsed `convert` command; 0 ok, 2 bad input, refused, or a file that cannot be read/written."""
    if getattr(args, "conversion", None) != BAICHUAN:
        print(f"error: unknown conversion {getattr(args, 'conversion', None)!r}; available: {BAICHUAN}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        from ...tools.convert.baichuan import convert_baichuan2_to_baichuan1

        report = convert_baichuan2_to_baichuan1(args.src, args.dst, dry_run=args.dry_run)
    except ConversionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_IO
    print(format_report(report))
    return EXIT_OK


def _stats(stats: NormStats) -> str:
    return (f"min {stats.min:.6g}, mean {stats.mean:.6g}, max {stats.max:.6g} "
            f"over {stats.rows} rows ({stats.zero_rows} zero)")


def format_report(report: ConversionReport) -> str:
    """Human-readable summary; the first line says what happened."""
    headline = {
        "converted": f"Converted {report.src} -> {report.dst} (Baichuan 2 -> Baichuan 1). 转换完成。",
        "dry_run": f"Dry run: nothing written. Converting {report.src} -> {report.dst} would change: "
                   "试运行，未写入任何文件。",
        "already_normalised": (f"lm_head.weight in {report.src} is already normalised (every non-zero row "
                               f"has norm 1 within {report.tolerance:.3g}); nothing to do, nothing written. "
                               "lm_head 已归一化，无需转换。"),
    }[report.status]
    lines = [
        headline,
        f"  format:      {report.format}, {len(report.weight_files)} weight file(s)",
        f"  head:        {report.head_file} (tensor lm_head.weight, shape {list(report.shape)}, {report.dtype})",
        f"  row norms:   {_stats(report.before)}",
    ]
    if report.after is not None:
        lines.append(f"  after:       {_stats(report.after)}")
    if report.status != "already_normalised":
        verb = "copied" if report.status == "converted" else "to copy"
        lines.append(f"  unchanged:   {len(report.copied_files)} other file(s) {verb} byte-for-byte")
    if report.verified:
        lines.append(f"  verified:    head rows have unit norm (tolerance {report.tolerance:.3g}); "
                     "other files identical (size + SHA-256)")
    lines.extend(f"  note:        {note}" for note in report.notes)
    return "\n".join(lines)
