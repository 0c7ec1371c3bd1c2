"""What the readers of one load share: the problems found so far and the variables declared."""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from . import units
from .model import Variable
from .yaml_reader import Node


class LoadContext:
    """Problems are collected, never raised one by one, so a user sees every mistake at once."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.variables: dict[str, Variable] = {}
        self.var_where: dict[str, str] = {}

    def unknown_key(self, where: str, what: str, key: str, allowed: set[str]) -> None:
        close = difflib.get_close_matches(key, sorted(allowed), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(sorted(allowed))})"
        self.problems.append(f"{where}: {what}: unknown key {key!r}{hint}")

    def name_hint(self, name: str) -> str:
        close = self.close_name(name)
        return f" (did you mean {close!r}?)" if close else ""

    def close_name(self, name: str) -> str:
        """The declared variable spelled most like `name` ('' when none is close)."""
        close = difflib.get_close_matches(name, [v for v in self.variables if v != name], n=1)
        return close[0] if close else ""

    def numeric_name(self, name: str) -> bool:
        variable = self.variables.get(name)
        return variable is not None and not variable.categorical

    def unit_dims(self, text: str) -> Any:
        return units.unit_info(text)[1]

    def items(self, path: Path, doc: Node, section: str) -> list[tuple[Node, str]]:
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

    def required(self, spec: dict[str, Any], where: str, what: str, keys: tuple[str, ...]) -> bool:
        missing = [k for k in keys if spec.get(k) in (None, "")]
        for key in missing:
            hint = " (a seed section, paper with table/equation, or datasheet)" if key == "source" else ""
            self.problems.append(f"{where}: {what} {spec.get('id', '?')!r} has no '{key}'{hint}")
        return not missing
