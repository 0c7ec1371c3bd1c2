"""Why an asked value falls outside its domain: which given is out of reach, and how far (issue #16).

"Which network bandwidth keeps MFU at 0.45?" has no answer when even an unlimited network leaves MFU
at 0.41: solved backwards, the bandwidth comes out negative. Saying "network_bandwidth = -170, not
above 0" is true but not useful; the user needs to hear that mfu = 0.45 is out of reach and that the
most it can be is 0.41. This module finds that: it moves the asked value to the two ends of its
domain and solves each typed continuous given from there; a given whose typed value lies outside
the range it then spans is the one out of reach.

It runs only after a single question was refused (two small solves per typed given), never per row
of a batch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..messages import Both, Caught, Joined, Nested
from ..text.formatting import format_quantity
from .keys import Categorical

if TYPE_CHECKING:
    from .batch_result import Batch
    from .solver import Engine

# The ends of a domain, in base units: "unlimited" and "next to nothing" for a positive quantity
# (1e30 B/s makes any transfer take no time; 1e-30 makes it take forever), the bounds of a fraction.
_ENDS = {"positive": (1e-30, 1e30), "nonnegative": (0.0, 1e30), "fraction": (1e-30, 1.0)}
DOMAIN_KEYS = ("planner.domain.below", "planner.domain.above")


def unreachable(engine: "Engine", numbers: dict[str, float], keys: dict[str, str], targets: "Sequence[str]",
                error: BaseException | str) -> dict[str, object] | None:
    """The fields of message planner.out_of_reach when `error` refused an asked value for leaving its
    domain and a typed given is what no value of it can meet; None otherwise (the refusal stands)."""
    fields = getattr(error, "message_fields", {})
    target = fields.get("name")
    if getattr(error, "message_key", None) not in DOMAIN_KEYS or not isinstance(target, str) or target not in targets:
        return None
    clauses = out_of_reach(engine, numbers, keys, target)
    if clauses is None:
        return None
    names = ", ".join(str(c.fields["name"]) for c in clauses.parts)
    return {"clauses": clauses, "names": names, "detail": Caught(error)}


def out_of_reach(engine: "Engine", numbers: dict[str, float], keys: dict[str, str], target: str
                 ) -> Joined | None:
    """A clause naming each typed given that no value of `target` in its domain can meet, with the
    range that `target`'s domain allows it; None when no typed given is out of reach."""
    ends = _ENDS.get(engine.rules.variables[target].domain)
    if ends is None:
        return None
    clauses: list[Nested] = []
    for name, value in numbers.items():
        if name == target or engine.rules.variables[name].domain in ("integer", "categorical"):
            continue
        spanned = [_solved(engine, {**numbers, target: end}, keys, name, target) for end in ends]
        if any(v is None for v in spanned):
            continue
        low, high = sorted(v for v in spanned if v is not None)
        if high - low <= 1e-9 * abs(high) or low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
            continue      # (not moved by `target` at all: a default chain, not the limit we look for)
        variable = engine.rules.variables[name]
        above = value > high
        limit = high if above else low   # (both languages: "至少为 45.2 天", not "45.2 days")
        clauses.append(Nested(f"planner.out_of_reach.{'above' if above else 'below'}", name=name,
                              value=Both(format_quantity(variable, value), format_quantity(variable, value, lang="zh")),
                              target=target, limit=Both(format_quantity(variable, limit),
                                                        format_quantity(variable, limit, lang="zh"))))
    return Joined(*clauses, separator="; ") if clauses else None


def _solved(engine: "Engine", numbers: dict[str, float], keys: dict[str, str], name: str, moved: str
            ) -> float | None:
    """`name` solved from `numbers` without it (one row), or None when the engine cannot."""
    batch = solved_alone(engine, {n: v for n, v in numbers.items() if n != name}, keys, name)
    if batch is None or name not in batch.values:
        return None
    value = float(batch.values[name][0])
    return value if np.isfinite(value) else None


def solved_alone(engine: "Engine", numbers: dict[str, float], keys: dict[str, str], name: str) -> "Batch | None":
    """One row asking only `name` from these givens (no side values), or None when it is refused: the
    small solves a refused question's follow-ups make (this module, engine/solve/whole_options.py)."""
    batch = engine.solve_columns({n: np.array([v]) for n, v in numbers.items()}, key_columns(keys), [(name,)],
                                 np.zeros(1, dtype=np.int64), 1, side_values=False)
    return None if batch.errors[0] is not None else batch


def key_columns(keys: dict[str, str]) -> dict[str, Categorical]:
    """One row's catalog keys as the batch solver takes them."""
    return {n: Categorical(np.zeros(1, dtype=np.int64), [k]) for n, k in keys.items()}
