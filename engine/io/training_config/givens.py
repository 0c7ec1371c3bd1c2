"""`config=PATH` as a given: a training config's values fill what the user did not type.

    expand_config({"config": "train.yaml", "gpu": "A800", "lora_rank": "16"}, rules)
    -> ({"gpu": "A800", "lora_rank": "16", "model": "llama3-8b", "micro_batch": 1, ...},
        Origins(values={"model": Filled(..., origin="train.yaml:2"), ...}, reads=[...]))

Several files may be given, comma-separated (`config=train.yaml,accelerate.yaml`): a value the files
state beats a framework default of another file; two files stating different values is an error.
Every value is checked for its variable here, so an error names the file and line it came from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import EngineError, EvaluationError, PlanningError, UnderdeterminedError
from ...messages import Caught, keyed, localized, rekeyed, said_text
from ...rules.hf_config import is_config_path
from ...solve.solver import Warning_
from ...text.values import parse_key, parse_number
from . import read_training_config
from .errors import TrainingConfigError
from .model import ConfigRead, Filled, HeldOut

if TYPE_CHECKING:
    from ...rules.model import RuleSet
    from ...solve.solver import Result

# what, typed by the user, describes the architecture (so the config's model id is not needed)
_ARCHITECTURE = ("model", "params", "layers", "hidden")


@dataclass
class Origins:
    """The values a training config filled (by variable) and what was read."""

    values: dict[str, Filled] = field(default_factory=dict)
    reads: list[ConfigRead] = field(default_factory=list)
    overridden: dict[str, Filled] = field(default_factory=dict)   # typed by the user, so not used
    notes: list[str] = field(default_factory=list)     # what the config means for a value the user typed (Said)

    def attach(self, result: Result) -> Result:
        """A solved Result with each config value's origin and status `config` (nothing when no config)."""
        if not self.reads:
            return result
        result.origins = {name: filled.origin for name, filled in self.values.items()}
        result.config = self.summary()
        for name in self.values:
            if result.status.get(name) == "given":
                result.status[name] = "config"
        result.warnings += [Warning_("config.held_out", localized(note, result.lang), "warning",
                                     "Hugging Face datasets Dataset.train_test_split (test_size: a share, rounded up, "
                                     "or a count)") for note in self.notes]
        return result

    def explain(self, error: EngineError) -> EngineError:
        """A contradiction or a refused value with the config lines behind the values it names added
        (train_batch_size at ds.json:2 beside the micro-batch and GPUs it disagrees with): the user
        knows the file's keys, not llmplan's names for them."""
        if isinstance(error, UnderdeterminedError) or not isinstance(error, (PlanningError, EvaluationError)):
            return error
        said = str(error)
        named = [f for name, f in self.values.items() if re.search(rf"\b{re.escape(name)}\b", said)]
        if not named:
            return error
        values = "; ".join(f"{f.name} = {f.value} [{f.origin}{'' if f.default or not f.key else ' ' + f.key}]"
                           for f in named)
        return rekeyed(error, "training.config_behind", error=Caught(error), values=values)

    def summary(self) -> dict[str, Any]:
        """The JSON shape (DESIGN.md, `config` object of --json)."""
        return {"files": [str(p) for r in self.reads for p in r.files],
                "frameworks": [r.framework for r in self.reads],
                "origins": {n: {"origin": f.origin, "key": f.key, "default": f.default}
                            for n, f in self.values.items()},
                "overridden": {n: f.origin for n, f in self.overridden.items()},
                "ignored": [i for r in self.reads for i in r.ignored]}


def split_paths(raw: Any) -> list[str]:
    return [p.strip() for p in str(raw).split(",") if p.strip()]


def read_configs(raw: Any) -> tuple[dict[str, Filled], list[ConfigRead]]:
    """Merged givens of one or more configs (file values beat defaults; conflicting file values refused)."""
    merged: dict[str, Filled] = {}
    reads = []
    for text in split_paths(raw):
        read = read_training_config(text)
        reads.append(read)
        for name, filled in read.givens.items():
            have = merged.get(name)
            if have is None or (have.default and not filled.default):
                merged[name] = filled
            elif not have.default and not filled.default and str(have.value) != str(filled.value):
                raise keyed(TrainingConfigError, "training.disagree", where=filled.origin, key=filled.key, name=name,
                            value=filled.value, other=have.origin, other_value=have.value)
    return merged, reads


def expand_config(givens: dict[str, Any], rules: RuleSet) -> tuple[dict[str, Any], Origins]:
    """givens with `config` replaced by the values it fills; what the user typed wins."""
    raw = givens.get("config")
    origins = Origins()
    if raw is None:
        return givens, origins
    merged, origins.reads = read_configs(raw)
    typed = {name: value for name, value in givens.items() if name != "config"}
    for read in origins.reads:
        for name, why in read.unmodelled:
            if name not in typed:
                raise keyed(TrainingConfigError, "training.give_yourself", why=Caught(why), name=name)
    out = dict(typed)
    splits = [read.held_out for read in origins.reads if read.held_out is not None]
    if "samples" in typed and splits:
        try:
            samples = parse_number(rules.variables["samples"], typed["samples"])
        except EngineError:
            samples = None     # (the solve says what is wrong with it)
        origins.notes += [held_out_note(split, samples) for split in splits if samples is not None]
    for name, filled in merged.items():
        if name in typed or (name == "model" and any(n in typed for n in _ARCHITECTURE)):
            origins.overridden[name] = filled
            continue
        value = resolve_model(filled, rules) if name == "model" else filled.value
        if not (name == "model" and is_config_path(value)):   # a model folder is read by hf_config
            check_value(rules, name, value, filled)
        out[name] = value
        origins.values[name] = filled
    return out, origins


def held_out_note(split: HeldOut, samples: float) -> str:
    """Said beside samples the user typed: it counts the examples after the config's evaluation split."""
    whole = round(samples)
    removed = split.count(whole)
    held = f"ceil({split.value:g} × {whole:,}) = {removed:,}" if split.value < 1 else f"{removed:,}"
    return said_text("training.held_out_typed", samples=f"{samples:,.0f}" if samples == whole else f"{samples:,g}",
                     key=split.key, value=f"{split.value:g}", where=split.where, held=held,
                     framework=split.framework, rest=max(whole - removed, 0))


def resolve_model(filled: Filled, rules: RuleSet) -> str:
    """A Hugging Face id through the catalog's aliases, or a local folder with a config.json."""
    text = str(filled.value).strip()
    base = Path(filled.origin.rsplit(":", 1)[0]).parent
    for folder in (Path.cwd(), base):
        candidate = folder / Path(text).expanduser()
        if (candidate / "config.json").is_file():
            return str(candidate)
    table = rules.tables.get("model")
    entry = table.resolve(text) if table is not None else None
    if entry is None and table is not None and "/" in text:
        entry = table.resolve(text.rsplit("/", 1)[1])   # "meta-llama/Llama-2-7b-hf": the catalog may alias the name
    if entry is None:
        raise keyed(TrainingConfigError, "training.unknown_model", where=filled.origin, value=text)
    return entry.key


def check_value(rules: RuleSet, name: str, value: Any, filled: Filled) -> None:
    """The value read for its variable (domain, catalog key), an error naming the file and line."""
    variable = rules.variables.get(name)
    if variable is None:
        raise TrainingConfigError(f"{filled.origin}: {filled.key}: llmplan has no variable {name} "
                                  "(a bug in the reader)")
    try:
        if variable.categorical:
            parse_key(variable, rules.tables.get(name), value)
        else:
            parse_number(variable, value)
    except EngineError as exc:
        raise keyed(TrainingConfigError, "training.bad_given", where=filled.origin, key=filled.key or name,
                    problem=Caught(exc)) from None
