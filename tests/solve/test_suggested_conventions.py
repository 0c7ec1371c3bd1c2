"""A convention or catalog key a refusal says would answer does answer (engine/solve/trial_plan.py).

The search for what is missing first asks a structural reach, which takes defaults a plan does not (it once
said "or choose perf_model=analytic" for a GPU count that analytic's own rules cannot give without seq_len and
the architecture). A plain "or choose X=Y" or "its entry's figures answer" is now said only where a trial plan
confirms it; otherwise the convention is named with what it still needs.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from engine.errors import UnderdeterminedError

QUESTIONS = [
    (["n_gpus"], {"params": "7B", "tokens": "1T", "gpu": "A800", "train_time": "30d"}),
    (["n_gpus"], {"params": "7B", "tokens": "1T", "train_time": "30d", "mfu": 0.4}),
    (["grad_accum"], {"pp_bubble_fraction": 0.05, "pp": 8}),
    (["train_time"], {"tokens": "1T", "n_gpus": 8, "mfu": 0.4}),
    (["train_memory"], {"params": "7B", "method": "lora"}),
    (["n_gpus"], {"model": "llama3-70b", "method": "qlora", "gpu": "RTX-4090", "memory_fill": 1}),
    (["steps"], {"samples": "50k", "global_batch": 64, "epochs": 3}),
]
PLAIN_CHOICE = re.compile(r"; or choose (\w+)=(\w+)(?=\)|;|$)")
ANSWERING_KEY = re.compile(r"or give (\w+) \(a catalog key such as ([\w.-]+),.*?its entry's figures answer")


@pytest.mark.parametrize("targets, givens", QUESTIONS)
def test_what_a_refusal_says_would_answer_does(eng: Any, targets: list[str], givens: dict[str, Any]) -> None:
    with pytest.raises(UnderdeterminedError) as caught:
        eng.solve(targets, givens)
    said = str(caught.value)
    for selector, value in PLAIN_CHOICE.findall(said):
        try:
            eng.solve(targets, {**givens, selector: value})
        except UnderdeterminedError as still:
            pytest.fail(f"said '{selector}={value}' would answer {targets}, but it asks: {still}")
        except Exception:   # (answered by the plan, refused by a value: the layout does not run, a contradiction)
            pass
    for key, example in ANSWERING_KEY.findall(said):
        assert eng.solve(targets, {**givens, key: example}).values[targets[0]] is not None


def test_a_gpu_count_without_utilization_names_the_analytic_model_with_what_it_needs(eng: Any) -> None:
    # issue #16: a question missing mfu keeps naming mfu and mentions perf_model=analytic; that model needs more
    # than the GPU for a count (seq_len, the architecture), so it is named as deriving it from more values
    with pytest.raises(UnderdeterminedError) as caught:
        eng.solve(["n_gpus"], {"params": "7B", "tokens": "1T", "gpu": "A800", "train_time": "30d"})
    said = str(caught.value)
    assert said.index("mfu") < said.index("perf_model=analytic")
    assert "or choose perf_model=analytic: its rules derive n_gpus from more values" in said


def test_a_config_without_sample_lengths_names_mfu_with_its_partner(eng: Any) -> None:
    # LLaMA-Factory's example SFT config (unpacked samples, padded to each micro-batch's longest): its time needs a
    # utilization and the samples' mean length. The refusal listed step_time, GPU-hours... and never mfu; it now
    # names mfu with the values that answer beside it, the samples' own length among them, and that pair answers.
    from pathlib import Path
    config = Path(__file__).resolve().parents[1] / "fixtures" / "training_configs" / "llamafactory" / "examples" \
        / "train_lora" / "llama3_lora_sft.yaml"
    givens = {"config": str(config), "gpu": "A100-80GB-SXM", "n_gpus": 8}
    with pytest.raises(UnderdeterminedError) as caught:
        eng.solve(["train_time"], givens)
    said = str(caught.value)
    assert re.search(r"or mfu \(GPU utilization[^)]*\) together with one of: [\w, ]*tokens_per_sample", said)
    answered = eng.solve(["train_time"], {**givens, "mfu": 0.4, "tokens_per_sample": 600})
    assert answered.values["train_time"] > 0
