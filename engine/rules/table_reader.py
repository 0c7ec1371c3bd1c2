"""Rule files, part 3: tables (catalog files and `tables:`), their entries, categorical values."""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from ..errors import EngineError
from . import schema, units
from .load_context import LoadContext
from .model import Entry, Table, Variable
from .variable_reader import unit_hint
from .yaml_reader import Node, plain

_Record = TypeVar("_Record", Variable, Entry, Table)
_ENTRY_META = set(schema.keys("entries"))
_TABLE_KEYS = set(schema.keys("tables"))


def read_tables(ctx: LoadContext, docs: list[tuple[Path, Node]]) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for path, doc in docs:
        specs: list[tuple[Node, str, bool]] = []
        if "variable" in doc.value and "entries" in doc.value:
            specs.append((doc, f"{path}:{doc.line}", False))
        specs += [(item, where, True) for item, where in ctx.items(path, doc, "tables")]
        for node, where, nested in specs:
            table = _table(ctx, path, node, where, nested)
            if table is None:
                continue
            if table.variable in tables:   # a later file (a user's catalog) adds entries, never replaces
                tables[table.variable] = _merge(ctx, tables[table.variable], table)
                continue
            tables[table.variable] = table
    for table in tables.values():
        _check_entry_names(ctx, table)
    return tables


def _merge(ctx: LoadContext, old: Table, new: Table) -> Table:
    """Entries of a later table for the same variable join the earlier one. A key that exists is
    refused (no silent shadowing); fields written in another unit of the same dimension are
    converted to the earlier table's unit, so displays stay right."""
    fields = dict(old.fields)
    scale: dict[str, float] = {}
    for field_name, unit in new.fields.items():
        if field_name in fields and fields[field_name] != unit:
            scale[field_name] = units.unit_info(unit)[0] / units.unit_info(fields[field_name])[0]
        fields.setdefault(field_name, unit)
    entries = dict(old.entries)
    for key, entry in new.entries.items():
        if key in entries:
            ctx.problems.append(f"{entry.where}: {new.variable} entry {key!r} already exists at "
                                 f"{entries[key].where}; a user catalog can add entries but not replace "
                                 f"them - choose another key (e.g. {key}-custom)")
            continue
        if scale:
            written = {f: (v * scale[f] if f in scale and isinstance(v, (int, float)) else v)
                       for f, v in entry.written.items()}
            entry = _replace(entry, written=written)
        entries[key] = entry
    return _replace(old, fields=fields, entries=entries)


def _check_entry_names(ctx: LoadContext, table: Table) -> None:
    """Keys and aliases are matched case-insensitively: each spelling must name one entry."""
    owner: dict[str, Entry] = {}
    for entry in table.entries.values():
        for spelling in dict.fromkeys([entry.key, *entry.aliases]):
            folded = spelling.strip().casefold()
            other = owner.get(folded)
            if other is None:
                owner[folded] = entry
            elif other is not entry:
                what = "key" if spelling == entry.key else "alias"
                ctx.problems.append(f"{entry.where}: {table.variable} {what} {spelling!r} of entry "
                                     f"{entry.key!r} already names entry {other.key!r} at {other.where} "
                                     "(keys and aliases match case-insensitively); choose another spelling")


def _table(ctx: LoadContext, path: Path, node: Node, where: str, nested: bool = True) -> Table | None:
    spec = node.value
    name = plain(spec.get("variable", Node(None, node.line)))
    variable = ctx.variables.get(str(name))
    if variable is None or not variable.categorical:
        ctx.problems.append(f"{where}: table variable {name!r} must be a declared categorical variable"
                             f"{ctx.name_hint(str(name))}")
        return None
    if nested:   # a whole catalog file's keys are checked by _top_level
        for key in sorted(set(spec) - _TABLE_KEYS):
            ctx.unknown_key(f"{path}:{spec[key].key_line}", f"table {name!r}", key, _TABLE_KEYS)
    fields = plain(spec.get("fields", Node({}, node.line))) or {}
    if not isinstance(fields, dict):
        ctx.problems.append(f"{where}: table {name!r}: fields must map each variable to the unit its "
                             "numbers are written in, e.g. fields: {peak_flops: TFLOPS}")
        fields = {}
    ok_fields: dict[str, str] = {}
    for field_name, unit in fields.items():
        target = ctx.variables.get(field_name)
        if target is None or target.categorical:
            ctx.problems.append(f"{where}: table {name!r}: field {field_name!r} is not a declared numeric "
                                 f"variable{ctx.name_hint(field_name)}"
                                 + (" (a table cannot fill another categorical variable: that would chain "
                                    "defaults)" if target is not None else ""))
            continue
        try:
            _, dims = units.unit_info(str(unit or ""))
        except EngineError as exc:
            ctx.problems.append(f"{where}: table {name!r}: field {field_name!r}: {exc}{unit_hint(str(unit))}")
            continue
        if dims != target.dims:
            ctx.problems.append(f"{where}: table {name!r}: field {field_name!r} written in {unit!r} "
                                 f"({units.dims_text(dims)}) but the variable is {units.dims_text(target.dims)}"
                                 f"; write it in {target.unit or 'plain numbers'} or another unit of that "
                                 "dimension")
            continue
        ok_fields[field_name] = str(unit or "")
    entries_node = spec.get("entries")
    if entries_node is None or not isinstance(entries_node.value, dict):
        ctx.problems.append(f"{where}: table {name!r} needs 'entries' (a mapping key -> values)")
        return None
    entries = {}
    for key, entry_node in entries_node.value.items():
        entry = _entry(ctx, path, str(name), str(key), entry_node, ok_fields)
        if entry is not None:
            entries[str(key)] = entry
    return Table(variable=str(name), fields=ok_fields, entries=entries, where=where,
                 en=str(plain(spec.get("en", Node("", 0))) or ""), zh=str(plain(spec.get("zh", Node("", 0))) or ""))


def _entry(ctx: LoadContext, path: Path, table: str, key: str, node: Node, fields: dict[str, str]) -> Entry | None:
    where = f"{path}:{node.key_line}"
    spec = plain(node)
    if not isinstance(spec, dict):
        ctx.problems.append(f"{where}: {table} entry {key!r} must be a mapping of field values")
        return None
    if not spec.get("source"):
        ctx.problems.append(f"{where}: {table} entry {key!r} has no 'source' (datasheet, model card, paper)")
    values: dict[str, float] = {}
    for field_name, value in spec.items():
        if field_name in _ENTRY_META:
            continue
        if field_name not in fields:
            ctx.unknown_key(where, f"{table} entry {key!r}", field_name, set(fields) | _ENTRY_META)
            continue
        if value is None:
            continue  # not published for this entry: the user must give it
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            ctx.problems.append(f"{where}: {table} entry {key!r}: {field_name} must be a finite number in "
                                 f"{fields[field_name] or 'plain units'}, found {value!r}")
            continue
        domain = ctx.variables[field_name].domain
        if (domain in ("positive", "integer", "fraction") and value <= 0) or (domain == "nonnegative" and value < 0) \
                or (domain == "fraction" and value > 1):
            ctx.problems.append(f"{where}: {table} entry {key!r}: {field_name} = {value!r} is outside its "
                                 f"domain ({domain})")
            continue
        values[field_name] = float(value) * units.unit_info(fields[field_name])[0]
    aliases = spec.get("aliases") or []
    if isinstance(aliases, (str, int, float)):
        aliases = [aliases]
    if not isinstance(aliases, list) or not all(isinstance(a, (str, int, float)) for a in aliases):
        ctx.problems.append(f"{where}: {table} entry {key!r}: aliases must be a list of spellings, "
                             "e.g. aliases: [A800-80GB]")
        aliases = []
    info = spec.get("info") or {}
    if not isinstance(info, dict):
        ctx.problems.append(f"{where}: {table} entry {key!r}: info must be a mapping of facts")
        info = {}
    return Entry(key=key, values=values, source=str(spec.get("source", "")), where=where,
                 name=str(spec.get("name", "") or ""), aliases=tuple(str(a) for a in aliases),
                 info=dict(info), written={k: v for k, v in spec.items() if k in fields})


def fill_categorical_values(ctx: LoadContext, tables: dict[str, Table]) -> None:
    """A categorical variable with a table takes its values from the table's keys."""
    for name, table in tables.items():
        variable = ctx.variables[name]
        keys = tuple(table.entries)
        if variable.values and set(variable.values) - set(keys):
            ctx.problems.append(f"{variable.where}: values of {name!r} not in its table at {table.where}: "
                                 f"{', '.join(sorted(set(variable.values) - set(keys)))}")
        ctx.variables[name] = _replace(variable, values=keys)
    for name, variable in ctx.variables.items():
        if variable.categorical and variable.default is not None and str(variable.default) not in variable.values:
            ctx.problems.append(f"{variable.where}: default {variable.default!r} of {name!r} is not one of "
                                 f"its values ({', '.join(variable.values) or 'none declared'})")



def _replace(record: _Record, **changes: Any) -> _Record:
    return replace(record, **changes)
