"""Conventions that a catalog entry implies: `info.selectors` of catalogs/*.yaml.

Catalog fields are numbers; a few entries also need a categorical convention of the rule files
to be right: a decoupled head width (model=qwen3-4b -> head_dim_rule=free), DeepSeek's latent
attention (attention_kind=mla), the language an encoding is for (encoding=utf-8-en ->
text_language=en). The entry names them under info.selectors and they are added to the
question's givens as if typed. A typed value that contradicts one is refused: the pair cannot
both hold (head widths that break the tie, English bytes for Chinese text).

Applied to one question's givens (Engine.solve / `llmplan solve`); workbook rows do not pass
through here yet.
"""
from __future__ import annotations

from typing import Any

from .errors import ValueParseError


class CatalogSelectorError(ValueParseError):
    """A typed convention contradicts the one a catalog entry implies, or info.selectors is malformed."""


def entry_selectors(table: Any, key: Any) -> dict[str, str]:
    """info.selectors of the entry `key` names in `table` ({} when none or no such entry)."""
    if table is None or not isinstance(key, str):
        return {}
    entry = table.resolve(key)
    if entry is None:
        return {}
    selectors = (entry.info or {}).get("selectors") or {}
    if not isinstance(selectors, dict) or not all(isinstance(v, str) for v in selectors.values()):
        raise CatalogSelectorError(f"{entry.where}: {table.variable} {entry.key!r}: info.selectors must map a "
                                   f"convention to one of its keys, e.g. {{head_dim_rule: free}}; found {selectors!r}")
    return {str(name): value for name, value in selectors.items()}


def apply_catalog_selectors(givens: dict[str, Any], tables: dict[str, Any]) -> dict[str, Any]:
    """givens plus the conventions implied by the catalog keys in them."""
    out = dict(givens)
    implied: dict[str, tuple[str, str, str]] = {}    # selector -> (value, variable, key) that implies it
    for name, raw in givens.items():
        for selector, value in entry_selectors(tables.get(name), raw).items():
            earlier = implied.get(selector)
            if earlier is not None and earlier[0].casefold() != value.casefold():
                raise CatalogSelectorError(f"{name}={raw} implies {selector}={value} but {earlier[1]}={earlier[2]} "
                                           f"implies {selector}={earlier[0]}; choose entries that agree")
            implied[selector] = (value, name, str(raw))
    for selector, (value, name, raw) in implied.items():
        typed = givens.get(selector)
        if typed is not None and str(typed).strip().casefold() != value.casefold():
            raise CatalogSelectorError(f"{name}={raw} is for {selector}={value}, but {selector}={typed} was given; "
                                       f"drop {selector}= or choose a {name} for {selector}={typed}")
        out.setdefault(selector, value)
    return out
