"""YAML with line numbers: every value of a rule file knows the line it came from.

Refuses what cannot be a rule file before anything else reads it: duplicate keys, recursive
aliases, alias bombs, absurd nesting (each a problem naming file:line).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import YamlStructureError as _Refused

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
    state: list[Any] = _state if _state is not None else [0, []]   # [nodes built, ids on the path]
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


def plain(node: Node) -> Any:
    if isinstance(node.value, dict):
        return {k: plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [plain(v) for v in node.value]
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
                        f"found a {type(plain(node)).__name__}")
        return None
    return node
