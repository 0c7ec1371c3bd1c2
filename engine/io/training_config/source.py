"""Training-config files -> values that remember their line (YAML and JSON), with file:line errors.

A training config is read as a tree of `Located` values: each keeps the 1-based line of the key
that named it, so every value llmplan takes from the file can say where it came from
(`train.yaml:14`). YAML goes through yaml.compose (safe, nothing constructed but scalars);
JSON through json.loads (exact JSON semantics: PyYAML would read `5e8` as text), with each
key's line found by scanning the text for it after its parent's key.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ...messages import Nested, keyed
from .errors import TrainingConfigError

MAX_BYTES = 2_000_000      # training configs are a few KB; refuse anything that is clearly not one
MAX_NESTING = 32
MAX_NODES = 50_000         # values after expanding YAML aliases (refuses an alias bomb)

_SCALARS = yaml.constructor.SafeConstructor()


@dataclass
class Located:
    """A value read from a file, with the line of the key naming it (or of the value itself)."""

    value: Any          # a scalar, dict[str, Located] or list[Located]
    line: int
    path: Path

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def get(self, key: str) -> Located | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    def plain(self) -> Any:
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def read_file(path: Path) -> Located:
    """The file's top-level mapping; TrainingConfigError (file:line) for anything else."""
    text = _text(path)
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return _json(path, text)
    return _yaml(path, text)


def _text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise keyed(TrainingConfigError, "training.too_large", path=path, size=size)
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise keyed(TrainingConfigError, "training.no_such_file", path=path) from None
    except IsADirectoryError:
        raise keyed(TrainingConfigError, "training.is_folder", path=path) from None
    except UnicodeDecodeError as exc:
        raise keyed(TrainingConfigError, "training.not_utf8", path=path, byte=exc.start) from None
    except OSError as exc:
        raise keyed(TrainingConfigError, "training.cannot_read", path=path, reason=exc.strerror or exc) from None


def _yaml(path: Path, text: str) -> Located:
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise keyed(TrainingConfigError, "training.bad_yaml", where=where,
                    reason=getattr(exc, "problem", None) or exc) from None
    except RecursionError:
        raise keyed(TrainingConfigError, "training.yaml_too_deep", path=path) from None
    if root is None:
        raise keyed(TrainingConfigError, "training.empty", path=path)
    node = _from_yaml(path, root, [0], 0)
    return _mapping(node, "training.a_config")


def _from_yaml(path: Path, node: yaml.Node, count: list[int], depth: int) -> Located:
    line = node.start_mark.line + 1
    count[0] += 1
    if count[0] > MAX_NODES or depth > MAX_NESTING:
        raise keyed(TrainingConfigError, "training.too_deep", where=f"{path}:{line}")
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Located] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise keyed(TrainingConfigError, "training.key_not_plain", where=f"{path}:{key_line}")
            key = str(key_node.value)
            if key in out:
                raise keyed(TrainingConfigError, "training.key_twice", where=f"{path}:{key_line}", key=key,
                            first=out[key].line)
            value = _from_yaml(path, value_node, count, depth + 1)
            out[key] = Located(value.value, key_line, path)
        return Located(out, line, path)
    if isinstance(node, yaml.SequenceNode):
        return Located([_from_yaml(path, item, count, depth + 1) for item in node.value], line, path)
    try:
        return Located(_SCALARS.construct_object(node), line, path)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        raise keyed(TrainingConfigError, "training.bad_value", where=f"{path}:{line}", value=str(node.value)[:40],
                    reason=exc) from None


def _json(path: Path, text: str) -> Located:
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        where = f"{path}:{line}" if line else str(path)
        raise keyed(TrainingConfigError, "training.bad_json", where=where, reason=getattr(exc, "msg", exc)) from None
    except RecursionError:
        raise keyed(TrainingConfigError, "training.json_too_deep", path=path) from None
    lines = _LineFinder(text)
    return _mapping(_from_json(path, data, 1, 0, lines), "training.a_json_object")


def _from_json(path: Path, value: Any, line: int, start: int, lines: _LineFinder) -> Located:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            key_line, offset = lines.find(key, start)
            out[str(key)] = _from_json(path, item, key_line or line, offset, lines)
        return Located(out, line, path)
    if isinstance(value, list):
        return Located([_from_json(path, item, line, start, lines) for item in value], line, path)
    return Located(value, line, path)


class _LineFinder:
    """Line of a JSON key: its first occurrence as `"key":` after the parent's key (a JSON config
    names each key once per object, so this is exact for the files people write)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def find(self, key: str, start: int) -> tuple[int | None, int]:
        match = re.compile(r'"' + re.escape(json.dumps(key)[1:-1]) + r'"\s*:').search(self.text, start)
        if match is None:
            return None, start
        return self.text.count("\n", 0, match.start()) + 1, match.end()


def _mapping(node: Located, expected: str) -> Located:
    if not isinstance(node.value, dict):
        found = type(node.plain()).__name__
        raise keyed(TrainingConfigError, "training.expected_found", where=node.where, expected=Nested(expected),
                    found=found)
    return node
