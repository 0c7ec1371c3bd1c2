"""Units: pint is the authority, a small JSON cache keeps it off the fast path.

The registry is built from formulas/units.txt alone. What the engine needs
from a unit is two facts: its factor to the base units (second, byte, FLOP,
token, char, USD, joule, gram) and its dimension. Those are cached on disk
(engine/rules/cache.py), so a warm `llmplan solve` never imports pint (~250 ms).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..errors import ValueParseError
from ..messages import keyed
from . import cache, resources

Dims = tuple[tuple[str, float], ...]   # sorted (dimension, exponent); () = dimensionless
DIMENSIONLESS: Dims = ()

_table: dict[str, list[Any]] | None = None  # unit text -> [factor, [[dim, exp], ...]]
_dirty = False


@lru_cache(maxsize=1)
def registry() -> Any:
    """The pint registry with llmplan's own definitions (imported only on a cache miss)."""
    import pint

    reg: Any = pint.UnitRegistry(None, autoconvert_offset_to_baseunit=False, on_redefinition="raise")
    reg.load_definitions(str(resources.units_file()))
    return reg


def _cache_key() -> str:
    return "units-" + cache.digest(resources.units_file().read_bytes())


def _load_table() -> dict[str, list[Any]]:
    global _table
    if _table is None:
        _table = cache.read_json(_cache_key()) or {}
    return _table


def unit_info(text: str) -> tuple[float, Dims]:
    """(factor to base units, dimension) of a unit expression such as 'TFLOPS' or 'byte/char'."""
    text = text.strip()
    if text in ("", "1"):
        return 1.0, DIMENSIONLESS
    table = _load_table()
    hit = table.get(text)
    if hit is None:
        hit = _ask_pint(text)
        table[text] = hit
        global _dirty
        _dirty = True
    return float(hit[0]), tuple((d, float(e)) for d, e in hit[1])


def _ask_pint(text: str) -> list[Any]:
    if not re.fullmatch(r"[A-Za-z_%][A-Za-z0-9_ ./*()^%-]*", text) or len(text) > 60 or not _balanced(text):
        raise keyed(ValueParseError, "rules.unknown_unit", unit=text)
    import tokenize

    import pint

    reg = registry()
    try:
        quantity = reg.Quantity(1.0, reg.parse_units(text.replace("^", "**")))
        base = quantity.to_base_units()
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, SyntaxError, KeyError,
            AssertionError, IndexError, RecursionError, tokenize.TokenError):   # pint asserts on "A^"
        raise keyed(ValueParseError, "rules.unknown_unit_defined", unit=text) from None
    dims = sorted((str(d), float(e)) for d, e in base.dimensionality.items())
    return [float(base.magnitude), dims]


def _balanced(text: str) -> bool:
    """Parentheses close in order; pint's tokenizer fails on 'A)' with an error of its own."""
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def save() -> None:
    """Write newly learned units back to the cache (called once at exit of a command)."""
    global _dirty
    if _dirty and _table is not None:
        cache.write_json(_cache_key(), _table)
        _dirty = False


def dims_text(dims: Dims) -> str:
    """Readable dimension, e.g. '[compute] / [time]'."""
    if not dims:
        return "dimensionless"
    num = [d if e == 1 else f"{d}**{e:g}" for d, e in dims if e > 0]
    den = [d if e == -1 else f"{d}**{-e:g}" for d, e in dims if e < 0]
    return (" * ".join(num) or "1") + "".join(" / " + d for d in den)


def mul_dims(a: Dims, b: Dims, power: float = 1.0) -> Dims:
    """Dimension of a * b**power."""
    out: dict[str, float] = dict(a)
    for d, e in b:
        out[d] = out.get(d, 0.0) + e * power
    return tuple(sorted((d, e) for d, e in out.items() if abs(e) > 1e-12))


def pow_dims(a: Dims, power: float) -> Dims:
    """Dimension of a**power."""
    return tuple(sorted((d, e * power) for d, e in a if abs(e * power) > 1e-12))
