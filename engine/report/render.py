"""Templates -> files: one Jinja2 Environment for HTML and Markdown reports.

The templates (templates/report.html.j2, templates/report.md.j2 and their
`_*.j2` partials) read the context from context.py and only lay it out.
HTML is autoescaped (names, messages and sources are data from rule files
and workbooks); MathML and SVG come from our own printers and are inserted
with `|safe`. StrictUndefined turns a misspelt key into an error instead of
an empty cell in a report someone signs off on.
"""
from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import ScenarioError, ValueParseError
from ..messages import keyed
from ..rules.resources import data_dir
from ..tempfiles import remove_stale
from ..text.formatting import number

HTML_SUFFIXES = (".html", ".htm")
MD_SUFFIXES = (".md", ".markdown")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2


    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(md=md_text, code=md_code, raw=raw_number, num=number)
    return env


# -- named filters ------------------------------------------------------------------
def md_text(text: object) -> str:
    """Plain text safe inside Markdown (table cells included): no emphasis, links, HTML or cell breaks."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def md_code(text: object) -> str:
    """A name or formula as inline code; pipes still end a GFM table cell, so they are escaped."""
    body = " ".join(str(text).split()).replace("|", "\\|")
    fence = "``" if "`" in body else "`"
    return f"{fence}{body}{fence}"


def raw_number(value: object) -> str:
    """A base-unit number in full precision, for data-* attributes that tests and scripts read back."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(float(value))  # type: ignore[arg-type]


# -- writing ---------------------------------------------------------------------------
def render_html(context: dict[str, Any]) -> str:
    return environment().get_template("report.html.j2").render(**context)


def render_markdown(context: dict[str, Any], assets: str) -> str:
    return environment().get_template("report.md.j2").render(assets=assets, **context)


def write(context: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the report; the format follows the file name (.html or .md).

    Rendered in memory first; then written to temporaries renamed into place, so a failure (full
    disk, read-only folder, SIGTERM) leaves no half report: a Markdown report's chart folder, if
    this call created it, is removed again. OSError reaches the CLI (exit 2, one line)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in HTML_SUFFIXES:
        _remove_stale_temps(target.parent)
        _atomic_write(target, render_html(context))
    elif suffix in MD_SUFFIXES:
        folder = target.with_name(target.stem + "_files")
        text = render_markdown(context, quote(folder.name))
        _remove_stale_temps(target.parent)
        existed = folder.exists() or folder.is_symlink()
        try:
            _write_charts(context, folder)
            _atomic_write(target, text)
        except BaseException:
            if not existed:
                shutil.rmtree(folder, ignore_errors=True)
            raise
    else:
        raise keyed(ValueParseError, "report.bad_suffix", path=target, suffix=suffix or "no suffix")
    return target


def _write_charts(context: dict[str, Any], folder: Path) -> None:
    """Markdown links its charts: one SVG file per chart in a folder beside the .md."""
    charts = [c for s in context["scenarios"] for c in s["charts"]] + list(context["sweeps"])
    if not charts:
        return
    if (folder.exists() or folder.is_symlink()) and not folder.is_dir():
        raise keyed(ScenarioError, "report.chart_folder_is_file", path=folder)
    folder.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        svg = chart["svg"]
        if "xmlns=" not in svg[:300]:
            svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
        _atomic_write(folder / chart["name"], '<?xml version="1.0" encoding="utf-8"?>\n' + svg + "\n")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


TEMP_MARK = ".llmplan-"        # `.report.md.llmplan-XXXXXXXX.tmp`: what a killed run may leave


def _atomic_write(path: Path, text: str) -> None:
    """Temp file + rename: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_umask())    # mkstemp makes 0600; a report is for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove_stale_temps(folder: Path) -> None:
    """Temporaries of ours (`.report.md.llmplan-XXXXXXXX.tmp`) that a killed run left."""
    remove_stale(folder, lambda name: name.startswith(".") and TEMP_MARK in name and name.endswith(".tmp"))
