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

from ..messages import Caught, Joined, Nested
from ..text.formatting import format_quantity, said_quantity
from .keys import Categorical

if TYPE_CHECKING:
    from .batch_result import Batch
    from .solver import Engine

# The ends of a domain, in base units: "unlimited" and "next to nothing" for a positive quantity
# (1e30 B/s makes any transfer take no time; 1e-30 makes it take forever), the bounds of a fraction.
_ENDS = {"positive": (1e-30, 1e30), "nonnegative": (0.0, 1e30), "fraction": (1e-30, 1.0)}
# A whole-number target (tp for an mfu of at least 0.4) is tried at powers of two, the layouts people run, up
# to the first that no longer solves once one has (tp beyond the GPUs: dp below 1)
_WHOLE_POINTS = tuple(float(2 ** k) for k in range(21))
DOMAIN_KEYS = ("planner.domain.below", "planner.domain.above")
NO_ROOT_KEY = "planner.domain.none"   # a numeric step with no root: no tp at all gives this mfu


def unreachable(engine: "Engine", numbers: dict[str, float], keys: dict[str, str], targets: "Sequence[str]",
                error: BaseException | str) -> dict[str, object] | None:
    """The fields of message planner.out_of_reach when `error` refused an asked value for leaving its
    domain and a typed given is what no value of it can meet; None otherwise (the refusal stands)."""
    fields = getattr(error, "message_fields", {})
    key = getattr(error, "message_key", None)
    target = fields.get("names") if key == NO_ROOT_KEY else fields.get("name") if key in DOMAIN_KEYS else None
    if not isinstance(target, str) or target not in targets:
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
    domain = engine.rules.variables[target].domain
    ends = _WHOLE_POINTS if domain == "integer" else _ENDS.get(domain)
    if ends is None:
        return None
    clauses: list[Nested] = []
    for name, value in numbers.items():
        if name == target or engine.rules.variables[name].domain in ("integer", "categorical"):
            continue
        spanned = _spanned(engine, numbers, keys, name, target, ends)
        if spanned is None:
            continue
        (low, high), (at_low, at_high) = spanned
        if high - low <= 1e-9 * abs(high) or low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
            continue      # (not moved by `target` at all: a default chain, not the limit we look for)
        variable = engine.rules.variables[name]
        above = value > high
        limit = high if above else low   # (both languages: "至少为 45.2 天", not "45.2 days")
        # a limit every value of a whole target keeps (30 days when one GPU takes 1.07): no limit at all
        kept = variable.limit and (variable.role == "budget") == above and domain == "integer"
        at = format_quantity(engine.rules.variables[target], at_high if above else at_low)
        key = "planner.out_of_reach.kept" if kept else f"planner.out_of_reach.{'above' if above else 'below'}"
        clauses.append(Nested(key, name=name, at=at,
                              value=said_quantity(variable, value), target=target,
                              limit=said_quantity(variable, limit)))
    return Joined(*clauses, separator="; ") if clauses else None


def _spanned(engine: "Engine", numbers: dict[str, float], keys: dict[str, str], name: str, target: str,
             points: tuple[float, ...]) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """((lowest, highest) `name` solved with `target` at each point, (the points that give them)); None when
    an end does not solve (a continuous domain) or fewer than two points do (a whole-number one, scanned up
    to the first that fails)."""
    whole = engine.rules.variables[target].domain == "integer"
    given = {n: np.full(len(points), v) for n, v in numbers.items() if n != name}
    given[target] = np.array(points)
    batch = engine.solve_columns(given, key_columns(keys, len(points)), [(name,)],
                                 np.zeros(len(points), dtype=np.int64), len(points), side_values=False)
    column = np.broadcast_to(np.asarray(batch.values.get(name, np.nan), dtype=float), (len(points),))
    solved = np.array([batch.errors[i] is None for i in range(len(points))]) & np.isfinite(column)
    if whole and solved.any():   # (up to the first point that no longer solves once one has)
        first = int(np.argmax(solved))
        stop = first + (int(np.argmin(solved[first:])) if not solved[first:].all() else len(points) - first)
        solved[stop:] = False
    if not (solved.sum() >= 2 if whole else solved.all()):
        return None
    where = np.flatnonzero(solved)
    low, high = where[np.argmin(column[where])], where[np.argmax(column[where])]
    return (float(column[low]), float(column[high])), (float(points[low]), float(points[high]))


def solved_alone(engine: "Engine", numbers: dict[str, float], keys: dict[str, str], name: str) -> "Batch | None":
    """One row asking only `name` from these givens (no side values), or None when it is refused: the
    small solves a refused question's follow-ups make (this module, engine/solve/whole_options.py)."""
    batch = engine.solve_columns({n: np.array([v]) for n, v in numbers.items()}, key_columns(keys), [(name,)],
                                 np.zeros(1, dtype=np.int64), 1, side_values=False)
    return None if batch.errors[0] is not None else batch


def key_columns(keys: dict[str, str], rows: int = 1) -> dict[str, Categorical]:
    """One row's catalog keys, repeated over `rows`, as the batch solver takes them."""
    return {n: Categorical(np.zeros(rows, dtype=np.int64), [k]) for n, k in keys.items()}
