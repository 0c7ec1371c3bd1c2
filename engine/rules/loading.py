"""Rule and catalog files (YAML) -> a validated RuleSet, with file:line errors.

Every problem found in a load is collected and raised together as one
DefinitionError, so a user fixing their file sees all of it at once.
The syntax is documented in formulas/README.md.
"""
from __future__ import annotations

import difflib
import keyword
import math
from pathlib import Path
from typing import Any, Iterable

import yaml

from . import cache, resources, schema, units
from .dimensions import tree_dims
from ..errors import DefinitionError, DimensionMismatch, EngineError, ExpressionError
from ..errors import YamlStructureError as _Refused
from .expr import FUNCTIONS, Tree, parse_equation, parse_expression, variables as tree_variables
from .model import DOMAINS, ROUNDINGS, Check, Entry, Equation, RuleSet, Table, Variable
from dataclasses import replace

# The allowed keys of each section: engine/rules/schema.py (also the source of formulas/README.md's table).
_VARIABLE_KEYS = set(schema.keys("variables"))
_EQUATION_KEYS = set(schema.keys("equations"))
_CHECK_KEYS = set(schema.keys("checks"))
_ENTRY_META = set(schema.keys("entries"))
_FILE_KEYS = set(schema.keys("file"))
_CATALOG_KEYS = set(schema.keys("catalog"))
_TABLE_KEYS = set(schema.keys("tables"))
_ROLES = schema.ROLES
_COMMON_UNITS = ("", "token", "char", "byte", "GB", "GiB", "TB", "FLOP", "TFLOPS", "PFLOPS", "FLOP/token",
                 "s", "hour", "day", "token/s", "USD", "USD/hour", "W", "byte/char", "char/token", "token/char")


_CONSTRUCTOR = yaml.constructor.SafeConstructor()  # types scalars (int, float, bool, null, str)


class Node:
    """A YAML value with the line it started on (1-based)."""

    __slots__ = ("value", "line", "key_line")

    def __init__(self, value: Any, line: int, key_line: int | None = None) -> None:
        self.value, self.line = value, line
        self.key_line = line if key_line is None else key_line   # line of the key naming it, if any


MAX_NESTING = 64          # real rule files nest 5-6 levels
MAX_YAML_NODES = 200_000  # values after expanding aliases (a "billion laughs" file is refused)




def _located(node: yaml.Node, problems: list[str] | None = None, path: object = "",
             _state: list[Any] | None = None) -> Node:
    """YAML node graph -> Node tree. Duplicate keys become problems (never a silent overwrite);
    recursive aliases, alias bombs and absurd nesting raise _Refused."""
    state = _state if _state is not None else [0, []]   # [nodes built, ids of the nodes on the path]
    line = node.start_mark.line + 1
    state[0] += 1
    if state[0] > MAX_YAML_NODES:
        raise _Refused(line, f"expands to more than {MAX_YAML_NODES:,} values (YAML aliases?); "
                             "write the values out")
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        if id(node) in state[1]:
            raise _Refused(line, "a YAML alias refers to itself (circular '&anchor ... *anchor'); "
                                 "write the value out")
        if len(state[1]) >= MAX_NESTING:
            raise _Refused(line, f"nested more than {MAX_NESTING} levels deep")
        state[1].append(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                out: dict[str, Node] = {}
                first_line: dict[str, int] = {}
                for key_node, value_node in node.value:
                    key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
                    key_line = key_node.start_mark.line + 1
                    if key is None:
                        if problems is not None:
                            problems.append(f"{path}:{key_line}: a key must be a plain name, not a list or mapping")
                        continue
                    if key in first_line:
                        if problems is not None:
                            problems.append(f"{path}:{key_line}: duplicate key {key!r} (first at line "
                                            f"{first_line[key]}); YAML would silently keep only the last one, "
                                            "so write each key once")
                        continue
                    first_line[key] = key_line
                    out[key] = _located(value_node, problems, path, state)
                    out[key].key_line = key_line
                return Node(out, line)
            return Node([_located(item, problems, path, state) for item in node.value], line)
        finally:
            state[1].pop()
    # scalars: let the safe constructor type them (int, float, bool, null, str)
    try:
        return Node(_CONSTRUCTOR.construct_object(node), line)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        raise _Refused(line, f"cannot read the value {str(node.value)[:40]!r} ({exc})") from None


def _plain(node: Node) -> Any:
    if isinstance(node.value, dict):
        return {k: _plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [_plain(v) for v in node.value]
    return node.value


def read_yaml(path: Path, problems: list[str]) -> Node | None:
    """Parse one file, keeping line numbers; YAML syntax errors become problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{path}: cannot read: not UTF-8 text (byte {exc.start}); save the file as UTF-8")
        return None
    except OSError as exc:
        problems.append(f"{path}: cannot read ({exc.strerror or exc})")
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        context = getattr(exc, "context_mark", None)
        started = (f"; {getattr(exc, 'context', '') or 'the construct'} started at line {context.line + 1}"
                   if context is not None and mark is not None and context.line != mark.line else "")
        problems.append(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc}{started}); "
                        "check indentation (spaces, not tabs), colons, quotes and brackets")
        return None
    except RecursionError:
        problems.append(f"{path}: not valid YAML (nested too deeply)")
        return None
    if root is None:
        return Node({}, 1)
    try:
        node = _located(root, problems, path)
    except _Refused as exc:
        problems.append(f"{path}:{exc.line}: {exc.text}")
        return None
    except RecursionError:
        problems.append(f"{path}: nested too deeply to be a rule file")
        return None
    if not isinstance(node.value, dict):
        problems.append(f"{path}:{node.line}: expected a mapping with variables/equations/checks/tables, "
                        f"found a {type(_plain(node)).__name__}")
        return None
    return node


def bundled_files() -> list[Path]:
    """The rule files and catalogs that ship with llmplan, in a stable order."""
    found = []
    for folder in ("formulas", "catalogs"):
        found += sorted(resources.data_dir(folder).glob("*.yaml"))
    return found


def load_rules(extra: Iterable[Path | str] = ()) -> RuleSet:
    """Load the bundled rules plus a user's extra files/folders (which may add, never shadow)."""
    paths = bundled_files()
    bundled = len(paths)
    problems: list[str] = []
    seen = {p.resolve() for p in paths}
    for item in extra:
        item = Path(item)
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                problems.append(f"{item}: folder has no *.yaml rule or catalog files")
        elif item.is_file():
            found = [item]
        elif item.exists():   # a FIFO would block, /dev/zero never ends
            problems.append(f"{item}: not a regular file (a device, pipe or socket); give a .yaml rule file "
                            "or a folder of them")
            found = []
        else:
            problems.append(f"{item}: no such file or folder")
            found = []
        for path in found:   # the same file named twice (or a bundled one) is read once
            if path.resolve() not in seen:
                seen.add(path.resolve())
                paths.append(path)
    loader = _Loader(paths, bundled)
    loader.problems += problems
    return loader.load()


class _Loader:
    def __init__(self, paths: list[Path], bundled: int) -> None:
        self.paths, self.bundled = paths, bundled
        self.problems: list[str] = []
        self.variables: dict[str, Variable] = {}
        self.var_where: dict[str, str] = {}

    def load(self) -> RuleSet:
        docs: list[tuple[Path, Node]] = []
        for path in self.paths:
            node = read_yaml(path, self.problems)
            if node is not None:
                docs.append((path, node))
        for path, node in docs:
            self._top_level(path, node)
            self._variables(path, node)
        tables = self._tables(docs)
        self._fill_categorical_values(tables)
        equations = [eq for path, node in docs for eq in self._equations(path, node)]
        checks = [c for path, node in docs for c in self._checks(path, node)]
        self._check_ids(equations, checks)
        self._check_selectors(equations)
        if self.problems:
            raise DefinitionError(self.problems)
        units.save()
        digest = cache.digest(b"".join(p.read_bytes() for p, _ in docs))
        return RuleSet(self.variables, equations, checks, tables, [str(p) for p, _ in docs], digest)

    def _top_level(self, path: Path, doc: Node) -> None:
        keys = set(doc.value)
        for key in sorted(keys - _FILE_KEYS - _CATALOG_KEYS):
            self._unknown_key(f"{path}:{doc.value[key].key_line}", "file", key, _FILE_KEYS | _CATALOG_KEYS)
        if keys & {"variable", "fields", "entries"} and not {"variable", "entries"} <= keys:
            missing = " and ".join(repr(k) for k in ("variable", "entries") if k not in keys)
            self.problems.append(f"{path}:{doc.line}: a catalog file needs {missing} (see formulas/README.md, "
                                 "'Catalog files')")

    # -- variables ---------------------------------------------------------
    def _variables(self, path: Path, doc: Node) -> None:
        section = doc.value.get("variables")
        if section is None:
            return
        if not isinstance(section.value, dict):
            self.problems.append(f"{path}:{section.line}: 'variables' must be a mapping name -> declaration")
            return
        for name, node in section.value.items():
            where = f"{path}:{node.key_line}"
            if name in self.variables:
                self.problems.append(f"{where}: variable {name!r} is already declared at {self.var_where[name]}; "
                                     "declare each name once (a user file cannot redefine a bundled one)")
                continue
            variable = self._variable(name, node, where)
            if variable is not None:
                self.variables[name] = variable
                self.var_where[name] = where

    def _variable(self, name: str, node: Node, where: str) -> Variable | None:
        if not name.isidentifier() or name.startswith("_") or not name.isascii():
            self.problems.append(f"{where}: {name!r} is not a valid variable name (use snake_case ASCII)")
            return None
        if keyword.iskeyword(name) or name in FUNCTIONS or name in ("unit", "None", "True", "False"):
            self.problems.append(f"{where}: {name!r} is a reserved word in formulas; choose another name "
                                 f"(e.g. {name}_value)")
            return None
        spec = _plain(node)
        if not isinstance(spec, dict):
            self.problems.append(f"{where}: variable {name!r} needs a mapping (unit, domain, en, zh, ...)")
            return None
        for key in spec.keys() - _VARIABLE_KEYS:
            self._unknown_key(where, f"variable {name!r}", key, _VARIABLE_KEYS)
        domain = spec.get("domain", "positive")
        if domain not in DOMAINS:
            self.problems.append(f"{where}: variable {name!r}: domain {domain!r} is not one of {', '.join(DOMAINS)}")
            return None
        unit = "" if domain == "categorical" else str(spec.get("unit", "") or "")
        try:
            factor, dims = units.unit_info(unit)
        except EngineError as exc:
            self.problems.append(f"{where}: variable {name!r}: {exc}{_unit_hint(unit)}")
            return None
        rounding = spec.get("rounding", "up")
        if rounding not in ROUNDINGS:
            self.problems.append(f"{where}: variable {name!r}: rounding {rounding!r} is not one of {ROUNDINGS}")
        if spec.get("role") not in (None, *_ROLES):
            self.problems.append(f"{where}: variable {name!r}: role {spec.get('role')!r} is not known; the only "
                                 "role is 'budget' (a limit the user sets), or leave it out")
        for lang in ("en", "zh"):
            if not spec.get(lang):
                self.problems.append(f"{where}: variable {name!r} has no '{lang}' description (add `{lang}:` "
                                     f"with one line in {'English' if lang == 'en' else 'Chinese'})")
        default = spec.get("default")
        if default is not None and not spec.get("default_source"):
            self.problems.append(f"{where}: variable {name!r} has a default but no default_source "
                                 "(say where the value comes from)")
        if default is not None and domain != "categorical":
            if isinstance(default, str) and default.strip().isidentifier():
                self.problems.append(f"{where}: variable {name!r}: default {default!r} names a variable, but a "
                                     f"default must be a number in {unit or 'plain units'}; defaults cannot "
                                     "refer to other variables (that could go round in a circle) - derive "
                                     "it with an equation instead")
                default = None
            elif isinstance(default, bool) or not isinstance(default, (int, float)) or not math.isfinite(default):
                self.problems.append(f"{where}: variable {name!r}: default must be a finite number in "
                                     f"{unit or 'plain units'}, found {default!r}")
                default = None
            else:
                default = float(default) * factor
        typical = spec.get("typical")
        if typical is not None:
            if not (isinstance(typical, list) and len(typical) == 2 and all(isinstance(t, (int, float)) for t in typical)):
                self.problems.append(f"{where}: variable {name!r}: typical must be [low, high]")
                typical = None
            else:
                typical = (float(typical[0]) * factor, float(typical[1]) * factor)
        tags = spec.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) and t in schema.TAGS for t in tags):
            self.problems.append(f"{where}: variable {name!r}: tags must be a list of {', '.join(schema.TAGS)}")
            tags = []
        values = spec.get("values") or []
        if not isinstance(values, list) or not all(isinstance(v, (str, int, float)) for v in values):
            self.problems.append(f"{where}: variable {name!r}: values must be a list of keys, e.g. [none, full]")
            values = ()
        elif values and domain != "categorical":
            self.problems.append(f"{where}: variable {name!r}: values are only for categorical variables "
                                 "(add domain: categorical, or remove values)")
        return Variable(name=name, unit=unit, factor=factor, dims=dims, domain=domain,
                        en=str(spec.get("en", "")), zh=str(spec.get("zh", "")), where=where,
                        rounding=rounding, role=str(spec.get("role", "") or ""),
                        values=tuple(str(v) for v in values), default=default,
                        default_source=str(spec.get("default_source", "") or ""),
                        typical=typical, typical_source=str(spec.get("typical_source", "") or ""),
                        tags=tuple(tags))

    def _unknown_key(self, where: str, what: str, key: str, allowed: set[str]) -> None:
        close = difflib.get_close_matches(key, sorted(allowed), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(sorted(allowed))})"
        self.problems.append(f"{where}: {what}: unknown key {key!r}{hint}")

    def _name_hint(self, name: str) -> str:
        close = difflib.get_close_matches(name, [v for v in self.variables if v != name], n=1)
        return f" (did you mean {close[0]!r}?)" if close else ""

    # -- equations and checks ---------------------------------------------
    def _numeric_name(self, name: str) -> bool:
        variable = self.variables.get(name)
        return variable is not None and not variable.categorical

    def _unit_dims(self, text: str) -> Any:
        return units.unit_info(text)[1]

    def _equations(self, path: Path, doc: Node) -> list[Equation]:
        out = []
        for item, where in self._items(path, doc, "equations"):
            spec = _plain(item)
            for key in spec.keys() - _EQUATION_KEYS:
                self._unknown_key(where, f"equation {spec.get('id')!r}", key, _EQUATION_KEYS)
            if not self._required(spec, where, "equation", schema.required("equations")):
                continue
            eq_where = f"{path}:{item.value['eq'].line}"   # formula problems point at the eq: line
            try:
                lhs, rhs = parse_equation(str(spec["eq"]), self._numeric_name, units=units.unit_info)
            except (ExpressionError, EngineError) as exc:
                self.problems.append(f"{eq_where}: equation {spec['id']!r}: {self._explain_names(exc)}")
                continue
            if not self._dimensions_agree(eq_where, spec["id"], lhs, rhs):
                continue
            variant = self._variant(where, spec)
            tolerance = spec.get("tolerance", 1e-6)
            if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
                    or not 0 <= tolerance < 1:
                self.problems.append(f"{where}: equation {spec['id']!r}: tolerance must be a relative "
                                     f"tolerance between 0 and 1 (e.g. 1e-6 or 0.02), found {tolerance!r}")
                continue
            out.append(Equation(
                id=str(spec["id"]), text=str(spec["eq"]), lhs=lhs, rhs=rhs,
                variables=frozenset(tree_variables(lhs) | tree_variables(rhs)), source=str(spec["source"]),
                where=where, en=str(spec.get("en", spec.get("title", "")) or ""), zh=str(spec.get("zh", "") or ""),
                notes=str(spec.get("notes", "") or ""), variant=variant, tolerance=float(tolerance),
                area=str(spec.get("area", path.stem))))
        return out

    def _explain_names(self, exc: Exception) -> str:
        text = str(exc)
        if text.startswith("unknown name "):
            name = text.split("'")[1]
            if name in self.variables and self.variables[name].categorical:
                return (f"{name!r} is categorical; formulas use the numbers its table provides "
                        "(or select an equation with `variant`)")
            return f"{text}: not a declared variable{self._name_hint(name)}"
        return text

    def _dimensions_agree(self, where: str, eq_id: str, lhs: Tree, rhs: Tree) -> bool:
        var_dims = lambda n: self.variables[n].dims  # noqa: E731 - tiny adapter
        try:
            left, right = tree_dims(lhs, var_dims, self._unit_dims), tree_dims(rhs, var_dims, self._unit_dims)
        except DimensionMismatch as exc:
            self.problems.append(f"{where}: equation {eq_id!r} is not dimensionally consistent: {exc}"
                                 f"{self._units_of(lhs, rhs)}")
            return False
        if left != right:
            self.problems.append(f"{where}: equation {eq_id!r} is not dimensionally consistent: left side is "
                                 f"{units.dims_text(left)}, right side is {units.dims_text(right)}"
                                 f"{self._units_of(lhs, rhs)}")
            return False
        return True

    def _units_of(self, *trees: Tree) -> str:
        """'; declared units: a [GB], b [plain number]' - what to compare when fixing an equation."""
        names = sorted(set().union(*(tree_variables(t) for t in trees)))
        shown = [f"{n} [{self.variables[n].unit or 'plain number'}]" for n in names]
        return ("; declared units: " + ", ".join(shown) +
                ". Make both sides the same dimension (a unit(\"...\") literal converts a count)") if shown else ""

    def _variant(self, where: str, spec: dict[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        variant = spec.get("variant") or {}
        if not isinstance(variant, dict):
            self.problems.append(f"{where}: equation {spec['id']!r}: variant must map a selector to value(s), "
                                 "e.g. variant: {flops_model: six_nd}")
            return ()
        out = []
        for selector, allowed in variant.items():
            allowed = allowed if isinstance(allowed, list) else [allowed]
            out.append((str(selector), tuple(str(a) for a in allowed)))
        return tuple(out)

    def _checks(self, path: Path, doc: Node) -> list[Check]:
        out = []
        for item, where in self._items(path, doc, "checks"):
            spec = _plain(item)
            for key in spec.keys() - _CHECK_KEYS:
                self._unknown_key(where, f"check {spec.get('id')!r}", key, _CHECK_KEYS)
            if not self._required(spec, where, "check", schema.required("checks")):
                continue
            severity = spec.get("severity", "warning")
            if severity not in schema.SEVERITIES:
                self.problems.append(f"{where}: check {spec['id']!r}: severity must be info or warning")
            when_where = f"{path}:{item.value['when'].line}"   # condition problems point at the when: line
            try:
                condition = parse_expression(str(spec["when"]), self._numeric_name, condition=True,
                                             units=units.unit_info)
                tree_dims(condition, lambda n: self.variables[n].dims, self._unit_dims)
            except (ExpressionError, DimensionMismatch, EngineError) as exc:
                self.problems.append(f"{when_where}: check {spec['id']!r}: {self._explain_names(exc)}")
                continue
            out.append(Check(id=str(spec["id"]), text=str(spec["when"]), condition=condition,
                             variables=frozenset(tree_variables(condition)), severity=severity,
                             en=str(spec["en"]), zh=str(spec["zh"]), source=str(spec["source"]), where=where))
        return out

    def _items(self, path: Path, doc: Node, section: str) -> list[tuple[Node, str]]:
        node = doc.value.get(section)
        if node is None:
            return []
        if not isinstance(node.value, list):
            self.problems.append(f"{path}:{node.line}: '{section}' must be a list")
            return []
        out = []
        for item in node.value:
            if not isinstance(item.value, dict):
                self.problems.append(f"{path}:{item.line}: each entry of '{section}' must be a mapping")
                continue
            out.append((item, f"{path}:{item.line}"))
        return out

    def _required(self, spec: dict[str, Any], where: str, what: str, keys: tuple[str, ...]) -> bool:
        missing = [k for k in keys if spec.get(k) in (None, "")]
        for key in missing:
            hint = " (a seed section, paper with table/equation, or datasheet)" if key == "source" else ""
            self.problems.append(f"{where}: {what} {spec.get('id', '?')!r} has no '{key}'{hint}")
        return not missing

    def _check_ids(self, equations: list[Equation], checks: list[Check]) -> None:
        seen: dict[str, str] = {}
        for item in [*equations, *checks]:
            if item.id in seen:
                self.problems.append(f"{item.where}: id {item.id!r} is already used at {seen[item.id]}")
            seen[item.id] = item.where

    def _check_selectors(self, equations: list[Equation]) -> None:
        for eq in equations:
            for selector, allowed in eq.variant:
                variable = self.variables.get(selector)
                if variable is None or not variable.categorical:
                    self.problems.append(f"{eq.where}: equation {eq.id!r}: variant selector {selector!r} must be "
                                         f"a declared categorical variable{self._name_hint(selector)}")
                    continue
                if variable.default is None:
                    self.problems.append(f"{variable.where}: selector {selector!r} needs a default (the seed's "
                                         "convention) so questions that do not name it still work")
                for value in allowed:
                    if value not in variable.values:
                        self.problems.append(f"{eq.where}: equation {eq.id!r}: {value!r} is not a value of "
                                             f"{selector!r} (values: {', '.join(variable.values)})")

    # -- tables (catalogs and conventions) ---------------------------------
    def _tables(self, docs: list[tuple[Path, Node]]) -> dict[str, Table]:
        tables: dict[str, Table] = {}
        for path, doc in docs:
            specs: list[tuple[Node, str, bool]] = []
            if "variable" in doc.value and "entries" in doc.value:
                specs.append((doc, f"{path}:{doc.line}", False))
            specs += [(item, where, True) for item, where in self._items(path, doc, "tables")]
            for node, where, nested in specs:
                table = self._table(path, node, where, nested)
                if table is None:
                    continue
                if table.variable in tables:   # a later file (a user's catalog) adds entries, never replaces
                    tables[table.variable] = self._merge(tables[table.variable], table)
                    continue
                tables[table.variable] = table
        for table in tables.values():
            self._check_entry_names(table)
        return tables

    def _merge(self, old: Table, new: Table) -> Table:
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
                self.problems.append(f"{entry.where}: {new.variable} entry {key!r} already exists at "
                                     f"{entries[key].where}; a user catalog can add entries but not replace "
                                     f"them - choose another key (e.g. {key}-custom)")
                continue
            if scale:
                written = {f: (v * scale[f] if f in scale and isinstance(v, (int, float)) else v)
                           for f, v in entry.written.items()}
                entry = _replace(entry, written=written)
            entries[key] = entry
        return _replace(old, fields=fields, entries=entries)

    def _check_entry_names(self, table: Table) -> None:
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
                    self.problems.append(f"{entry.where}: {table.variable} {what} {spelling!r} of entry "
                                         f"{entry.key!r} already names entry {other.key!r} at {other.where} "
                                         "(keys and aliases match case-insensitively); choose another spelling")

    def _table(self, path: Path, node: Node, where: str, nested: bool = True) -> Table | None:
        spec = node.value
        name = _plain(spec.get("variable", Node(None, node.line)))
        variable = self.variables.get(str(name))
        if variable is None or not variable.categorical:
            self.problems.append(f"{where}: table variable {name!r} must be a declared categorical variable"
                                 f"{self._name_hint(str(name))}")
            return None
        if nested:   # a whole catalog file's keys are checked by _top_level
            for key in sorted(set(spec) - _TABLE_KEYS):
                self._unknown_key(f"{path}:{spec[key].key_line}", f"table {name!r}", key, _TABLE_KEYS)
        fields = _plain(spec.get("fields", Node({}, node.line))) or {}
        if not isinstance(fields, dict):
            self.problems.append(f"{where}: table {name!r}: fields must map each variable to the unit its "
                                 "numbers are written in, e.g. fields: {peak_flops: TFLOPS}")
            fields = {}
        ok_fields: dict[str, str] = {}
        for field_name, unit in fields.items():
            target = self.variables.get(field_name)
            if target is None or target.categorical:
                self.problems.append(f"{where}: table {name!r}: field {field_name!r} is not a declared numeric "
                                     f"variable{self._name_hint(field_name)}"
                                     + (" (a table cannot fill another categorical variable: that would chain "
                                        "defaults)" if target is not None else ""))
                continue
            try:
                _, dims = units.unit_info(str(unit or ""))
            except EngineError as exc:
                self.problems.append(f"{where}: table {name!r}: field {field_name!r}: {exc}{_unit_hint(str(unit))}")
                continue
            if dims != target.dims:
                self.problems.append(f"{where}: table {name!r}: field {field_name!r} written in {unit!r} "
                                     f"({units.dims_text(dims)}) but the variable is {units.dims_text(target.dims)}"
                                     f"; write it in {target.unit or 'plain numbers'} or another unit of that "
                                     "dimension")
                continue
            ok_fields[field_name] = str(unit or "")
        entries_node = spec.get("entries")
        if entries_node is None or not isinstance(entries_node.value, dict):
            self.problems.append(f"{where}: table {name!r} needs 'entries' (a mapping key -> values)")
            return None
        entries = {}
        for key, entry_node in entries_node.value.items():
            entry = self._entry(path, str(name), str(key), entry_node, ok_fields)
            if entry is not None:
                entries[str(key)] = entry
        return Table(variable=str(name), fields=ok_fields, entries=entries, where=where,
                     en=str(_plain(spec.get("en", Node("", 0))) or ""), zh=str(_plain(spec.get("zh", Node("", 0))) or ""))

    def _entry(self, path: Path, table: str, key: str, node: Node, fields: dict[str, str]) -> Entry | None:
        where = f"{path}:{node.key_line}"
        spec = _plain(node)
        if not isinstance(spec, dict):
            self.problems.append(f"{where}: {table} entry {key!r} must be a mapping of field values")
            return None
        if not spec.get("source"):
            self.problems.append(f"{where}: {table} entry {key!r} has no 'source' (datasheet, model card, paper)")
        values: dict[str, float] = {}
        for field_name, value in spec.items():
            if field_name in _ENTRY_META:
                continue
            if field_name not in fields:
                self._unknown_key(where, f"{table} entry {key!r}", field_name, set(fields) | _ENTRY_META)
                continue
            if value is None:
                continue  # not published for this entry: the user must give it
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                self.problems.append(f"{where}: {table} entry {key!r}: {field_name} must be a finite number in "
                                     f"{fields[field_name] or 'plain units'}, found {value!r}")
                continue
            domain = self.variables[field_name].domain
            if (domain in ("positive", "integer", "fraction") and value <= 0) or (domain == "nonnegative" and value < 0) \
                    or (domain == "fraction" and value > 1):
                self.problems.append(f"{where}: {table} entry {key!r}: {field_name} = {value!r} is outside its "
                                     f"domain ({domain})")
                continue
            values[field_name] = float(value) * units.unit_info(fields[field_name])[0]
        aliases = spec.get("aliases") or []
        if isinstance(aliases, (str, int, float)):
            aliases = [aliases]
        if not isinstance(aliases, list) or not all(isinstance(a, (str, int, float)) for a in aliases):
            self.problems.append(f"{where}: {table} entry {key!r}: aliases must be a list of spellings, "
                                 "e.g. aliases: [A800-80GB]")
            aliases = []
        info = spec.get("info") or {}
        if not isinstance(info, dict):
            self.problems.append(f"{where}: {table} entry {key!r}: info must be a mapping of facts")
            info = {}
        return Entry(key=key, values=values, source=str(spec.get("source", "")), where=where,
                     name=str(spec.get("name", "") or ""), aliases=tuple(str(a) for a in aliases),
                     info=dict(info), written={k: v for k, v in spec.items() if k in fields})

    def _fill_categorical_values(self, tables: dict[str, Table]) -> None:
        """A categorical variable with a table takes its values from the table's keys."""
        for name, table in tables.items():
            variable = self.variables[name]
            keys = tuple(table.entries)
            if variable.values and set(variable.values) - set(keys):
                self.problems.append(f"{variable.where}: values of {name!r} not in its table at {table.where}: "
                                     f"{', '.join(sorted(set(variable.values) - set(keys)))}")
            self.variables[name] = _replace(variable, values=keys)
        for name, variable in self.variables.items():
            if variable.categorical and variable.default is not None and str(variable.default) not in variable.values:
                self.problems.append(f"{variable.where}: default {variable.default!r} of {name!r} is not one of "
                                     f"its values ({', '.join(variable.values) or 'none declared'})")


def _replace(variable: Variable, **changes: Any) -> Variable:
    return replace(variable, **changes)


def _unit_hint(unit: str) -> str:
    """'; did you mean ...' for a unit that is not known."""
    close = difflib.get_close_matches(unit, _COMMON_UNITS, n=2)
    hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    return f"{hint}; write a unit such as GB, TFLOPS, token, day, USD/hour, or \"\" for a plain number"
