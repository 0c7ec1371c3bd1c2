"""Rule files, part 1: the top level of a file and its `variables:` declarations."""
from __future__ import annotations

import difflib
import keyword
import math
from pathlib import Path
from typing import cast

from ..errors import EngineError
from . import schema, units
from .conditional_defaults import read_default_when
from .expr import FUNCTIONS
from .load_context import LoadContext
from .model import DOMAINS, ROUNDINGS, Variable
from .schema import Role, Rounding
from .yaml_reader import Node, plain

_VARIABLE_KEYS = set(schema.keys("variables"))
_FILE_KEYS = set(schema.keys("file"))
_CATALOG_KEYS = set(schema.keys("catalog"))
_ROLES = schema.ROLES
_COMMON_UNITS = ("", "token", "char", "byte", "GB", "GiB", "TB", "FLOP", "TFLOPS", "PFLOPS", "FLOP/token",
                 "s", "hour", "day", "token/s", "USD", "USD/hour", "W", "byte/char", "char/token", "token/char")


def top_level(ctx: LoadContext, path: Path, doc: Node) -> None:
    keys = set(doc.value)
    for key in sorted(keys - _FILE_KEYS - _CATALOG_KEYS):
        ctx.unknown_key(f"{path}:{doc.value[key].key_line}", "file", key, _FILE_KEYS | _CATALOG_KEYS)
    if keys & {"variable", "fields", "entries"} and not {"variable", "entries"} <= keys:
        missing = " and ".join(repr(k) for k in ("variable", "entries") if k not in keys)
        ctx.problems.append(f"{path}:{doc.line}: a catalog file needs {missing} (see formulas/README.md, "
                             "'Catalog files')")


def read_variables(ctx: LoadContext, path: Path, doc: Node) -> None:
    section = doc.value.get("variables")
    if section is None:
        return
    if not isinstance(section.value, dict):
        ctx.problems.append(f"{path}:{section.line}: 'variables' must be a mapping name -> declaration")
        return
    for name, node in section.value.items():
        where = f"{path}:{node.key_line}"
        if name in ctx.variables:
            ctx.problems.append(f"{where}: variable {name!r} is already declared at {ctx.var_where[name]}; "
                                 "declare each name once (a user file cannot redefine a bundled one)")
            continue
        variable = _variable(ctx, name, node, where)
        if variable is not None:
            ctx.variables[name] = variable
            ctx.var_where[name] = where


def _variable(ctx: LoadContext, name: str, node: Node, where: str) -> Variable | None:
    """One variable from its YAML mapping; every problem goes to ctx.problems with its file:line."""
    spec = _spec(ctx, name, node, where)
    if spec is None:
        return None
    domain = spec.get("domain", "positive")
    if domain not in DOMAINS:
        ctx.problems.append(f"{where}: variable {name!r}: domain {domain!r} is not one of {', '.join(DOMAINS)}")
        return None
    unit = "" if domain == "categorical" else str(spec.get("unit", "") or "")
    try:
        factor, dims = units.unit_info(unit)
    except EngineError as exc:
        ctx.problems.append(f"{where}: variable {name!r}: {exc}{unit_hint(unit)}")
        return None
    rounding = spec.get("rounding", "up")
    if rounding not in ROUNDINGS:
        ctx.problems.append(f"{where}: variable {name!r}: rounding {rounding!r} is not one of {ROUNDINGS}")
    if spec.get("role") not in (None, *_ROLES):
        ctx.problems.append(f"{where}: variable {name!r}: role {spec.get('role')!r} is not known; the roles "
                             "are 'budget' (an upper limit the user sets), 'floor' (a lower one) and 'plan' (a "
                             "categorical saying what is trained), or leave it out")
    for lang in ("en", "zh"):
        if not spec.get(lang):
            ctx.problems.append(f"{where}: variable {name!r} has no '{lang}' description (add `{lang}:` "
                                 f"with one line in {'English' if lang == 'en' else 'Chinese'})")
    tags, values = _tags_and_values(ctx, name, spec, domain, where)
    default = _default(ctx, name, spec, domain, unit, factor, where)
    rank = spec.get("default_rank", 0)
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0 or (rank and default is None):
        ctx.problems.append(f"{where}: variable {name!r}: default_rank must be a whole number >= 0 beside a "
                            f"default, found {rank!r}")
        rank = 0
    return Variable(name=name, unit=unit, factor=factor, dims=dims, domain=domain,
                    en=str(spec.get("en", "")), zh=str(spec.get("zh", "")), where=where,
                    rounding=cast(Rounding, rounding), role=cast(Role, str(spec.get("role", "") or "")),
                    values=values, default=default,
                    default_source=str(spec.get("default_source", "") or ""),
                    typical=_typical(ctx, name, spec, factor, where),
                    typical_source=str(spec.get("typical_source", "") or ""), tags=tags, default_rank=rank,
                    neutral=_neutral(ctx, name, spec, domain, factor, where),
                    default_when=read_default_when(ctx, name, node, where))


def _spec(ctx: LoadContext, name: str, node: Node, where: str) -> dict | None:
    """The variable's mapping, when its name is usable in formulas; unknown keys reported."""
    if not name.isidentifier() or name.startswith("_") or not name.isascii():
        ctx.problems.append(f"{where}: {name!r} is not a valid variable name (use snake_case ASCII)")
        return None
    if keyword.iskeyword(name) or name in FUNCTIONS or name in ("unit", "None", "True", "False"):
        ctx.problems.append(f"{where}: {name!r} is a reserved word in formulas; choose another name "
                             f"(e.g. {name}_value)")
        return None
    spec = plain(node)
    if not isinstance(spec, dict):
        ctx.problems.append(f"{where}: variable {name!r} needs a mapping (unit, domain, en, zh, ...)")
        return None
    for key in spec.keys() - _VARIABLE_KEYS:
        ctx.unknown_key(where, f"variable {name!r}", key, _VARIABLE_KEYS)
    return spec


def _default(ctx: LoadContext, name: str, spec: dict, domain: str, unit: str, factor: float,
             where: str) -> float | str | None:
    """The default in base units (a key for a categorical variable); it must say where it comes from."""
    default = spec.get("default")
    if default is not None and not spec.get("default_source"):
        ctx.problems.append(f"{where}: variable {name!r} has a default but no default_source "
                             "(say where the value comes from)")
    if default is None or domain == "categorical":
        return default
    if isinstance(default, str) and default.strip().isidentifier():
        ctx.problems.append(f"{where}: variable {name!r}: default {default!r} names a variable, but a "
                             f"default must be a number in {unit or 'plain units'}; defaults cannot "
                             "refer to other variables (that could go round in a circle) - derive "
                             "it with an equation instead")
        return None
    if isinstance(default, bool) or not isinstance(default, (int, float)) or not math.isfinite(default):
        ctx.problems.append(f"{where}: variable {name!r}: default must be a finite number in "
                             f"{unit or 'plain units'}, found {default!r}")
        return None
    return float(default) * factor


def _neutral(ctx: LoadContext, name: str, spec: dict, domain: str, factor: float, where: str) -> float | None:
    """The do-nothing value in base units (tp: 1), a plain number in the declared unit."""
    neutral = spec.get("neutral")
    if neutral is None:
        return None
    if domain == "categorical" or isinstance(neutral, bool) or not isinstance(neutral, (int, float)) \
            or not math.isfinite(neutral):
        ctx.problems.append(f"{where}: variable {name!r}: neutral must be a finite number in the declared unit "
                            f"(the do-nothing value, e.g. tp: 1), found {neutral!r}")
        return None
    return float(neutral) * factor


def _typical(ctx: LoadContext, name: str, spec: dict, factor: float, where: str) -> tuple[float, float] | None:
    """The usual band [low, high] in base units (reports and suggestions show it)."""
    typical = spec.get("typical")
    if typical is None:
        return None
    if not (isinstance(typical, list) and len(typical) == 2 and all(isinstance(t, (int, float)) for t in typical)):
        ctx.problems.append(f"{where}: variable {name!r}: typical must be [low, high]")
        return None
    return float(typical[0]) * factor, float(typical[1]) * factor


def _tags_and_values(ctx: LoadContext, name: str, spec: dict, domain: str, where: str
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tags = spec.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t in schema.TAGS for t in tags):
        ctx.problems.append(f"{where}: variable {name!r}: tags must be a list of {', '.join(schema.TAGS)}")
        tags = []
    values = spec.get("values") or []
    if not isinstance(values, list) or not all(isinstance(v, (str, int, float)) for v in values):
        ctx.problems.append(f"{where}: variable {name!r}: values must be a list of keys, e.g. [none, full]")
        values = []
    elif values and domain != "categorical":
        ctx.problems.append(f"{where}: variable {name!r}: values are only for categorical variables "
                             "(add domain: categorical, or remove values)")
    return tuple(tags), tuple(str(v) for v in values)


def unit_hint(unit: str) -> str:
    """'; did you mean ...' for a unit that is not known."""
    close = difflib.get_close_matches(unit, _COMMON_UNITS, n=2)
    hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    return f"{hint}; write a unit such as GB, TFLOPS, token, day, USD/hour, or \"\" for a plain number"
