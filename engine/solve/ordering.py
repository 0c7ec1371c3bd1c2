"""The structural order in which equations determine unknowns (no sympy): one-unknown equations
first, then pairs of equations that share two unknowns (blocks), then "tearing" a target: other
unknowns expressed through it until an equation closes on it and knowns. engine/solve/planning.py
turns the order into a Plan."""
from __future__ import annotations

from itertools import combinations
from typing import Callable, Collection, Iterable, NamedTuple

from ..rules.expr import Tree
from ..rules.model import Equation

BlockTest = Callable[[tuple[Equation, ...], tuple[str, ...]], bool]


Definitions = tuple[tuple[Equation, str], ...]


TearTest = Callable[[Equation, Definitions, str, tuple["Link", ...]], bool]   # (…, the links so far)


class Link(NamedTuple):
    """`eqs` determine `names`; a torn link also substitutes the definitions in `via`; a combined
    link (elimination of cancelling unknowns) gives its one name by the closed form `closed`."""

    eqs: tuple[Equation, ...]
    names: tuple[str, ...]
    via: Definitions = ()
    closed: Tree | None = None


def structural(equations: list[Equation], known: set[str], block_ok: BlockTest | None = None,
               targets: Iterable[str] = (), tear_ok: TearTest | None = None,
               forward_only: Iterable[str] = (), assumed: Iterable[str] = (), before: tuple[Link, ...] = ()
               ) -> list[Link]:
    """Order in which equations determine unknowns; mutates `known`.

    `block_ok` says whether a pair of equations really determines its two unknowns (two forms of
    the same relation do not); without it, no blocks are formed. `tear_ok` says whether a torn
    target's closing equation really determines it (not an identity); without it, no tearing.
    `forward_only` names fallback defaults (activation_bytes = 0 when nothing else is known): the
    rules that define them (activation_bytes = layers * activation_bytes_per_layer) are never
    inverted to infer an input such as `hidden` from the fallback; elsewhere they are ordinary knowns.
    `assumed` names fallbacks that only their own rule may compute: no other rule infers them
    (active_share is never solved from param_flops = 6 · active_share · N · D and a given train_flops).
    `before`: links of earlier calls that derived some of `known`, passed on to `tear_ok` with this call's.
    """
    order: list[Link] = []
    used: set[str] = set()
    fallbacks = {("var", name) for name in forward_only}
    never = {("var", name) for name in assumed}
    while True:
        progressed = False
        for eq in equations:
            if eq.id in used:
                continue
            unknown = eq.variables - known
            if len(unknown) == 1:
                (name,) = unknown
                if eq.lhs in fallbacks or (("var", name) in never and eq.lhs != ("var", name)):
                    continue
                order.append(Link((eq,), (name,)))
                known.add(name)
                used.add(eq.id)
                progressed = True
            elif not unknown:
                used.add(eq.id)
        if progressed:
            continue
        clean = [eq for eq in equations if eq.lhs not in fallbacks] if fallbacks else equations
        link = _find_block(clean, known, used, block_ok) if block_ok else None
        if link is None and tear_ok is not None:
            link = _tear(clean, known, used, targets, tear_ok, never, before + tuple(order))
        if link is None:
            return order
        order.append(link)
        known.update(link.names)
        used.update(eq.id for eq in link.eqs)


def _find_block(equations: list[Equation], known: set[str], used: set[str], block_ok: BlockTest
                ) -> Link | None:
    open_eqs = [eq for eq in equations if eq.id not in used and len(eq.variables - known) == 2]
    for a, b in combinations(open_eqs, 2):
        names = tuple(sorted(a.variables - known))
        if a.variables - known == b.variables - known and block_ok((a, b), names):
            return Link((a, b), names)
    return None


def _tear(equations: list[Equation], known: set[str], used: set[str], targets: Iterable[str],
          tear_ok: TearTest, never: Collection[tuple[str, str]] = (), before: tuple[Link, ...] = ()
          ) -> Link | None:
    """Express unknowns through one unknown target x until an equation closes on x and knowns.

    The closing equation becomes a one-unknown equation in x once the definitions are substituted;
    the definitions stay unused, so the following steps derive those values again from x. A fallback
    (`never`: activation_bytes) is defined only by its own rule here too: defined backwards (from
    activation_bytes_per_gpu), the steps after the tear could not derive it again from x.
    """
    for x in targets:
        if x in known:
            continue
        through, rejected = {x}, set()
        defs: list[tuple[Equation, str]] = []
        progressed = True
        while progressed:
            progressed = False
            for eq in equations:
                if eq.id in used or eq.id in rejected or not eq.variables & through \
                        or any(eq is d for d, _ in defs):
                    continue
                unknown = eq.variables - known - through
                if len(unknown) == 1:
                    name = next(iter(unknown))
                    if ("var", name) in never and eq.lhs != ("var", name):
                        continue
                    defs.append((eq, name))
                    through |= unknown
                    progressed = True
                elif not unknown:
                    chain = _chain(eq, defs, through)
                    if tear_ok(eq, chain, x, before):
                        return Link((eq,), (x,), chain)
                    rejected.add(eq.id)
    return None


def _chain(closing: Equation, defs: list[tuple[Equation, str]], through: set[str]) -> Definitions:
    """The definitions the closing equation depends on, in definition order."""
    wanted = closing.variables & through
    keep = []
    for eq, name in reversed(defs):
        if name in wanted:
            keep.append((eq, name))
            wanted |= eq.variables & through
    return tuple(reversed(keep))


def trace(order: list[Link], targets: Iterable[str]) -> set[str]:
    """Variables the targets depend on, following the order backwards (to a fixed point: a torn
    link depends on values that later links derive again)."""
    needed = set(targets)
    size = -1
    while size != len(needed):
        size = len(needed)
        for link in reversed(order):
            if needed & set(link.names):
                needed |= {v for eq in link.eqs for v in eq.variables}
                needed |= {v for eq, _ in link.via for v in eq.variables}
    return needed
