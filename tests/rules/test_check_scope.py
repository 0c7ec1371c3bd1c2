"""Where a check speaks: a narrower one stands in a broader one's place (`replaces:`), and advice about a
default is quiet where the user chose the value (`unless_given:`).

The memory checks: what does not fit decides what helps, so "the weights alone take 138 GB" replaces
"needs 138 GB per GPU" in the rows where it fires, and the general check stays for the rest (a
memory_per_gpu given without its parts). Figures are hand calculations from the seed's bytes per
parameter (seed §3: 20 B with Adam in its fp32 recipe, 4 B of it the weights)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import polars as pl
import pytest

from engine import Engine
from engine.errors import DefinitionError
from engine.rules.loading import load_rules
from engine.table.frames import run_frame


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def codes(result) -> set[str]:
    return {w.code for w in result.warnings}


def test_the_weights_alone_not_fitting_is_said_instead_of_does_not_fit(engine: Engine) -> None:
    # 70e9 parameters × 4 B = 280 GB of fp32 weights > 80 GB
    result = engine.solve(["memory_per_gpu"], {"params": "70B", "gpu": "A800"})
    assert "parallelism.weights_do_not_fit" in codes(result)
    assert "parallelism.does_not_fit" not in codes(result)
    assert "parallelism.states_do_not_fit" not in codes(result)   # the conditions exclude each other
    (text,) = [w.message for w in result.warnings if w.code == "parallelism.weights_do_not_fit"]
    assert "280 GB" in text and "zero_stage=3" in text


def test_a_frozen_base_too_large_is_not_told_to_recompute_activations(engine: Engine) -> None:
    # LoRA on Llama 2 70B: 68.98e9 frozen bf16 weights = 138 GB on a 24 GB card; the activations are not
    # the problem and ZeRO-1/2 shard only the (tiny) adapter states
    result = engine.solve(["memory_per_gpu"], {"model": "llama2-70b", "gpu": "4090", "method": "lora"})
    (text,) = [w.message for w in result.warnings if w.code.endswith("_do_not_fit")
               or w.code == "parallelism.does_not_fit"]
    assert "weights alone" in text and "recompute" not in text


def test_activations_are_named_when_the_states_fit(engine: Engine) -> None:
    # 16 B × 6.7e9 / 8 = 13.4 GB of states on each of 8 GPUs, plus the activations of micro_batch 16 at 4k
    result = engine.solve(["memory_per_gpu"], {"model": "llama-7b", "gpu": "A100", "precision": "mixed-bf16",
                                               "zero_stage": "3", "n_gpus": 8, "seq_len": 4096,
                                               "micro_batch": 16})
    assert codes(result) & {"parallelism.activations_do_not_fit", "parallelism.does_not_fit"} == \
        {"parallelism.activations_do_not_fit"}


def test_the_general_check_stays_where_no_part_is_known(engine: Engine) -> None:
    result = engine.solve(["memory_fill"], {"memory_per_gpu": "100GB", "gpu": "A800"})
    assert "parallelism.does_not_fit" in codes(result)


def test_replacement_is_per_row_in_a_table(engine: Engine) -> None:
    frame = pl.DataFrame({"solve": ["memory_per_gpu", "memory_fill"], "params": ["70B", None],
                          "memory_per_gpu": [None, "100GB"], "gpu": ["A800", "A800"]})
    warnings = run_frame(frame, engine).results["warnings"].to_list()
    assert "parallelism.weights_do_not_fit" in warnings[0] and "parallelism.does_not_fit" not in warnings[0]
    assert "parallelism.does_not_fit" in warnings[1] and "weights_do_not_fit" not in warnings[1]


def test_replacing_an_unknown_check_is_refused_with_the_line_and_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "user.yaml"
    path.write_text(textwrap.dedent("""\
        checks:
          - id: user.too_big
            when: memory_per_gpu > 1000 * unit("GB")
            replaces: parallelism.does_nt_fit
            source: me
            en: too big
            zh: 太大
        """), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_rules([path])
    message = str(caught.value)
    assert f"{path}:2" in message and "'parallelism.does_nt_fit'" in message
    assert "did you mean 'parallelism.does_not_fit'" in message


UNPACKED = {"model": "qwen2.5-7b", "method": "lora", "seq_len": 4096, "samples": "50k", "tokens_per_sample": 1024,
            "epochs": 3, "micro_batch": 4, "grad_accum": 2, "n_gpus": 1}


def test_advice_about_a_default_is_quiet_where_the_user_chose_it(engine: Engine) -> None:
    # a LoRA is unpacked by default, and without longest_sample_tokens each micro-batch of 4 is taken as padded to
    # seq_len, the upper bound: said (batching.padding_upper_bound), but not where pad_to was chosen
    assert "batching.padding_upper_bound" in codes(engine.solve(["tokens"], UNPACKED))
    chosen = engine.solve(["tokens"], {**UNPACKED, "pad_to": "longest"})
    assert "batching.padding_upper_bound" not in codes(chosen)
    assert chosen.values["tokens"] == 3 * 50_000 * 4096   # the same upper bound, chosen knowingly


def test_a_config_that_packs_is_a_choice_too(engine: Engine, tmp_path: Path) -> None:
    config = tmp_path / "qlora.yml"
    config.write_text("base_model: Qwen/Qwen2.5-7B\nadapter: qlora\nload_in_4bit: true\nsequence_len: 4096\n"
                      "sample_packing: true\nmicro_batch_size: 1\ngradient_accumulation_steps: 8\n"
                      "num_epochs: 3\n", encoding="utf-8")
    result = engine.solve(["steps"], {"config": str(config), "samples": "50k", "tokens_per_sample": 1024,
                                      "n_gpus": 1})
    # packed, as the config says: 50,000 × 1,024 / 4,096 = 12,500 sequences per epoch, 12,500 // 8 = 1,562 steps
    # per epoch (Transformers Trainer), 3 epochs: 4,686 (tests/rule_cases/batching.yaml); a LoRA's default would
    # count 50,000 / 8 × 3 = 18,750
    assert result.values["steps"] == 4686


def test_unless_given_must_name_a_variable(tmp_path: Path) -> None:
    path = tmp_path / "user.yaml"
    path.write_text(textwrap.dedent("""\
        checks:
          - id: user.packed
            when: samples > 1
            unless_given: packin
            source: me
            en: packed
            zh: 打包
        """), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_rules([path])
    assert f"{path}:2" in str(caught.value) and "'packin'" in str(caught.value) and "packing" in str(caught.value)


def test_the_analytic_precision_warning_is_about_the_default_only(engine: Engine) -> None:
    # the seed's fp32 recipe as a default beside a step timed at the BF16 peak warns; typed, it is a choice
    layout = {"perf_model": "analytic", "model": "llama2-7b", "gpu": "H100-SXM", "n_gpus": 64, "seq_len": 4096,
              "global_batch": 512}
    assert "performance.seed_precision_timed" in codes(engine.solve(["step_time"], layout))
    for precision in ("seed-fp32", "mixed-bf16"):
        chosen = engine.solve(["step_time"], {**layout, "precision": precision})
        assert "performance.seed_precision_timed" not in codes(chosen)


LAYOUT_13B = {"perf_model": "analytic", "model": "llama2-13b", "gpu": "H100-SXM", "precision": "mixed-bf16",
              "seq_len": 4096, "global_batch": 512, "n_gpus": 64}


def test_a_layout_that_cannot_run_is_refused_not_timed(engine: Engine) -> None:
    # 64 GPUs / (tp 3 × pp 1) = 21.33 data-parallel replicas: Megatron-LM asserts n = t · p · d with a whole d;
    # answering a step time for it (with a warning) ranked impossible layouts among the best in a sweep
    from engine.errors import EvaluationError

    with pytest.raises(EvaluationError) as caught:
        engine.solve(["step_time"], {**LAYOUT_13B, "tp": 3})
    assert "parallelism.dp_not_whole" in str(caught.value) and "21.33" in str(caught.value)
    assert engine.solve(["step_time"], {**LAYOUT_13B, "tp": 8}).values["step_time"] > 0   # 64 / 8 = 8


def test_a_refusing_check_is_per_row_and_warns_about_an_asked_value(engine: Engine) -> None:
    frame = pl.DataFrame({"solve": ["step_time", "step_time"], "tp": [3, 8],
                          **{k: [v, v] for k, v in LAYOUT_13B.items()}})
    results = run_frame(frame, engine).results
    assert results["error"][0] is not None and "dp_not_whole" in results["error"][0]
    assert results["error"][1] is None and results["step_time [s]"][1] > 0
    # asked, dp is a requirement (the replicas that fill the memory), not a layout: answered, with a warning
    asked = engine.solve(["dp"], {"model": "llama2-70b", "gpu": "A800", "zero_stage": "3", "precision": "mixed-bf16",
                                  "micro_batch": 1, "seq_len": 4096, "recompute": "full", "memory_fill": 1})
    (warning,) = [w for w in asked.warnings if w.code == "parallelism.dp_not_whole"]
    assert warning.severity == "warning" and asked.values["dp"] % 1 > 1e-6     # a fractional requirement


def test_two_keys_that_do_not_go_together_are_said_though_both_are_catalog_figures(engine: Engine) -> None:
    # a check on one key's own figures is catalog noise (hidden); one on two keys' figures is a mismatch the
    # user made: bf16 on a V100 (its datasheet: FP16 tensor cores only) stops at start-up
    from engine.table.scope import shown_warnings

    on_v100 = engine.solve(["memory_per_gpu"], {"model": "llama2-7b", "gpu": "V100", "precision": "mixed-bf16"})
    assert "hardware.no_bf16" in {w.code for w in shown_warnings(on_v100)}
    for fine in ({"gpu": "V100", "precision": "mixed-fp16"}, {"gpu": "A100", "precision": "mixed-bf16"}):
        result = engine.solve(["memory_per_gpu"], {"model": "llama2-7b", **fine})
        assert "hardware.no_bf16" not in codes(result)
    frame = pl.DataFrame({"solve": ["memory_per_gpu"], "model": ["llama2-7b"], "gpu": ["T4"],
                          "precision": ["bf16"]})
    assert "hardware.no_bf16" in run_frame(frame, engine).results["warnings"][0]
