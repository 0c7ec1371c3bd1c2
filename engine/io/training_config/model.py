"""What a reader returns: llmplan givens, each with where it came from, and the keys left unused."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...messages import Nested, keyed
from .errors import TrainingConfigError
from .source import Located


@dataclass(frozen=True)
class Filled:
    """One given taken from a training config.

    origin: `file:line` of the key it was read from, or, for a key the file leaves out, the
    framework's default with its source (`LLaMA-Factory 0.9.4.dev0 default lora_target=all (...)`).
    """

    name: str            # llmplan variable
    value: Any           # in the variable's declared unit, or a catalog/convention key
    origin: str
    key: str = ""        # the framework's key (lora_rank, zero_optimization.stage, ...)
    default: bool = False


@dataclass(frozen=True)
class HeldOut:
    """Evaluation data split off the training data (LLaMA-Factory val_size, axolotl val_set_size): both pass
    it to Hugging Face datasets' train_test_split as test_size, a share when below 1 (rounded up:
    n_test = ceil(test_size · n)), a count of examples above 1 (int(value))."""

    value: float
    where: str           # file:line
    key: str             # val_size, val_set_size
    framework: str       # whose split, with its source

    def count(self, total: int) -> int:
        """Examples held out of `total`."""
        return math.ceil(self.value * total) if self.value < 1 else int(self.value)   # (the float product, as datasets)

    @property
    def said(self) -> str:
        return f"{self.key} {self.value:g}"


@dataclass
class ConfigRead:
    """A training config read: givens by llmplan variable, keys ignored, files it referenced."""

    framework: str
    path: Path
    givens: dict[str, Filled] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)     # "key (file:line)"
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    unmodelled: list[tuple[str, str]] = field(default_factory=list)   # (variable, why): an error unless typed
    held_out: HeldOut | None = None     # evaluation data taken from the training examples (samples is after it)
    deepspeed: str = ""                 # file:line of the DeepSpeed config the run uses ("" for none)

    def cannot_model(self, name: str, why: str) -> None:
        """A framework value llmplan has no key for: an error unless the user gives `name` themselves."""
        self.unmodelled.append((name, why))

    def fill(self, name: str, value: Any, origin: str, key: str = "", default: bool = False) -> None:
        self.givens[name] = Filled(name, value, origin, key, default)

    def offer(self, name: str, value: Any, origin: str, key: str = "", default: bool = False) -> None:
        """Fill name unless this config already did (a referenced file's value never replaces the main file's)."""
        if name not in self.givens:
            self.fill(name, value, origin, key, default)


class Keys:
    """A config mapping whose values are taken key by key; what is never taken is `ignored`."""

    def __init__(self, root: Located, prefix: str = "") -> None:
        self.root, self.prefix = root, prefix
        self.taken: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self.root.value

    def node(self, key: str) -> Located | None:
        self.taken.add(key)
        node = self.root.value.get(key)
        return None if node is None or node.value is None else node

    def ignored(self) -> list[str]:
        return [f"{self.prefix}{key} ({node.where})" for key, node in self.root.value.items()
                if key not in self.taken]

    # -- typed look-ups: the wrong type is an error naming file:line ------------------------------
    def integer(self, key: str, low: int | None = 1) -> tuple[int, str] | None:
        node = self.node(key)
        if node is None:
            return None
        value = node.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type(node, self.prefix + key, "training.a_whole_number", value)
        if low is not None and value < low:
            raise keyed(TrainingConfigError, "training.at_least", where=node.where, key=self.prefix + key, low=low,
                        value=value)
        return value, node.where

    def number(self, key: str, zero: bool = False) -> tuple[float, str] | None:
        """A number greater than 0 (at least 0 with zero=True: `val_size: 0`, no split)."""
        node = self.node(key)
        if node is None:
            return None
        value = node.value
        if isinstance(value, str):   # YAML 1.1 reads 1e-4 (no dot) as text; accept what is clearly a number
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type(node, self.prefix + key, "training.a_number", node.value)
        if value < 0 and zero:
            raise keyed(TrainingConfigError, "training.at_least", where=node.where, key=self.prefix + key, low=0,
                        value=value)
        if value <= 0 and not zero:
            raise keyed(TrainingConfigError, "training.positive", where=node.where, key=self.prefix + key, value=value)
        return float(value), node.where

    def flag(self, key: str) -> tuple[bool, str] | None:
        node = self.node(key)
        if node is None:
            return None
        if not isinstance(node.value, bool):
            raise _type(node, self.prefix + key, "training.true_or_false", node.value)
        return node.value, node.where

    def text(self, key: str) -> tuple[str, str] | None:
        node = self.node(key)
        if node is None:
            return None
        if isinstance(node.value, (dict, list)):
            raise _type(node, self.prefix + key, "training.a_single_value", node.plain())
        return str(node.value), node.where

    def choice(self, key: str, allowed: dict[str, Any]) -> tuple[Any, str] | None:
        """A value from a fixed set (matched case-insensitively) -> what it stands for."""
        got = self.text(key)
        if got is None:
            return None
        text, where = got
        folded = {k.casefold(): v for k, v in allowed.items()}
        if text.strip().casefold() not in folded:
            raise keyed(TrainingConfigError, "training.not_one_of", where=where, key=self.prefix + key, value=text,
                        allowed=", ".join(allowed))
        return folded[text.strip().casefold()], where

    def mapping(self, key: str) -> Keys | None:
        node = self.node(key)
        if node is None:
            return None
        if not isinstance(node.value, dict):
            raise _type(node, self.prefix + key, "training.a_mapping", node.plain())
        return Keys(node, f"{self.prefix}{key}.")


def held_out(keys: Keys, key: str, framework: str) -> HeldOut | None:
    """The evaluation split a config takes from its training data; None for none (0, the frameworks' default).
    Exactly 1 is refused: as a share it is the whole dataset, and datasets' train_test_split refuses it."""
    got = keys.number(key, zero=True)
    if got is None or got[0] == 0:
        return None
    if got[0] == 1:
        raise keyed(TrainingConfigError, "training.held_out_one", where=got[1], key=keys.prefix + key)
    return HeldOut(got[0], got[1], keys.prefix + key, framework)


def _type(node: Located, key: str, expected: str, found: Any) -> TrainingConfigError:
    """`expected`: the message key of what the value must be ("training.a_number")."""
    return keyed(TrainingConfigError, "training.must_be", where=node.where, key=key, expected=Nested(expected),
                 found=str(found)[:40])
