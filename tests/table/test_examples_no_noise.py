"""The bundled examples produce only warnings a reviewer would keep (issue #15): per row, the exact
list of warnings the terminal and the report show. Noise this guards against: "queries_per_kv
follows from the values given, not from its default" on a GQA model (architecture), "epochs follows
from the values given" when epochs is the target, a band advisory about a tokenizer's own catalog
figure (baichuan-7b's 1.357 characters per token)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.io.sheets import read_scenarios
from engine.table.frames import run_frame
from engine.table.scope import shown_warnings

ROOT = Path(__file__).resolve().parents[2]
CHINCHILLA = "scaling.far_from_chinchilla"   # pretraining far from 20 tokens/parameter (seed §6b)

EXPECTED = {
    "examples/scenarios.xlsx": {
        "LLaMA-2 7B pretraining compute": [CHINCHILLA],          # 2T / 7B = 285.7 tokens per parameter
        "What a 1e23 FLOP budget trains at 7B": [CHINCHILLA],
        "7B / 2T on 256 A800 at 45% MFU": [CHINCHILLA],
        "A800s to finish 7B / 2T in 30 days": ["rounded", CHINCHILLA],
        "Tokens for 20,000 H100 GPU-days at 13B": [CHINCHILLA],
        # 6 * 7e9 * 2e12 / (250,000 GPU-hours * 3600 * 312e12) = 0.2991 < 0.3: below the seed's band
        "MFU a finished run achieved": [CHINCHILLA, "time.mfu_outside_band"],
        "70B / 2T on 2048 H100 at $2.5/h": [],
        "Model states of llama2-7b (full fine-tune)": [],
        "llama2-7b per GPU with ZeRO-3 on 8 A800": [],
        "QLoRA r=64 of llama2-7b on one A10": [],
        "LoRA r=16 trainable parameters": [],
        "GPUs to fit 70B with ZeRO-3 in 80 GB each": ["rounded"],   # 16 B × 68.98B / 80 GB = 13.8 -> 14; GQA: no queries_per_kv note
        "Chinchilla-optimal split of 1e23 FLOPs": [],
        "Predicted loss of 7B on 2T tokens": [CHINCHILLA],
        "Epochs over 500B unique tokens": ["data.repeated_data_value", "scaling.repeated_epochs"],
        "Disk for 1T tokens of Chinese text": [],                # the tokenizer's own figure: no band note
        "Tokens in a 1 TB Chinese corpus": [],
    },
}


def _shown(engine, path: Path) -> dict[str, list[str]]:
    sheet = read_scenarios(path)
    outcome = run_frame(sheet.frame, engine, "en", locator=sheet.locator, source=str(path), headers=sheet.headers,
                        problems=sheet.problems, numeric_cells=sheet.numeric_cells, notes=sheet.notes)
    out = {}
    for row, name in enumerate(outcome.names):
        assert outcome.batch.errors[row] is None, (name, outcome.batch.errors[row])
        result = engine.result_for_row(outcome.batch, row)
        out[name] = [w.code for w in shown_warnings(result)]
    return out


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_bundled_examples_warn_only_where_it_matters(bundled_engine, example):
    path = ROOT / example
    if not path.exists():
        pytest.skip(f"{example} is not in this checkout")
    assert _shown(bundled_engine, path) == EXPECTED[example]


def test_the_filtered_warnings_are_really_fired_and_dropped(bundled_engine):
    """The scope does work: the solver fires the noise, the display leaves it out."""
    result = bundled_engine.solve(["dp"], {"model": "llama2-70b", "gpu": "A800", "zero_stage": "3",
                                           "precision": "mixed-bf16", "micro_batch": 1, "seq_len": 4096,
                                           "recompute": "full", "memory_fill": 1})
    fired = [w.code for w in result.warnings]
    assert "default_overridden.queries_per_kv" in fired    # 64 heads / 8 kv heads = 8, default 1
    assert "default_overridden.queries_per_kv" not in [w.code for w in shown_warnings(result)]


def test_a_convention_the_typed_values_contradict_is_refused_and_a_typed_knob_is_not_mentioned(bundled_engine):
    # train_flops 1e23 for 7B x 2T implies 1e23 / (7e9 * 2e12) = 7.14 FLOP/token, not recompute=none's
    # default 6: a convention never bends to the givens (issue #13 §3), so this is a contradiction
    from engine.errors import ContradictionError

    with pytest.raises(ContradictionError) as info:
        bundled_engine.solve(["train_time"], {"train_flops": "1e23", "params": "7B", "tokens": "2T",
                                              "gpu": "A800", "n_gpus": 64, "mfu": 0.4})
    assert "flops_factor" in str(info.value)
    # grad_accum = 1024 / (4 * 64) = 4 is what the typed batch sizes say: its default (1) fires as a
    # note but is not shown
    result = bundled_engine.solve(["train_time"], {"params": "7B", "tokens": "2T", "gpu": "A800", "n_gpus": 64,
                                                   "mfu": 0.4, "global_batch": 1024, "micro_batch": 4, "dp": 64})
    assert "default_overridden.grad_accum" in {w.code for w in result.warnings}
    assert "default_overridden.grad_accum" not in {w.code for w in shown_warnings(result)}
    assert result.values["grad_accum"] == pytest.approx(4)


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_the_workbook_warnings_column_says_the_same(bundled_engine, example):
    path = ROOT / example
    if not path.exists():
        pytest.skip(f"{example} is not in this checkout")
    sheet = read_scenarios(path)
    outcome = run_frame(sheet.frame, bundled_engine, "en", locator=sheet.locator, source=str(path),
                        headers=sheet.headers, problems=sheet.problems, numeric_cells=sheet.numeric_cells,
                        notes=sheet.notes)
    column = outcome.results.get_column("warnings").to_list()
    codes = {name: [part.split(":")[0] for part in (text or "").split(" | ") if part]
             for name, text in zip(outcome.names, column)}
    assert codes == EXPECTED[example]


def test_the_contradicted_convention_is_said_in_chinese(bundled_engine):
    from engine.errors import ContradictionError
    from engine.messages import localized

    with pytest.raises(ContradictionError) as info:
        bundled_engine.solve(["train_time"], {"train_flops": "1e23", "params": "7B", "tokens": "2T",
                                              "gpu": "A800", "n_gpus": 64, "mfu": 0.4})
    zh = localized(info.value, "zh")
    # 6 * 7e9 * 2e12 = 84e21 FLOP of the weights (compute.param_flops, issue #14) against the 1e23 given
    assert zh.startswith("给定的值相互矛盾：按规则 compute.train_flops") and "84e21" in zh and "flops_factor" in zh
    assert "contradict" not in zh
