"""Shared pieces: asking llmplan, comparison rows, the printed table."""
from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@functools.lru_cache(maxsize=1)
def engine() -> Any:
    from engine import Engine
    return Engine.load()


def ask(targets: Sequence[str] | str, givens: dict[str, Any]) -> dict[str, float]:
    """llmplan's answer (every given and derived value, SI base units), through the public Python API."""
    if isinstance(targets, str):
        targets = [targets]
    result = engine().solve(list(targets), dict(givens))
    return dict(result.values)


def has_variable(name: str) -> bool:
    return name in engine().rules.variables


@dataclass
class Row:
    """One comparison: llmplan's figure against a measured or published one."""

    section: str
    case: str
    llmplan: float
    reference: float
    unit: str = ""
    tolerance: float | None = 0.0      # relative; None = informative row (reported, not asserted)
    reason: str = ""                   # why this tolerance / why not asserted
    source: str = ""                   # where the reference figure comes from
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def error(self) -> float:
        """Relative error of llmplan's figure: (llmplan - reference) / reference (NaN: nothing to compare)."""
        if math.isnan(self.reference) or math.isnan(self.llmplan):
            return math.nan
        if self.reference == 0:
            return 0.0 if self.llmplan == 0 else math.inf
        return (self.llmplan - self.reference) / self.reference

    @property
    def asserted(self) -> bool:
        return self.tolerance is not None

    @property
    def ok(self) -> bool:
        if self.tolerance is None:
            return True
        if self.tolerance == 0:
            return self.llmplan == self.reference
        return abs(self.error) <= self.tolerance

    @property
    def verdict(self) -> str:
        if not self.asserted:
            return "info"
        return "ok" if self.ok else "FAIL"

    def to_json(self) -> dict[str, Any]:
        return {"section": self.section, "case": self.case, "llmplan": self.llmplan, "reference": self.reference,
                "unit": self.unit, "error": self.error if math.isfinite(self.error) else None,
                "tolerance": self.tolerance, "verdict": self.verdict, "reason": self.reason,
                "source": self.source, **({"extra": self.extra} if self.extra else {})}


def fmt(value: float, unit: str = "") -> str:
    """Human figure: bytes and plain counts exact, FLOPs and tokens to 4 significant digits, times whole."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "%":
        return f"{value * 100:.2f}%"
    if unit == "B" or (unit == "" and float(value).is_integer() and abs(value) < 1e15):
        text = f"{int(value):,}"
    elif unit in ("FLOP", "tokens", ""):
        text = f"{value:.4g}"
    else:
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"
    return f"{text} {unit}".strip()


def fmt_error(row: Row) -> str:
    if math.isnan(row.reference) or math.isnan(row.llmplan):
        return "—"
    e = row.error
    if not math.isfinite(e):
        return "∞"
    if e == 0:
        return "0 (exact)"
    return f"{e * 100:+.2f}%"


def fmt_tolerance(row: Row) -> str:
    if row.tolerance is None:
        return "not asserted"
    if row.tolerance == 0:
        return "exact"
    return f"±{row.tolerance * 100:g}%"


def markdown_table(rows: Iterable[Row], *, sources: bool = False) -> str:
    head = ["case", "llmplan", "measured / published", "error", "tolerance", ""]
    if sources:
        head.append("source")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.case, fmt(r.llmplan, r.unit), fmt(r.reference, r.unit), fmt_error(r), fmt_tolerance(r), r.verdict]
        if sources:
            cells.append(r.source)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def check(rows: Iterable[Row]) -> None:
    """pytest helper: fail with every failing row listed."""
    bad = [r for r in rows if not r.ok]
    if bad:
        msg = "\n".join(f"{r.section}: {r.case}: llmplan {fmt(r.llmplan, r.unit)} vs {fmt(r.reference, r.unit)} "
                        f"({fmt_error(r)}, tolerance {fmt_tolerance(r)}) {r.reason}" for r in bad)
        raise AssertionError("llmplan disagrees with reality:\n" + msg)


def group_of(row: Row) -> str:
    """Rows that check the same rule against the same kind of reference (for the summary)."""
    if "group" in row.extra:
        return row.extra["group"]
    if row.section.startswith("Published"):
        return row.case
    return row.case.split(": ", 1)[-1]


def summary_table(rows: Iterable[Row]) -> str:
    """README-sized table: one line per rule and reference, with the range of errors over its cases."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        groups.setdefault((r.section, group_of(r)), []).append(r)
    lines = ["| area | check | cases | llmplan vs measured / published | tolerance | |", "|---|---|---|---|---|---|"]
    for (section, name), rs in groups.items():
        errs = [r.error for r in rs if math.isfinite(r.error)]
        if not errs:
            rng = "—"
        elif all(e == 0 for e in errs):
            rng = "exact"
        else:
            lo, hi = min(errs), max(errs)
            rng = f"{lo * 100:+.2f}%" if len(errs) == 1 or abs(hi - lo) < 5e-5 else f"{lo * 100:+.2f}% … {hi * 100:+.2f}%"
        if len(rs) == 1 and rs[0].section.startswith("Published"):
            rng = f"{fmt(rs[0].llmplan, rs[0].unit)} vs {fmt(rs[0].reference, rs[0].unit)}" + \
                  (f" ({rng})" if rng not in ("—", "exact") else "")
        tol = {fmt_tolerance(r) for r in rs}
        verdict = "FAIL" if any(not r.ok for r in rs) else ("ok" if any(r.asserted for r in rs) else "info")
        lines.append(f"| {section} | {name} | {len(rs)} | {rng} | {' / '.join(sorted(tol))} | {verdict} |")
    return "\n".join(lines)

