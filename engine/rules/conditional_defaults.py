"""A categorical default that follows other conventions: a variable's `default_when:` list.

One default cannot be what practitioners expect everywhere: a pretraining run in Megatron-LM keeps
every activation unless asked (recompute=none, the seed's 6·N·D), while LLaMA-Factory, TRL's
SFTTrainer and PEFT's k-bit preparation turn gradient checkpointing on for a fine-tune. So

    recompute:
      default: none
      default_source: seed §2 ...
      default_when:
        - when: {method: [lora, qlora]}     # every selector listed must have one of its values
          value: full
          case: a LoRA or QLoRA fine-tune   # shown beside the default: "recompute=full (default for ...)"
          source: PEFT prepare_model_for_kbit_training(use_gradient_checkpointing=True) ...

The first entry that holds replaces `default` (and its source) for that question or row; `default`
stays what holds otherwise. The conventions read in `when` must be categorical, with plain defaults:
a chain of conditional defaults could go round in a circle, and one level is all the rules need.
"""
from __future__ import annotations

from .load_context import LoadContext
from .model import ConditionalDefault, Variable
from .yaml_reader import Node, plain

_ENTRY_KEYS = {"when", "value", "case", "source"}


def read_default_when(ctx: LoadContext, name: str, node: Node, where: str) -> tuple[ConditionalDefault, ...]:
    """The entries of `default_when` as written (checked against the other variables later, by
    `check_default_when`, once every file's variables are declared)."""
    section = node.value.get("default_when") if isinstance(node.value, dict) else None
    if section is None:
        return ()
    if not isinstance(section.value, list) or not section.value:
        ctx.problems.append(f"{where}: variable {name!r}: default_when must be a list of "
                            "{when: {selector: value or [values]}, value: key, source: text}")
        return ()
    out = []
    for item in section.value:
        entry_where = f"{where.rsplit(':', 1)[0]}:{item.line}"
        spec = plain(item)
        if not isinstance(spec, dict) or not isinstance(spec.get("when"), dict) or not spec["when"] \
                or "value" not in spec:
            ctx.problems.append(f"{entry_where}: variable {name!r}: each default_when entry needs `when:` (a "
                                "mapping selector -> value or [values]) and `value:` (the default it gives)")
            continue
        for key in sorted(set(spec) - _ENTRY_KEYS):
            ctx.unknown_key(entry_where, f"variable {name!r} default_when", key, _ENTRY_KEYS)
        for key, says in (("source", "which framework or paper does it this way"),
                          ("case", "the condition in words, e.g. 'a LoRA fine-tune'")):
            if not spec.get(key):
                ctx.problems.append(f"{entry_where}: variable {name!r}: a default_when entry needs `{key}:` ({says})")
        when = tuple((str(selector), tuple(str(v) for v in (values if isinstance(values, list) else [values])))
                     for selector, values in spec["when"].items())
        out.append(ConditionalDefault(when, str(spec["value"]), str(spec.get("source") or ""), entry_where,
                                      str(spec.get("case") or "")))
    return tuple(out)


def check_default_when(ctx: LoadContext) -> None:
    """Every entry gives one of the variable's values and reads categorical conventions with plain
    defaults, by values they have."""
    for name, variable in ctx.variables.items():
        if not variable.default_when:
            continue
        if not variable.categorical or variable.default is None:
            ctx.problems.append(f"{variable.where}: variable {name!r}: default_when is for a categorical "
                                "variable beside its plain `default` (the one that holds otherwise)")
            continue
        for conditional in variable.default_when:
            _check_entry(ctx, name, variable, conditional)


def _check_entry(ctx: LoadContext, name: str, variable: Variable, conditional: ConditionalDefault) -> None:
    where = conditional.where
    if conditional.value not in variable.values:
        ctx.problems.append(f"{where}: variable {name!r}: default_when gives {conditional.value!r}, which is "
                            f"not one of its values ({', '.join(variable.values)})")
    for selector, allowed in conditional.when:
        other = ctx.variables.get(selector)
        if other is None or not other.categorical:
            ctx.problems.append(f"{where}: variable {name!r}: default_when reads {selector!r}, which is not a "
                                f"categorical variable{ctx.name_hint(selector)}")
        elif other.default_when or selector == name:
            ctx.problems.append(f"{where}: variable {name!r}: default_when reads {selector!r}, whose own default "
                                "is conditional; read conventions with plain defaults (no chains)")
        elif set(allowed) - set(other.values):
            ctx.problems.append(f"{where}: variable {name!r}: default_when: {selector} has no value "
                                f"{', '.join(sorted(set(allowed) - set(other.values)))} "
                                f"(its values: {', '.join(other.values)})")



def said_defaults(variable: Variable) -> str:
    """The default with its conditional ones, for `llmplan explain` and the template:
    "none; full for a fine-tune (stage = finetuning)"."""
    parts = [str(variable.default)]
    for conditional in variable.default_when:
        parts.append(f"{conditional.value} for {conditional.case or 'these conventions'} ({said_when(conditional)})")
    return "; ".join(parts)


def said_when(conditional: ConditionalDefault) -> str:
    """The conventions a conditional default reads: "method = freeze, lora; stage = finetuning"."""
    return "; ".join(f"{selector} = {', '.join(allowed)}" for selector, allowed in conditional.when)
