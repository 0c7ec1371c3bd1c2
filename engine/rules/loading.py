"""Rule and catalog files (YAML) -> a validated RuleSet, with file:line errors.

Every problem found in a load is collected and raised together as one
DefinitionError, so a user fixing their file sees all of it at once.
The syntax is documented in formulas/README.md; the allowed keys are engine/rules/schema.py.
Parts: yaml_reader (YAML with lines), variable_reader, equation_reader, table_reader, all
sharing one LoadContext (the problems so far, the variables declared).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..errors import DefinitionError
from . import cache, resources, units
from .conditional_defaults import check_default_when
from .equation_reader import check_ids, check_selectors, read_checks, read_equations
from .load_context import LoadContext
from .model import RuleSet
from .table_reader import fill_categorical_values, read_tables
from .variable_reader import read_variables, top_level
from .yaml_reader import MAX_NESTING, MAX_YAML_NODES, Node, read_yaml

__all__ = ["MAX_NESTING", "MAX_YAML_NODES", "Node", "bundled_files", "load_rules", "read_yaml"]


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


class _Loader(LoadContext):
    """One load: read every file, then variables, tables, equations and checks, in that order."""

    def __init__(self, paths: list[Path], bundled: int) -> None:
        super().__init__()
        self.paths, self.bundled = paths, bundled

    def load(self) -> RuleSet:
        docs: list[tuple[Path, Node]] = []
        for path in self.paths:
            node = read_yaml(path, self.problems)
            if node is not None:
                docs.append((path, node))
        for path, node in docs:
            top_level(self, path, node)
            read_variables(self, path, node)
        tables = read_tables(self, docs)
        fill_categorical_values(self, tables)
        check_default_when(self)
        equations = [eq for path, node in docs for eq in read_equations(self, path, node)]
        checks = [c for path, node in docs for c in read_checks(self, path, node)]
        check_ids(self, equations, checks)
        check_selectors(self, equations)
        if self.problems:
            raise DefinitionError(self.problems)
        units.save()
        digest = cache.digest(b"".join(p.read_bytes() for p, _ in docs))
        return RuleSet(self.variables, equations, checks, tables, [str(p) for p, _ in docs], digest)
