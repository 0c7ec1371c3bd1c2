"""Conventions that a catalog entry implies: `info.selectors` of catalogs/*.yaml.

Catalog fields are numbers; a few entries also need a categorical convention of the rule files
to be right: a decoupled head width (model=qwen3-4b -> head_dim_rule=free), DeepSeek's latent
attention (attention_kind=mla), the language an encoding is for (encoding=utf-8-en ->
text_language=en). The entry names them under info.selectors and they are added to the
question's givens as if typed. A typed value that contradicts one is refused: the pair cannot
both hold (head widths that break the tie, English bytes for Chinese text).

One question (Engine.solve) goes through apply_catalog_selectors; a workbook's key columns go
through engine/table/selector_cells.py, which asks `implied_selectors` for each distinct
combination of keys, so both paths say the same thing.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import CatalogSelectorError
from ..messages import keyed
from ..rules.model import Table

# selector -> (value, variable whose key implies it, that key as typed)
Implied = dict[str, tuple[str, str, str]]


def entry_selectors(table: Table | None, key: object) -> dict[str, str]:
    """info.selectors of the entry `key` names in `table` ({} when none or no such entry)."""
    if table is None or not isinstance(key, str):
        return {}
    entry = table.resolve(key)
    if entry is None:
        return {}
    selectors = (entry.info or {}).get("selectors") or {}
    if not isinstance(selectors, dict) or not all(isinstance(v, str) for v in selectors.values()):
        raise keyed(CatalogSelectorError, "values.selectors_malformed", where=entry.where,
                    variable=table.variable, key=entry.key, found=repr(selectors))
    return {str(name): value for name, value in selectors.items()}


def implied_selectors(keys: Mapping[str, Any], tables: Mapping[str, Table]) -> Implied:
    """The conventions the catalog keys in `keys` imply; two keys that disagree are refused."""
    implied: Implied = {}
    for name, raw in keys.items():
        for selector, value in entry_selectors(tables.get(name), raw).items():
            earlier = implied.get(selector)
            if earlier is not None and earlier[0].casefold() != value.casefold():
                raise keyed(CatalogSelectorError, "values.selectors_disagree", name=name, raw=str(raw),
                            selector=selector, value=value, other=earlier[1], other_raw=earlier[2],
                            other_value=earlier[0])
            implied[selector] = (value, name, str(raw))
    return implied


def check_typed(selector: str, implied: tuple[str, str, str], typed: Any) -> None:
    """Refuse a typed convention that contradicts the one a catalog key implies."""
    value, name, raw = implied
    if typed is not None and str(typed).strip().casefold() != value.casefold():
        raise keyed(CatalogSelectorError, "values.selector_contradicted", name=name, raw=raw, selector=selector,
                    value=value, typed=str(typed))


def apply_catalog_selectors(givens: dict[str, Any], tables: Mapping[str, Table]) -> dict[str, Any]:
    """givens plus the conventions implied by the catalog keys in them."""
    out = dict(givens)
    for selector, implied in implied_selectors(givens, tables).items():
        check_typed(selector, implied, givens.get(selector))
        out.setdefault(selector, implied[0])
    return out
