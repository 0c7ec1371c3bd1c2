"""Training-config readers (issue #17) on the frameworks' published examples.

The files under tests/fixtures/training_configs/ are upstream examples copied unchanged (see
SOURCES.md there; a YAML file's first line names its upstream file, so its lines are upstream's + 1).
Every value expected below is read off those files by eye (key, value and line); the defaults are
the frameworks' documented defaults, cited in each reader module with the version read.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.io.training_config import TrainingConfigError, read_training_config

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "training_configs"
LF = FIXTURES / "llamafactory"

# file -> {variable: (value, line in the file)}; line None = the framework's default
EXPECTED = {
    "llamafactory/examples/train_lora/llama3_lora_sft.yaml": {
        "model": ("meta-llama/Meta-Llama-3-8B-Instruct", 3), "method": ("lora", 9), "lora_rank": (8, 10),
        "lora_targets": ("all-linear", 11), "seq_len": (2048, 16), "samples": (2000, 17),   # 1000 × 2 datasets
        "micro_batch": (1, 32), "grad_accum": (8, 33), "epochs": (3.0, 35), "precision": ("mixed-bf16", 38),
        "packing": ("off", None), "optimizer": ("adam", None), "attention_kernel": ("flash", None),
        "recompute": ("full", None), "zero_stage": ("0", None), "offload": ("none", None)},
    "llamafactory/examples/train_qlora/llama3_lora_sft_otfq.yaml": {
        "method": ("qlora", 4), "lora_rank": (8, 12), "lora_targets": ("all-linear", 13), "seq_len": (2048, 18),
        "micro_batch": (1, 34), "grad_accum": (8, 35), "precision": ("mixed-bf16", 40)},
    "llamafactory/examples/train_full/llama3_full_sft.yaml": {   # bf16 under its ds_z3_config.json: DeepSpeed
        "method": ("full", 9), "micro_batch": (1, 31), "grad_accum": (2, 32), "epochs": (3.0, 34),   # keeps fp32
        "precision": ("mixed-bf16-fp32grad", 37)},                                                    # gradients
    "llamafactory/examples/deepspeed/ds_z0_config.json": {"zero_stage": ("0", 19), "offload": ("none", None)},
    "llamafactory/examples/deepspeed/ds_z2_config.json": {"zero_stage": ("2", 19), "offload": ("none", None)},
    "llamafactory/examples/deepspeed/ds_z3_config.json": {"zero_stage": ("3", 19), "offload": ("none", None)},
    "llamafactory/examples/deepspeed/ds_z3_offload_config.json": {
        "zero_stage": ("3", 19), "offload": ("optimizer_and_params", 25)},
    "axolotl/examples/llama-3/qlora.yml": {
        "model": ("NousResearch/Meta-Llama-3-8B", 2), "method": ("qlora", 10), "seq_len": (4096, 22),
        "packing": ("on", 23), "lora_rank": (32, 26), "lora_targets": ("all-linear", 29), "grad_accum": (4, 37),
        "micro_batch": (2, 38), "epochs": (4.0, 39), "optimizer": ("adam", 40), "precision": ("mixed-bf16", 44),
        "recompute": ("full", 47), "attention_kernel": ("flash", 50), "zero_stage": ("0", None)},
    "axolotl/examples/mistral/qlora.yml": {
        "model": ("mistralai/Mistral-7B-v0.1", 2), "method": ("qlora", 10), "seq_len": (8192, 22),
        "lora_rank": (32, 26), "lora_targets": ("all-linear", 29), "micro_batch": (2, 46), "epochs": (1.0, 47),
        "optimizer": ("adam-8bit", 48)},          # adamw_bnb_8bit
    "axolotl/examples/llama-2/lora.yml": {
        "method": ("qlora-8bit", 9),               # adapter: lora with load_in_8bit: an int8 base
        "lora_rank": (32, 25), "optimizer": ("adam-8bit", 39)},
    "accelerate/examples/config_yaml_templates/fsdp.yaml": {
        "precision": ("mixed-bf16", 5), "n_gpus": (2, 7), "offload": ("none", 15), "zero_stage": ("3", 16)},
    "llamafactory/examples/accelerate/fsdp_config.yaml": {
        "offload": ("none", 11), "zero_stage": ("3", 12), "precision": ("mixed-bf16", 18), "n_gpus": (2, 20)},
}


def _line_of(origin: str) -> str:
    """The file:line an origin starts with (what follows in parentheses explains the value: a cap, a split)."""
    return origin.split(" (", 1)[0]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_filled_value_matches_the_file(name, monkeypatch):
    monkeypatch.chdir(FIXTURES / name.split("/")[0])      # relative references resolve as upstream
    read = read_training_config(name.split("/", 1)[1])
    for variable, (value, line) in EXPECTED[name].items():
        filled = read.givens[variable]
        assert filled.value == value, variable
        if line is None:
            assert filled.default, variable
        else:
            assert not filled.default and _line_of(filled.origin).endswith(f":{line}"), (variable, filled.origin)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_origin_line_holds_the_key_it_names(name, monkeypatch):
    """Beyond the table: every value taken from a file points at a line that holds its key."""
    monkeypatch.chdir(FIXTURES / name.split("/")[0])
    read = read_training_config(name.split("/", 1)[1])
    for filled in read.givens.values():
        if filled.default:
            continue
        path, line = _line_of(filled.origin).rsplit(":", 1)
        text = Path(path).read_text(encoding="utf-8").splitlines()[int(line) - 1]
        leaf = filled.key.split(".")[-1].split("/")[0].split(" ")[0]
        assert leaf in text, (filled, text)


def test_referenced_deepspeed_file_resolves_from_the_working_directory(monkeypatch):
    # upstream writes `deepspeed: examples/deepspeed/ds_z3_config.json`, relative to the repository root
    monkeypatch.chdir(LF)
    read = read_training_config("examples/train_lora/llama3_lora_sft_ds3.yaml")
    assert read.givens["zero_stage"].value == "3"
    assert read.givens["zero_stage"].origin == "examples/deepspeed/ds_z3_config.json:19"
    assert read.givens["grad_accum"].origin.endswith("llama3_lora_sft_ds3.yaml:34")   # "auto" in the JSON
    assert Path("examples/deepspeed/ds_z3_config.json") in read.files


def test_referenced_deepspeed_file_resolves_next_to_the_yaml_first(tmp_path, monkeypatch):
    (tmp_path / "ds.json").write_text('{"zero_optimization": {"stage": 2, "offload_optimizer": {"device": "cpu"}}}')
    (tmp_path / "train.yaml").write_text("model_name_or_path: x\ndeepspeed: ds.json\n")
    monkeypatch.chdir(FIXTURES)     # not the YAML's folder
    read = read_training_config(tmp_path / "train.yaml")
    assert read.givens["zero_stage"].value == "2" and read.givens["offload"].value == "optimizer"
    assert read.givens["offload"].origin == f"{tmp_path / 'ds.json'}:1"


def test_accelerate_deepspeed_config_file(monkeypatch):
    monkeypatch.chdir(FIXTURES / "accelerate" / "examples" / "config_yaml_templates")
    read = read_training_config("deepspeed.yaml")
    assert read.givens["n_gpus"].value == 2 and read.givens["n_gpus"].origin == "deepspeed.yaml:13"
    # zero_stage1_config.json: "stage": 1 (line 29), "gradient_accumulation_steps": 1 (37), fp16 enabled (3)
    assert read.givens["zero_stage"].value == "1" and read.givens["zero_stage"].origin.endswith("config.json:29")
    assert read.givens["grad_accum"].value == 1 and read.givens["grad_accum"].origin.endswith("config.json:37")
    assert read.givens["precision"].value == "mixed-fp16" and read.givens["precision"].origin.endswith("config.json:3")
    assert "micro_batch" not in read.givens      # "auto": left to the training script


def test_keys_llmplan_does_not_use_are_listed_once():
    read = read_training_config(LF / "examples/train_lora/llama3_lora_sft.yaml")
    keys = [item.split(" (")[0] for item in read.ignored]
    assert "learning_rate" in keys and "template" in keys and "lr_scheduler_type" in keys
    assert len(keys) == len(set(keys))
    assert not {"lora_rank", "cutoff_len", "per_device_train_batch_size", "bf16"} & set(keys)


# -- the frameworks' own defaults ---------------------------------------------------------------
def _read(tmp_path, text: str, name: str = "train.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_training_config(path)


def _values(read) -> dict:
    return {n: f.value for n, f in read.givens.items()}


def test_llamafactory_defaults(tmp_path):
    # LLaMA-Factory 0.9.4.dev0: finetuning_type lora, lora_rank 8, lora_target all, cutoff_len 2048,
    # packing only for stage pt, gradient checkpointing on, flash_attn auto; Transformers
    # TrainingArguments: per_device_train_batch_size 8, gradient_accumulation_steps 1,
    # num_train_epochs 3.0, bf16/fp16 false, optim adamw_torch
    read = _read(tmp_path, "model_name_or_path: some/model\n")
    assert _values(read) == {
        "model": "some/model", "method": "lora", "lora_rank": 8, "lora_targets": "all-linear", "micro_batch": 8,
        "grad_accum": 1, "seq_len": 2048, "epochs": 3.0, "packing": "off", "precision": "fp32",
        "optimizer": "adam", "attention_kernel": "flash", "recompute": "full", "tp": 1, "pp": 1,
        "zero_stage": "0", "offload": "none"}
    assert all(f.default for n, f in read.givens.items() if n != "model")
    pretrain = _read(tmp_path, "model_name_or_path: m\nstage: pt\nfinetuning_type: freeze\n")
    assert pretrain.givens["packing"].value == "on" and pretrain.givens["trainable_layers"].value == 2


def test_llamafactory_reads_transformers_gradient_checkpointing_as_it_acts_there(tmp_path):
    # LLaMA-Factory checkpoints every layer unless disable_gradient_checkpointing: true
    # (model/model_utils/checkpointing.py, prepare_model_for_training); Transformers' gradient_checkpointing key in
    # the same file only asks for it again, and `false` there does not turn it off
    on = _read(tmp_path, "model_name_or_path: m\ngradient_checkpointing: true\n")
    assert on.givens["recompute"].value == "full" and not on.givens["recompute"].default
    assert _line_of(on.givens["recompute"].origin).endswith("train.yaml:2")
    off = _read(tmp_path, "model_name_or_path: m\ngradient_checkpointing: false\n")
    assert off.givens["recompute"].value == "full"
    assert "does not turn it off" in off.givens["recompute"].origin and "train.yaml:2" in off.givens["recompute"].origin
    assert not any(i.startswith("gradient_checkpointing ") for i in on.ignored + off.ignored)
    # LLaMA-Factory's own key decides
    disabled = _read(tmp_path, "model_name_or_path: m\ngradient_checkpointing: true\n"
                               "disable_gradient_checkpointing: true\n")
    assert disabled.givens["recompute"].value == "none"


def test_llamafactory_switches(tmp_path):
    read = _read(tmp_path, "model_name_or_path: m\nfinetuning_type: full\npure_bf16: true\n"
                           "disable_gradient_checkpointing: true\nflash_attn: disabled\nneat_packing: true\n"
                           "optim: paged_adamw_8bit\nmax_steps: 1200\n")
    assert _values(read).items() >= {"method": "full", "precision": "pure-bf16", "recompute": "none",
                                  "attention_kernel": "standard", "packing": "on", "optimizer": "adam-8bit",
                                  "steps": 1200}.items()
    assert "epochs" not in read.givens       # max_steps overrides num_train_epochs
    # pure_bf16 keeps no fp32 copy: torch's AdamW makes its moments like the bf16 parameters (2 + 2 B, not
    # 4 + 4), and LLaMA-Factory leaves trainable parameters in bf16 (cast_trainable_params_to_fp32 is
    # `not pure_bf16`); an 8-bit optimizer stays 8-bit (above)
    pure = _read(tmp_path, "model_name_or_path: m\nfinetuning_type: freeze\npure_bf16: true\n")
    assert _values(pure).items() >= {"optimizer": "adam-bf16", "trainable_dtype": "bf16"}.items()
    assert pure.givens["trainable_dtype"].origin.endswith(":3") and pure.givens["optimizer"].default
    full = _read(tmp_path, "model_name_or_path: m\nfinetuning_type: full\npure_bf16: true\noptim: adamw_torch\n")
    assert full.givens["optimizer"].value == "adam-bf16" and "trainable_dtype" not in full.givens
    mixed = _read(tmp_path, "model_name_or_path: m\nfinetuning_type: freeze\nbf16: true\n")
    assert mixed.givens["optimizer"].value == "adam" and "trainable_dtype" not in mixed.givens
    targets = _read(tmp_path, "model_name_or_path: m\nlora_target: q_proj,v_proj\nquantization_bit: 8\n")
    assert targets.givens["lora_targets"].value == "qv" and targets.givens["method"].value == "qlora-8bit"


def test_axolotl_defaults(tmp_path):
    # axolotl v0.18.0 schema: sequence_len 512, micro_batch_size 1, gradient_accumulation_steps 1,
    # num_epochs 1.0, optimizer adamw_torch_fused, bf16 auto, gradient_checkpointing false,
    # sample_packing off, adapter None (full fine-tune)
    read = _read(tmp_path, "base_model: some/model\n")
    assert _values(read) == {
        "model": "some/model", "method": "full", "micro_batch": 1, "grad_accum": 1, "seq_len": 512,
        "epochs": 1.0, "packing": "off", "precision": "mixed-bf16", "optimizer": "adam", "recompute": "none",
        "attention_kernel": "flash", "tp": 1, "pp": 1, "zero_stage": "0", "offload": "none"}


def test_axolotl_fsdp_and_inline_deepspeed(tmp_path):
    fsdp = _read(tmp_path, "base_model: m\nfsdp_version: 2\nfsdp_config:\n  offload_params: true\n"
                           "  reshard_after_forward: false\n")
    # (no reshard after forward: the gathered weights stay on the GPU, counted as ZeRO-2 + offload=optimizer)
    assert fsdp.givens["zero_stage"].value == "2" and fsdp.givens["offload"].value == "optimizer"
    inline = _read(tmp_path, "base_model: m\nmicro_batch_size: 2\ndeepspeed:\n  zero_optimization:\n    stage: 3\n"
                             "  train_micro_batch_size_per_gpu: auto\n")
    assert inline.givens["zero_stage"].value == "3" and inline.givens["zero_stage"].origin.endswith(":5")


def test_deepspeed_defaults(tmp_path):
    # DeepSpeed v0.19.5: zero_optimization.stage 0, offload device "none", bf16/fp16 disabled; a ZeRO config
    # is data parallelism only (tensor and pipeline degrees come from a Megatron-DeepSpeed launcher)
    read = _read(tmp_path, '{"train_micro_batch_size_per_gpu": 4, "train_batch_size": 64}', "ds.json")
    assert _values(read) == {"zero_stage": "0", "offload": "none", "micro_batch": 4, "global_batch": 64,
                             "precision": "fp32", "tp": 1, "pp": 1}
    assert read.givens["tp"].default and read.givens["pp"].default
    assert read.givens["micro_batch"].origin.endswith("ds.json:1")


def test_accelerate_defaults(tmp_path):
    # accelerate ClusterConfig: num_processes -1 (unset), no mixed_precision default
    read = _read(tmp_path, "distributed_type: MULTI_GPU\nnum_machines: 1\n")
    assert _values(read) == {"zero_stage": "0"}
    ds = _read(tmp_path, "distributed_type: DEEPSPEED\nnum_processes: 8\nmixed_precision: bf16\n"
                         "deepspeed_config:\n  zero_stage: 3\n  offload_optimizer_device: cpu\n"
                         "  offload_param_device: none\n  gradient_accumulation_steps: 4\n")
    # (bf16 under the DeepSpeed engine: its optimizer keeps an fp32 gradient partition, 18 B per parameter)
    assert _values(ds) == {"n_gpus": 8, "precision": "mixed-bf16-fp32grad", "zero_stage": "3",
                           "offload": "optimizer", "grad_accum": 4}


# -- bad input: one message naming file:line ------------------------------------------------------
BAD = [
    ("train.yaml", "model_name_or_path: m\nper_device_train_batch_size: two\n", ":2", "whole number"),
    ("train.yaml", "model_name_or_path: m\nlora_rank: 0\n", ":2", "at least 1"),
    ("train.yaml", "model_name_or_path: m\nfinetuning_type: prefix\n", ":2", "full, freeze, lora"),
    ("train.yaml", "model_name_or_path: m\nbf16: yes please\n", ":2", "true or false"),
    ("train.yaml", "model_name_or_path: m\ncutoff_len: [1, 2]\n", ":2", "whole number"),
    ("train.yaml", "model_name_or_path: m\n  bad: indent\n", ":2", "not valid YAML"),
    ("train.yaml", "model_name_or_path: m\nlora_rank: 8\nlora_rank: 16\n", ":3", "set twice"),
    ("train.yaml", "model_name_or_path: m\nfinetuning_type: full\nquantization_bit: 4\n", ":3", "needs finetuning_type lora"),
    ("train.yaml", "model_name_or_path: m\ndeepspeed: nowhere/ds.json\n", ":2", "not found"),
    ("ds.json", '{"zero_optimization": {\n  "stage": 5}}', ":2", "0, 1, 2 or 3"),
    ("ds.json", '{"zero_optimization": {"stage": 1,}', ":1", "not valid JSON"),
    ("ds.json", '{"train_micro_batch_size_per_gpu": 4,\n "zero_optimization": {"offload_optimizer": {"device": "gpu"}}}',
     ":2", "none, cpu, nvme"),
    ("config.json", '{"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32}', "config.json",
     "model's config.json"),
    ("notes.yaml", "title: my run\nowner: me\n", "notes.yaml", "not a training config"),
    ("empty.yaml", "", "empty.yaml", "empty"),
    ("list.yaml", "- a\n- b\n", ":1", "found a list"),
]


@pytest.mark.parametrize("name, text, where, what", BAD, ids=[f"{b[0]}-{b[3]}" for b in BAD])
def test_bad_configs_name_file_and_line(tmp_path, name, text, where, what):
    with pytest.raises(TrainingConfigError) as error:
        _read(tmp_path, text, name)
    message = str(error.value)
    assert str(tmp_path / name) in message and where in message and what in message
    assert "\n" not in message


def test_explicit_deepspeed_value_must_agree_with_the_framework(tmp_path):
    (tmp_path / "ds.json").write_text('{\n"train_micro_batch_size_per_gpu": 4\n}')
    with pytest.raises(TrainingConfigError) as error:
        _read(tmp_path, "model_name_or_path: m\nper_device_train_batch_size: 2\ndeepspeed: ds.json\n")
    assert "ds.json:2" in str(error.value) and "train.yaml:2" in str(error.value)
    (tmp_path / "ds.json").write_text('{"train_micro_batch_size_per_gpu": 2}')
    assert _read(tmp_path, "model_name_or_path: m\nper_device_train_batch_size: 2\ndeepspeed: ds.json\n"
                 ).givens["micro_batch"].value == 2


# -- anything at all: a TrainingConfigError or a reading, never another exception -----------------
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_KEYS = st.sampled_from(["model_name_or_path", "base_model", "distributed_type", "zero_optimization", "lora_rank",
                         "per_device_train_batch_size", "deepspeed", "bf16", "adapter", "stage", "fsdp_config",
                         "sequence_len", "lora_target", "quantization_bit", "num_processes", "gradient_checkpointing"])
_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=True)
                       | st.text(max_size=12), lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(_KEYS, inner, max_size=3), max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(_KEYS, _VALUES, max_size=6), as_json=st.booleans())
def test_any_mapping_reads_or_fails_cleanly(tmp_path_factory, data, as_json):
    import json as _json

    import yaml

    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / ("c.json" if as_json else "c.yaml")
    try:
        path.write_text(_json.dumps(data) if as_json else yaml.safe_dump(data), encoding="utf-8")
    except ValueError:
        return
    try:
        read = read_training_config(path)
    except TrainingConfigError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    for filled in read.givens.values():
        assert filled.default or filled.origin.startswith(str(path)) or ":" in filled.origin


def test_liger_fused_cross_entropy_keeps_no_logits(tmp_path):
    # Liger's fused linear cross entropy computes the loss in chunks and never materializes the logits
    # (Hsu et al. 2024, "Liger Kernel", fused linear cross entropy): none of the fp32 loss's 4 B per logit is held
    lf = _read(tmp_path, "model_name_or_path: m\nenable_liger_kernel: true\n")
    assert lf.givens["logit_bytes"].value == 0 and lf.givens["logit_bytes"].origin.endswith(":2")
    assert "logit_bytes" not in _read(tmp_path, "model_name_or_path: m\nenable_liger_kernel: false\n").givens
    ax = _read(tmp_path, "base_model: m\nplugins:\n  - axolotl.integrations.liger.LigerPlugin\n"
                         "liger_fused_linear_cross_entropy: true\n")
    assert ax.givens["logit_bytes"].value == 0 and ax.givens["logit_bytes"].origin.endswith(":4")


def test_a_frozen_base_takes_the_compute_dtype_of_the_flags(tmp_path):
    # LLaMA-Factory loads the model in model_args.compute_dtype: fp16 with fp16: true, bf16 with bf16: true
    fp16 = _read(tmp_path, "model_name_or_path: m\nfinetuning_type: lora\nfp16: true\n")
    assert fp16.givens["base_dtype"].value == "fp16" and fp16.givens["base_dtype"].origin.endswith(":3")
    assert _read(tmp_path, "model_name_or_path: m\nfinetuning_type: lora\nbf16: true\n").givens["base_dtype"].value \
        == "bf16"
    assert "base_dtype" not in _read(tmp_path, "model_name_or_path: m\nfinetuning_type: full\nfp16: true\n").givens
