"""`llmplan solve` on the README's quick-tour questions (issue #15): brief by default (10-25 lines:
answer with rounding note, typed values, assumptions with source, warnings), -v with the catalog
figures, side values and the derivation with numbers in the units shown."""
from __future__ import annotations

import pytest

from engine.cli.app import main

TOUR = {   # the README quick tour: question -> text the brief answer must contain
    "n_gpus params=7B tokens=2T gpu=A800 train_time=30d mfu=0.4 recompute=full":
        # 8 * 7e9 * 2e12 / (0.4 * 312e12 * 30 * 86400) = 346.23 -> 347; 30 days * 346.23 / 347 = 29.9 days
        ["n_gpus = 347", "346.23 rounded up", "train_time = 29.9 days", "train_time = 30 days"],
    "train_time params=7B tokens=1T gpu=A100-80GB-PCIe n_gpus=64 mfu=0.4 recompute=full":
        # 8 * 7e9 * 1e12 / (64 * 312e12 * 0.4) / 86400 = 81.15 days
        ["train_time = 81.1 days"],
    "tokens params=7B gpu=A800 gpu_days=10000 mfu=0.4":
        # 10,000 * 86400 * 312e12 * 0.4 / (6 * 7e9) = 2.567e12 tokens
        ["tokens = 2.57T token"],
    "mfu params=7B tokens=2T gpu=A800 gpu_hours=250000":
        # 6 * 7e9 * 2e12 / (250,000 * 3600 * 312e12) = 0.2991
        ["mfu = 0.2991"],
    "train_memory params=7B":
        # seed §3: 20 B per parameter (fp32 weights 4 + grads 4 + Adam 12) * 7e9 = 140 GB
        ["train_memory = 140 GB"],
    "corpus_bytes unique_tokens=1B encoding=seed-2byte":
        ["corpus_bytes = ", " GB"],
    "train_time params=7B tokens=1T gpu=A800 n_gpus=64 mfu=0.4":
        # 6 * 7e9 * 1e12 / (64 * 312e12 * 0.4) / 86400 = 60.86 days
        ["train_time = 60.9 days"],
}


def _solve(capsys, question: str, *options: str) -> list[str]:
    assert main(["solve", *question.split(), *options]) == 0
    return capsys.readouterr().out.rstrip("\n").splitlines()


@pytest.mark.parametrize("question", list(TOUR))
def test_brief_answer_fits_in_ten_seconds(capsys, question):
    lines = _solve(capsys, question)
    text = "\n".join(lines)
    assert 6 <= len(lines) <= 25, text
    assert lines[0] == "Answer:" and "Given:" in lines
    for expected in TOUR[question]:
        assert expected in text, (expected, text)
    for item in question.split()[1:]:   # every value the user typed is echoed under Given
        assert f"  {item.partition('=')[0]} = " in text, item
    # the brief answer leaves out what -v adds
    assert "Derivation:" not in lines and "Also derived:" not in lines and "From the catalog:" not in lines
    assert lines[-1].startswith("(-v ")


def test_brief_assumptions_and_warnings_one_line_each(capsys):
    lines = _solve(capsys, "n_gpus params=7B tokens=2T gpu=A800 train_time=30d mfu=0.4 recompute=full")
    assumptions = lines[lines.index("Assumptions that shaped the answer:") + 1:lines.index("Warnings:")]
    named = [line for line in assumptions if not line.strip().startswith("(+")]   # "(+2 more defaults ...)"
    # issue #14: the method (full fine-tune, seed §3) is said too, since the FLOPs rule depends on it
    assert [line.split(" = ")[0].strip() for line in named] == ["flops_params_basis", "flops_model", "method"]
    assert all("source: seed §2" in line or "source: seed §3" in line for line in named)
    warnings = lines[lines.index("Warnings:") + 1:-1]
    # the rounding note is on the answer line, not repeated; the Chinchilla note is a pretraining fact
    assert len(warnings) == 1 and "Chinchilla" in warnings[0]
    # the catalog's figures (A800's 312 TFLOPS) are not part of the brief answer
    assert not any("peak_flops" in line for line in lines)


@pytest.mark.parametrize("question", list(TOUR)[:3])
def test_verbose_is_the_full_derivation_in_units_shown(capsys, question):
    brief = _solve(capsys, question)
    verbose = _solve(capsys, question, "-v")
    assert len(verbose) > len(brief) + 8
    assert "Derivation:" in verbose and "Also derived:" in verbose
    text = "\n".join(verbose)
    assert "From the catalog:" in verbose and "peak_flops = 312 TFLOPS" in text
    # numbers substituted in the declared units with their unit, not in base units (3.12e+14)
    assert "(312 TFLOPS)" in text and "3.12e+14" not in text


def test_verbose_quick_tour_first_question(capsys):
    text = "\n".join(_solve(capsys, list(TOUR)[0], "-v"))
    # active_share (1, dense; issue #14) * 8 FLOP/token * 7B * 2T token = 112e21 FLOP
    assert "= (8 FLOP/token) * 1 * 7B * (2T token)" in text and "= 112e21 FLOP" in text
    assert "/ (30 day)" in text and "n_gpus = 346.23 rounded up to 347" in text


def test_gib_typed_gives_gib_shown(capsys):
    text = "\n".join(_solve(capsys, "train_memory params=7B gpu_memory=80GiB"))
    # 140e9 B = 130.4 GiB
    assert "train_memory = 130 GiB" in text and "gpu_memory = 80 GiB" in text


def test_chinese_brief_has_no_english_headings(capsys):
    lines = _solve(capsys, list(TOUR)[0], "--lang", "zh")
    text = "\n".join(lines)
    assert lines[0] == "答案:" and "已知:" in lines and "影响答案的假设:" in lines
    assert "由 346.23 向上取整" in text and "29.9 天" in text
    for english in ("Answer", "Given", "Assumptions", "rounded", "source:", "-v shows"):
        assert english not in text, english


def test_json_is_unchanged_by_the_brief_output(capsys):
    import json

    assert main(["solve", *list(TOUR)[0].split(), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["solved"] == ["n_gpus"] and out["values"]["n_gpus"]["value"] == 347
    assert out["values"]["train_time"]["unit"] == "s" and len(out["derivation"]) >= 3
    assert out["rounded"]["n_gpus"]["raw"] == pytest.approx(346.23, abs=0.01)


FIT = ("model=llama2-7b gpu=A800 precision=mixed-bf16 zero_stage=3 n_gpus=8 seq_len=4096")


def test_brief_fit_question_keeps_the_assumptions_that_matter(capsys):
    lines = _solve(capsys, f"memory_fill {FIT} micro_batch=64")
    text = "\n".join(lines)
    assert len(lines) <= 25, text
    assert "does not fit" in lines[1]                 # memory_fill > 1 on the answer line
    shown = lines[lines.index("Assumptions that shaped the answer:") + 1:]
    names = [line.split(" = ")[0].strip() for line in shown if " = " in line and line.startswith("  ") and
             not line.startswith("  [")][:6]
    # conventions that change the memory (no recomputation, Adam's states) are named; the do-nothing
    # figures (tp = 1, pp = 1) and those a named convention implies (offload=none's offload_grads) wait for -v
    assert "recompute" in names and "optimizer" in names
    assert not {"tp", "pp", "offload_grads", "optimizer_state_bytes_per_param"} & set(names)
    assert any(line.strip().startswith("(+") and "-v" in line for line in shown)
    verbose = "\n".join(_solve(capsys, f"memory_fill {FIT} micro_batch=64", "-v"))
    assert "  tp = 1" in verbose and "offload_grads = 0" in verbose


def test_brief_largest_that_fits(capsys):
    lines = _solve(capsys, f"micro_batch {FIT} recompute=full memory_fill=1")
    assert len(lines) <= 25 and "does not fit" not in "\n".join(lines)
    assert lines[1].startswith("  micro_batch = ") and "rounded down" in lines[1]


def test_zero_parts_of_a_memory_answer_are_named_and_the_example_left_out_is_one_it_reads(capsys):
    # model states only (no seq_len): activation memory and the overhead are 0 GB defaults, parts of the
    # answer left out, so the brief list names them (a zero with a unit is not a do-nothing value)
    lines = _solve(capsys, "memory_per_gpu model=llama2-7b gpu=A800 precision=mixed-bf16 zero_stage=3 n_gpus=8")
    shown = lines[lines.index("Assumptions that shaped the answer:") + 1:]
    assert any(line.startswith("  activation_bytes = 0 GB") for line in shown)
    assert any(line.startswith("  memory_overhead = 0 GB") for line in shown)
    # a storage answer never reads activation_bytes: the "(+N more defaults, such as ...)" line names one it does
    storage = _solve(capsys, "corpus_bytes unique_tokens=1B encoding=seed-2byte")
    (more,) = [line for line in storage if line.strip().startswith("(+")]
    assert "activation_bytes" not in more and "tokens_per_char_zh" in more


def test_the_gpu_given_is_named_as_its_catalog_entry(capsys):
    # gpu=A800 is the seed's A800 80GB PCIe (NVLink cut to a PCIe bridge, 32 GB/s): most A800 clusters are
    # the SXM part, whose links set a different time, so the brief answer says which card it counted
    from engine.cli import main

    assert main(["solve", "n_gpus", "params=7B", "tokens=1T", "gpu=A800", "mfu=0.4", "train_time=30d"]) == 0
    assert "  gpu = A800  (NVIDIA A800 80GB PCIe)" in capsys.readouterr().out
    assert main(["solve", "n_gpus", "params=7B", "tokens=1T", "gpu=A800-SXM", "mfu=0.4", "train_time=30d"]) == 0
    assert "(NVIDIA A800 80GB SXM" in capsys.readouterr().out


def test_a_side_value_the_rules_cannot_give_is_left_to_verbose(capsys):
    # half an epoch over 1T unique tokens: repetitions = epochs - 1 = -0.5 has no value (Muennighoff et al. 2023's
    # R_D counts passes after the first), so neither have the effective tokens; the time (500B tokens at mfu 0.4:
    # 6 · 7e9 · 5e11 / (64 · 312e12 · 0.4) s = 30.4 days by hand) does not read them. The brief answer leaves the
    # three "no valid value" notes out; -v keeps them.
    question = "train_time params=7B unique_tokens=1T epochs=0.5 gpu=A800 n_gpus=64 mfu=0.4"
    brief = _solve(capsys, question)
    assert not any("no valid value" in line for line in brief)
    assert any(line.strip().startswith("train_time = 30.4 days") for line in brief)
    verbose = _solve(capsys, question, "-v")
    assert any("no valid value for repetitions" in line for line in verbose)
