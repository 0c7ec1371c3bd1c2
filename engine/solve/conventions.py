"""Defaults a plan holds like givens, and the side values only they feed (issue #13 §3).

A convention (flops_factor of recompute=none, bytes per parameter of the default precision) is never
solved for from other givens; a plan drops the values that only conventions feed unless a check
against the givens reads them.
"""
from __future__ import annotations

from typing import Iterable

from ..rules.model import Equation, RuleSet
from .ordering import Link


def prune_conventions(order: list[Link], checks: list[Equation], unneeded: set[str], targets: Iterable[str]
                       ) -> tuple[list[Link], list[Equation]]:
    """Drop side values that only conventions feed (weights_bytes from the default precision when
    nobody asked about memory), but keep every value that a check against the givens reads: a
    given that disagrees with a convention is a contradiction (issue #13 §3)."""
    if not unneeded:
        return order, checks
    tainted = set(unneeded)
    for link in order:
        inputs = {v for eq in link.eqs for v in eq.variables} - set(link.names)
        if inputs & tainted:
            tainted |= set(link.names)
    kept_checks = [eq for eq in checks if not eq.variables <= tainted]
    wanted = set(targets) | {v for eq in kept_checks for v in eq.variables}
    keep = []
    for link in reversed(order):
        if set(link.names) & wanted or not set(link.names) & tainted:
            keep.append(link)
            wanted |= {v for eq in link.eqs for v in eq.variables} | {v for eq, _ in link.via for v in eq.variables}
    return list(reversed(keep)), kept_checks


def same_figure(equations: list[Equation], named: set[str]) -> set[str]:
    """Variables that are a named one in another form: reached from it through rules of two variables."""
    pairs = [tuple(eq.variables) for eq in equations if len(eq.variables) == 2]
    reached, grown = set(named), True
    while grown:
        grown = False
        for a, b in pairs:
            if (a in reached) != (b in reached):
                reached |= {a, b}
                grown = True
    return reached - named


def fixed_defaults(rules: RuleSet, defined: set[str] | frozenset[str]) -> frozenset[str]:
    """Defaults that are conventions, never solved for from other givens (issue #13 §3): the figures
    of a convention key's default entry (flops_factor of recompute=none, bytes per parameter of the
    default precision, optimizer bytes, tokens per char, bytes per char, ...).

    Plain numeric defaults stay soft (the rules may derive them): whole-number settings (micro_batch,
    tp: answers of inverse questions), fallbacks a rule defines (activation_bytes = 0), architecture
    figures a model entry implies (queries_per_kv = heads / kv_heads), and the constants of an
    estimate that a given measurement replaces (logit_bytes when activation_bytes_per_gpu is given)."""
    catalog_fields = {f for name, table in rules.tables.items() if rules.variables[name].default is None
                      for f in table.fields}
    return frozenset({f for name, table in rules.tables.items() if rules.variables[name].default is not None
                      for f in table.fields} - catalog_fields)
