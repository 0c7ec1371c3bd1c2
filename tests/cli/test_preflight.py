"""`config=PATH` as a given and `llmplan preflight` (issue #17), end to end.

The hand calculation below gives explicitly every given the answer depends on that another branch
may change the default of (activations, overhead, mfu), so that it checks the reading and the
arithmetic, not today's defaults.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from engine.errors import ContradictionError
from engine.io.training_config import TrainingConfigError
from engine.cli.commands.preflight import render_text
from engine.cli.preflight import preflight
from engine.solve.solver import Engine
from tests.conftest import run_llmplan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "training_configs"
LF = FIXTURES / "llamafactory"
LORA = "examples/train_lora/llama3_lora_sft.yaml"
FULL = "examples/train_full/llama3_full_sft.yaml"

# Llama 3 8B from its config.json (layers 32, hidden 4096, 32 heads, 8 KV heads of 128, MLP 14336,
# vocabulary 128256, untied): per layer q 4096·4096 + k, v 4096·1024 each + o 4096·4096 = 41,943,040;
# MLP 3·4096·14336 = 176,160,768; two RMSNorms 2·4096 = 8,192 -> 218,112,000; × 32 = 6,979,584,000;
# embeddings + lm_head 2·128256·4096 = 1,050,673,152; final norm 4,096 -> 8,030,261,248 parameters.
LLAMA3_8B = 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336 + 2 * 4096) + 2 * 128256 * 4096 + 4096


def test_llama3_8b_count_by_hand():
    assert LLAMA3_8B == 8_030_261_248     # Meta's published count for Llama 3 8B


@pytest.fixture
def in_lf(monkeypatch):
    monkeypatch.chdir(LF)      # upstream paths (`deepspeed: examples/deepspeed/...`) are relative to the repo root


def test_memory_per_gpu_by_hand(bundled_engine, in_lf):
    """llama3_full_sft.yaml + ds_z3_config.json on 2 × A800 (80 GB datasheet).

    From the files: finetuning_type full (line 9), bf16 (line 37) -> mixed precision, AdamW (Transformers
    default adamw_torch), ZeRO stage 3 (ds_z3_config.json:19). Model states per parameter: 2 B bf16 weights +
    4 B gradients (DeepSpeed's optimizer keeps an fp32 gradient partition: stage3.py, and its estimator's
    18 B per parameter) + 12 B Adam (4 B fp32 master + 4 B momentum + 4 B variance) = 18 B;
    ZeRO-3 splits all of them over dp = 2 GPUs:
        18 × 8,030,261,248 / 2 = 72,272,351,232 B
    and gathers the largest module whole on each GPU, its bf16 weights and gradient (DeepSpeed stage3.py
    estimate_zero3_model_states_mem_needs, largest_layer_memory = 4 × largest_layer_params; Llama-3-8B's embedding
    and LM head are 128,256 × 4,096 = 525,336,576 parameters each):
        4 × 525,336,576 = 2,101,346,304 B
    The parameter count is given as counted by hand above (the catalog keeps a rounded 8B), activations
    and overhead explicitly: 1.5 GB + 1 GB
        memory per GPU = 72,272,351,232 + 2,101,346,304 + 1,500,000,000 + 1,000,000,000 = 76,873,697,536 B
        headroom = 80,000,000,000 − 76,873,697,536 = 3,126,302,464 B
    """
    check = preflight(bundled_engine, [FULL], {"model": "llama3-8b", "gpu": "A800", "n_gpus": "2",
                                               "params": str(LLAMA3_8B), "activation_bytes_per_gpu": "1.5GB",
                                               "memory_overhead": "1GB", "mfu": "0.5"})
    assert check.memory_per_gpu == pytest.approx(76_873_697_536, rel=1e-12)
    assert check.fits and check.headroom == pytest.approx(3_126_302_464, rel=1e-12)
    states = sum(check.breakdown()[n] for n in ("weights_bytes_per_gpu", "grads_bytes_per_gpu",
                                                 "optimizer_bytes_per_gpu"))
    assert states == pytest.approx(18 * LLAMA3_8B / 2 + 4 * 128_256 * 4_096, rel=1e-12)
    # steps: max_samples 1000 × 2 datasets (line 16, dataset line 13), unpacked -> 2,000 sequences;
    # global batch = per_device 1 (line 31) × accumulation 2 (line 32) × dp 2 = 4 -> 500 steps per epoch
    assert check.steps_per_epoch == 500
    # one epoch: 2,000 × 2,048 (cutoff_len, line 15) = 4,096,000 tokens; full recompute (LLaMA-Factory's
    # gradient checkpointing) = 8·N·D (seed §4b) = 8 × 8,030,261,248 × 4,096,000 FLOP;
    # 2 × 312 TFLOPS (A800 bf16 dense) × mfu 0.5 -> 843.4 s
    assert check.epoch_time == pytest.approx(8 * LLAMA3_8B * 4_096_000 / (2 * 312e12 * 0.5), rel=1e-9)
    assert not check.mfu_assumed and check.changes == []


def test_user_values_win_and_origins_are_kept(bundled_engine, in_lf):
    result = bundled_engine.solve(["memory_per_gpu"], {"config": LORA, "model": "llama3-8b", "gpu": "A800",
                                                       "n_gpus": 1, "lora_rank": "16"})
    assert result.values["lora_rank"] == 16 and result.status["lora_rank"] == "given"
    assert result.values["micro_batch"] == 1 and result.status["micro_batch"] == "config"
    assert result.origins["micro_batch"] == f"{LORA}:32"
    assert result.config["overridden"] == {"lora_rank": f"{LORA}:10", "model": f"{LORA}:3"}
    data = result.to_json()
    assert data["values"]["seq_len"]["origin"] == f"{LORA}:16" and data["values"]["seq_len"]["value"] == 2048
    assert data["config"]["origins"]["method"] == {"origin": f"{LORA}:9", "key": "finetuning_type", "default": False}
    assert any(i.startswith("learning_rate (") for i in data["config"]["ignored"])


def test_a_hugging_face_id_resolves_through_catalog_aliases(bundled_engine, tmp_path):
    # axolotl's llama-3/qlora.yml names NousResearch/Meta-Llama-3-8B; the catalog aliases meta-llama-3-8b
    path = FIXTURES / "axolotl/examples/llama-3/qlora.yml"
    result = bundled_engine.solve(["arch_params"], {"config": str(path)})
    assert result.keys["model"] == "llama3-8b" and result.values["arch_params"] == LLAMA3_8B
    assert result.origins["model"] == f"{path}:2"


def test_a_local_model_folder_is_read_offline(bundled_engine, tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32,
        "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256, "tie_word_embeddings": False}))
    (tmp_path / "train.yaml").write_text(f"model_name_or_path: {folder}\nfinetuning_type: lora\n")
    result = bundled_engine.solve(["arch_params"], {"config": str(tmp_path / "train.yaml")})
    assert result.values["arch_params"] == LLAMA3_8B


def test_an_unknown_model_id_says_how_to_give_the_architecture(bundled_engine, tmp_path):
    (tmp_path / "train.yaml").write_text("model_name_or_path: example-org/not-a-model-7b\n")
    with pytest.raises(TrainingConfigError) as error:
        bundled_engine.solve(["memory_per_gpu"], {"config": str(tmp_path / "train.yaml"), "gpu": "A800"})
    message = str(error.value)
    assert f"{tmp_path / 'train.yaml'}:1" in message and "model=PATH/config.json" in message
    # typing the architecture instead is enough
    result = bundled_engine.solve(["trainable_params"], {"config": str(tmp_path / "train.yaml"), "model": "llama3-8b"})
    assert result.values["trainable_params"] > 0


def test_values_llmplan_cannot_model_are_errors_unless_typed(bundled_engine, tmp_path):
    (tmp_path / "train.yaml").write_text("model_name_or_path: m\nlora_target: q_proj,gate_proj\n")
    givens = {"config": str(tmp_path / "train.yaml"), "model": "llama3-8b"}
    with pytest.raises(TrainingConfigError) as error:
        bundled_engine.solve(["lora_params"], givens)
    assert f"{tmp_path / 'train.yaml'}:2" in str(error.value) and "lora_targets=" in str(error.value)
    assert bundled_engine.solve(["lora_params"], {**givens, "lora_targets": "qkvo"}).keys["lora_targets"] == "qkvo"


def test_a_value_outside_its_domain_names_the_file(bundled_engine, tmp_path):
    (tmp_path / "ds.json").write_text('{\n  "train_batch_size": 0\n}')
    with pytest.raises(TrainingConfigError) as error:
        bundled_engine.solve(["memory_per_gpu"], {"config": str(tmp_path / "ds.json"), "model": "llama3-8b"})
    assert f"{tmp_path / 'ds.json'}:2" in str(error.value)


def test_two_files_state_their_own_parts(bundled_engine, in_lf):
    """A LLaMA-Factory YAML and an accelerate config: n_gpus and FSDP come from the second file."""
    result = bundled_engine.solve(["memory_per_gpu"], {"config": f"{LORA},examples/accelerate/fsdp_config.yaml",
                                                       "model": "llama3-8b", "gpu": "A800"})
    assert result.values["n_gpus"] == 2 and result.origins["n_gpus"] == "examples/accelerate/fsdp_config.yaml:20"
    assert result.keys["zero_stage"] == "3"          # FULL_SHARD beats the YAML's "no deepspeed" default


def test_preflight_ranks_changes_that_fit(bundled_engine, in_lf):
    """Full fine-tune of Llama 3 8B on one 24 GB RTX 4090: 16 B/parameter of model states alone is
    128 GB, so it cannot fit; every proposed change that fits must fit when asked again."""
    check = preflight(bundled_engine, [FULL], {"model": "llama3-8b", "gpu": "RTX-4090", "n_gpus": "1"})
    assert not check.fits and check.memory_per_gpu > 16 * LLAMA3_8B
    assert check.max_micro_batch is None
    fitting = [c for c in check.changes if c.fits]
    assert fitting and all(c.memory_fill <= 1 for c in fitting)
    assert check.changes[: len(fitting)] == fitting           # ranked: those that fit first
    ranked_methods = [c.givens.get("method") for c in fitting]
    assert ranked_methods.index("qlora") > 0                  # the same training (offload) before QLoRA
    for change in fitting:
        again = bundled_engine.solve(["memory_fill"], {**{k: v for k, v in check.givens.items()}, **change.givens})
        assert again.values["memory_fill"] == pytest.approx(change.memory_fill, rel=1e-9)
        assert again.values["memory_fill"] <= 1


def test_largest_micro_batch_fits_and_one_more_does_not(bundled_engine, in_lf):
    check = preflight(bundled_engine, [LORA], {"model": "llama3-8b", "gpu": "A800"})
    best = check.max_micro_batch
    assert best and best >= 1
    fill = lambda b: bundled_engine.solve(["memory_fill"], {**check.givens, "micro_batch": b}).values["memory_fill"]  # noqa: E731
    assert fill(best) <= 1 < fill(best + 1)
    assert ("n_gpus", "1", "no --n-gpus and no accelerate num_processes in the config") in check.assumed
    assert check.mfu_assumed and check.mfu == 0.4


# -- the command ---------------------------------------------------------------------------------
def test_cli_preflight_json(tmp_path):
    report = tmp_path / "pre.md"
    out = run_llmplan("preflight", LORA, "model=llama3-8b", "--gpu", "A800", "--n-gpus", "2", "--json",
                      "--report", str(report), cwd=LF)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["fits"] is True and data["headroom"] == pytest.approx(data["usable_gpu_memory"] - data["memory_per_gpu"])
    assert math.isclose(sum(data["breakdown"].values()), data["memory_per_gpu"], rel_tol=1e-9)
    assert data["answer"]["values"]["grad_accum"]["origin"] == f"{LORA}:33"
    assert data["steps_per_epoch"] == 2000 / (1 * 8 * 2)
    assert data["mfu_assumed"] is True
    text = report.read_text(encoding="utf-8").replace("\\_", "_")
    assert f"{LORA}:33" in text and "FITS" in text                     # the report shows where grad_accum came from


def test_cli_preflight_text_shows_verdict_and_origins():
    out = run_llmplan("preflight", FULL, "--gpu", "RTX-4090", "model=llama3-8b", cwd=LF)   # options anywhere
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("DOES NOT FIT")
    assert f"[{FULL}:9]" in out.stdout and "examples/deepspeed/ds_z3_config.json:19" in out.stdout
    assert "mfu 0.4 assumed" in out.stdout


@pytest.mark.parametrize("text, fragment", [
    ('{"model_type": "llama", "hidden_size": 8}', "model's config.json"),
    ("model_name_or_path: m\ncutoff_len: lots\n", ":2"),
    ("model_name_or_path: m\ndeepspeed: missing.json\n", ":2"),
    ("model_name_or_path: m\n\tlora_rank: 8\n", "not valid YAML"),
])
def test_cli_bad_config_exit_2_one_line_nothing_written(tmp_path, text, fragment):
    path = tmp_path / ("config.json" if text.startswith("{") else "train.yaml")
    path.write_text(text)
    report = tmp_path / "report.html"
    out = run_llmplan("preflight", str(path), "model=llama3-8b", "--gpu", "A800", "--report", str(report))
    assert out.returncode == 2
    assert fragment in out.stderr and str(path) in out.stderr
    assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr
    assert not report.exists() and out.stdout == ""


def test_cli_solve_with_config():
    out = run_llmplan("solve", "memory_per_gpu", f"config={LORA}", "model=llama3-8b", "gpu=A800", "n_gpus=1", cwd=LF)
    assert out.returncode == 0, out.stderr
    assert f"micro_batch = 1  [{LORA}:32]" in out.stdout


# -- a `config` column in a scenario table ---------------------------------------------------------
def test_config_column_fills_each_rows_empty_cells(in_lf, tmp_path):
    import polars as pl

    from engine.table.frames import run_frame

    unknown = tmp_path / "unknown_model.yaml"     # a model id the catalog does not alias
    unknown.write_text("### model\nmodel_name_or_path: some-org/not-a-known-model\nfinetuning_type: lora\n",
                       encoding="utf-8")
    frame = pl.DataFrame({
        "name": ["lora", "full, typed micro-batch", "no config", "missing file", "model from the config",
                 "unknown model"],
        "config": [LORA, FULL, None, "nope.yaml", LORA, str(unknown)],
        "model": ["llama3-8b"] * 4 + [None, None], "gpu": ["A800"] * 6, "n_gpus": [1, 2, 1, 1, 1, 1],
        "micro_batch": [None, 4, 2, None, None, None], "solve": ["memory_per_gpu"] * 6})
    results = run_frame(frame).results
    memory = results.get_column("memory_per_gpu [GB]").to_list()
    errors = results.get_column("error").to_list()
    origins = results.get_column("config origins").to_list()
    # each config row equals the same question asked with config= on the command line
    from engine.solve.solver import Engine

    engine = Engine.load()
    lora = engine.solve(["memory_per_gpu"], {"config": LORA, "model": "llama3-8b", "gpu": "A800", "n_gpus": 1})
    full = engine.solve(["memory_per_gpu"], {"config": FULL, "model": "llama3-8b", "gpu": "A800", "n_gpus": 2,
                                             "micro_batch": 4})
    assert memory[0] * 1e9 == pytest.approx(lora.values["memory_per_gpu"], rel=1e-12)
    assert memory[1] * 1e9 == pytest.approx(full.values["memory_per_gpu"], rel=1e-12)
    assert f"micro_batch ({LORA}:32)" in origins[0] and "micro_batch (" not in origins[1]   # typed wins
    assert "zero_stage (examples/deepspeed/ds_z3_config.json:19)" in origins[1]
    assert origins[2] is None and errors[2] is None
    assert "column 'config'" in errors[3] and "nope.yaml" in errors[3]
    # the config's model_name_or_path meta-llama/Meta-Llama-3-8B-Instruct is an alias of llama3-8b (issue #14)
    assert errors[4] is None and memory[4] == memory[0]
    assert f"{unknown}:2" in errors[5] and "model=PATH/config.json" in errors[5]    # no model llmplan knows


def test_cli_preflight_needs_a_gpu():
    out = run_llmplan("preflight", LORA, "model=llama3-8b", cwd=LF)
    assert out.returncode == 2 and "--gpu" in out.stderr and out.stdout == ""


def test_preflight_speaks_chinese(bundled_engine, in_lf):
    check = preflight(bundled_engine, [FULL], {"model": "llama3-8b", "gpu": "RTX-4090"}, lang="zh")
    assert check.max_micro_batch_note == "连 micro_batch = 1 也放不下"
    assert any("改变了训练内容" == c.note for c in check.changes)


def test_a_smaller_micro_batch_keeps_the_global_batch(bundled_engine, in_lf):
    # per_device 8 × accumulation 8 (line 33) = 64 sequences per GPU per step at cutoff 2048 on 24 GB (at 4096
    # not even micro_batch 1 fits: the loss's backward holds 3 × 4 B × 4096 × 128,256 vocabulary = 6.3 GB)
    check = preflight(bundled_engine, [LORA], {"model": "llama3-8b", "gpu": "RTX-4090", "micro_batch": "8",
                                               "seq_len": "2048"})
    assert not check.fits
    change = next(c for c in check.changes if "micro_batch" in c.givens)
    assert change.givens["micro_batch"] * change.givens["grad_accum"] == 64
    assert change.givens["micro_batch"] <= check.max_micro_batch and change.fits


@pytest.mark.parametrize("gpu, fewest", [("A100-80GB", 2), ("RTX-4090", 9)])
def test_the_fewest_gpus_that_fit_are_proposed(bundled_engine, in_lf, gpu, fewest):
    """llama3_full_sft.yaml with ds_z3_config.json on one GPU (n_gpus assumed): ZeRO-3 splits the 18 B per
    parameter of model states (bf16 weights 2 + DeepSpeed's fp32 gradient partition 4 + Adam 12, as its
    estimator counts) over the GPUs, the ~2 GB of activations stay on each, and so do the loss's two fp32
    logit-sized gradients (sharded gradients do not offset them: 2 × 4 B × 2,048 × 128,256 = 2.1 GB), and so does
    the module ZeRO-3 gathers whole with its gradient (DeepSpeed's largest_layer_memory, 4 B × 128,256 × 4,096 =
    2.1 GB). By hand, with the catalog's 8.0e9 parameters: 18 × 8.0e9 = 144 GB; on 80 GB GPUs 144 / 2 = 72 GB +
    2.1 GB + 4.1 GB fits, one GPU does not; on 24 GB GPUs 144 / 9 = 16 GB + 2.1 GB + 4.1 GB = 22.2 GB fits,
    144 / 8 = 18 GB + 2.1 GB + 4.1 GB = 24.2 GB does not."""
    check = preflight(bundled_engine, [FULL], {"gpu": gpu})
    assert not check.fits
    more = [c for c in check.changes if c.kind == "gpus"]
    assert len(more) == 1 and more[0].givens == {"n_gpus": fewest, "zero_stage": "3"} and more[0].fits
    asked = {k: v for k, v in check.givens.items() if k not in ("memory_fill", "n_gpus")}
    fill = lambda n: bundled_engine.solve(["memory_fill"], {**asked, "n_gpus": n}).values["memory_fill"]  # noqa: E731
    assert fill(fewest) <= 1 < fill(fewest - 1)
    # `fewest` times the GPUs for the same sequences per epoch: the epoch takes 1/fewest of the time
    assert more[0].epoch_time == pytest.approx(check.epoch_time / fewest, rel=1e-9)
    # ranked after the changes that fit on the GPUs there are, before changing what is trained (LoRA)
    kinds = [c.kind for c in check.changes if c.fits]
    assert kinds.index("gpus") > kinds.index("offload") and kinds.index("gpus") < kinds.index("method")


def test_the_epoch_hint_asks_for_what_is_missing(bundled_engine, in_lf):
    """A DeepSpeed file has no data section: the steps per epoch need the examples and, packed (the
    default), their mean length. samples typed: the hint asks for tokens_per_sample or packing=off, not
    for samples again. With packing=off the steps follow; the file's batch sizes are "auto", so the
    defaults micro_batch = grad_accum = 1 stand: 10,000 / (1 × 1 × 8 GPUs) = 1,250 steps."""
    typed = {"model": "llama3-8b", "gpu": "A800", "n_gpus": "8", "seq_len": "2048"}
    ds = "examples/deepspeed/ds_z3_config.json"
    bare = preflight(bundled_engine, [ds], typed)
    assert "samples=N" in bare.time_note and math.isnan(bare.steps_per_epoch)
    given = preflight(bundled_engine, [ds], {**typed, "samples": "10k"})
    assert "tokens_per_sample=N" in given.time_note and "samples=N" not in given.time_note
    assert "packing=off" in given.time_note and math.isnan(given.steps_per_epoch)
    unpacked = preflight(bundled_engine, [ds], {**typed, "samples": "10k", "packing": "off"})
    assert unpacked.steps_per_epoch == 1_250


def test_every_value_used_is_listed_with_where_it_came_from(bundled_engine, in_lf):
    """A DeepSpeed file says nothing of recomputation or the model: the values typed on the command line
    and llmplan's own defaults that shaped the memory (recompute = none keeps every activation) are
    listed beside the file's lines, as README promises ("every value it used")."""
    from engine.cli.commands.preflight import render_text
    check = preflight(bundled_engine, ["examples/deepspeed/ds_z3_config.json"],
                      {"model": "llama3-8b", "gpu": "A800", "n_gpus": "8", "seq_len": "2048"})
    listed = render_text(bundled_engine, check).split("Read from:")[1]
    assert "zero_stage = 3  [" in listed and "ds_z3_config.json" in listed     # the file's line
    assert "model = llama3-8b  [typed]" in listed and "gpu = A800  [typed]" in listed
    assert "recompute = none  [llmplan default:" in listed
    # "bf16": {"enabled": "auto"} leaves the precision to the trainer: the seed's recipe stands, and says so
    assert "precision = seed-fp32  [llmplan default:" in listed
    # a figure a listed convention implies is not listed again (offload = none's offload_grads = 0)
    assert "offload_grads" not in listed


def test_a_fit_with_under_2_gb_left_is_called_tight_unless_an_overhead_is_counted(bundled_engine, in_lf):
    """As test_memory_per_gpu_by_hand: 18 B × 8,030,261,248 / 2 GPUs = 72,272,351,232 B of model states, + the
    gathered embedding with its gradient, 4 B × 525,336,576 = 2,101,346,304 B; with 4.5 GB of activations and no
    overhead: 78,873,697,536 B of 80 GB, 1.13 GB left, under the ~2 GB
    the CUDA context, NCCL and fragmentation take (memory_overhead's source). Counted (1 GB), it is a plain fit."""
    from engine.cli.commands.preflight import render_text
    typed = {"model": "llama3-8b", "gpu": "A800", "n_gpus": "2", "params": str(LLAMA3_8B),
             "activation_bytes_per_gpu": "4.5GB", "mfu": "0.5"}
    check = preflight(bundled_engine, [FULL], typed)
    assert check.memory_per_gpu == pytest.approx(78_873_697_536, rel=1e-12)
    assert check.fits and check.tight and check.to_json()["tight"] is True
    assert render_text(bundled_engine, check).splitlines()[0].endswith("(tight: under 2 GB left for the CUDA context, "
                                                                         "NCCL buffers and fragmentation, which llmplan "
                                                                         "does not count unless you give "
                                                                         "memory_overhead=...)")
    counted = preflight(bundled_engine, [FULL], {**typed, "memory_overhead": "1GB"})
    assert counted.fits and not counted.tight and "tight" not in render_text(bundled_engine, counted).splitlines()[0]


def test_a_change_that_saves_next_to_nothing_is_not_offered(bundled_engine):
    """LoRA on Llama 2 70B on one 24 GB card: the frozen bf16 base is 2 B × 68.98e9 = 138 GB; offloading the
    adapters' optimizer states (~0.13 GB: rank 8 on q and v, 80 layers × 2 × 8 × (8192 + 8192 or 1024)
    parameters × 12 B) saves 0.1 % and still does not fit: no advice. Splitting the base does help."""
    check = preflight(bundled_engine, [], {"model": "llama2-70b", "gpu": "RTX-4090", "method": "lora"})
    assert not check.fits and check.memory_per_gpu > 2 * 68.9e9
    assert all(c.fits or c.memory_per_gpu <= 0.99 * check.memory_per_gpu for c in check.changes)
    assert not any(c.givens.get("offload") == "optimizer" for c in check.changes)
    assert any(c.fits and c.givens.get("zero_stage") == "3" for c in check.changes)


def test_a_deepspeed_batch_that_does_not_add_up_is_refused_naming_its_lines(bundled_engine, tmp_path):
    """train_batch_size 256 against 4 per GPU × 8 accumulation × 16 GPUs = 512: DeepSpeed stops at start-up
    (train_batch_size must equal micro × accumulation × world size). A ZeRO config has no tensor or
    pipeline parallelism, so llmplan must not explain the gap with tp = 2: it refuses, naming the file's
    lines behind the values."""
    config = tmp_path / "ds.json"
    config.write_text('{\n  "train_batch_size": 256,\n  "train_micro_batch_size_per_gpu": 4,\n'
                      '  "gradient_accumulation_steps": 8,\n  "bf16": {"enabled": true},\n'
                      '  "zero_optimization": {"stage": 2}\n}\n', encoding="utf-8")
    with pytest.raises(ContradictionError) as caught:
        preflight(bundled_engine, [str(config)], {"model": "llama3-8b", "gpu": "A800", "n_gpus": "16",
                                                   "seq_len": "4096"})
    message = str(caught.value)
    assert "ds.json:2 train_batch_size" in message and "ds.json:3 train_micro_batch_size_per_gpu" in message
    assert "tp = 1" in message
    # the same file on 8 GPUs adds up (4 × 8 × 8 = 256) and is answered with tp = 1
    check = preflight(bundled_engine, [str(config)], {"model": "llama3-8b", "gpu": "A800", "n_gpus": "8",
                                                       "seq_len": "4096"})
    assert check.result.values["tp"] == 1 and check.result.values["dp"] == 8


def test_a_workbooks_relative_paths_are_read_from_its_folder(tmp_path, monkeypatch):
    """A workbook names `lora.yaml` and `llama/config.json` beside it: run from another folder, they were
    looked up in the working directory and every row failed ("no such file"). They are read from the
    workbook's folder, as a spreadsheet's links are; the same question in that folder gives the same."""
    import polars as pl

    from engine.cli import main

    book = tmp_path / "plans"
    (book / "llama").mkdir(parents=True)
    (book / "lora.yaml").write_text("model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct\n"
                                    "finetuning_type: lora\ncutoff_len: 1024\n", encoding="utf-8")
    (book / "llama" / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
        "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
        "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 8192,
        "tie_word_embeddings": False}), encoding="utf-8")
    (book / "rows.csv").write_text("name,solve,config,model,gpu\nlora,memory_per_gpu,lora.yaml,,A800\n"
                                   "params,params,,llama/config.json,A800\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["run", str(book / "rows.csv"), "-o", str(elsewhere / "out.csv")]) == 0
    out = pl.read_csv(elsewhere / "out.csv")
    assert out["error"].null_count() == 2
    assert out["params"][1] == LLAMA3_8B        # counted from the config.json beside the workbook
    monkeypatch.chdir(book)
    here = Engine.load().solve(["memory_per_gpu"], {"config": "lora.yaml", "gpu": "A800"})
    assert out["memory_per_gpu [GB]"][0] * 1e9 == pytest.approx(here.values["memory_per_gpu"], rel=1e-12)


def test_the_whole_run_follows_max_steps_or_the_epochs(bundled_engine, tmp_path):
    """A LLaMA-Factory file with max_steps: 1000 stops there whatever num_train_epochs says (TrainingArguments):
    the run's time is the epoch's × 1,000 / steps per epoch, and the text says max_steps; without it, the
    epochs given (LLaMA-Factory default 3.0) make the run."""
    base = "model_name_or_path: Qwen/Qwen2.5-7B-Instruct\nfinetuning_type: lora\ncutoff_len: 1024\n"
    capped, plain = tmp_path / "capped.yaml", tmp_path / "plain.yaml"
    capped.write_text(base + "max_steps: 1000\n", encoding="utf-8")
    plain.write_text(base + "num_train_epochs: 3\n", encoding="utf-8")
    typed = {"gpu": "A800", "samples": "200k"}
    stopped = preflight(bundled_engine, [str(capped)], typed)
    assert stopped.run_steps == 1000
    assert stopped.run_time == pytest.approx(stopped.epoch_time * 1000 / stopped.steps_per_epoch, rel=1e-12)
    assert "max_steps = 1,000" in render_text(bundled_engine, stopped)
    whole = preflight(bundled_engine, [str(plain)], typed)
    assert whole.run_epochs == 3 and whole.run_time == pytest.approx(3 * whole.epoch_time, rel=1e-12)
    zh = render_text(bundled_engine, preflight(bundled_engine, [str(plain)], typed, "zh"), "zh")
    assert "整个训练 (3 个 epoch)" in zh and " h" not in zh.split("整个训练")[1].split("\n")[0]


def test_an_analytic_preflight_says_the_mfu_it_predicts(bundled_engine, tmp_path):
    config = tmp_path / "pt.yaml"
    config.write_text("model_name_or_path: Qwen/Qwen2.5-1.5B\nstage: pt\nfinetuning_type: full\ncutoff_len: 2048\n"
                      "bf16: true\nper_device_train_batch_size: 4\ngradient_accumulation_steps: 8\n", encoding="utf-8")
    check = preflight(bundled_engine, [str(config)], {"gpu": "A100-80GB-SXM", "n_gpus": "64", "samples": "1M",
                                                      "tokens_per_sample": "2048", "perf_model": "analytic"})
    assert check.mfu_predicted and not check.mfu_assumed and 0 < check.mfu < 1
    # the same mfu as the question asked on its own (the epoch's tokens at that layout)
    tokens = check.sequences_per_epoch * 2048
    alone = bundled_engine.solve(["mfu"], {"config": str(config), "gpu": "A100-80GB-SXM", "n_gpus": 64,
                                           "tokens": tokens, "perf_model": "analytic"})
    assert check.mfu == pytest.approx(alone.values["mfu"], rel=1e-9)
    assert "mfu" in render_text(bundled_engine, check) and "predicted" in render_text(bundled_engine, check)


def test_preflight_shows_the_warnings_beyond_the_fit(bundled_engine, tmp_path):
    """bf16: true on a V100 (no bf16 tensor cores: Transformers stops at start-up) fits in memory; the verdict
    alone read as "go"."""
    config = tmp_path / "lora.yaml"
    config.write_text("model_name_or_path: Qwen/Qwen2.5-7B-Instruct\nfinetuning_type: lora\nbf16: true\n"
                      "per_device_train_batch_size: 1\ncutoff_len: 1024\n", encoding="utf-8")
    check = preflight(bundled_engine, [str(config)], {"gpu": "V100-SXM2-32GB", "samples": "10k"})
    shown = render_text(bundled_engine, check)
    assert check.fits and "hardware.no_bf16" not in shown and "has no bf16" in shown
    fp16 = tmp_path / "fp16.yaml"
    fp16.write_text(config.read_text(encoding="utf-8").replace("bf16: true", "fp16: true"), encoding="utf-8")
    assert "has no bf16" not in render_text(bundled_engine, preflight(bundled_engine, [str(fp16)],
                                                                      {"gpu": "V100-SXM2-32GB", "samples": "10k"}))


def test_an_unpacked_epoch_counts_each_micro_batch_padded_to_its_longest_sample(bundled_engine, in_lf):
    # llama3_lora_sft.yaml trains one sample per micro-batch (per_device_train_batch_size 1) without packing: the
    # collator pads a micro-batch to its longest sample, so a batch of one has no padding and 512-token samples
    # compute 512 tokens per sequence, not cutoff_len's 2,048. The same sequences, a quarter of the tokens: the
    # epoch (whose FLOPs are linear in the tokens) takes 512 / 2,048 of the time pad_to=max_length gives.
    givens = {"gpu": "A100-80GB", "samples": "10000", "tokens_per_sample": "512", "micro_batch": "1"}
    longest = preflight(bundled_engine, [LORA], givens)
    padded = preflight(bundled_engine, [LORA], {**givens, "pad_to": "max_length"})
    assert longest.sequences_per_epoch == padded.sequences_per_epoch == 10_000
    assert longest.epoch_time == pytest.approx(padded.epoch_time * 512 / 2048, rel=1e-9)
    assert "512 tokens computed per sequence" in longest.time_note
    assert "pad_to=max_length" in padded.time_note and "upper bound" not in padded.time_note   # (chosen: exact)
