"""Natural perf_model=analytic questions answer (issue #16 after the planner semantics of #13).

`solve train_time mfu model=llama2-7b tokens=2T gpu=A800 n_gpus=64 perf_model=analytic seq_len=4096
global_batch=1024` used to fail with "the givens imply tp_comm_bytes = -128.8": the defaults were taken in
alphabetical order, so grad_accum = 1 and micro_batch = 1 made dp = 1024 out of global_batch, and
dp = n_gpus / (tp · pp) then solved tp = 1/16. Megatron-LM derives the micro-batch count from global_batch
(num_microbatches = global_batch / (micro_batch · dp)); the default ranks (formulas/batching.yaml,
activations.yaml) now do the same. These tests ask the question over a grid of layouts and check each answer
by hand: steps = tokens / (global_batch · seq_len), train_time = steps · step_time, and
mfu = 6 · N · step_tokens / (n_gpus · peak · step_time) (seed §2, §4b; PaLM App. B)."""
from __future__ import annotations

import itertools

import pytest

from engine import Engine

ENGINE = Engine.load()
TOKENS = 2e12
SEQ = 4096
BATCH = 1024
STEPS = TOKENS / (BATCH * SEQ)            # hand: 2e12 / 4,194,304 = 476,837.16 optimizer steps
BASE = {"perf_model": "analytic", "tokens": "2T", "seq_len": SEQ, "global_batch": BATCH}


def ask(**givens):
    return ENGINE.solve(["train_time", "mfu"], {**BASE, **givens})


def check_by_hand(result, n_gpus: int, flops_factor: float = 6.0) -> None:
    v = result.values
    assert 0 < v["mfu"] <= 1
    assert v["step_time"] * STEPS == pytest.approx(v["train_time"], rel=1e-9)
    # the layout behind the answer is whole: dp = n_gpus / (tp · pp), grad_accum = global_batch / (b · dp)
    assert v["dp"] * v["tp"] * v["pp"] == pytest.approx(n_gpus)
    assert v["micro_batch"] * v["grad_accum"] * v["dp"] == pytest.approx(BATCH)
    assert v["grad_accum"] == round(v["grad_accum"]) >= 1
    mfu = flops_factor * v["params"] * BATCH * SEQ / (n_gpus * v["peak_flops"] * v["step_time"])
    assert v["mfu"] == pytest.approx(mfu, rel=1e-9)


GRID = [(m, g, n, tp, pp) for m, g, n, tp, pp in itertools.product(
    ["llama2-7b", "llama2-13b"], ["A800", "H100-SXM", "A100-80GB-SXM"], [64, 256], [1, 2, 8], [1, 2, 4])]


@pytest.mark.parametrize("model,gpu,n_gpus,tp,pp", GRID)
def test_grid_of_layouts_answers(model, gpu, n_gpus, tp, pp):
    result = ask(model=model, gpu=gpu, n_gpus=n_gpus, tp=tp, pp=pp)
    check_by_hand(result, n_gpus)
    assert result.values["tp"] == tp and result.values["pp"] == pp


def test_the_issue_question_takes_tp_pp_micro_batch_from_their_defaults():
    """No layout given: tp = pp = micro_batch = 1 (defaults), dp = 64, grad_accum = 1024 / 64 = 16."""
    result = ask(model="llama2-7b", gpu="A800", n_gpus=64)
    check_by_hand(result, 64)
    v = result.values
    assert (v["tp"], v["pp"], v["micro_batch"], v["dp"], v["grad_accum"]) == (1, 1, 1, 64, 16)
    assert result.status["grad_accum"] != "default"


@pytest.mark.parametrize("extra,accum", [
    ({"tp": 8}, 128),                        # dp 8: 1024 / 8
    ({"tp": 8, "pp": 2}, 256),               # dp 4: 1024 / 4
    ({"tp": 2, "micro_batch": 2}, 16),       # dp 32: 1024 / (2 · 32)
    ({"micro_batch": 4}, 4),                 # dp 64: 1024 / (4 · 64)
    ({"zero_stage": 3}, 16),
    ({"precision": "mixed-bf16", "zero_stage": 1}, 16),
])
def test_layout_variants_answer(extra, accum):
    result = ask(model="llama2-7b", gpu="A800", n_gpus=64, **extra)
    check_by_hand(result, 64)
    assert result.values["grad_accum"] == accum


def test_full_recomputation_answers_with_eight_flops_per_parameter():
    """recompute=full: flops_factor 8 (seed §4b), so mfu counts 8 · N per token."""
    result = ask(model="llama2-7b", gpu="A800", n_gpus=64, recompute="full")
    check_by_hand(result, 64, flops_factor=8.0)


def test_given_grad_accum_derives_the_micro_batch_not_the_layout():
    """grad_accum 8 given: micro_batch = 1024 / (8 · 64) = 2 (before, tp came out as 1/2)."""
    result = ask(model="llama2-7b", gpu="A800", n_gpus=64, grad_accum=8)
    check_by_hand(result, 64)
    assert (result.values["micro_batch"], result.values["tp"]) == (2, 1)


@pytest.mark.parametrize("params,layout", [("7B", {}), ("7B", {"tp": 2}), ("70B", {"tp": 8, "pp": 4})])
def test_params_alone_sketch_a_shape(params, layout):
    """Without an architecture the step-time model sketches one from params (Kaplan et al. 2020 eq. 2.1,
    N ≈ 12 · layers · hidden², hidden = 128 · layers): 7B → 12 · 128² · l³ = 7e9, l = 32.9 → 33 layers."""
    result = ask(params=params, gpu="A800", n_gpus=64, **layout)
    check_by_hand(result, 64)
    if params == "7B":
        assert result.values["layers"] == 33
        # hidden: 4,211 before rounding (128 · 32.9) — within a layer's width of LLaMA 2 7B's 4,096
        assert 4096 <= result.values["hidden"] <= 4224


def test_sketched_shape_is_close_to_the_real_model():
    """params=6.74B (LLaMA 2 7B's count) predicts a step time within 10 % of the catalog model's."""
    real = ask(model="llama2-7b", gpu="H100-SXM", n_gpus=64).values["step_time"]
    sketched = ask(params="6.74B", gpu="H100-SXM", n_gpus=64).values["step_time"]
    assert sketched == pytest.approx(real, rel=0.10)


def test_a_given_model_reads_the_shape_off_the_catalog():
    """With a model, width_per_layer is derived (4096 / 32 = 128 for LLaMA 2 7B; 5120 / 40 = 128 for 13B),
    never imposed: llama3-70b's 8192 / 80 = 102.4 answers without a contradiction."""
    for model, width in [("llama2-7b", 128.0), ("llama3-70b", 102.4)]:
        v = ENGINE.solve(["width_per_layer", "mfu"], {**BASE, "model": model, "gpu": "H100-SXM",
                                                       "n_gpus": 64, "tp": 8}).values
        assert v["width_per_layer"] == pytest.approx(width)


# ------------------------------------------------------------------ the under-determined message names the model
def _refusal(givens, targets=("train_time",)):
    from engine import UnderdeterminedError
    from engine.messages import localized
    with pytest.raises(UnderdeterminedError) as caught:
        ENGINE.solve(list(targets), givens)
    return caught.value, localized(caught.value, "en"), localized(caught.value, "zh")


@pytest.mark.parametrize("givens", [
    {"params": "7B", "tokens": "2T", "gpu": "A800", "n_gpus": 64},
    {"model": "llama2-7b", "tokens": "2T", "gpu": "H100-SXM", "n_gpus": 256},
])
def test_missing_mfu_names_mfu_and_the_analytic_model_with_what_it_needs(givens):
    """Issue #16: without perf_model=analytic, a question missing mfu keeps naming mfu and mentions
    perf_model=analytic, with the givens it still needs (seq_len: global_batch then comes from the defaults
    micro_batch · grad_accum · dp), in English and in Chinese."""
    error, en, zh = _refusal(givens)
    assert "mfu" in error.suggestions
    for said in (en, zh):
        assert "mfu" in said and "perf_model=analytic" in said and "seq_len" in said
    assert en != zh and "选择" in zh
    # what the message promises holds: with perf_model=analytic and seq_len the question answers
    answer = ENGINE.solve(["train_time"], {**givens, "perf_model": "analytic", "seq_len": 4096})
    assert answer.values["train_time"] > 0


def test_no_analytic_hint_once_the_model_is_chosen_or_mfu_is_not_missing():
    _, en, _ = _refusal({"params": "7B", "tokens": "2T", "gpu": "A800", "n_gpus": 64, "perf_model": "analytic"})
    assert "perf_model=" not in en
    _, en, _ = _refusal({"params": "7B", "gpu": "A800", "mfu": 0.4})   # tokens missing: mfu is given
    assert "perf_model=analytic" not in en


def test_a_given_architecture_never_takes_the_sketch():
    """The calibration rows give layers, hidden, heads, ... and no params: the sketch's defaults (default_rank 3)
    come after the architecture's, so params is the exact count (LLaMA 2 7B: 6,738,415,616, HF
    sum(p.numel())) and the answer is the catalog model's, not a contradiction with 12 · layers · hidden²."""
    fields = {k: v for k, v in ENGINE.rules.tables["model"].entries["llama2-7b"].values.items() if k != "params"}
    given = ENGINE.solve(["step_time", "params"], {**BASE, **fields, "gpu": "H100-SXM", "n_gpus": 64})
    model = ENGINE.solve(["step_time"], {**BASE, "model": "llama2-7b", "gpu": "H100-SXM", "n_gpus": 64})
    assert given.values["params"] == 6_738_415_616
    assert given.values["step_time"] == pytest.approx(model.values["step_time"], rel=1e-12)
    assert given.status.get("params_shape_coefficient") != "default"


@pytest.mark.parametrize("givens", [
    {"model": "llama2-13b", "gpu": "H100-SXM", "n_gpus": 64, "tokens": "1T", "perf_model": "analytic"},
    {"params": "7B", "tokens": "2T", "gpu": "A800", "n_gpus": 64, "perf_model": "analytic"},
])
def test_with_the_analytic_model_chosen_its_input_comes_before_mfu(givens):
    """perf_model=analytic chosen and seq_len missing: the refusal leads with seq_len (what the model
    reads), not with mfu, the value the user chose to have predicted; mfu stays among the alternatives
    (it still answers: the given utilization then sets the time)."""
    error, en, _ = _refusal(givens)
    assert error.suggestions[0] == "seq_len", error.suggestions
    assert "mfu" in error.suggestions
    assert en.index("seq_len") < en.index("mfu")
    # without the choice, mfu leads as before (the seed's way)
    plain = {k: v for k, v in givens.items() if k != "perf_model"}
    assert _refusal(plain)[0].suggestions[0] == "mfu"


SMALL_BATCH = "performance.small_pretraining_batch"


def test_a_pretraining_batch_below_half_a_million_tokens_is_said():
    """global_batch left to its defaults: micro_batch 1 × grad_accum 1 × dp 64 = 64 sequences × 4,096 tokens
    = 262,144 tokens per step, below GPT-3's smallest batch (0.5M tokens, Brown et al. 2020 Table 2.1)."""
    base = {"model": "llama2-13b", "gpu": "H100-SXM", "n_gpus": 64, "tokens": "1T", "perf_model": "analytic",
            "seq_len": 4096}
    result = ENGINE.solve(["train_time"], base)
    assert result.values["step_tokens"] == 64 * 4096
    warning = next(w for w in result.warnings if w.code == SMALL_BATCH)
    assert "262K" in warning.message and "global_batch" in warning.message
    # 128 sequences = 524,288 tokens is inside practice; Llama 2's 4M (1,024 × 4,096) too
    for batch in (128, 1024):
        again = ENGINE.solve(["train_time"], {**base, "global_batch": batch})
        assert SMALL_BATCH not in {w.code for w in again.warnings}
    # a fine-tune's small batches are its practice, not a warning
    lora = ENGINE.solve(["train_time"], {"model": "qwen2.5-7b", "method": "lora", "gpu": "A100-80GB", "n_gpus": 8,
                                         "seq_len": 2048, "samples": "100k", "tokens_per_sample": 1024,
                                         "perf_model": "analytic"})
    assert SMALL_BATCH not in {w.code for w in lora.warnings}
