"""The rule-file schema: every key a rule or catalog file may use, what it means, which are required.

The loader (engine/rules/loading.py) refuses any other key, naming the nearest allowed one;
formulas/README.md's key table is generated from here (`llmplan rules --schema-md`), and
tests/rules/test_schema.py fails when the README and this module disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Domain = Literal["positive", "nonnegative", "fraction", "real", "integer", "categorical"]
Rounding = Literal["up", "down", "nearest"]
Severity = Literal["info", "warning", "error"]
Role = Literal["", "budget", "floor", "plan"]
Lang = Literal["en", "zh"]

DOMAINS: tuple[Domain, ...] = get_args(Domain)
ROUNDINGS: tuple[Rounding, ...] = get_args(Rounding)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
ROLES: tuple[Role, ...] = get_args(Role)

# Tags a variable may carry (`tags: [utilization]`): how report and template code find "the
# utilization variable" and the like without naming variables in Python.
TAGS: dict[str, str] = {
    "utilization": "the fraction of peak compute a run achieves (reports sweep its `typical:` band)",
    "gpu_count": "the number of accelerators (reports chart training time against it)",
    "duration": "wall-clock time of the run (reports chart it against the GPU count)",
    "compute": "total compute of the run (the time-vs-GPUs chart holds it fixed)",
    "peak_compute": "peak compute of one accelerator (the time-vs-GPUs chart holds it fixed)",
    "memory_per_gpu": "what one accelerator must hold (reports compare it with the GPU's memory)",
    "gpu_memory": "memory of one accelerator",
}


@dataclass(frozen=True)
class Key:
    name: str
    meaning: str
    required: bool = False


SECTIONS: dict[str, tuple[Key, ...]] = {
    "file": (
        Key("variables", "mapping name -> declaration (below)"),
        Key("equations", "list of rules (below)"),
        Key("checks", "list of advisories (below)"),
        Key("tables", "list of conventions tables, each like a catalog file"),
    ),
    "variables": (
        Key("en", "one line in English", True),
        Key("zh", "one line in Chinese", True),
        Key("unit", "pint unit expression (see units.txt); empty = plain number"),
        Key("domain", f"one of {', '.join(DOMAINS)} (default positive)"),
        Key("rounding", f"integer only: one of {', '.join(ROUNDINGS)} (default up), how a solved value is rounded"),
        Key("role", "budget: an upper limit the user sets (a deadline, a bubble of at most 5 %), floor: a lower one "
                    "(an mfu of at least 0.4); recomputed for a rounded integer answer. plan: a categorical that "
                    "says what is trained (method), never suggested as a way to answer a question"),
        Key("tags", f"list of what the variable stands for in reports: {', '.join(TAGS)}"),
        Key("values", "categorical only (unless a table lists the keys): the allowed keys"),
        Key("default", "a constant in the declared unit (or a key); used only when nothing derives it"),
        Key("default_source", "where the default comes from (required with default)"),
        Key("default_when", "categorical only: a list of {when: {selector: value or [values]}, value: key, case: the "
                            "condition in words, source: text}; the first whose conventions hold replaces `default` "
                            "(recompute=full for a fine-tune, as its frameworks checkpoint)"),
        Key("default_rank", "whole number >= 0 (default 0): when the givens leave a choice of which defaults "
                            "to take, higher ranks give way first and the rules derive them (grad_accum from "
                            "global_batch, as Megatron-LM does)"),
        Key("neutral", "the do-nothing value in the declared unit (tp: 1, qkv_bias: 0): an answer that assumes "
                       "it does not list it among the assumptions that shaped the answer (-v still does)"),
        Key("typical", "[low, high] informative band in the declared unit (reports, advisories)"),
        Key("typical_source", "where the typical band comes from"),
        Key("notes", "free text"),
    ),
    "equations": (
        Key("id", "<file>.<name>, unique, never reused", True),
        Key("eq", "`left = right` over declared names (whitelisted grammar)", True),
        Key("source", "seed section, paper (table/eq), datasheet", True),
        Key("en", "one line in English (or `title`)"),
        Key("zh", "one line in Chinese"),
        Key("title", "English text used when `en` is absent"),
        Key("notes", "free text (English)"),
        Key("notes_zh", "free text (Chinese)"),
        Key("variant", "{selector: value or [values]}: the rule applies only under that convention"),
        Key("tolerance", "relative tolerance when the rule is only checked (default 1e-6)"),
        Key("area", "group shown in `llmplan rules` (default: the file name)"),
    ),
    "checks": (
        Key("id", "<file>.<name>, unique", True),
        Key("when", "condition over declared names; the advisory fires when it is true", True),
        Key("source", "where the threshold comes from", True),
        Key("en", "message in English; {name} shows a value", True),
        Key("zh", "message in Chinese", True),
        Key("severity", f"one of {', '.join(SEVERITIES)} (default warning); error refuses the row with the "
                        "message (a layout that cannot run)"),
        Key("replaces", "ids of broader checks this one says more precisely: in the rows where it fires, "
                        "they do not"),
        Key("unless_given", "names whose default the advice is about: quiet in rows where the user (or a "
                            "training config) gave one of them"),
        Key("notes", "free text"),
    ),
    "tables": (
        Key("variable", "the categorical variable whose keys the entries are", True),
        Key("entries", "mapping key -> entry (fields below, plus the table's figures)", True),
        Key("fields", "mapping variable -> unit the entries' figures are written in"),
        Key("en", "description in English"),
        Key("zh", "description in Chinese"),
        Key("source", "source for every entry"),
        Key("notes", "free text"),
    ),
    "entries": (
        Key("source", "where the entry's figures come from"),
        Key("name", "free text name (e.g. NVIDIA A800 80GB PCIe)"),
        Key("aliases", "other spellings users type (matched case-insensitively)"),
        Key("info", "free-form facts shown by `llmplan catalog`, not used in formulas"),
        Key("notes", "free text"),
    ),
}
# A catalog file (catalogs/*.yaml) is one table at the top level of the file.
SECTIONS["catalog"] = SECTIONS["tables"]

TITLES = {
    "file": "Top level of a rule file", "variables": "`variables:` (each declaration)",
    "equations": "`equations:` (each rule)", "checks": "`checks:` (each advisory)",
    "tables": "`tables:` (each table) and catalog files", "entries": "Table and catalog entries (besides figures)",
}


def keys(section: str) -> frozenset[str]:
    """The keys allowed in one section."""
    return frozenset(k.name for k in SECTIONS[section])


def required(section: str) -> tuple[str, ...]:
    return tuple(k.name for k in SECTIONS[section] if k.required)


def markdown() -> str:
    """The key table of formulas/README.md (between its schema markers)."""
    lines: list[str] = []
    for section, title in TITLES.items():
        lines += [f"#### {title}", "", "| key | required | meaning |", "|---|---|---|"]
        lines += [f"| `{k.name}` | {'yes' if k.required else ''} | {k.meaning} |" for k in SECTIONS[section]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


BEGIN = "<!-- schema:begin (generated by `llmplan rules --schema-md`; edit engine/rules/schema.py) -->"
END = "<!-- schema:end -->"
