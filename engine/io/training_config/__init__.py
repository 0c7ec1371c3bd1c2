"""Training configs people already have -> llmplan givens, each with its origin (issue #17).

    read_training_config("llama3_lora_sft.yaml")
    -> ConfigRead(framework="llamafactory", givens={"lora_rank": Filled(8, "llama3_lora_sft.yaml:9"), ...},
                  ignored=["learning_rate (llama3_lora_sft.yaml:33)", ...])

Readers: LLaMA-Factory YAML, axolotl YAML, DeepSpeed JSON, accelerate config YAML. Each follows its
framework's own defaults for keys the file leaves out (cited in its module with the version read).
`config=PATH` as a given goes through givens.expand_config (model resolution, user values win).
"""
from __future__ import annotations

from pathlib import Path

from ...messages import keyed
from .accelerate import is_accelerate, read_accelerate
from .axolotl import is_axolotl, read_axolotl
from .deepspeed import deepspeed_gradients, is_deepspeed, read_deepspeed
from .errors import TrainingConfigError
from .llamafactory import is_llamafactory, read_llamafactory
from .model import ConfigRead, Filled
from .source import Located, read_file

__all__ = ["ConfigRead", "Filled", "TrainingConfigError", "detect", "read_training_config"]

FRAMEWORKS = (("llamafactory", is_llamafactory, read_llamafactory), ("axolotl", is_axolotl, read_axolotl),
              ("accelerate", is_accelerate, read_accelerate))
_MODEL_CONFIG_KEYS = {"model_type", "architectures", "hidden_size", "num_hidden_layers", "vocab_size", "n_embd"}


def detect(root: Located) -> str:
    """Which framework a file is for; TrainingConfigError (one line naming the file) when none."""
    if is_deepspeed(root):
        return "deepspeed"
    keys = set(root.value)
    if keys & _MODEL_CONFIG_KEYS and not keys & {"model_name_or_path", "base_model", "distributed_type"}:
        raise keyed(TrainingConfigError, "training.model_config", path=root.path, key=min(keys & _MODEL_CONFIG_KEYS))
    for name, test, _ in FRAMEWORKS:
        if test(root):
            return name
    raise keyed(TrainingConfigError, "training.unknown_kind", path=root.path)


def read_training_config(path: str | Path) -> ConfigRead:
    """Givens (with origins), ignored keys and referenced files of one training config."""
    path = Path(path)
    root = read_file(path)
    framework = detect(root)
    out = ConfigRead(framework, path, files=[path])
    if framework == "deepspeed":
        read_deepspeed(root, out)
    else:
        {name: reader for name, _, reader in FRAMEWORKS}[framework](root, out)
    deepspeed_gradients(out)   # (after every file: the framework's bf16 flag with a DeepSpeed JSON it names)
    return out
