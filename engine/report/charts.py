"""Charts for reports, drawn with matplotlib and returned as SVG text.

Only plotting lives here; the numbers come from engine/report/whatif.py and
context.py. matplotlib is imported when the first chart is drawn, never at
`import engine`. Text stays text in the SVG (`svg.fonttype = "none"`), so
Chinese labels are drawn by the browser's fonts, not by whatever fonts this
machine has; the font list in the SVG names common CJK fonts for that reason.
Figures are made with `matplotlib.figure.Figure` (no pyplot), so no GUI
backend and no global figure state are involved.
"""
from __future__ import annotations

import io
import itertools
import re
import warnings
from collections.abc import Sequence
from typing import Any

_FONTS = ("'DejaVu Sans', 'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', "
          "'PingFang SC', 'Microsoft YaHei', sans-serif")
_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")
_RC: Any = {"svg.fonttype": "none", "svg.hashsalt": "llmplan", "font.size": 9,
       "text.parse_math": False,   # names come from catalogs and sheets: `$x$` is text, never mathtext
       "axes.spines.top": False, "axes.spines.right": False}
_ids = itertools.count(1)


def _figure(width: float, height: float, bottom: float) -> Any:
    """Fixed margins: constrained layout doubles the drawing time, and a 200-scenario report draws 400 charts."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=bottom)
    return fig


def _svg(fig: Any) -> str:
    """The figure as an inline <svg> element: no XML prolog or metadata, ids unique per chart."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(_RC), warnings.catch_warnings():
        # layout is measured with the fonts at hand; missing CJK glyphs are drawn by the browser
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r"font-family: [^;\"]+", "font-family: " + _FONTS, text)
    prefix = f"c{next(_ids)}-"
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', text)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text).strip()


def _draw(make: Any) -> str:
    """Run a drawing function under the report's rc settings and return its SVG."""
    import matplotlib

    with matplotlib.rc_context(_RC), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        fig = make()
        return _svg(fig)


def _plain_ticks(axis: Any) -> None:
    """Log axes labelled 32, 64, 128 and 10, 100 days, not 2⁵ or 10²: readers compare counts."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def memory(parts: Sequence[tuple[str, float]], capacity: float | None, capacity_label: str,
           unit: str = "GB") -> str:
    """One stacked bar of memory parts (weights, gradients, ...) against the GPU's memory."""
    def make() -> Any:
        fig = _figure(6.4, 2.1, bottom=0.36)
        ax = fig.add_subplot()
        left = 0.0
        for (label, value), color in zip(parts, itertools.cycle(_COLORS)):
            ax.barh([0], [value], left=[left], color=color, label=f"{label} {value:,.4g} {unit}")
            left += value
        if capacity:
            ax.axvline(capacity, color="#c0392b" if left > capacity else "#333333", linestyle="--", linewidth=1.5)
            ax.annotate(f"{capacity_label} {capacity:,.4g} {unit}", xy=(capacity, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(3, 2), textcoords="offset points",
                        va="bottom", fontsize=8, annotation_clip=False)
        ax.annotate(f"{left:,.4g} {unit}", xy=(left, 0), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8, fontweight="bold")
        ax.set_xlim(0, max(left, capacity or 0) * 1.2)
        ax.set_yticks([])
        ax.set_xlabel(unit)
        fig.legend(loc="lower center", ncol=4, frameon=False, fontsize=8)
        return fig

    return _draw(make)


def time_vs_gpus(gpus: Sequence[float], low: Sequence[float], high: Sequence[float],
                 labels: dict[str, str], own: tuple[float, Sequence[float]] | None = None,
                 point: tuple[float, float] | None = None) -> str:
    """Training time (days) against GPU count: the band between mfu 0.55 (low) and 0.3 (high)."""
    def make() -> Any:
        fig = _figure(6.4, 3.0, bottom=0.16)
        ax = fig.add_subplot()
        ax.fill_between(gpus, low, high, color=_COLORS[0], alpha=0.18, label=labels["band_edges"])
        ax.plot(gpus, low, color=_COLORS[0], linewidth=1)
        ax.plot(gpus, high, color=_COLORS[0], linewidth=1)
        if own is not None:
            ax.plot(gpus, own[1], color=_COLORS[1], linewidth=1.5, label=f"mfu {own[0]:.2f}")
        if point is not None:
            ax.plot([point[0]], [point[1]], "o", color=_COLORS[3], label=labels["this_scenario"])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        _plain_ticks(ax.xaxis)
        _plain_ticks(ax.yaxis)
        ax.set_xlabel(labels["gpus"])
        ax.set_ylabel(labels["days"])
        ax.grid(True, alpha=0.25)
        ax.legend(fontsize=8, frameon=False)
        return fig

    return _draw(make)


def sweep(xs: Sequence[Any], ys: Sequence[float], x_label: str, y_label: str, log_x: bool = False) -> str:
    """A swept input against the answer; categorical sweeps (gpu=A800,H100) become bars."""
    def make() -> Any:
        fig = _figure(6.4, 2.8, bottom=0.17)
        ax = fig.add_subplot()
        if all(isinstance(x, str) for x in xs):
            ax.bar(list(range(len(xs))), ys, color=_COLORS[0])
            ax.set_xticks(list(range(len(xs))), list(xs))
        else:
            ax.plot(xs, ys, "o-", color=_COLORS[0])
            if log_x:
                ax.set_xscale("log")
                _plain_ticks(ax.xaxis)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(True, alpha=0.25)
        return fig

    return _draw(make)
