"""Rule files, part 2: `equations:` and `checks:` (parsed by the safe grammar, dimension-checked)."""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from ..errors import DimensionMismatch, EngineError, ExpressionError
from ..messages import Both, Caught, Joined, Nested, said_text
from . import schema, units
from .dimensions import tree_dims
from .expr import Tree, parse_equation, parse_expression
from .expr import variables as tree_variables
from .load_context import LoadContext
from .model import Check, Equation
from .yaml_reader import Node, plain

_EQUATION_KEYS = set(schema.keys("equations"))
_CHECK_KEYS = set(schema.keys("checks"))


def read_equations(ctx: LoadContext, path: Path, doc: Node) -> list[Equation]:
    out = []
    for item, where in ctx.items(path, doc, "equations"):
        spec = plain(item)
        for key in spec.keys() - _EQUATION_KEYS:
            ctx.unknown_key(where, f"equation {spec.get('id')!r}", key, _EQUATION_KEYS)
        if not ctx.required(spec, where, "equation", schema.required("equations")):
            continue
        eq_where = f"{path}:{item.value['eq'].line}"   # formula problems point at the eq: line
        try:
            lhs, rhs = parse_equation(str(spec["eq"]), ctx.numeric_name, units=units.unit_info)
        except (ExpressionError, EngineError) as exc:
            ctx.problems.append(said_text("rules.in_equation", where=eq_where, id=spec["id"],
                                          problem=_explain_names(ctx, exc)))
            continue
        if not _dimensions_agree(ctx, eq_where, spec["id"], lhs, rhs):
            continue
        variant = _variant(ctx, where, spec)
        tolerance = spec.get("tolerance", 1e-6)
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
                or not 0 <= tolerance < 1:
            ctx.problems.append(f"{where}: equation {spec['id']!r}: tolerance must be a relative "
                                 f"tolerance between 0 and 1 (e.g. 1e-6 or 0.02), found {tolerance!r}")
            continue
        out.append(Equation(
            id=str(spec["id"]), text=str(spec["eq"]), lhs=lhs, rhs=rhs,
            variables=frozenset(tree_variables(lhs) | tree_variables(rhs)), source=str(spec["source"]),
            where=where, en=str(spec.get("en", spec.get("title", "")) or ""), zh=str(spec.get("zh", "") or ""),
            notes=str(spec.get("notes", "") or ""), variant=variant, tolerance=float(tolerance),
            area=str(spec.get("area", path.stem))))
    return out


def _explain_names(ctx: LoadContext, exc: Exception) -> Nested:
    """A formula's problem, said in the reader's language; an unknown name is told apart from a
    categorical one (which formulas cannot use) and gets a close spelling when there is one."""
    if getattr(exc, "message_key", None) == "rules.unknown_name":
        name = str(getattr(exc, "message_fields", {})["name"])
        if name in ctx.variables and ctx.variables[name].categorical:
            return Nested("rules.categorical_in_formula", name=name)
        close = ctx.close_name(name)
        return Nested("rules.undeclared_name", problem=Caught(exc),
                      hint=Nested("rules.did_you_mean", name=close) if close else Nested())
    return Caught(exc)


def _dimensions_agree(ctx: LoadContext, where: str, eq_id: str, lhs: Tree, rhs: Tree) -> bool:
    var_dims = lambda n: ctx.variables[n].dims  # noqa: E731 - tiny adapter
    try:
        left, right = tree_dims(lhs, var_dims, ctx.unit_dims), tree_dims(rhs, var_dims, ctx.unit_dims)
    except DimensionMismatch as exc:
        ctx.problems.append(said_text("rules.not_consistent", where=where, id=eq_id, problem=Caught(exc),
                                      units=_units_of(ctx, lhs, rhs)))
        return False
    if left != right:
        ctx.problems.append(said_text("rules.sides_differ", where=where, id=eq_id, left=units.dims_text(left),
                                      right=units.dims_text(right), units=_units_of(ctx, lhs, rhs)))
        return False
    return True


def _units_of(ctx: LoadContext, *trees: Tree) -> Nested:
    """'; declared units: a [GB], b [plain number]' - what to compare when fixing an equation."""
    names = sorted(set().union(*(tree_variables(t) for t in trees)))
    shown = [_unit_of(n, ctx.variables[n].unit) for n in names]
    return Nested("rules.declared_units", units=Joined(*shown, separator=", ")) if shown else Nested()


def _unit_of(name: str, unit: str) -> Nested:
    """'a [GB]', or 'b [plain number]' in the reader's language."""
    if unit:
        return Both(f"{name} [{unit}]")
    return Joined(Both(f"{name} ["), Nested("rules.plain_number"), Both("]"))


def _variant(ctx: LoadContext, where: str, spec: dict[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    variant = spec.get("variant") or {}
    if not isinstance(variant, dict):
        ctx.problems.append(f"{where}: equation {spec['id']!r}: variant must map a selector to value(s), "
                             "e.g. variant: {flops_model: six_nd}")
        return ()
    out = []
    for selector, allowed in variant.items():
        allowed = allowed if isinstance(allowed, list) else [allowed]
        out.append((str(selector), tuple(str(a) for a in allowed)))
    return tuple(out)


def read_checks(ctx: LoadContext, path: Path, doc: Node) -> list[Check]:
    out = []
    for item, where in ctx.items(path, doc, "checks"):
        spec = plain(item)
        for key in spec.keys() - _CHECK_KEYS:
            ctx.unknown_key(where, f"check {spec.get('id')!r}", key, _CHECK_KEYS)
        if not ctx.required(spec, where, "check", schema.required("checks")):
            continue
        severity = spec.get("severity", "warning")
        if severity not in schema.SEVERITIES:
            ctx.problems.append(f"{where}: check {spec['id']!r}: severity must be one of "
                                f"{', '.join(schema.SEVERITIES)}")
        when_where = f"{path}:{item.value['when'].line}"   # condition problems point at the when: line
        try:
            condition = parse_expression(str(spec["when"]), ctx.numeric_name, condition=True,
                                         units=units.unit_info)
            tree_dims(condition, lambda n: ctx.variables[n].dims, ctx.unit_dims)
        except (ExpressionError, DimensionMismatch, EngineError) as exc:
            ctx.problems.append(said_text("rules.in_check", where=when_where, id=spec["id"],
                                          problem=_explain_names(ctx, exc)))
            continue
        out.append(Check(id=str(spec["id"]), text=str(spec["when"]), condition=condition,
                         variables=frozenset(tree_variables(condition)), severity=severity,
                         en=str(spec["en"]), zh=str(spec["zh"]), source=str(spec["source"]), where=where,
                         replaces=_names(spec.get("replaces", ())),
                         unless_given=_given_names(ctx, where, str(spec["id"]), spec.get("unless_given", ()))))
    return out


def _given_names(ctx: LoadContext, where: str, check_id: str, value: object) -> tuple[str, ...]:
    """`unless_given:` as written, each a declared variable."""
    names = _names(value)
    for name in names:
        if name not in ctx.variables:
            ctx.problems.append(f"{where}: check {check_id!r}: unless_given names {name!r}, which is not a "
                                f"declared variable{ctx.name_hint(name)}")
    return names


def _names(value: object) -> tuple[str, ...]:
    """A key written as one name or a list of names."""
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),) if value else ()


def check_ids(ctx: LoadContext, equations: list[Equation], checks: list[Check]) -> None:
    seen: dict[str, str] = {}
    items: list[Equation | Check] = [*equations, *checks]
    for item in items:
        if item.id in seen:
            ctx.problems.append(f"{item.where}: id {item.id!r} is already used at {seen[item.id]}")
        seen[item.id] = item.where
    ids = [c.id for c in checks]
    for check in checks:
        for replaced in check.replaces:
            if replaced not in ids or replaced == check.id:
                close = difflib.get_close_matches(replaced, [i for i in ids if i != check.id], n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                ctx.problems.append(f"{check.where}: check {check.id!r}: replaces {replaced!r}, which is not "
                                     f"another check's id{hint}")


def check_selectors(ctx: LoadContext, equations: list[Equation]) -> None:
    for eq in equations:
        for selector, allowed in eq.variant:
            variable = ctx.variables.get(selector)
            if variable is None or not variable.categorical:
                ctx.problems.append(f"{eq.where}: equation {eq.id!r}: variant selector {selector!r} must be "
                                     f"a declared categorical variable{ctx.name_hint(selector)}")
                continue
            if variable.default is None:
                ctx.problems.append(f"{variable.where}: selector {selector!r} needs a default (the seed's "
                                     "convention) so questions that do not name it still work")
            for value in allowed:
                if value not in variable.values:
                    ctx.problems.append(f"{eq.where}: equation {eq.id!r}: {value!r} is not a value of "
                                         f"{selector!r} (values: {', '.join(variable.values)})")
