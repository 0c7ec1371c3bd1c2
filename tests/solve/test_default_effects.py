"""Which defaults shaped an answer (engine/solve/sensitivity.py) and what the brief answer lists first
(engine/cli/commands/solve.shaping_assumptions): a default that moves the answer is said, one that
does not, or a do-nothing value (tp = 1), waits for -v."""
from __future__ import annotations

import pytest

from engine import Engine
from engine.cli.app import main
from engine.cli.commands.solve import BRIEF_ASSUMPTIONS, MATTERS, NEGLIGIBLE, shaping_assumptions
from engine.solve.sensitivity import STEP, convention_effects, default_effects

LORA = dict(model="qwen2.5-7b", method="lora", gpu="A100-80GB", n_gpus="8", seq_len="2048", samples="100k",
            tokens_per_sample="1024", mfu="0.4")
ANALYTIC = dict(model="llama2-13b", gpu="H100-SXM", n_gpus="64", tokens="1T", perf_model="analytic", seq_len="4096")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def _names(items) -> list[str]:
    return [name for name, _, _ in items]


def test_epochs_moves_a_fine_tune_time_one_for_one(engine):
    # tokens = samples × tokens_per_sample × epochs and train_time ∝ tokens at a given mfu:
    # epochs 1 -> 1.1 makes the run 10 % longer (hand calculation)
    result = engine.solve(["train_time"], LORA)
    effects = default_effects(result)
    assert effects["epochs"] == pytest.approx(STEP - 1, rel=1e-9)
    # the forward re-evaluation agrees with solving again with the value typed
    again = engine.solve(["train_time"], dict(LORA, epochs="1.1"))
    assert again.values["train_time"] / result.values["train_time"] - 1 == pytest.approx(effects["epochs"], rel=1e-9)
    # and the brief answer says it (it used to hide "1" as a do-nothing figure)
    assert "epochs" in _names(shaping_assumptions(result))


def test_seed_training_memory_shares(engine):
    # seed §3: 20 B per parameter = weights 4 + gradients 4 + Adam 12 (fp32 copy 4, momentum 4, variance 4):
    # 10 % more gradient bytes is 0.4 / 20 = 2 % more memory; 10 % more optimizer states (2 -> 2.2 values of
    # 4 B) 0.8 / 20 = 4 %
    result = engine.solve(["train_memory"], {"params": "7B"})
    effects = default_effects(result)
    assert effects["bytes_per_grad"] == pytest.approx(0.02, rel=1e-9)
    assert effects["optimizer_state_values"] == pytest.approx(0.04, rel=1e-9)
    # 0 GB of activations matters (the seed's minimum), by an amount a byte more cannot tell
    assert effects["activation_bytes"] is None
    # the conventions speak for their figures, the largest first: the fp32 precision (its 4 B master copy is also the
    # dtype Adam's two states are kept in: 10 % more is 0.4 + 2 · 0.4 = 1.2 / 20 = 6 %), then Adam's states (4 %)
    assert _names(shaping_assumptions(result))[:2] == ["precision", "optimizer"]


def test_global_batch_defaults_are_said_for_a_predicted_time(engine):
    # perf_model=analytic without global_batch: micro_batch 1 × grad_accum 1 × dp 64 = 64 sequences per step,
    # and the exposed gradient reduction is paid per step, so both move the time (by the same amount)
    result = engine.solve(["train_time"], ANALYTIC)
    assert result.values["global_batch"] == 64
    effects = default_effects(result)
    assert effects["micro_batch"] == pytest.approx(effects["grad_accum"], rel=1e-12)
    assert effects["micro_batch"] >= MATTERS
    # a fitted figure: re-evaluated forward == solved again with the nudged value typed
    nudged = engine.solve(["train_time"], dict(ANALYTIC, matmul_shape_factor=str(0.68 * STEP)))
    change = abs(nudged.values["train_time"] / result.values["train_time"] - 1)
    assert effects["matmul_shape_factor"] == pytest.approx(change, rel=1e-9)
    # tp = 1 has no tensor-parallel traffic to overlap; this model has no dropout in the time
    assert effects["tp_overlap"] == 0.0 and effects["dropout"] == 0.0
    shown = _names(shaping_assumptions(result))
    assert len(shown) == BRIEF_ASSUMPTIONS and {"micro_batch", "grad_accum", "matmul_shape_factor"} <= set(shown)
    # a whole-number default is moved to the next whole number (1.1 micro-batches is no run): micro_batch 1 -> 2
    # doubles the sequences per step and halves the exposed reductions, as solving with micro_batch=2 typed says
    doubled = engine.solve(["train_time"], dict(ANALYTIC, micro_batch="2"))
    change = abs(doubled.values["train_time"] / result.values["train_time"] - 1)
    assert effects["micro_batch"] == pytest.approx(change, rel=1e-9)
    # ranked by effect: the two batch defaults first, then comm_overlap (dp_overlap 0.75 -> 0.825 moves the time
    # less than a doubled batch, more than every other figure)
    assert set(shown[:2]) == {"micro_batch", "grad_accum"} and shown[2] == "comm_overlap"
    assert effects["micro_batch"] > effects["dp_overlap"] > effects["matmul_shape_factor"]
    assert not {"tp", "pp", "vpp", "tp_overlap", "dropout"} & set(shown)   # do-nothing or no effect


def test_do_nothing_values_wait_for_verbose_even_when_they_move_the_answer(engine):
    # tp = 1 moves the memory of this layout (activations / tp), but it is the do-nothing value of
    # formulas/activations.yaml (neutral: 1): the brief answer leaves it to -v
    result = engine.solve(["memory_fill"], dict(model="llama2-7b", gpu="A800", precision="mixed-bf16",
                                                zero_stage="3", n_gpus="8", seq_len="4096", micro_batch="64"))
    assert default_effects(result)["tp"] > MATTERS
    assert result.rules.variables["tp"].neutral == 1
    shown = _names(shaping_assumptions(result))
    assert "tp" not in shown and "attention_kernel" in shown   # flash: no s×s scores stored (its figure moves it)
    assert "tp" in _names(result.assumptions)


def test_brief_output_names_epochs(capsys):
    question = ["solve", "train_time", *[f"{k}={v}" for k, v in LORA.items()]]
    assert main(question) == 0
    lines = capsys.readouterr().out.splitlines()
    shown = lines[lines.index("Assumptions that shaped the answer:") + 1:]
    assert any(line.startswith("  epochs = 1 ") for line in shown)


def test_json_gives_each_numeric_default_its_effect(capsys):
    import json

    assert main(["solve", "train_time", *[f"{k}={v}" for k, v in LORA.items()], "--json"]) == 0
    assumptions = {a["name"]: a for a in json.loads(capsys.readouterr().out)["assumptions"]}
    assert assumptions["epochs"]["effect"] == pytest.approx(STEP - 1, rel=1e-9)   # one for one (above)
    assert "effect" not in assumptions["lora_targets"]                            # a convention: no number


def _brief_names(capsys, givens: dict) -> list[str]:
    assert main(["solve", "memory_per_gpu", *[f"{k}={v}" for k, v in givens.items()]]) == 0
    lines = capsys.readouterr().out.splitlines()
    shown = lines[lines.index("Assumptions that shaped the answer:") + 1:]
    return [line.split(" = ")[0].strip() for line in shown if line.startswith("  ") and " = " in line
            and not line.strip().startswith("(")]


def test_a_convention_whose_other_values_give_the_same_answer_waits_for_verbose(engine, capsys):
    # sequence parallelism splits the activations over the tensor-parallel group (Korthikanti et al. 2022
    # §4.2.2): with tp = 1 there is no group, so sequence_parallel=on gives the same memory; with tp = 2 it
    # halves the activations outside the attention and MLP blocks
    base = dict(model="llama2-7b", gpu="A800", precision="mixed-bf16", n_gpus="8", seq_len="4096", micro_batch="4")
    one = engine.solve(["memory_per_gpu"], base)
    assert convention_effects(engine, one, base)["sequence_parallel"] == 0.0
    assert "sequence_parallel" not in _brief_names(capsys, base)
    two = {**base, "tp": "2"}
    assert convention_effects(engine, engine.solve(["memory_per_gpu"], two), two)["sequence_parallel"] > NEGLIGIBLE
    assert "sequence_parallel" in _brief_names(capsys, two)
